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

__all__ = ["Outgoing", "Sdk", "sdk"]


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
        """Describe a ``SessionMessage`` the client wrote, with its JSON body ready to send."""
        message = item.message
        envelope = message.root if self._rooted else message
        body = message.model_dump_json(**self._dump_kwargs).encode()
        headers = getattr(item.metadata, "headers", None)
        return Outgoing(
            body=body,
            id=getattr(envelope, "id", None),
            method=getattr(envelope, "method", None),
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


@functools.lru_cache(maxsize=1)
def sdk() -> Sdk:
    """The adapters for the installed mcp SDK (imports ``mcp`` on first use)."""
    return Sdk()
