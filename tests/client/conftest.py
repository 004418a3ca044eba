"""Client tests: which files run under which mcp major, and shared fixtures.

The ``mcp1`` marker selects the tests that also run with mcp 1.x (``make test-mcp1`` runs them in a second
environment with mcp 1.x and Strands Agents). Modules that need mcp 2.x, or Strands, are not collected
where those are not installed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

MCP_MAJOR = int(importlib.metadata.version("mcp").split(".", 1)[0])

collect_ignore: list[str] = []
if MCP_MAJOR < 2:
    collect_ignore += [
        "test_official_clients.py",
        "test_benchmark.py",
        "test_input_requests.py",
        "test_skills.py",
    ]
if importlib.util.find_spec("strands") is None:
    collect_ignore += ["test_strands.py"]


# -- the local AgentCore emulator with the runtimes client tests call ---------------------------------------


APPS = Path(__file__).parent / "apps"
REGION = "us-east-1"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
JWT_CLIENT = "client-tests"


@dataclass
class Emulated:
    """A served emulator and the ARNs of its runtimes (all serve the demo tools)."""

    emulator: Any
    endpoint_url: str
    front: Any  # the recording Front in front of the demo app behind ``sigv4`` and ``jwt``
    sigv4: str  # SigV4 runtime: demo app (in process, behind ``front``)
    jwt: str  # OAuth runtime: the same app, tokens from the emulator's issuer for JWT_CLIENT
    open: str  # no-auth runtime: demo app behind ``front`` (for fault injection)
    stateful: str  # a session-keeping server, one process per runtime session
    crashing: str  # a server whose ``crash`` tool kills its process mid-stream

    def boto3_client(self) -> Any:
        import boto3

        return boto3.client("bedrock-agentcore", endpoint_url=self.endpoint_url, region_name=REGION, **KEYS)

    def boto3_session(self) -> Any:
        import boto3

        return boto3.Session(region_name=REGION, **KEYS)

    def url(self, arn: str) -> str:
        return str(self.emulator.invocations_url(arn))

    def token(self, **claims: Any) -> str:
        claims.setdefault("client_id", JWT_CLIENT)
        return str(self.emulator.mint_token(**claims))


@pytest.fixture(scope="session")
def emulated() -> Iterator[Emulated]:
    """The emulator on loopback with a SigV4, an OAuth, an open, a stateful and a crashing runtime."""
    from agentcore_mcp.emulator import Emulator
    from examples.demo_server import app as demo_app

    from .fakes import Front

    front = Front(demo_app)
    # The transports send user ids (user_id="ada"): the caller holds InvokeAgentRuntimeForUser.
    emulator = Emulator(
        credentials={"testing": "testing"}, control_plane=False, region=REGION, invoke_for_user=True
    )
    sigv4 = emulator.add_runtime(front, name="demo_sigv4", auth="sigv4")
    jwt = emulator.add_runtime(front, name="demo_oauth", auth="jwt", allowed_clients=[JWT_CLIENT])
    opened = emulator.add_runtime(front, name="demo_open")
    stateful = emulator.add_runtime(str(APPS / "stateful_server.py"), name="stateful", auth="sigv4")
    crashing = emulator.add_runtime(str(APPS / "crashing_server.py"), name="crashing", auth="sigv4")
    with emulator.serve() as endpoint_url:
        yield Emulated(
            emulator, endpoint_url, front, sigv4.arn, jwt.arn, opened.arn, stateful.arn, crashing.arn
        )


# -- the HTTPS backend's two transports ---------------------------------------------------------------------


@pytest.fixture(params=["httpx", "aiohttp"])
def http_transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs the test once per transport of the HTTPS backend (chosen through the documented variable)."""
    if request.param == "aiohttp" and importlib.util.find_spec("httpx_aiohttp") is None:
        pytest.skip("httpx-aiohttp (the fast extra) is not installed")
    monkeypatch.setenv("AGENTCORE_MCP_HTTP_TRANSPORT", request.param)
    return str(request.param)
