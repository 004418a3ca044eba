"""One MCP client session for a command: open the transport, negotiate, run the command's steps, close.

:func:`run_session` speaks the handshake-era protocol (``initialize``) with mcp 1.x or 2.x.
:func:`run_modern_session` needs mcp 2.x: it negotiates as mcp's ``Client(mode="auto")`` does (the 2026-07-28
protocol when the server has it, else the handshake) and passes client extensions (the Tasks extension).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from agentcore_mcp.errors import sole_error

__all__ = ["dump", "has_modern_sdk", "list_tools", "plain_result", "run_modern_session", "run_session"]

T = TypeVar("T")


def dump(model: Any) -> Any:
    """An MCP SDK model (mcp 1.x or 2.x) as its JSON wire shape."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def plain_result(result: dict[str, Any]) -> dict[str, Any]:
    """A ``CallToolResult``'s JSON without the 2026-07-28 envelope (``resultType``, the ``serverInfo`` stamp).

    So a result prints the same whichever protocol the call used; a tool's own ``_meta`` keys stay.
    """
    from agentcore_mcp._wire import META_SERVER_INFO

    out = {key: value for key, value in result.items() if key != "resultType"}
    meta = out.get("_meta")
    if isinstance(meta, dict) and META_SERVER_INFO in meta:
        rest = {key: value for key, value in meta.items() if key != META_SERVER_INFO}
        if rest:
            out["_meta"] = rest
        else:
            del out["_meta"]
    return out


def has_modern_sdk() -> bool:
    """Whether the installed mcp SDK is 2.x (its client extension seam and the 2026-07-28 protocol)."""
    import importlib.util

    try:
        return importlib.util.find_spec("mcp.client.extension") is not None
    except ModuleNotFoundError:
        return False


async def list_tools(session: Any) -> list[dict[str, Any]]:
    """Every tool of the session's server, all pages, as JSON objects."""
    from mcp.types import PaginatedRequestParams

    tools: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):  # a server whose pagination never ends cannot hang the command
        page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
        tools.extend(dump(tool) for tool in page.tools)
        # mcp 2.x names the field next_cursor (reading nextCursor there warns); 1.x has only nextCursor
        modern = "next_cursor" in type(page).model_fields
        cursor = page.next_cursor if modern else page.nextCursor
        if not cursor:
            break
    return tools


def run_session(
    target: str,
    options: dict[str, Any],
    timeout: float,
    steps: Callable[[Any], Awaitable[T]],
    *,
    elicitation_callback: Any = None,
) -> T:
    """Run ``steps(session)`` in one initialized MCP session to ``target``, all within ``timeout`` seconds.

    ``elicitation_callback`` (the SDK's) answers the server's elicitations, and declares the capability.
    Raises the one real error, not the task-group wrapper around it (``TimeoutError`` on the deadline).
    """
    import anyio
    from mcp import ClientSession

    from agentcore_mcp import AgentCoreTransport

    transport = AgentCoreTransport(target, **options)

    async def main() -> T:
        try:
            with anyio.fail_after(timeout):
                async with (
                    transport as (read, write),
                    ClientSession(read, write, elicitation_callback=elicitation_callback) as session,
                ):
                    await session.initialize()
                    return await steps(session)
        except Exception as exc:
            raise sole_error(exc) from None

    return anyio.run(main)


def run_modern_session(
    target: str,
    options: dict[str, Any],
    timeout: float,
    steps: Callable[[Any], Awaitable[T]],
    *,
    extensions: Sequence[Any] = (),
    settle: float = 0.0,
    grace: float = 6.0,
    elicitation_callback: Any = None,
) -> T:
    """As :func:`run_session`, with mcp 2.x's ``Client`` (``mode="auto"``, ``extensions``) given to ``steps``.

    ``steps(client)`` may use ``client.session`` (a ``ClientSession``) as :func:`run_session`'s steps do, and
    ``client.call_tool``, which resolves the results ``extensions`` claim. ``timeout`` bounds connecting
    (``TimeoutError``); the steps are cancelled ``settle`` seconds after ``timeout`` (``TimeoutError``), so
    that steps which stop themselves at ``timeout`` (at ``anyio.current_effective_deadline() - settle``)
    have that long to do it; the connection is closed at most ``grace`` seconds later still, so that what
    the steps clean up when cancelled (``tasks_extension``'s ``tasks/cancel``) can still be sent over it.
    """
    import anyio
    from mcp.client import Client

    from agentcore_mcp import AgentCoreTransport

    transport = AgentCoreTransport(target, **options)

    async def main() -> T:
        start = anyio.current_time()
        try:
            # One scope for the connection, its deadline moved once connected: connecting gets ``timeout``,
            # the connection then lives until the steps' deadline plus ``grace``. (A scope of its own around
            # entering the Client could not be left while the Client's task groups stay open.)
            with anyio.CancelScope(deadline=start + timeout) as connection:
                async with Client(
                    transport,
                    mode="auto",
                    extensions=list(extensions),
                    elicitation_callback=elicitation_callback,
                ) as client:
                    connection.deadline = start + timeout + settle + grace
                    with anyio.fail_after(max(start + timeout + settle - anyio.current_time(), 0)):
                        return await steps(client)
            raise TimeoutError  # the connection's scope caught its deadline: not connected in time
        except Exception as exc:
            raise sole_error(exc) from None

    return anyio.run(main)
