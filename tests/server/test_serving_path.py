"""The serving path stays lean (no ``mcp`` import), and ``app.run()`` serves and stops like AgentCore expects."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from agentcore_mcp.server._local import free_port
from agentcore_mcp.server._serve import settings_from_env

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import asyncio, json, sys
from examples.demo_server import app

async def call(body, headers=()):
    sent = []
    async def receive():
        return {"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}
    async def send(message):
        sent.append(message)
    scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": [
        (b"accept", b"application/json, text/event-stream"), (b"content-type", b"application/json"), *headers]}
    await app(scope, receive, send)
    return json.loads(sent[-1]["body"])

meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
legacy = asyncio.run(call({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                           "params": {"name": "add_numbers", "arguments": {"a": 1, "b": 2}}}))
modern = asyncio.run(call({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                           "params": {"name": "greet_user", "arguments": {"name": "x"}, "_meta": meta}},
                          [(b"mcp-protocol-version", b"2026-07-28"), (b"mcp-method", b"tools/call"),
                           (b"mcp-name", b"greet_user")]))
print(json.dumps({"legacy": legacy["result"]["structuredContent"], "modern": modern["result"]["content"][0]["text"],
                  "mcp_modules": sorted(m for m in sys.modules if m in ("mcp", "fastmcp") or m.startswith(("mcp.", "mcp_types", "fastmcp.")))}))
"""


def test_importing_the_demo_and_answering_requests_does_not_import_mcp() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert report["legacy"] == {"result": 3}
    assert report["modern"] == "Hello, x! Nice to meet you."
    assert report["mcp_modules"] == []


def test_settings_come_from_arguments_then_environment_then_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AGENTCORE_MCP_HOST", "AGENTCORE_MCP_PORT", "AGENTCORE_MCP_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    assert settings_from_env() == ("0.0.0.0", 8000, "info")
    monkeypatch.setenv("AGENTCORE_MCP_HOST", "127.0.0.1")
    monkeypatch.setenv("AGENTCORE_MCP_PORT", "9001")
    monkeypatch.setenv("AGENTCORE_MCP_LOG_LEVEL", "DEBUG")
    assert settings_from_env() == ("127.0.0.1", 9001, "debug")
    assert settings_from_env("::1", 1, "error") == ("::1", 1, "error")
    monkeypatch.setenv("AGENTCORE_MCP_PORT", "eighty")
    with pytest.raises(ValueError, match="AGENTCORE_MCP_PORT"):
        settings_from_env()
    with pytest.raises(ValueError, match="log level"):
        settings_from_env(port=1, log_level="chatty")


def test_run_serves_on_the_configured_port_logs_the_url_and_stops_cleanly_on_sigterm() -> None:
    port = free_port()
    env = {
        **os.environ,
        "AGENTCORE_MCP_HOST": "127.0.0.1",
        "AGENTCORE_MCP_PORT": str(port),
        "AGENTCORE_MCP_LOG_LEVEL": "info",
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "examples/demo_server.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as resp:
                    assert json.loads(resp.read()) == {"status": "Healthy"}
                    break
            except OSError:
                assert proc.poll() is None, "server exited early"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert f"serving MCP on http://127.0.0.1:{port}/mcp" in output
    assert "Finished server process" in output
    assert proc.returncode in (0, -signal.SIGTERM)
