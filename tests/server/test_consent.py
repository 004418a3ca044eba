"""AgentCore Identity consent by URL elicitation, the whole three-legged path on one machine.

A tool decorated with bedrock-agentcore's ``requires_access_token(auth_flow="USER_FEDERATION",
on_auth_url=elicit_auth_url(...))`` runs in our server (real uvicorn on loopback) behind the emulator, which
injects the workload access token and plays AgentCore Identity (its local provider's consent page approves
on visit). The official mcp 2.x ``Client`` calls it through the invocations URL with a bearer token for a
user; its elicitation callback "opens" the URL with an HTTP GET, as a person would.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import httpx2
import jwt
import pytest
from mcp import MCPError, types
from mcp.client import Client, ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import UrlElicitationRequiredError

from agentcore_mcp import AgentCoreMCP, Context, elicit_auth_url, tool
from agentcore_mcp.emulator import Emulator, Runtime
from agentcore_mcp.server._local import serve_in_thread

from .helpers import legacy_request, post

CONSENT_PATH = "/identities/oauth2/consent"


@contextmanager
def _identity_env(endpoint_url: str) -> Iterator[None]:
    """The environment bedrock-agentcore's IdentityClient reads when the decorator makes it (then restored)."""
    wanted = {
        "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": endpoint_url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def make_app(endpoint_url: str) -> AgentCoreMCP:
    from bedrock_agentcore.identity import requires_access_token

    with _identity_env(endpoint_url):  # the decorator makes its boto3 clients now

        @tool(exclude_args=["access_token"])
        @requires_access_token(
            provider_name="calendar",
            scopes=["calendar.read"],
            auth_flow="USER_FEDERATION",
            on_auth_url=elicit_auth_url("Connect your calendar"),
        )
        async def next_events(ctx: Context, *, access_token: str) -> str:
            """The user's next events, read with the user's own calendar token."""
            claims = jwt.decode(access_token, options={"verify_signature": False})
            return f"3 events for {claims['sub']} ({claims['scope']})"

    return AgentCoreMCP("calendar", tools=[next_events], sessions=True)


@pytest.fixture(scope="module", autouse=True)
def _fast_sdk_polling() -> Iterator[None]:
    import bedrock_agentcore.services.identity as sdk_identity

    with pytest.MonkeyPatch.context() as patch:  # bedrock-agentcore waits 5 s before each poll
        patch.setattr(sdk_identity, "DEFAULT_POLLING_INTERVAL_SECONDS", 0.05)
        yield


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emulator = Emulator(control_plane=False, oauth2_providers=["calendar"], health_probe=None)
    with emulator.serve():
        yield emulator


def _runtimes(emulator: Emulator, app_url: str, prefix: str) -> dict[str, Runtime]:
    """One runtime per era over the same server: the handshake era's is stateful (it elicits in a session)."""
    return {
        "legacy": emulator.add_runtime(app_url, name=f"{prefix}_legacy", auth="jwt", stateful=True),
        "2026-07-28": emulator.add_runtime(app_url, name=f"{prefix}_modern", auth="jwt"),
    }


@pytest.fixture(scope="module")
def runtimes(emulator: Emulator) -> Iterator[dict[str, Runtime]]:
    assert emulator.base_url is not None
    with serve_in_thread(make_app(emulator.base_url)) as base:
        yield _runtimes(emulator, f"{base}/mcp", "consent")


async def _call(
    emulator: Emulator, runtime: Runtime, user: str, mode: str, callback: Any = None
) -> types.CallToolResult:
    """``next_events`` called as ``user`` (a bearer token whose ``sub`` is the user) through the emulator.

    Raises:
        MCPError: the call's JSON-RPC error (raised here, not from inside the transport's task group).
    """
    refused: MCPError | None = None
    headers = {"authorization": f"Bearer {emulator.mint_token(subject=user)}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60)) as http,
        Client(
            streamable_http_client(
                emulator.invocations_url(runtime), http_client=http, terminate_on_close=False
            ),
            mode=mode,  # type: ignore[arg-type]
            elicitation_callback=callback,
        ) as client,
    ):
        try:
            return await client.call_tool("next_events", {})
        except MCPError as exc:
            refused = exc
    raise refused


def _text(result: types.CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, types.TextContent))


class Browser:
    """The person at the client: agrees to open each URL and opens it (an HTTP GET), or declines."""

    def __init__(self, action: str = "accept") -> None:
        self.action = action
        self.seen: list[types.ElicitRequestURLParams] = []

    async def __call__(
        self, context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestURLParams)
        self.seen.append(params)
        if self.action == "accept":
            async with httpx.AsyncClient() as http:
                (await http.get(params.url)).raise_for_status()
        return types.ElicitResult(action=self.action)  # type: ignore[arg-type]


