"""The tools the reliability tests, the fuzzer and the load scripts serve: well-behaved ones and hostile ones.

``python -m tests.reliability.apps PORT`` serves :func:`build_app` on 127.0.0.1:PORT with ``app.run()``
(real uvicorn, the graceful shutdown AgentCore gets), for the SIGTERM tests and the soak script.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from agentcore_mcp import AgentCoreMCP, Context, StateSealing, ToolError, tool
from agentcore_mcp.server._content import Image, ToolResult

STATE_KEY = "reliability-tests-state-key-0123456789"


class Point(BaseModel):
    x: int
    y: int


@dataclass
class Probe:
    """What the fault tools report back to a test (same process only)."""

    started: threading.Event
    finished: threading.Event
    cancelled: threading.Event
    release: threading.Event  # ends stream_forever when cancellation never comes

    @classmethod
    def new(cls) -> Probe:
        return cls(threading.Event(), threading.Event(), threading.Event(), threading.Event())

    def reset(self) -> None:
        for event in (self.started, self.finished, self.cancelled, self.release):
            event.clear()


PROBE = Probe.new()


@tool
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def typed(
    s: str,
    n: int,
    f: float,
    flag: bool,
    items: list[int],
    mapping: dict[str, str],
    choice: Literal["red", "green"],
    point: Point,
    optional: str | None = None,
) -> dict[str, Any]:
    """Many parameter types at once (argument fuzzing): fails loudly if validation let a wrong type in."""
    checks = [
        isinstance(s, str),
        isinstance(n, int) and not isinstance(n, bool),
        isinstance(f, float),
        isinstance(flag, bool),
        isinstance(items, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in items),
        isinstance(mapping, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()),
        choice in ("red", "green"),
        isinstance(point, Point),
        optional is None or isinstance(optional, str),
    ]
    if not all(checks):
        raise ToolError(f"TYPE CONFUSION: {checks}")
    return {"ok": True, "n": n, "items": len(items)}


@tool
def boom() -> str:
    """Raise an exception whose text must never reach the client."""
    raise RuntimeError("SECRET-EXCEPTION-TEXT password=hunter2")


@tool
def refuse() -> str:
    """Fail on purpose with a message for the caller."""
    raise ToolError("refused on purpose")


@tool
def raise_timeout() -> str:
    """Raise TimeoutError from inside the tool (a socket timeout, say); the tool itself has no timeout."""
    raise TimeoutError("upstream socket timed out")


@tool(timeout=0.2)
async def hang() -> str:
    """Never return on its own; the 0.2 s timeout ends the call."""
    PROBE.started.set()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        PROBE.cancelled.set()
        raise
    return "unreachable"


@tool(timeout=0.2)
def hang_sync() -> str:
    """A sync tool stuck for 2 s; its 0.2 s timeout answers the caller while the thread finishes alone."""
    time.sleep(2)
    return "late"


def _announce(event: str) -> None:
    # Subprocess servers (RELIABILITY_ANNOUNCE=1) tell the test what happened on stdout, one line each.
    if os.environ.get("RELIABILITY_ANNOUNCE") == "1":
        print(event, flush=True)


@tool
async def slow(seconds: float) -> str:
    """Sleep, then answer (SIGTERM and slow-client tests)."""
    PROBE.started.set()
    _announce("slow started")
    await asyncio.sleep(seconds)
    PROBE.finished.set()
    return f"slept {seconds}"


@tool
async def stream(events: int, ctx: Context, pause: float = 0.0) -> str:
    """Send ``events`` progress notifications (an SSE answer), then the result (at most 10,000: an await that
    never suspends cannot be timed out, so an unbounded loop here would hold the event loop)."""
    events = max(0, min(events, 10_000))
    for i in range(events):
        await ctx.report_progress(i + 1, events)
        if pause:
            await asyncio.sleep(pause)
    return f"streamed {events}"


@tool
async def big_event(size: int, ctx: Context) -> str:
    """Send one progress notification whose message is ``size`` characters, then answer."""
    await ctx.report_progress(1, 1, "m" * max(0, min(size, 50_000_000)))
    return "sent"


@tool
async def stream_forever(ctx: Context) -> str:
    """Stream progress until cancelled: the client-disconnect test watches whether cancellation arrives."""
    PROBE.started.set()
    i = 0
    try:
        while not PROBE.release.is_set():
            i += 1
            await ctx.report_progress(i)
            await asyncio.sleep(0.02)
    except asyncio.CancelledError:
        PROBE.cancelled.set()
        raise
    finally:
        PROBE.finished.set()
    return f"released after {i} events"


@tool
def nan_value() -> float:
    """Return NaN (not representable in JSON)."""
    return float("nan")


@tool
def infinite_value() -> dict[str, float]:
    """Return infinity inside a structured result."""
    return {"x": float("inf")}


@tool
def lone_surrogate() -> str:
    """Return text with a lone surrogate (not encodable as UTF-8)."""
    return "bad \ud800 text"


@tool
def unserializable():  # type: ignore[no-untyped-def]  # deliberately unannotated
    """Return an object that has no JSON form."""
    return object()


@tool
def wrong_type() -> int:
    """Return a value that does not fit the declared return type."""
    return "not an int"  # type: ignore[return-value]


@tool
def bad_tool_result() -> ToolResult:
    """Return a ToolResult whose structured content cannot be serialized."""
    return ToolResult(content=["ok"], structured_content={"x": object()})


@tool
def bad_image() -> Image:
    """Return an image whose data is neither bytes nor text."""
    return Image(data=12345, mime_type="image/png")  # type: ignore[arg-type]


@tool
def huge(size: int) -> str:
    """Return ``size`` characters."""
    return "x" * max(0, min(size, 20_000_000))


@tool
def exits() -> str:
    """Raise SystemExit from inside a tool."""
    raise SystemExit(3)


@tool
async def cancelled_inside() -> str:
    """Await a task that someone else cancelled (CancelledError that is not our own cancellation)."""
    task = asyncio.get_running_loop().create_task(asyncio.sleep(10))
    task.cancel()
    await task
    return "unreachable"


@tool
async def whoami(ctx: Context) -> dict[str, Any]:
    """Echo the request facts the context holds."""
    return {"session": ctx.session_id, "era": ctx.era, "version": ctx.protocol_version}


@tool
async def ask_name(ctx: Context) -> str:
    """Elicit a name (MRTR in the modern era)."""
    answer = await ctx.elicit(
        "Your name?", {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    )
    return f"hello {answer.content['name']}" if answer.accepted and answer.content else "declined"


ALL_TOOLS: list[Callable[..., Any]] = [
    echo,
    add,
    typed,
    boom,
    refuse,
    raise_timeout,
    hang,
    hang_sync,
    slow,
    stream,
    big_event,
    stream_forever,
    nan_value,
    infinite_value,
    lone_surrogate,
    unserializable,
    wrong_type,
    bad_tool_result,
    bad_image,
    huge,
    exits,
    cancelled_inside,
    whoami,
    ask_name,
]

# Tools whose answers are well defined today; the others are the subject of findings.
WELL_BEHAVED: list[Callable[..., Any]] = [
    echo,
    add,
    typed,
    boom,
    refuse,
    hang,
    slow,
    stream,
    whoami,
    ask_name,
]


def build_app(**options: Any) -> AgentCoreMCP:
    """The reliability server: every tool above, a fixed state key, keep-alives every 0.05 s."""
    options.setdefault("sealing", StateSealing(keys=(STATE_KEY,)))
    options.setdefault("keepalive", 0.05)
    return AgentCoreMCP("reliability", tools=ALL_TOOLS, **options)


def main(argv: list[str]) -> None:
    port = int(argv[1]) if len(argv) > 1 else 8000
    app = build_app(keepalive=None)
    app.run(host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main(sys.argv)
