"""MCP content blocks a tool can return, and the conversion of return values into a ``tools/call`` result.

A tool returns plain Python and the server picks the wire form:

=====================================  ===============================================================
return value                           result
=====================================  ===============================================================
``str``                                one text block
``None``                               no content
a content block (:class:`Image`, ...)  that block
a list of content blocks               those blocks, in order (strings in the list become text blocks)
:class:`ToolResult`                    exactly what it says
anything else (models, dicts, ...)     ``structuredContent`` plus the same JSON as one text block
=====================================  ===============================================================
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic_core import to_json, to_jsonable_python

__all__ = [
    "Audio",
    "ContentBlock",
    "EmbeddedResource",
    "Image",
    "ResourceLink",
    "Text",
    "ToolResult",
]


def _b64(data: bytes | str) -> str:
    # A str is taken as already base64-encoded, so callers holding encoded data do not pay twice.
    return data if isinstance(data, str) else base64.b64encode(data).decode("ascii")


def _extras(block: dict[str, Any], annotations: dict[str, Any] | None, meta: dict[str, Any] | None) -> None:
    if annotations:
        block["annotations"] = annotations
    if meta:
        block["_meta"] = meta


@dataclass(frozen=True)
class Text:
    """A text block; a plain ``str`` return value becomes one of these."""

    text: str
    annotations: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        block: dict[str, Any] = {"type": "text", "text": self.text}
        _extras(block, self.annotations, self.meta)
        return block


@dataclass(frozen=True)
class _Media:
    data: bytes | str
    mime_type: str
    annotations: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    _kind = "image"

    def to_wire(self) -> dict[str, Any]:
        block: dict[str, Any] = {"type": self._kind, "data": _b64(self.data), "mimeType": self.mime_type}
        _extras(block, self.annotations, self.meta)
        return block


@dataclass(frozen=True)
class Image(_Media):
    """An image block: raw bytes (or base64 text) plus a MIME type such as ``image/png``."""

    @classmethod
    def from_file(cls, path: str | Path, mime_type: str | None = None) -> Image:
        """Read an image file; the MIME type is guessed from the file name unless given."""
        p = Path(path)
        return cls(p.read_bytes(), mime_type or mimetypes.guess_type(p.name)[0] or "application/octet-stream")


@dataclass(frozen=True)
class Audio(_Media):
    """An audio block: raw bytes (or base64 text) plus a MIME type such as ``audio/wav``."""

    _kind = "audio"

    @classmethod
    def from_file(cls, path: str | Path, mime_type: str | None = None) -> Audio:
        """Read an audio file; the MIME type is guessed from the file name unless given."""
        p = Path(path)
        return cls(p.read_bytes(), mime_type or mimetypes.guess_type(p.name)[0] or "application/octet-stream")


@dataclass(frozen=True)
class EmbeddedResource:
    """A resource embedded in the result: give ``text`` for text contents, ``blob`` (bytes) for binary."""

    uri: str
    text: str | None = None
    blob: bytes | str | None = None
    mime_type: str | None = None
    annotations: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.blob is None):
            raise ValueError("EmbeddedResource takes exactly one of text= or blob=")

    def to_wire(self) -> dict[str, Any]:
        contents: dict[str, Any] = {"uri": self.uri}
        if self.mime_type:
            contents["mimeType"] = self.mime_type
        if self.text is not None:
            contents["text"] = self.text
        else:
            assert self.blob is not None
            contents["blob"] = _b64(self.blob)
        block: dict[str, Any] = {"type": "resource", "resource": contents}
        _extras(block, self.annotations, self.meta)
        return block


@dataclass(frozen=True)
class ResourceLink:
    """A link to a resource the client may read later (``resources/read``)."""

    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    size: int | None = None
    annotations: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        block: dict[str, Any] = {"type": "resource_link", "uri": self.uri, "name": self.name}
        for key, value in (
            ("title", self.title),
            ("description", self.description),
            ("mimeType", self.mime_type),
            ("size", self.size),
        ):
            if value is not None:
                block[key] = value
        _extras(block, self.annotations, self.meta)
        return block


ContentBlock = Text | Image | Audio | EmbeddedResource | ResourceLink
CONTENT_TYPES: tuple[type, ...] = (Text, _Media, EmbeddedResource, ResourceLink)


@dataclass
class ToolResult:
    """Full control over a ``tools/call`` result: content blocks, structured content, error flag, ``_meta``."""

    content: Sequence[ContentBlock | str] = ()
    structured_content: dict[str, Any] | None = None
    is_error: bool = False
    meta: dict[str, Any] | None = field(default=None)

    def to_wire(self) -> dict[str, Any]:
        result: dict[str, Any] = {"content": [_block(c) for c in self.content], "isError": self.is_error}
        if self.structured_content is not None:
            result["structuredContent"] = self.structured_content
        if self.meta:
            result["_meta"] = self.meta
        return result


def _block(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"type": "text", "text": item}
    return item.to_wire()  # type: ignore[no-any-return]


def is_content_list(value: Any) -> bool:
    """True for a non-empty list or tuple made only of content blocks (and strings beside them)."""
    if not isinstance(value, (list, tuple)) or not value:
        return False
    has_block = False
    for item in value:
        if isinstance(item, CONTENT_TYPES):
            has_block = True
        elif not isinstance(item, str):
            return False
    return has_block


def text_result(text: str, *, is_error: bool = False) -> dict[str, Any]:
    """A result with one text block."""
    return {"content": [{"type": "text", "text": text}], "isError": is_error}


def to_result(
    value: Any, structured: Any = None, *, has_schema: bool = False, wrapped: bool = False
) -> dict[str, Any]:
    """Turn a tool's return value into the wire ``tools/call`` result.

    ``structured`` is the already serialized structured form when the tool has an output schema;
    ``wrapped`` says it is ``{"result": value}``, in which case the text block shows the bare value.
    """
    if has_schema:
        text = to_json(structured["result"] if wrapped else structured, inf_nan_mode="null").decode()
        return {
            "content": [{"type": "text", "text": text}],
            "structuredContent": structured,
            "isError": False,
        }
    if isinstance(value, str):
        return {"content": [{"type": "text", "text": value}], "isError": False}
    if value is None:
        return {"content": [], "isError": False}
    if isinstance(value, ToolResult):
        return value.to_wire()
    if isinstance(value, CONTENT_TYPES):
        return {"content": [value.to_wire()], "isError": False}  # type: ignore[attr-defined]
    if is_content_list(value):
        return {"content": [_block(v) for v in value], "isError": False}
    # Unannotated structured values: structuredContent must be an object, so wrap everything else.
    jsonable = to_jsonable_python(value)  # raises on what cannot be serialized
    if not isinstance(jsonable, dict):
        jsonable = {"result": jsonable}
        text = to_json(jsonable["result"], inf_nan_mode="null").decode()
    else:
        text = to_json(jsonable, inf_nan_mode="null").decode()
    return {"content": [{"type": "text", "text": text}], "structuredContent": jsonable, "isError": False}


@dataclass(frozen=True)
class PromptMessage:
    """One message of a prompt (or of a sampling request): a role and one content block (``str``: text)."""

    content: ContentBlock | str
    role: Literal["user", "assistant"] = "user"

    def to_wire(self) -> dict[str, Any]:
        content = self.content
        block = {"type": "text", "text": content} if isinstance(content, str) else content.to_wire()
        return {"role": self.role, "content": block}
