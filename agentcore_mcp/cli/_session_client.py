"""One MCP client session for a command: open the transport, initialize, run the command's steps, close."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from agentcore_mcp.errors import sole_error

__all__ = ["dump", "list_tools", "run_session"]

T = TypeVar("T")


def dump(model: Any) -> Any:
    """An MCP SDK model (mcp 1.x or 2.x) as its JSON wire shape."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def list_tools(session: Any) -> list[dict[str, Any]]:
    """Every tool of the session's server, all pages, as JSON objects."""
    from mcp.types import PaginatedRequestParams

    tools: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):  # a server whose pagination never ends cannot hang the command
        page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
        tools.extend(dump(tool) for tool in page.tools)
        cursor = getattr(page, "next_cursor", None) or getattr(page, "nextCursor", None)
        if not cursor:
            break
    return tools


def run_session(
    target: str, options: dict[str, Any], timeout: float, steps: Callable[[Any], Awaitable[T]]
) -> T:
    """Run ``steps(session)`` in one initialized MCP session to ``target``, all within ``timeout`` seconds.

    Raises the one real error, not the task-group wrapper around it (``TimeoutError`` on the deadline).
    """
    import anyio
    from mcp import ClientSession

    from agentcore_mcp import AgentCoreTransport

    transport = AgentCoreTransport(target, **options)

    async def main() -> T:
        try:
            with anyio.fail_after(timeout):
                async with transport as (read, write), ClientSession(read, write) as session:
                    await session.initialize()
                    return await steps(session)
        except Exception as exc:
            raise sole_error(exc) from None

    return anyio.run(main)
