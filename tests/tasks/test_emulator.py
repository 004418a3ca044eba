"""Tasks through the local AgentCore Runtime (the emulator), with its synchronous-request limit scaled down.

On AgentCore a synchronous request may take 15 minutes and a stream 60; here they are 1 and 2 seconds, and
the tool takes 3. As a plain ``tools/call`` it fails exactly as it would on the platform; as a task, each
request (the call, every ``tasks/get``) returns at once and the tool finishes in the background of the same
microVM, which the runtime session id keeps the requests on. Both ways in: boto3 (SigV4) and a bearer token.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from agentcore_mcp import AgentCoreMCP, Context, tool
from agentcore_mcp._wire import TASKS_EXTENSION
from agentcore_mcp.emulator import Emulator, RequestLimits
from agentcore_mcp.server._tasks._extension import Tasks
from tests.emulator.conftest import ACCEPT, agentcore, read_answer

MODERN = "2026-07-28"
SESSION = "tasks-session-0123456789-0123456789-abcdef"
WITH_TASKS = {"extensions": {TASKS_EXTENSION: {}}, "elicitation": {}}
CANCELLED: list[str] = []


@tool(task="optional")
async def long_job(seconds: float, label: str = "") -> str:
    """Work for longer than a synchronous request may take."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        CANCELLED.append(label)
        raise
    return f"{label} finished after {seconds:g}s"


@tool(task="optional")
async def sign_off(ctx: Context) -> str:
    """Ask a person, then finish."""
    answer = await ctx.elicit("Ship it?", {"type": "object", "properties": {"ok": {"type": "boolean"}}})
    return f"ship: {(answer.content or {}).get('ok')}"


def body(method: str, params: dict[str, Any], caps: dict[str, Any]) -> dict[str, Any]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": caps,
        "io.modelcontextprotocol/clientInfo": {"name": "tests", "version": "0"},
    }
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}}


def target(method: str, params: dict[str, Any]) -> str | None:
    return params.get("name") if method == "tools/call" else params.get("taskId")


Send = Callable[[str, dict[str, Any], dict[str, Any]], Any]


@pytest.fixture(scope="module")
def runtimes() -> Iterator[tuple[Emulator, Any, Any]]:
    emulator = Emulator(
        control_plane=False,
        credentials={"testing": "testing"},
        limits=RequestLimits(sync=1.0, stream=2.0),
        invoke_for_user=True,  # test_a_task_is_bound_to_the_runtime_user acts for alice and bob
    )
    app = AgentCoreMCP("long", tools=[long_job, sign_off], extensions=[Tasks(poll_interval=0.1)])
    sigv4 = emulator.add_runtime(app, name="tasks_sigv4", auth="sigv4")
    jwt = emulator.add_runtime(
        app, name="tasks_jwt", auth="jwt", allowed_audience=["mcp-api"], allowed_clients=["tutorial"]
    )
    with emulator.serve() as url:
        emulator.endpoint = url  # type: ignore[attr-defined]
        yield emulator, sigv4, jwt


def boto3_sender(emulator: Emulator, runtime: Any) -> Send:
    client = agentcore(emulator.endpoint)  # type: ignore[attr-defined]

    def send(method: str, params: dict[str, Any], caps: dict[str, Any]) -> Any:
        members: dict[str, Any] = {
            "agentRuntimeArn": runtime.arn,
            "payload": json.dumps(body(method, params, caps)).encode(),
            "contentType": "application/json",
            "accept": ACCEPT,
            "mcpProtocolVersion": MODERN,
            "mcpMethod": method,
            "runtimeSessionId": SESSION,
        }
        name = target(method, params)
        if name is not None:
            members["mcpName"] = name
        try:
            return read_answer(client.invoke_agent_runtime(**members))
        except client.exceptions.ClientError as exc:
            return {"http": exc.response["ResponseMetadata"]["HTTPStatusCode"], "text": str(exc)}

    return send


def bearer_sender(emulator: Emulator, runtime: Any) -> Send:
    url = emulator.invocations_url(runtime)
    token = emulator.mint_token(audience="mcp-api", client_id="tutorial")

    def send(method: str, params: dict[str, Any], caps: dict[str, Any]) -> Any:
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": ACCEPT,
            "MCP-Protocol-Version": MODERN,
            "Mcp-Method": method,
            "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": SESSION,
        }
        name = target(method, params)
        if name is not None:
            headers["Mcp-Name"] = name
        answer = httpx.post(url, content=json.dumps(body(method, params, caps)), headers=headers, timeout=10)
        if answer.status_code != 200:
            return {"http": answer.status_code, "text": answer.text}
        if answer.headers["content-type"].startswith("text/event-stream"):
            events = [line[5:] for line in answer.text.splitlines() if line.startswith("data:")]
            return json.loads(events[-1]) if events else {"cut": answer.text}
        return answer.json()

    return send


