"""Raw-HTTP helpers for server tests: build requests of either era exactly as they go on the wire."""

from __future__ import annotations

from typing import Any

import httpx

ACCEPT = "application/json, text/event-stream"
MODERN = "2026-07-28"
NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


def modern_meta(**extra: Any) -> dict[str, Any]:
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "tests", "version": "0"},
        **extra,
    }


def modern_request(
    method: str, params: dict[str, Any] | None = None, *, id: int = 1
) -> tuple[dict[str, Any], dict[str, str]]:
    """A modern (2026-07-28) request body and the routing headers that must go with it."""
    params = {**(params or {}), "_meta": {**modern_meta(), **(params or {}).get("_meta", {})}}
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if method in NAMED and NAMED[method] in params:
        headers["Mcp-Name"] = params[NAMED[method]]
    return {"jsonrpc": "2.0", "id": id, "method": method, "params": params}, headers


def legacy_request(method: str, params: dict[str, Any] | None = None, *, id: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        body["params"] = params
    return body


def post(
    url: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    accept: str | None = ACCEPT,
    content_type: str | None = "application/json",
) -> httpx.Response:
    """POST to the MCP endpoint with the standard Accept and Content-Type unless overridden (None: omit)."""
    sent: dict[str, str] = {}
    if accept is not None:
        sent["Accept"] = accept
    if content_type is not None:
        sent["Content-Type"] = content_type
    sent.update(headers or {})
    if content is None:
        import json

        content = json.dumps(body).encode()
    with httpx.Client(timeout=10) as client:
        if accept is None:
            del client.headers["accept"]  # httpx sends "*/*" by default
        return client.post(url, content=content, headers=sent)


def rpc_error(response: httpx.Response) -> tuple[int, int]:
    """(HTTP status, JSON-RPC error code) of an error answer."""
    return response.status_code, response.json()["error"]["code"]


def raw_post(url: str, body: bytes, headers: list[tuple[str, str]]) -> tuple[int, bytes]:
    """POST over a bare socket, headers sent byte for byte (for values HTTP clients refuse to send)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.hostname}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), payload
