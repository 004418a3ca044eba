"""SigV4 and bearer-token httpx.Auth: signatures a SigV4 verifier accepts, refreshed credentials, token refresh."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import httpx
import pytest
from botocore.credentials import Credentials, RefreshableCredentials

from agentcore_mcp.client import AgentCoreTransport
from agentcore_mcp.client._auth import BearerAuth, SigV4Auth
from agentcore_mcp.emulator._sigv4 import Credentials as Keys
from agentcore_mcp.emulator._sigv4 import SignatureRejected, SigV4Verifier

from .conftest import Emulated

pytestmark = pytest.mark.mcp1

URL = (
    "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/"
    "arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fdemo-AbCdE12345/invocations"
    "?qualifier=DEFAULT"
)
VERIFIER = SigV4Verifier({"AKIDONE": Keys("AKIDONE", "secret-one"), "AKIDTWO": Keys("AKIDTWO", "secret-two")})


def verifying_server(seen: list[str]) -> httpx.MockTransport:
    """A fake AgentCore front door: 200 when the SigV4 signature checks out, 403 otherwise."""

    def handle(request: httpx.Request) -> httpx.Response:
        try:
            key = VERIFIER.verify(
                method=request.method,
                host=request.url.netloc.decode(),
                raw_path=request.url.raw_path.split(b"?", 1)[0],
                query=request.url.query,
                headers=list(request.headers.raw),
                body=request.content,
                region="us-east-1",
            )
        except SignatureRejected as exc:
            return httpx.Response(403, json={"message": exc.message})
        seen.append(key)
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(handle)


async def test_signed_requests_pass_a_sigv4_check_with_mcp_headers_and_body() -> None:
    seen: list[str] = []
    auth = SigV4Auth("us-east-1", credentials=Credentials("AKIDONE", "secret-one"))
    async with httpx.AsyncClient(transport=verifying_server(seen), auth=auth) as client:
        response = await client.post(
            URL,
            content=b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
            headers={"Mcp-Method": "tools/list", "Mcp-Protocol-Version": "2026-07-28", "traceparent": "00-x"},
        )
    assert response.status_code == 200, response.text
    assert seen == ["AKIDONE"]
    signed = response.request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert "mcp-method" in signed.split(";")
    assert "traceparent" not in signed  # trace context may be rewritten in flight


def test_a_changed_body_or_wrong_key_fails_the_check() -> None:
    seen: list[str] = []
    auth = SigV4Auth("us-east-1", credentials=Credentials("AKIDONE", "not-the-secret"))
    with httpx.Client(transport=verifying_server(seen), auth=auth) as client:
        assert client.post(URL, content=b"{}").status_code == 403

    request = httpx.Request("POST", URL, content=b'{"a":1}')
    SigV4Auth("us-east-1", credentials=Credentials("AKIDONE", "secret-one")).sign(
        request, Credentials("AKIDONE", "secret-one").get_frozen_credentials()
    )
    tampered = httpx.Request("POST", URL, content=b'{"a":2}', headers=request.headers)
    with httpx.Client(transport=verifying_server(seen)) as client:
        assert client.send(tampered).status_code == 403


def test_session_tokens_are_sent_and_signed() -> None:
    request = httpx.Request("POST", URL, content=b"{}")
    auth = SigV4Auth("us-east-1", credentials=Credentials("AKIDONE", "secret-one", "session-token"))
    flow = auth.sync_auth_flow(request)
    signed = next(flow)
    assert signed.headers["x-amz-security-token"] == "session-token"
    assert "x-amz-security-token" in signed.headers["authorization"]


def refreshable(
    expiring_in: timedelta, keys: list[tuple[str, str]], threads: list[str]
) -> RefreshableCredentials:
    """Credentials that expire soon and refresh from ``keys`` (recording the refreshing thread)."""

    def refresh() -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        access, secret = keys.pop(0)
        return {
            "access_key": access,
            "secret_key": secret,
            "token": None,
            "expiry_time": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(),
        }

    return RefreshableCredentials(
        "AKIDONE",
        "secret-one",
        None,
        datetime.now(timezone.utc) + expiring_in,
        refresh,
        "test",
    )


async def test_expiring_credentials_are_refreshed_off_the_event_loop() -> None:
    seen: list[str] = []
    threads: list[str] = []
    credentials = refreshable(timedelta(seconds=30), [("AKIDTWO", "secret-two")], threads)
    auth = SigV4Auth("us-east-1", credentials=credentials)
    loop_thread = threading.current_thread().name
    async with httpx.AsyncClient(transport=verifying_server(seen), auth=auth) as client:
        assert (await client.post(URL, content=b"{}")).status_code == 200
        assert (await client.post(URL, content=b"{}")).status_code == 200
    assert seen == ["AKIDTWO", "AKIDTWO"]  # refreshed once, before the first request
    assert len(threads) == 1
    assert threads[0] != loop_thread


def test_credentials_come_from_a_boto3_session() -> None:
    import boto3

    seen: list[str] = []
    session = boto3.Session(aws_access_key_id="AKIDTWO", aws_secret_access_key="secret-two")
    with httpx.Client(
        transport=verifying_server(seen), auth=SigV4Auth("us-east-1", session=session)
    ) as client:
        assert client.post(URL, content=b"{}").status_code == 200
    assert seen == ["AKIDTWO"]


def test_no_credentials_is_a_clear_error() -> None:
    class Empty:
        def get_credentials(self) -> None:
            return None

    from botocore.exceptions import NoCredentialsError

    with pytest.raises(NoCredentialsError):
        next(SigV4Auth("us-east-1", session=Empty()).sync_auth_flow(httpx.Request("POST", URL)))
    with pytest.raises(ValueError, match="region"):
        SigV4Auth("")


# -- bearer tokens ----------------------------------------------------------------------------------------


def bearer_server(valid: set[str], seen: list[str]) -> httpx.MockTransport:
    """A fake OAuth-protected runtime: 401 with a challenge unless the token is currently valid."""

    def handle(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        seen.append(token)
        if token in valid:
            return httpx.Response(200, json={"ok": True})
        return httpx.Response(401, headers={"www-authenticate": 'Bearer error="invalid_token"'})

    return httpx.MockTransport(handle)


async def test_a_fixed_token_is_sent_as_is_and_a_scheme_prefix_is_not_doubled() -> None:
    seen: list[str] = []
    async with httpx.AsyncClient(
        transport=bearer_server({"t1"}, seen), auth=BearerAuth("Bearer t1")
    ) as client:
        assert (await client.post(URL)).status_code == 200
    assert seen == ["t1"]
    async with httpx.AsyncClient(transport=bearer_server(set(), seen), auth=BearerAuth("t1")) as client:
        assert (await client.post(URL)).status_code == 401  # a fixed token is never re-fetched
    assert seen == ["t1", "t1"]


def counting(tokens: list[str]) -> tuple[Callable[[], str], list[int]]:
    calls = [0]

    def provider() -> str:
        calls[0] += 1
        return tokens[min(calls[0], len(tokens)) - 1]

    return provider, calls


async def test_an_async_provider_is_called_once_then_again_after_a_401() -> None:
    seen: list[str] = []
    valid = {"first"}
    tokens = ["first", "second"]
    calls = [0]

    async def provider() -> str:
        await anyio.lowlevel.checkpoint()
        calls[0] += 1
        return tokens[calls[0] - 1]

    auth = BearerAuth(provider)
    async with httpx.AsyncClient(transport=bearer_server(valid, seen), auth=auth) as client:
        assert (await client.post(URL)).status_code == 200
        assert (await client.post(URL)).status_code == 200
        valid.clear()
        valid.add("second")  # "first" expired
        assert (await client.post(URL)).status_code == 200
        assert (await client.post(URL)).status_code == 200
    assert seen == ["first", "first", "first", "second", "second"]
    assert calls[0] == 2
    assert auth.refreshes == 2


def test_a_sync_provider_works_with_a_sync_client_and_gives_up_when_the_token_does_not_change() -> None:
    seen: list[str] = []
    provider, calls = counting(["same"])
    with httpx.Client(transport=bearer_server(set(), seen), auth=BearerAuth(provider)) as client:
        assert client.post(URL).status_code == 401
    assert seen == ["same"]  # the refreshed token is the same: no pointless retry
    assert calls[0] == 2


async def test_concurrent_401s_share_one_refresh() -> None:
    seen: list[str] = []
    valid = {"old"}
    provider, calls = counting(["old", "new", "newer"])
    auth = BearerAuth(provider)
    async with httpx.AsyncClient(transport=bearer_server(valid, seen), auth=auth) as client:
        assert (await client.post(URL)).status_code == 200
        valid.clear()
        valid.add("new")
        statuses: list[int] = []

        async def call() -> None:
            statuses.append((await client.post(URL)).status_code)

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(call)
    assert statuses == [200] * 5
    assert calls[0] == 2


def test_an_async_provider_needs_an_async_client() -> None:
    async def provider() -> str:
        return "x"

    with (
        httpx.Client(transport=bearer_server({"x"}, []), auth=BearerAuth(provider)) as client,
        pytest.raises(TypeError, match="async HTTP client"),
    ):
        client.post(URL)


@pytest.mark.parametrize("bad", ["", "   ", 42])
def test_unusable_tokens_are_refused(bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        BearerAuth(bad)


async def test_a_provider_returning_nothing_is_a_clear_error() -> None:
    auth = BearerAuth(lambda: "")
    async with httpx.AsyncClient(transport=bearer_server(set(), []), auth=auth) as client:
        with pytest.raises(TypeError, match="non-empty str"):
            await client.post(URL)


# -- no bearer token over plain HTTP to another host -------------------------------------------------------

INSECURE = "http://example.invalid/mcp"  # .invalid never resolves: a refusal must come before connecting
ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/demo-AbCdE12345"


async def test_a_bearer_token_is_refused_over_plain_http_to_a_host_that_is_not_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AGENTCORE_MCP_ALLOW_INSECURE_BEARER", raising=False)
    seen: list[str] = []
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return "secret-token"

    with pytest.raises(ValueError, match="plain HTTP") as refused:
        AgentCoreTransport(INSECURE, bearer_token="secret-token")
    assert INSECURE in str(refused.value)
    assert "AGENTCORE_MCP_ALLOW_INSECURE_BEARER" in str(refused.value)
    assert "allow_insecure_http" in str(refused.value)
    with pytest.raises(ValueError, match="plain HTTP"):  # an ARN sent to a plain-HTTP endpoint too
        AgentCoreTransport(ARN, endpoint_url="http://example.invalid", bearer_token="secret-token")
    # The auth on any httpx client: refused before the provider runs or a byte is sent.
    auth = BearerAuth(provider)
    async with httpx.AsyncClient(transport=bearer_server({"secret-token"}, seen), auth=auth) as client:
        with pytest.raises(ValueError, match="plain HTTP"):
            await client.post(INSECURE)
    assert (seen, calls) == ([], [])


def test_a_sync_client_refuses_a_bearer_token_over_plain_http_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTCORE_MCP_ALLOW_INSECURE_BEARER", raising=False)
    seen: list[str] = []
    with (
        httpx.Client(transport=bearer_server({"t1"}, seen), auth=BearerAuth("t1")) as client,
        pytest.raises(ValueError, match="plain HTTP"),
    ):
        client.post(INSECURE)
    assert seen == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/mcp", "http://127.4.5.6:9/mcp", "http://localhost:9/mcp", "http://[::1]:9/mcp"],
)
async def test_plain_http_to_loopback_carries_a_bearer_token(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGENTCORE_MCP_ALLOW_INSECURE_BEARER", raising=False)
    AgentCoreTransport(url, bearer_token="t1")
    seen: list[str] = []
    async with httpx.AsyncClient(transport=bearer_server({"t1"}, seen), auth=BearerAuth("t1")) as client:
        assert (await client.post(url)).status_code == 200
    assert seen == ["t1"]


async def test_the_opt_out_lets_a_bearer_token_over_plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTCORE_MCP_ALLOW_INSECURE_BEARER", raising=False)
    seen: list[str] = []
    AgentCoreTransport(INSECURE, bearer_token="t1", allow_insecure_http=True)
    auth = BearerAuth("t1", allow_insecure_http=True)
    async with httpx.AsyncClient(transport=bearer_server({"t1"}, seen), auth=auth) as client:
        assert (await client.post(INSECURE)).status_code == 200
    monkeypatch.setenv("AGENTCORE_MCP_ALLOW_INSECURE_BEARER", "1")
    AgentCoreTransport(INSECURE, bearer_token="t1")
    async with httpx.AsyncClient(transport=bearer_server({"t1"}, seen), auth=BearerAuth("t1")) as client:
        assert (await client.post(INSECURE)).status_code == 200
    with pytest.raises(ValueError, match="plain HTTP"):  # an explicit False wins over the variable
        AgentCoreTransport(INSECURE, bearer_token="t1", allow_insecure_http=False)
    assert seen == ["t1", "t1"]


# -- renewing JWTs before they expire ---------------------------------------------------------------------


class Clock:
    """A fake Unix clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def jwt_minter(clock: Clock, lifetime: float) -> tuple[Callable[[], Any], list[str]]:
    """An async provider of HS256 JWTs that expire ``lifetime`` seconds after the fake clock's now."""
    import jwt

    minted: list[str] = []

    async def provider() -> str:
        await anyio.sleep(0.01)  # a token endpoint takes a while: concurrent requests pile up meanwhile
        token = jwt.encode({"exp": int(clock.now + lifetime), "n": len(minted)}, "k" * 32, algorithm="HS256")
        minted.append(token)
        return token

    return provider, minted


