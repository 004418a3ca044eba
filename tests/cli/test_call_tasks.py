"""``agentcore-mcp call`` on tools the server runs as tasks (the MCP Tasks extension), each run for real.

The server is real uvicorn on loopback (``serve_in_thread``) with the Tasks extension and an in-memory store
the tests read, so what the server's task became is asserted, not inferred from the CLI's output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore_mcp import AgentCoreMCP, Context, MemoryTaskStore, ProtocolError, Tasks, ToolError, tool
from agentcore_mcp.cli import main
from agentcore_mcp.emulator import Emulator, RequestLimits
from agentcore_mcp.server._local import serve_in_thread
from examples.demo_server import add_numbers
from tests.cli.test_newcomer import _stderr_on_a_terminal

REPO = Path(__file__).resolve().parents[2]
MCP1_PYTHON = REPO / ".venv-mcp1" / "bin" / "python"


@tool(task="optional")
async def crawl(seconds: float, ctx: Context) -> str:
    """Crawl for a while, reporting progress (inside a task: the task's status message)."""
    await ctx.report_progress(0, 1, "starting")
    await asyncio.sleep(seconds)
    await ctx.report_progress(1, 1, "done")
    return f"crawled for {seconds:g}s"


@tool(task="required")
async def explode() -> str:
    """Fail with a protocol error: the task ends failed."""
    await asyncio.sleep(0.1)
    raise ProtocolError(-32603, "the crawler broke")


@tool(task="required")
async def refuse() -> str:
    """A tool error: the task completes, with an isError result."""
    await asyncio.sleep(0.1)
    raise ToolError("not today")


@tool(task="required")
async def approve(ctx: Context) -> str:
    """Ask a question inside the task (a form, which the CLI does not fill in)."""
    answer = await ctx.elicit("Proceed?", {"type": "object", "properties": {"ok": {"type": "boolean"}}})
    return "approved" if answer.accepted else "declined"


class WatchedStore(MemoryTaskStore):
    """The module's store: counts the server's reads of each task, and can hold a tools/call's answer back.

    ``hold`` seconds after a task is stored, its handle goes out (the CLI has not got it yet meanwhile).
    """

    def __init__(self) -> None:
        super().__init__()
        self.hold = 0.0
        self.gets: dict[str, int] = {}

    async def create(self, record: Any) -> None:
        await super().create(record)
        await asyncio.sleep(self.hold)

    async def get(self, task_id: str) -> Any:
        self.gets[task_id] = self.gets.get(task_id, 0) + 1
        return await super().get(task_id)


STORE = WatchedStore()
APP = AgentCoreMCP(
    "cli-tasks",
    tools=[crawl, explode, refuse, approve, add_numbers],
    extensions=[Tasks(STORE, poll_interval=0.05)],
)


@pytest.fixture(scope="module")
def tasks_url() -> Iterator[str]:
    with serve_in_thread(APP) as base:
        yield f"{base}/mcp"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def records() -> dict[str, Any]:
    """Every task the server has, by id (the store's own records, read as the server reads them)."""
    ids = list(STORE._records)  # the store lists no ids publicly; get() reads each as the server does

    async def read() -> dict[str, Any]:
        return {task_id: await MemoryTaskStore.get(STORE, task_id) for task_id in ids}  # not counted

    return asyncio.run(read())


def test_a_task_shows_one_line_per_status_change_and_prints_its_result(tasks_url: str) -> None:
    before = set(records())
    code, out, shown = _stderr_on_a_terminal("call", "crawl", "seconds=0.6", "--target", tasks_url)
    assert (code, out) == (0, "crawled for 0.6s\n"), shown
    (task_id,) = set(records()) - before
    # about a dozen polls at the server's 50 ms; a line only when the status (or its message) changed: the
    # progress reported inside the task is its status message (the last one only if a poll lands on it)
    lines = shown.splitlines()
    assert lines[0] == f"  task {task_id}: working", shown
    assert "  task working: 0/1: starting" in lines[:2], shown
    assert lines[-1] == "  task completed", shown
    assert set(lines[1:-1]) <= {"  task working: 0/1: starting", "  task working: 1/1: done"}, shown
    assert len(lines) == len(set(lines)), shown  # no line twice: one per change
    assert records()[task_id].status == "completed"


def test_json_prints_the_same_shape_as_a_plain_call(
    capsys: pytest.CaptureFixture[str], tasks_url: str
) -> None:
    code, out, err = run(capsys, "call", "crawl", "seconds=0", "--target", tasks_url, "--json")
    assert (code, err) == (0, "")  # stderr is not a terminal here: no status lines
    assert json.loads(out) == {"content": [{"type": "text", "text": "crawled for 0s"}], "isError": False}


def test_plain_tools_print_as_before(capsys: pytest.CaptureFixture[str], tasks_url: str) -> None:
    before = set(records())
    assert run(capsys, "call", "add_numbers", "a=2", "b=3", "--target", tasks_url) == (0, "5\n", "")
    code, out, _ = run(capsys, "call", "add_numbers", "a=2", "b=3", "--target", tasks_url, "--json")
    assert code == 0
    # no resultType, no serverInfo stamp: what the handshake-era call printed
    assert json.loads(out) == {
        "content": [{"type": "text", "text": "5"}],
        "structuredContent": {"result": 5},
        "isError": False,
    }
    assert set(records()) == before  # no task


def test_a_failed_task_exits_1_with_its_error(capsys: pytest.CaptureFixture[str], tasks_url: str) -> None:
    code, out, err = run(capsys, "call", "explode", "--target", tasks_url)
    assert (code, out) == (1, "")
    assert err.startswith("agentcore-mcp call: task ")
    assert err.endswith(" failed: the crawler broke (JSON-RPC error -32603)\n")
    assert err.count("\n") == 1


def test_a_task_whose_tool_errs_prints_like_a_plain_tool_error(
    capsys: pytest.CaptureFixture[str], tasks_url: str
) -> None:
    assert run(capsys, "call", "refuse", "--target", tasks_url) == (1, "", "not today\n")


def test_a_task_that_asks_for_input_fails_naming_the_capability(
    capsys: pytest.CaptureFixture[str], tasks_url: str
) -> None:
    # The CLI declares elicitation (for URL mode, which the SDK declares together with forms) but fills in no
    # form: the task's question is not answered and the task is cancelled rather than left waiting.
    code, out, err = run(capsys, "call", "approve", "--target", tasks_url)
    assert (code, out) == (1, "")
    assert "asks for elicitation/create 'elicitation': Proceed?, which this client does not answer" in err
    assert err.endswith("the task is cancelled\n")


def test_ctrl_c_cancels_the_task_on_the_server_and_exits_130(tasks_url: str) -> None:
    before = set(records())
    process = _call_in_a_process(tasks_url)
    try:
        task_id = _new_task(before, process)
        deadline = time.monotonic() + 30
        while not STORE.gets.get(task_id):  # the server has answered a tasks/get: the CLI is polling
            assert time.monotonic() < deadline, "the task was never polled"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert out == ""
    assert err == f"agentcore-mcp call: task {task_id} cancelled (Ctrl-C)\n"
    assert records()[task_id].status == "cancelled"


def test_through_the_emulator_a_tool_past_the_request_limit_completes_as_a_task(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    emulator = Emulator(
        control_plane=False, credentials={"testing": "testing"}, limits=RequestLimits(sync=0.5, stream=1.0)
    )
    app = AgentCoreMCP("cli-tasks-emulated", tools=[crawl], extensions=[Tasks(poll_interval=0.1)])
    runtime = emulator.add_runtime(app, name="cli_tasks", auth="sigv4")
    with emulator.serve() as url:
        argv = ("call", "crawl", "seconds=1.5", "--target", runtime.arn, "--endpoint-url", url)
        code, out, err = run(capsys, *argv, "--region", "us-east-1")
    # Three times the synchronous limit. The store is in memory: a poll that reached another microVM would
    # have answered "Task not found", so every request went to the one that ran the tool.
    assert (code, out) == (0, "crawled for 1.5s\n"), err


@pytest.mark.skipif(not MCP1_PYTHON.exists(), reason="needs .venv-mcp1 (make test-mcp1 creates it)")
def test_with_mcp1_optional_task_tools_run_plain_and_task_only_ones_say_what_to_install(
    tasks_url: str,
) -> None:
    def mcp1_cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(MCP1_PYTHON), "-m", "agentcore_mcp.cli", *argv, "--target", tasks_url],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    before = set(records())
    done = mcp1_cli("call", "crawl", "seconds=0")
    assert (done.returncode, done.stdout, done.stderr) == (0, "crawled for 0s\n", "")
    assert set(records()) == before  # a plain call: handshake-era requests never get tasks
    done = mcp1_cli("call", "explode")
    assert done.returncode == 1
    assert done.stderr.startswith(
        "agentcore-mcp call: explode runs only as a task (the MCP Tasks extension, protocol 2026-07-28), "
        "which needs mcp 2.x; this environment has mcp 1."
    )
    assert done.stderr.endswith(": pip install 'mcp>=2.3'\n")


def test_the_timeout_covers_the_whole_task_and_cancels_it(
    capsys: pytest.CaptureFixture[str], tasks_url: str
) -> None:
    before = set(records())
    code, out, err = run(capsys, "call", "crawl", "seconds=60", "--target", tasks_url, "--timeout", "1.5")
    (task_id,) = set(records()) - before
    assert (code, out) == (1, "")
    assert err == f"agentcore-mcp call: no answer within 1.5 s (--timeout); task {task_id} cancelled\n"
    assert records()[task_id].status == "cancelled"


def _call_in_a_process(tasks_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentcore_mcp.cli", "call", "crawl", "seconds=60", "--target", tasks_url],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _new_task(before: set[str], process: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 30
    while not (new := set(records()) - before):
        assert time.monotonic() < deadline, "the task never started"
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    (task_id,) = new
    return task_id


@pytest.fixture
def held_answers() -> Iterator[None]:
    """The tools/call's answer (the task handle) leaves the server 1 s after the task was stored."""
    STORE.hold = 1.0
    try:
        yield
    finally:
        STORE.hold = 0.0


@pytest.mark.usefixtures("held_answers")
def test_ctrl_c_before_the_task_handle_arrives_still_cancels_the_task(tasks_url: str) -> None:
    before = set(records())
    process = _call_in_a_process(tasks_url)
    try:
        task_id = _new_task(before, process)  # stored on the server; its handle is held back for 1 s
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, out) == (130, ""), err
    assert err == f"agentcore-mcp call: task {task_id} cancelled (Ctrl-C)\n"
    assert records()[task_id].status == "cancelled"


def test_a_second_ctrl_c_quits_at_once(tasks_url: str) -> None:
    STORE.hold = 20.0  # the first Ctrl-C then waits for a handle that does not come
    before = set(records())
    process = _call_in_a_process(tasks_url)
    try:
        _new_task(before, process)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)  # two signals sent together may arrive as one; either order ends the same way
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        STORE.hold = 0.0
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, out) == (130, ""), err
    assert err == "agentcore-mcp call: interrupted again; not waiting for the task to be cancelled\n"
    assert took < 2.5  # not the 3 s the first Ctrl-C waits for the handle (loaded CI: generous)


