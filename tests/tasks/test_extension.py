"""The Tasks extension over real HTTP: lifecycle, input inside a task, cancellation, gating, hostile input."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from agentcore_mcp import AgentCoreMCP, Context, ProtocolError, ToolError, tool
from agentcore_mcp._wire import TASKS_EXTENSION
from agentcore_mcp.server._local import serve_in_thread
from agentcore_mcp.server._tasks._extension import Tasks
from agentcore_mcp.server._tasks._store import MemoryTaskStore
from tests.server.helpers import ACCEPT, MODERN, legacy_request, modern_request

WITH_TASKS = {"extensions": {TASKS_EXTENSION: {}}, "elicitation": {}}
USER = "x-amzn-bedrock-agentcore-runtime-user-id"
SAW: dict[str, list[str]] = {"cancelled": []}


@tool(task="optional")
async def slow(seconds: float, label: str = "") -> str:
    """Sleep, then answer."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        SAW["cancelled"].append(label)
        raise
    return f"slept {seconds} {label}"


@tool(task="required")
async def only_task() -> str:
    """Runs only as a task."""
    await asyncio.sleep(0.05)
    return "done"


@tool(task="optional")
def tool_error() -> str:
    """Fails as a tool."""
    raise ToolError("nope")


@tool(task="optional")
async def protocol_error() -> str:
    """Fails with a JSON-RPC error."""
    raise ProtocolError(-32603, "broken", data={"why": "test"})


