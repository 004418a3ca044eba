"""The wire vocabulary shared by the server, the client and the emulator: one place for every code and name.

Error codes of JSON-RPC 2.0, of MCP and of AgentCore Runtime; the protocol versions of both MCP eras; the
HTTP header names both sides and the platform use; the JSON-RPC error body; SSE event framing. Nothing
else in the package writes a literal error code or header name. This module imports nothing of ours and
only pydantic-core from outside, so every layer may use it.

Sources: JSON-RPC 2.0 (jsonrpc.org/specification §5.1), MCP 2025-11-25 and 2026-07-28 (basic/transports,
basic/lifecycle, the stateless revision's error codes), AgentCore Runtime's MCP error mapping
(docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-mcp-protocol-contract.html and the
InvokeAgentRuntime API reference). See docs/wire.md for the status and code of every answer.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic_core import to_json

# JSON-RPC 2.0
PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603

# MCP
CONNECTION_CLOSED: Final = -32000  # the SDKs' code for a transport that ended with requests in flight
REQUEST_TIMEOUT: Final = -32001  # the SDKs' code for a request that got no answer in time
RESOURCE_NOT_FOUND: Final = -32002  # legacy era; the modern era uses INVALID_PARAMS
HEADER_MISMATCH: Final = -32020
MISSING_CLIENT_CAPABILITY: Final = -32021
UNSUPPORTED_PROTOCOL_VERSION: Final = -32022
URL_ELICITATION_REQUIRED: Final = -32042  # 2025-11-25 only; 2026-07-28 retired the code
ELICITATION_COMPLETE: Final = "notifications/elicitation/complete"  # 2025-11-25 only, like the error

# AgentCore Runtime: the JSON-RPC codes the platform answers MCP runtimes' callers with.
AC_UNAUTHORIZED: Final = -32001  # HTTP 401
AC_FORBIDDEN: Final = -32002  # HTTP 403
AC_THROTTLED: Final = -32003  # HTTP 200 (429 from the API front end)
AC_NOT_FOUND: Final = -32004  # HTTP 404
AC_CONFLICT: Final = -32005  # HTTP 200: "Session operation in progress, please retry"
AC_VALIDATION: Final = -32006  # HTTP 400
AC_RUNTIME_CLIENT_ERROR: Final = -32010  # HTTP 424: the container failed, or its health check did
AC_NOT_ACCEPTABLE: Final = -32011  # HTTP 406
AC_STATUS_CODES: Final = {
    401: -32001,
    403: -32002,
    404: -32004,
    406: -32011,
    409: -32005,
    424: -32010,
    429: -32003,
}
"""The JSON-RPC code AgentCore pairs with each HTTP status it refuses an MCP invocation with."""

# Protocol versions, newest first within each era.
MODERN_VERSIONS: Final = ("2026-07-28",)
LEGACY_VERSIONS: Final = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")
LATEST_LEGACY: Final = LEGACY_VERSIONS[0]
SUPPORTED_VERSIONS: Final = (*MODERN_VERSIONS, *LEGACY_VERSIONS)


def is_modern_version(version: str | None) -> bool:
    """True for a protocol version of the stateless era (any version that is not a handshake version)."""
    return version is not None and version not in LEGACY_VERSIONS


# Keys of the modern ``params._meta`` envelope.
META_PROTOCOL_VERSION: Final = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_CAPABILITIES: Final = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO: Final = "io.modelcontextprotocol/clientInfo"
META_LOG_LEVEL: Final = "io.modelcontextprotocol/logLevel"
META_SERVER_INFO: Final = "io.modelcontextprotocol/serverInfo"

LOG_LEVELS: Final = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")

# The Tasks extension (SEP-2663): its identifier in capabilities, and the statuses a task never leaves.
TASKS_EXTENSION: Final = "io.modelcontextprotocol/tasks"
TASK_TERMINAL: Final = frozenset({"completed", "failed", "cancelled"})

# The Skills extension (SEP-2640): its identifier in capabilities.
SKILLS_EXTENSION: Final = "io.modelcontextprotocol/skills"

# HTTP header names, lower case (ASGI and httpx compare them so). MCP's:
MCP_SESSION_ID: Final = "mcp-session-id"
MCP_PROTOCOL_VERSION: Final = "mcp-protocol-version"
MCP_METHOD: Final = "mcp-method"
MCP_NAME: Final = "mcp-name"
MCP_PARAM_PREFIX: Final = "mcp-param-"
LAST_EVENT_ID: Final = "last-event-id"
# AgentCore Runtime's:
RUNTIME_SESSION_ID: Final = "x-amzn-bedrock-agentcore-runtime-session-id"
RUNTIME_USER_ID: Final = "x-amzn-bedrock-agentcore-runtime-user-id"
RUNTIME_REQUEST_ID: Final = "x-amzn-bedrock-agentcore-runtime-request-id"
RUNTIME_CUSTOM_PREFIX: Final = "x-amzn-bedrock-agentcore-runtime-custom-"
WORKLOAD_ACCESS_TOKEN: Final = "workloadaccesstoken"
IDENTITY_WAT: Final = "x-amz-bedrock-agentcore-identity-wat"  # the workload access token, newer name
OAUTH2_CALLBACK_URL: Final = "oauth2callbackurl"
# MCP's routing headers as the specification spells them, for messages.
MCP_PROTOCOL_VERSION_SPELLED: Final = "MCP-Protocol-Version"
MCP_METHOD_SPELLED: Final = "Mcp-Method"
MCP_NAME_SPELLED: Final = "Mcp-Name"

ACCEPT: Final = "application/json, text/event-stream"
"""The Accept value MCP clients must send on a POST: both answer types."""
JSON: Final = "application/json"
EVENT_STREAM: Final = "text/event-stream"


def error_body(request_id: Any, code: int, message: str, data: Any = None) -> bytes:
    """A JSON-RPC error response, serialized: ``{"jsonrpc": "2.0", "id": ..., "error": {...}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return to_json({"jsonrpc": "2.0", "id": request_id, "error": error})


SSE_EVENT_HEAD: Final = b"event: message\ndata: "
SSE_EVENT_TAIL: Final = b"\n\n"


def sse_event(data: bytes, event_id: str | None = None) -> bytes:
    """One SSE ``message`` event carrying ``data`` (a JSON-RPC message, which holds no line breaks)."""
    if event_id is None:
        return SSE_EVENT_HEAD + data + SSE_EVENT_TAIL
    return b"id: " + event_id.encode() + b"\n" + SSE_EVENT_HEAD + data + SSE_EVENT_TAIL
