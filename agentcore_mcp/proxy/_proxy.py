"""``StdioProxy``: a local stdio MCP server that forwards every message, both ways, through an MCP transport.

One message, one way through, upward: a stdin line → JSON parse (-32700 with id null on failure, -32600 for
what is not a JSON-RPC message) → the local options (``--meta`` into ``_meta``, ``--read-only`` refusals,
the ``--tool-timeout`` timer) → the modern-era HTTP headers derived from the body → a ``SessionMessage``
on the transport's write stream. Downward: a ``SessionMessage`` from the transport's read stream → the
read-only filter of ``tools/list`` results → one stdout line. Requests, responses, notifications and
server-to-client requests all travel the same two paths, so whatever the local client and the runtime say
to each other arrives unchanged (bar the options above).

Every request the local client sends gets exactly one answer: the runtime's, the transport's JSON-RPC
error (it answers every id), or the proxy's own (a read-only refusal, a tool timeout, shutdown). Nothing
but JSON-RPC messages is ever written to stdout; logs go to the ``agentcore_mcp.proxy`` logger.

Lifecycle: EOF on stdin waits (up to ``drain_timeout``) for the answers still in flight, SIGINT/SIGTERM
answers them at once with -32000, a vanished client (stdout closed) abandons them; then the runtime session
is stopped (StopRuntimeSession) unless ``keep_session``, and :meth:`StdioProxy.run` returns 0.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic_core import from_json, to_json

from agentcore_mcp import _wire as wire
from agentcore_mcp.proxy._headers import ParamHeaders, modern_headers
from agentcore_mcp.proxy._messages import Sdk
from agentcore_mcp.proxy._stdio import Claimed, LineReader, LineWriter, Oversized, StdioClosed, claim_stdio

if TYPE_CHECKING:
    from agentcore_mcp.client import AgentCoreTransport

__all__ = ["ProxyOptions", "StdioProxy"]

logger = logging.getLogger("agentcore_mcp.proxy")

DEFAULT_MAX_LINE = 32 * 1024 * 1024
_INTERNAL_PREFIX = "agentcore-mcp-proxy/"
_MAX_LIST_PAGES = 100
_END_OF_INPUT = "end of input"  # the one ending that waits for the answers in flight


@dataclass(frozen=True)
class ProxyOptions:
    """What the proxy does to messages on their way, and how it ends.

    Attributes:
        read_only: list and allow only tools annotated ``readOnlyHint: true``; calls to others are refused
            with -32602 before they reach the runtime (tools without annotations count as not read-only).
        tool_timeout: seconds a ``tools/call`` may take; past it the local client gets -32001 and the
            runtime a ``notifications/cancelled`` (None: the transport's own request timeout applies).
        meta: entries added to every request's ``params._meta`` (keys the client set itself win).
        keep_session: do not stop the runtime session at exit.
        drain_timeout: after EOF on stdin, seconds to wait for answers still in flight.
        stop_timeout: seconds StopRuntimeSession may take at exit.
        max_line: the longest stdin line accepted, in bytes (a longer one is answered -32700 and dropped).
    """

    read_only: bool = False
    tool_timeout: float | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    keep_session: bool = False
    drain_timeout: float = 30.0
    stop_timeout: float = 10.0
    max_line: int = DEFAULT_MAX_LINE


@dataclass
class _Pending:
    method: str
    timer: asyncio.TimerHandle | None = None


class StdioProxy:
    """Serve MCP on stdio and forward everything through ``transport`` (an :class:`AgentCoreTransport`).

    ``transport`` may be any MCP client transport (an async context manager yielding the SDK's read and
    write streams); when it has a ``stop()`` coroutine method (as ``AgentCoreTransport`` does), that is
    how the runtime session ends at exit.
    """

    def __init__(self, transport: AgentCoreTransport | Any, options: ProxyOptions | None = None) -> None:
        self.transport = transport
        self.options = options or ProxyOptions()
        self._sdk: Sdk | None = None
        self._writer: LineWriter | None = None
        self._write: Any = None  # the transport's write stream
        self._pending: dict[Any, _Pending] = {}
        # ids the proxy answered itself (timeout, shutdown): the runtime's late answer is dropped
        self._abandoned: set[Any] = set()
        self._internal: dict[str, asyncio.Future[Any]] = {}
        self._counter = itertools.count(1)
        self._tools: dict[str, bool] = {}  # name -> annotated read-only, from tools/list results
        self._params = ParamHeaders()
        self._done: asyncio.Event | None = None
        self._reason = ""
        self._idle: asyncio.Event | None = None
        self._sent = False  # whether anything reached the runtime (no session to stop otherwise)
        self._client_gone = False

    # -- running ---------------------------------------------------------------------------------------

    async def run(self, stdin_fd: int | None = None, stdout_fd: int | None = None) -> int:
        """Serve until EOF, a signal or the client going away; returns the exit status (0).

        Without descriptors, claims the process's stdin and stdout (see :func:`claim_stdio`).
        """
        claimed: Claimed | None = None
        if stdin_fd is None or stdout_fd is None:
            claimed = claim_stdio()
            stdin_fd, stdout_fd = claimed.stdin_fd, claimed.stdout_fd
        try:
            return await self._serve(stdin_fd, stdout_fd)
        finally:
            if claimed is not None:
                claimed.release()

    async def _serve(self, stdin_fd: int, stdout_fd: int) -> int:
        loop = asyncio.get_running_loop()
        self._sdk = Sdk()
        self._done = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        reader = LineReader(stdin_fd, max_line=self.options.max_line)
        self._writer = LineWriter(stdout_fd)
        installed: list[signal.Signals] = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self._finish, f"signal {signum.name}")
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
                pass
        try:
            async with self.transport as streams:
                read, self._write = streams[0], streams[1]
                down = loop.create_task(self._downward(read))
                up = loop.create_task(self._upward(reader))
                await self._done.wait()
                logger.info("shutting down: %s", self._reason)
                if self._reason == _END_OF_INPUT:
                    await self._drain()
                up.cancel()
                await self._abandon_pending()
                await self._stop_session()
                down.cancel()
                await asyncio.gather(up, down, return_exceptions=True)
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
            reader.close()
            self._writer.close()
        return 0

    def _finish(self, reason: str) -> None:
        assert self._done is not None
        if not self._done.is_set():
            self._reason = reason
            self._done.set()
        elif reason.startswith("signal"):  # a signal while draining: stop waiting
            self._reason = reason
            if self._idle is not None:
                self._idle.set()

    async def _drain(self) -> None:
        assert self._idle is not None
        if not self._pending:
            return
        logger.info("waiting for %d answer(s) in flight", len(self._pending))
        try:
            await asyncio.wait_for(self._idle.wait(), self.options.drain_timeout)
        except asyncio.TimeoutError:
            logger.warning(
                "%d request(s) still unanswered after %g s", len(self._pending), self.options.drain_timeout
            )

    async def _abandon_pending(self) -> None:
        for request_id in list(self._pending):
            pending = self._pending.pop(request_id)
            if pending.timer is not None:
                pending.timer.cancel()
            self._abandoned.add(request_id)
            await self._send_error(
                request_id, wire.CONNECTION_CLOSED, f"the proxy is shutting down ({self._reason})"
            )

    async def _stop_session(self) -> None:
        stop = getattr(self.transport, "stop", None)
        if self.options.keep_session or stop is None or not self._sent:
            return
        try:
            await asyncio.wait_for(stop(), self.options.stop_timeout)
        except Exception as exc:  # the runtime may be unreachable by now: exit anyway, and say so
            logger.warning("could not stop the runtime session: %s", exc or type(exc).__name__)

    # -- upward: stdin -> runtime ----------------------------------------------------------------------

    async def _upward(self, reader: LineReader) -> None:
        try:
            async for line in reader:
                if isinstance(line, Oversized):
                    logger.warning(
                        "dropped a %d-byte line (the limit is %d bytes)", line.size, reader.max_line
                    )
                    await self._send_error(
                        None,
                        wire.PARSE_ERROR,
                        f"Parse error: a message of {line.size} bytes exceeds the proxy's limit of "
                        f"{reader.max_line} bytes",
                    )
                    continue
                if line.strip():
                    await self._from_client(line)
        except StdioClosed:
            self._finish("the local client went away")
            return
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug must not leave the client hanging: shut down cleanly, logged
            logger.exception("reading stdin failed")
        self._finish(_END_OF_INPUT)

    async def _from_client(self, line: bytes) -> None:
        assert self._sdk is not None
        try:
            obj = from_json(line)
        except ValueError as exc:
            await self._send_error(None, wire.PARSE_ERROR, f"Parse error: {exc}")
            return
        if not isinstance(obj, dict):
            kind = "a batch" if isinstance(obj, list) else type(obj).__name__
            await self._send_error(
                None, wire.INVALID_REQUEST, f"Invalid Request: {kind} is not a JSON-RPC message"
            )
            return
        request_id = obj.get("id")
        method = obj.get("method")
        is_request = isinstance(method, str) and "id" in obj
        if is_request and isinstance(method, str):
            refusal = await self._prepare_request(obj, method)
            if refusal is not None:
                await self._send_error(request_id, *refusal)
                return
        headers = None
        if isinstance(method, str):
            headers = modern_headers(method, obj.get("params"), self._params)
        try:
            message = self._sdk.message(obj, headers)
        except ValueError as exc:
            valid_id = (
                request_id
                if isinstance(request_id, (str, int)) and not isinstance(request_id, bool)
                else None
            )
            first = str(exc).splitlines()[0]
            if "method" not in obj and ("result" in obj or "error" in obj):
                # a malformed answer to one of the runtime's requests: JSON-RPC never answers a response
                logger.warning("dropped a malformed response from the local client: %s", first)
                return
            await self._send_error(valid_id, wire.INVALID_REQUEST, f"Invalid Request: {first}")
            return
        if is_request and isinstance(method, str):
            self._track(request_id, method)
        elif method == "notifications/cancelled":
            params = obj.get("params")
            if isinstance(params, dict):
                self._forget(params.get("requestId"))
        await self._forward(message)

    async def _forward(self, message: Any) -> None:
        assert self._write is not None
        self._sent = True
        await self._write.send(message)

    async def _prepare_request(self, obj: dict[str, Any], method: str) -> tuple[int, str] | None:
        """Apply --meta and --read-only to a request; a (code, message) refusal or None."""
        params = obj.get("params")
        if self.options.meta:
            if params is None:
                params = obj["params"] = {}
            if isinstance(params, dict):
                meta = params.get("_meta")
                if meta is None:
                    meta = params["_meta"] = {}
                if isinstance(meta, dict):
                    for key, value in self.options.meta.items():
                        meta.setdefault(key, value)
        if self.options.read_only and method == "tools/call" and isinstance(params, dict):
            name = params.get("name")
            if not isinstance(name, str):
                return None  # the runtime says what is wrong with it
            if name not in self._tools:
                await self._discover_tools(params.get("_meta"))
            if not self._tools.get(name, False):
                return (
                    wire.INVALID_PARAMS,
                    f"Tool {name!r} is not available: the proxy runs with --read-only and allows only tools "
                    "annotated readOnlyHint",
                )
        return None

    def _track(self, request_id: Any, method: str) -> None:
        assert self._idle is not None
        superseded = self._pending.pop(request_id, None)
        if superseded is not None and superseded.timer is not None:
            superseded.timer.cancel()
        self._abandoned.discard(request_id)
        pending = _Pending(method)
        if method == "tools/call" and self.options.tool_timeout is not None:
            loop = asyncio.get_running_loop()
            pending.timer = loop.call_later(
                self.options.tool_timeout, lambda: loop.create_task(self._time_out(request_id, pending))
            )
        self._pending[request_id] = pending
        self._idle.clear()

    def _forget(self, request_id: Any) -> _Pending | None:
        assert self._idle is not None
        try:
            pending = self._pending.pop(request_id, None)
        except TypeError:  # an unhashable id from a malformed message
            return None
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()
        if not self._pending:
            self._idle.set()
        return pending

    async def _time_out(self, request_id: Any, pending: _Pending) -> None:
        if self._pending.get(request_id) is not pending:
            return
        self._forget(request_id)
        self._abandoned.add(request_id)
        timeout = self.options.tool_timeout
        logger.warning(
            "tools/call %r: no answer within %g s (--tool-timeout); cancelled", request_id, timeout
        )
        await self._send_error(
            request_id,
            wire.REQUEST_TIMEOUT,
            f"the tool call got no answer within {timeout:g} s (agentcore-mcp proxy --tool-timeout)",
            {"timeout": timeout},
        )
        assert self._sdk is not None
        cancel = {
            "jsonrpc": "2.0",
            "method": "notifications/cancelled",
            "params": {"requestId": request_id, "reason": f"timed out after {timeout:g} s"},
        }
        try:
            await self._forward(self._sdk.message(cancel))
        except Exception as exc:
            logger.debug("could not forward the cancellation of %r: %s", request_id, exc)

    async def _discover_tools(self, meta: Any) -> None:
        """List the runtime's tools (all pages) to learn which are read-only, with the caller's era."""
        assert self._sdk is not None
        cursor: str | None = None
        for _ in range(_MAX_LIST_PAGES):
            request_id = f"{_INTERNAL_PREFIX}{next(self._counter)}"
            params: dict[str, Any] = {}
            if isinstance(meta, dict):
                params["_meta"] = {k: v for k, v in meta.items() if k.startswith("io.modelcontextprotocol/")}
            if cursor:
                params["cursor"] = cursor
            obj = {"jsonrpc": "2.0", "id": request_id, "method": "tools/list", "params": params}
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._internal[request_id] = future
            try:
                await self._forward(
                    self._sdk.message(obj, modern_headers("tools/list", params, self._params))
                )
                answer = await future
            finally:
                self._internal.pop(request_id, None)
            result = answer.get("result") if isinstance(answer, dict) else None
            if not isinstance(result, dict):
                logger.warning("could not list the runtime's tools for --read-only: %s", answer.get("error"))
                return
            self._learn_tools(result.get("tools"))
            cursor = result.get("nextCursor")
            if not isinstance(cursor, str) or not cursor:
                return

    def _learn_tools(self, tools: Any) -> None:
        self._params.learn(tools)
        if not isinstance(tools, list):
            return
        for tool in tools:
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                annotations = tool.get("annotations")
                read_only = isinstance(annotations, dict) and annotations.get("readOnlyHint") is True
                self._tools[tool["name"]] = read_only

    # -- downward: runtime -> stdout --------------------------------------------------------------------

    async def _downward(self, read: Any) -> None:
        assert self._sdk is not None
        try:
            async for item in read:
                if isinstance(item, Exception):
                    logger.warning("the transport reported: %s", item)
                    continue
                await self._to_client(item)
        except StdioClosed:
            self._finish("the local client went away")
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("forwarding to stdout failed")
            self._finish("an internal error")

    async def _to_client(self, item: Any) -> None:
        assert self._sdk is not None
        assert self._writer is not None
        envelope = self._sdk.envelope(item)
        method = getattr(envelope, "method", None)
        if method is None:  # a response (result or error)
            request_id = getattr(envelope, "id", None)
            if isinstance(request_id, str) and request_id in self._internal:
                self._internal[request_id].set_result(from_json(self._sdk.dump(item)))
                return
            if request_id in self._abandoned:
                self._abandoned.discard(request_id)
                logger.info("dropped the late answer to %r", request_id)
                return
            pending = self._forget(request_id)
            if pending is not None and pending.method == "tools/list":
                await self._writer.write(self._filter_tools(self._sdk.dump(item)))
                return
        elif method == "notifications/tools/list_changed":
            self._tools.clear()
        await self._writer.write(self._sdk.dump(item))

    def _filter_tools(self, line: bytes) -> bytes:
        """Learn the tools of a tools/list answer; with --read-only, keep only the read-only ones."""
        message = from_json(line)
        result = message.get("result") if isinstance(message, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return line
        self._learn_tools(result["tools"])
        if not self.options.read_only:
            return line
        result["tools"] = [
            t for t in result["tools"] if isinstance(t, dict) and self._tools.get(str(t.get("name")), False)
        ]
        return to_json(message)

    # -- the proxy's own answers ------------------------------------------------------------------------

    async def _send_error(self, request_id: Any, code: int, message: str, data: Any = None) -> None:
        assert self._writer is not None
        if self._client_gone:
            return
        try:
            await self._writer.write(wire.error_body(request_id, code, message, data))
        except StdioClosed:
            self._client_gone = True
            self._finish("the local client went away")