@tool(task="optional")
async def approve(item: str, ctx: Context) -> str:
    """Asks once, then answers."""
    answer = await ctx.elicit(
        f"Approve {item}?", {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    )
    again = await ctx.elicit("Sure?", {"type": "object", "properties": {"ok": {"type": "boolean"}}})
    return f"{item}: {answer.action}/{again.action}"


@tool(task="optional")
async def sampler(ctx: Context) -> str:
    """Asks for sampling (the test client does not declare it)."""
    await ctx.sample("hi")
    return "never"


@tool
def plain(n: int) -> int:
    """Never a task."""
    return n


@tool(task="required")
async def intake(quick: bool = False, *, ctx: Context) -> str:
    """Asks who is there (inside the tools/call when listed in ask_first), then works."""
    if quick:
        return "no questions"
    answer = await ctx.elicit(
        "Who?", {"type": "object", "properties": {"name": {"type": "string"}}}, key="who"
    )
    await asyncio.sleep(0.1)
    return f"hi {(answer.content or {}).get('name')}"


@tool(task="optional")
async def stubborn(ctx: Context) -> str:
    """Ignores its first cancellation, then asks a question."""
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        SAW["cancelled"].append("stubborn-ignored")
    await ctx.elicit("Still there?")
    SAW["cancelled"].append("stubborn-went-on")
    return "asked"


@tool(task="optional")
async def bulky(size: int) -> str:
    """Returns ``size`` characters."""
    return "x" * size


ARRIVED: list[int] = []


@tool(task="optional")
async def rendezvous(count: int) -> str:
    """Wait (up to 10 s) until ``count`` rendezvous tools run at once."""
    ARRIVED.append(1)
    for _ in range(1000):
        if len(ARRIVED) >= count:
            return f"all {count} together"
        await asyncio.sleep(0.01)
    return "alone"


STEP = threading.Event()


@tool(task="optional")
async def stepper(ctx: Context) -> str:
    """Report progress, wait for the test to let it go on, then finish."""
    await ctx.report_progress(1, 2, "copying")
    await asyncio.to_thread(STEP.wait, 10)
    await ctx.report_progress(2, 2, "checking")
    return "stepped"


TOOLS = [
    stepper,
    rendezvous,
    slow,
    only_task,
    tool_error,
    protocol_error,
    approve,
    sampler,
    plain,
    intake,
    stubborn,
    bulky,
]


class Client:
    """Raw 2026-07-28 requests to one server, as a task-aware client sends them."""

    def __init__(self, url: str, caps: dict[str, Any] | None = None, user: str | None = None) -> None:
        self.url = url
        self.caps = WITH_TASKS if caps is None else caps
        self.user = user
        self.http = httpx.Client(timeout=10)

    def send(self, method: str, params: dict[str, Any], **headers: str) -> httpx.Response:
        params = {**params, "_meta": {"io.modelcontextprotocol/clientCapabilities": self.caps}}
        body, sent = modern_request(method, params)
        if isinstance(params.get("taskId"), str):
            sent["Mcp-Name"] = params["taskId"]
        sent.update({"Accept": ACCEPT, "Content-Type": "application/json", **headers})
        if self.user is not None:
            sent[USER] = self.user
        return self.http.post(self.url, content=json.dumps(body), headers=sent)

    def result(self, method: str, params: dict[str, Any], **headers: str) -> dict[str, Any]:
        payload = self.send(method, params, **headers).json()
        assert "result" in payload, payload
        return {k: v for k, v in payload["result"].items() if k != "_meta"}  # type: ignore[no-any-return]

    def error(self, method: str, params: dict[str, Any], **headers: str) -> tuple[int, dict[str, Any]]:
        response = self.send(method, params, **headers)
        payload = response.json()
        assert "error" in payload, payload
        return response.status_code, payload["error"]

    def start(self, name: str, arguments: dict[str, Any] | None = None) -> str:
        created = self.result("tools/call", {"name": name, "arguments": arguments or {}})
        assert created["resultType"] == "task", created
        return created["taskId"]  # type: ignore[no-any-return]

    def wait(
        self, task_id: str, statuses: tuple[str, ...] = ("completed", "failed", "cancelled")
    ) -> dict[str, Any]:
        deadline = time.monotonic() + 10
        while True:
            task = self.result("tasks/get", {"taskId": task_id})
            if task["status"] in statuses:
                return task
            assert time.monotonic() < deadline, task
            time.sleep(0.02)


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start a server with the given Tasks extension (and the test tools): yields ``start(tasks) -> url``."""
    stack: list[Any] = []

    def start(tasks: Tasks | None = None) -> str:
        app = AgentCoreMCP("tasks-test", tools=TOOLS, extensions=[tasks or Tasks(poll_interval=0.05)])
        served = serve_in_thread(app)
        stack.append(served)
        return f"{served.__enter__()}/mcp"

    yield start
    for served in reversed(stack):
        served.__exit__(None, None, None)


def test_a_task_supporting_tool_becomes_a_task_and_its_result_is_inlined(serve: Any) -> None:
    client = Client(serve())
    created = client.result("tools/call", {"name": "slow", "arguments": {"seconds": 0.1}})
    assert created["resultType"] == "task"
    assert created["status"] == "working"
    assert created["pollIntervalMs"] == 50
    assert created["ttlMs"] == 3_600_000
    assert not {"result", "error", "inputRequests", "requestState", "task"} & created.keys()
    right_away = client.result("tasks/get", {"taskId": created["taskId"]})
    assert right_away["status"] == "working"
    assert right_away["resultType"] == "complete"
    done = client.wait(created["taskId"])
    assert done["status"] == "completed"
    assert done["result"] == {"content": [{"type": "text", "text": "slept 0.1 "}], "isError": False}


def test_progress_inside_a_task_is_its_status_message_while_it_works(serve: Any) -> None:
    client = Client(serve())
    STEP.clear()
    task_id = client.start("stepper")
    deadline = time.monotonic() + 10
    while (task := client.result("tasks/get", {"taskId": task_id})).get("statusMessage") != "1/2: copying":
        assert task["status"] == "working", task
        assert time.monotonic() < deadline, task
        time.sleep(0.02)
    STEP.set()
    done = client.wait(task_id)
    assert done["status"] == "completed"
    assert "statusMessage" not in done  # the end replaces the progress (a completed task has no message)
    assert done["result"]["content"][0]["text"] == "stepped"


def test_tool_errors_complete_with_is_error_and_protocol_errors_fail_with_the_error(serve: Any) -> None:
    client = Client(serve())
    done = client.wait(client.start("tool_error"))
    assert done["status"] == "completed"
    assert done["result"]["isError"] is True
    failed = client.wait(client.start("protocol_error"))
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": -32603, "message": "broken", "data": {"why": "test"}}
    assert "result" not in failed


def test_ctx_elicit_inside_a_task_waits_for_tasks_update_and_keys_are_never_reused(serve: Any) -> None:
    client = Client(serve())
    task_id = client.start("approve", {"item": "invoice"})
    parked = client.wait(task_id, ("input_required",))
    (first,) = parked["inputRequests"]
    assert parked["inputRequests"][first]["method"] == "elicitation/create"
    ack = client.result("tasks/update", {"taskId": task_id, "inputResponses": {first: {"action": "accept"}}})
    assert ack == {"resultType": "complete"}
    deadline = time.monotonic() + 5
    while True:
        again = client.result("tasks/get", {"taskId": task_id})
        if again["status"] == "input_required" and first not in again["inputRequests"]:
            break
        assert time.monotonic() < deadline, again
        time.sleep(0.02)
    (second,) = again["inputRequests"]
    assert second != first  # unique over the task's lifetime
    client.result("tasks/update", {"taskId": task_id, "inputResponses": {second: {"action": "decline"}}})
    done = client.wait(task_id)
    assert done["result"]["content"][0]["text"] == "invoice: accept/decline"


def test_a_malformed_answer_is_refused_and_changes_nothing(serve: Any) -> None:
    client = Client(serve())
    task_id = client.start("approve", {"item": "x"})
    (key,) = client.wait(task_id, ("input_required",))["inputRequests"]
    status, error = client.error(
        "tasks/update", {"taskId": task_id, "inputResponses": {key: {"action": "maybe"}}}
    )
    assert (status, error["code"]) == (400, -32602)
    assert key in client.result("tasks/get", {"taskId": task_id})["inputRequests"]
    status, error = client.error("tasks/update", {"taskId": task_id, "inputResponses": ["not", "a", "map"]})
    assert (status, error["code"]) == (400, -32602)
    client.result("tasks/cancel", {"taskId": task_id})


def test_tasks_update_for_a_task_not_waiting_for_input_is_acknowledged_and_ignored(serve: Any) -> None:
    client = Client(serve())
    task_id = client.start("slow", {"seconds": 0.3})
    before = client.result("tasks/get", {"taskId": task_id})
    ack = client.result("tasks/update", {"taskId": task_id, "inputResponses": {"x": {"action": "accept"}}})
    assert ack == {"resultType": "complete"}  # keys not outstanding are ignored (SEP-2663)
    after = client.result("tasks/get", {"taskId": task_id})
    assert after["status"] == "working"
    assert after["lastUpdatedAt"] == before["lastUpdatedAt"]
    assert client.wait(task_id)["status"] == "completed"


def test_asking_for_a_capability_the_client_did_not_declare_fails_the_task(serve: Any) -> None:
    client = Client(serve())
    failed = client.wait(client.start("sampler"))
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == -32021


def test_cancel_settles_to_cancelled_the_tool_sees_it_and_cancel_is_idempotent(serve: Any) -> None:
    client = Client(serve())
    task_id = client.start("slow", {"seconds": 30, "label": "cancel-me"})
    assert client.result("tasks/cancel", {"taskId": task_id}) == {"resultType": "complete"}
    assert client.wait(task_id)["status"] == "cancelled"
    deadline = time.monotonic() + 5
    while "cancel-me" not in SAW["cancelled"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert client.result("tasks/cancel", {"taskId": task_id}) == {"resultType": "complete"}
    finished = client.start("slow", {"seconds": 0})
    client.wait(finished)
    assert client.result("tasks/cancel", {"taskId": finished}) == {"resultType": "complete"}
    assert client.result("tasks/get", {"taskId": finished})["status"] == "completed"  # cancel came too late


def test_a_cancel_storm_acks_every_cancel_and_the_server_keeps_serving(serve: Any) -> None:
    url = serve()
    client = Client(url)
    task_ids = [client.start("slow", {"seconds": 30, "label": f"storm-{i}"}) for i in range(5)]

    def cancel(task_id: str) -> dict[str, Any]:
        return Client(url).result("tasks/cancel", {"taskId": task_id})

    with ThreadPoolExecutor(max_workers=16) as pool:
        acks = list(pool.map(cancel, task_ids * 20))
    assert acks == [{"resultType": "complete"}] * 100
    assert {client.wait(t)["status"] for t in task_ids} == {"cancelled"}
    assert client.result("tools/call", {"name": "plain", "arguments": {"n": 7}})["content"][0]["text"] == "7"


def test_unknown_expired_malformed_and_other_users_ids_answer_exactly_alike(serve: Any) -> None:
    url = serve(Tasks(ttl=1.0, poll_interval=0.05))
    alice, bob, anonymous = Client(url, user="alice"), Client(url, user="bob"), Client(url)
    task_id = alice.start("slow", {"seconds": 0})
    assert alice.wait(task_id)["status"] == "completed"
    unknown = alice.error("tasks/get", {"taskId": "A" * 32})
    assert unknown == (400, {"code": -32602, "message": "Task not found"})
    for method in ("tasks/get", "tasks/cancel"):
        assert bob.error(method, {"taskId": task_id}) == unknown
        assert anonymous.error(method, {"taskId": task_id}) == unknown
    assert bob.error("tasks/update", {"taskId": task_id, "inputResponses": {}}) == unknown
    for bad in ("", "x" * 5000, "../../etc", "é"):
        assert (
            alice.error("tasks/get", {"taskId": bad}, **{"Mcp-Name": "=?base64?" + _b64(bad) + "?="})
            == unknown
        )
    status, error = alice.error("tasks/get", {"taskId": 12345})
    assert (status, error["code"]) == (400, -32602)
    time.sleep(1.05)
    assert alice.error("tasks/get", {"taskId": task_id}) == unknown  # expired
    assert alice.result("tools/call", {"name": "plain", "arguments": {"n": 1}})["content"][0]["text"] == "1"


def test_callers_without_a_user_id_share_one_owner_and_users_do_not(serve: Any) -> None:
    # Ownership rests on the platform's user-id header alone: callers that send none are one owner (the
    # task id is then the only thing that keeps them apart), and a user never sees an anonymous task.
    url = serve()
    first, second = Client(url), Client(url)
    alice, bob = Client(url, user="alice"), Client(url, user="bob")
    unknown = first.error("tasks/get", {"taskId": "A" * 32})
    shared = first.start("slow", {"seconds": 0, "label": "shared"})
    assert second.wait(shared)["result"]["content"][0]["text"] == "slept 0.0 shared"
    running = first.start("slow", {"seconds": 30, "label": "anonymous-cancel"})
    assert second.result("tasks/cancel", {"taskId": running}) == {"resultType": "complete"}
    assert first.wait(running)["status"] == "cancelled"
    for user in (alice, bob):
        assert user.error("tasks/get", {"taskId": shared}) == unknown
    mine = alice.start("slow", {"seconds": 0, "label": "alice"})
    assert alice.wait(mine)["status"] == "completed"
    assert bob.error("tasks/get", {"taskId": mine}) == unknown
    assert first.error("tasks/get", {"taskId": mine}) == unknown


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def test_a_running_task_past_its_ttl_is_cancelled(serve: Any) -> None:
    client = Client(serve(Tasks(ttl=0.2, poll_interval=0.05)))
    client.start("slow", {"seconds": 30, "label": "ttl"})
    deadline = time.monotonic() + 5
    while "ttl" not in SAW["cancelled"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_client_that_never_polls_leaves_the_store_bounded(serve: Any) -> None:
    store = MemoryTaskStore(max_tasks=10)
    client = Client(serve(Tasks(store, poll_interval=0.05)))
    for _ in range(60):
        client.start("slow", {"seconds": 0})
        time.sleep(0.005)
    assert len(store) <= 10
    running = [client.start("slow", {"seconds": 30, "label": f"hold-{i}"}) for i in range(10)]
    status, error = client.error("tools/call", {"name": "slow", "arguments": {"seconds": 0}})
    assert (status, error["code"]) == (200, -32603)
    assert "too many tasks" in error["message"]
    assert len(store) == 10
    for task_id in running:
        client.result("tasks/cancel", {"taskId": task_id})
    assert client.wait(client.start("slow", {"seconds": 0}))["status"] == "completed"


def test_task_requests_without_the_extension_answer_missing_capability(serve: Any) -> None:
    url = serve()
    without = Client(url, caps={})
    for method, params in (
        ("tasks/get", {"taskId": "t"}),
        ("tasks/update", {"taskId": "t", "inputResponses": {}}),
        ("tasks/cancel", {"taskId": "t"}),
    ):
        status, error = without.error(method, params)
        assert (status, error["code"]) == (400, -32021)
        assert error["data"] == {"requiredCapabilities": {"extensions": {TASKS_EXTENSION: {}}}}
    plain_call = without.result("tools/call", {"name": "slow", "arguments": {"seconds": 0}})
    assert plain_call["content"][0]["text"] == "slept 0.0 "  # an optional task tool runs as a plain call
    status, error = without.error("tools/call", {"name": "only_task", "arguments": {}})
    assert (status, error["code"]) == (400, -32021)
    assert error["data"]["requiredCapabilities"]["extensions"] == {TASKS_EXTENSION: {}}


def test_the_handshake_era_never_gets_tasks(serve: Any) -> None:
    url = serve()
    headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
    listed = httpx.post(
        url, json=legacy_request("tools/call", {"name": "slow", "arguments": {"seconds": 0}}), headers=headers
    )
    assert listed.json()["result"]["content"][0]["text"] == "slept 0.0 "
    refused = httpx.post(
        url, json=legacy_request("tools/call", {"name": "only_task", "arguments": {}}), headers=headers
    )
    assert refused.json()["error"]["code"] == -32021
    missing = httpx.post(url, json=legacy_request("tasks/get", {"taskId": "t"}), headers=headers)
    assert missing.json()["error"]["code"] == -32601


def test_the_capability_is_advertised_in_server_discover_only(serve: Any) -> None:
    url = serve()
    body, headers = modern_request("server/discover", {})
    discovered = httpx.post(url, json=body, headers={**headers, "Accept": ACCEPT}).json()["result"]
    assert discovered["capabilities"]["extensions"] == {TASKS_EXTENSION: {}}
    assert "tasks" not in discovered["capabilities"]
    init = legacy_request(
        "initialize",
        {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    )
    legacy = httpx.post(url, json=init, headers={"Accept": ACCEPT}).json()["result"]
    assert TASKS_EXTENSION not in legacy["capabilities"].get("extensions", {})
    assert MODERN in discovered["supportedVersions"]


def test_the_mcp_name_header_must_match_the_task_id(serve: Any) -> None:
    client = Client(serve())
    task_id = client.start("slow", {"seconds": 0})
    status, error = client.error("tasks/get", {"taskId": task_id}, **{"Mcp-Name": "someone-else"})
    assert (status, error["code"]) == (400, -32020)


def test_many_tasks_run_at_once_and_sync_tools_run_as_tasks_too(serve: Any) -> None:
    client = Client(serve())
    # Each rendezvous task finishes only once all eight are running at the same time.
    task_ids = [client.start("rendezvous", {"count": 8}) for _ in range(8)]
    assert {client.wait(t)["result"]["content"][0]["text"] for t in task_ids} == {"all 8 together"}
    done = client.wait(client.start("tool_error"))  # a sync def tool, run in a worker thread
    assert done["status"] == "completed"


def test_status_changes_arrive_as_notifications_on_a_listen_stream_that_named_the_task(serve: Any) -> None:
    url = serve()
    client = Client(url)
    task_id = client.start("approve", {"item": "listened"})
    client.wait(task_id, ("input_required",))
    other = client.start("slow", {"seconds": 30, "label": "unwatched"})
    params = {
        "notifications": {"taskIds": [task_id]},
        "_meta": {"io.modelcontextprotocol/clientCapabilities": WITH_TASKS},
    }
    body, headers = modern_request("subscriptions/listen", params, id=9)
    seen: list[dict[str, Any]] = []

    async def listen() -> None:
        async with (
            httpx.AsyncClient(timeout=10) as http,
            http.stream("POST", url, json=body, headers={"Accept": ACCEPT, **headers}) as response,
        ):
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                seen.append(json.loads(line[6:]))
                if len(seen) == 1:  # acknowledged: answer both questions, cancel the unwatched task

                    def act() -> None:
                        worker = Client(url)
                        worker.result("tasks/cancel", {"taskId": other})
                        for _ in range(2):
                            pending = worker.wait(task_id, ("input_required",))["inputRequests"]
                            answers = {key: {"action": "accept"} for key in pending}
                            worker.result("tasks/update", {"taskId": task_id, "inputResponses": answers})
                            time.sleep(0.1)

                    threading.Thread(target=act).start()
                if seen[-1].get("params", {}).get("status") == "completed":
                    break

    asyncio.run(asyncio.wait_for(listen(), 10))
    ack, *notes = seen
    assert ack["method"] == "notifications/subscriptions/acknowledged"
    assert ack["params"]["notifications"] == {"taskIds": [task_id]}
    assert {n["method"] for n in notes} == {"notifications/tasks"}
    assert {n["params"]["taskId"] for n in notes} == {task_id}  # nothing about the unwatched task
    assert all(n["params"]["_meta"] == {"io.modelcontextprotocol/subscriptionId": 9} for n in notes)
    final = notes[-1]["params"]
    assert final["result"]["content"][0]["text"] == "listened: accept/accept"  # the whole DetailedTask
    assert "working" in {n["params"]["status"] for n in notes}


def test_tasks_still_running_when_the_server_stops_end_failed_not_cancelled() -> None:
    store = MemoryTaskStore()
    app = AgentCoreMCP("stopping", tools=TOOLS, extensions=[Tasks(store)])
    with serve_in_thread(app) as base:
        task_id = Client(f"{base}/mcp").start("slow", {"seconds": 30, "label": "at-shutdown"})
    record = asyncio.run(store.get(task_id))
    assert record is not None
    assert record.status == "failed"
    assert record.error == {"code": -32603, "message": "The server stopped before the task finished"}
    assert "at-shutdown" in SAW["cancelled"]  # the tool itself was cancelled


def test_ask_first_tools_ask_by_mrtr_then_become_a_task_carrying_the_answers(serve: Any) -> None:
    client = Client(serve(Tasks(poll_interval=0.05, ask_first=["intake"])))
    first = client.result("tools/call", {"name": "intake", "arguments": {}})
    assert first["resultType"] == "input_required"
    assert "taskId" not in first
    assert set(first["inputRequests"]) == {"who"}
    retry = {
        "name": "intake",
        "arguments": {},
        "inputResponses": {"who": {"action": "accept", "content": {"name": "Ada"}}},
        "requestState": first["requestState"],
    }
    created = client.result("tools/call", retry)
    assert created["resultType"] == "task"
    assert "requestState" not in created
    assert "inputRequests" not in created
    assert client.wait(created["taskId"])["result"]["content"][0]["text"] == "hi Ada"
    quick = client.result("tools/call", {"name": "intake", "arguments": {"quick": True}})
    assert quick["content"][0]["text"] == "no questions"  # finished before any question: a plain answer
    status, error = Client(client.url, caps={"extensions": {TASKS_EXTENSION: {}}}).error(
        "tools/call", {"name": "intake", "arguments": {}}
    )
    assert (status, error["code"]) == (400, -32021)  # it would ask, and elicitation was not declared


def test_an_answer_too_large_for_the_store_is_refused_and_the_task_keeps_waiting(serve: Any) -> None:
    client = Client(serve(Tasks(MemoryTaskStore(max_bytes=20_000), poll_interval=0.05)))
    task_id = client.start("approve", {"item": "big"})
    (key,) = client.wait(task_id, ("input_required",))["inputRequests"]
    huge = {key: {"action": "accept", "content": {"text": "x" * 50_000}}}
    status, error = client.error("tasks/update", {"taskId": task_id, "inputResponses": huge})
    assert (status, error["code"]) == (400, -32602)
    assert "too large" in error["message"]
    assert key in client.result("tasks/get", {"taskId": task_id})["inputRequests"]
    client.result("tasks/cancel", {"taskId": task_id})


def test_a_tool_asking_after_its_task_was_cancelled_is_cancelled_again_quietly(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    tasks = Tasks(poll_interval=0.05)
    client = Client(serve(tasks))
    task_id = client.start("stubborn")
    client.result("tasks/cancel", {"taskId": task_id})
    deadline = time.monotonic() + 5
    while task_id in tasks._runs:  # the run ends: the question did not park a cancelled task
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert "stubborn-ignored" in SAW["cancelled"]
    assert "stubborn-went-on" not in SAW["cancelled"]
    task = client.result("tasks/get", {"taskId": task_id})
    assert task["status"] == "cancelled"
    assert "inputRequests" not in task
    assert "cancelled by something other than its request" not in caplog.text


def test_a_result_too_large_for_the_store_ends_the_task_failed_with_a_reason(serve: Any) -> None:
    client = Client(serve(Tasks(MemoryTaskStore(max_bytes=10_000), poll_interval=0.05)))
    failed = client.wait(client.start("bulky", {"size": 50_000}))
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": -32603, "message": "The task's result is too large to keep"}
    fits = client.wait(client.start("bulky", {"size": 100}))
    assert fits["status"] == "completed"
