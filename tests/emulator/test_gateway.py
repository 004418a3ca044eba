"""The local AgentCore Gateway: two runtimes behind one gateway, with real boto3 and the official clients.

Registration goes through moto's control plane with real boto3 (``bedrock-agentcore-control``); calls go
through the ``gatewayUrl`` that ``GetGateway`` returns, as printed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import boto3
import httpx
import httpx2
import pytest
from botocore.credentials import Credentials as BotoCredentials
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

from agentcore_mcp import AgentCoreMCP, Context, StateSealing, tool
from agentcore_mcp.client import AgentCoreTransport, SigV4Auth
from agentcore_mcp.emulator import Emulator, Runtime
from examples.demo_server import add_numbers, greet_user, multiply_numbers
from tests.emulator.apps import tick, whoami

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/gateway-execution"
IAM_OUTBOUND = [
    {
        "credentialProviderType": "GATEWAY_IAM_ROLE",
        "credentialProvider": {"iamCredentialProvider": {"service": "bedrock-agentcore"}},
    }
]
MODES = ["auto", "legacy"]


@dataclass
class Stack:
    emulator: Emulator
    url: str
    control: Any
    calc: Runtime
    greeter: Runtime
    greeter_app: AgentCoreMCP


@pytest.fixture
def stack() -> Iterator[Stack]:
    emulator = Emulator(credentials={"testing": "testing"}, health_probe=None)
    greeter_app = AgentCoreMCP("greeter", tools=[greet_user])
    calc_app = AgentCoreMCP("calc", tools=[add_numbers, multiply_numbers, tick, whoami])
    with emulator.serve() as url:
        calc = emulator.add_runtime(calc_app, name="calc", auth="sigv4")
        greeter = emulator.add_runtime(greeter_app, name="greeter", auth="sigv4")
        control = boto3.client(
            "bedrock-agentcore-control",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        yield Stack(emulator, url, control, calc, greeter, greeter_app)


def _wait(get: Any, want: str = "READY") -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        record: dict[str, Any] = get()
        if record["status"] == want or time.monotonic() > deadline:
            assert record["status"] == want, record
            return record
        time.sleep(0.05)


def _gateway(stack: Stack, authorizer: str = "AWS_IAM", **extra: Any) -> dict[str, Any]:
    created = stack.control.create_gateway(
        name="tools",
        roleArn=ROLE,
        protocolType="MCP",
        authorizerType=authorizer,
        protocolConfiguration={"mcp": {"searchType": "SEMANTIC", "supportedVersions": ["2025-06-18"]}},
        **extra,
    )
    return _wait(lambda: stack.control.get_gateway(gatewayIdentifier=created["gatewayId"]))


def _target(stack: Stack, gateway: dict[str, Any], name: str, runtime: Runtime, mode: str = "DEFAULT") -> str:
    created = stack.control.create_gateway_target(
        gatewayIdentifier=gateway["gatewayId"],
        name=name,
        targetConfiguration={
            "mcp": {"mcpServer": {"endpoint": stack.emulator.invocations_url(runtime), "listingMode": mode}}
        },
        credentialProviderConfigurations=IAM_OUTBOUND,
    )
    ident = {"gatewayIdentifier": gateway["gatewayId"], "targetId": created["targetId"]}
    _wait(lambda: stack.control.get_gateway_target(**ident))
    return str(created["targetId"])


def _signed(url: str) -> AgentCoreTransport:
    return AgentCoreTransport(url, auth=SigV4Auth(REGION, credentials=BotoCredentials("testing", "testing")))


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def test_get_gateway_returns_a_local_gateway_url(stack: Stack) -> None:
    gateway = _gateway(stack)
    assert gateway["gatewayUrl"] == f"{stack.url}/gateways/{gateway['gatewayId']}/mcp"


@pytest.mark.parametrize("mode", MODES)
async def test_two_runtimes_behind_one_gateway_list_and_call_with_prefixed_names(
    stack: Stack, mode: str
) -> None:
    gateway = _gateway(stack)
    _target(stack, gateway, "a", stack.calc)
    _target(stack, gateway, "b", stack.greeter)
    with anyio.fail_after(30):
        async with Client(_signed(gateway["gatewayUrl"]), mode=mode) as client:  # type: ignore[arg-type]
            names = [t.name for t in (await client.list_tools()).tools]
            assert {"a___add_numbers", "a___multiply_numbers", "b___greet_user"} <= set(names)
            assert "x_amz_bedrock_agentcore_search" in names
            assert _text(await client.call_tool("a___add_numbers", {"a": 40, "b": 2})) == "42"
            assert (
                _text(await client.call_tool("b___greet_user", {"name": "Ada"}))
                == "Hello, Ada! Nice to meet you."
            )


@pytest.mark.parametrize("mode", MODES)
async def test_progress_is_relayed_through_the_gateway(stack: Stack, mode: str) -> None:
    gateway = _gateway(stack)
    _target(stack, gateway, "a", stack.calc)
    seen: list[float] = []

    async def progress(value: float, total: float | None, message: str | None) -> None:
        seen.append(value)

    with anyio.fail_after(30):
        async with Client(_signed(gateway["gatewayUrl"]), mode=mode) as client:  # type: ignore[arg-type]
            result = await client.call_tool("a___tick", {"seconds": 0.4}, progress_callback=progress)
    assert _text(result) == "ticked"
    assert seen == [1, 2]


async def test_the_search_tool_finds_a_tool_by_a_word_of_its_description(stack: Stack) -> None:
    gateway = _gateway(stack)
    _target(stack, gateway, "a", stack.calc)
    _target(stack, gateway, "b", stack.greeter)
    with anyio.fail_after(30):
        async with Client(_signed(gateway["gatewayUrl"])) as client:
            result = await client.call_tool("x_amz_bedrock_agentcore_search", {"query": "say hello by name"})
    found = json.loads(_text(result))["tools"]
    assert found[0]["name"] == "b___greet_user"  # "Greet a user by name."
    assert "a___add_numbers" not in [t["name"] for t in found]


async def test_default_lists_a_new_tool_only_after_sync_and_dynamic_at_once(stack: Stack) -> None:
    gateway = _gateway(stack)
    static = _target(stack, gateway, "b", stack.greeter, mode="DEFAULT")
    other = stack.control.create_gateway(
        name="live", roleArn=ROLE, protocolType="MCP", authorizerType="AWS_IAM"
    )
    live_gateway = _wait(lambda: stack.control.get_gateway(gatewayIdentifier=other["gatewayId"]))
    _target(stack, live_gateway, "b", stack.greeter, mode="DYNAMIC")

    async def names(url: str) -> set[str]:
        async with Client(_signed(url), mode="legacy") as client:
            return {t.name for t in (await client.list_tools()).tools}

    @tool
    def wave(name: str) -> str:
        """Wave at someone."""
        return f"*waves at {name}*"

    with anyio.fail_after(30):
        assert "b___greet_user" in await names(gateway["gatewayUrl"])
        assert "b___greet_user" in await names(live_gateway["gatewayUrl"])
        stack.greeter_app.add_tool(wave)
        assert "b___wave" not in await names(gateway["gatewayUrl"])  # the catalogue is from the last sync
        assert "b___wave" in await names(live_gateway["gatewayUrl"])  # DYNAMIC asks the server each time
        synced = stack.control.synchronize_gateway_targets(
            gatewayIdentifier=gateway["gatewayId"], targetIdList=[static]
        )
        assert synced["targets"][0]["targetId"] == static
        assert "lastSynchronizedAt" in synced["targets"][0]
        assert "b___wave" in await names(gateway["gatewayUrl"])


def _initialize(token: str | None = None) -> tuple[dict[str, str], bytes]:
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    return headers, json.dumps(body).encode()


def _jwt_gateway(stack: Stack) -> dict[str, Any]:
    return _gateway(
        stack,
        "CUSTOM_JWT",
        authorizerConfiguration={
            "customJWTAuthorizer": {
                "discoveryUrl": stack.emulator.issuer.discovery_url,
                "allowedAudience": ["gateway-users"],
            }
        },
    )


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "Missing Bearer token"),
        ({"audience": "gateway-users", "expires_in": -60}, "the token has expired"),
        ({"audience": "someone-else"}, "the audience is not allowed"),
    ],
)
def test_a_jwt_gateway_refuses_a_missing_expired_or_wrong_audience_token(
    stack: Stack, token: dict[str, Any] | None, reason: str
) -> None:
    gateway = _jwt_gateway(stack)
    headers, body = _initialize(stack.emulator.mint_token(**token) if token is not None else None)
    answer = httpx.post(gateway["gatewayUrl"], headers=headers, content=body, timeout=10)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer ")
    error = answer.json()["error"]
    assert error["code"] == -32001
    assert reason in error["message"]


def test_a_jwt_gateways_challenge_points_at_its_protected_resource_metadata(stack: Stack) -> None:
    gateway = _jwt_gateway(stack)
    headers, body = _initialize(None)
    challenge = httpx.post(gateway["gatewayUrl"], headers=headers, content=body, timeout=10)
    metadata_url = challenge.headers["www-authenticate"].split('resource_metadata="', 1)[1].split('"', 1)[0]
    document = httpx.get(metadata_url, timeout=10)
    assert document.status_code == 200
    assert document.json() == {
        "resource": gateway["gatewayUrl"],
        "authorization_servers": [
            stack.emulator.issuer.discovery_url.removesuffix("/.well-known/openid-configuration")
        ],
        "bearer_methods_supported": ["header"],
    }
    # An IAM gateway has no such document.
    iam = stack.control.create_gateway(
        name="iam-tools", roleArn=ROLE, protocolType="MCP", authorizerType="AWS_IAM"
    )
    assert (
        httpx.get(f"{stack.url}/gateways/{iam['gatewayId']}/.well-known/oauth-protected-resource").status_code
        == 404
    )


async def test_a_jwt_gateway_calls_a_sigv4_runtime_with_its_role_not_the_callers_token(stack: Stack) -> None:
    gateway = _jwt_gateway(stack)
    _target(stack, gateway, "a", stack.calc)
    token = stack.emulator.mint_token(audience="gateway-users")
    http = httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=30)
    with anyio.fail_after(30):
        async with (
            http,
            Client(streamable_http_client(gateway["gatewayUrl"], http_client=http), mode="legacy") as client,
        ):
            assert _text(await client.call_tool("a___add_numbers", {"a": 1, "b": 2})) == "3"
            seen = json.loads(_text(await client.call_tool("a___whoami", {})))
    # The runtime takes SigV4 only (a bearer token would be refused 403): the gateway signed as its role,
    # and the caller's token went no further than the gateway.
    assert seen["headers"]["authorization"] is None


def test_an_iam_gateway_refuses_an_unsigned_request(stack: Stack) -> None:
    gateway = _gateway(stack)
    headers, body = _initialize()
    answer = httpx.post(gateway["gatewayUrl"], headers=headers, content=body, timeout=10)
    assert answer.status_code == 403
    assert answer.headers["x-amzn-errortype"] in (
        "MissingAuthenticationTokenException",
        "AccessDeniedException",
    )


async def test_an_unknown_tool_is_an_invalid_params_error(stack: Stack) -> None:
    gateway = _gateway(stack)
    _target(stack, gateway, "a", stack.calc)
    with anyio.fail_after(30):
        async with Client(_signed(gateway["gatewayUrl"]), mode="legacy") as client:
            with pytest.raises(Exception, match="Unknown tool: zz___add_numbers"):
                await client.call_tool("zz___add_numbers", {"a": 1, "b": 2})


@tool
async def ask_name(ctx: Context) -> str:
    """Ask the user for their name, then greet them."""
    answer = await ctx.elicit("Name?", {"type": "object", "properties": {"name": {"type": "string"}}})
    return f"hi {(answer.content or {}).get('name')}"


async def _on_elicit(context: Any, params: Any) -> Any:
    from mcp import types

    assert params.message == "Name?"
    return types.ElicitResult(action="accept", content={"name": "Zed"})


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_an_elicitation_round_trip_goes_through_the_gateway(stack: Stack, mode: str) -> None:
    asker = stack.emulator.add_runtime(
        AgentCoreMCP("asker", tools=[ask_name], sealing=StateSealing(keys=("k" * 32,))),
        name="asker",
        auth="sigv4",
    )
    gateway = _gateway(stack)
    _target(stack, gateway, "a", stack.calc)
    _target(stack, gateway, "ask", asker)
    with anyio.fail_after(30):
        async with Client(
            _signed(gateway["gatewayUrl"]),
            mode=mode,  # type: ignore[arg-type]
            elicitation_callback=_on_elicit,
        ) as client:
            assert _text(await client.call_tool("ask___ask_name", {})) == "hi Zed"


@tool
async def title_for(name: str, ctx: Context) -> str:
    """Log a line, ask the client's model for a title, and address the person by it."""
    await ctx.log("info", f"choosing a title for {name}")
    answer = await ctx.sample(f"A title for {name}?", max_tokens=5)
    return f"{answer['content']['text']} {name}"


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_sampling_and_log_notifications_are_relayed_through_the_gateway(
    stack: Stack, mode: str
) -> None:
    from mcp import types

    sampler = stack.emulator.add_runtime(
        AgentCoreMCP("sampler", tools=[title_for], sealing=StateSealing(keys=("k" * 32,))),
        name="sampler",
        auth="sigv4",
    )
    gateway = _gateway(stack)
    _target(stack, gateway, "s", sampler)
    asked: list[str] = []
    logged: list[Any] = []

    async def on_sample(context: Any, params: Any) -> Any:
        asked.append(params.messages[0].content.text)
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="Countess"), model="m"
        )

    async def on_log(params: Any) -> None:
        logged.append(params.data)

    with anyio.fail_after(30):
        async with Client(
            _signed(gateway["gatewayUrl"]),
            mode=mode,  # type: ignore[arg-type]
            sampling_callback=on_sample,
            logging_callback=on_log,
        ) as client:
            assert _text(await client.call_tool("s___title_for", {"name": "Ada"})) == "Countess Ada"
    assert asked[-1] == "A title for Ada?"
    if mode == "legacy":  # in the handshake era the tool's log line streams to the client
        assert "choosing a title for Ada" in logged


