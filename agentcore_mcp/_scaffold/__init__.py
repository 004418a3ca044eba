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

__all__ = ["FILES", "Project", "ScaffoldError", "Source", "create_project", "names_for", "source_for"]

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


@dataclass(frozen=True)
class Source:
    """Where a new project gets agentcore-mcp: the index, a wheel put in its ``wheels/``, or a VCS URL."""

    kind: str  # "index" | "wheel" | "vcs"
    location: str = ""  # the wheel file to copy, or the VCS URL

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
    """Read ``--source``: None (the index), a ``.whl`` file, a source directory, a VCS URL, or ``installed``
    (wherever this agentcore-mcp was installed from, when that was a path or a VCS URL).

    Raises:
        ScaffoldError: a path that is neither a wheel nor a directory with a ``pyproject.toml``.
    """
    if not spec:
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
            "a VCS URL; leave --source out"
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

    ``source`` says where the project gets agentcore-mcp (see :func:`source_for`); with a wheel or a
    source directory the wheel is put in the project's ``wheels/``.

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
    return Project(project, package, runtime, directory, tuple(written), install_options=options)
