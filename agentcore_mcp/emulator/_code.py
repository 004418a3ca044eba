"""Code runtimes: the zip a direct code deployment names, fetched from (moto's) S3 and unpacked to run.

A :class:`CodeBundle` is one runtime version's ``codeConfiguration``. :meth:`CodeBundle.prepare` (once per
bundle, in a thread) reads the object from S3, unpacks it with its POSIX modes into a folder of its own,
and looks at every distribution's ``WHEEL`` tags: a native package built for another platform or Python
(an arm64 ``cp313`` zip on an x86_64 machine) cannot be loaded here, so its files are taken out and the
same pinned versions are installed for this machine instead (``pip install --no-deps --only-binary``,
cached by the set of pins and this interpreter's tag). Everything else — the project's code,
agentcore-mcp, every pure-Python dependency — is the zip's own: a session runs what was deployed, never the
working tree. The substitution is logged as a warning (and kept in :attr:`Prepared.substituted`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from io import BytesIO
from pathlib import Path

__all__ = ["CodeBundle", "CodeUnavailable", "Prepared", "host_cache"]

logger = logging.getLogger("agentcore_mcp.emulator")


class CodeUnavailable(Exception):
    """The code zip cannot be read, unpacked or run on this machine (callers get 424, with this reason)."""


@dataclass(frozen=True)
class Prepared:
    """A code zip unpacked and ready to run.

    Attributes:
        root: the unpacked zip (the working directory, and the entry point's folder).
        command: the entry point as arguments after the interpreter (``["main.py"]``).
        host_packages: a folder of host builds of the zip's foreign native packages, or None.
        substituted: ``name==version`` of each package taken from ``host_packages`` instead of the zip.
        sha256: the zip's SHA-256.
    """

    root: Path
    command: tuple[str, ...]
    host_packages: Path | None
    substituted: tuple[str, ...]
    sha256: str


def host_cache() -> Path:
    """Where host builds of foreign native packages are kept between runs (``~/.cache/agentcore-mcp``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "agentcore-mcp" / "host-packages"


@dataclass(eq=False)
class CodeBundle:
    """One runtime version's code zip: where it is, what runs it, and (once prepared) where it was unpacked.

    Args:
        bucket, key, version_id: the S3 object (``codeConfiguration.code.s3``).
        entry_point: ``codeConfiguration.entryPoint`` (a ``.py`` file in the zip, run by this Python).
        runtime: ``codeConfiguration.runtime`` (``PYTHON_3_13``).
        fetch: reads the object's bytes (``(bucket, key, version_id) -> bytes``); raises on failure.
        workdir: the folder bundles are unpacked under.
    """

    bucket: str
    key: str
    version_id: str | None
    entry_point: tuple[str, ...]
    runtime: str
    fetch: Callable[[str, str, str | None], bytes]
    workdir: Path
    _prepared: Prepared | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.key}" + (f"?versionId={self.version_id}" if self.version_id else "")

    def prepare(self) -> Prepared:
        """Fetch, unpack and (where needed) complete the zip for this machine; once per bundle.

        Raises:
            CodeUnavailable: the object cannot be read, is not a zip, has no such entry point, or a
                host build of one of its native packages cannot be installed.
        """
        with self._lock:
            if self._prepared is None:
                self._prepared = self._prepare()
            return self._prepared

    def _prepare(self) -> Prepared:
        if not self.runtime.startswith("PYTHON_"):
            raise CodeUnavailable(f"the local emulator runs Python code runtimes, not {self.runtime}")
        script = self.entry_point[-1] if self.entry_point else ""
        if len(self.entry_point) != 1 or not script.endswith(".py"):
            raise CodeUnavailable(
                f"the local emulator runs an entry point of one .py file, got {list(self.entry_point)}"
            )
        try:
            data = self.fetch(self.bucket, self.key, self.version_id)
        except Exception as exc:
            raise CodeUnavailable(f"cannot read the code zip {self.location}: {exc}") from None
        digest = hashlib.sha256(data).hexdigest()
        root = self.workdir / digest[:16]
        if root.exists():
            shutil.rmtree(root)
        try:
            _unpack(data, root)
        except zipfile.BadZipFile as exc:
            raise CodeUnavailable(f"the code zip {self.location} is not a zip file: {exc}") from None
        if not (root / script).is_file():
            raise CodeUnavailable(f"the code zip {self.location} has no {script} (its entry point)")
        foreign = _foreign_distributions(root)
        host: Path | None = None
        if foreign:
            for _, _, files in foreign:
                for relative in files:
                    (root / relative).unlink(missing_ok=True)
            pins = sorted(f"{name}=={version}" for name, version, _ in foreign)
            host = _host_packages(pins)
            logger.warning(
                "code zip %s: %s %s built for another platform; running the zip's own code with the same "
                "versions installed for this machine (Python %d.%d, cached in %s)",
                self.location,
                ", ".join(pins),
                "is" if len(pins) == 1 else "are",
                *sys.version_info[:2],
                host,
            )
            substituted = tuple(pins)
        else:
            substituted = ()
        return Prepared(root, (script,), host, substituted, digest)


def _unpack(data: bytes, root: Path) -> None:
    """Extract every entry (zipfile refuses absolute and ``..`` paths), then apply its POSIX mode."""
    with zipfile.ZipFile(BytesIO(data)) as archive:
        archive.extractall(root)
        for info in archive.infolist():
            mode = stat.S_IMODE(info.external_attr >> 16)
            if info.create_system == 3 and mode:
                path = root / info.filename
                if path.exists() and not path.is_symlink():
                    path.chmod(mode | (0o700 if info.is_dir() else 0o600))  # the owner may still clean up


def _host_tags() -> frozenset[str]:
    from packaging.tags import sys_tags

    return frozenset(str(tag) for tag in sys_tags())


def _foreign_distributions(root: Path) -> list[tuple[str, str, list[str]]]:
    """``(name, version, files)`` of each distribution whose wheel tags this interpreter cannot load."""
    from packaging.tags import parse_tag

    host = _host_tags()
    foreign = []
    for wheel in sorted(root.glob("*.dist-info/WHEEL")):
        headers = HeaderParser().parsestr(wheel.read_text(encoding="utf-8", errors="replace"))
        tags = {str(tag) for value in headers.get_all("Tag") or [] for tag in parse_tag(value)}
        if not tags or tags & host:
            continue
        info = wheel.parent
        metadata = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8", errors="replace"))
        record = (info / "RECORD").read_text(encoding="utf-8", errors="replace").splitlines()
        files = [line.rsplit(",", 2)[0] for line in record if line.strip()]
        foreign.append((str(metadata["Name"]), str(metadata["Version"]), files))
    return foreign


def _host_packages(pins: list[str]) -> Path:
    """A folder with ``pins`` installed for this interpreter and platform (built once, then reused)."""
    from packaging.tags import sys_tags

    tag = str(next(iter(sys_tags())))
    key = hashlib.sha256("\n".join([tag, *pins]).encode()).hexdigest()[:24]
    folder = host_cache() / key
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=folder.parent))
    command = [
        sys.executable,
        "-m",
        "pip",
        "--disable-pip-version-check",
        "--no-input",
        "install",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--no-compile",
        "--target",
        str(staging),
        *pins,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        lines = [line for line in done.stderr.splitlines() if line.startswith("ERROR")] or ["pip failed"]
        raise CodeUnavailable(f"cannot install {', '.join(pins)} for this machine: {lines[-1]}")
    try:
        staging.rename(folder)
    except OSError:  # another run built it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return folder
