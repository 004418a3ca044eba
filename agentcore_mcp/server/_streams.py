"""Session mode's GET and DELETE on the MCP endpoint: the standalone stream, resumption, and session end."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from agentcore_mcp import _wire as rpc
from agentcore_mcp.server._http import SSE_HEADERS, Receive, Scope, Send, send_bytes
from agentcore_mcp.server._protocol import error_body
from agentcore_mcp.server._session_store import valid_session_id

if TYPE_CHECKING:
    from agentcore_mcp.server._app import AgentCoreMCP
    from agentcore_mcp.server._protocol import RequestHeaders
    from agentcore_mcp.server._session_store import StreamLog

__all__ = ["delete_session", "get_stream"]


async def _refuse(send: Send, status: int, message: str) -> None:
    await send_bytes(send, status, error_body(None, rpc.INVALID_REQUEST, message))


def _event(stream_id: str, seq: int, data: bytes) -> bytes:
    if not data:  # a priming marker: an id to resume from, nothing to deliver
        return f"id: {stream_id}.{seq}\ndata: \n\n".encode()
    return f"id: {stream_id}.{seq}\nevent: message\ndata: ".encode() + data + b"\n\n"


async def get_stream(
    app: AgentCoreMCP,
    headers: RequestHeaders,
    accept: bytes | None,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """``GET /mcp``: the session's standalone stream, or, with ``Last-Event-ID``, the rest of a lost stream."""
    assert app.sessions is not None
    if accept is None or not (b"text/event-stream" in accept.lower() or b"*/*" in accept):
        await _refuse(send, 406, "Not Acceptable: a GET stream needs Accept: text/event-stream")
        return
    if headers.session_id is None or not valid_session_id(headers.session_id):
        await _refuse(send, 400, "Bad Request: a valid Mcp-Session-Id header is required")
        return
    session = app.sessions.open(headers.session_id)
    if session is None:
        await _refuse(send, 404, "Session not found")
        return
    last_event_id = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"last-event-id"), None)
    after = 0
    log: StreamLog | None
    if last_event_id is not None:
        stream_id, _, seq = last_event_id.strip().rpartition(".")
        log = session.stream(stream_id)
        if log is None or not seq.isdigit():
            await _refuse(send, 404, "Not Found: no stream to resume from that Last-Event-ID")
            return
        after = int(seq)
        priming = False
    else:
        log = session.standalone
        after = log.next_seq - 1
        priming = True
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [*SSE_HEADERS, (b"mcp-session-id", session.id.encode())],
        }
    )
    if priming:
        marker = log.append(b"")
        await send(
            {
                "type": "http.response.body",
                "more_body": True,
                "body": f"id: {marker}\nretry: {app.sse_retry_ms}\ndata: \n\n".encode(),
            }
        )
        after = log.next_seq - 1
    gone = asyncio.Event()

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.get_running_loop().create_task(watch())
    try:
        while not gone.is_set():
            for seq, data in log.after(after):
                await send(
                    {
                        "type": "http.response.body",
                        "body": _event(log.stream_id, seq, data),
                        "more_body": True,
                    }
                )
                after = seq
            if log.done:
                break
            waiter = asyncio.ensure_future(log.wait(app.keepalive))
            stop = asyncio.ensure_future(gone.wait())
            await asyncio.wait({waiter, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if not waiter.done():
                waiter.cancel()
            elif not log.after(after) and not log.done and not gone.is_set():
                await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
        if not gone.is_set():
            await send({"type": "http.response.body", "body": b""})
    finally:
        watcher.cancel()


async def delete_session(app: AgentCoreMCP, headers: RequestHeaders, send: Send) -> None:
    """``DELETE /mcp``: end the session; later requests with its id get 404."""
    assert app.sessions is not None
    if headers.session_id is None or not valid_session_id(headers.session_id):
        await _refuse(send, 400, "Bad Request: a valid Mcp-Session-Id header is required")
        return
    if app.sessions.end(headers.session_id):
        await send_bytes(send, 200, b"", [])
    else:
        await _refuse(send, 404, "Session not found")
