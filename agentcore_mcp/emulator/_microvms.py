"""Runtime sessions and their "microVMs": affinity, idle timeout, max lifetime, stop, process isolation.

A session is named by a runtime session id and an ``Mcp-Session-Id`` (the same value unless the caller
sent both, differently). Requests naming a live session reach that session's microVM; a session past its
idle timeout or max lifetime, stopped by StopRuntimeSession, or whose process died, is gone, and its id
gets a fresh microVM on the next request. In ``isolation="process"`` a microVM is a server process of its
own; in ``"shared"`` mode all sessions of a runtime reach one target and the microVM is bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentcore_mcp.emulator._code import CodeUnavailable
from agentcore_mcp.emulator._forward import HttpUpstream, Upstream
from agentcore_mcp.emulator._probes import Probed
from agentcore_mcp.emulator._processes import StartFailed, reap_server, spawn_code, spawn_server
from agentcore_mcp.emulator._runtimes import Runtime
from agentcore_mcp.emulator._snapshots import ForkedProcess, Template

__all__ = ["Session", "SessionManager", "StartFailed", "new_session_id"]

logger = logging.getLogger("agentcore_mcp.emulator")

READY = "AGENTCORE_MCP_WORKER_READY"  # the line a worker prints once it listens (see worker.py)


def new_session_id() -> str:
    """A fresh id valid in every session-id field (36 chars of ``[a-zA-Z0-9-]``)."""
    return str(uuid.uuid4())


class WorkerProcess:
    """One server process (``agentcore_mcp.emulator._worker``) serving a runtime's app on loopback."""

    def __init__(self, runtime: Runtime, session_label: str) -> None:
        self.runtime = runtime
        self.label = session_label
        self.process: asyncio.subprocess.Process | None = None
        self.port: int | None = None
        self.exited = asyncio.Event()
        self.exit_code: int | None = None
        self.terminating = False
        self._reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    async def start(self) -> int:
        """Start the process and wait (at most the runtime's start timeout) for it to listen; its port.

        Raises:
            StartFailed: with AgentCore's wording when the timeout passes.
        """
        self.process = await spawn_server(
            "agentcore_mcp.emulator._worker", self.runtime, stdin=asyncio.subprocess.DEVNULL
        )
        assert self.process.stdout is not None
        stdout = self.process.stdout
        try:
            port = await asyncio.wait_for(self._await_ready(stdout), self.runtime.start_timeout)
        except asyncio.TimeoutError:
            await self.terminate()
            raise StartFailed.timed_out(self.runtime.start_timeout) from None
        if port is None:
            code = await self.process.wait()
            self.exit_code = code
            self.exited.set()
            raise StartFailed.exited(code)
        self.port = port
        self._reader = asyncio.get_running_loop().create_task(self._drain(stdout))
        return port

    async def _await_ready(self, stdout: asyncio.StreamReader) -> int | None:
        while True:
            line = await stdout.readline()
            if not line:
                return None
            text = line.decode(errors="replace").rstrip()
            if text.startswith(READY + " "):
                return int(text.split()[1])
            logger.info("[%s pid %s] %s", self.label, self.pid, text)

    async def _drain(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            logger.info("[%s pid %s] %s", self.label, self.pid, line.decode(errors="replace").rstrip())
        assert self.process is not None
        self.exit_code = await self.process.wait()
        self.exited.set()
        if not self.terminating:
            logger.warning(
                "microVM of session %s (pid %s) exited with code %s", self.label, self.pid, self.exit_code
            )

    async def terminate(self, grace: float = 5.0) -> None:
        """Stop the process: SIGTERM, then SIGKILL after ``grace`` seconds."""
        self.terminating = True
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await reap_server(process, self._reader, grace)


class CodeProcess(WorkerProcess):
    """The process behind a code runtime's session: the deployed zip's entry point, run by this Python.

    It runs in the unpacked zip with no site-packages (``python -S``: only the zip's packages, and host
    builds of its foreign native ones, can be imported), bound to a free loopback port through
    ``AGENTCORE_MCP_HOST``/``AGENTCORE_MCP_PORT``; it is ready once that port accepts connections.
    """

    async def start(self) -> int:
        code = self.runtime.code
        assert code is not None
        prepared = await asyncio.to_thread(code.prepare)  # CodeUnavailable propagates
        self.process, self.port = await spawn_code(self.runtime, prepared)
        assert self.process.stdout is not None
        self._reader = asyncio.get_running_loop().create_task(self._drain(self.process.stdout))
        try:
            await asyncio.wait_for(self._await_port(self.port), self.runtime.start_timeout)
        except asyncio.TimeoutError:
            await self.terminate()
            raise StartFailed.timed_out(self.runtime.start_timeout) from None
        if self.exited.is_set():
            self.terminating = True
            raise StartFailed.exited(self.exit_code)
        return self.port

    async def _await_port(self, port: int) -> None:
        while not self.exited.is_set():
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.02)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return


