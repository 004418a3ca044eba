"""Our server with N realistic tools, plus payload tools, for the growth benchmark (``benchmarks/growth.py``).

``app_<N>`` (any N >= 1, built on first access through the module's ``__getattr__``) is an
:class:`~agentcore_mcp.AgentCoreMCP` with N tools: ``add_numbers`` (the benchmark's trivial tool, declared like
the demo server's) and N - 1 generated ones, each with two or three typed parameters (str, int, float, bool,
a Literal, a list), a docstring with an ``Args:`` section, and a return annotation (some give an output
schema), as real tools have. Every app also has two payload tools, which are not counted in N:

- ``text_payload(size)`` returns a text of ``size`` characters, built on each call (a JSON answer);
- ``text_payload_sse(size, ctx)`` sends one progress notification first (when the request's ``_meta`` carries
  a ``progressToken``), which makes the answer an SSE stream, then returns the same text.

``bare_list_<N>`` is the limit for ``tools/list``: a bare ASGI callable that answers any POST with the exact
bytes our ``app_<N>`` answers ``tools/list`` with (legacy era), computed once at start.

Serve with ``uvicorn benchmarks.servers.many_tools:app_1000``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from agentcore_mcp import AgentCoreMCP, Context, tool

__all__ = ["TEXT_UNIT", "make_app", "make_bare_list", "make_text", "tool_sources"]

TEXT_UNIT = "The quick brown fox jumps over the lazy dog; pack my box with 5 "  # 64 characters

_NOUNS = (
    "order",
    "invoice",
    "customer",
    "ticket",
    "shipment",
    "report",
    "document",
    "account",
    "event",
    "item",
)
_VERBS = ("search", "get", "list", "update", "summarize", "archive", "count", "export", "validate", "refresh")
# (parameter source, its Args line) pools; each generated tool takes two or three of them.
_PARAMS = (
    ("{noun}_id: str", "{noun}_id: The identifier of the {noun}, as shown in the {noun} list."),
    ("limit: int = 20", "limit: The largest number of records to return (1-500)."),
    ("min_score: float = 0.5", "min_score: Only records scoring at least this much (0-1) are kept."),
    ("include_archived: bool = False", "include_archived: Also consider records that were archived."),
    ('order: Literal["asc", "desc"] = "desc"', "order: Sort order of the records by their date."),
    ("tags: list[str] | None = None", "tags: Only records carrying all of these tags."),
    ("query: str = ''", "query: Free text matched against the {noun}'s title and notes."),
)
_RETURNS = (
    ("str", 'return f"{{len(str(locals()))}} {noun} records matched"'),
    ("dict[str, int]", 'return {{"matched": 0, "scanned": 0}}'),
    ("list[str]", "return []"),
    ("int", "return 0"),
)


def make_text(size: int) -> str:
    """A text of exactly ``size`` characters (ASCII, with spaces and punctuation, no escapes needed).

    One allocation when ``size`` is a multiple of 64 (every benchmarked size is), so the tool itself holds the
    payload once, as a tool that builds its answer would.
    """
    whole, rest = divmod(size, len(TEXT_UNIT))
    text = TEXT_UNIT * whole
    if rest:
        text += TEXT_UNIT[:rest]
    return text


def tool_sources(count: int) -> str:
    """Python source defining ``count`` generated tools named ``<verb>_<noun>_<i>``."""
    lines: list[str] = []
    for i in range(count):
        noun = _NOUNS[i % len(_NOUNS)]
        verb = _VERBS[(i // len(_NOUNS)) % len(_VERBS)]
        first = i % len(_PARAMS)
        picks = [_PARAMS[0]] + [_PARAMS[1 + (first + k) % (len(_PARAMS) - 1)] for k in range(1 + i % 2)]
        params = ", ".join(p.format(noun=noun) for p, _ in picks)
        args = "\n".join(f"        {a.format(noun=noun)}" for _, a in picks)
        returns, body = _RETURNS[i % len(_RETURNS)]
        lines.append(
            f"def {verb}_{noun}_{i:04d}({params}) -> {returns}:\n"
            f'    """{verb.capitalize()} {noun} records of the back office, filtered as asked.\n\n'
            f"    Use it when the user asks about a {noun}; the answer is read-only and safe to retry.\n\n"
            f"    Args:\n{args}\n"
            f'    """\n'
            f"    {body.format(noun=noun)}\n"
        )
    return "\n\n".join(lines)


@tool(sync_to_thread=False)  # as the demo server declares it: runs on the event loop
def add_numbers(a: int, b: int) -> int:
    """Add two numbers together.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool
async def text_payload(size: int) -> str:
    """Return a text of ``size`` characters (a JSON answer).

    Args:
        size: The number of characters.
    """
    return make_text(size)


@tool
async def text_payload_sse(size: int, ctx: Context) -> str:
    """Return a text of ``size`` characters after one progress notification (an SSE answer).

    Args:
        size: The number of characters.
    """
    await ctx.report_progress(0, 1, "building the text")
    return make_text(size)


def make_app(count: int) -> AgentCoreMCP:
    """Our server with ``count`` tools (``add_numbers`` and ``count - 1`` generated ones) plus the payload
    tools."""
    if count < 1:
        raise ValueError("count must be at least 1")
    namespace: dict[str, Any] = {}
    exec("from typing import Literal\n\n" + tool_sources(count - 1), namespace)
    generated = [value for name, value in namespace.items() if callable(value) and name[0].islower()]
    return AgentCoreMCP(
        f"many-tools-{count}",
        version="1.0.0",
        tools=[add_numbers, *generated, text_payload, text_payload_sse],
    )


Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


def make_bare_list(count: int) -> ASGIApp:
    """A bare ASGI callable answering every POST with our ``tools/list`` answer for ``count`` tools."""
    answer = asyncio.run(_ask(make_app(count), b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]

    async def app(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    return app


async def _ask(app: ASGIApp, body: bytes, keep: bool = True) -> bytes:
    """POST ``body`` to ``app`` in process (legacy era) and return the answer's body (b"" unless ``keep``)."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "headers": [
            (b"accept", b"application/json, text/event-stream"),
            (b"content-type", b"application/json"),
            (b"mcp-protocol-version", b"2025-11-25"),
        ],
    }
    chunks: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if keep and message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


_BUILT: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    for prefix, factory in (("app_", make_app), ("bare_list_", make_bare_list)):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            if name not in _BUILT:
                _BUILT[name] = factory(int(name[len(prefix) :]))
            return _BUILT[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
