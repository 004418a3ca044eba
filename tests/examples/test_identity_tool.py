"""examples/identity_tool.py end to end: the emulator injects a workload token, the tool's
``requires_access_token`` trades it for an OAuth token at a local fake of AgentCore Identity (reached by
bedrock-agentcore's real boto3 client), and calls a fake orders API with that token.

``my_orders`` (a user's own token, USER_FEDERATION) runs against the emulator's own Identity data plane:
the sign-in URL reaches the official mcp 2.x client by URL elicitation (or -32042), the client "opens" it
with an HTTP GET to the local consent page, and the tool lists that user's orders."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from agentcore_mcp import new_session_id
from agentcore_mcp.cli import main
from agentcore_mcp.client._sync import call_tool_sync
from agentcore_mcp.emulator import Emulator, Runtime
from agentcore_mcp.server._local import serve_in_thread

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "identity_tool.py"
REGION = "us-east-1"


class FakeIdentityAndOrders:
    """The two remote services the tool talks to: Identity's GetResourceOauth2Token and an orders API."""

    def __init__(self) -> None:
        self.token_requests: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.issued: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path, method = scope["path"], scope["method"]
        orders = re.fullmatch(r"/customers/([^/]+)/orders", path)
        if method == "POST" and path == "/identities/oauth2/token":
            self.token_requests.append((json.loads(body), headers))
            token = f"orders-token-{len(self.issued) + 1}"
            self.issued.append(token)
            status, answer = 200, {"accessToken": token}
        elif method == "GET" and orders:
            if headers.get("authorization", "").removeprefix("Bearer ") not in self.issued:
                status, answer = 401, {"error": "invalid_token"}
            elif orders.group(1) == "missing":
                status, answer = 404, {"error": "no such customer"}
            else:
                status, answer = 200, {"customer": orders.group(1), "orders": [{"id": "o-1", "total": 12.5}]}
        else:
            status, answer = 404, {"error": f"{method} {path}"}
        payload = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[FakeIdentityAndOrders, str]]:
    service = FakeIdentityAndOrders()
    with serve_in_thread(service) as url:
        yield service, url


@pytest.fixture(scope="module")
def deployed(fake: tuple[FakeIdentityAndOrders, str]) -> Iterator[tuple[Emulator, Runtime, str]]:
    """The example as a SigV4 runtime, one server process per session, configured like a deployment."""
    _, fake_url = fake
    # The caller acts for users (user_id="alice"): it holds InvokeAgentRuntimeForUser.
    emulator = Emulator(control_plane=False, credentials={"testing": "testing"}, invoke_for_user=True)
    runtime = emulator.add_runtime(
        str(EXAMPLE),
        name="orders_mcp",
        auth="sigv4",
        isolation="process",
        environment={
            "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": fake_url,  # bedrock-agentcore's Identity client
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "ORDERS_API_URL": fake_url,
            "OAUTH_PROVIDER": "orders-api",
            "OAUTH_SCOPES": "orders/read orders/list",
        },
    )
    with emulator.serve() as url:
        yield emulator, runtime, url