@dataclass(eq=False)
class Session:
    """One runtime session and its microVM."""

    runtime: Runtime
    runtime_session_id: str
    mcp_session_id: str
    created: float
    last_used: float
    upstream: Upstream
    process: WorkerProcess | ForkedProcess | None = None
    in_flight: int = 0
    invocations: int = 0
    ended: str | None = None
    microvm: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    workload_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    start_seconds: float = 0.0
    """How long the microVM took to become ready (a process's start, or a snapshot's fork)."""
    health: Probed = field(default_factory=Probed)
    """What the health probes found (``health.failed`` set: callers get -32010 until the session ends)."""
    closed: threading.Event = field(default_factory=threading.Event)
    """Set once the session has ended and its process (if any) is gone; other threads may wait on it."""

    @property
    def pid(self) -> int | None:
        """The microVM's process id (process isolation), else None."""
        return self.process.pid if self.process else None

    @property
    def alive(self) -> bool:
        return self.ended is None and (self.process is None or not self.process.exited.is_set())

    def describe(self) -> dict[str, Any]:
        return {
            "runtimeArn": self.runtime.arn,
            "runtimeSessionId": self.runtime_session_id,
            "mcpSessionId": self.mcp_session_id,
            "microVM": self.microvm,
            "pid": self.pid,
            "invocations": self.invocations,
            "inFlight": self.in_flight,
        }


