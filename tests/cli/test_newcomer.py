"""The paths a newcomer trips on (issue 14), each run for real: one test per problem fixed."""

from __future__ import annotations

import os
import pty
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agentcore_mcp import AgentCoreMCP, Context, tool
from agentcore_mcp.cli import main
from agentcore_mcp.cli._deploy import _seconds
from agentcore_mcp.deploy import resolve_region
from agentcore_mcp.server._local import free_port, serve_in_thread
from examples.demo_server import app as demo_app
from tests.cli.test_commands import cli

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("agentcore-mcp")


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    with serve_in_thread(demo_app) as base:
        yield f"{base}/mcp"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_string_parameter_gets_the_value_as_written(capsys: pytest.CaptureFixture[str], demo: str) -> None:
    code, out, err = run(capsys, "call", "greet_user", "name=123", "--target", demo)
    assert (code, err) == (0, ""), err
    assert "123" in out
    code, out, _ = run(capsys, "call", "add_numbers", "a=2", "b=3", "--target", demo)
    assert (code, out.strip()) == (0, "5")


def test_an_unknown_tool_lists_the_tools_and_suggests_one(
    capsys: pytest.CaptureFixture[str], demo: str
) -> None:
    code, out, err = run(capsys, "call", "add_number", "a=1", "--target", demo)
    assert (code, out) == (1, "")
    assert "no tool 'add_number'" in err
    assert "(did you mean 'add_numbers'?)" in err
    assert "its tools: add_numbers, multiply_numbers, greet_user" in err
    assert err.count("\n") == 1


def test_an_unknown_argument_names_the_parameters(capsys: pytest.CaptureFixture[str], demo: str) -> None:
    code, out, err = run(capsys, "call", "add_numbers", "a=1", "bb=2", "--target", demo)
    assert (code, out) == (1, "")
    assert "add_numbers has no parameter 'bb' (did you mean 'b'?)" in err
    assert "its parameters: add_numbers(a: integer, b: integer)" in err


def test_an_arn_in_place_of_the_tool_asks_for_target(capsys: pytest.CaptureFixture[str]) -> None:
    arn = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/demo-AbCdE12345"
    code, out, err = run(capsys, "call", arn, "add_numbers", "a=2", "b=3")
    assert (code, out) == (2, "")
    assert "did you mean --target?" in err
    assert f"agentcore-mcp call add_numbers a=2 b=3 --target {arn}" in err


