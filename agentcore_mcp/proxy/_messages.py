"""The installed MCP SDK's ``SessionMessage``, built from and dumped to JSON objects, for either major.

mcp 2.x: ``SessionMessage.message`` is one of the ``mcp_types`` envelopes, and per-message HTTP headers
ride in ``ClientMessageMetadata.headers`` (the transport sends them). mcp 1.x: ``message`` is a
``JSONRPCMessage`` root model (the envelope is ``.root``) and there is no per-message header field. These
are the SDK's documented message contract (mcp-wire.md), the one thing the proxy shares with the transport.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Sdk"]


class Sdk:
    """Adapters for the installed ``mcp`` package (imports it when built)."""

    def __init__(self) -> None:
        from mcp.shared.message import SessionMessage

        self.major = int(importlib.metadata.version("mcp").split(".", 1)[0])
        self._session_message = SessionMessage
        self._validate: Callable[[Any], Any]
        self._metadata: Callable[[dict[str, str]], Any] | None = None
        if self.major >= 2:
            from mcp.shared.message import ClientMessageMetadata
            from mcp_types import jsonrpc_message_adapter

            def validate(obj: Any) -> Any:
                return jsonrpc_message_adapter.validate_python(obj, by_name=False)

            self._validate = validate
            self._dump: dict[str, Any] = {"by_alias": True, "exclude_unset": True}
            self._rooted = False
            self._metadata = lambda headers: ClientMessageMetadata(headers=headers)
        else:
            from mcp import types

            self._validate = types.JSONRPCMessage.model_validate  # type: ignore[attr-defined,unused-ignore]
            self._dump = {"by_alias": True, "exclude_none": True}
            self._rooted = True

    @property
    def carries_headers(self) -> bool:
        """Whether a ``SessionMessage`` can carry per-message HTTP headers (mcp 2.x)."""
        return self._metadata is not None

    def message(self, obj: Mapping[str, Any], headers: dict[str, str] | None = None) -> Any:
        """A ``SessionMessage`` for the JSON-RPC object ``obj`` (``pydantic.ValidationError`` if it is not one)."""
        metadata = self._metadata(headers) if headers and self._metadata is not None else None
        return self._session_message(self._validate(obj), metadata=metadata)

    def envelope(self, item: Any) -> Any:
        """The JSON-RPC envelope model inside a ``SessionMessage``."""
        message = item.message
        return message.root if self._rooted else message

    def dump(self, item: Any) -> bytes:
        """One line of JSON for a ``SessionMessage`` (no line breaks: pydantic's JSON never has any)."""
        data: bytes = item.message.model_dump_json(**self._dump).encode()
        return data