def expiry_checking_server(
    clock: Clock, seen: list[float], valid: Callable[[str], bool]
) -> httpx.MockTransport:
    """A fake OAuth runtime that records how long each token it gets has left, and 401s invalid ones."""
    import jwt

    def handle(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, options={"verify_signature": False})
        seen.append(claims["exp"] - clock.now)
        if claims["exp"] <= clock.now or not valid(token):
            return httpx.Response(401, headers={"www-authenticate": 'Bearer error="invalid_token"'})
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(handle)


async def burst(client: httpx.AsyncClient, count: int = 8) -> list[int]:
    statuses: list[int] = []

    async def call() -> None:
        statuses.append((await client.post(URL)).status_code)

    async with anyio.create_task_group() as tg:
        for _ in range(count):
            tg.start_soon(call)
    return statuses


async def test_a_90_second_jwt_is_renewed_before_it_is_within_60_seconds_of_expiry_once_per_renewal() -> None:
    clock = Clock()
    provider, minted = jwt_minter(clock, 90)
    left: list[float] = []
    auth = BearerAuth(provider, clock=clock)
    transport = expiry_checking_server(clock, left, lambda token: True)
    async with httpx.AsyncClient(transport=transport, auth=auth) as client:
        assert await burst(client) == [200] * 8
        assert len(minted) == 1  # eight concurrent first requests, one call of the provider
        clock.now += 29  # 61 s left: still good
        assert await burst(client) == [200] * 8
        assert len(minted) == 1
        clock.now += 2  # 59 s left: renewed before any request goes out with it
        assert await burst(client) == [200] * 8
        assert len(minted) == 2
        clock.now += 30  # the second token has 60 s left: due again
        assert await burst(client) == [200] * 8
        assert len(minted) == 3
    assert len(left) == 32
    assert min(left) > 60, "a token went out within 60 s of its expiry"
    assert auth.refreshes == 3


