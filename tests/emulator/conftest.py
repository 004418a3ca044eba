"""Fixtures for emulator tests: the emulator on real uvicorn on loopback, real boto3, a clock tests drive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from agentcore_mcp.emulator import Emulator
from agentcore_mcp.server._local import serve_in_thread
from tests.emulator import apps

HERE = Path(__file__).resolve().parent


def _sdk_major() -> int:
    from importlib.metadata import version

    return int(version("mcp").split(".")[0])


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """``test_*_mcp1.py`` run in the mcp 1.x environment (make test-mcp1); there, only they run."""
    name = collection_path.name
    if not (name.startswith("test_") and name.endswith(".py")):
        return None
    return name.endswith("_mcp1.py") != (_sdk_major() == 1) or None


APP_SPEC = f"{HERE / 'apps.py'}:app"
ACCEPT = "application/json, text/event-stream"
REGION = "us-east-1"


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def tests_app_url() -> Iterator[str]:
    """tests/emulator/apps.py served by uvicorn on loopback: its MCP URL."""
    with serve_in_thread(apps.app) as base:
        yield f"{base}/mcp"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Emulator:
    """A fresh emulator (no control plane) driven by ``clock``; serve it with ``emulator.serve()``."""
    return Emulator(control_plane=False, clock=clock, credentials={"testing": "testing"})


def agentcore(endpoint_url: str, *, key: str = "testing", secret: str = "testing", **config: Any) -> Any:
    """A real boto3 bedrock-agentcore client pointed at the emulator (no retries unless asked)."""
    return boto3.client(
        "bedrock-agentcore",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(**{"retries": {"total_max_attempts": 1, "mode": "standard"}, **config}),
    )


def legacy(method: str, params: dict[str, Any] | None = None, id: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        body["params"] = params
    return body


def initialize_body(id: int = 1) -> dict[str, Any]:
    return legacy(
        "initialize",
        {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "tests", "version": "0"},
        },
        id,
    )


def invoke(client: Any, arn: str, body: dict[str, Any], **members: Any) -> tuple[dict[str, Any], Any]:
    """``invoke_agent_runtime`` with the MCP headers; (response members, parsed JSON-RPC answer)."""
    params: dict[str, Any] = {
        "agentRuntimeArn": arn,
        "payload": json.dumps(body).encode(),
        "contentType": "application/json",
        "accept": ACCEPT,
        "mcpMethod": body["method"],
    }
    if body["method"] == "tools/call":
        params["mcpName"] = body["params"]["name"]
    params.update(members)
    answer = client.invoke_agent_runtime(**params)
    return answer, read_answer(answer)


def read_answer(answer: dict[str, Any]) -> Any:
    """The final JSON-RPC message of a JSON or SSE response."""
    raw = answer["response"].read().decode()
    if answer["contentType"].startswith("text/event-stream"):
        events = [line[5:].strip() for line in raw.splitlines() if line.startswith("data:")]
        return json.loads(events[-1])
    return json.loads(raw)
