"""examples/identity_tool.py end to end: the emulator injects a workload token, the tool's
``requires_access_token`` trades it for an OAuth token at a local fake of AgentCore Identity (reached by
bedrock-agentcore's real boto3 client), and calls a fake orders API with that token."""

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
