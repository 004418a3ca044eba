"""Which request headers reach the MCP server, and which the platform adds: AgentCore's forwarding rules.

Forwarded as the caller sent them: ``Content-Type``, ``Accept``, ``Mcp-Protocol-Version``, ``Mcp-Method``,
``Mcp-Name``, ``Mcp-Param-*`` (the 2026-07-28 routing headers),
trace context (``X-Amzn-Trace-Id``, ``traceparent``, ``tracestate``, ``baggage``), ``Origin`` (so the
server's DNS-rebinding protection still sees it), ``X-Amzn-Bedrock-AgentCore-Runtime-Custom-*``, and the
runtime's allow-listed headers (``Authorization`` only on JWT runtimes that allow-list it).

Set by the platform: ``Host`` (the AgentCore endpoint host, never localhost),
``X-Amzn-Bedrock-AgentCore-Runtime-User-Id`` (the user the platform established: a JWT runtime's token
``sub``, or a SigV4 caller's header once allowed; never the caller's header as such), ``Mcp-Session-Id`` and
``X-Amzn-Bedrock-AgentCore-Runtime-Session-Id`` (the session's ids, generated when the caller sent none),
``X-Amzn-Bedrock-AgentCore-Runtime-Request-Id``, an ``X-Amzn-Trace-Id`` when the caller sent none, and a
workload access token (``WorkloadAccessToken`` and ``X-Amz-Bedrock-AgentCore-Identity-WAT``) for servers
that use AgentCore Identity.

Dropped: everything else (signing headers, cookies, ``Authorization`` unless allow-listed, hop-by-hop
headers, ``User-Agent``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from agentcore_mcp import _wire as rpc

__all__ = ["MAX_CUSTOM_HEADER_VALUE", "RUNTIME_SESSION_HEADER", "upstream_headers"]

# The wire names as bytes (ASGI's header type), made once.
RUNTIME_SESSION_HEADER = rpc.RUNTIME_SESSION_ID.encode()
REQUEST_ID_HEADER = rpc.RUNTIME_REQUEST_ID.encode()
USER_ID_HEADER = rpc.RUNTIME_USER_ID.encode()
CUSTOM_PREFIX = rpc.RUNTIME_CUSTOM_PREFIX.encode()
_MCP_SESSION_ID = rpc.MCP_SESSION_ID.encode()
_PARAM_PREFIX = rpc.MCP_PARAM_PREFIX.encode()
_WORKLOAD_TOKEN_HEADERS = (rpc.WORKLOAD_ACCESS_TOKEN.encode(), rpc.IDENTITY_WAT.encode())
MAX_CUSTOM_HEADER_VALUE = 4096

_PASSED = frozenset(
    {
        b"content-type",
        b"accept",
        rpc.MCP_PROTOCOL_VERSION.encode(),
        rpc.MCP_METHOD.encode(),
        rpc.MCP_NAME.encode(),
        b"x-amzn-trace-id",
        b"traceparent",
        b"tracestate",
        b"baggage",
        b"origin",
        rpc.LAST_EVENT_ID.encode(),
    }
)
# Never forwarded, allow-listed or not: the platform owns them.
_RESTRICTED = frozenset(
    {
        b"host",
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"keep-alive",
        b"upgrade",
        b"te",
        b"trailer",
        b"proxy-authorization",
        b"x-amz-date",
        b"x-amz-security-token",
        b"x-amz-content-sha256",
        _MCP_SESSION_ID,
        RUNTIME_SESSION_HEADER,
        REQUEST_ID_HEADER,
        USER_ID_HEADER,
        *_WORKLOAD_TOKEN_HEADERS,
    }
)

TRACE_ECHO = (b"x-amzn-trace-id", b"traceparent", b"tracestate", b"baggage")


def new_trace_id() -> str:
    import time

    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def custom_header_too_long(raw: Iterable[tuple[bytes, bytes]], allowlist: frozenset[str]) -> str | None:
    """The name of an allow-listed or custom header whose value is over 4 KB, or None."""
    for key, value in raw:
        name = key.lower()
        if (name.startswith(CUSTOM_PREFIX) or name.decode("latin-1") in allowlist) and len(
            value
        ) > MAX_CUSTOM_HEADER_VALUE:
            return name.decode("latin-1")
    return None


def upstream_headers(
    raw: Iterable[tuple[bytes, bytes]],
    *,
    host: str,
    runtime_session_id: str,
    user_id: str | None,
    mcp_session_id: str | None,
    request_id: str,
    allowlist: frozenset[str],
    allow_authorization: bool,
    workload_token: str | None,
    body_length: int,
) -> list[tuple[bytes, bytes]]:
    """The headers the MCP server receives for one invocation (see the module docstring)."""
    out: list[tuple[bytes, bytes]] = [(b"host", host.encode())]
    has_trace = False
    for key, raw_value in raw:
        name = key.lower()
        value = raw_value.strip(b" \t")  # RFC 9110 5.5: surrounding whitespace is not part of the value
        if name in _RESTRICTED:
            continue
        if name == b"authorization":
            if allow_authorization:
                out.append((name, value))
            continue
        if (
            name in _PASSED
            or name.startswith(_PARAM_PREFIX)
            or name.startswith(CUSTOM_PREFIX)
            or name.decode("latin-1") in allowlist
        ):
            out.append((name, value))
            has_trace = has_trace or name == b"x-amzn-trace-id"
    if not has_trace:
        out.append((b"x-amzn-trace-id", new_trace_id().encode()))
    out.append((b"content-length", str(body_length).encode()))
    if mcp_session_id:  # none yet: a stateful server issues it in its answer
        out.append((_MCP_SESSION_ID, mcp_session_id.encode()))
    out.append((RUNTIME_SESSION_HEADER, runtime_session_id.encode()))
    out.append((REQUEST_ID_HEADER, request_id.encode()))
    if user_id:
        try:
            encoded = user_id.encode("latin-1")  # a caller's header, as it came (decoded as latin-1)
        except UnicodeEncodeError:
            encoded = user_id.encode()  # a token's sub beyond latin-1
        out.append((USER_ID_HEADER, encoded))
    if workload_token is not None:
        out.extend((name, workload_token.encode()) for name in _WORKLOAD_TOKEN_HEADERS)
    return out
