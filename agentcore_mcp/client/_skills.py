"""Skills (``io.modelcontextprotocol/skills``, SEP-2640) for the official mcp 2.x ``Client``: list, fetch, verify.

A server publishes each skill as an entry (``skills/list``, ``skills/get``): its ``SKILL.md`` URI, the
``SKILL.md`` frontmatter, and a manifest of every file with its ``sha256`` digest and byte size. The files
themselves are ordinary resources. :class:`SkillsClient` holds the host's side of the bargain: entries are
checked when they arrive, nothing is fetched ahead of need (listing reads no file), and every file read is
checked against the entry it was read for (size, digest, and for ``SKILL.md`` the frontmatter) before it is
handed out; a mismatch raises :class:`~agentcore_mcp.errors.SkillVerificationError` and the bytes are dropped.

Skills are data: this module never runs anything a skill contains. Importing it imports no SDK; the first
request imports mcp 2.x's request models.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentcore_mcp import _wire as rpc
from agentcore_mcp._skill_format import MAX_TOTAL_BYTES, SKILL_FILE, digest, frontmatter_of
from agentcore_mcp.errors import SkillVerificationError

if TYPE_CHECKING:
    from mcp import Client

__all__ = ["SkillEntry", "SkillsClient"]

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_MAX_PAGES = 1000  # a server that keeps answering nextCursor is not paged forever


@dataclass(frozen=True)
class SkillFileEntry:
    """One file of a skill's manifest: its resource URI, ``sha256:{hex}`` digest and size in bytes."""

    uri: str
    digest: str
    size: int


@dataclass(frozen=True)
class SkillEntry:
    """A skill as its server describes it (a ``Skill`` of ``skills/list`` or ``skills/get``), checked.

    Attributes:
        uri: the URI of its ``SKILL.md``; with the server, the skill's identity.
        frontmatter: the ``SKILL.md`` frontmatter as the server published it (``name``, ``description``, ...).
        files: the manifest, ``SKILL.md`` included; None when the server publishes ``"dynamic"`` content
            (no digests: nothing can be verified but the frontmatter).
    """

    uri: str
    frontmatter: Mapping[str, Any]
    files: tuple[SkillFileEntry, ...] | None

    @property
    def name(self) -> str:
        return str(self.frontmatter["name"])

    @property
    def description(self) -> str:
        return str(self.frontmatter["description"])

    @property
    def root(self) -> str:
        """The skill's directory URI: its ``SKILL.md`` URI without ``/SKILL.md``."""
        return self.uri[: -len(SKILL_FILE) - 1]

    @property
    def total_size(self) -> int | None:
        return None if self.files is None else sum(f.size for f in self.files)

    def file(self, path: str) -> SkillFileEntry | None:
        """The manifest entry of ``path`` (relative to the skill root, or a full URI), if listed."""
        uri = path if "://" in path else f"{self.root}/{path.lstrip('/')}"
        return next((f for f in self.files or () if f.uri == uri), None)

    @classmethod
    def from_wire(cls, entry: Any) -> SkillEntry:
        """Check a wire ``Skill`` object (SEP-2640's rules for an entry a host may load) and wrap it.

        Raises:
            SkillVerificationError: a missing or malformed field, a URI whose last skill-path segment is not
                ``frontmatter.name``, or a manifest that does not list the ``SKILL.md``, lists a file twice or
                outside the skill, or carries a malformed digest or size.
        """
        uri = entry.get("uri") if isinstance(entry, Mapping) else None
        if not isinstance(uri, str) or not uri.endswith(f"/{SKILL_FILE}") or "://" not in uri:
            raise SkillVerificationError(
                f"a skill entry's uri must end in /{SKILL_FILE}: {uri!r}", uri=str(uri)
            )
        assert isinstance(entry, Mapping)
        frontmatter = entry.get("frontmatter")
        if not isinstance(frontmatter, Mapping) or not all(
            isinstance(frontmatter.get(k), str) and frontmatter.get(k) for k in ("name", "description")
        ):
            raise SkillVerificationError(
                f"{uri}: the entry's frontmatter lacks a name or description", uri=uri
            )
        segments = uri.split("://", 1)[1].split("/")
        if len(segments) < 2 or segments[-2] != frontmatter["name"]:
            raise SkillVerificationError(
                f"{uri}: the last skill-path segment must equal frontmatter.name {frontmatter['name']!r}",
                uri=uri,
            )
        resources = entry.get("resources")
        files = None if resources == "dynamic" else _manifest(uri, resources)
        return cls(uri=uri, frontmatter=dict(frontmatter), files=files)