@pytest.mark.parametrize(("mode", "user"), [("legacy", "ada"), ("2026-07-28", "lin")])
async def test_the_consent_url_arrives_by_elicitation_and_the_tool_completes_with_the_users_token(
    emulator: Emulator, runtimes: dict[str, Runtime], mode: str, user: str
) -> None:
    browser = Browser()
    visits = emulator.identity.providers.visits
    with anyio.fail_after(60):
        result = await _call(emulator, runtimes[mode], user, mode, browser)
    assert not result.is_error, _text(result)
    assert _text(result) == f"3 events for {user} (calendar.read)"
    (params,) = browser.seen
    assert params.mode == "url"
    assert params.message == "Connect your calendar"
    url = urlsplit(params.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{emulator.base_url}{CONSENT_PATH}"
    assert emulator.identity.providers.visits == visits + 1
    with anyio.fail_after(60):  # the token vault has it now: no second consent
        again = await _call(emulator, runtimes[mode], user, mode, browser)
    assert _text(again) == _text(result)
    assert len(browser.seen) == 1


async def test_a_client_that_cannot_be_asked_gets_32042_with_the_url_and_its_retry_succeeds(
    emulator: Emulator, runtimes: dict[str, Runtime]
) -> None:
    with anyio.fail_after(60):
        with pytest.raises(MCPError) as refused:
            await _call(emulator, runtimes["legacy"], "grace", "legacy")  # declares no elicitation
        assert refused.value.code == -32042
        (elicitation,) = UrlElicitationRequiredError.from_error(refused.value.error).elicitations
        assert elicitation.mode == "url"
        assert elicitation.message == "Connect your calendar"
        assert elicitation.url.startswith(f"{emulator.base_url}{CONSENT_PATH}?request_uri=")
        async with httpx.AsyncClient() as http:  # the user visits it, out of band
            (await http.get(elicitation.url)).raise_for_status()
        result = await _call(emulator, runtimes["legacy"], "grace", "legacy")
    assert _text(result) == "3 events for grace (calendar.read)"


async def test_a_user_who_declines_gets_a_tool_error_at_once(
    emulator: Emulator, runtimes: dict[str, Runtime]
) -> None:
    browser = Browser("decline")
    with anyio.fail_after(30):
        result = await _call(emulator, runtimes["legacy"], "noah", "legacy", browser)
    assert result.is_error
    assert "Authorization was not given (the user chose 'decline')" in _text(result)
    assert len(browser.seen) == 1


async def test_a_modern_client_without_url_elicitation_is_told_the_capability_it_lacks(
    emulator: Emulator, runtimes: dict[str, Runtime]
) -> None:
    with anyio.fail_after(30), pytest.raises(MCPError) as refused:
        await _call(emulator, runtimes["2026-07-28"], "zoe", "2026-07-28")
    assert refused.value.code == -32021


def make_misused_app(endpoint_url: str) -> AgentCoreMCP:
    """The two ways to get it wrong: a sync function, and a tool without a Context."""
    from bedrock_agentcore.identity import requires_access_token

    def needs_token(function: Any) -> Any:
        return requires_access_token(
            provider_name="calendar",
            scopes=["calendar.read"],
            auth_flow="USER_FEDERATION",
            on_auth_url=elicit_auth_url("Connect your calendar"),
        )(function)

    with _identity_env(endpoint_url):

        @tool(exclude_args=["access_token"])
        @needs_token
        def sync_events(ctx: Context, *, access_token: str) -> str:
            return "unreachable"

        @tool(exclude_args=["access_token"])
        @needs_token
        async def contextless_events(*, access_token: str) -> str:
            return "unreachable"

    return AgentCoreMCP("misused", tools=[sync_events, contextless_events])


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("sync_events", "elicit_auth_url() works in async functions"),
        ("contextless_events", "give the tool a parameter annotated Context"),
    ],
)
def test_misuse_is_a_tool_error_that_says_what_to_change(emulator: Emulator, name: str, why: str) -> None:
    assert emulator.base_url is not None
    with serve_in_thread(make_misused_app(emulator.base_url)) as base:
        wat = emulator.identity.workload_token("misused_mcp", f"user-of-{name}")
        answer = post(
            f"{base}/mcp",
            legacy_request("tools/call", {"name": name, "arguments": {}}),
            headers={"X-Amz-Bedrock-AgentCore-Identity-WAT": wat},
        ).json()
    assert answer["result"]["isError"] is True
    assert why in answer["result"]["content"][0]["text"]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _server_records() -> Iterator[_Records]:
    """Every record of the server's, uvicorn's and bedrock-agentcore's loggers, at debug."""
    handler = _Records()
    names = ("agentcore_mcp.server", "uvicorn", "uvicorn.access", "uvicorn.error", "bedrock_agentcore")
    loggers = [logging.getLogger(name) for name in names]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for log, level in zip(loggers, levels, strict=True):
            log.removeHandler(handler)
            log.setLevel(level)


async def test_the_consent_urls_secrets_never_reach_the_server_logs(emulator: Emulator) -> None:
    assert emulator.base_url is not None
    browser = Browser()
    with _server_records() as records:
        app = make_app(emulator.base_url)
        with serve_in_thread(app, log_level="debug") as base:
            logged = _runtimes(emulator, f"{base}/mcp", "logged")
            with anyio.fail_after(60):
                assert not (await _call(emulator, logged["legacy"], "kai", "legacy", browser)).is_error
                with pytest.raises(MCPError) as refused:
                    await _call(emulator, logged["legacy"], "mia", "legacy")
    refused_url = UrlElicitationRequiredError.from_error(refused.value.error).elicitations[0].url
    secrets = [urlsplit(url).query for url in (browser.seen[0].url, refused_url)]
    text = "\n".join(record.getMessage() for record in records.records)
    consent_page = f"{emulator.base_url}{CONSENT_PATH}"
    assert f"asking the user to open {consent_page} (elicitation" in text  # logged, redacted
    assert f"Polling for token for authorization url: {consent_page}\n" in f"{text}\n"  # the SDK's, redacted
    for secret in secrets:
        assert secret.startswith("request_uri=")
        assert secret not in text
        assert secret.rsplit("%3A", 1)[-1] not in text  # nor the session's random part, however encoded
    assert "request_uri" not in text
