"""The runtime the proxy tests call: the demo's three tools plus progress, elicitation, logging, a slow
tool and a read-only one (served by the emulator in process)."""

from __future__ import annotations

import anyio

from agentcore_mcp import AgentCoreMCP, Context, StateSealing, tool
from examples.demo_server import add_numbers, greet_user, multiply_numbers


@tool
async def count_slowly(steps: int, ctx: Context) -> str:
    """Count to ``steps``, reporting progress and a log message at each step."""
    for step in range(1, steps + 1):
        await ctx.report_progress(step, steps, f"step {step}")
        await ctx.info(f"counted {step}")
        await anyio.sleep(0.01)
    return f"counted to {steps}"


@tool
async def confirm(question: str, ctx: Context) -> str:
    """Ask the user a yes/no question (elicitation) and say what they answered."""
    answer = await ctx.elicit(
        question, {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    )
    if not answer.accepted:
        return f"declined ({answer.action})"
    return f"answered ok={answer.content['ok']}"


@tool
async def ask_model(prompt: str, ctx: Context) -> str:
    """Ask the client's model (sampling) and the client's roots, and say what came back."""
    answer = await ctx.sample(prompt, max_tokens=16)
    roots = await ctx.list_roots()
    return f"model said {answer['content']['text']!r}; roots {[root['uri'] for root in roots]}"


@tool
async def nap(seconds: float) -> str:
    """Sleep, then answer (for timeouts and clients that go away mid-call)."""
    await anyio.sleep(seconds)
    return f"slept {seconds:g}"


@tool
def whoami(ctx: Context) -> dict[str, object]:
    """What the runtime saw of this request: _meta (bar the protocol's own keys), session, a custom header."""
    meta = {
        k: v
        for k, v in ctx.meta.items()
        if not k.startswith("io.modelcontextprotocol/") and k != "progressToken"
    }
    return {
        "meta": meta,
        "runtime_session_id": ctx.runtime_session_id,
        "team": ctx.headers.get("x-amzn-bedrock-agentcore-runtime-custom-team"),
        "protocol_version": ctx.protocol_version,
    }


CONNECT_URL = "https://auth.example.com/connect?flow=proxy-flow-state"


@tool
async def connect_account(ctx: Context) -> str:
    """Send the user to a URL (URL-mode elicitation) and say what they answered."""
    answer = await ctx.elicit_url(CONNECT_URL, "Connect your account", elicitation_id="proxy-1")
    return f"connect: {answer.action}"


@tool(annotations={"readOnlyHint": True})
def look_up(key: str) -> str:
    """A read-only lookup."""
    return f"value of {key}"


app = AgentCoreMCP(
    "proxy-tests",
    version="1.0.0",
    tools=[
        add_numbers,
        multiply_numbers,
        greet_user,
        count_slowly,
        confirm,
        ask_model,
        nap,
        whoami,
        look_up,
        connect_account,
    ],
    sealing=StateSealing(keys=("proxy-tests-state-key-0123456789",)),
)
