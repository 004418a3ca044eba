"""``agentcore-mcp``: help that reads like docs, usage errors, and each command run for real."""

from __future__ import annotations

import json
import os
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
from typing import Any

import boto3
import httpx
import pytest

from agentcore_mcp import AgentCoreMCP, Image, ToolError, new_session_id, tool, validate_session_id
from agentcore_mcp.cli import main
from agentcore_mcp.emulator import Emulator
from agentcore_mcp.server._local import free_port, serve_in_thread
from examples.demo_server import add_numbers
from tests.test_deploy import settle_moto_updates

REPO = Path(__file__).resolve().parents[2]
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
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("serve", "emulator", "dev"):
        assert command in out


def test_emulator_help_explains_auth_isolation_and_endpoints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--help"]) == 0
    out = capsys.readouterr().out
    for phrase in ("--isolation", "sigv4", "jwt", "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "--image", "microVM"):
        assert phrase in out


def test_usage_errors_exit_2_with_a_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "no/such/file.py"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["emulator", "--target", "http://127.0.0.1:1/mcp", "--isolation", "process"]) == 2
    assert "--app" in capsys.readouterr().err
    assert main(["emulator", "--auth", "basic"]) == 2


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


def test_emulator_serves_the_target_under_every_arn_given(demo_url: str) -> None:
    port = free_port()
    first = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/calc-AbCdE12345"
    second = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/weather-AbCdE12345"
    args = ("emulator", "--port", str(port), "--target", demo_url, "--arn", first, "--arn", second)
    with cli(*args) as running:
        assert running.wait_for(lambda line: "runtime ARN:" in line).split("runtime ARN:")[1].strip() == first
        assert running.wait_for(lambda line: "also ARN:" in line).split("also ARN:")[1].strip() == second
        client = boto3.client(
            "bedrock-agentcore",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-west-2",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for arn in (first, second):
            answer = client.invoke_agent_runtime(
                agentRuntimeArn=arn,
                payload=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode(),
                contentType="application/json",
                accept="application/json, text/event-stream",
            )
            assert "add_numbers" in {
                t["name"] for t in json.loads(answer["response"].read())["result"]["tools"]
            }
        sessions = {
            arn: client.invoke_agent_runtime(
                agentRuntimeArn=arn,
                payload=json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).encode(),
                contentType="application/json",
                accept="application/json, text/event-stream",
            )["runtimeSessionId"]
            for arn in (first, second)
        }
        assert sessions[first] != sessions[second]


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
        assert "result" in answer.json(), answer.text
        assert answer.json()["result"]["structuredContent"]["pid"] != running.process.pid
        assert (
            httpx.post(url, json=body, headers={**headers, "Authorization": ""}, timeout=30).status_code
            == 401
        )


# -- tools, call, session: an MCP client on the command line ------------------------------------------

CLI_BIN = Path(sys.executable).with_name("agentcore-mcp")
ROLE = "arn:aws:iam::123456789012:role/AgentCoreRuntime"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-mcp:1"


@tool
def echo(value: Any = None) -> dict[str, Any]:
    """Return the value it was given, and its JSON type.

    Args:
        value: Anything.
    """
    return {"value": value, "type": type(value).__name__}


@tool
def refuse(reason: str) -> str:
    """Fail on purpose with the given reason."""
    raise ToolError(reason)


@tool
def picture() -> Image:
    """A 4-byte PNG-typed image."""
    return Image(data=b"\x89PNG", mime_type="image/png")


