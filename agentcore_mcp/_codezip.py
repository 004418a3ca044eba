"""The code zip of a direct code deployment: a project (or one module) and its dependencies, for AgentCore.

AgentCore Runtime's direct code deployment runs a ``.zip`` from S3 on a managed Linux runtime
(``codeConfiguration``: ``PYTHON_3_10`` … ``PYTHON_3_14``, arm64 by default). :func:`build_code_zip` makes
that zip on any machine:

- **resolve**: the project's wheel is built (``pip wheel --no-deps``), and pip resolves it with its
  dependencies for the target, from wheels only (``pip install --target --platform manylinux2014_<arch>
  --python-version X.Y --implementation cp --only-binary=:all:``): native packages are the target's, never
  this machine's. A package without a wheel for the target is one :class:`CodeZipError` naming it.
- **build**: the installed tree plus ``main.py`` (the entry point: it serves the app as ``agentcore-mcp
  serve`` does) go into the zip with POSIX modes (files 0644, executables and directories 0755), a fixed
  timestamp and sorted entries, so the same inputs give the same bytes (and an unchanged project is not
  uploaded again). Console scripts (``bin/``) and bytecode are left out: they are this machine's.

agentcore-mcp itself comes from the index, or, when this copy was installed from a checkout or a wheel,
from that checkout or wheel (it is not on every index). A project's ``wheels/`` folder (``agentcore-mcp
init --source``) is searched too.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from agentcore_mcp.errors import CodeZipError, InvalidRuntimeSpec

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_RUNTIME",
    "ENTRY_POINT",
    "RUNTIMES",
    "CodeZip",
    "build_code_zip",
    "platform_tag",
]

#: The managed Python runtimes of ``codeConfiguration.runtime`` and their Python versions.
RUNTIMES = {
    "PYTHON_3_10": "3.10",
    "PYTHON_3_11": "3.11",
    "PYTHON_3_12": "3.12",
    "PYTHON_3_13": "3.13",
    "PYTHON_3_14": "3.14",
}
DEFAULT_RUNTIME = "PYTHON_3_13"
#: ``--architecture`` -> the machine name in a manylinux platform tag.
ARCHITECTURES = {"arm64": "aarch64", "x86_64": "x86_64"}
DEFAULT_ARCHITECTURE = "arm64"
#: The file the zip's ``entryPoint`` names (AgentCore's examples call it main.py too).
ENTRY_POINT = "main.py"

# 1980-01-01, the earliest time a zip entry can hold: every entry gets it, so builds do not differ by mtime.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_LEFT_OUT_DIRS = frozenset({"bin", "__pycache__"})
_NO_MATCH = re.compile(r"No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)")
_WANTED_BY = re.compile(
    r"satisfies the requirement ([A-Za-z0-9][A-Za-z0-9._-]*)[^\n]*?\(from ([A-Za-z0-9][A-Za-z0-9._-]*)"
)
_WHEEL_NAME = re.compile(r"(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl")

Stage = Callable[[str, str], None]


@dataclass(frozen=True)
class CodeZip:
    """A built code zip.

    Attributes:
        path: the zip file.
        sha256: its SHA-256 (hex); equal for equal inputs.
        size: its size in bytes.
        entry_point: the ``codeConfiguration.entryPoint`` that runs it.
        runtime: the managed runtime it was resolved for (``PYTHON_3_13``).
        architecture: ``arm64`` or ``x86_64``.
        app: the app spec ``main.py`` serves (``my_tools.server``).
        packages: ``(name, version)`` of every distribution in the zip, sorted.
    """

    path: Path
    sha256: str
    size: int
    entry_point: tuple[str, ...]
    runtime: str
    architecture: str
    app: str
    packages: tuple[tuple[str, str], ...]


def platform_tag(architecture: str) -> str:
    """The manylinux platform tag pip resolves for (``manylinux2014_aarch64`` for arm64).

    Raises:
        InvalidRuntimeSpec: not ``arm64`` or ``x86_64``.
    """
    machine = ARCHITECTURES.get(architecture)
    if machine is None:
        raise InvalidRuntimeSpec(f"the architecture is arm64 or x86_64, got {architecture!r}")
    return f"manylinux2014_{machine}"


def python_version(runtime: str) -> str:
    """The Python version of a managed runtime (``PYTHON_3_13`` -> ``3.13``).

    Raises:
        InvalidRuntimeSpec: not one of :data:`RUNTIMES` (``NODE_22`` included: this builds Python zips).
    """
    version = RUNTIMES.get(runtime)
    if version is None:
        raise InvalidRuntimeSpec(
            f"the runtime is one of {', '.join(RUNTIMES)} (a Python code zip), got {runtime!r}"
        )
    return version


def build_code_zip(
    source: Path,
    *,
    output: Path | None = None,
    runtime: str = DEFAULT_RUNTIME,
    architecture: str = DEFAULT_ARCHITECTURE,
    app: str | None = None,
    requirements: Sequence[str] = (),
    find_links: Sequence[Path] = (),
    on_stage: Stage | None = None,
) -> CodeZip:
    """Build the code zip of ``source``: a project directory (with a ``pyproject.toml``) or one ``.py`` file.

    Args:
        output: where to write the zip (default ``dist/<name>-<runtime>-<architecture>.zip`` in the
            project, or for a file in the current directory).
        runtime: the managed runtime (:data:`RUNTIMES`); its Python version is resolved for.
        architecture: ``arm64`` (the default) or ``x86_64``.
        app: the app spec ``main.py`` serves (``package.module[:attr]``); default: a project's
            ``<package>/server.py``, or the file's module.
        requirements: more requirements (for a file: besides agentcore-mcp; for a project: besides its own).
        find_links: more folders of wheels for pip.
        on_stage: called with ``(stage, detail)`` as each stage (``resolve``, ``build``) begins.

    Raises:
        CodeZipError: a package has no wheel for the target, or the project's wheel cannot be built.
        InvalidRuntimeSpec: an unknown runtime or architecture, or a source that is neither a project nor
            a ``.py`` file.
    """
    pyversion = python_version(runtime)
    platform = platform_tag(architecture)
    source = source.resolve()
    is_file = _is_module_file(source)
    name = source.stem if is_file else source.name
    output = output or (Path.cwd() if is_file else source) / "dist" / f"{name}-{runtime}-{architecture}.zip"
    notify = on_stage or (lambda stage, detail: None)
    links = [*find_links]
    if not is_file and (source / "wheels").is_dir():
        links.append(source / "wheels")  # a project's own wheels folder, as `agentcore-mcp init` makes it

    spec, packages = _assemble(
        source, is_file, output, app, requirements, (platform, pyversion), links, notify
    )
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    return CodeZip(
        path=output,
        sha256=digest,
        size=output.stat().st_size,
        entry_point=(ENTRY_POINT,),
        runtime=runtime,
        architecture=architecture,
        app=spec,
        packages=packages,
    )


def _assemble(
    source: Path,
    is_file: bool,
    output: Path,
    app: str | None,
    requirements: Sequence[str],
    target_platform: tuple[str, str],
    links: list[Path],
    notify: Stage,
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Install what the zip needs into a scratch folder for ``target_platform`` (platform tag, Python
    version), add ``main.py`` and write ``output`` (atomically); the app spec and the packages zipped."""
    platform, pyversion = target_platform
    with tempfile.TemporaryDirectory(prefix="agentcore-mcp-zip-") as scratch:
        work = Path(scratch)
        wheels = work / "wheels"
        wheels.mkdir()
        target = work / "target"
        wanted, spec = _wanted(source, is_file, wheels, app, requirements)
        if _needs_this_library(wanted, wheels):
            _this_library_into(wheels)
        notify("resolve", f"{', '.join(wanted)} for {platform}, CPython {pyversion} (wheels only)")
        _install(wanted, target, platform=platform, pyversion=pyversion, links=[wheels, *links])
        if is_file:
            shutil.copyfile(source, target / source.name)
        _write_launcher(target, spec, is_file)
        packages = _distributions(target)
        notify("build", f"zipping {len(packages)} packages and {ENTRY_POINT} into {output}")
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        _write_zip(target, partial)
        os.replace(partial, output)
    return spec, packages


