"""A request for a path the emulator does not serve: one log line and an answer that says where to go.

Without this, an unsigned request to the emulator's base URL (``--target http://127.0.0.1:9000``, the first
URL ``dev`` prints) reached moto's control plane, which answered an HTML 500 page after the client's retries
and printed a ~90-line werkzeug traceback per request in the emulator's terminal. moto is only asked what it
can answer: requests signed with SigV4 (in the ``Authorization`` header or presigned in the query) and its
own ``/moto-api`` routes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pydantic_core import from_json

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator._platform_errors import Refusal, api_error, jsonrpc_error

__all__ = ["for_moto", "wrong_path"]

logger = logging.getLogger("agentcore_mcp.emulator")


def for_moto(headers: Sequence[tuple[bytes, bytes]], path: str, query: bytes) -> bool:
    """True when moto's server can answer the request: signed for AWS, or one of moto's own routes."""
    if path.startswith("/moto-api"):
        return True
    if b"x-amz-signature=" in query.lower():  # a presigned URL (S3)
        return True
    return any(name == b"authorization" for name, _ in headers)


def wrong_path(method: str, path: str, body: bytes, base_url: str, invocations_urls: list[str]) -> Refusal:
    """The 404 for ``method path``: a JSON-RPC error for a JSON-RPC request, else an AWS-style error.

    A path under ``/runtimes/`` that names no operation is AWS's ``UnknownOperationException`` whatever the
    body (the platform's API answers it so); elsewhere a JSON-RPC request gets a JSON-RPC error, which MCP
    clients show as it is.

    The message names the runtime's invocations URL (when exactly one is registered) and the ARN route
    (``--endpoint-url`` / ``AWS_ENDPOINT_URL_BEDROCK_AGENTCORE``); the error's ``data`` carries the base
    URL and every invocations URL, for a client to act on.
    """
    if len(invocations_urls) == 1:
        where = f"its invocations URL {invocations_urls[0]}"
    elif invocations_urls:
        where = f"a runtime's invocations URL (GET {base_url}/ lists the {len(invocations_urls)} runtimes)"
    else:
        where = "a runtime's invocations URL (no runtime is registered yet)"
    message = (
        f"{base_url}{path} is not an MCP endpoint: the AgentCore emulator serves a runtime at {where}, "
        f"or call the runtime ARN with --endpoint-url {base_url} (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE)"
    )
    logger.warning("%s %s: no such route (not an invocations URL)", method, path)
    request = _jsonrpc_request(body) if method == "POST" and not path.startswith("/runtimes/") else None
    if request is None:
        return api_error("UnknownOperationException", message, 404)
    data = {"endpointUrl": base_url, "invocationsUrls": invocations_urls}
    return jsonrpc_error(request.get("id"), wire.INVALID_REQUEST, message, status=404, data=data)


def _jsonrpc_request(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = from_json(body) if body else None
    except ValueError:
        return None
    if isinstance(parsed, dict) and parsed.get("jsonrpc") == "2.0" and "method" in parsed:
        return parsed
    return None
