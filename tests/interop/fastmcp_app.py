"""The seed tutorial's three tools as our decorated functions, on a PrefectHQ FastMCP server for AgentCore.

``server`` has the tools (registered with :func:`agentcore_mcp.register_with`, so their titles and
annotations carry over), the demo's resources and prompt, and one tool of FastMCP's own; ``app`` is
``agentcore_app(server)``, the app spec the emulator runs (``tests/interop/fastmcp_app.py:app``).
"""

from __future__ import annotations

from typing import Annotated

from fastmcp import FastMCP
from pydantic import Field

from agentcore_mcp import agentcore_app, register_with, tool
from tests.interop import demo


@tool(title="Add numbers", annotations={"readOnlyHint": True, "idempotentHint": True})
def add_numbers(a: int, b: int) -> int:
    """Add two numbers together.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool(
    title="Multiply numbers",
    annotations={"readOnlyHint": True, "openWorldHint": False},
    output_schema={
        "type": "object",
        "properties": {"product": {"type": "integer"}},
        "required": ["product"],
    },
)
def multiply_numbers(a: int, b: Annotated[int, Field(description="The multiplier.")]) -> dict[str, int]:
    """Multiply two numbers together."""
    return {"product": a * b}


@tool(title="Greet a user", description="Greet a user by name.", meta={"team": "tutorial"})
async def greet_user(name: str) -> str:
    return f"Hello, {name}! Nice to meet you."


def make_server() -> FastMCP:
    """A fresh FastMCP server: the tutorial's tools, the demo's resources and prompt, a tool of its own."""
    server = FastMCP("fastmcp-tutorial")
    register_with(
        server, add_numbers, multiply_numbers, greet_user, demo.greeting, demo.user_profile, demo.review_code
    )

    @server.tool
    def echo(text: str) -> str:
        """Say it back (registered with FastMCP's own decorator)."""
        return text

    return server


server = make_server()
app = agentcore_app(server)
