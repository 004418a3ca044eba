"""Proxy tests: the emulator on loopback, and the real ``agentcore-mcp proxy`` process in front of it.

Each test launches ``agentcore-mcp proxy`` (as ``python -m agentcore_mcp.cli proxy``, the console script's
own entry point, in the environment under test) with the official SDK's ``stdio_client`` or with raw pipes,
exactly as a desktop client does.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

MCP_MAJOR = int(importlib.metadata.version("mcp").split(".", 1)[0])
REGION = "us-east-1"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
CLIENT = "proxy-tests"
ROOT = Path(__file__).resolve().parents[2]

collect_ignore: list[str] = []
if MCP_MAJOR < 2:
    collect_ignore += ["test_modern.py", "test_headers.py"]  # the 2026-07-28 era needs mcp 2.x


@dataclass
class Emulated:
    """The served emulator and its runtimes (all serve tests/proxy/app.py)."""

    emulator: Any
    endpoint_url: str
    sigv4: str
    jwt: str
    open: str
    stateful: str  # a session-keeping server in a process per runtime session
    env: dict[str, str] = field(default_factory=dict)

    def url(self, arn: str) -> str:
        return str(self.emulator.invocations_url(arn))

    def token(self, **claims: Any) -> str:
        claims.setdefault("client_id", CLIENT)
        return str(self.emulator.mint_token(**claims))

    def command(self, *args: str) -> list[str]:
        """The ``agentcore-mcp proxy`` command line with ``args`` (the installed CLI's entry point)."""
        return [sys.executable, "-m", "agentcore_mcp.cli", "proxy", *args]

    def sigv4_args(self, *extra: str, arn: str | None = None) -> list[str]:
        return [arn or self.sigv4, "--endpoint-url", self.endpoint_url, *extra]

    def jwt_args(self, *extra: str) -> list[str]:
        return [self.url(self.jwt), "--bearer-token", self.token(), *extra]


@pytest.fixture(scope="session")
def emulated() -> Iterator[Emulated]:
    from agentcore_mcp.emulator import Emulator
    from tests.proxy.app import app

    emulator = Emulator(credentials={"testing": "testing"}, control_plane=False, region=REGION)
    sigv4 = emulator.add_runtime(app, name="proxy_sigv4", auth="sigv4")
    jwt = emulator.add_runtime(app, name="proxy_oauth", auth="jwt", allowed_clients=[CLIENT])
    opened = emulator.add_runtime(app, name="proxy_open")
    stateful = emulator.add_runtime(
        str(Path(__file__).with_name("stateful_app.py")), name="proxy_stateful", auth="sigv4"
    )
    env = {**os.environ, **KEYS, "PYTHONPATH": str(ROOT)}
    env.pop("AWS_PROFILE", None)
    with emulator.serve() as endpoint_url:
        yield Emulated(emulator, endpoint_url, sigv4.arn, jwt.arn, opened.arn, stateful.arn, env)
