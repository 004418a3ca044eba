"""``agentcore-mcp init``: a new MCP server project, ready to test, containerise and deploy.

The templates live in ``templates/`` beside this module (package data, shipped in the wheel). Each
``*.tmpl`` file is copied to the path :data:`FILES` gives it, with ``{{project}}`` (the project name),
``{{package}}`` (the Python package), ``{{runtime}}`` (the AgentCore runtime name) and
``{{version}}`` (this library's version) filled in, and the lines that say where agentcore-mcp comes from
(:func:`source_for`): ``{{requirement}}``, ``{{requirement_fast}}``, ``{{requirement_dev}}``,
``{{hatch_metadata}}``, ``{{pip_options}}``, ``{{docker_copy}}``, ``{{docker_git}}`` and
``{{dockerignore}}``.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from agentcore_mcp.errors import ScaffoldError

__all__ = [
    "FILES",
    "Project",
    "ScaffoldError",
    "Source",
    "create_project",
    "default_source",
    "names_for",
    "source_for",
]

# template -> destination ("{package}" is replaced by the package name)
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "Dockerfile.tmpl": "Dockerfile",
    "dockerignore.tmpl": ".dockerignore",
    "gitignore.tmpl": ".gitignore",
    "package_init.py.tmpl": "{package}/__init__.py",
    "server.py.tmpl": "{package}/server.py",
    "test_server.py.tmpl": "tests/test_server.py",
}

_PROJECT = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,47}")
_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")
_VCS = ("git+", "hg+", "svn+", "bzr+")
WHEELS = "wheels"
_ELSE = "--source index for the package index"


@dataclass(frozen=True)
class Source:
    """Where a new project gets agentcore-mcp: the index, a wheel put in its ``wheels/``, or a VCS URL."""

    kind: str  # "index" | "wheel" | "vcs"
    location: str = ""  # the wheel file to copy, or the VCS URL
    #: why this source, for ``init``'s output when it was not asked for ("" when ``--source`` named it)
    reason: str = ""

    def describe(self) -> str:
        """One line saying where the project gets agentcore-mcp (and why, when it was chosen)."""
        if self.kind == "index":
            where = "the package index"
        elif self.kind == "vcs":
            where = self.location
        elif self.location.endswith(".whl"):
            where = f"{WHEELS}/{Path(self.location).name} (a copy of {self.location})"
        else:
            where = f"{WHEELS}/, a wheel built from {self.location}"
        return f"agentcore-mcp from {where}" + (f" ({self.reason})" if self.reason else "")

    def values(self, version: str) -> dict[str, str]:
        """The template values for this source."""
        if self.kind == "vcs":
            ref = f" @ {self.location}"
            return {
                "requirement": f"agentcore-mcp{ref}",
                "requirement_fast": f"agentcore-mcp[fast]{ref}",
                "requirement_dev": f"agentcore-mcp[client,emulator]{ref}",
                "hatch_metadata": "\n[tool.hatch.metadata]\nallow-direct-references = true  # agentcore-mcp from VCS\n",
                "pip_options": "",
                "docker_copy": "",
                "docker_git": "# pip needs git to fetch agentcore-mcp from its repository.\n"
                "RUN apt-get update \\\n"
                "    && apt-get install -y --no-install-recommends git=1:2.* \\\n"
                "    && rm -rf /var/lib/apt/lists/*\n",
                "dockerignore": "",
            }
        pinned = f">={version}"
        wheel = self.kind == "wheel"
        return {
            "requirement": f"agentcore-mcp{pinned}",
            "requirement_fast": f"agentcore-mcp[fast]{pinned}",
            "requirement_dev": f"agentcore-mcp[client,emulator]{pinned}",
            "hatch_metadata": "",
            "pip_options": f"--find-links {WHEELS} " if wheel else "",
            "docker_copy": f"COPY {WHEELS} ./{WHEELS}\n" if wheel else "",
            "docker_git": "",
            "dockerignore": f"!{WHEELS}/\n" if wheel else "",
        }


def source_for(spec: str | None) -> Source:
    """Read ``--source``: ``index``, a ``.whl`` file, a source directory, a VCS URL, ``installed``
    (wherever this agentcore-mcp was installed from, when that was a path or a VCS URL), or None: the
    source that installs on this machine (:func:`default_source`).

    Raises:
        ScaffoldError: a path that is neither a wheel nor a directory with a ``pyproject.toml``.
    """
    if not spec:
        return default_source()
    if spec == "index":
        return Source("index")
    if spec == "installed":
        spec = _installed_from()
    if spec.startswith(_VCS):
        return Source("vcs", spec)
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".whl":
        return Source("wheel", str(path.resolve()))
    if path.is_dir() and (path / "pyproject.toml").is_file():
        return Source("wheel", str(path.resolve()))
    raise ScaffoldError(
        f"--source {spec!r} is not a wheel (.whl), a source directory with a pyproject.toml, "
        "or a VCS URL (git+https://...)"
    )


def default_source() -> Source:
    """The source a new project installs from when ``--source`` is left out: one that works here.

    An agentcore-mcp installed from a package index is on that index, so the project asks it for the same
    release. One imported from a source checkout, or installed from a checkout, a wheel file or a VCS URL,
    may be on no index the machine can reach: the project gets it from there (the checkout or wheel as a
    wheel in its ``wheels/``), as ``--source installed`` does.

    Raises:
        ScaffoldError: the recorded checkout or wheel is no longer there.
    """
    checkout = _this_checkout()
    if checkout is not None:
        return Source("wheel", str(checkout), reason=f"this agentcore-mcp runs from that checkout; {_ELSE}")
    try:
        spec = _installed_from()
    except ScaffoldError:
        return Source("index", reason="this agentcore-mcp was installed from it; --source takes another")
    reason = f"this agentcore-mcp was installed from there; {_ELSE}"
    if spec.startswith(_VCS):
        return Source("vcs", spec, reason=reason)
    if not Path(spec).exists():
        raise ScaffoldError(
            f"this agentcore-mcp was installed from {spec}, which is no longer there: pass --source "
            "(a wheel, a checkout, a VCS URL, or `index` for the package index)"
        )
    return Source("wheel", str(Path(spec).resolve()), reason=reason)


def _this_checkout() -> Path | None:
    """The source checkout this agentcore_mcp is imported from (editable or on ``PYTHONPATH``), if any."""
    import agentcore_mcp

    checkout = Path(agentcore_mcp.__file__).resolve().parent.parent
    pyproject = checkout / "pyproject.toml"
    if pyproject.is_file() and 'name = "agentcore-mcp"' in pyproject.read_text(encoding="utf-8"):
        return checkout
    return None


def _installed_from() -> str:
    """Where this agentcore-mcp was installed from (PEP 610 ``direct_url.json``): a directory, wheel or VCS URL."""
    import json
    from importlib import metadata
    from urllib.parse import unquote, urlsplit

    try:
        recorded = metadata.distribution("agentcore-mcp").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        recorded = None
    if not recorded:
        raise ScaffoldError(
            "--source installed: this agentcore-mcp was installed from a package index, not from a path or "
            "a VCS URL; use --source index"
        )
    origin = json.loads(recorded)
    url = str(origin.get("url", ""))
    vcs = origin.get("vcs_info")
    if vcs:
        revision = vcs.get("requested_revision") or vcs.get("commit_id")
        return f"{vcs.get('vcs', 'git')}+{url}" + (f"@{revision}" if revision else "")
    if url.startswith("file://"):
        return unquote(urlsplit(url).path)
    raise ScaffoldError(f"--source installed: cannot use the recorded source {url!r}")


def _wheel_into(location: Path, wheels: Path) -> Path:
    """Copy the wheel at ``location`` into ``wheels``, or build one there from the source directory."""
    wheels.mkdir(parents=True, exist_ok=True)
    if location.is_file():
        return Path(shutil.copy2(location, wheels))
    before = set(wheels.glob("*.whl"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels)]
    if importlib.util.find_spec("hatchling") is not None:  # present: build offline, with this environment's
        command.append("--no-build-isolation")
    done = subprocess.run([*command, str(location)], capture_output=True, text=True, check=False)
    built = set(wheels.glob("*.whl")) - before
    if done.returncode != 0 or len(built) != 1:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ScaffoldError(
            f"could not build a wheel from {location}" + (f": {detail[-1]}" if detail else "")
        )
    return built.pop()


@dataclass(frozen=True)
class Project:
    """What :func:`create_project` made: the names it used and the files it wrote."""

    name: str
    package: str
    runtime: str
    directory: Path
    files: tuple[Path, ...]
    #: what ``pip install`` needs besides the package index to find agentcore-mcp ("" or "--find-links wheels ")
    install_options: str = ""
    #: where the project gets agentcore-mcp, as one line (:meth:`Source.describe`)
    source: str = ""


def names_for(project: str) -> tuple[str, str]:
    """The Python package and AgentCore runtime names for a project name (``my-tools`` -> ``my_tools``).

    Raises:
        ValueError: the name is not a letter followed by up to 47 letters, digits, ``-`` or ``_``.
    """
    if _PROJECT.fullmatch(project) is None:
        raise ValueError(
            f"a project name is a letter followed by up to 47 letters, digits, '-' or '_', got {project!r}"
        )
    package = project.replace("-", "_").lower()
    return package, package


def create_project(
    project: str, directory: Path, *, force: bool = False, source: str | None = None
) -> Project:
    """Write a new server project for ``project`` into ``directory`` (created if missing).

    ``source`` says where the project gets agentcore-mcp (see :func:`source_for`; None: one that installs
    here, :func:`default_source`); with a wheel or a source directory the wheel is put in the project's
    ``wheels/``.

    Raises:
        ValueError: an unusable project name.
        ScaffoldError: ``directory`` exists and is not empty (pass ``force=True`` to write into it;
            existing files with the same names are then replaced), or ``source`` is unusable.
    """
    from agentcore_mcp import __version__

    package, runtime = names_for(project)
    origin = source_for(source)
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory} exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise ScaffoldError(f"{directory} exists and is not empty (use --force to write into it)")
    values = {"project": project, "package": package, "runtime": runtime, "version": __version__}
    values.update(origin.values(__version__))
    templates = resources.files(__name__).joinpath("templates")
    rendered: list[tuple[Path, str]] = []
    for template, destination in FILES.items():
        text = templates.joinpath(template).read_text(encoding="utf-8")
        text = _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
        rendered.append((directory / destination.format(package=package), text))
    written = []
    for path, text in rendered:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if origin.kind == "wheel":
        written.append(_wheel_into(Path(origin.location), directory / WHEELS))
    options = origin.values(__version__)["pip_options"]
    return Project(
        project,
        package,
        runtime,
        directory,
        tuple(written),
        install_options=options,
        source=origin.describe(),
    )