class SessionManager:
    """Finds or starts the session a request names; ends sessions on timeout, stop, or process exit.

    ``clock`` (monotonic seconds) drives idle and lifetime decisions; tests pass a clock they advance.
    :meth:`expire` may be called from any thread.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._by_runtime_id: dict[tuple[str, str], Session] = {}
        self._by_mcp_id: dict[tuple[str, str], Session] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._expire_requests: set[str] = set()
        self._guard = threading.Lock()
        self._templates: dict[int, tuple[Runtime, Template]] = {}
        self._template_lock = asyncio.Lock()

    def sessions(self) -> list[Session]:
        """The live sessions, oldest first."""
        return sorted({id(s): s for s in self._by_runtime_id.values()}.values(), key=lambda s: s.created)

    def find(self, session_id: str) -> Session | None:
        """The live session whose runtime session id or Mcp-Session-Id is ``session_id`` (any runtime)."""
        for session in self.sessions():
            if session_id in (session.runtime_session_id, session.mcp_session_id):
                return session
        return None

    def expire(self, session_id: str) -> None:
        """Mark a session as timed out: its next request gets a fresh microVM (thread-safe)."""
        with self._guard:
            self._expire_requests.add(session_id)

    def _why_gone(self, session: Session, now: float) -> str | None:
        with self._guard:
            if self._expire_requests & {session.runtime_session_id, session.mcp_session_id}:
                self._expire_requests -= {session.runtime_session_id, session.mcp_session_id}
                return "expired on request"
        if session.ended:
            return session.ended
        if session.process is not None and session.process.exited.is_set():
            return f"its process exited with code {session.process.exit_code}"
        if now - session.created > session.runtime.max_lifetime:
            return f"max lifetime ({session.runtime.max_lifetime:g}s) reached"
        if session.in_flight == 0 and now - session.last_used > session.runtime.idle_timeout:
            return f"idle for more than {session.runtime.idle_timeout:g}s"
        return None

    async def acquire(
        self,
        runtime: Runtime,
        runtime_session_id: str | None,
        mcp_session_id: str | None,
        shared: Callable[[], Upstream],
        client: Any,
    ) -> tuple[Session, float | None]:
        """The session for these ids (starting its microVM when needed); the start time when cold.

        Raises:
            StartFailed: the microVM did not become ready.
        """
        key_id = runtime_session_id or mcp_session_id or new_session_id()
        key = (runtime.arn, key_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = self.clock()
            session = await self._live(runtime, runtime_session_id, mcp_session_id, now)
            started: float | None = None
            if session is None:
                rsid = runtime_session_id or mcp_session_id or key_id
                session = await self._start(runtime, rsid, mcp_session_id, now, shared, client)
                started = session.start_seconds
            session.in_flight += 1
            session.invocations += 1
            session.last_used = now
        return session, started

    async def _live(
        self, runtime: Runtime, runtime_session_id: str | None, mcp_session_id: str | None, now: float
    ) -> Session | None:
        """The session these ids name, unless it timed out or ended (then it is ended now)."""
        session = self._by_runtime_id.get((runtime.arn, runtime_session_id)) if runtime_session_id else None
        if session is None and mcp_session_id:
            session = self._by_mcp_id.get((runtime.arn, mcp_session_id))
        if session is not None:
            reason = self._why_gone(session, now)
            if reason is not None:
                await self.end(session, reason)
                session = None
        return session

    async def _start(
        self,
        runtime: Runtime,
        rsid: str,
        mcp_session_id: str | None,
        now: float,
        shared: Callable[[], Upstream],
        client: Any,
    ) -> Session:
        """A new session, its microVM started and ready, registered under its ids (``start_seconds`` set)."""
        # A stateful server issues its own Mcp-Session-Id (adopt() records it); others get ours.
        platform_id = "" if runtime.stateful else rsid
        session = Session(
            runtime=runtime,
            runtime_session_id=rsid,
            mcp_session_id=mcp_session_id or platform_id,
            created=now,
            last_used=now,
            upstream=shared() if runtime.isolation == "shared" else Upstream(),
        )
        begin = asyncio.get_running_loop().time()
        if runtime.code is not None:
            # The zip is fetched and unpacked once per version, as the platform does at deploy
            # time: a session's start is its process's.
            try:
                await asyncio.to_thread(runtime.code.prepare)
            except CodeUnavailable as exc:
                raise StartFailed(f"Runtime initialization failed: {exc}") from None
            begin = asyncio.get_running_loop().time()
        if runtime.isolation == "process":
            worker = CodeProcess(runtime, rsid) if runtime.code else WorkerProcess(runtime, rsid)
            session.process = worker
            port = await worker.start()  # StartFailed propagates; nothing was registered
            session.upstream = HttpUpstream(f"http://127.0.0.1:{port}{runtime.mcp_path}", client)
        elif runtime.isolation == "snapshot":
            template = await self._template(runtime)
            begin = asyncio.get_running_loop().time()  # a session's start excludes the import
            forked = await template.fork()
            session.process = forked
            session.upstream = HttpUpstream(f"http://127.0.0.1:{forked.port}{runtime.mcp_path}", client)
        started = session.start_seconds = asyncio.get_running_loop().time() - begin
        self._by_runtime_id[(runtime.arn, session.runtime_session_id)] = session
        if session.mcp_session_id:
            self._by_mcp_id[(runtime.arn, session.mcp_session_id)] = session
        logger.info(
            "new microVM %s for session %s on %s%s",
            session.microvm,
            session.runtime_session_id,
            runtime.name,
            f" (pid {session.pid}, ready in {started * 1000:.0f} ms)" if session.pid else "",
        )
        return session

    async def _template(self, runtime: Runtime) -> Template:
        """The runtime's template process (the snapshot), started on its first session."""
        async with self._template_lock:
            held = self._templates.get(id(runtime))
            if held is not None and held[1].process is not None and held[1].process.returncode is None:
                return held[1]
            template = Template(runtime)
            await template.start()  # StartFailed propagates
            self._templates[id(runtime)] = (runtime, template)
            return template

    def adopt(self, session: Session, mcp_session_id: str) -> None:
        """Route ``mcp_session_id`` (issued by a stateful server in its answer) to ``session`` from now on."""
        if not mcp_session_id or mcp_session_id == session.mcp_session_id or session.ended:
            return
        arn = session.runtime.arn
        if session.mcp_session_id and self._by_mcp_id.get((arn, session.mcp_session_id)) is session:
            del self._by_mcp_id[(arn, session.mcp_session_id)]
        session.mcp_session_id = mcp_session_id
        self._by_mcp_id[(arn, mcp_session_id)] = session
        logger.info(
            "session %s on %s: the server's Mcp-Session-Id is %s",
            session.runtime_session_id,
            session.runtime.name,
            mcp_session_id,
        )

    def release(self, session: Session) -> None:
        session.in_flight -= 1
        session.last_used = self.clock()

    async def stop(self, runtime: Runtime, runtime_session_id: str) -> Session | None:
        """End a session (StopRuntimeSession); the session, or None when there was none."""
        session = self._by_runtime_id.get((runtime.arn, runtime_session_id))
        if session is None:
            session = self._by_mcp_id.get((runtime.arn, runtime_session_id))
        if session is None or self._why_gone(session, self.clock()) is not None:
            if session is not None:
                await self.end(session, "gone before StopRuntimeSession")
            return None
        await self.end(session, "stopped by StopRuntimeSession")
        return session

    async def end(self, session: Session, reason: str) -> None:
        """Forget a session and stop its microVM's process."""
        session.ended = session.ended or reason
        arn = session.runtime.arn
        if self._by_runtime_id.get((arn, session.runtime_session_id)) is session:
            del self._by_runtime_id[(arn, session.runtime_session_id)]
        if self._by_mcp_id.get((arn, session.mcp_session_id)) is session:
            del self._by_mcp_id[(arn, session.mcp_session_id)]
        logger.info("session %s on %s ended: %s", session.runtime_session_id, session.runtime.name, reason)
        try:
            if session.process is not None:
                await session.process.terminate()
        finally:
            session.closed.set()

    async def reap(self) -> int:
        """End every session that timed out or whose process exited; how many ended."""
        now = self.clock()
        gone = [(s, r) for s in self.sessions() if (r := self._why_gone(s, now)) is not None]
        for session, reason in gone:
            await self.end(session, reason)
        live = {(s.runtime.arn, s.runtime_session_id) for s in self.sessions()}
        for key in [k for k, lock in self._locks.items() if k not in live and not lock.locked()]:
            del self._locks[key]
        return len(gone)

    async def close(self) -> None:
        """End every session (emulator shutdown)."""
        for session in self.sessions():
            await self.end(session, "emulator shut down")
        templates, self._templates = list(self._templates.values()), {}
        for _, template in templates:
            await template.close()