@pytest.fixture(scope="module")
def cli_app_url() -> Iterator[str]:
    app = AgentCoreMCP("cli-tests", tools=[echo, refuse, picture, add_numbers])
    with serve_in_thread(app) as base:
        yield f"{base}/mcp"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_new_command_has_help_that_reads_like_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    phrases = {
        "tools": ("--bearer-token", "--token-command", "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "--json"),
        "call": ("KEY=VALUE", "read by the tool's input schema", "zip=02134", "Exit status", "on stderr"),
        "deploy": (
            "--discovery-url",
            "--allowed-client",
            "linux/arm64",
            "update the runtime that already has NAME",
            "exit status 2",
        ),
        "destroy": ("--missing-ok", "name, runtime id or ARN"),
        "session": ("session new", "session stop"),
        "init": ("Dockerfile", "non-root", "--force"),
    }
    for command, expected in phrases.items():
        assert main([command, "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        for phrase in expected:
            assert " ".join(phrase.split()) in out, (command, phrase)


def every_command() -> list[list[str]]:
    from agentcore_mcp.cli import parser

    root = parser()
    found: list[list[str]] = []

    def walk(node: Any, path: list[str]) -> None:
        for action in node._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, child in action.choices.items():
                    found.append([*path, name])
                    walk(child, [*path, name])

    walk(root, [])
    return found


def test_every_commands_help_ends_with_examples_wrapped_at_one_width(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: the help still keeps to one width
    commands = every_command()
    assert len(commands) == 20  # twelve commands, session's two actions and gateway's six
    for command in [[], *commands]:
        assert main([*command, "--help"]) == 0
        out = capsys.readouterr().out
        tail = out[out.rindex("\nexample") :]
        assert "agentcore-mcp " + " ".join(command) in tail, (command, tail)
        widest = max(len(line) for line in out.splitlines())
        assert widest <= 100 or command == ["deploy"], (command, widest)  # deploy's example URL is one word
        prose = [line for line in out.splitlines() if line and not line.startswith(" ")]
        assert max(map(len, prose)) <= 100


def test_each_command_is_named_once_in_the_package() -> None:
    package = REPO / "agentcore_mcp" / "cli"
    text = "\n".join(p.read_text() for p in package.glob("*.py"))
    for command in (
        "init",
        "serve",
        "emulator",
        "dev",
        "tools",
        "call",
        "session",
        "deploy",
        "destroy",
        "rollback",
    ):
        assert len(re.findall(rf'\bCommand\(\s*"{command}",', text)) == 1, command


def test_the_installed_script_runs_as_a_subprocess() -> None:
    done = subprocess.run([str(CLI_BIN), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for command in (
        "init",
        "serve",
        "dev",
        "emulator",
        "tools",
        "call",
        "deploy",
        "destroy",
        "rollback",
        "session",
    ):
        assert command in done.stdout
    done = subprocess.run([str(CLI_BIN), "call"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "the following arguments are required: TOOL" in done.stderr


def test_tools_lists_names_parameters_and_descriptions(
    capsys: pytest.CaptureFixture[str], demo_url: str
) -> None:
    code, out, _ = run(capsys, "tools", "--target", demo_url)
    assert code == 0
    assert out.splitlines() == [
        "add_numbers(a: integer, b: integer)  Add two numbers together.",
        "multiply_numbers(a: integer, b: integer)  Multiply two numbers together.",
        "greet_user(name: string)  Greet a user by name.",
    ]
    code, out, _ = run(capsys, "tools", "--target", demo_url, "--json")
    assert code == 0
    listed = json.loads(out)
    assert listed[0]["name"] == "add_numbers"
    assert listed[0]["inputSchema"]["required"] == ["a", "b"]


def test_the_target_defaults_to_agentcore_mcp_target(
    capsys: pytest.CaptureFixture[str], demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_TARGET", demo_url)
    code, out, _ = run(capsys, "call", "multiply_numbers", "a=4", "b=5")
    assert (code, out) == (0, "20\n")


@pytest.mark.parametrize(
    ("pair", "value", "kind"),
    [
        ("value=2", 2, "int"),
        ("value=2.5", 2.5, "float"),
        ("value=true", True, "bool"),
        ("value=null", None, "NoneType"),
        ("value=[1, 2]", [1, 2], "list"),
        ('value={"a": {"b": 1}}', {"a": {"b": 1}}, "dict"),
        ("value=Ada", "Ada", "str"),
        ('value="02134"', "02134", "str"),
        ("value=", "", "str"),
        ("value=a=b", "a=b", "str"),
    ],
)
def test_call_values_are_json_when_they_parse_else_strings(
    capsys: pytest.CaptureFixture[str], cli_app_url: str, pair: str, value: Any, kind: str
) -> None:
    code, out, _ = run(capsys, "call", "echo", pair, "--target", cli_app_url, "--json")
    assert code == 0
    assert json.loads(out)["structuredContent"] == {"value": value, "type": kind}


def test_call_merges_pairs_over_the_args_object(capsys: pytest.CaptureFixture[str], demo_url: str) -> None:
    code, out, _ = run(
        capsys, "call", "add_numbers", "--args", '{"a": 1, "b": 1}', "b=41", "--target", demo_url
    )
    assert (code, out) == (0, "42\n")


def test_a_tool_error_exits_1_with_its_text_on_stderr(
    capsys: pytest.CaptureFixture[str], cli_app_url: str
) -> None:
    code, out, err = run(capsys, "call", "refuse", "reason=not today", "--target", cli_app_url)
    assert (code, out, err) == (1, "", "not today\n")
    code, out, _ = run(capsys, "call", "refuse", "reason=no", "--target", cli_app_url, "--json")
    assert code == 1
    assert json.loads(out)["isError"] is True


def test_non_text_content_is_described(capsys: pytest.CaptureFixture[str], cli_app_url: str) -> None:
    code, out, _ = run(capsys, "call", "picture", "--target", cli_app_url)
    assert (code, out) == (0, "[image image/png, 4 bytes]\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("call", "add_numbers", "a2"), "a tool argument must look like KEY=VALUE, got 'a2'"),
        (("call", "add_numbers", "--args", "[1]"), "--args must be a JSON object, got list"),
        (("call", "add_numbers", "--args", "{"), "--args is not valid JSON"),
        (("tools", "--target", "arn:aws:bedrock-agentcore:us-east-1:1:runtime/x"), "must be 12 digits"),
        (("tools", "--target", "ftp://host/mcp"), "not a runtime ARN or an http(s) URL"),
        (("tools", "--profile", "dev"), "--profile applies to a runtime ARN target"),
        (("tools", "--session-id", "short"), "33–100 characters"),
        (("tools", "--header", "X-Team"), "--header must look like KEY=VALUE"),
        (("session", "stop", "a" * 40), "is a plain MCP URL: it has no runtime session to stop"),
    ],
)
def test_usage_errors_exit_2_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = (
        run(capsys, *argv, "--target", "http://127.0.0.1:1/mcp")
        if "--target" not in argv
        else run(capsys, *argv)
    )
    assert code == 2, err
    assert out == ""
    assert message in err
    assert err.count("\n") == 1
    assert err.startswith(f"agentcore-mcp {argv[0]}: ")


def test_an_unreachable_server_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "tools", "--target", f"http://127.0.0.1:{free_port()}/mcp", "--timeout", "20"
    )
    assert (code, out) == (1, "")
    assert err.startswith("agentcore-mcp tools: could not connect to http://127.0.0.1:")
    assert err.count("\n") == 1


def test_a_failing_token_command_exits_1_before_any_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "tools", "--target", "http://127.0.0.1:1/mcp", "--token-command", "echo nope >&2; exit 3"
    )
    assert code == 1
    assert err == "agentcore-mcp tools: --token-command exited with status 3: nope\n"


def test_session_new_prints_a_valid_session_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "session", "new")
    assert code == 0
    assert validate_session_id(out.strip()) == out.strip()


# -- deploy, call and stop through the local AgentCore (the emulator and its moto control plane) -----


@pytest.fixture(scope="module")
def agentcore_url(demo_url: str) -> Iterator[tuple[Emulator, str]]:
    """The emulator with moto's control plane; any deployed image is served by the demo server."""
    emulator = Emulator(credentials={"testing": "testing"})
    emulator.map_image("*", demo_url)
    with emulator.serve() as url:
        yield emulator, url


@pytest.fixture
def agentcore(agentcore_url: tuple[Emulator, str], monkeypatch: pytest.MonkeyPatch) -> tuple[Emulator, str]:
    """The standard AWS variables point both planes at the emulator; local test credentials."""
    emulator, url = agentcore_url
    settle_moto_updates(monkeypatch)
    for name, value in {
        "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": url,
        "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AGENTCORE_MCP_BEARER_TOKEN", raising=False)
    return emulator, url


def _control(url: str) -> Any:
    return boto3.client(
        "bedrock-agentcore-control",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _deploy(capsys: pytest.CaptureFixture[str], name: str, *extra: str) -> dict[str, Any]:
    code, out, err = run(capsys, "deploy", name, "--image", IMAGE, "--role", ROLE, "--json", *extra)
    assert code == 0, err
    deployed: dict[str, Any] = json.loads(out)
    return deployed


def test_deploy_then_call_the_runtime_with_boto3(
    capsys: pytest.CaptureFixture[str], agentcore: tuple[Emulator, str]
) -> None:
    emulator, url = agentcore
    deployed = _deploy(capsys, "cli_sigv4")
    assert (deployed["action"], deployed["status"]) == ("created", "READY")
    assert deployed["invocationsUrl"].startswith(f"{url}/runtimes/")
    arn = deployed["agentRuntimeArn"]
    code, out, err = run(capsys, "call", "add_numbers", "a=2", "b=3", "--target", arn)
    assert (code, out) == (0, "5\n"), err
    code, out, _ = run(capsys, "tools", "--target", arn, "--endpoint-url", url, "--region", "us-east-1")
    assert code == 0
    assert out.startswith("add_numbers(a: integer, b: integer)")
    session_id = new_session_id()
    code, out, _ = run(capsys, "call", "greet_user", "name=Ada", "--target", arn, "--session-id", session_id)
    assert (code, out) == (0, "Hello, Ada! Nice to meet you.\n")
    assert emulator.session(session_id) is not None
    code, out, err = run(capsys, "session", "stop", session_id, "--target", arn)
    assert (code, out) == (0, f"stopped runtime session {session_id}\n"), err
    assert emulator.session(session_id) is None


def test_deploy_with_a_jwt_authorizer_then_call_with_a_bearer_token(
    capsys: pytest.CaptureFixture[str], agentcore: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, _ = agentcore
    deployed = _deploy(
        capsys,
        "cli_jwt",
        "--discovery-url",
        emulator.issuer.discovery_url,
        "--allowed-client",
        "cli-client",
    )
    arn = deployed["agentRuntimeArn"]
    described = _control(agentcore[1]).get_agent_runtime(agentRuntimeId=deployed["agentRuntimeId"])
    assert described["authorizerConfiguration"]["customJWTAuthorizer"]["allowedClients"] == ["cli-client"]
    token = emulator.mint_token(client_id="cli-client")
    code, out, err = run(
        capsys, "call", "add_numbers", "a=20", "b=22", "--target", arn, "--bearer-token", token
    )
    assert (code, out) == (0, "42\n"), err

    # A token command runs before the first request, and again when the token is refused (401).
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{emulator.mint_token(client_id='cli-client', expires_in=-60)}\n{token}\n")
    command = (
        f"{sys.executable} -c \"import pathlib; p = pathlib.Path(r'{tokens}'); lines = p.read_text().split(); "
        'print(lines[0]); p.write_text(chr(10).join(lines[1:]))"'
    )
    code, out, err = run(
        capsys, "call", "add_numbers", "a=1", "b=1", "--target", arn, "--token-command", command
    )
    assert (code, out) == (0, "2\n"), err
    assert tokens.read_text() == ""

    # SigV4 (boto3) on a JWT runtime is refused: one line, exit 1.
    code, out, err = run(capsys, "call", "add_numbers", "a=1", "b=1", "--target", arn)
    assert (code, out) == (1, "")
    assert err.startswith("agentcore-mcp call: ")
    assert err.count("\n") == 1


def test_a_second_deploy_updates_and_destroy_removes(
    capsys: pytest.CaptureFixture[str], agentcore: tuple[Emulator, str]
) -> None:
    _, url = agentcore
    first = _deploy(capsys, "cli_update")
    second = _deploy(capsys, "cli_update", "--env", "MODE=v2", "--idle-timeout", "600")
    assert second["action"] == "updated"
    assert second["agentRuntimeId"] == first["agentRuntimeId"]
    names = [r["agentRuntimeName"] for r in _control(url).list_agent_runtimes()["agentRuntimes"]]
    assert names.count("cli_update") == 1
    code, out, err = run(capsys, "destroy", "cli_update", "--poll-interval", "0.05")
    assert code == 0, err
    assert out.startswith("deleted runtime cli_update (arn:aws:bedrock-agentcore:")
    code, out, err = run(capsys, "destroy", "cli_update")
    assert (code, out) == (1, "")
    assert "no runtime named or identified 'cli_update'" in err
    code, out, err = run(capsys, "destroy", "cli_update", "--missing-ok", "--json")
    assert code == 0
    assert json.loads(out)["deleted"] is False


def test_deploy_as_a_subprocess_through_the_standard_endpoint_variable(
    agentcore: tuple[Emulator, str],
) -> None:
    emulator, url = agentcore
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"}
    argv = [str(CLI_BIN), "deploy", "cli_subprocess", "--image", IMAGE, "--role", ROLE]
    argv += ["--discovery-url", emulator.issuer.discovery_url, "--allowed-audience", "mcp"]

    def cli_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv[:1], *args], capture_output=True, text=True, timeout=120, check=False, env=env, cwd=REPO
        )

    created = cli_run(*argv[1:])
    assert created.returncode == 0, created.stderr
    assert created.stderr.splitlines()[0].startswith(
        f"creating runtime cli_subprocess in us-east-1 (region from AWS_DEFAULT_REGION): {IMAGE}, MCP, PUBLIC, JWT"
    )
    assert "  READY (" in created.stderr
    lines = dict(line.split(":", 1) for line in created.stdout.splitlines() if ":" in line)
    arn = lines["runtime ARN"].strip()
    assert lines["invocations URL"].strip().startswith(f"{url}/runtimes/")  # the emulator serves both planes
    assert "--bearer-token TOKEN" in created.stdout
    summary = next(
        r for r in _control(url).list_agent_runtimes()["agentRuntimes"] if r["agentRuntimeArn"] == arn
    )
    described = _control(url).get_agent_runtime(agentRuntimeId=summary["agentRuntimeId"])
    assert described["protocolConfiguration"]["serverProtocol"] == "MCP"
    assert described["authorizerConfiguration"]["customJWTAuthorizer"]["allowedAudience"] == ["mcp"]

    updated = cli_run(*argv[1:], "--allow-header", "Authorization")
    assert updated.returncode == 0, updated.stderr
    assert updated.stderr.startswith(
        f"updating runtime cli_subprocess ({summary['agentRuntimeId']}, version 1)"
    )
    assert updated.stdout.startswith("updated runtime cli_subprocess (version 2, READY)")

    destroyed = cli_run("destroy", arn)
    assert destroyed.returncode == 0, destroyed.stderr
    assert all(
        r["agentRuntimeName"] != "cli_subprocess"
        for r in _control(url).list_agent_runtimes()["agentRuntimes"]
    )


def test_deploy_usage_shows_the_role_as_required_and_refuses_a_deploy_without_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deploy", "good_name", "--image", IMAGE]) == 2
    err = capsys.readouterr().err
    usage = " ".join(err[: err.index("agentcore-mcp deploy: error")].split())
    assert " --role ARN " in usage
    assert "[--role ARN]" not in usage
    assert "the following arguments are required: --role" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--name-is", "bad-name"), "no hyphens), got 'bad-name'; try 'bad_name'"),
        (("--discovery-url", "https://issuer.example.com"), "ending in /.well-known/openid-configuration"),
        (("--allowed-client", "c"), "need --discovery-url"),
        (("--image", "nginx:latest"), "must be in Amazon ECR"),
        (("--idle-timeout", "10"), "the idle timeout is 60-1209600 seconds, got 10"),
        (("--env", "NOVALUE"), "--env must look like KEY=VALUE"),
        (
            ("--platform-version", "V1", "--warmup-path", "/warmup"),
            'a warm-up hook needs platform version V2, not V1: "Lifecycle hooks are available',
        ),
        (("--platform-version", "V1", "--architecture", "x86_64"), "x86_64 needs platform version V2"),
        (("--warmup-port", "8001"), "--warmup-port needs --warmup-path"),
        (("--bucket", "my-bucket"), "--bucket, --app and --requirement are for a code zip"),
    ],
)
def test_deploy_mistakes_exit_2_before_any_api_call(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...], message: str
) -> None:
    # Nothing listens on the control-plane endpoint: any API call would fail with exit status 1.
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    name = extra[1] if extra[0] == "--name-is" else "good_name"
    argv = ["deploy", name, "--image", IMAGE, "--role", ROLE]
    if extra[0] != "--name-is":
        argv += list(extra)
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, ""), err
    assert message in err
    assert err.count("\n") == 1


def test_a_code_zip_deploy_checks_the_spec_before_building_anything(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.chdir(tmp_path)
    source = str(REPO / "examples" / "demo_server.py")
    for argv, message in (
        (["--role", "AgentCoreRuntime"], "must be an IAM role ARN"),
        (["--role", ROLE, "--idle-timeout", "10"], "the idle timeout is 60-1209600 seconds"),
    ):
        code, out, err = run(capsys, "deploy", "good_name", "--source", source, *argv)
        assert (code, out) == (2, ""), err
        assert message in err
        assert "resolve:" not in err
    assert not (tmp_path / "dist").exists()
