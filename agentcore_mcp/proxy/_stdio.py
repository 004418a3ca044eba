"""MCP's stdio framing: one JSON-RPC message per line, UTF-8, ``\\n``-terminated, on the process's stdin/stdout.

The MCP spec (basic/transports, "stdio") says messages are newline-delimited and MUST NOT contain embedded
newlines; the server MUST NOT write anything to stdout that is not a valid MCP message, and MAY log to
stderr. Both SDKs frame so (``mcp.server.stdio``: one ``model_dump_json()`` plus ``"\\n"`` per message).

This module owns the two file descriptors: :func:`claim_stdio` moves the wire to private descriptors and
points fd 0 at the null device and fd 1 at stderr, so a stray ``print`` (ours, a library's, a child
process's such as ``--token-command``) can never corrupt the wire. :class:`LineReader` yields whole lines,
and a marker for a line longer than the limit (its bytes are dropped as they arrive, never buffered whole).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass

__all__ = ["LineReader", "LineWriter", "Oversized", "StdioClosed", "claim_stdio"]

_CHUNK = 1 << 16


class StdioClosed(Exception):
    """The local client closed its end of stdout (EPIPE): nobody reads our answers any more."""


@dataclass(frozen=True)
class Oversized:
    """A line longer than the limit (``size`` bytes were dropped; the next line starts afresh)."""

    size: int


@dataclass(frozen=True)
class Claimed:
    """The wire's private descriptors, and how to put fds 0 and 1 back."""

    stdin_fd: int
    stdout_fd: int
    _saved: tuple[int, int] | None

    def release(self) -> None:
        if self._saved is None:
            return
        for fd, saved in zip((0, 1), self._saved, strict=True):
            with suppress(OSError):
                os.dup2(saved, fd)
            with suppress(OSError):
                os.close(saved)


def claim_stdio() -> Claimed:
    """Move the wire off fds 0 and 1 (0 reads the null device, 1 writes to stderr) and return its fds.

    The private descriptors are close-on-exec, so child processes do not inherit the wire.
    """
    sys.stdout.flush()
    wire_in = os.dup(0)
    wire_out = os.dup(1)
    os.set_inheritable(wire_in, False)
    os.set_inheritable(wire_out, False)
    saved = (os.dup(0), os.dup(1))
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(null, 0)
    finally:
        os.close(null)
    try:
        os.dup2(2, 1)
    except OSError:  # no stderr (a launcher closed it): stray output goes nowhere rather than on the wire
        sink = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(sink, 1)
        finally:
            os.close(sink)
    return Claimed(wire_in, wire_out, saved)


class LineReader:
    """Lines from a descriptor, without their ``\\n``; ``Oversized`` for a line over ``max_line`` bytes.

    On a pipe or socket it reads through the event loop; on anything else (a regular file, a tty) each read
    runs in a worker thread. A final line without a ``\\n`` before EOF is still yielded (a client that
    writes one message and closes stdin is answered).
    """

    def __init__(self, fd: int, *, max_line: int) -> None:
        if max_line < 1:
            raise ValueError(f"max_line must be positive, got {max_line}")
        self._fd = fd
        self.max_line = max_line
        self._reader: asyncio.StreamReader | None = None
        self._transport: asyncio.BaseTransport | None = None

    async def _read(self) -> bytes:
        if self._reader is None and self._transport is None:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader(limit=_CHUNK * 4)
            try:
                pipe = os.fdopen(self._fd, "rb", buffering=0, closefd=False)
                self._transport, _ = await loop.connect_read_pipe(
                    lambda: asyncio.StreamReaderProtocol(reader), pipe
                )
                self._reader = reader
            except (ValueError, OSError):  # not a pipe, socket or character device: read in a thread
                self._transport = _THREAD
        if self._reader is not None:
            return await self._reader.read(_CHUNK)
        return await asyncio.to_thread(os.read, self._fd, _CHUNK)

    async def __aiter__(self) -> AsyncIterator[bytes | Oversized]:
        buffer = bytearray()
        dropped = 0  # > 0 while skipping the rest of an oversized line
        while True:
            chunk = await self._read()
            if not chunk:
                break
            start = 0
            while True:
                end = chunk.find(b"\n", start)
                if end < 0:
                    break
                if dropped:
                    yield Oversized(dropped + end - start)
                    dropped = 0
                elif len(buffer) + end - start > self.max_line:
                    size = len(buffer) + end - start
                    buffer.clear()
                    yield Oversized(size)
                elif buffer:
                    buffer += chunk[start:end]
                    line = bytes(buffer)
                    buffer.clear()
                    yield line
                else:
                    yield chunk[start:end]
                start = end + 1
            rest = len(chunk) - start
            if dropped:
                dropped += rest
            elif len(buffer) + rest > self.max_line:
                dropped = len(buffer) + rest
                buffer.clear()
            else:
                buffer += chunk[start:]
        if dropped:
            yield Oversized(dropped)
        elif buffer.strip():
            yield bytes(buffer)

    def close(self) -> None:
        if self._transport is not None and self._transport is not _THREAD:
            self._transport.close()


class LineWriter:
    """Writes one line per message to a descriptor, in order; raises :class:`StdioClosed` on EPIPE."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._writer: asyncio.StreamWriter | None = None
        self._threaded = False
        self._lock = asyncio.Lock()

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            pipe = os.fdopen(self._fd, "wb", buffering=0, closefd=False)
            transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, pipe)
            self._writer = asyncio.StreamWriter(transport, protocol, None, loop)
        except (ValueError, OSError):
            self._threaded = True

    async def write(self, line: bytes) -> None:
        """Write ``line`` plus ``\\n`` (``line`` must hold no line break: JSON serialisers never emit one)."""
        async with self._lock:
            if self._writer is None and not self._threaded:
                await self._open()
            try:
                if self._writer is not None:
                    if self._writer.transport.is_closing():
                        raise StdioClosed("the local client closed stdout")
                    self._writer.write(line + b"\n")
                    await self._writer.drain()
                else:
                    await asyncio.to_thread(_write_all, self._fd, line + b"\n")
            except (BrokenPipeError, ConnectionResetError) as exc:
                raise StdioClosed("the local client closed stdout") from exc

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


_THREAD = asyncio.BaseTransport()  # marks a reader that reads in worker threads
