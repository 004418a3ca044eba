"""The Skills extension (``io.modelcontextprotocol/skills``, SEP-2640): Agent Skills served as resources.

:class:`Skills` reads skill directories once, when it is made: every file's bytes, their ``sha256`` digests
and sizes, and each ``SKILL.md``'s frontmatter. Added to a server it registers every file as an ordinary
resource at ``skill://<prefix>/<name>/<file-path>`` (``resources/list`` and ``resources/read`` serve them from
memory, so what is read is always what the digests describe), declares the extension (``directoryRead:
true``) and answers ``skills/list``, ``skills/get`` and ``resources/directory/read`` in both eras. In
2026-07-28 the two ``skills/*`` results carry the server's caching hints. Nothing in a skill is ever run:
scripts are files like any other.

An app without skills never imports this module (it is loaded on first use of ``agentcore_mcp.Skills``).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
import sys
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from agentcore_mcp import _wire as rpc
from agentcore_mcp._skill_format import (
    MAX_FILES,
    MAX_TOTAL_BYTES,
    SKILL_FILE,
    digest,
    frontmatter_of,
    is_skill_name,
)
from agentcore_mcp.errors import ProtocolError, RegistrationError
from agentcore_mcp.server._extension import Era, Extension, Method
from agentcore_mcp.server._registration import ResourceOptions

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:
    from importlib.abc import Traversable

if TYPE_CHECKING:
    from agentcore_mcp.server._app import AgentCoreMCP
    from agentcore_mcp.server._call import Call

__all__ = ["SkillSource", "Skills"]

SkillSource = Union[str, "os.PathLike[str]", Traversable]
"""Where skills are read from: a folder path, or package data (``importlib.resources.files("pkg") / "skills"``)."""

SCHEME = "skill://"
DIRECTORY_MIME = "inode/directory"
_MIME = {
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".py": "text/x-python",
    ".sh": "text/x-shellscript",
    ".json": "application/json",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
}
_SKIPPED = frozenset({"__pycache__", ".git"})  # build and VCS litter, never part of a skill


@dataclass(frozen=True)
class SkillFile:
    """One file of a skill, read once: its bytes, digest and the resource it is served as."""

    path: str  # relative to the skill root, '/'-separated
    uri: str
    data: bytes
    mime_type: str
    digest: str

    @property
    def size(self) -> int:
        return len(self.data)

    def content(self) -> str | bytes:
        """What the resource reader returns: text when the bytes are UTF-8 text, else the bytes (a blob)."""
        if b"\0" not in self.data:
            try:
                return self.data.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return self.data


@dataclass(frozen=True)
class Skill:
    """One skill: its ``SKILL.md`` URI, frontmatter and files (``SKILL.md`` first), and its wire entry."""

    uri: str
    frontmatter: Mapping[str, Any]
    files: tuple[SkillFile, ...]

    @property
    def name(self) -> str:
        return str(self.frontmatter["name"])

    @property
    def entry(self) -> dict[str, Any]:
        """The ``Skill`` object of ``skills/list`` and ``skills/get``."""
        return {
            "uri": self.uri,
            "frontmatter": dict(self.frontmatter),
            "resources": [{"uri": f.uri, "digest": f.digest, "size": f.size} for f in self.files],
        }


class Skills(Extension):
    """The Skills extension: ``AgentCoreMCP(..., extensions=[Skills("skills/")])``.

    Each source is a skill directory (it holds a ``SKILL.md``) or a folder of them (each subfolder holding a
    ``SKILL.md`` is a skill); a path, or package data through ``importlib.resources.files(...)``. Every file
    under a skill directory belongs to it (names starting with ``.`` and ``__pycache__`` folders excepted),
    a nested ``SKILL.md`` included, as an ordinary supporting file.

    Args:
        sources: where to read skills from, in order.
        prefix: an organisational prefix of ``/``-separated segments: ``prefix="acme/billing"`` serves the
            skill ``refunds`` at ``skill://acme/billing/refunds/SKILL.md`` (default: none).
        directory_read: declare ``directoryRead`` and answer ``resources/directory/read``.

    Raises:
        RegistrationError: a source is not a folder, a ``SKILL.md`` has no valid frontmatter, its ``name``
            breaks the naming rules or differs from its folder's name, a skill exceeds SEP-2640's limits
            (512 files, 16 MiB), or two skills share a URI.
        MissingExtraError: PyYAML is not installed (``pip install "agentcore-mcp[skills]"``).
    """

    name = rpc.SKILLS_EXTENSION

    def __init__(self, *sources: SkillSource, prefix: str = "", directory_read: bool = True) -> None:
        segments = [s for s in prefix.split("/") if s]
        if any(s in (".", "..") for s in segments):
            raise RegistrationError(f"prefix segments cannot be '.' or '..': {prefix!r}")
        self.prefix = "/".join(segments)
        self.directory_read = directory_read
        self._skills: dict[str, Skill] = {}
        for source in sources:
            for skill in _read_source(_traversable(source), self.prefix):
                if skill.uri in self._skills:
                    raise RegistrationError(f"two skills would be served at {skill.uri}")
                self._skills[skill.uri] = skill
        self._by_uri = {uri: skill.entry for uri, skill in self._skills.items()}  # built once, served as is
        self._entries = list(self._by_uri.values())
        self._directories = _directories(self._skills.values())
        self._server: AgentCoreMCP | None = None

    @property
    def skills(self) -> Mapping[str, Skill]:
        """The skills served, by the URI of their ``SKILL.md``, in the order they were read."""
        return self._skills

    # -- the extension seam ---------------------------------------------------------------------------------

    def bind(self, server: AgentCoreMCP) -> None:
        """Register every skill file on ``server`` as a resource (SKILL.md named and described by its skill)."""
        self._server = server
        for skill in self._skills.values():
            for file in skill.files:
                options = ResourceOptions(mime_type=file.mime_type, size=file.size)
                if file.path == SKILL_FILE:
                    options["name"] = skill.name
                    options["description"] = str(skill.frontmatter["description"])
                else:
                    options["name"] = f"{skill.name}/{file.path}"
                server.add_resource(_reader(file), file.uri, **options)

    def methods(self, era: Era) -> Mapping[str, Method]:
        table: dict[str, Method] = {"skills/list": self._list, "skills/get": self._get}
        if self.directory_read:
            table["resources/directory/read"] = self._read_directory
        return table

    def capability(self, era: Era) -> Mapping[str, Any] | None:
        return {"directoryRead": True} if self.directory_read else {}

    # -- methods ----------------------------------------------------------------------------------------------

    async def _list(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        start, end, after = self._page(params, len(self._entries))
        result: dict[str, Any] = {"skills": self._entries[start:end]}
        if after is not None:
            result["nextCursor"] = after
        return self._cacheable(result, call, list_result=True)

    async def _get(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        uri = params.get("uri")
        if not isinstance(uri, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "skills/get: uri must be a string")
        entry = self._by_uri.get(uri)
        if entry is None:
            raise ProtocolError(rpc.INVALID_PARAMS, f"No skill is served at {uri}", data={"uri": uri})
        return self._cacheable({"skill": entry}, call, list_result=False)

    async def _read_directory(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        uri = params.get("uri")
        if not isinstance(uri, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "resources/directory/read: uri must be a string")
        children = self._directories.get(uri.rstrip("/"))
        if children is None:
            raise ProtocolError(rpc.INVALID_PARAMS, f"{uri} is not a directory resource", data={"uri": uri})
        start, end, after = self._page(params, len(children))
        result: dict[str, Any] = {"resources": children[start:end]}
        if after is not None:
            result["nextCursor"] = after
        return result

    def _page(self, params: Mapping[str, Any], total: int) -> tuple[int, int, str | None]:
        """The slice one page covers, and the cursor of the next page (None: this is the last)."""
        cursor = params.get("cursor")
        start = 0 if cursor is None else _decode_cursor(cursor, total)
        size = (self._server.page_size if self._server is not None else None) or total or 1
        end = start + size
        return start, end, _encode_cursor(end) if end < total else None

    def _cacheable(self, result: dict[str, Any], call: Call, *, list_result: bool) -> dict[str, Any]:
        # 2026-07-28: ListSkillsResult and GetSkillResult are CacheableResults (ttlMs and cacheScope
        # required); the handshake era has no caching hints.
        if call.era == "modern" and self._server is not None:
            hints = self._server.caching
            result["ttlMs"] = hints.list_ttl_ms if list_result else hints.read_ttl_ms
            result["cacheScope"] = hints.scope
        return result


# -- reading skills ---------------------------------------------------------------------------------------


def _traversable(source: SkillSource) -> Traversable:
    if isinstance(source, (str, os.PathLike)):
        return Path(source)
    if isinstance(source, Traversable):
        return source
    raise TypeError(f"a skill source is a path or an importlib.resources Traversable, not {source!r}")


def _read_source(source: Traversable, prefix: str) -> Iterator[Skill]:
    if not source.is_dir():
        raise RegistrationError(f"a skill source must be a folder: {source}")
    if source.joinpath(SKILL_FILE).is_file():
        yield _read_skill(source, prefix)
        return
    found = False
    for child in sorted(source.iterdir(), key=lambda c: c.name):
        if child.is_dir() and child.joinpath(SKILL_FILE).is_file():
            found = True
            yield _read_skill(child, prefix)
    if not found:
        raise RegistrationError(f"no skill in {source}: neither it nor a subfolder holds a {SKILL_FILE}")


def _read_skill(folder: Traversable, prefix: str) -> Skill:
    name = folder.name
    where = f"skill {name!r} ({folder})"
    if not is_skill_name(name):
        raise RegistrationError(
            f"{where}: the folder name must be 1-64 lowercase letters, digits and single hyphens "
            "(the Agent Skills naming rules), as it is the skill's name"
        )
    root = SCHEME + (f"{prefix}/{name}" if prefix else name)
    skill_md = folder.joinpath(SKILL_FILE).read_bytes()
    try:
        frontmatter = frontmatter_of(skill_md.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RegistrationError(f"{where}: {exc}") from None
    if frontmatter["name"] != name:
        raise RegistrationError(
            f"{where}: the frontmatter name {frontmatter['name']!r} must equal the folder name {name!r}"
        )
    files = [_file(root, SKILL_FILE, skill_md)]
    files += [_file(root, path, data) for path, data in _walk(folder, "") if path != SKILL_FILE]
    if len(files) > MAX_FILES:
        raise RegistrationError(f"{where} has {len(files)} files; SEP-2640 hosts accept {MAX_FILES} at most")
    total = sum(f.size for f in files)
    if total > MAX_TOTAL_BYTES:
        raise RegistrationError(
            f"{where} holds {total} bytes; SEP-2640 hosts accept {MAX_TOTAL_BYTES} at most"
        )
    return Skill(uri=f"{root}/{SKILL_FILE}", frontmatter=frontmatter, files=tuple(files))


def _walk(folder: Traversable, base: str) -> Iterator[tuple[str, bytes]]:
    """Every file under ``folder``: its ``/``-separated path below the skill root and its bytes, sorted."""
    for child in sorted(folder.iterdir(), key=lambda c: c.name):
        if child.name.startswith(".") or child.name in _SKIPPED:
            continue
        path = f"{base}{child.name}"
        if child.is_dir():
            yield from _walk(child, f"{path}/")
        elif child.is_file():
            yield path, child.read_bytes()


def _file(root: str, path: str, data: bytes) -> SkillFile:
    suffix = os.path.splitext(path)[1].lower()
    mime = _MIME.get(suffix) or mimetypes.guess_type(path)[0]
    if mime is None:
        mime = "application/octet-stream" if b"\0" in data else "text/plain"
    return SkillFile(path=path, uri=f"{root}/{path}", data=data, mime_type=mime, digest=digest(data))


def _reader(file: SkillFile) -> Callable[[], Coroutine[Any, Any, str | bytes]]:
    content = file.content()

    async def read_skill_file() -> str | bytes:
        return content

    return read_skill_file


def _directories(skills: Iterable[Skill]) -> dict[str, list[dict[str, Any]]]:
    """Every directory of the skill namespace (the prefix levels too) -> its direct children, sorted by name."""
    children: dict[str, dict[str, dict[str, Any]]] = {}
    for skill in skills:
        for file in skill.files:
            parent, _, leaf = file.uri.rpartition("/")
            children.setdefault(parent, {})[leaf] = {
                "uri": file.uri,
                "name": leaf,
                "mimeType": file.mime_type,
                "size": file.size,
            }
            # Each ancestor below the scheme (skill://a, skill://a/b, ...) lists the next level as a directory.
            while parent.count("/") > 2:
                grand, _, segment = parent.rpartition("/")
                children.setdefault(grand, {})[segment] = {
                    "uri": parent,
                    "name": segment,
                    "mimeType": DIRECTORY_MIME,
                }
                parent = grand
    return {uri: [kids[k] for k in sorted(kids)] for uri, kids in children.items()}


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"skills:{offset}".encode()).decode("ascii")


def _decode_cursor(cursor: Any, total: int) -> int:
    try:
        if not isinstance(cursor, str):
            raise ValueError
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        if not text.startswith("skills:"):
            raise ValueError
        offset = int(text[len("skills:") :])
    except (ValueError, UnicodeError, binascii.Error):
        raise ProtocolError(rpc.INVALID_PARAMS, "Invalid cursor") from None
    if not 0 <= offset <= total:
        raise ProtocolError(rpc.INVALID_PARAMS, "Invalid cursor")
    return offset
