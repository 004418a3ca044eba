"""Small asyncio helpers shared by the transport core and the HTTP backends (stdlib only: cheap to import)."""

from __future__ import annotations

import asyncio

__all__ = ["on_asyncio", "wait_until"]


def on_asyncio() -> bool:
    """True when the running event loop is asyncio's (False under trio, where the anyio paths are taken)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    from sniffio import current_async_library

    return current_async_library() == "asyncio"


async def wait_until(future: asyncio.Future[None], timeout: float | None) -> None:
    """Await ``future``; raise :class:`TimeoutError` when ``timeout`` seconds pass first (None: no limit).

    A timer on the loop rather than ``asyncio.wait_for``: no task per wait, which counts on a per-read path.
    """
    timer = None if timeout is None else asyncio.get_running_loop().call_later(timeout, _expire, future)
    try:
        await future
    finally:
        if timer is not None:
            timer.cancel()


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())
