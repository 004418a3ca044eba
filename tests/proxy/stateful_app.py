"""tests/proxy/app.py as a session-keeping server: 404 "Session not found" for a session it did not see
initialized, as stateful servers behind AgentCore answer after their microVM was replaced. The emulator
serves it in a process per runtime session, so an expired session really loses its state."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.proxy.app import app as inner

known: set[str] = set()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        await inner(scope, receive, send)
        return
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    session_id = headers.get("mcp-session-id", "")
    method = json.loads(body).get("method") if body else None
    if method == "initialize" and session_id:
        known.add(session_id)
    elif session_id not in known:
        payload = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Session not found"}}'
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})
        return
    replayed = False

    async def replay() -> dict[str, Any]:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    await inner(scope, replay, send)