@pytest.fixture(params=["boto3", "bearer"])
def send(request: pytest.FixtureRequest, runtimes: tuple[Emulator, Any, Any]) -> Send:
    emulator, sigv4, jwt = runtimes
    return boto3_sender(emulator, sigv4) if request.param == "boto3" else bearer_sender(emulator, jwt)


def result(
    send: Send, method: str, params: dict[str, Any], caps: dict[str, Any] = WITH_TASKS
) -> dict[str, Any]:
    answer = send(method, params, caps)
    assert "result" in answer, answer
    return answer["result"]  # type: ignore[no-any-return]


def wait(send: Send, task_id: str, statuses: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        task = result(send, "tasks/get", {"taskId": task_id})  # each poll inside the synchronous limit
        if task["status"] in statuses:
            return task
        assert time.monotonic() < deadline, task
        time.sleep(0.1)


def test_a_tool_past_the_synchronous_limit_fails_as_a_plain_call_and_completes_as_a_task(send: Send) -> None:
    plain = send("tools/call", {"name": "long_job", "arguments": {"seconds": 3, "label": "plain"}}, {})
    assert plain["http"] == 424, plain  # RuntimeClientError: no answer within the synchronous limit
    assert "synchronous request limit" in plain["text"]
    created = result(send, "tools/call", {"name": "long_job", "arguments": {"seconds": 3, "label": "task"}})
    assert created["resultType"] == "task"  # answered inside the limit (else the emulator had refused it)
    done = wait(send, created["taskId"], ("completed", "failed", "cancelled"))
    assert done["status"] == "completed"
    assert done["result"]["content"][0]["text"] == "task finished after 3s"


def test_cancel_mid_run_settles_to_cancelled_and_the_tool_saw_it(send: Send) -> None:
    label = f"cancel-{time.monotonic()}"
    created = result(send, "tools/call", {"name": "long_job", "arguments": {"seconds": 30, "label": label}})
    wait(send, created["taskId"], ("working",))
    ack = result(send, "tasks/cancel", {"taskId": created["taskId"]})
    assert ack["resultType"] == "complete"
    assert wait(send, created["taskId"], ("completed", "failed", "cancelled"))["status"] == "cancelled"
    deadline = time.monotonic() + 5
    while label not in CANCELLED:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_task_with_ctx_elicit_completes_after_tasks_update(send: Send) -> None:
    created = result(send, "tools/call", {"name": "sign_off", "arguments": {}})
    parked = wait(send, created["taskId"], ("input_required",))
    (key,) = parked["inputRequests"]
    answer = {key: {"action": "accept", "content": {"ok": True}}}
    assert result(send, "tasks/update", {"taskId": created["taskId"], "inputResponses": answer})[
        "resultType"
    ] == ("complete")
    done = wait(send, created["taskId"], ("completed", "failed", "cancelled"))
    assert done["result"]["content"][0]["text"] == "ship: True"


def test_a_task_is_bound_to_the_runtime_user(runtimes: tuple[Emulator, Any, Any]) -> None:
    emulator, sigv4, _ = runtimes
    client = agentcore(emulator.endpoint)  # type: ignore[attr-defined]

    def as_user(user: str, method: str, params: dict[str, Any]) -> Any:
        members: dict[str, Any] = {
            "agentRuntimeArn": sigv4.arn,
            "payload": json.dumps(body(method, params, WITH_TASKS)).encode(),
            "contentType": "application/json",
            "accept": ACCEPT,
            "mcpProtocolVersion": MODERN,
            "mcpMethod": method,
            "mcpName": target(method, params),
            "runtimeSessionId": f"{user}-{SESSION}",  # a session belongs to one user
            "runtimeUserId": user,
        }
        try:
            return read_answer(client.invoke_agent_runtime(**members))
        except client.exceptions.ClientError as exc:  # botocore raises on the HTTP 400 of a -32602
            return {
                "http": exc.response["ResponseMetadata"]["HTTPStatusCode"],
                "error": exc.response["Error"],
            }

    created = as_user("alice", "tools/call", {"name": "long_job", "arguments": {"seconds": 0}})["result"]
    mine = as_user("alice", "tasks/get", {"taskId": created["taskId"]})
    assert "result" in mine, mine
    theirs = as_user("bob", "tasks/get", {"taskId": created["taskId"]})
    unknown = as_user("bob", "tasks/get", {"taskId": "B" * 32})
    # botocore turns the HTTP 400 of the -32602 into a ClientError: the same one for both, nothing to tell them
    # apart (the bodies are identical too: tests/tasks/test_extension.py).
    assert theirs == unknown
    assert theirs["http"] == 400
