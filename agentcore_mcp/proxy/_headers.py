"""The HTTP headers a 2026-07-28 request must carry, derived from its body (stdio has no headers).

A local client speaking the stateless era over stdio puts the protocol version in
``params._meta["io.modelcontextprotocol/protocolVersion"]``; on HTTP the same request must also say
``MCP-Protocol-Version``, ``Mcp-Method``, ``Mcp-Name`` (tools/call, prompts/get, resources/read) and the
``Mcp-Param-*`` headers the tool's input schema asks for with ``x-mcp-header`` (spec 2026-07-28,
basic/transports). A server rejects a request without them with -32020. Legacy requests need none of
these (the transport adds ``MCP-Protocol-Version`` after the handshake itself).

Header values that are not plain printable ASCII go as ``=?base64?...?=``; with mcp 2.x installed the SDK's
own encoder and ``x-mcp-header`` walker do it (``mcp.shared.inbound``), so both ends agree by construction.
"""

from __future__ import annotations

import base64
import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from agentcore_mcp import _wire as wire

__all__ = ["ParamHeaders", "modern_headers"]

NAME_BEARING = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
_SAFE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
_SENTINEL = re.compile(r"=\?base64\?.*\?=")


def _encode(value: str) -> str:
    """The spec's header value encoding (used only without mcp 2.x; same rule as the SDK's)."""
    if _SAFE.fullmatch(value) and not _SENTINEL.fullmatch(value):
        return value
    return f"=?base64?{base64.b64encode(value.encode()).decode('ascii')}?="


encode_header_value: Callable[[str], str] = _encode
x_mcp_header_map: Callable[[Any], Any] | None = None
mcp_param_headers: Callable[[Any, Mapping[str, Any]], dict[str, str]] | None = None
try:  # mcp 2.x: the SDK's own implementation of the same rules
    inbound: Any = importlib.import_module("mcp.shared.inbound")
except ImportError:  # mcp 1.x speaks only the handshake era; no Mcp-Param-* headers there
    pass
else:
    encode_header_value = inbound.encode_header_value
    x_mcp_header_map = inbound.x_mcp_header_map
    mcp_param_headers = inbound.mcp_param_headers


class ParamHeaders:
    """The ``x-mcp-header`` map of each tool seen in a ``tools/list`` result, for ``Mcp-Param-*`` headers."""

    def __init__(self) -> None:
        self._maps: dict[str, Any] = {}

    def learn(self, tools: Any) -> None:
        if x_mcp_header_map is None or not isinstance(tools, list):
            return
        for tool in tools:
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                try:
                    header_map = x_mcp_header_map(tool.get("inputSchema") or {})
                except Exception:  # a schema the SDK cannot walk: send no Mcp-Param-* for it
                    header_map = {}
                if header_map:
                    self._maps[tool["name"]] = header_map
                else:
                    self._maps.pop(tool["name"], None)

    def for_call(self, name: str, arguments: Any) -> dict[str, str]:
        header_map = self._maps.get(name)
        if header_map is None or mcp_param_headers is None or not isinstance(arguments, Mapping):
            return {}
        headers: dict[str, str] = mcp_param_headers(header_map, arguments)
        return headers


def modern_headers(method: str, params: Any, param_headers: ParamHeaders) -> dict[str, str] | None:
    """The headers for a modern-era request, or None when the request is not of the modern era."""
    if not isinstance(params, Mapping):
        return None
    meta = params.get("_meta")
    version = meta.get(wire.META_PROTOCOL_VERSION) if isinstance(meta, Mapping) else None
    if not isinstance(version, str) or not wire.is_modern_version(version):
        return None
    headers = {wire.MCP_PROTOCOL_VERSION: version, wire.MCP_METHOD: method}
    key = NAME_BEARING.get(method)
    if key is not None and isinstance(params.get(key), str):
        headers[wire.MCP_NAME] = encode_header_value(params[key])
    if method == "tools/call" and isinstance(params.get("name"), str):
        headers.update(param_headers.for_call(params["name"], params.get("arguments")))
    return headers