@pytest.mark.usefixtures("held_answers")
def test_the_timeout_before_the_task_handle_arrives_still_cancels_the_task(
    capsys: pytest.CaptureFixture[str], tasks_url: str
) -> None:
    before = set(records())
    STORE.hold = 2.0  # the handle leaves the server a second after the deadline
    code, out, err = run(capsys, "call", "crawl", "seconds=60", "--target", tasks_url, "--timeout", "1")
    (task_id,) = set(records()) - before
    assert (code, out) == (1, "")
    assert err == f"agentcore-mcp call: no answer within 1 s (--timeout); task {task_id} cancelled\n"
    assert records()[task_id].status == "cancelled"


def test_the_timeout_covers_connecting_to_a_server_that_never_answers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                accepted.append(listener.accept()[0])  # read nothing, answer nothing

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/mcp"
    try:
        started = time.monotonic()
        code, out, err = run(capsys, "call", "add_numbers", "a=1", "b=2", "--target", url, "--timeout", "1")
        took = time.monotonic() - started
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
    assert (code, out) == (1, "")
    assert err == "agentcore-mcp call: no answer within 1 s (--timeout)\n"
    assert accepted, "the CLI connected"
    assert took < 1 + 3  # not --timeout plus the 6 s grace kept for cancelling a task (loaded CI: generous)


async def test_off_posix_the_call_runs_without_a_signal_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio

    from agentcore_mcp.cli import _call

    def no_signal_handlers(*_: Any) -> Any:
        raise NotImplementedError  # what asyncio's loop.add_signal_handler raises on Windows

    async def work() -> str:
        return "done"

    monkeypatch.setattr(anyio, "open_signal_receiver", no_signal_handlers)
    monkeypatch.setattr(_call.os, "name", "nt")
    assert await _call._until_interrupted(work) == "done"
