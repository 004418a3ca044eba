"""An incremental Server-Sent Events decoder: feed it bytes as they arrive, get whole events back.

Follows the HTML "event stream" parsing rules: lines end in LF, CRLF or CR (even split across chunks);
``:`` starts a comment (keep-alives); ``event``, ``data``, ``id`` and ``retry`` fields; several ``data``
lines join with LF; a blank line dispatches the event; an unterminated event at end of stream is dropped.
One event may not exceed ``max_event_size`` bytes (the platform's chunk limit is 10 MB by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from agentcore_mcp.errors import SSEError

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "SSEError", "ServerSentEvent"]

DEFAULT_MAX_EVENT_SIZE = 10 * 1024 * 1024


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Turns chunks of an event stream into :class:`ServerSentEvent` objects, keeping partial lines."""

    __slots__ = (
        "_buffer",
        "_data",
        "_data_size",
        "_event",
        "_id",
        "_max",
        "_pending_cr",
        "_retry",
        "_started",
        "last_event_id",
    )

    def __init__(self, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE) -> None:
        if max_event_size is not None and max_event_size <= 0:
            raise ValueError("max_event_size must be positive or None")
        self._max = max_event_size
        self._buffer = b""
        self._pending_cr = False
        self._started = False
        self._data: list[bytes] = []
        self._data_size = 0
        self._event: bytes | None = None
        self._id: bytes | None = None
        self._retry: int | None = None
        self.last_event_id: str | None = None

    @property
    def has_partial_event(self) -> bool:
        """True when bytes of an event that was never terminated by a blank line are held."""
        return bool(self._buffer or self._data or self._event is not None or self._id is not None)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk`` (any length, any split) and return the events it completed.

        Raises:
            SSEError: an event grew past ``max_event_size``, or its text is not UTF-8.
        """
        if not chunk:
            return []
        if not self._started:
            self._started = True
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
        if self._pending_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]  # the LF of a CRLF split across two chunks
        if b"\r" in chunk:
            self._pending_cr = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        else:
            self._pending_cr = False
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\n" not in buffer:
            self._buffer = buffer
            self._check_size()
            return []
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        events: list[ServerSentEvent] = []
        for line in lines:
            if not line:
                if self._data or self._event is not None:
                    events.append(self._dispatch())
                else:
                    self._reset()
                continue
            if line[0] == 0x3A:  # ":" a comment
                continue
            name, colon, value = line.partition(b":")
            if colon and value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                self._data.append(value)
                self._data_size += len(value)
            elif name == b"event":
                self._event = value
            elif name == b"id":
                if b"\0" not in value:
                    self._id = value
            elif name == b"retry" and value.isdigit():
                self._retry = int(value)
            # any other field name is ignored, as the standard says
            if self._max is not None and self._data_size > self._max:
                self._check_size()
        self._check_size()
        return events

    def _check_size(self) -> None:
        size = self._data_size + len(self._buffer)
        if self._max is not None and size > self._max:
            self._buffer = b""
            self._reset()
            raise SSEError(f"an SSE event is larger than the {self._max}-byte limit ({size} bytes so far)")

    def _reset(self) -> None:
        self._data = []
        self._event = None
        self._id = None
        self._retry = None
        self._data_size = 0

    def _dispatch(self) -> ServerSentEvent:
        try:
            data = b"\n".join(self._data).decode()
            event = self._event.decode() if self._event else "message"
            event_id = self._id.decode() if self._id is not None else None
        except UnicodeDecodeError as exc:
            self._reset()
            raise SSEError(f"an SSE event is not valid UTF-8: {exc}") from None
        if event_id is not None:
            self.last_event_id = event_id
        retry = self._retry
        self._reset()
        return ServerSentEvent(data=data, event=event, id=event_id, retry=retry)
