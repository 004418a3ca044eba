"""The envelope rules of both eras: which era a request speaks, and what a modern request must carry.

The era of a request is decided from its body and its headers together: a body carrying the modern
``_meta`` envelope, or an ``MCP-Protocol-Version`` header that is not a handshake version, makes the request
modern (2026-07-28); anything else is legacy (the handshake era). A modern request must carry the envelope
keys, and its routing headers (``MCP-Protocol-Version``, ``Mcp-Method``, ``Mcp-Name``, ``Mcp-Param-*``) must
match its body; a mismatch is -32020 (HEADER_MISMATCH). Pure functions: no I/O, no state.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError
from agentcore_mcp.server._call import Era, Routing

if TYPE_CHECKING:
    from agentcore_mcp.server._tools import Tool

__all__ = ["check_modern", "check_param_headers", "classify", "decode_header_value", "http_status"]

# HTTP status of a JSON-RPC error, per era (errors not listed stay in a 200 answer).
_MODERN_STATUS = {
    rpc.PARSE_ERROR: 400,
    rpc.INVALID_REQUEST: 400,
    rpc.INVALID_PARAMS: 400,
    rpc.HEADER_MISMATCH: 400,
    rpc.MISSING_CLIENT_CAPABILITY: 400,
    rpc.UNSUPPORTED_PROTOCOL_VERSION: 400,
    rpc.METHOD_NOT_FOUND: 404,
}
_LEGACY_STATUS = {rpc.PARSE_ERROR: 400, rpc.INVALID_REQUEST: 400, rpc.UNSUPPORTED_PROTOCOL_VERSION: 400}

# Methods whose target is echoed in the ``Mcp-Name`` header, and the param that holds it.
_NAME_PARAM = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
_BASE64_VALUE = re.compile(r"^=\?base64\?(.*)\?=$", re.DOTALL)
_ENVELOPE_KEYS = (rpc.META_PROTOCOL_VERSION, rpc.META_CLIENT_CAPABILITIES)
_LEGACY_VERSIONS = frozenset(rpc.LEGACY_VERSIONS)


def http_status(code: int, era: Era) -> int:
    """The HTTP status that carries a JSON-RPC error of ``code`` in ``era``."""
    return (_MODERN_STATUS if era == "modern" else _LEGACY_STATUS).get(code, 200)


def classify(params: Any, headers: Routing) -> Era:
    """The era of a request: its ``_meta`` envelope, else its ``MCP-Protocol-Version`` header."""
    if isinstance(params, dict):
        meta = params.get("_meta")
        if isinstance(meta, dict) and rpc.META_PROTOCOL_VERSION in meta:
            return "modern"
    # rpc.is_modern_version, without its frame (every request is classified)
    version = headers.version
    return "legacy" if version is None or version in _LEGACY_VERSIONS else "modern"


def decode_header_value(value: str) -> str | None:
    """Decode a routing header value (``=?base64?...?=`` for values that are not header-safe).

    Returns None when the value claims base64 but is not canonical base64 of UTF-8 text.
    """
    match = _BASE64_VALUE.match(value)
    if match is None:
        return value
    encoded = match.group(1)
    try:
        raw = base64.b64decode(encoded, validate=True)
        if base64.b64encode(raw).decode("ascii") != encoded:
            return None
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def check_modern(
    method: str, params: Mapping[str, Any] | None, headers: Routing
) -> tuple[str, Mapping[str, Any]]:
    """The protocol version and ``_meta`` of a modern request, once its envelope and headers check out.

    Raises:
        ProtocolError: -32602 for a missing or mistyped envelope, -32020 for a header that is missing,
            repeated or does not match the body, -32022 for a version this server does not speak.
    """
    if headers.dup is not None:
        raise ProtocolError(rpc.HEADER_MISMATCH, f"{headers.dup} header appears more than once")
    meta = params.get("_meta") if params else None
    if not isinstance(meta, dict):
        raise ProtocolError(
            rpc.INVALID_PARAMS,
            "params._meta must be an object carrying the "
            f"{rpc.META_PROTOCOL_VERSION!r} and {rpc.META_CLIENT_CAPABILITIES!r} envelope keys",
        )
    if rpc.META_PROTOCOL_VERSION not in meta or rpc.META_CLIENT_CAPABILITIES not in meta:
        missing = [k for k in _ENVELOPE_KEYS if k not in meta]
        raise ProtocolError(
            rpc.INVALID_PARAMS, f"params._meta is missing the required envelope key(s): {', '.join(missing)}"
        )
    version = meta[rpc.META_PROTOCOL_VERSION]
    if not isinstance(version, str):
        raise ProtocolError(rpc.INVALID_PARAMS, f"{rpc.META_PROTOCOL_VERSION} must be a string")
    if not isinstance(meta[rpc.META_CLIENT_CAPABILITIES], dict):
        raise ProtocolError(rpc.INVALID_PARAMS, f"{rpc.META_CLIENT_CAPABILITIES} must be an object")
    if headers.version is None:
        raise ProtocolError(rpc.HEADER_MISMATCH, "MCP-Protocol-Version header is required")
    if headers.version != version:
        raise ProtocolError(rpc.HEADER_MISMATCH, "MCP-Protocol-Version header does not match params._meta")
    if headers.method is None:
        raise ProtocolError(rpc.HEADER_MISMATCH, "Mcp-Method header is required")
    if headers.method != method:
        raise ProtocolError(rpc.HEADER_MISMATCH, "Mcp-Method header does not match the request method")
    name_param = _NAME_PARAM.get(method)
    # Only a string target can be echoed; a mistyped one is the handler's -32602, not a header mismatch.
    if name_param is not None and params is not None and isinstance(params.get(name_param), str):
        if headers.name is None:
            raise ProtocolError(rpc.HEADER_MISMATCH, "Mcp-Name header is required")
        name = headers.name
        # A value not marked =?base64?...?= is the target itself: compared without decode_header_value.
        if (name.startswith("=?") or name != params[name_param]) and decode_header_value(name) != params[
            name_param
        ]:
            raise ProtocolError(rpc.HEADER_MISMATCH, f"Mcp-Name header does not match params.{name_param}")
    if version not in rpc.MODERN_VERSIONS:
        raise ProtocolError(
            rpc.UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version",
            data={"supported": list(rpc.SUPPORTED_VERSIONS), "requested": version},
        )
    return version, meta


def check_param_headers(tool: Tool, arguments: Mapping[str, Any], headers: Routing) -> None:
    """The ``Mcp-Param-*`` headers of a modern ``tools/call`` mirror the arguments ``tool`` declares so."""
    sent = headers.params()
    for token, prop in tool.param_headers:
        value = sent.get(token)
        present = prop in arguments and arguments[prop] is not None
        if value == "\0dup":
            raise ProtocolError(rpc.HEADER_MISMATCH, f"Mcp-Param-{token} header appears more than once")
        if value is None:
            if present:
                raise ProtocolError(rpc.HEADER_MISMATCH, f"Mcp-Param-{token} header is required")
            continue
        if not present:
            raise ProtocolError(rpc.HEADER_MISMATCH, f"Mcp-Param-{token} header given for an absent argument")
        decoded = decode_header_value(value)
        if decoded is None or not _same_param(decoded, arguments[prop]):
            raise ProtocolError(rpc.HEADER_MISMATCH, f"Mcp-Param-{token} header does not match the argument")


def _same_param(header: str, value: Any) -> bool:
    if isinstance(value, bool):
        return header == ("true" if value else "false")
    if isinstance(value, (int, float)):
        try:
            return float(header) == float(value)
        except ValueError:
            return False
    return header == str(value)