def _busy_port() -> tuple[socket.socket, int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder, holder.getsockname()[1]


@pytest.mark.parametrize("command", ["serve", "dev", "emulator"])
def test_a_busy_port_is_one_line_and_exit_1(command: str) -> None:
    holder, port = _busy_port()
    with holder:
        argv = {
            "serve": ["serve", "examples/demo_server.py", "--host", "127.0.0.1", "--port", str(port)],
            "dev": [
                "dev",
                "examples/demo_server.py",
                "--port",
                str(port),
                "--emulator-port",
                str(free_port()),
            ],
            "emulator": ["emulator", "--port", str(port)],
        }[command]
        done = subprocess.run(
            [str(CLI), *argv], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"agentcore-mcp {command}: port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr
    assert "serving MCP on" not in done.stderr


def test_dev_jwt_mints_for_the_first_client_and_its_cli_and_curl_lines_work() -> None:
    emulator_port = free_port()
    args = (
        "dev",
        "examples/demo_server.py",
        "--port",
        str(free_port()),
        "--emulator-port",
        str(emulator_port),
    )
    with cli(*args, "--auth", "jwt", "--client-id", "my-client", "--client-id", "other") as running:
        cli_line = running.wait_for(lambda line: line.startswith("agentcore-mcp tools --target"))
        curl_line = running.wait_for(lambda line: line.startswith("curl "))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["PATH"] = f"{CLI.parent}{os.pathsep}{env.get('PATH', '')}"
        listed = subprocess.run(shlex.split(cli_line), env=env, capture_output=True, text=True, timeout=60)
        assert listed.returncode == 0, listed.stderr
        assert "add_numbers(a: integer, b: integer)" in listed.stdout
        curled = subprocess.run(
            ["bash", "-c", curl_line], capture_output=True, text=True, timeout=60, check=False
        )
        assert curled.returncode == 0, curled.stderr
        assert "add_numbers" in curled.stdout
        assert (
            "boto3:" not in running.transcript()
        )  # a JWT runtime refuses SigV4: no snippet that cannot work


def test_the_banners_cli_line_works_as_printed_without_aws_credentials(tmp_path: Path) -> None:
    args = ("dev", "examples/demo_server.py", "--port", str(free_port()), "--emulator-port", str(free_port()))
    with cli(*args, "--auth", "sigv4") as running:
        line = running.wait_for(lambda text: "agentcore-mcp tools --target" in text)
        # a machine with no AWS configuration at all
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["PATH"] = f"{CLI.parent}{os.pathsep}{env.get('PATH', '')}"
        env.update(
            HOME=str(tmp_path),
            AWS_CONFIG_FILE=str(tmp_path / "none"),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        )
        done = subprocess.run(
            ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "greet_user(name: string)" in done.stdout


@tool
async def two_halves(ctx: Context) -> str:
    """Report progress twice, then answer."""
    await ctx.report_progress(1, 2, "first half")
    await ctx.report_progress(2, 2, "second half")
    return "done"


@pytest.fixture(scope="module")
def progress_url() -> Iterator[str]:
    with serve_in_thread(AgentCoreMCP("progress", tools=[two_halves])) as base:
        yield f"{base}/mcp"


def _stderr_on_a_terminal(*argv: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal; its exit status, stdout, and what the terminal showed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([str(CLI), *argv], stdout=subprocess.PIPE, stderr=terminal, text=True)
    os.close(terminal)
    shown = b""
    with os.fdopen(controller, "rb", buffering=0) as reader:
        while True:
            try:
                chunk = reader.read(4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            shown += chunk
    stdout, _ = process.communicate(timeout=60)
    return process.returncode, stdout, shown.decode().replace("\r\n", "\n")


def test_call_shows_progress_on_a_terminal_and_nothing_with_json(progress_url: str) -> None:
    code, out, shown = _stderr_on_a_terminal("call", "two_halves", "--target", progress_url)
    assert (code, out.strip()) == (0, "done")
    assert shown == "  progress 1/2: first half\n  progress 2/2: second half\n"
    code, out, shown = _stderr_on_a_terminal("call", "two_halves", "--target", progress_url, "--json")
    assert code == 0
    assert '"text": "done"' in out
    assert shown == ""
    piped = subprocess.run(
        [str(CLI), "call", "two_halves", "--target", progress_url], capture_output=True, text=True, timeout=60
    )
    assert (piped.returncode, piped.stderr) == (0, "")  # not a terminal: quiet


def test_progress_notifications_and_retries_are_printed_by_the_call_display(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    import anyio

    from agentcore_mcp.cli._call import CallDisplay

    display = CallDisplay(enabled=True)
    anyio.run(display.progress, 3, 10, "reading")
    with display.transport_events():
        logging.getLogger("agentcore_mcp.client").info(
            "tools/call to runtime X: HTTP 429; retry 1/3 in 0.50 s"
        )
    logging.getLogger("agentcore_mcp.client").info("not shown: the display is closed")
    quiet = CallDisplay(enabled=False)
    anyio.run(quiet.progress, 1, None, None)
    assert (
        capsys.readouterr().err
        == "  progress 3/10: reading\n  tools/call to runtime X: HTTP 429; retry 1/3 in 0.50 s\n"
    )


def test_aws_region_is_read_before_aws_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert resolve_region() == ("eu-west-1", "AWS_REGION")
    assert resolve_region("ap-south-1") == ("ap-south-1", "--region")
    monkeypatch.delenv("AWS_REGION")
    assert resolve_region() == ("us-east-1", "AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert resolve_region(profile="dev") == (None, "profile dev")


def test_deploy_with_only_aws_region_set_says_it_read_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", f"http://127.0.0.1:{free_port()}")
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:1"
    code, _, err = run(
        capsys,
        "deploy",
        "demo_mcp",
        "--image",
        image,
        "--role",
        "arn:aws:iam::123456789012:role/R",
        "--timeout",
        "5",
    )
    assert code == 1  # nothing listens there: the call fails, after the region was found
    assert "no AWS region configured" not in err
    monkeypatch.delenv("AWS_REGION")
    code, _, err = run(
        capsys, "deploy", "demo_mcp", "--image", image, "--role", "arn:aws:iam::123456789012:role/R"
    )
    assert code == 2
    assert "set AWS_REGION or AWS_DEFAULT_REGION (neither is set)" in err


def test_waits_say_one_second_not_one_seconds() -> None:
    assert [_seconds(v) for v in (0.2, 1.0, 1.4, 41.0)] == ["0 seconds", "1 second", "1 second", "41 seconds"]


def test_call_shows_the_clients_retries_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentcore_mcp.emulator import Emulator

    emulator = Emulator()
    runtime = emulator.add_runtime(demo_app, auth="sigv4")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with emulator.serve() as url:
        emulator.faults.throttle(1)  # the next invocation is throttled: the transport retries it
        code, out, shown = _stderr_on_a_terminal(
            "call", "add_numbers", "a=2", "b=3", "--target", runtime.arn, "--endpoint-url", url
        )
    assert (code, out.strip()) == (0, "5"), shown
    assert "throttled, resend 1/" in shown, shown


@pytest.mark.parametrize("command", ["tools", "call"])
def test_an_arn_target_without_credentials_is_one_line_saying_what_to_set(
    command: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(tmp_path), AWS_REGION="us-east-1", AWS_CONFIG_FILE=str(tmp_path / "none"))
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    argv = [
        str(CLI),
        command,
        "--target",
        "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/demo-abc",
    ]
    if command == "call":
        argv.append("add_numbers")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "no AWS credentials" in lines[0]
    assert "AWS_PROFILE" in lines[0]
    assert "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE" in lines[0]
    assert "Traceback" not in done.stderr


def test_serve_finds_a_module_in_the_working_directory_as_uvicorn_does(tmp_path: Path) -> None:
    package = tmp_path / "my_tools"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "server.py").write_text(
        "from agentcore_mcp import AgentCoreMCP, tool\n\n\n"
        "@tool\ndef ping_back(text: str) -> str:\n    return text\n\n\n"
        'app = AgentCoreMCP("mine", tools=[ping_back])\n'
    )
    port = free_port()
    argv = [str(CLI), "serve", "my_tools.server:app", "--host", "127.0.0.1", "--port", str(port)]
    with subprocess.Popen(argv, cwd=tmp_path, stderr=subprocess.PIPE, text=True) as process:
        try:
            for _ in range(300):  # the console script's sys.path[0] is its bin folder, not the cwd
                assert process.poll() is None, process.communicate()[1]
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                pytest.fail("serve did not answer /ping")
            code = main(["call", "ping_back", "text=hi", "--target", f"http://127.0.0.1:{port}/mcp"])
            assert code == 0
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_app_run_on_a_busy_port_says_so_in_one_line_before_serving() -> None:
    holder, port = _busy_port()
    env = {**os.environ, "AGENTCORE_MCP_HOST": "127.0.0.1", "AGENTCORE_MCP_PORT": str(port)}
    with holder:
        done = subprocess.run(
            [sys.executable, "examples/demo_server.py"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"ERROR     agentcore_mcp.server: port {port} on 127.0.0.1 is already in use (another server?): "
        "stop it or choose another port (port= or AGENTCORE_MCP_PORT)"
    ], done.stderr


def _cli_line(*argv: str) -> tuple[int, str]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    done = subprocess.run(
        [str(CLI), *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "(JSON-RPC error" not in done.stderr  # the code is named once
    return done.returncode, done.stderr


def test_the_emulators_base_url_as_target_names_the_invocations_url_and_logs_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from agentcore_mcp.emulator import Emulator

    emulator = Emulator()
    runtime = emulator.add_runtime(demo_app, auth="none")
    with emulator.serve() as base, caplog.at_level("WARNING", logger="agentcore_mcp.emulator"):
        for target in (base, f"{base}/mcp"):
            code, err = _cli_line("tools", "--target", target)
            assert code == 1
            assert "is not an MCP endpoint" in err
            assert f"its invocations URL {emulator.invocations_url(runtime)}" in err
            assert f"--endpoint-url {base} (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE)" in err
            assert "did you mean" not in err
            assert "<html" not in err.lower()
    routes = {r.getMessage() for r in caplog.records if "no such route" in r.getMessage()}
    assert routes == {f"POST {path}: no such route (not an invocations URL)" for path in ("/", "/mcp")}
    assert not [r for r in caplog.records if r.exc_info]


def test_a_url_without_the_mcp_path_asks_did_you_mean_mcp(demo: str) -> None:
    root = demo.removesuffix("/mcp")
    code, err = _cli_line("tools", "--target", root)
    assert code == 1
    assert err.rstrip().endswith(f"; did you mean {root}/mcp? (AgentCore serves MCP at /mcp)"), err
    assert "[HTTP 404, JSON-RPC" in err


def test_nothing_listening_on_this_machine_asks_whether_the_server_runs() -> None:
    code, err = _cli_line("tools", "--target", f"http://127.0.0.1:{free_port()}/mcp")
    assert code == 1
    assert "could not connect to" in err
    assert "is the server running? (`agentcore-mcp dev APP` or `agentcore-mcp serve APP` starts one)" in err
