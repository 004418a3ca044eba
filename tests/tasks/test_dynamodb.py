"""The DynamoDB task store on moto (a real DynamoDB API on loopback), and tasks shared by two server processes.

moto stands in for the remote service only; the store, the servers and the HTTP between them are real.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from agentcore_mcp.server._local import free_port
from agentcore_mcp.server._tasks._dynamodb import DynamoDBTaskStore
from agentcore_mcp.server._tasks._store import Conflict, StoreFull, TaskRecord, new_task_id
from tests.server.helpers import ACCEPT, modern_request

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
TASKS = {"extensions": {"io.modelcontextprotocol/tasks": {}}, "elicitation": {}}


class _OneAtATime:
    """A WSGI app answering one request at a time.

    DynamoDB applies a write's condition atomically; moto checks the condition and then writes, with no lock,
    so two concurrent conditional writes can both pass on its threaded server. Serializing requests restores
    the atomicity the store relies on (and that the race tests below check our side of).
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: Any, start_response: Any) -> list[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = free_port()
    app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def table(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    name = f"tasks-{new_task_id()[:8]}"
    DynamoDBTaskStore(name, endpoint_url=moto_url).create_table()
    return name


def record(*, ttl_ms: int | None = 60_000) -> TaskRecord:
    now = time.time()
    return TaskRecord(new_task_id(), "user-1", "working", now, now, ttl_ms, 500)


async def test_create_get_put_and_conditional_conflicts(table: str, moto_url: str) -> None:
    store = DynamoDBTaskStore(table, endpoint_url=moto_url)
    r = record()
    await store.create(r)
    with pytest.raises(Conflict):
        await store.create(TaskRecord.from_json(r.to_json()))  # the same id again
    got = await store.get(r.task_id)
    assert got is not None
    assert got.version == 1
    assert got.owner == "user-1"
    got.status, got.result = "completed", {"content": [{"type": "text", "text": "done"}]}
    await store.put(got, 1)
    with pytest.raises(Conflict):
        await store.put(TaskRecord.from_json(r.to_json()), 1)  # written against a stale version
    final = await store.get(r.task_id)
    assert final is not None
    assert final.status == "completed"
    assert final.version == 2
    assert await store.get("unknown-id") is None


async def test_the_item_carries_a_ttl_attribute_and_reads_as_absent_once_it_passed(
    table: str, moto_url: str
) -> None:
    store = DynamoDBTaskStore(table, endpoint_url=moto_url)
    r = record(ttl_ms=2000)  # room for the checks below on a loaded machine (CI once took over 300 ms)
    await store.create(r)
    assert await store.get(r.task_id) is not None
    client = boto3.client("dynamodb", endpoint_url=moto_url)
    item = client.get_item(TableName=table, Key={"taskId": {"S": r.task_id}})["Item"]
    assert int(item["expiresAt"]["N"]) >= int(r.created_at + 2.0)
    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
    await asyncio.sleep(max(0.0, r.created_at + 2.1 - time.time()))  # past the expiry, by the record's clock
    assert await store.get(r.task_id) is None  # DynamoDB deletes lazily; reads must not wait for it


async def test_concurrent_updates_from_many_threads_lose_no_status(table: str, moto_url: str) -> None:
    store = DynamoDBTaskStore(table, endpoint_url=moto_url)
    r = record()
    await store.create(r)
    errors: list[BaseException] = []

    def worker(key: str) -> None:
        def change(current: TaskRecord) -> TaskRecord | None:
            current.answers[key] = True
            return current

        try:
            asyncio.run(DynamoDBTaskStore(table, endpoint_url=moto_url).update(r.task_id, change))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"k{i}",)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    final = await store.get(r.task_id)
    assert final is not None
    assert set(final.answers) == {f"k{i}" for i in range(12)}
    assert final.version == 13


async def test_a_cancel_and_a_completion_racing_settle_to_exactly_one_terminal_status(
    table: str, moto_url: str
) -> None:
    a, b = DynamoDBTaskStore(table, endpoint_url=moto_url), DynamoDBTaskStore(table, endpoint_url=moto_url)
    for _ in range(5):
        r = record()
        await a.create(r)

        def finish(status: str) -> Any:
            def change(current: TaskRecord) -> TaskRecord | None:
                if current.terminal:
                    return None
                current.status = status  # type: ignore[assignment]
                return current

            return change

        results = await asyncio.gather(
            a.update(r.task_id, finish("completed")), b.update(r.task_id, finish("cancelled"))
        )
        final = await a.get(r.task_id)
        assert final is not None
        assert final.terminal
        assert final.version == 2
        assert {x.status for x in results if x is not None} == {final.status}


async def test_a_record_too_big_for_one_item_is_refused(table: str, moto_url: str) -> None:
    store = DynamoDBTaskStore(table, endpoint_url=moto_url)
    r = record()
    r.result = {"content": [{"type": "text", "text": "x" * 500_000}]}
    with pytest.raises(StoreFull):
        await store.create(r)


# -- two server processes sharing one table --------------------------------------------------------------

APP = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path
    from agentcore_mcp import AgentCoreMCP, Context, tool
    from agentcore_mcp.server._tasks._dynamodb import DynamoDBTaskStore
    from agentcore_mcp.server._tasks._extension import Tasks

    MARKS = Path(os.environ["MARKS"])

    @tool(task="optional")
    async def slow(seconds: float, label: str) -> str:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            (MARKS / label).write_text("cancelled")
            raise
        return f"{label} done by {os.getpid()}"

    @tool(task="optional")
    async def ask(ctx: Context) -> str:
        answer = await ctx.elicit("Name?", {"type": "object", "properties": {"name": {"type": "string"}}})
        return f"hello {(answer.content or {}).get('name')}"

    store = DynamoDBTaskStore(os.environ["TABLE"], endpoint_url=os.environ["MOTO"])
    app = AgentCoreMCP("shared", tools=[slow, ask], extensions=[Tasks(store, poll_interval=0.1, watch_interval=0.1, lease=0.6)])
    app.run(host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


Servers = tuple[str, str, Path, "subprocess.Popen[bytes]"]


def _serve(script: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(script), str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/ping", timeout=1).status_code == 200:
                return process, f"{base}/mcp"
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the task server did not start")
        time.sleep(0.1)


@pytest.fixture
def two_servers(
    table: str, moto_url: str, tmp_path: Path
) -> Iterator[tuple[str, str, Path, subprocess.Popen[bytes]]]:
    script = tmp_path / "app.py"
    script.write_text(APP)
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, **AWS_ENV, "TABLE": table, "MOTO": moto_url, "MARKS": str(marks)}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
    first, url_a = _serve(script, env)
    try:
        second, url_b = _serve(script, env)
    except BaseException:
        first.kill()
        raise
    try:
        yield url_a, url_b, marks, first
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)


def call(url: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    params = {**params, "_meta": {"io.modelcontextprotocol/clientCapabilities": TASKS}}
    body, headers = modern_request(method, params)
    if "taskId" in params:
        headers["Mcp-Name"] = params["taskId"]
    answer = httpx.post(
        url,
        content=json.dumps(body),
        headers={**headers, "Accept": ACCEPT, "Content-Type": "application/json"},
        timeout=10,
    )
    payload: dict[str, Any] = answer.json()
    assert "result" in payload, payload
    return payload["result"]  # type: ignore[no-any-return]


def wait_for(url: str, task_id: str, statuses: set[str], timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task = call(url, "tasks/get", {"taskId": task_id})
        if task["status"] in statuses or time.monotonic() > deadline:
            return task
        time.sleep(0.05)


def test_a_result_written_by_one_server_process_is_read_by_another(
    two_servers: Servers,
) -> None:
    url_a, url_b, _, _ = two_servers
    created = call(url_a, "tools/call", {"name": "slow", "arguments": {"seconds": 0.3, "label": "shared"}})
    assert created["resultType"] == "task"
    seen = call(url_b, "tasks/get", {"taskId": created["taskId"]})  # durably created before the answer
    assert seen["taskId"] == created["taskId"]  # (working, or already completed on a slow machine)
    done = wait_for(url_b, created["taskId"], {"completed", "failed", "cancelled"})
    assert done["status"] == "completed"
    text = done["result"]["content"][0]["text"]
    assert text.startswith("shared done by ")


def test_a_cancel_sent_to_another_process_stops_the_running_tool(two_servers: Servers) -> None:
    url_a, url_b, marks, _ = two_servers
    created = call(url_a, "tools/call", {"name": "slow", "arguments": {"seconds": 30, "label": "stopme"}})
    ack = call(url_b, "tasks/cancel", {"taskId": created["taskId"]})
    assert {k: v for k, v in ack.items() if k != "_meta"} == {"resultType": "complete"}
    assert wait_for(url_a, created["taskId"], {"cancelled"})["status"] == "cancelled"
    deadline = time.monotonic() + 5
    while not (marks / "stopme").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (marks / "stopme").read_text() == "cancelled"  # the tool in process A saw its cancellation


def test_input_given_to_another_process_reaches_the_waiting_tool(two_servers: Servers) -> None:
    url_a, url_b, _, _ = two_servers
    created = call(url_a, "tools/call", {"name": "ask", "arguments": {}})
    parked = wait_for(url_b, created["taskId"], {"input_required"})
    assert parked["status"] == "input_required"
    (key,) = parked["inputRequests"]
    call(
        url_b,
        "tasks/update",
        {
            "taskId": created["taskId"],
            "inputResponses": {key: {"action": "accept", "content": {"name": "Ada"}}},
        },
    )
    done = wait_for(url_a, created["taskId"], {"completed", "failed", "cancelled"})
    assert done["status"] == "completed"
    assert done["result"]["content"][0]["text"] == "hello Ada"


def test_a_task_whose_process_died_is_failed_once_its_lease_passes(two_servers: Servers) -> None:
    url_a, url_b, _, first = two_servers
    created = call(url_a, "tools/call", {"name": "slow", "arguments": {"seconds": 60, "label": "orphan"}})
    time.sleep(0.8)  # the lease (0.6 s) has been renewed at least once by now
    assert call(url_b, "tasks/get", {"taskId": created["taskId"]})["status"] == "working"
    first.kill()  # the microVM running the task is gone
    first.wait(timeout=10)
    done = wait_for(url_b, created["taskId"], {"completed", "failed", "cancelled"})
    assert done["status"] == "failed"
    assert done["error"]["message"] == "The server process running this task stopped"
