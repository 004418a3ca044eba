"""AgentCore Identity inside tools, and the request's ids on every log record.

AgentCore Runtime passes the caller's workload access token to the container (``WorkloadAccessToken`` or
the newer ``X-Amz-Bedrock-AgentCore-Identity-WAT`` header) and, for user-delegated OAuth flows, the
``OAuth2CallbackUrl``. bedrock-agentcore's decorators (``requires_access_token``, ``requires_api_key``)
read them from ``BedrockAgentCoreContext``; :func:`bind_platform_context` puts them there for the request,
so those decorators work inside our tools. bedrock-agentcore is imported only when a token arrives.

:class:`RequestContextFilter` adds ``mcp_session_id``, ``mcp_request_id`` and ``mcp_method`` to log records
(``-`` outside a request), e.g. ``logging.Formatter("%(mcp_session_id)s %(mcp_request_id)s %(message)s")``.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from agentcore_mcp import _wire as rpc

__all__ = ["RequestContextFilter", "bind_log_context", "bind_platform_context", "set_log_ids"]

logger = logging.getLogger("agentcore_mcp.server")

TOKEN_HEADERS = (rpc.IDENTITY_WAT.encode(), rpc.WORKLOAD_ACCESS_TOKEN.encode())
CALLBACK_HEADER = rpc.OAUTH2_CALLBACK_URL.encode()

# (session id, request id, method) in one variable: one set per request on the hot path, not three.
_ids: ContextVar[tuple[str | None, object, str]] = ContextVar(
    "agentcore_mcp_request_ids", default=(None, "-", "-")
)
_missing_sdk_logged = False


def bind_log_context(session_id: str | None, request_id: object, method: str) -> None:
    """Record the request's ids for :class:`RequestContextFilter` (the request's own task context)."""
    _ids.set((session_id, request_id, method))


set_log_ids = _ids.set
"""``bind_log_context`` taking the tuple ``(session id, request id, method)``: the context variable's own
``set``, so the serving path binds a request's ids without a Python frame."""


class RequestContextFilter(logging.Filter):
    """Adds ``mcp_session_id``, ``mcp_request_id`` and ``mcp_method`` to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        session_id, request_id, method = _ids.get()
        record.mcp_session_id = session_id or "-"
        record.mcp_request_id = str(request_id)
        record.mcp_method = method
        return True


def bind_platform_context(raw_headers: list[tuple[bytes, bytes]], session_id: str | None) -> None:
    """Put the request's workload access token (and OAuth2 callback URL) into bedrock-agentcore's context.

    The newer ``X-Amz-Bedrock-AgentCore-Identity-WAT`` wins over ``WorkloadAccessToken``. Without
    bedrock-agentcore installed this logs once (at debug) and does nothing. The token is never logged.
    """
    global _missing_sdk_logged
    token = callback = None
    for key, value in raw_headers:
        if key == TOKEN_HEADERS[0] or (key == TOKEN_HEADERS[1] and token is None):
            token = value.decode("latin-1")
        elif key == CALLBACK_HEADER:
            callback = value.decode("latin-1")
    if token is None and callback is None:
        return
    try:
        from bedrock_agentcore.runtime.context import BedrockAgentCoreContext
    except ImportError:
        if not _missing_sdk_logged:
            logger.debug(
                "a workload access token arrived but bedrock-agentcore is not installed; ignoring it"
            )
            _missing_sdk_logged = True
        return
    if token is not None:
        BedrockAgentCoreContext.set_workload_access_token(token)
    if callback is not None:
        BedrockAgentCoreContext.set_oauth2_callback_url(callback)
    if session_id is not None:
        BedrockAgentCoreContext.set_request_context(request_id="-", session_id=session_id)
