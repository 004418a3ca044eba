"""Session mode's GET stream: which log a GET reads (standalone, or a lost stream after ``Last-Event-ID``), and
the events it yields. Yields framed bytes; the ASGI edge writes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from agentcore_mcp._wire import sse_event

if TYPE_CHECKING:
    from agentcore_mcp.server._session_store import Session, StreamLog

__all__ = ["KEEPALIVE", "priming", "resume_point", "session_events"]

KEEPALIVE = b": keep-alive\n\n"


def priming(event_id: str, retry_ms: int | None) -> bytes:
    """A priming event: an id to resume from, (optionally) how long to wait before reconnecting, no data."""
    retry = f"retry: {retry_ms}\n" if retry_ms is not None else ""
    return f"id: {event_id}\n{retry}data: \n\n".encode()


def resume_point(session: Session, last_event_id: str | None) -> tuple[StreamLog, int, bool] | None:
    """The log a GET reads, the sequence number it has seen, and whether to prime it (a fresh standalone GET).

    None when ``last_event_id`` names no stream of this session.
    """
    if last_event_id is None:
        log = session.standalone
        return log, log.next_seq - 1, True
    stream_id, _, seq = last_event_id.strip().rpartition(".")
    resumed = session.stream(stream_id)
    if resumed is None or not seq.isdigit():
        return None
    return resumed, int(seq), False


def _event(stream_id: str, seq: int, data: bytes) -> bytes:
    if not data:  # a priming marker: an id to resume from, nothing to deliver
        return priming(f"{stream_id}.{seq}", None)
    return sse_event(data, f"{stream_id}.{seq}")


async def session_events(
    log: StreamLog, after: int, keepalive: float | None, gone: asyncio.Event
) -> AsyncIterator[bytes]:
    """The events of ``log`` after sequence ``after``, then each new one, until the log ends or ``gone`` is set.

    A keep-alive comment is yielded after ``keepalive`` seconds without an event.
    """
    while not gone.is_set():
        for seq, data in log.after(after):
            yield _event(log.stream_id, seq, data)
            after = seq
        if log.done:
            return
        waiter = asyncio.ensure_future(log.wait(keepalive))
        stop = asyncio.ensure_future(gone.wait())
        await asyncio.wait({waiter, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not waiter.done():
            waiter.cancel()
        elif not log.after(after) and not log.done and not gone.is_set():
            yield KEEPALIVE