def data_plane(url: str) -> Any:
    return boto3.client(
        "bedrock-agentcore",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def test_the_tool_trades_the_workload_token_for_an_access_token_and_calls_the_api(
    fake: tuple[FakeIdentityAndOrders, str], deployed: tuple[Emulator, Runtime, str]
) -> None:
    service, _ = fake
    emulator, runtime, url = deployed
    session_id = new_session_id()
    before = len(service.token_requests)
    result = call_tool_sync(
        runtime.arn,
        "list_orders",
        {"customer_id": "c-42"},
        client=data_plane(url),
        runtime_session_id=session_id,
        timeout=60,
    )
    assert not result.is_error, result.content
    assert result.structured_content == {"customer": "c-42", "orders": [{"id": "o-1", "total": 12.5}]}
    (request, headers) = service.token_requests[before]
    session = emulator.session(session_id)
    assert session is not None
    workload_token = session.workload_tokens[""][0]
    assert request == {
        "workloadIdentityToken": workload_token,
        "resourceCredentialProviderName": "orders-api",
        "scopes": ["orders/read", "orders/list"],
        "oauth2Flow": "M2M",
    }
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")  # real botocore
    assert claims(workload_token)["token_use"] == "workload"


def test_a_user_id_gives_the_tool_that_users_workload_token(
    fake: tuple[FakeIdentityAndOrders, str], deployed: tuple[Emulator, Runtime, str]
) -> None:
    service, _ = fake
    _, runtime, url = deployed
    before = len(service.token_requests)
    result = call_tool_sync(
        runtime.arn,
        "list_orders",
        {"customer_id": "c-7"},
        client=data_plane(url),
        user_id="alice",
        timeout=60,
    )
    assert not result.is_error, result.content
    request, _ = service.token_requests[before]
    assert claims(request["workloadIdentityToken"])["sub"] == "alice"


def test_an_api_refusal_is_a_tool_error_the_caller_can_read(
    deployed: tuple[Emulator, Runtime, str],
) -> None:
    _, runtime, url = deployed
    result = call_tool_sync(
        runtime.arn, "list_orders", {"customer_id": "missing"}, client=data_plane(url), timeout=60
    )
    assert result.is_error
    assert result.content[0].text == "the orders API answered 404 for customer 'missing'"


def test_the_cli_calls_the_identity_tool_through_the_emulator(
    deployed: tuple[Emulator, Runtime, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, runtime, url = deployed
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code = main(
        ["call", "list_orders", "customer_id=c-9", "--target", runtime.arn, "--endpoint-url", url, "--json"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["structuredContent"]["customer"] == "c-9"


class UsersOrders:
    """The orders API's ``/me/orders``: a user's orders for a bearer token the emulator's issuer signed."""

    def __init__(self, public_key: Any) -> None:
        self.public_key = public_key

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        import jwt

        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            token = headers.get("authorization", "").removeprefix("Bearer ")
            user = jwt.decode(token, self.public_key, algorithms=["RS256"], options={"verify_aud": False})[
                "sub"
            ]
            status, answer = 200, {"user": user, "orders": [{"id": "o-9", "total": 3.5}]}
        except jwt.PyJWTError:
            status, answer = 401, {"error": "invalid_token"}
        if scope["path"] != "/me/orders":
            status, answer = 404, {"error": scope["path"]}
        payload = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@pytest.fixture(scope="module")
def consenting() -> Iterator[tuple[Emulator, Runtime]]:
    """The example as a JWT runtime behind an emulator that is also its AgentCore Identity."""
    emulator = Emulator(
        control_plane=False, credentials={"testing": "testing"}, oauth2_providers=["orders-users"]
    )
    with emulator.serve() as url, serve_in_thread(UsersOrders(emulator.issuer.public_key())) as orders_url:
        runtime = emulator.add_runtime(
            str(EXAMPLE),
            name="orders_mcp",
            auth="jwt",
            isolation="process",
            environment={
                "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": url,  # Identity's data plane: the emulator's own
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": REGION,
                "ORDERS_API_URL": orders_url,
                "OAUTH_USER_PROVIDER": "orders-users",
                # A 2026-07-28 retry carries no session, so it may reach another microVM: share the key.
                "AGENTCORE_MCP_STATE_KEYS": "orders-example-state-key",
            },
        )
        yield emulator, runtime


async def _my_orders(emulator: Emulator, runtime: Runtime, user: str, mode: str, callback: Any) -> Any:
    import httpx2
    from mcp import MCPError
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"authorization": f"Bearer {emulator.mint_token(subject=user)}"}
    refused: MCPError | None = None
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
            return await client.call_tool("my_orders", {})
        except MCPError as exc:
            refused = exc
    raise refused


async def test_my_orders_asks_the_user_to_sign_in_by_url_and_then_lists_their_orders(
    consenting: tuple[Emulator, Runtime],
) -> None:
    import anyio
    import httpx
    from mcp import types

    emulator, runtime = consenting
    urls: list[str] = []

    async def sign_in(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestURLParams)
        urls.append(params.url)
        async with httpx.AsyncClient() as http:  # the user opens the page: the local provider approves
            (await http.get(params.url)).raise_for_status()
        return types.ElicitResult(action="accept")

    with anyio.fail_after(120):
        result = await _my_orders(emulator, runtime, "alice", "2026-07-28", sign_in)
        assert not result.is_error, result.content
        assert result.structured_content == {"user": "alice", "orders": [{"id": "o-9", "total": 3.5}]}
        assert len(urls) == 1
        again = await _my_orders(emulator, runtime, "alice", "2026-07-28", sign_in)  # the vault has it
    assert again.structured_content == result.structured_content
    assert len(urls) == 1


async def test_without_sessions_a_handshake_client_gets_32042_and_its_retry_lists_the_orders(
    consenting: tuple[Emulator, Runtime],
) -> None:
    import anyio
    import httpx
    from mcp import MCPError
    from mcp.shared.exceptions import UrlElicitationRequiredError

    emulator, runtime = consenting
    with anyio.fail_after(120):
        with pytest.raises(MCPError) as refused:
            await _my_orders(emulator, runtime, "bob", "legacy", None)
        assert refused.value.code == -32042
        (elicitation,) = UrlElicitationRequiredError.from_error(refused.value.error).elicitations
        assert elicitation.message == "Sign in to the orders service to let this tool read your orders"
        async with httpx.AsyncClient() as http:
            (await http.get(elicitation.url)).raise_for_status()
        result = await _my_orders(emulator, runtime, "bob", "legacy", None)
    assert result.structured_content == {"user": "bob", "orders": [{"id": "o-9", "total": 3.5}]}


def test_through_agentcore_mcp_call_on_a_terminal_the_url_is_shown_and_the_call_completes_after_the_visit(
    consenting: tuple[Emulator, Runtime],
) -> None:
    import os
    import pty
    import subprocess
    import sys

    import httpx

    emulator, runtime = consenting
    token = emulator.mint_token(subject="carol")
    argv = ["call", "my_orders", "--target", runtime.arn, "--endpoint-url", emulator.base_url]
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "agentcore_mcp.cli", *argv, "--bearer-token", token, "--timeout", "120"],
        stdout=subprocess.PIPE,
        stderr=terminal,  # where a person sees the URL
        text=True,
        env={**os.environ, "PYTHONPATH": str(EXAMPLE.parents[1])},
    )
    os.close(terminal)
    shown, visited = b"", False
    with os.fdopen(controller, "rb", buffering=0) as reader:
        while True:
            try:
                chunk = reader.read(4096)
            except OSError:  # EIO: the CLI closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            found = re.search(rb"open this URL to continue: (\S+)", shown)
            if found and not visited:
                visited = True
                assert (
                    httpx.get(found.group(1).decode(), timeout=30).status_code == 200
                )  # the person signs in
    stdout, _ = process.communicate(timeout=120)
    text = shown.decode(errors="replace").replace("\r\n", "\n")
    assert visited, text
    assert process.returncode == 0, text
    assert json.loads(stdout) == {"user": "carol", "orders": [{"id": "o-9", "total": 3.5}]}
    assert "Sign in to the orders service to let this tool read your orders" in text
