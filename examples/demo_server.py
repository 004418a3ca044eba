"""The AgentCore tutorial's demo server: three tools, served statelessly on 0.0.0.0:8000/mcp.

Run it with ``python examples/demo_server.py`` or ``uvicorn examples.demo_server:app``.
"""

from agentcore_mcp import AgentCoreMCP, tool

# Plain `def` tools run in a worker thread so a blocking call cannot stall other requests. These three only
# compute for microseconds, so they are declared non-blocking and run on the event loop: no thread hop.


@tool(sync_to_thread=False)
def add_numbers(a: int, b: int) -> int:
    """Add two numbers together.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool(sync_to_thread=False)
def multiply_numbers(a: int, b: int) -> int:
    """Multiply two numbers together.

    Args:
        a: The first number.
        b: The second number.
    """
    return a * b


@tool(sync_to_thread=False)
def greet_user(name: str) -> str:
    """Greet a user by name.

    Args:
        name: The name of the person to greet.
    """
    return f"Hello, {name}! Nice to meet you."


app = AgentCoreMCP(
    "demo",
    version="1.0.0",
    instructions="Arithmetic and greetings: the AgentCore tutorial's demo tools.",
    tools=[add_numbers, multiply_numbers, greet_user],
)

if __name__ == "__main__":
    app.run()
