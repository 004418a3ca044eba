"""The HTTP headers a 2026-07-28 request must carry, derived from its body (stdio has no headers).

A local client speaking the stateless era over stdio puts the protocol version in
``params._meta["io.modelcontextprotocol/protocolVersion"]``; on HTTP the same request must also say
``MCP-Protocol-Version``, ``Mcp-Method``, ``Mcp-Name`` (tools/call, prompts/get, resources/read) and the
``Mcp-Param-*`` headers the tool's input schema asks for with ``x-mcp-header`` (spec 2026-07-28,
basic/transports). A server rejects a request without them with -32020. Legacy requests need none of
these (the transport adds ``MCP-Protocol-Version`` after the handshake itself).

Header values that are not plain printable ASCII go as ``=?base64?...?=``. ``Mcp-Param-*`` headers come from
the SDK's own ``x-mcp-header`` walker (mcp 2.x ``mcp.shared.inbound``), so both ends agree by construction.
"""

from __future__ import annotations

import base64
import importlib
import re
from collections.abc import Mapping
from typing import Any

from agentcore_mcp import _wire as wire

__all__ = ["ParamHeaders", "modern_headers"]

NAME_BEARING = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
_SAFE = re.compile(r"[\x20-\x7e]*")
_SENTINEL = re.compile(r"=\?base64\?.*\?=")


def encode_header_value(value: str) -> str:
    """The spec's header value encoding: printable ASCII as is, anything else as ``=?base64?...?=``.

    The same rule as mcp 2.x's ``mcp.shared.inbound.encode_header_value`` (a test holds them equal);
    not imported from there because that module imports the whole SDK client (over a second at start).
    """
    if _SAFE.fullmatch(value) and value == value.strip() and not _SENTINEL.fullmatch(value):
        return value
    return f"=?base64?{base64.b64encode(value.encode()).decode('ascii')}?="


class ParamHeaders:
    """The ``x-mcp-header`` map of each tool seen in a ``tools/list`` result, for ``Mcp-Param-*`` headers.

    The maps come from the SDK's own walker (mcp 2.x ``mcp.shared.inbound``), imported only once a listed
    tool uses ``x-mcp-header``; with mcp 1.x no ``Mcp-Param-*`` headers are sent.
    """

    def __init__(self) -> None:
        self._maps: dict[str, Any] = {}
        self._inbound: Any = None

    def _sdk(self) -> Any:
        if self._inbound is None:
            try:
                self._inbound = importlib.import_module("mcp.shared.inbound")
            except ImportError:
                self._inbound = False
        return self._inbound or None

    def learn(self, tools: Any) -> None:
        if not isinstance(tools, list):
            return
        for tool in tools:
            if not isinstance(tool, dict) or "x-mcp-header" not in repr(tool.get("inputSchema")):
                if isinstance(tool, dict):
                    self._maps.pop(str(tool.get("name")), None)
                continue
            inbound = self._sdk()
            if inbound is None:
                return
            if isinstance(tool.get("name"), str):
                try:
                    header_map = inbound.x_mcp_header_map(tool.get("inputSchema") or {})
                except Exception:  # a schema the SDK cannot walk: send no Mcp-Param-* for it
                    header_map = {}
                if header_map:
                    self._maps[tool["name"]] = header_map
                else:
                    self._maps.pop(tool["name"], None)

    def for_call(self, name: str, arguments: Any) -> dict[str, str]:
        header_map = self._maps.get(name)
        if header_map is None or not isinstance(arguments, Mapping):
            return {}
        headers: dict[str, str] = self._sdk().mcp_param_headers(header_map, arguments)
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
