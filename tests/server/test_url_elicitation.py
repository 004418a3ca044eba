"""URL-mode elicitation: the user is sent to a URL (a local consent page here), in both protocol eras.

The consent page is a real HTTP server on loopback; the official mcp 2.x ``Client`` (which declares
``elicitation.url``) "opens" the URL from its elicitation callback with an HTTP GET, as a person would.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest
from mcp import MCPError, types
from mcp.client import Client, ClientRequestContext
from mcp.shared.exceptions import UrlElicitationRequiredError

from agentcore_mcp import AgentCoreMCP, Context, ElicitURL, ToolError, URLElicitationRequired, tool
from agentcore_mcp.server._local import serve_in_thread

from .helpers import legacy_request, modern_request, post

SECRET = "s3cr3t-state-value"  # what the consent URL's query carries: never in the server's logs
consented: set[str] = set()  # accounts whose consent page was visited (the "token vault")


class _ConsentPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        if query.get("state") == [SECRET]:
            consented.add(query["account"][0])
            self.send_response(200)
        else:
            self.send_response(400)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def consent() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ConsentPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/consent"
    server.shutdown()
    server.server_close()


def _consent_url(base: str, account: str) -> str:
    return f"{base}?account={account}&state={SECRET}"


def make_app(consent_base: str, *, sessions: bool) -> AgentCoreMCP:
    @tool
    async def calendar(account: str, ctx: Context) -> str:
        """Lists the account's events once its owner has connected it (by visiting the consent page)."""
        if account not in consented:
            answer = await ctx.elicit_url(
                _consent_url(consent_base, account), "Connect your calendar", elicitation_id=f"cal-{account}"
            )
            if not answer.accepted:
                return f"not connected ({answer.action})"
            for _ in range(200):  # the user is at the consent page now: wait for it, within the call
                if account in consented:
                    break
                await asyncio.sleep(0.02)
            else:
                raise ToolError("the calendar was not connected in time")
            await ctx.elicitation_complete(f"cal-{account}")
        return f"3 events for {account}"

    return AgentCoreMCP("consent", tools=[calendar], sessions=sessions)


@pytest.fixture(scope="module")
def session_url(consent: str) -> Iterator[str]:
    with serve_in_thread(make_app(consent, sessions=True)) as base:
        yield f"{base}/mcp"


@pytest.fixture(scope="module")
def stateless_url(consent: str) -> Iterator[str]:
    with serve_in_thread(make_app(consent, sessions=False)) as base:
        yield f"{base}/mcp"


seen: list[types.ElicitRequestParams] = []


