"""Runtime V2's warm-up hook: the user's warm-up code, run once when the platform POSTs the hook's path.

On Runtime V2 the platform calls ``hooksConfiguration.build.warmup`` (an HTTP ``POST`` to the container,
120 s limit, no retry) once per create or update, before it snapshots the container and before any
session exists: imports, clients and caches made there are in every session restored from the snapshot.
:class:`Warmup` runs the registered function once (a sync one in a worker thread, so health probes and
``/mcp`` keep being answered) and answers 200 ``{"status":"Ready"}``; a failure answers 500 and fails
the deploy. A second ``POST`` after a success answers 200 without running it again.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
from pydantic_core import to_json

__all__ = ["DEFAULT_WARMUP_PATH", "Warmup"]

logger = logging.getLogger("agentcore_mcp.server")

DEFAULT_WARMUP_PATH = "/warmup"


class Warmup:
    """One warm-up function and its outcome.

    Args:
        fn: the warm-up code, ``def`` or ``async def``, taking no arguments.
        path: the path the hook POSTs (``/warmup``).
        expose_errors: put the exception's message in a failed answer (else only its type).
    """

    def __init__(self, fn: Callable[[], Any], path: str, *, expose_errors: bool = False) -> None:
        if not path.startswith("/"):
            raise ValueError(f"the warm-up path must start with '/', got {path!r}")
        self.fn = fn
        self.path = path.rstrip("/") or "/"
        self.expose_errors = expose_errors
        self.runs = 0
        self.seconds: float | None = None
        self._lock = anyio.Lock()

    async def run(self) -> tuple[int, bytes]:
        """Run the function unless it already succeeded; the status and JSON body to answer with."""
        async with self._lock:
            if self.seconds is not None:
                return 200, to_json({"status": "Ready", "seconds": round(self.seconds, 3)})
            self.runs += 1
            began = time.perf_counter()
            try:
                if inspect.iscoroutinefunction(self.fn):
                    await self.fn()
                else:
                    result = await anyio.to_thread.run_sync(self.fn)
                    if inspect.isawaitable(result):
                        await result
            except Exception as exc:
                logger.exception("the warm-up hook failed")
                reason = f"{type(exc).__name__}: {exc}" if self.expose_errors else type(exc).__name__
                return 500, to_json({"status": "Failed", "error": f"the warm-up failed ({reason})"})
            self.seconds = time.perf_counter() - began
            logger.info("warm-up done in %.3f s", self.seconds)
            return 200, to_json({"status": "Ready", "seconds": round(self.seconds, 3)})
