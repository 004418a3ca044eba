"""AgentCore's synchronous-request (15 min) and streaming (60 min) limits, scaled down: failing as inferred.

An answer not started within the synchronous limit is refused 424 RuntimeClientError; an event stream still
open at the streaming limit is cut, so the caller never gets the final message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from agentcore_mcp.emulator import Emulator
from agentcore_mcp.emulator._limits import RequestLimits
from tests.emulator import apps
from tests.emulator.conftest import agentcore, invoke, legacy


@pytest.fixture
def served() -> Iterator[tuple[Emulator, Any, str]]:
    emulator = Emulator(
        control_plane=False, credentials={"testing": "testing"}, limits=RequestLimits(sync=0.5, stream=1.5)
    )
    runtime = emulator.add_runtime(apps.app, name="limited", auth="sigv4")
    with emulator.serve() as url:
        yield emulator, runtime, url


def test_a_call_past_the_synchronous_limit_is_a_424(served: tuple[Emulator, Any, str]) -> None:
    _, runtime, url = served
    client = agentcore(url)
    began = time.monotonic()
    with pytest.raises(client.exceptions.RuntimeClientError, match="synchronous request limit"):
        invoke(client, runtime.arn, legacy("tools/call", {"name": "nap", "arguments": {"seconds": 5}}))
    assert time.monotonic() - began < 3
    _, quick = invoke(
        client, runtime.arn, legacy("tools/call", {"name": "nap", "arguments": {"seconds": 0.1}})
    )
    assert quick["result"]["content"][0]["text"] == "slept 0.1s"


def test_a_stream_past_the_streaming_limit_is_cut_before_its_final_message(
    served: tuple[Emulator, Any, str],
) -> None:
    _, runtime, url = served
    client = agentcore(url)
    arguments = {"name": "tick", "arguments": {"seconds": 10}, "_meta": {"progressToken": "p"}}
    body = legacy("tools/call", arguments)
    params = {
        "agentRuntimeArn": runtime.arn,
        "payload": json.dumps(body).encode(),
        "contentType": "application/json",
        "accept": "application/json, text/event-stream",
    }
    began = time.monotonic()
    answer = client.invoke_agent_runtime(**params)
    assert answer["contentType"].startswith("text/event-stream")
    raw = answer["response"].read().decode()  # past the synchronous limit: streams get the longer one
    elapsed = time.monotonic() - began
    assert 1.4 < elapsed < 5
    messages = [json.loads(line[5:]) for line in raw.splitlines() if line.startswith("data:")]
    assert messages
    assert {m.get("method") for m in messages} == {"notifications/progress"}
    assert not any("result" in m for m in messages)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sync": 0}, "RequestLimits.sync must be a positive number of seconds"),
        ({"stream": -5}, "RequestLimits.stream must be a positive number of seconds"),
        ({"stream": float("nan")}, "RequestLimits.stream must be a positive number of seconds"),
    ],
)
def test_bad_limits_are_refused_with_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RequestLimits(**options)