async def test_a_401_still_renews_once_even_when_the_jwt_has_time_left() -> None:
    clock = Clock()
    provider, minted = jwt_minter(clock, 3600)
    revoked: set[str] = set()
    left: list[float] = []
    transport = expiry_checking_server(clock, left, lambda token: token not in revoked)
    async with httpx.AsyncClient(transport=transport, auth=BearerAuth(provider, clock=clock)) as client:
        assert (await client.post(URL)).status_code == 200
        revoked.add(minted[0])
        assert await burst(client) == [200] * 8  # each 401 resent once, with the one new token
    assert len(minted) == 2
    assert len(left) == 1 + 8 + 8


async def test_a_short_lived_jwt_is_renewed_at_half_its_life_not_on_every_request() -> None:
    clock = Clock()
    provider, minted = jwt_minter(clock, 30)
    left: list[float] = []
    auth = BearerAuth(provider, clock=clock)
    async with httpx.AsyncClient(
        transport=expiry_checking_server(clock, left, lambda token: True), auth=auth
    ) as client:
        for _ in range(3):
            assert await burst(client, 4) == [200] * 4
        assert len(minted) == 1
        clock.now += 16
        assert await burst(client, 4) == [200] * 4
    assert len(minted) == 2


async def test_an_opaque_token_is_reused_until_a_401() -> None:
    clock = Clock()
    seen: list[str] = []
    valid = {"opaque-1"}
    provider, calls = counting(["opaque-1", "opaque-2"])
    async with httpx.AsyncClient(
        transport=bearer_server(valid, seen), auth=BearerAuth(provider, clock=clock)
    ) as client:
        assert (await client.post(URL)).status_code == 200
        clock.now += 86_400  # no exp to read: time alone never renews it
        assert (await client.post(URL)).status_code == 200
        assert calls[0] == 1
        valid.clear()
        valid.add("opaque-2")
        assert (await client.post(URL)).status_code == 200
    assert calls[0] == 2
    assert seen == ["opaque-1", "opaque-1", "opaque-1", "opaque-2"]