@pytest.mark.parametrize("mode", MODES)
async def test_prompts_are_prefixed_and_resources_routed_by_uri(stack: Stack, mode: str) -> None:
    docs = AgentCoreMCP("docs")

    @docs.prompt
    def review(code: str) -> str:
        """Review a piece of code."""
        return f"Please review: {code}"

    @docs.resource("notes://readme")
    def readme() -> str:
        """The readme."""
        return "read me first"

    runtime = stack.emulator.add_runtime(docs, name="docs", auth="sigv4")
    gateway = _gateway(stack)
    _target(stack, gateway, "a", stack.calc)
    _target(stack, gateway, "docs", runtime)
    with anyio.fail_after(30):
        async with Client(_signed(gateway["gatewayUrl"]), mode=mode) as client:  # type: ignore[arg-type]
            prompts = [p.name for p in (await client.list_prompts()).prompts]
            assert prompts == ["docs___review"]
            got = await client.get_prompt("docs___review", {"code": "x = 1"})
            assert "Please review: x = 1" in got.messages[0].content.text  # type: ignore[union-attr]
            resources = [str(r.uri) for r in (await client.list_resources()).resources]
            assert resources == ["notes://readme"]
            read = await client.read_resource("notes://readme")
            assert read.contents[0].text == "read me first"  # type: ignore[union-attr]


