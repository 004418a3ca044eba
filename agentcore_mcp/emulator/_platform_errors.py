"""The answers the emulator refuses a request with, shaped as AgentCore shapes them.

Two families, as on AWS:

* **API errors** (the service's own, rest-json): an HTTP status, an ``x-amzn-ErrorType`` header and a
  ``{"message": ...}`` body (``ValidationException`` adds ``reason``). botocore turns them into
  ``ClientError`` with ``Error.Code`` set, or the modelled exception class
  (``client.exceptions.ResourceNotFoundException``).
* **MCP errors** (what an MCP runtime answers inside the protocol): a JSON-RPC error body carrying the id of
  the request, usually with HTTP 200 (so botocore does not retry them): -32003 throttled, -32005 conflict;
  406 (-32011) and 401 (-32001) are the exceptions with their own HTTP status.

The JSON-RPC codes are ``agentcore_mcp._wire``'s ``AC_*`` constants. Everything here is raised as :class:`Refusal` inside the emulator and turned into one HTTP answer at the
edge; the emulator logs it and keeps serving.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json

from agentcore_mcp import _wire as wire

__all__ = ["Refusal", "api_error", "jsonrpc_error", "validation_error"]

Headers = list[tuple[bytes, bytes]]


class Refusal(Exception):
    """A complete HTTP answer that ends an invocation early (status, headers, body, and a log reason)."""

    def __init__(self, status: int, headers: Headers, body: bytes, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.headers = headers
        self.body = body
        self.reason = reason


def api_error(
    code: str,
    message: str,
    status: int,
    *,
    reason: str | None = None,
    headers: Headers | None = None,
) -> Refusal:
    """An AWS API error (``x-amzn-ErrorType`` + ``{"message"}``) as botocore's rest-json parser reads it."""
    body: dict[str, Any] = {"message": message}
    if code == "ValidationException":
        body["reason"] = reason or "FieldValidationFailed"
    out: Headers = [
        (b"content-type", b"application/json"),
        (b"x-amzn-errortype", code.encode()),
        *(headers or []),
    ]
    return Refusal(status, out, to_json(body), f"{code}: {message}")


def jsonrpc_error(
    request_id: Any,
    code: int,
    message: str,
    *,
    status: int = 200,
    headers: Headers | None = None,
    data: Any = None,
) -> Refusal:
    """A JSON-RPC error answer for the request ``request_id`` (None when the id is unknown)."""
    out: Headers = [(b"content-type", b"application/json"), *(headers or [])]
    body = wire.error_body(request_id, code, message, data)
    return Refusal(status, out, body, f"JSON-RPC {code}: {message}")


def validation_error(member: str, constraint: str) -> Refusal:
    """AWS's wording for a request member that breaks its model constraint (HTTP 400)."""
    return api_error(
        "ValidationException",
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: {constraint}",
        400,
    )
