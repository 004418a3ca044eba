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

__all__ = ["RequestContextFilter", "bind_log_context", "bind_platform_context"]

logger = logging.getLogger("agentcore_mcp.server")

TOKEN_HEADERS = (b"x-amz-bedrock-agentcore-identity-wat", b"workloadaccesstoken")
CALLBACK_HEADER = b"oauth2callbackurl"

_session: ContextVar[str] = ContextVar("agentcore_mcp_session_id", default="-")
_request: ContextVar[str] = ContextVar("agentcore_mcp_request_id", default="-")
_method: ContextVar[str] = ContextVar("agentcore_mcp_method", default="-")
_missing_sdk_logged = False


def bind_log_context(session_id: str | None, request_id: object, method: str) -> None:
    """Record the request's ids for :class:`RequestContextFilter` (the request's own task context)."""
    _session.set(session_id or "-")
    _request.set(str(request_id))
    _method.set(method)


class RequestContextFilter(logging.Filter):
    """Adds ``mcp_session_id``, ``mcp_request_id`` and ``mcp_method`` to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.mcp_session_id = _session.get()
        record.mcp_request_id = _request.get()
        record.mcp_method = _method.get()
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
