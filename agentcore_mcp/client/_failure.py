"""How a request that got no answer ends: a JSON-RPC error, read from the HTTP answer that came instead.

Every request id gets a response or one of these errors, so what the transport cannot deliver it raises
as a :class:`Failure` inside the request's task, and the task answers the id with it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic_core import from_json

from agentcore_mcp._wire import AC_STATUS_CODES, AC_VALIDATION, INTERNAL_ERROR, INVALID_REQUEST
from agentcore_mcp.client._backend import BufferedReply, Reply, TransportError
from agentcore_mcp.client._retry import REFUSED_CODES

if TYPE_CHECKING:
    from agentcore_mcp.client._messages import Outgoing

__all__ = ["Failure", "http_failure", "platform_error", "read_limited", "snippet"]


class Failure(Exception):
    """A request ends with this JSON-RPC error (raised inside the request task, delivered once)."""

    def __init__(self, code: int, message: str, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = dict(data) if data else None


def http_failure(target: str, out: Outgoing, reply: Reply, body: bytes) -> Failure:
    """The error for an HTTP error answer from ``target``: the server's own JSON-RPC error if it sent one."""
    status = reply.status
    if status == 202:
        return Failure(INVALID_REQUEST, f"{target} answered the request {out.method} with 202")
    if status < 400:
        location = reply.headers.get("location", "")
        return Failure(
            INVALID_REQUEST,
            f"{target} redirected {out.method} (HTTP {status}) to {location or 'nowhere'}; "
            "redirects are not followed: use that URL as the target if it is the intended server",
            {"status": status, "location": location},
        )
    error_type = reply.headers.get("x-amzn-errortype", "").split(":", 1)[0]
    detail = ""
    try:
        parsed = from_json(body) if body else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), int) and not error_type:
            return _server_error(error, status)
        detail = str(parsed.get("message") or parsed.get("Message") or "")
    if not detail and body:
        detail = snippet(body)
    code = AC_STATUS_CODES.get(status, INTERNAL_ERROR if status >= 500 else INVALID_REQUEST)
    if error_type == "ValidationException":
        code = AC_VALIDATION
    label = error_type or f"HTTP {status}"  # the status itself ends every message (see Delivery.error)
    message = f"{target} refused {out.method}: {label}" + (f": {detail}" if detail else "")
    data: dict[str, Any] = {"status": status}
    if error_type:
        data["errorType"] = error_type
    challenge = reply.headers.get("www-authenticate")
    if challenge:
        data["wwwAuthenticate"] = challenge
        message += f" (WWW-Authenticate: {challenge})"
    return Failure(code, message, data)


def _server_error(error: dict[str, Any], status: int) -> Failure:
    """The server's own JSON-RPC error, answered with HTTP ``status``."""
    # The server's own error data stays the error's data (clients act on it, e.g. the ``supported``
    # versions of an unsupported-version error); ours only fills the gaps.
    server_data = error.get("data")
    extra: dict[str, Any] = dict(server_data) if isinstance(server_data, dict) else {}
    if server_data is not None and not isinstance(server_data, dict):
        extra["data"] = server_data
    extra.setdefault("status", status)
    return Failure(error["code"], str(error.get("message", "")), extra)


def platform_error(reply: Reply) -> Failure | None:
    """The JSON-RPC error AgentCore answered with HTTP 200 (throttled, session busy), as a failure."""
    if not isinstance(reply, BufferedReply):
        return None
    try:
        parsed = from_json(reply.body)
    except ValueError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict) or error.get("code") not in REFUSED_CODES:
        return None
    data: dict[str, Any] = {"status": reply.status}
    if "data" in error:
        data["data"] = error["data"]
    return Failure(error["code"], str(error.get("message", "")), data)


async def read_limited(reply: Reply, limit: int = 1 << 20) -> bytes:
    """Up to ``limit`` bytes of an error answer's body (best effort: a broken body reads as what arrived)."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in reply.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
    except TransportError:
        pass
    return b"".join(chunks)[:limit]


def snippet(body: bytes, limit: int = 500) -> str:
    """The start of ``body`` as text for a message (undecodable bytes replaced), ``…`` when cut."""
    text = body[:limit].decode(errors="replace").strip()
    return text + ("…" if len(body) > limit else "")