PROVIDER = (
    "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/calc-m2m"
)


async def test_an_oauth_target_gets_a_client_credentials_token_for_a_jwt_runtime(stack: Stack) -> None:
    from agentcore_mcp._gateways import add_mcp_target

    calc_app = AgentCoreMCP("calc-jwt", tools=[add_numbers])
    jwt_calc = stack.emulator.add_runtime(
        calc_app, name="calc_jwt", auth="jwt", allowed_clients=["calc-m2m"], allowed_scopes=["calc/invoke"]
    )
    gateway = _gateway(stack)
    endpoint = stack.emulator.invocations_url(jwt_calc)
    fast = {"timeout": 10.0, "poll_interval": 0.05}
    add_mcp_target(stack.control, gateway["gatewayId"], "iam", endpoint, outbound="iam", **fast)
    record, created = add_mcp_target(
        stack.control,
        gateway["gatewayId"],
        "m2m",
        endpoint,
        outbound="oauth",
        oauth_provider=PROVIDER,
        scopes=["calc/invoke"],
        **fast,
    )
    assert created
    (provider,) = record["credentialProviderConfigurations"]
    assert provider["credentialProviderType"] == "OAUTH"
    assert provider["credentialProvider"]["oauthCredentialProvider"]["providerArn"] == PROVIDER
    with anyio.fail_after(30):
        async with Client(_signed(gateway["gatewayUrl"]), mode="legacy") as client:
            names = {t.name for t in (await client.list_tools()).tools}
            # The JWT runtime refuses the gateway's SigV4 (target 'iam' lists nothing) and takes the token.
            assert "m2m___add_numbers" in names
            assert "iam___add_numbers" not in names
            assert _text(await client.call_tool("m2m___add_numbers", {"a": 40, "b": 2})) == "42"


async def test_any_mcp_url_can_be_a_target_without_outbound_credentials(stack: Stack) -> None:
    from agentcore_mcp.server._local import serve_in_thread

    gateway = _gateway(stack)
    plain = AgentCoreMCP("plain", tools=[greet_user])
    with serve_in_thread(plain) as base:
        created = stack.control.create_gateway_target(
            gatewayIdentifier=gateway["gatewayId"],
            name="web",
            targetConfiguration={"mcp": {"mcpServer": {"endpoint": f"{base}/mcp", "listingMode": "DEFAULT"}}},
        )
        ident = {"gatewayIdentifier": gateway["gatewayId"], "targetId": created["targetId"]}
        _wait(lambda: stack.control.get_gateway_target(**ident))
        with anyio.fail_after(30):
            async with Client(_signed(gateway["gatewayUrl"]), mode="legacy") as client:
                assert "web___greet_user" in {t.name for t in (await client.list_tools()).tools}
                result = await client.call_tool("web___greet_user", {"name": "Ada"})
                assert _text(result) == "Hello, Ada! Nice to meet you."
