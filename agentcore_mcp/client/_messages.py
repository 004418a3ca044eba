"""The MCP SDK's message types, whichever major is installed: JSON bytes <-> ``SessionMessage``.

mcp 2.x: ``SessionMessage.message`` is one of ``JSONRPCRequest | JSONRPCNotification | JSONRPCResponse |
JSONRPCError`` (from ``mcp_types``), per-message HTTP headers ride in ``ClientMessageMetadata.headers``.
mcp 1.x: ``SessionMessage.message`` is a ``JSONRPCMessage`` root model (the envelope is ``.root``) and
there are no per-message headers. Everything else in this package goes through :data:`SDK`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_json

__all__ = ["Outgoing", "Sdk", "Unencodable", "sdk"]


@dataclass(frozen=True)
class Outgoing:
    """What the transport needs to know about one message the client wrote."""

    body: bytes
    id: Any  # request id (int | str) for requests and for responses to server requests, else None
    method: str | None  # None for responses
    params: Mapping[str, Any] | None
    headers: Mapping[str, str] | None  # the SDK's per-message headers (mcp 2.x)

    @property
    def is_request(self) -> bool:
        return self.method is not None and self.id is not None

    @property
    def is_notification(self) -> bool:
        return self.method is not None and self.id is None


class Unencodable(ValueError):
    """A message the client wrote has no JSON (UTF-8) form, so no body can be sent for it.

    ``id``, ``method`` and ``headers`` are the message's, as in :class:`Outgoing`; ``reason`` says what
    cannot be encoded and, for text (a lone surrogate, undecodable bytes), where in the message it is.
    """

    def __init__(self, id: Any, method: str | None, headers: Mapping[str, str] | None, reason: str) -> None:
        super().__init__(reason)
        self.id = id
        self.method = method
        self.headers = headers
        self.reason = reason


class Sdk:
    """Adapters for the installed ``mcp`` package (built once, see :func:`sdk`)."""

    def __init__(self) -> None:
        import importlib.metadata

        from mcp.shared.message import SessionMessage

        self.version = importlib.metadata.version("mcp")
        self.major = int(self.version.split(".", 1)[0])
        self.SessionMessage = SessionMessage
        self._validate: Callable[[bytes], Any]
        if self.major >= 2:
            from mcp_types import jsonrpc_message_adapter

            self._validate = functools.partial(jsonrpc_message_adapter.validate_json, by_name=False)
            self._dump_kwargs: dict[str, Any] = {"by_alias": True, "exclude_unset": True}
            self._rooted = False
        else:
            from mcp import types

            self._validate = types.JSONRPCMessage.model_validate_json  # type: ignore[attr-defined,unused-ignore]
            self._dump_kwargs = {"by_alias": True, "exclude_none": True}
            self._rooted = True

    def outgoing(self, item: Any) -> Outgoing:
        """Describe a ``SessionMessage`` the client wrote, with its JSON body ready to send.

        Raises:
            Unencodable: the message has no JSON (UTF-8) form.
        """
        message = item.message
        envelope = message.root if self._rooted else message
        headers = getattr(item.metadata, "headers", None)
        request_id = getattr(envelope, "id", None)
        method = getattr(envelope, "method", None)
        try:
            body = message.model_dump_json(**self._dump_kwargs).encode()
        except ValueError as exc:  # pydantic's PydanticSerializationError and UnicodeError both are
            raise Unencodable(request_id, method, headers, _why_unencodable(exc, envelope)) from exc
        return Outgoing(
            body=body,
            id=request_id,
            method=method,
            params=getattr(envelope, "params", None),
            headers=headers,
        )

    def parse(self, data: bytes) -> Any:
        """A ``SessionMessage`` from one JSON-RPC message (raises ``pydantic.ValidationError`` if it is not one)."""
        return self.SessionMessage(self._validate(data))

    def envelope(self, session_message: Any) -> Any:
        """The JSON-RPC envelope model inside a ``SessionMessage`` (unwrapping mcp 1.x's root model)."""
        message = session_message.message
        return message.root if self._rooted else message

    def error(self, request_id: Any, code: int, message: str, data: Any = None) -> Any:
        """A ``SessionMessage`` carrying a JSON-RPC error response for ``request_id``."""
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        return self.parse(to_json({"jsonrpc": "2.0", "id": request_id, "error": error}))


def _why_unencodable(exc: ValueError, envelope: Any) -> str:
    """What in ``envelope`` has no JSON form, from the serialiser's error, and where when it is text."""
    detail = str(exc).removeprefix("Error serializing to JSON: ").splitlines()[0] if str(exc) else ""
    detail = detail or type(exc).__name__
    for field in ("params", "result", "error"):
        found = _find_unencodable_text(getattr(envelope, field, None), field)
        if found is not None:
            where, is_key = found
            what = f"a key in {where}" if is_key else f"the value at {where}"
            reason = f"{what} cannot be encoded as JSON: {detail}"
            if "surrogates not allowed" in detail:
                # The usual source, named so the caller can find it: bytes decoded with surrogateescape
                # (command-line arguments, file names) that were not UTF-8.
                reason += " (a lone surrogate: text decoded from bytes that are not UTF-8)"
            return reason
    return f"the message cannot be encoded as JSON: {detail}"


def _find_unencodable_text(value: Any, path: str) -> tuple[str, bool] | None:
    """The path of the first str (value or key) or bytes in ``value`` with no UTF-8 form; True: a key."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:  # a stack, not recursion: arguments nested deeper than the recursion limit are valid
        node, where = stack.pop()
        if isinstance(node, str | bytes):
            if not _encodes(node):
                return where, False
        elif isinstance(node, Mapping):
            children: list[tuple[Any, str]] = []
            for key, child in node.items():
                if isinstance(key, str) and not _encodes(key):
                    return where, True
                name = f".{key}" if isinstance(key, str) and key.isidentifier() else f"[{key!r}]"
                children.append((child, where + name))
            stack.extend(reversed(children))  # depth first, in the message's order
        elif isinstance(node, list | tuple):
            stack.extend((child, f"{where}[{i}]") for i, child in reversed(list(enumerate(node))))
    return None


def _encodes(text: str | bytes) -> bool:
    try:
        if isinstance(text, str):
            text.encode("utf-8")
        else:
            text.decode("utf-8")
    except UnicodeError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def sdk() -> Sdk:
    """The adapters for the installed mcp SDK (imports ``mcp`` on first use)."""
    return Sdk()