def _is_module_file(source: Path) -> bool:
    """True for one ``.py`` file, False for a project directory; anything else is ``InvalidRuntimeSpec``."""
    if source.is_file() and source.suffix == ".py":
        return True
    if not (source / "pyproject.toml").is_file():
        raise InvalidRuntimeSpec(
            f"{source} is neither a project directory (with a pyproject.toml) nor a .py file"
        )
    return False


def _wanted(
    source: Path, is_file: bool, wheels: Path, app: str | None, requirements: Sequence[str]
) -> tuple[list[str], str]:
    """What pip installs into the zip, and the app spec ``main.py`` serves. A file needs this library (at
    this version); a project is built into ``wheels`` first and installed as its own wheel."""
    from agentcore_mcp import __version__

    if is_file:
        return [f"agentcore-mcp=={__version__}", *requirements], app or source.stem
    project = _wheel_of(source, wheels)
    match = _WHEEL_NAME.fullmatch(project.name)
    assert match is not None, project.name  # pip names the wheels it builds
    return [f"{match['name']}=={match['version']}", *requirements], app or _default_app(project)


def _write_launcher(target: Path, spec: str, is_file: bool) -> None:
    """Write ``main.py`` (the entry point serving ``spec``) into ``target``; one already there is an error."""
    launcher = target / ENTRY_POINT
    if launcher.exists():
        raise CodeZipError(
            f"the zip already holds a {ENTRY_POINT} (from {'the source' if is_file else 'a package'}); "
            "it is the entry point agentcore-mcp writes: rename yours"
        )
    launcher.write_text(_launcher(spec), encoding="utf-8")


def _launcher(spec: str) -> str:
    return (
        '"""The code zip\'s entry point (written by agentcore-mcp deploy): serve the app as '
        "`agentcore-mcp serve` does.\n\n"
        "AGENTCORE_MCP_HOST and AGENTCORE_MCP_PORT apply (AgentCore: 0.0.0.0:8000, path /mcp).\n"
        '"""\n\n'
        "import sys\n\n"
        "from agentcore_mcp.cli import main\n\n"
        f"sys.exit(main([{'serve'!r}, {spec!r}]))\n"
    )


