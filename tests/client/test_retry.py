"""The resend budgets of RetryPolicy, through the emulator over boto3 and over HTTPS.

A request that keeps failing (5xx, a refused connection) is tried exactly ``1 + attempts`` times with the
default policy, whatever throttled answers came in between; throttled answers (-32003, 429) spend
``throttle_attempts`` instead, so they never use up the resends meant for failures.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.shared import exceptions

from agentcore_mcp.client import AgentCoreTransport, RetryPolicy

from .conftest import Emulated

pytestmark = pytest.mark.mcp1

MCPError: type[Exception] = getattr(exceptions, "MCPError", None) or exceptions.McpError  # 2.x / 1.x
QUICK = {"base_delay": 0.01, "max_delay": 0.02}  # the default budgets, short waits


def transport(emulated: Emulated, backend: str, **options: Any) -> AgentCoreTransport:
    if backend == "boto3":  # a client the transport makes: botocore's own retries off
        return AgentCoreTransport(
            emulated.open,
            backend="boto3",
            endpoint_url=emulated.endpoint_url,
            boto3_session=emulated.boto3_session(),
            **options,
        )
    return AgentCoreTransport(emulated.url(emulated.open), **options)


@asynccontextmanager
async def listing(emulated: Emulated, backend: str, **options: Any) -> AsyncIterator[ClientSession]:
    """A session past its handshake; the faults queued meanwhile apply to its next requests."""
    emulated.emulator.faults.clear()
    try:
        async with (
            transport(emulated, backend, **options) as (read, write),
            ClientSession(read, write) as session,
        ):
            seen = len(emulated.front.posts("notifications/initialized"))
            await session.initialize()
            # the SDK sends notifications/initialized without waiting: let it pass before faults are queued
            while len(emulated.front.posts("notifications/initialized")) == seen:  # noqa: ASYNC110
                await anyio.sleep(0.01)  # the Front records from the emulator's thread: no event to wait on
            yield session
    finally:
        emulated.emulator.faults.clear()


def consumed(emulated: Emulated, queued: int) -> int:
    return queued - emulated.emulator.faults.pending()


@pytest.mark.parametrize("backend", ["boto3", "https"])
async def test_a_5xx_is_tried_one_plus_attempts_times_with_the_default_policy(
    emulated: Emulated, backend: str
) -> None:
    faults = emulated.emulator.faults
    with anyio.fail_after(30):
        async with listing(emulated, backend) as session:
            faults.api_error("InternalServerException", 500, "it broke", times=10, arn=emulated.open)
            with pytest.raises(MCPError) as caught:
                await session.list_tools()
            assert consumed(emulated, 10) == 1 + RetryPolicy().attempts == 5
    assert "it broke" in str(caught.value)


@pytest.mark.parametrize("backend", ["boto3", "https"])
async def test_a_refused_connection_is_tried_one_plus_attempts_times_with_the_default_policy(
    emulated: Emulated, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    from agentcore_mcp.server._local import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    caplog.set_level(logging.INFO, "agentcore_mcp.client")
    if backend == "boto3":
        target = AgentCoreTransport(
            emulated.open, backend="boto3", endpoint_url=closed, boto3_session=emulated.boto3_session()
        )
    else:
        target = AgentCoreTransport(f"{closed}/mcp")
    with anyio.fail_after(30):
        async with target as (read, write), ClientSession(read, write) as session:
            with pytest.raises(MCPError) as caught:
                await session.initialize()
    resent = [r for r in caplog.records if getattr(r, "mcp_request_id", None) is not None]
    assert len(resent) == RetryPolicy().attempts == 4  # five tries, then the error
    assert not any(r.throttled for r in resent)  # type: ignore[attr-defined]
    assert caught.value.error.code == -32000  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["boto3", "https"])
async def test_throttled_answers_in_between_do_not_stretch_the_failure_bound(
    emulated: Emulated, backend: str
) -> None:
    faults = emulated.emulator.faults
    with anyio.fail_after(30):
        async with listing(emulated, backend, retries=RetryPolicy(**QUICK)) as session:
            for _ in range(10):  # throttled, failed, throttled, failed, ...
                faults.throttle(arn=emulated.open)
                faults.api_error("InternalServerException", 500, "it broke", arn=emulated.open)
            with pytest.raises(MCPError) as caught:
                await session.list_tools()
            # five failures (1 + attempts), each after a throttled answer; the old shared budget: five in all
            assert consumed(emulated, 20) == 2 * (1 + RetryPolicy().attempts)
    assert "it broke" in str(caught.value)


@pytest.mark.parametrize("backend", ["boto3", "https"])
async def test_throttled_answers_do_not_spend_the_failure_budget(emulated: Emulated, backend: str) -> None:
    faults = emulated.emulator.faults
    with anyio.fail_after(30):
        async with listing(emulated, backend, retries=RetryPolicy(attempts=1, **QUICK)) as session:
            faults.throttle(6, arn=emulated.open)  # more than 1 + attempts
            tools = await session.list_tools()
            assert tools.tools
            assert faults.pending() == 0


@pytest.mark.parametrize("backend", ["boto3", "https"])
async def test_throttled_answers_give_up_after_throttle_attempts_with_the_platforms_error(
    emulated: Emulated, backend: str
) -> None:
    faults = emulated.emulator.faults
    policy = RetryPolicy(attempts=1, throttle_attempts=5, **QUICK)
    with anyio.fail_after(30):
        async with listing(emulated, backend, retries=policy) as session:
            faults.throttle(30, arn=emulated.open)
            with pytest.raises(MCPError) as caught:
                await session.list_tools()
            assert consumed(emulated, 30) == 1 + policy.throttle_attempts
    assert caught.value.error.code == -32003  # type: ignore[attr-defined]


async def test_a_throttled_call_never_waits_past_its_timeout(emulated: Emulated) -> None:
    faults = emulated.emulator.faults
    with anyio.fail_after(30):
        async with listing(emulated, "https", timeout=1.0) as session:  # the default budgets and waits
            faults.throttle(100, arn=emulated.open)
            start = anyio.current_time()
            with pytest.raises(MCPError) as caught:
                await session.list_tools()
            assert anyio.current_time() - start < 1.5
    assert caught.value.error.code in (-32001, -32003)  # type: ignore[attr-defined]


async def test_retries_zero_turns_off_throttled_resends_too(emulated: Emulated) -> None:
    faults = emulated.emulator.faults
    with anyio.fail_after(30):
        async with listing(emulated, "https", retries=0) as session:
            faults.throttle(3, arn=emulated.open)
            with pytest.raises(MCPError):
                await session.list_tools()
            assert consumed(emulated, 3) == 1


def test_negative_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(throttle_attempts=-1)
