"""Writing to ASGI ``send``: whole answers with a length, and the paced sender that cuts a client who stops reading."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator, MutableMapping
from typing import Any

from agentcore_mcp import _wire as rpc
from agentcore_mcp.server._http import Body, Send
from agentcore_mcp.server._pieces import Pieces

__all__ = ["CONTENT_JSON", "JSON_HEADERS", "SEND_PIECE", "PacedSend", "ReaderStalled", "refuse", "send_bytes"]

logger = logging.getLogger("agentcore_mcp.server")

# A body larger than this goes out in pieces of this size: uvicorn's flow control acts between ASGI sends
# (a send waits while the transport is above its high-water mark), so pieces are what let a slow reader
# hold the answer back instead of the whole answer being copied into the transport's buffer at once.
SEND_PIECE = 64 * 1024


_timeout = getattr(asyncio, "timeout", None)  # Python 3.11+


class ReaderStalled(Exception):
    """The client stopped reading: one write waited longer than the send timeout (the answer is cut)."""


class PacedSend:
    """The ``send`` of one request: bodies in pieces that wait for the client, and a deadline on each wait.

    A body over :data:`SEND_PIECE` bytes is sent piece by piece, so a client that reads slowly holds the
    rest of the answer in the handler rather than in the connection's buffer. Once the answer streams
    (after the first piece or ``more_body`` message) every write waits at most ``timeout`` seconds; a
    write that waits longer cuts the answer: the write raises :class:`ReaderStalled` in the request's own
    task (which unwinds its handler) and, from any other task (a keep-alive ticker), cancels the request's
    task. Later writes are dropped. ``timeout`` None: never cut.

    ``raw`` is the server's own ``send``: a small whole answer that does not stream needs none of this and
    is written to it directly.
    """

    __slots__ = ("_timeout", "cut", "owner", "raw", "streaming")

    def __init__(self, send: Send, timeout: float | None) -> None:
        self.raw = send
        self._timeout = timeout
        # The request's task, taken when the answer starts streaming (always in that task): most answers
        # never stream, and asking asyncio for the current task costs more than the rest of this object.
        self.owner: asyncio.Task[Any] | None = None
        self.cut = False
        self.streaming = False

    def _stream(self) -> None:
        self.streaming = True
        if self.owner is None:
            self.owner = asyncio.current_task()

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        if self.cut:
            self._refuse()
            return
        if message["type"] != "http.response.body":
            await self.raw(message)
            return
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        if len(body) <= SEND_PIECE:
            if self.streaming:
                await self._write(message)
            else:
                if more:
                    self._stream()
                await self.raw(message)
            return
        self._stream()
        view = memoryview(body)
        for start in range(0, len(body), SEND_PIECE):
            last = start + SEND_PIECE >= len(body)
            piece = bytes(view[start : start + SEND_PIECE])
            await self._write({"type": "http.response.body", "body": piece, "more_body": more or not last})

    async def _write(self, message: MutableMapping[str, Any]) -> None:
        if self._timeout is None:
            await self.raw(message)
            return
        # The server's send is stepped once by hand: a write the transport takes at once (nearly all of
        # them) finishes in that step, and only one that has to wait for the client pays for a deadline
        # (a timer scheduled and cancelled per write cost more than the rest of a short SSE answer).
        steps = self.raw(message).__await__()
        try:
            waiting = steps.send(None)
        except StopIteration:
            return
        try:
            if _timeout is not None:
                async with _timeout(self._timeout):
                    await _Resumed(steps, waiting)
            else:  # Python 3.10: a task per write, only once a write waits
                await asyncio.wait_for(_Resumed(steps, waiting), self._timeout)
        except (TimeoutError, asyncio.TimeoutError):
            self.cut = True
            self._refuse()

    def _refuse(self) -> None:
        if asyncio.current_task() is self.owner:
            raise ReaderStalled(f"the client read nothing for {self._timeout:g} s")
        if self.owner is not None:
            self.owner.cancel()


class _Resumed:
    """The rest of an awaitable already stepped once (``first`` is what that step yielded to the task)."""

    __slots__ = ("_first", "_steps")

    def __init__(self, steps: Generator[Any, Any, Any], first: Any) -> None:
        self._steps = steps
        self._first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        steps, request = self._steps, self._first
        while True:
            try:
                sent = yield request
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as exc:  # a cancellation (the deadline's included) goes to the send
                try:
                    request = steps.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    request = steps.send(sent)
                except StopIteration as done:
                    return done.value


CONTENT_JSON = (b"content-type", rpc.JSON.encode())
JSON_HEADERS = [CONTENT_JSON]


async def send_bytes(
    send: Send, status: int, body: Body | Pieces, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Send a complete answer with a ``content-length`` (a body in pieces goes out piece by piece; one
    encoded as it is written goes out without a length, so chunked)."""
    out = list(JSON_HEADERS if headers is None else headers)
    if isinstance(body, Pieces):
        await send({"type": "http.response.start", "status": status, "headers": out})
        for piece in body:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if isinstance(body, bytes):
        out.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})
        return
    out.append((b"content-length", str(sum(map(len, body))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    for piece in body[:-1]:
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": body[-1]})


async def refuse(send: Send, status: int, message: str) -> None:
    await send_bytes(send, status, rpc.error_body(None, rpc.INVALID_REQUEST, message))
