"""One-line, synchronous helpers for scripts and notebooks: list the tools, call a tool.

Each call opens an :class:`~agentcore_mcp.client._transport.AgentCoreTransport`, runs the MCP handshake with
the installed SDK's ``ClientSession``, does its one thing and closes. They work inside a running event loop
too (a Jupyter notebook): the call then runs on a private loop in a worker thread.

Pass ``session=RuntimeSession()`` (from :mod:`agentcore_mcp._session`) to several calls to keep them on one
runtime session, and so on one warm microVM.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from agentcore_mcp.client._transport import AgentCoreTransport
from agentcore_mcp.errors import sole_error

__all__ = ["call_tool_sync", "list_tools_sync"]

T = TypeVar("T")


def list_tools_sync(target: str, *, timeout: float = 120.0, **transport_options: Any) -> list[Any]:
    """Every tool of the MCP server at ``target`` (a runtime ARN or an MCP URL), all pages.

    Returns the installed mcp SDK's ``Tool`` objects. ``transport_options`` go to
    :class:`~agentcore_mcp.client._transport.AgentCoreTransport` (``bearer_token=``, ``client=``,
    ``endpoint_url=``, ``session=``, ...). ``timeout`` bounds the whole call, in seconds.

    >>> tools = list_tools_sync("http://127.0.0.1:8000/mcp")  # doctest: +SKIP
    >>> [tool.name for tool in tools]  # doctest: +SKIP
    ['add_numbers', 'multiply_numbers', 'greet_user']
    """

    async def list_all(session: Any) -> list[Any]:
        from mcp.types import PaginatedRequestParams

        tools: list[Any] = []
        cursor: str | None = None
        for _ in range(1000):  # a server whose pagination never ends cannot hang the caller
            params = PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await session.list_tools(params=params)
            tools.extend(page.tools)
            # mcp 2.x names the field next_cursor (reading nextCursor there warns, FastMCP's shim); 1.x has nextCursor
            cursor = page.next_cursor if "next_cursor" in type(page).model_fields else page.nextCursor
            if not cursor:
                break
        return tools

    return _run(target, list_all, timeout, transport_options)


def call_tool_sync(
    target: str,
    name: str,
    arguments: dict[str, Any] | None = None,
    *,
    timeout: float = 120.0,
    **transport_options: Any,
) -> Any:
    """Call the tool ``name`` with ``arguments`` on the MCP server at ``target``; the ``CallToolResult``.

    A tool that fails returns a result with ``is_error`` (mcp 2.x) / ``isError`` (mcp 1.x) set; a refused
    request raises the SDK's MCP error. ``timeout`` bounds the whole call, in seconds.

    >>> result = call_tool_sync(arn, "add_numbers", {"a": 2, "b": 3})  # doctest: +SKIP
    >>> result.content[0].text  # doctest: +SKIP
    '5'
    """

    async def call(session: Any) -> Any:
        return await session.call_tool(name, arguments or {})

    return _run(target, call, timeout, transport_options)


def _run(
    target: str, action: Callable[[Any], Awaitable[T]], timeout: float, transport_options: dict[str, Any]
) -> T:
    # Each request gets the whole call's timeout, so a slow server is the SDK's MCP error (-32001) naming
    # the request; the call's own deadline, a little later, only backs it up.
    transport_options.setdefault("timeout", timeout)
    transport = AgentCoreTransport(target, **transport_options)  # options are checked here, in the caller

    async def main() -> T:
        from mcp import ClientSession

        try:
            with anyio.fail_after(timeout + 1.0):
                async with transport as (read, write), ClientSession(read, write) as session:
                    await session.initialize()
                    return await action(session)
        except Exception as exc:
            raise sole_error(exc) from None

    return _run_sync(main)


def _run_sync(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` to completion: here, or in a worker thread when this thread already runs a loop."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(main)
    outcome: list[Any] = []

    def worker() -> None:
        try:
            outcome.append((True, anyio.run(main)))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=worker, name="agentcore-mcp-sync", daemon=True)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    result: T = value
    return result