def _manifest(uri: str, resources: Any) -> tuple[SkillFileEntry, ...]:
    if not isinstance(resources, list):
        raise SkillVerificationError(
            f'{uri}: resources must be a list or "dynamic", got {resources!r}', uri=uri
        )
    root = uri[: -len(SKILL_FILE)]
    files: list[SkillFileEntry] = []
    for item in resources:
        file_uri = item.get("uri") if isinstance(item, Mapping) else None
        size = item.get("size") if isinstance(item, Mapping) else None
        sha = item.get("digest") if isinstance(item, Mapping) else None
        if not isinstance(file_uri, str) or not (file_uri == uri or file_uri.startswith(root)):
            raise SkillVerificationError(f"{uri}: a listed file is outside the skill: {file_uri!r}", uri=uri)
        if not isinstance(sha, str) or _DIGEST.fullmatch(sha) is None:
            raise SkillVerificationError(f"{uri}: {file_uri} has a malformed digest {sha!r}", uri=uri)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise SkillVerificationError(f"{uri}: {file_uri} has a malformed size {size!r}", uri=uri)
        files.append(SkillFileEntry(file_uri, sha, size))
    listed = [f.uri for f in files]
    if uri not in listed or len(set(listed)) != len(listed):
        raise SkillVerificationError(
            f"{uri}: the manifest must list {SKILL_FILE} and each file once", uri=uri
        )
    return tuple(files)