async def open_url(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
    """The user consents and opens the URL (an HTTP GET to the consent page)."""
    seen.append(params)
    assert isinstance(params, types.ElicitRequestURLParams)
    async with httpx.AsyncClient() as http:
        (await http.get(params.url)).raise_for_status()
    return types.ElicitResult(action="accept")


@pytest.mark.parametrize(("mode", "account"), [("legacy", "ada"), ("2026-07-28", "lin")])
async def test_official_client_gets_the_url_opens_it_and_the_tool_completes(
    session_url: str, mode: str, account: str
) -> None:
    seen.clear()
    notices: list[Any] = []

    async def on_message(message: Any) -> None:
        notices.append(message)

    with anyio.fail_after(30):
        async with Client(
            session_url, mode=mode, elicitation_callback=open_url, message_handler=on_message
        ) as c:
            result = await c.call_tool("calendar", {"account": account})
    assert result.content[0].text == f"3 events for {account}"  # type: ignore[union-attr]
    assert len(seen) == 1
    params = seen[0]
    assert isinstance(params, types.ElicitRequestURLParams)
    assert params.mode == "url"
    assert params.url == _consent_url(params.url.split("?")[0], account)
    assert params.message == "Connect your calendar"
    completions = [n for n in notices if isinstance(n, types.ElicitCompleteNotification)]
    if mode == "legacy":
        assert params.elicitation_id == f"cal-{account}"
        assert [n.params.elicitation_id for n in completions] == [f"cal-{account}"]
    else:  # 2026-07-28 removed both the id and the completion notification: the retry is the signal
        assert params.elicitation_id is None
        assert completions == []


async def test_a_client_without_url_elicitation_gets_32042_and_its_retry_succeeds(session_url: str) -> None:
    with anyio.fail_after(30):
        async with Client(session_url, mode="legacy") as client:  # no elicitation callback: none declared
            with pytest.raises(MCPError) as refused:
                await client.call_tool("calendar", {"account": "grace"})
            assert refused.value.code == -32042
            required = UrlElicitationRequiredError.from_error(refused.value.error)
            (elicitation,) = required.elicitations
            assert elicitation.mode == "url"
            assert elicitation.elicitation_id == "cal-grace"
            assert "account=grace" in elicitation.url
            async with httpx.AsyncClient() as http:  # the user completes it out of band
                (await http.get(elicitation.url)).raise_for_status()
            result = await client.call_tool("calendar", {"account": "grace"})
    assert result.content[0].text == "3 events for grace"  # type: ignore[union-attr]


def _initialize(url: str, capabilities: dict[str, Any]) -> str:
    body = legacy_request(
        "initialize",
        {
            "protocolVersion": "2025-11-25",
            "capabilities": capabilities,
            "clientInfo": {"name": "raw", "version": "0"},
        },
    )
    response = post(url, body)
    assert response.status_code == 200
    session = response.headers["mcp-session-id"]
    note = post(
        url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers={"Mcp-Session-Id": session}
    )
    assert note.status_code == 202
    return session


def _legacy_call(url: str, account: str, session: str | None) -> dict[str, Any]:
    headers = {"MCP-Protocol-Version": "2025-11-25"}
    if session is not None:
        headers["Mcp-Session-Id"] = session
    body = legacy_request("tools/call", {"name": "calendar", "arguments": {"account": account}}, id=7)
    response = post(url, body, headers=headers, accept="application/json, text/event-stream")
    assert response.status_code == 200
    text = response.text
    if text.startswith("{"):
        return response.json()  # type: ignore[no-any-return]
    import json

    return json.loads(
        [line for line in text.splitlines() if line.startswith("data: ") and '"id"' in line][-1][6:]
    )  # type: ignore[no-any-return]


@pytest.mark.parametrize("declared", [{"elicitation": {}}, {"elicitation": {"form": {}}}, {}])
def test_a_form_only_client_is_never_sent_a_url_request_but_gets_32042_with_the_url(
    session_url: str, declared: dict[str, Any]
) -> None:
    account = f"form-{len(declared.get('elicitation', {'x': 1, 'y': 2}))}"
    session = _initialize(session_url, declared)
    answer = _legacy_call(session_url, account, session)
    error = answer["error"]
    assert error["code"] == -32042
    (elicitation,) = error["data"]["elicitations"]
    assert elicitation == {
        "mode": "url",
        "message": "Connect your calendar",
        "url": elicitation["url"],
        "elicitationId": f"cal-{account}",
    }
    assert f"account={account}&state={SECRET}" in elicitation["url"]
    assert httpx.get(elicitation["url"]).status_code == 200  # the user visits it
    retried = _legacy_call(session_url, account, session)
    assert retried["result"]["content"][0]["text"] == f"3 events for {account}"


def test_without_a_session_the_capability_is_unknown_so_the_answer_is_32042(stateless_url: str) -> None:
    answer = _legacy_call(stateless_url, "noah", None)
    assert answer["error"]["code"] == -32042
    assert answer["error"]["data"]["elicitations"][0]["elicitationId"] == "cal-noah"


@pytest.mark.parametrize("declared", [{"elicitation": {}}, {"elicitation": {"form": {}}}])
def test_modern_form_only_client_gets_32021_naming_elicitation_url(
    session_url: str, declared: dict[str, Any]
) -> None:
    body, headers = modern_request("tools/call", {"name": "calendar", "arguments": {"account": "zoe"}})
    body["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] = declared
    response = post(session_url, body, headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == -32021
    assert error["data"] == {"requiredCapabilities": {"elicitation": {"url": {}}}}


def test_modern_round_carries_the_url_request_without_an_id(session_url: str) -> None:
    body, headers = modern_request("tools/call", {"name": "calendar", "arguments": {"account": "kai"}})
    body["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] = {"elicitation": {"url": {}}}
    first = post(session_url, body, headers=headers).json()["result"]
    assert first["resultType"] == "input_required"
    assert first["inputRequests"] == {
        "url_elicitation": {
            "method": "elicitation/create",
            "params": {
                "mode": "url",
                "message": "Connect your calendar",
                "url": first["inputRequests"]["url_elicitation"]["params"]["url"],
            },
        }
    }
    assert httpx.get(first["inputRequests"]["url_elicitation"]["params"]["url"]).status_code == 200
    body["id"] = 2
    body["params"]["inputResponses"] = {"url_elicitation": {"action": "accept"}}
    body["params"]["requestState"] = first["requestState"]
    done = post(session_url, body, headers=headers).json()["result"]
    assert done["resultType"] == "complete"
    assert done["content"][0]["text"] == "3 events for kai"


@pytest.mark.parametrize(
    "bad",
    [
        "http://example.com/consent",  # plain http off loopback
        "ftp://127.0.0.1/x",
        "javascript:alert(1)",
        "/consent",  # relative
        "https://user:pw@example.com/",  # credentials in the URL
        "https://example.com/a b",
        "https://",
    ],
)
def test_urls_that_may_not_be_sent_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="elicitation URL"):
        ElicitURL("m", bad)


@pytest.mark.parametrize(
    "good", ["https://example.com/c?x=1", "http://127.0.0.1:8000/c", "http://localhost/c", "http://[::1]:9/c"]
)
def test_https_and_loopback_http_are_accepted(good: str) -> None:
    assert ElicitURL("m", good).url == good


def test_the_error_lists_the_elicitations_as_sent() -> None:
    error = URLElicitationRequired([ElicitURL("Connect", "https://example.com/c", "e1").to_wire()["params"]])
    assert error.code == -32042
    assert error.data == {
        "elicitations": [
            {"mode": "url", "message": "Connect", "url": "https://example.com/c", "elicitationId": "e1"}
        ]
    }


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _server_records() -> Iterator[_Records]:
    """Every record of the server's and uvicorn's loggers, at debug, whatever earlier tests did to the root
    logger's handlers or these loggers' levels (uvicorn's do not propagate to the root at all)."""
    handler = _Records()
    loggers = [logging.getLogger(name) for name in ("agentcore_mcp.server", "uvicorn")]
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


async def test_the_url_query_string_never_reaches_the_logs(consent: str) -> None:
    with (
        _server_records() as records,
        serve_in_thread(make_app(consent, sessions=True), log_level="debug") as base,
    ):
        url = f"{base}/mcp"
        with anyio.fail_after(30):
            async with Client(url, mode="legacy", elicitation_callback=open_url) as client:
                await client.call_tool("calendar", {"account": "logged-in-band"})
            async with Client(url, mode="legacy") as client:
                with pytest.raises(MCPError):
                    await client.call_tool("calendar", {"account": "logged-refused"})
    text = "\n".join(record.getMessage() for record in records.records)
    assert f"asking the user to open {consent} (elicitation cal-logged-in-band)" in text  # logged, redacted
    assert SECRET not in text
    assert "state=" not in text
