"""Opt-in session mode (``AgentCoreMCP(..., sessions=True)``), for the handshake era only.

AgentCore supports stateful MCP servers too: it routes every request carrying the same ``Mcp-Session-Id``
to the same microVM. In session mode the server keeps, per session id, what the handshake era lets a
client set once and rely on later: the capabilities from ``initialize``, the ``logging/setLevel`` level,
resource subscriptions, the standalone GET stream, and a bounded log of SSE events so a client that lost a
stream can resume it with ``Last-Event-ID``.

Ids the platform mints are adopted rather than refused (a stateful SDK server answers them 404, which is
broken on AgentCore); an id the client ended with DELETE is refused with 404 for a while afterwards.
Sessions expire after ``idle_timeout`` seconds without a request. The 2026-07-28 era is stateless in both
modes and never touches this store.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from pydantic_core import to_json

__all__ = ["Session", "SessionStore", "StreamLog", "valid_session_id"]

MAX_EVENTS_PER_STREAM = 1_000
MAX_STREAMS_PER_SESSION = 64
STANDALONE = "get"


_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]{1,256}")


def valid_session_id(value: str) -> bool:
    """True for a session id the server accepts: 1-256 visible ASCII characters (AgentCore's fit)."""
    return _VISIBLE_ASCII.fullmatch(value) is not None


def mint_session_id() -> str:
    """A new session id: 48 hex characters, valid as an AgentCore runtime session id too (33–100 chars)."""
    return secrets.token_hex(24)


class StreamLog:
    """The events of one SSE stream of a session, kept for ``Last-Event-ID`` resumption."""

    __slots__ = ("_changed", "done", "events", "next_seq", "stream_id")

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        self.events: list[tuple[int, bytes]] = []
        self.next_seq = 1
        self.done = False
        self._changed = asyncio.Event()

    def append(self, data: bytes) -> str:
        """Record one event's data; returns its event id (``<stream>.<seq>``)."""
        seq = self.next_seq
        self.next_seq += 1
        self.events.append((seq, data))
        if len(self.events) > MAX_EVENTS_PER_STREAM:
            del self.events[: len(self.events) - MAX_EVENTS_PER_STREAM]
        self._wake()
        return f"{self.stream_id}.{seq}"

    def finish(self) -> None:
        self.done = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def after(self, seq: int) -> list[tuple[int, bytes]]:
        return [(s, d) for s, d in self.events if s > seq]

    async def wait(self, timeout: float | None) -> None:
        """Wait until an event is appended or the stream finishes (or ``timeout`` passes)."""
        changed = self._changed
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)


class Session:
    """What the server remembers about one handshake-era session."""

    __slots__ = (
        "_streams",
        "client_capabilities",
        "client_info",
        "created",
        "id",
        "last_seen",
        "log_level",
        "protocol_version",
        "subscriptions",
    )

    def __init__(self, session_id: str) -> None:
        self.id = session_id
        self.created = self.last_seen = time.monotonic()
        self.protocol_version: str | None = None
        self.client_capabilities: dict[str, Any] = {}
        self.client_info: dict[str, Any] | None = None
        self.log_level: str | None = None
        self.subscriptions: set[str] = set()
        self._streams: OrderedDict[str, StreamLog] = OrderedDict()
        self._streams[STANDALONE] = StreamLog(STANDALONE)

    def new_stream(self) -> StreamLog:
        """A log for a new POST stream (the oldest finished ones are dropped beyond the bound)."""
        log = StreamLog(secrets.token_hex(6))
        self._streams[log.stream_id] = log
        while len(self._streams) > MAX_STREAMS_PER_SESSION:
            oldest = next(k for k in self._streams if k != STANDALONE)
            del self._streams[oldest]
        return log

    def stream(self, stream_id: str) -> StreamLog | None:
        return self._streams.get(stream_id)

    @property
    def standalone(self) -> StreamLog:
        return self._streams[STANDALONE]

    def notify(self, message: dict[str, Any]) -> None:
        """Queue a server-initiated message for this session's standalone (GET) stream."""
        self.standalone.append(to_json(message))


class SessionStore:
    """Sessions by id, with idle expiry and tombstones for ids ended by DELETE."""

    def __init__(
        self, idle_timeout: float = 900.0, *, max_sessions: int = 10_000, tombstone_ttl: float = 3600.0
    ) -> None:
        self.idle_timeout = idle_timeout
        self.max_sessions = max_sessions
        self.tombstone_ttl = tombstone_ttl
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._ended: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._sessions.values()))

    def _expire(self, now: float) -> None:
        # Sessions are kept in least-recently-used order, so the idle ones are at the front.
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.last_seen <= self.idle_timeout:
                break
            del self._sessions[oldest.id]
        while self._ended and next(iter(self._ended.values())) < now:
            self._ended.popitem(last=False)

    def open(self, session_id: str | None) -> Session | None:
        """The session for ``session_id`` (adopted if unknown; minted when None); None if it was ended."""
        now = time.monotonic()
        self._expire(now)
        if session_id is None:
            session_id = mint_session_id()
        elif session_id in self._ended:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = Session(session_id)
        else:
            self._sessions.move_to_end(session_id)
        session.last_seen = now
        while len(self._sessions) > self.max_sessions:  # the least recently used go first
            self._sessions.popitem(last=False)
        return session

    def end(self, session_id: str) -> bool:
        """End a session (DELETE); later requests with its id get 404. False if it was unknown."""
        known = self._sessions.pop(session_id, None) is not None
        self._ended[session_id] = time.monotonic() + self.tombstone_ttl
        while len(self._ended) > self.max_sessions:
            self._ended.popitem(last=False)
        return known
