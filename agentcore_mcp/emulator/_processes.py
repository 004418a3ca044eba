"""Starting and stopping the server process behind a microVM (a worker, or a snapshot's template).

:func:`spawn_server` runs ``python -m <module> <app spec>`` with the runtime's environment;
:func:`reap_server` waits for one to exit, killing it after a grace period; :class:`StartFailed` carries
AgentCore's wording for a microVM that did not become ready (answered 424 RuntimeClientError).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from typing import Any

from agentcore_mcp.emulator._code import Prepared

__all__ = ["StartFailed", "reap_server", "spawn_code", "spawn_server"]


class StartFailed(Exception):
    """A microVM did not become ready (timed out, exited, or its app failed to load); answered 424."""

    @classmethod
    def timed_out(cls, seconds: float) -> StartFailed:
        return cls(
            "Runtime initialization time exceeded. Please make sure that initialization completes "
            f"in {seconds:g}s."
        )

    @classmethod
    def exited(cls, code: int | None) -> StartFailed:
        return cls(f"Runtime exited during initialization with code {code}. Check the runtime's logs.")


async def reap_server(
    process: asyncio.subprocess.Process, reader: asyncio.Task[None] | None, grace: float
) -> None:
    """Wait ``grace`` seconds for ``process`` to exit (SIGKILL then), then for its output ``reader``."""
    try:
        await asyncio.wait_for(process.wait(), grace)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
    if reader is not None:
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(reader), grace)


async def spawn_server(module: str, runtime: Any, *, stdin: int) -> asyncio.subprocess.Process:
    """``python -m module <the runtime's app spec>`` with the runtime's environment, stdout piped.

    The environment is this process's, plus the runtime's ``environment``, plus the region variables both
    boto3 and other SDKs read (unless set).
    """
    env = dict(os.environ)
    env.update(runtime.environment)
    env.setdefault("AWS_REGION", runtime.region)
    env.setdefault("AWS_DEFAULT_REGION", runtime.region)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        str(runtime.target),
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )


async def spawn_code(runtime: Any, prepared: Prepared) -> tuple[asyncio.subprocess.Process, int]:
    """Run a code zip's entry point (``python -S main.py`` in the unpacked zip) on a free loopback port.

    The environment is this process's without ``PYTHONPATH`` (only the zip's code may be imported; the
    host builds of its foreign native packages, if any, take its place), plus the runtime's environment,
    the region variables, and ``AGENTCORE_MCP_HOST``/``AGENTCORE_MCP_PORT`` (and ``PORT``) naming the port.
    Returns the process (stdout piped, stderr merged into it) and the port.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(runtime.environment)
    env.setdefault("AWS_REGION", runtime.region)
    env.setdefault("AWS_DEFAULT_REGION", runtime.region)
    env.update(AGENTCORE_MCP_HOST="127.0.0.1", AGENTCORE_MCP_PORT=str(port), PORT=str(port))
    env["PYTHONUNBUFFERED"] = "1"
    if prepared.host_packages is not None:
        env["PYTHONPATH"] = str(prepared.host_packages)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-S",
        *prepared.command,
        cwd=prepared.root,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    return process, port
