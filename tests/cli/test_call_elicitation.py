"""``agentcore-mcp call`` and URL-mode elicitation: the URL is shown to the user, who visits it; the call completes.

The CLI runs as a separate process (its stderr on a pseudo-terminal where a person would see it); the
server and its loopback consent page run in this process (tests/server/test_url_elicitation.py's app).
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from agentcore_mcp.server._local import serve_in_thread
from tests.server.test_url_elicitation import SECRET, _ConsentPage, make_app

REPO = Path(__file__).resolve().parents[2]
MCP1_PYTHON = REPO / ".venv-mcp1" / "bin" / "python"
ENV = {
    **os.environ,
    "PYTHONPATH": str(REPO),
}  # this checkout's code, whatever the venv's editable install says


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    """(URL of a session-mode server, URL of a stateless one), sharing one consent page."""
    page = ThreadingHTTPServer(("127.0.0.1", 0), _ConsentPage)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    consent = f"http://127.0.0.1:{page.server_address[1]}/consent"
    with (
        serve_in_thread(make_app(consent, sessions=True)) as with_sessions,
        serve_in_thread(make_app(consent, sessions=False)) as stateless,
    ):
        yield f"{with_sessions}/mcp", f"{stateless}/mcp"
    page.shutdown()
    page.server_close()


def _cli(python: Path | str, *argv: str) -> list[str]:
    return [str(python), "-m", "agentcore_mcp.cli", *argv]


def test_on_a_terminal_the_url_is_shown_and_the_call_completes_after_the_visit(
    servers: tuple[str, str],
) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        _cli(sys.executable, "call", "calendar", "account=term", "--target", servers[0]),
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        cwd=REPO,
        env=ENV,
    )
    os.close(terminal)
    shown = b""
    visited = False
    with os.fdopen(controller, "rb", buffering=0) as reader:
        while True:
            try:
                chunk = reader.read(4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            found = re.search(rb"open this URL to continue: (\S+)", shown)
            if found and not visited:
                visited = True
                assert httpx.get(found.group(1).decode()).status_code == 200  # the person opens it
    stdout, _ = process.communicate(timeout=60)
    text = shown.decode().replace("\r\n", "\n")
    assert (process.returncode, stdout) == (0, "3 events for term\n"), text
    assert "  Connect your calendar\n  open this URL to continue: http://127.0.0.1:" in text
    assert f"account=term&state={SECRET}" in text  # the full URL, for the user to examine


def test_json_passes_the_elicitation_through_on_stderr(servers: tuple[str, str]) -> None:
    process = subprocess.Popen(
        _cli(sys.executable, "call", "calendar", "account=json", "--target", servers[0], "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=ENV,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    elicitation = json.loads(line)["elicitation"]
    assert elicitation["mode"] == "url"
    assert elicitation["message"] == "Connect your calendar"
    assert httpx.get(elicitation["url"]).status_code == 200
    stdout, rest = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert json.loads(stdout)["content"] == [{"type": "text", "text": "3 events for json"}]


def test_a_32042_names_the_url_and_the_call_again_completes(servers: tuple[str, str]) -> None:
    # mcp 1.x speaks the handshake era; a stateless server cannot know the client takes URL elicitations.
    stateless = servers[1]
    first = subprocess.run(
        _cli(MCP1_PYTHON, "call", "calendar", "account=retry", "--target", stateless),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=ENV,
    )
    assert first.returncode == 1
    found = re.search(r"; open (\S+) \(Connect your calendar\), then call again", first.stderr)
    assert found, first.stderr
    assert "(JSON-RPC error -32042)" in first.stderr
    as_json = subprocess.run(
        _cli(MCP1_PYTHON, "call", "calendar", "account=retry", "--target", stateless, "--json"),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=ENV,
    )
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == -32042
    assert error["data"]["elicitations"][0]["url"] == found.group(1)
    assert httpx.get(found.group(1)).status_code == 200
    again = subprocess.run(
        _cli(MCP1_PYTHON, "call", "calendar", "account=retry", "--target", stateless),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=ENV,
    )
    assert (again.returncode, again.stdout) == (0, "3 events for retry\n"), again.stderr