class SkillsClient:
    """The Skills extension through an open mcp 2.x ``Client``: ``SkillsClient(client)``.

    ``await skills.list()`` pages through ``skills/list`` and ``await skills.get(uri)`` asks for one entry;
    neither reads a file. ``await skills.load(entry)`` fetches the skill's ``SKILL.md`` and returns its text
    once its size, digest and frontmatter match the entry; ``await skills.read(entry, "references/X.md")``
    fetches one listed supporting file, verified the same way, when it is needed.

    Args:
        client: an entered mcp 2.x ``Client`` (either era) whose server declared the extension.
        timeout: seconds to wait for each ``skills/*`` answer (None: the client's own read timeout).

    Raises (from the methods):
        SkillVerificationError: an entry is malformed, or a file is not what the entry says (see the error).
        LookupError: the server did not declare ``io.modelcontextprotocol/skills``.
        mcp.shared.exceptions.MCPError: the server answered with a JSON-RPC error (an unknown skill's
            ``skills/get`` is -32602).
    """

    def __init__(self, client: Client, *, timeout: float | None = None) -> None:
        self._client = client
        self._timeout = timeout

    @property
    def supported(self) -> bool:
        """Whether the server declared the extension (``capabilities.extensions``)."""
        extensions = self._client.server_capabilities.extensions or {}
        return rpc.SKILLS_EXTENSION in extensions

    async def list(self) -> list[SkillEntry]:
        """Every entry ``skills/list`` returns, all pages; no file is read."""
        from agentcore_mcp.client._skill_requests import ListSkills

        entries: list[SkillEntry] = []
        cursor: str | None = None
        for _ in range(_MAX_PAGES):
            page = await self._send(ListSkills.make(cursor))
            skills = page.get("skills")
            if not isinstance(skills, list):
                raise SkillVerificationError("skills/list answered without a skills array", uri="")
            entries.extend(SkillEntry.from_wire(skill) for skill in skills)
            after = page.get("nextCursor")
            if not isinstance(after, str) or not after:
                return entries
            cursor = after
        raise SkillVerificationError(f"skills/list did not end within {_MAX_PAGES} pages", uri="")

    async def get(self, uri: str) -> SkillEntry:
        """The current entry of the skill whose ``SKILL.md`` is at ``uri`` (``skills/get``); no file is read."""
        from agentcore_mcp.client._skill_requests import GetSkill

        answer = await self._send(GetSkill.make(uri))
        entry = SkillEntry.from_wire(answer.get("skill"))
        if entry.uri != uri:
            raise SkillVerificationError(f"skills/get for {uri} answered for {entry.uri}", uri=uri)
        return entry

    async def load(self, skill: SkillEntry) -> str:
        """Fetch ``SKILL.md`` and return its text, verified: size, digest, and frontmatter field by field.

        Raises:
            SkillVerificationError: any check failed; the text is not returned.
        """
        data = await self._fetch(skill, skill.uri)
        try:
            text = data.decode("utf-8")
            fetched = frontmatter_of(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise SkillVerificationError(f"{skill.uri}: {exc}", uri=skill.uri, file=skill.uri) from None
        differing = sorted(
            key
            for key in set(fetched) | set(skill.frontmatter)
            if _canonical(fetched.get(key)) != _canonical(skill.frontmatter.get(key))
        )
        if differing:
            raise SkillVerificationError(
                f"{skill.uri}: the fetched {SKILL_FILE}'s frontmatter differs from the entry's in "
                f"{', '.join(differing)}; the skill must not be loaded",
                uri=skill.uri,
                file=skill.uri,
            )
        return text

    async def read(self, skill: SkillEntry, path: str) -> bytes:
        """Fetch one file of ``skill`` (``path`` relative to the skill root, or its URI), verified.

        Raises:
            SkillVerificationError: the file is not in the entry's manifest (or, for dynamic content, not
                under the skill root), or its size or digest differs.
        """
        uri = path if "://" in path else f"{skill.root}/{path.lstrip('/')}"
        if skill.files is None:
            if not uri.startswith(f"{skill.root}/"):
                raise SkillVerificationError(
                    f"{uri} is outside the skill {skill.uri}", uri=skill.uri, file=uri
                )
        elif skill.file(uri) is None:
            raise SkillVerificationError(
                f"{uri} is not listed in the entry of {skill.uri}: a file the entry does not list is a "
                "change to the skill (refresh it with get())",
                uri=skill.uri,
                file=uri,
            )
        return await self._fetch(skill, uri)

    # -- the wire --------------------------------------------------------------------------------------------

    async def _send(self, request: Any) -> dict[str, Any]:
        from agentcore_mcp.client._skill_requests import Answer

        if not self.supported:
            raise LookupError(f"the server did not declare the {rpc.SKILLS_EXTENSION} extension")
        answer = await self._client.session.send_request(request, Answer, self._timeout)
        dumped: dict[str, Any] = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped

    async def _fetch(self, skill: SkillEntry, uri: str) -> bytes:
        """``resources/read`` of ``uri``, its bytes checked against ``skill``'s manifest entry for it."""
        result = await self._client.read_resource(uri)
        data = _bytes_of(result.model_dump(mode="json", by_alias=True, exclude_none=True), uri, skill)
        listed = skill.file(uri)
        if listed is None:  # dynamic content: no digest to hold it to; the size limit still applies
            if len(data) > MAX_TOTAL_BYTES:
                raise SkillVerificationError(
                    f"{uri} exceeds {MAX_TOTAL_BYTES} bytes", uri=skill.uri, file=uri
                )
            return data
        if len(data) != listed.size:
            raise SkillVerificationError(
                f"{uri}: {len(data)} bytes read, the entry says {listed.size}; the content is not used",
                uri=skill.uri,
                file=uri,
            )
        if digest(data) != listed.digest:
            raise SkillVerificationError(
                f"{uri}: the content's digest {digest(data)} differs from the entry's {listed.digest}; "
                "the content is not used",
                uri=skill.uri,
                file=uri,
            )
        return data


def _bytes_of(result: Mapping[str, Any], uri: str, skill: SkillEntry) -> bytes:
    """The raw bytes of a ``resources/read`` result's content for ``uri`` (text as UTF-8, blobs decoded)."""
    contents = result.get("contents") or []
    item = next((c for c in contents if c.get("uri") == uri), contents[0] if len(contents) == 1 else None)
    if item is None:
        raise SkillVerificationError(
            f"resources/read of {uri} returned no content for it", uri=skill.uri, file=uri
        )
    if isinstance(item.get("text"), str):
        return str(item["text"]).encode("utf-8")
    try:
        return base64.b64decode(str(item.get("blob", "")), validate=True)
    except (binascii.Error, ValueError):
        raise SkillVerificationError(f"{uri}: the blob is not base64", uri=skill.uri, file=uri) from None


def _canonical(value: Any) -> str:
    # JSON text with sorted keys: 1 and True (equal in Python) stay different, as they are in YAML and JSON.
    return json.dumps(value, sort_keys=True)