def test_a_jwt_expiry_is_read_without_a_signature_check_and_other_tokens_have_none() -> None:
    import jwt

    from agentcore_mcp.client._auth import jwt_expiry

    assert jwt_expiry(jwt.encode({"exp": 1_900_000_090}, "a-key-nobody-here-knows-000000000", "HS256")) == (
        1_900_000_090.0
    )
    assert jwt_expiry(jwt.encode({"sub": "no-exp"}, "k" * 32, "HS256")) is None
    assert jwt_expiry("opaque-token") is None
    assert jwt_expiry("not.a.jwt") is None


async def test_renewed_tokens_are_accepted_by_the_emulator(emulated: Emulated) -> None:
    from mcp import ClientSession

    from agentcore_mcp.client import AgentCoreTransport

    clock = Clock()
    clock.now = time.time()
    minted: list[str] = []

    def provider() -> str:
        minted.append(emulated.token(expires_in=90))
        return minted[-1]

    auth = BearerAuth(provider, clock=clock)
    transport = AgentCoreTransport(emulated.url(emulated.jwt), auth=auth)
    with anyio.fail_after(30):
        async with transport as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("add_numbers", {"a": 1, "b": 2})
            clock.now += 31
            result = await session.call_tool("add_numbers", {"a": 2, "b": 2})
    assert len(minted) == 2
    assert result.content[0].text == "4"