def _pip(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *arguments]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _wheel_of(project: Path, wheels: Path) -> Path:
    """Build ``project``'s wheel (no dependencies) into ``wheels``; its path."""
    command = ["wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels)]
    if _build_offline(project):
        command.append("--no-build-isolation")
    before = set(wheels.glob("*.whl"))
    done = _pip([*command, str(project)])
    built = sorted(set(wheels.glob("*.whl")) - before)
    if done.returncode != 0 or len(built) != 1:
        raise CodeZipError(f"could not build a wheel of {project}: {_last_error(done)}")
    return built[0]


def _build_offline(project: Path) -> bool:
    """True when the project builds with hatchling and this environment has it (no download needed)."""
    import importlib.util

    text = (project / "pyproject.toml").read_text(encoding="utf-8", errors="replace")
    return "hatchling" in text and importlib.util.find_spec("hatchling") is not None


def _default_app(wheel: Path) -> str:
    """``<package>.server`` when the project's wheel holds one package with a ``server.py``."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    packages = sorted({n.split("/", 1)[0] for n in names if "/" in n and ".dist-info/" not in n})
    servers = [p for p in packages if f"{p}/server.py" in names]
    if len(servers) != 1:
        raise CodeZipError(
            f"cannot tell which app to serve (packages in the project: {', '.join(packages) or 'none'}): "
            "pass --app package.module[:attr]"
        )
    return f"{servers[0]}.server"


def _needs_this_library(wanted: Iterable[str], wheels: Path) -> bool:
    """True when a requirement, or the project's wheel, asks for agentcore-mcp."""
    if any(re.match(r"agentcore[-_.]mcp\b", requirement, re.I) for requirement in wanted):
        return True
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            metadata = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            text = archive.read(metadata[0]).decode("utf-8", errors="replace") if metadata else ""
        if re.search(r"^Requires-Dist: agentcore[-_.]mcp\b", text, re.I | re.M):
            return True
    return False


def _this_library_into(wheels: Path) -> None:
    """A wheel of this agentcore-mcp into ``wheels`` when it came from a checkout or a wheel file.

    An index install needs nothing here: pip finds the same release on the index.
    """
    from agentcore_mcp._scaffold import ScaffoldError, default_source

    try:
        origin = default_source()
    except ScaffoldError:
        return
    if origin.kind != "wheel":
        return
    location = Path(origin.location)
    if location.is_file():
        shutil.copy2(location, wheels)
        return
    _wheel_of(location, wheels)


def _install(wanted: list[str], target: Path, *, platform: str, pyversion: str, links: list[Path]) -> None:
    arguments = [
        "install",
        "--quiet",
        "--target",
        str(target),
        "--platform",
        platform,
        "--python-version",
        pyversion,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--no-compile",
    ]
    for link in links:
        arguments += ["--find-links", str(link)]
    done = _pip([*arguments, *wanted])
    if done.returncode == 0:
        return
    output = done.stderr + done.stdout
    missing = _NO_MATCH.search(output)
    if missing is None:
        raise CodeZipError(f"pip could not resolve the dependencies: {_last_error(done)}")
    package = missing.group(1)
    wanted_by = next((m.group(2) for m in _WANTED_BY.finditer(output) if m.group(1) == package), None)
    raise CodeZipError(
        f"no wheel of {package}{f' (needed by {wanted_by})' if wanted_by else ''} for {platform}, "
        f"CPython {pyversion}: a code zip holds wheels only (nothing is compiled), so pick a version of "
        f"{package} that publishes one, or deploy a container image instead (--image)",
        package=package,
    )


def _last_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or [f"exit status {done.returncode}"])[-1]


def _distributions(target: Path) -> tuple[tuple[str, str], ...]:
    found = []
    for metadata in target.glob("*.dist-info/METADATA"):
        headers = HeaderParser().parsestr(metadata.read_text(encoding="utf-8", errors="replace"))
        found.append((str(headers.get("Name", metadata.parent.name)), str(headers.get("Version", "?"))))
    return tuple(sorted(found, key=lambda item: item[0].lower()))


def _write_zip(root: Path, path: Path) -> None:
    """Zip ``root``'s tree: sorted entries, one timestamp, POSIX modes, no bytecode or console scripts."""
    entries: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not (here == root and d in _LEFT_OUT_DIRS) and d != "__pycache__")
        relative = here.relative_to(root).as_posix()
        if relative != ".":
            entries.append((relative + "/", here))
        entries.extend(
            ((here / name).relative_to(root).as_posix(), here / name)
            for name in files
            if not name.endswith((".pyc", ".pyo"))
        )
    entries.sort(key=lambda entry: entry[0])
    with zipfile.ZipFile(path, "w") as archive:
        for name, file in entries:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.create_system = 3  # Unix: the external attributes below are POSIX modes
            if name.endswith("/"):
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
                archive.writestr(info, b"")
                continue
            executable = os.stat(file).st_mode & stat.S_IXUSR
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes(), compresslevel=9)
