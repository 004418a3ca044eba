"""``agentcore-mcp``: help that reads like docs, usage errors, and each command run for real."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import httpx
import pytest

from agentcore_mcp.cli import main
from agentcore_mcp.server.local import free_port

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0


class Running:
    """A CLI process whose stdout lines are read in a thread, so waits for a line are bounded."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        self.process = process
        self.log = log
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = START_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no matching line within {timeout:g}s; output so far:\n{self.transcript()}")
            if line is None:
                pytest.fail(f"the process exited ({self.process.wait()}); output:\n{self.transcript()}")
            self.seen.append(line)
            if predicate(line):
                return line

    def transcript(self) -> str:
        return "\n".join(self.seen) + "\n--- stderr ---\n" + self.log.read_text(errors="replace")

    def output_until_quiet(self, marker: str) -> str:
        """All lines up to and including the first one that contains ``marker``."""
        self.wait_for(lambda line: marker in line)
        return "\n".join(self.seen)


@contextmanager
def cli(*args: str) -> Iterator[Running]:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "agentcore_mcp.cli", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    running = Running(process, Path(log.name))
    try:
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail("the CLI did not stop within 20 s of SIGTERM")
        assert code == 0, f"exit code {code} after SIGTERM\n{running.transcript()}"
        Path(log.name).unlink()


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "emulator", "dev"):
        assert command in out


def test_emulator_help_explains_auth_isolation_and_endpoints(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["emulator", "--help"])
    out = capsys.readouterr().out
    for phrase in ("--isolation", "sigv4", "jwt", "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "--image", "microVM"):
        assert phrase in out


def test_usage_errors_exit_2_with_a_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "no/such/file.py"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["emulator", "--target", "http://127.0.0.1:1/mcp", "--isolation", "process"]) == 2
    assert "--app" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["emulator", "--auth", "basic"])
    assert exited.value.code == 2


def test_serve_runs_an_app_file_on_the_given_port() -> None:
    port = free_port()
    with cli("serve", "examples/demo_server.py", "--host", "127.0.0.1", "--port", str(port)) as running:
        running.process.poll()
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # the server logs to stderr only; probe its health route (bounded)
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert running.process.poll() is None, "serve exited"
            assert time.monotonic() < deadline, "serve did not answer /ping in time"
            time.sleep(0.05)


def test_emulator_prints_the_runtime_and_real_boto3_invokes_it(demo_url: str) -> None:
    port = free_port()
    args = ("emulator", "--port", str(port), "--target", demo_url, "--auth", "sigv4", "--name", "cli_demo")
    with cli(*args) as running:
        arn_line = running.wait_for(lambda line: "runtime ARN:" in line)
        arn = arn_line.split("runtime ARN:", 1)[1].strip()
        assert re.fullmatch(
            r"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/cli_demo-[A-Za-z0-9]{10}", arn
        )
        client = boto3.client(
            "bedrock-agentcore",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        answer = client.invoke_agent_runtime(
            agentRuntimeArn=arn,
            payload=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode(),
            contentType="application/json",
            accept="application/json, text/event-stream",
        )
        tools = json.loads(answer["response"].read())["result"]["tools"]
        assert "add_numbers" in {t["name"] for t in tools}


def _two_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def test_dev_prints_a_boto3_snippet_that_works_as_printed() -> None:
    app_port, emulator_port = _two_ports()
    args = ("dev", "examples/demo_server.py", "--port", str(app_port), "--emulator-port", str(emulator_port))
    with cli(*args) as running:
        output = running.output_until_quiet("print(answer[")
        assert f"http://127.0.0.1:{app_port}/mcp" in output
        assert "invocations URL:  http://127.0.0.1:" in output
        snippet = output[output.index("import json, boto3") :]
        done = subprocess.run(
            [sys.executable, "-c", snippet], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        session_id, _, body = done.stdout.partition(" ")
        assert len(session_id) >= 33
        assert "multiply_numbers" in body


def test_dev_with_process_isolation_and_jwt_prints_a_token_that_works() -> None:
    emulator_port = free_port()
    args = ("dev", "tests/emulator/apps.py", "--emulator-port", str(emulator_port), "--isolation", "process")
    with cli(*args, "--auth", "jwt") as running:
        url_line = running.wait_for(lambda line: "invocations URL:" in line)
        url = url_line.split("invocations URL:", 1)[1].strip()
        running.wait_for(lambda line: line.startswith("bearer token"))
        token = running.wait_for(lambda line: line.count(".") == 2)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        }
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "whoami", "arguments": {}},
        }
        answer = httpx.post(url, json=body, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["result"]["structuredContent"]["pid"] != running.process.pid
        assert (
            httpx.post(url, json=body, headers={**headers, "Authorization": ""}, timeout=30).status_code
            == 401
        )
