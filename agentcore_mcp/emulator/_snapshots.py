"""``isolation="snapshot"``: sessions forked from a template process, as Runtime V2 restores a snapshot.

AgentCore Runtime V2 (developer guide: "Optimize your agent for Amazon Bedrock AgentCore Runtime V2")
starts each session by restoring a snapshot of a container that has already run its start-up code: what
the process made at import time (keys, ids, random state, clients, open connections) is shared by every
session restored from it. The emulator models that with ``fork``: a :class:`Template` process imports the
app once (``agentcore_mcp.emulator._template``); each new session gets a :class:`ForkedProcess` forked
from it, with the template's memory as it was. It is a model, not a copy: a fork runs
``os.register_at_fork`` hooks and a restored microVM runs none, and the kernel's random pool is the
parent's until it reseeds (a restored microVM's is reseeded by VM generation id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from agentcore_mcp.emulator._processes import StartFailed, reap_server, spawn_server
from agentcore_mcp.emulator._runtimes import Runtime

__all__ = ["EXITED", "FORKED", "READY", "ForkedProcess", "Template"]

# The lines the template process prints (see _template.py).
READY = "AGENTCORE_MCP_TEMPLATE_READY"
FORKED = "AGENTCORE_MCP_FORKED"
EXITED = "AGENTCORE_MCP_EXITED"

logger = logging.getLogger("agentcore_mcp.emulator")


class ForkedProcess:
    """One session's server, forked from its runtime's template; stopped with signals by pid."""

    def __init__(self, pid: int, port: int) -> None:
        self._pid = pid
        self.port = port
        self.exited = asyncio.Event()
        self.exit_code: int | None = None
        self.terminating = False

    @property
    def pid(self) -> int | None:
        return self._pid

    def _signal(self, sig: signal.Signals) -> None:
        if not self.exited.is_set():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, sig)

    async def terminate(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; returns once the template saw it exit."""
        self.terminating = True
        self._signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.exited.wait(), grace)
        except asyncio.TimeoutError:
            self._signal(signal.SIGKILL)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.exited.wait(), grace)


class Template:
    """A runtime's template process: the app imported once, a server forked for each session."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.process: asyncio.subprocess.Process | None = None
        self._children: dict[int, ForkedProcess] = {}
        self._forked: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the template and wait (the runtime's start timeout) until the app is imported.

        Raises:
            StartFailed: with AgentCore's wording when the timeout passes or the template exits.
        """
        self.process = await spawn_server(
            "agentcore_mcp.emulator._template", self.runtime, stdin=asyncio.subprocess.PIPE
        )
        try:
            ready = await asyncio.wait_for(self._await_ready(), self.runtime.start_timeout)
        except asyncio.TimeoutError:
            await self.close()
            raise StartFailed.timed_out(self.runtime.start_timeout) from None
        if not ready:
            raise StartFailed.exited(await self.process.wait())
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _await_ready(self) -> bool:
        assert self.process is not None
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            text = line.decode(errors="replace").rstrip()
            if text == READY:
                return True
            logger.info("[%s template pid %s] %s", self.runtime.name, self.process.pid, text)
        return False

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            text = line.decode(errors="replace").rstrip()
            word, _, rest = text.partition(" ")
            if word == FORKED:
                pid, port = (int(v) for v in rest.split())
                self._forked.put_nowait((pid, port))
            elif word == EXITED:
                pid, code = (int(v) for v in rest.split())
                self._exited(pid, code)
            else:
                logger.info("[%s snapshot] %s", self.runtime.name, text)
        for pid in list(self._children):
            self._exited(pid, -1)
        self._forked.put_nowait(None)

    def _exited(self, pid: int, code: int) -> None:
        child = self._children.pop(pid, None)
        if child is None:
            return
        child.exit_code = code
        child.exited.set()
        if not child.terminating:
            logger.warning("forked microVM pid %s exited with code %s", pid, code)

    async def fork(self) -> ForkedProcess:
        """A new session's server, forked from the template (its port already listening).

        Raises:
            StartFailed: the template is gone or did not report the fork in time.
        """
        async with self._lock:
            process = self.process
            if process is None or process.stdin is None or process.returncode is not None:
                raise StartFailed("Runtime exited during initialization. Check the runtime's logs.")
            process.stdin.write(b"fork\n")
            await process.stdin.drain()
            try:
                forked = await asyncio.wait_for(self._forked.get(), self.runtime.start_timeout)
            except asyncio.TimeoutError:
                raise StartFailed.timed_out(self.runtime.start_timeout) from None
            if forked is None:
                raise StartFailed("Runtime exited during initialization. Check the runtime's logs.")
            child = ForkedProcess(*forked)
            self._children[child._pid] = child
            return child

    async def close(self, grace: float = 5.0) -> None:
        """End the template: its children get SIGTERM, then it exits (SIGKILL after ``grace``)."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        await reap_server(process, self._reader, grace)
