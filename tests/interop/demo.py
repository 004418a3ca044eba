"""Functions decorated with agentcore_mcp's decorators, as a user's tool module would hold them."""

from __future__ import annotations

from agentcore_mcp import Context, Image, PromptMessage, ToolError, prompt, resource, tool


@tool
def add_numbers(a: int, b: int) -> int:
    """Add two numbers together.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool(
    name="greet",
    title="Greeter",
    description="Greet someone by name.",
    annotations={"readOnlyHint": True, "idempotentHint": True},
    icons=[{"src": "https://example.com/wave.png", "mimeType": "image/png"}],
    meta={"team": "demo"},
)
async def greet_user(name: str) -> str:
    return f"Hello, {name}!"


@tool
def refuse(reason: str) -> str:
    """Always fail, with a message for the caller."""
    raise ToolError(reason)


@resource("demo://greeting", title="Greeting", mime_type="text/plain", description="A fixed greeting.")
def greeting() -> str:
    return "Hello from a resource"


@resource("users://{user_id}/profile", name="profile", mime_type="application/json")
def user_profile(user_id: str) -> dict[str, str]:
    """A user's profile."""
    return {"id": user_id, "plan": "free"}


@prompt(title="Code review")
def review_code(code: str) -> str:
    """Ask for a review of some code."""
    return f"Please review this code:\n{code}"


# What only agentcore_mcp's own server provides: register_with_sdk refuses these.


@tool
def needs_context(x: int, ctx: Context) -> int:
    return x


@tool(timeout=5)
def with_timeout(x: int) -> int:
    return x


@tool
def picture() -> Image:
    return Image(b"\x89PNG", "image/png")


@prompt
def chat() -> list[PromptMessage]:
    return [PromptMessage("hi")]


def undecorated(x: int) -> int:
    return x
