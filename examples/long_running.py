"""Tools that outlive AgentCore's 15-minute request limit, as MCP tasks (the Tasks extension, SEP-2663).

``build_report`` works for ``pages`` minutes, far past what one synchronous request may take, so it runs only
as a task: the ``tools/call`` returns a task handle at once, the client polls ``tasks/get`` (each poll a
short request) and reads the result there. ``deploy_release`` asks a person first (``ctx.elicit`` inside the
task: the task shows ``input_required`` until the client answers with ``tasks/update``).

Task records live in DynamoDB when ``TASKS_TABLE`` names a table (so a result outlives the microVM that
produced it and any session of the runtime can read it), else in this process's memory.

Run it with ``python examples/long_running.py`` (0.0.0.0:8000/mcp) or ``agentcore-mcp serve
examples/long_running.py``. ``LONG_RUNNING_STEP_SECONDS`` shortens a "minute" of work (tests use 0.2); the
polling interval suggested to clients shrinks with it, so a shortened run ends as soon as its work does.
"""

import asyncio
import os

from agentcore_mcp import AgentCoreMCP, Context, DynamoDBTaskStore, MemoryTaskStore, Tasks, TaskStore, tool

STEP_SECONDS = float(os.environ.get("LONG_RUNNING_STEP_SECONDS", "60"))
# Every 5 seconds for minute-long steps; no slower than a step when they are shortened for a demo.
POLL_SECONDS = min(5.0, STEP_SECONDS)
APPROVAL = {"type": "object", "properties": {"approve": {"type": "boolean"}}, "required": ["approve"]}


@tool(task="required")
async def build_report(pages: int, ctx: Context) -> str:
    """Crawl ``pages`` pages, a minute each, and summarise them (runs only as a task).

    Args:
        pages: How many pages to crawl.
    """
    for page in range(1, pages + 1):
        await asyncio.sleep(STEP_SECONDS)  # stands for the real work; a tasks/cancel interrupts it here
        await ctx.report_progress(page, pages, f"page {page}")  # the task's status message
    return f"Report over {pages} pages"


@tool(task="optional")
async def deploy_release(version: str, ctx: Context) -> str:
    """Ask for approval, then deploy ``version`` (a task for clients that support tasks).

    Args:
        version: The release to deploy.
    """
    answer = await ctx.elicit(f"Deploy {version} to production?", APPROVAL)
    if not (answer.accepted and (answer.content or {}).get("approve")):
        return f"{version} not deployed"
    await asyncio.sleep(STEP_SECONDS)
    return f"{version} deployed"


def task_store() -> TaskStore:
    """DynamoDB when ``TASKS_TABLE`` is set (every session of the runtime shares it), else memory."""
    table = os.environ.get("TASKS_TABLE")
    return DynamoDBTaskStore(table) if table else MemoryTaskStore()


# Results stay readable for 4 hours; clients are asked to poll every 5 seconds (POLL_SECONDS), which also
# keeps the session's microVM from reaching its idle timeout (15 minutes by default) while a task runs.
app = AgentCoreMCP(
    "long-running",
    tools=[build_report, deploy_release],
    extensions=[Tasks(task_store(), ttl=4 * 3600, poll_interval=POLL_SECONDS)],
)

if __name__ == "__main__":
    app.run()
