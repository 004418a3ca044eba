"""Pacing after throttling: a burst larger than the runtime's rate limit completes at the limit's pace.

The emulator throttles a runtime over ``rate_limit`` invocations per second as AgentCore does (HTTP 200,
JSON-RPC -32003). 200 concurrent calls on one session at 25/s must all succeed with the transport's default
settings, over boto3, over the default ARN path (HTTPS, SigV4) and over HTTPS with a bearer token; the wall
time, the throttled sends and the resends per call (from the transport's resend log) are printed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.shared import exceptions

from agentcore_mcp.client import AgentCoreTransport, RetryPolicy
from examples.demo_server import app as demo_app

pytestmark = pytest.mark.mcp1

MCPError: type[Exception] = getattr(exceptions, "MCPError", None) or exceptions.McpError  # 2.x / 1.x
RATE = 25.0
BURST = 5  # a small bucket: the burst is throttled even when this machine is slow to send it
CALLS = 200
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class Limited:
    emulator: Any
    url: str
    sigv4: str
    jwt: str


@pytest.fixture(scope="module")
def limited() -> Iterator[Limited]:
    from agentcore_mcp.emulator import Emulator

    emulator = Emulator(credentials={"testing": "testing"}, control_plane=False, workload_token=False)
    limits: dict[str, Any] = {"rate_limit": RATE, "burst": BURST}
    sigv4 = emulator.add_runtime(demo_app, name="paced_iam", auth="sigv4", **limits)
    jwt = emulator.add_runtime(demo_app, name="paced_oauth", auth="jwt", allowed_clients=["p"], **limits)
    with emulator.serve() as url:
        yield Limited(emulator, url, sigv4.arn, jwt.arn)


class Resends(logging.Handler):
    """Counts the transport's resends of throttled answers per request id (a retry for another reason, such
    as a connection dropped on a loaded machine, is not one)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.per_call: Counter[Any] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        request_id = getattr(record, "mcp_request_id", None)
        if request_id is not None and getattr(record, "throttled", False):
            self.per_call[request_id] += 1


def transport(limited: Limited, path: str, **options: Any) -> AgentCoreTransport:
    if path == "boto3":
        import boto3

        client = boto3.client("bedrock-agentcore", endpoint_url=limited.url, region_name="us-east-1", **KEYS)
        return AgentCoreTransport(limited.sigv4, client=client, **options)
    if path == "arn":
        import boto3

        session = boto3.Session(region_name="us-east-1", **KEYS)
        return AgentCoreTransport(limited.sigv4, endpoint_url=limited.url, boto3_session=session, **options)
    token = limited.emulator.mint_token(client_id="p")
    return AgentCoreTransport(limited.emulator.invocations_url(limited.jwt), bearer_token=token, **options)


@pytest.mark.parametrize("path", ["boto3", "arn", "bearer"])
async def test_a_burst_over_the_rate_limit_completes_at_the_limits_pace(limited: Limited, path: str) -> None:
    await anyio.sleep(2)  # the runtime's bucket refills from earlier tests
    paced = transport(limited, path)  # the default settings: throttled resends have their own budget
    resends = Resends()
    log = logging.getLogger("agentcore_mcp.client")
    level = log.level
    log.addHandler(resends)
    log.setLevel(logging.INFO)
    results: list[str] = []
    try:
        with anyio.fail_after(120):
            async with paced as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                start = anyio.current_time()

                async def call(i: int) -> None:
                    result = await session.call_tool("add_numbers", {"a": i, "b": 1})
                    results.append(result.content[0].text)

                async with anyio.create_task_group() as tg:
                    for i in range(CALLS):
                        tg.start_soon(call, i)
                elapsed = anyio.current_time() - start
    finally:
        log.removeHandler(resends)
        log.setLevel(level)
    assert sorted(results, key=int) == [str(i + 1) for i in range(CALLS)]
    pacer = paced.pacer
    assert pacer is not None  # the limit was reached: the transport paces
    assert pacer.throttled > 0
    counts = [resends.per_call[i] for i in resends.per_call]
    most = max(counts, default=0)
    print(
        f"\n{path}: {CALLS} calls at {RATE:g}/s in {elapsed:.1f} s, {pacer.throttled} throttled sends, "
        f"resends per call: max {most}, mean {sum(counts) / CALLS:.2f}"
    )
    assert sum(counts) == pacer.throttled  # every throttled answer was resent (all calls succeeded)
    assert most <= paced.retry.throttle_attempts
    assert elapsed >= (CALLS - BURST - RATE) / RATE  # no faster than the limit allows
    # Paced, not resent blindly: on a quiet machine a call is throttled 2.2-2.9 times (the burst's first
    # waves, sent before a rate under throttling is measured), on a loaded one fewer: the sends are spread.
    assert pacer.throttled < 4 * CALLS


async def test_a_call_whose_deadline_comes_before_its_send_slot_fails_with_the_throttle(
    limited: Limited,
) -> None:
    await anyio.sleep(2)
    paced = transport(limited, "bearer", timeout=1.0, retries=RetryPolicy(attempts=8, base_delay=0.01))
    outcomes: list[Any] = []
    with anyio.fail_after(60):
        async with paced as (read, write), ClientSession(read, write) as session:
            await session.initialize()

            async def call(i: int) -> None:
                try:
                    outcomes.append(await session.call_tool("add_numbers", {"a": i, "b": 1}))
                except MCPError as exc:
                    outcomes.append(exc)

            async with anyio.create_task_group() as tg:
                for i in range(150):  # six seconds of calls at the limit; each may take one
                    tg.start_soon(call, i)
    failed = [o for o in outcomes if isinstance(o, MCPError)]
    assert len(outcomes) == 150
    assert failed, "every call fit within its 1 s deadline at 25/s"
    for exc in failed:
        assert exc.error.code in (-32003, -32001)  # type: ignore[attr-defined]
        assert "JSON-RPC" in str(exc)


async def test_the_pacer_refuses_a_slot_after_the_deadline_and_cuts_once_per_round() -> None:
    from agentcore_mcp.client._pacing import AdaptivePacer, PacingTimeout

    pacer = AdaptivePacer()
    start = pacer.now()
    for _ in range(20):  # answers at about 40/s
        pacer.record(throttled=False, sent_at=pacer.now())
        await anyio.sleep(0.025)
    assert not pacer.enabled
    pacer.record(throttled=True, sent_at=pacer.now())  # before any rate was measured under throttling
    assert not pacer.enabled
    await anyio.sleep(0.55)
    pacer.record(throttled=True, sent_at=pacer.now())
    assert pacer.enabled
    first_cut = pacer.rate
    pacer.record(throttled=True, sent_at=start)  # sent before that cut: counted, no second cut
    assert pacer.rate >= first_cut
    assert pacer.throttled == 3
    await pacer.acquire(anyio.current_time() + 5)  # a token is there, or soon

    async def drain() -> None:  # take every token: then a slot must come after a deadline 1 ms away
        for _ in range(100):
            await pacer.acquire(anyio.current_time() + 0.001)

    with pytest.raises(PacingTimeout, match="after the deadline"):
        await drain()
