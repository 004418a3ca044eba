"""Every refusal answers as AgentCore does, and the emulator keeps serving after each one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from botocore.config import Config

from agentcore_mcp.emulator import Emulator, Runtime, invocations_path
from agentcore_mcp.server._local import free_port
from tests.emulator.conftest import ACCEPT, APP_SPEC, FakeClock, agentcore, initialize_body, invoke, legacy


@pytest.fixture
def setup(
    emulator: Emulator, tests_app_url: str
) -> Iterator[tuple[Emulator, str, Runtime, Runtime, Runtime]]:
    """(emulator, base URL, a SigV4 runtime, a JWT runtime, a runtime whose server is down)."""
    sigv4 = emulator.add_runtime(tests_app_url, name="signed", auth="sigv4")
    jwt = emulator.add_runtime(
        tests_app_url, name="oauth", auth="jwt", allowed_audience=["mcp-api"], allowed_clients=["tutorial"]
    )
    down = emulator.add_runtime(f"http://127.0.0.1:{free_port()}/mcp", name="down")
    with emulator.serve() as url:
        yield emulator, url, sigv4, jwt, down


RSID = "x-amzn-bedrock-agentcore-runtime-session-id"


def _still_serves(url: str, runtime: Runtime) -> None:
    _, answer = invoke(agentcore(url), runtime.arn, legacy("tools/list"))
    assert "tools" in answer["result"]


def _post(
    url: str, headers: dict[str, str], body: Any = None, content: bytes | None = None
) -> httpx.Response:
    data = content if content is not None else json.dumps(body or initialize_body()).encode()
    return httpx.post(url, content=data, headers=headers, timeout=10)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": ACCEPT}


def test_a_bad_signature_is_403_invalid_signature(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    _, url, sigv4, _, _ = setup
    client = agentcore(url, secret="not-the-secret")
    with pytest.raises(client.exceptions.ClientError) as caught:
        invoke(client, sigv4.arn, legacy("tools/list"))
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert "signature we calculated does not match" in error["Error"]["Message"]
    _still_serves(url, sigv4)


def test_an_unknown_access_key_and_an_unsigned_request_are_403(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    emulator, url, sigv4, _, _ = setup
    import boto3

    stranger = boto3.client(
        "bedrock-agentcore",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDSTRANGER",
        aws_secret_access_key="x",
    )
    with pytest.raises(stranger.exceptions.ClientError) as caught:
        invoke(stranger, sigv4.arn, legacy("tools/list"))
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    unsigned = _post(emulator.invocations_url(sigv4), {"Content-Type": "application/json", "Accept": ACCEPT})
    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert "www-authenticate" not in unsigned.headers
    _still_serves(url, sigv4)


def test_a_signature_for_another_region_is_403(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    _, url, sigv4, _, _ = setup
    import boto3

    elsewhere = boto3.client(
        "bedrock-agentcore",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with pytest.raises(elsewhere.exceptions.ClientError) as caught:
        invoke(elsewhere, sigv4.arn, legacy("tools/list"))
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "region" in caught.value.response["Error"]["Message"]


def test_a_missing_token_is_401_with_the_resource_metadata_challenge(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    emulator, url, sigv4, jwt, _ = setup
    answer = _post(emulator.invocations_url(jwt), {"Content-Type": "application/json", "Accept": ACCEPT})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == -32001
    assert answer.json()["id"] == 1
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith('Bearer resource_metadata="')
    metadata_url = challenge.split('"')[1]
    assert metadata_url.startswith(
        emulator.invocations_url(jwt, None) + "/.well-known/oauth-protected-resource"
    )
    metadata = httpx.get(metadata_url, timeout=10).json()
    assert metadata["resource"] == emulator.invocations_url(jwt)
    assert metadata["authorization_servers"] == [emulator.issuer.issuer_url]
    _still_serves(url, sigv4)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"expires_in": -120}, "expired"),
        ({"expires_in": 30}, "expires within a minute"),
        ({"audience": "someone-else"}, "audience"),
        ({"client_id": "stranger"}, "client"),
        ({"issuer": "https://evil.example.com"}, "issuer"),
    ],
    ids=["expired", "expiring", "wrong-audience", "wrong-client", "wrong-issuer"],
)
def test_a_rejected_token_is_401_invalid_token(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime], claims: dict[str, Any], reason: str
) -> None:
    emulator, url, sigv4, jwt, _ = setup
    options: dict[str, Any] = {"audience": "mcp-api", "client_id": "tutorial", **claims}
    answer = _post(emulator.invocations_url(jwt), _bearer(emulator.mint_token(**options)))
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == -32001
    assert reason in answer.json()["error"]["message"]
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    good = _post(
        emulator.invocations_url(jwt), _bearer(emulator.mint_token(audience="mcp-api", client_id="tutorial"))
    )
    assert good.status_code == 200
    _still_serves(url, sigv4)


def test_a_token_from_a_foreign_key_is_401(setup: tuple[Emulator, str, Runtime, Runtime, Runtime]) -> None:
    emulator, _, _, jwt, _ = setup
    from agentcore_mcp.emulator import LocalIssuer

    impostor = LocalIssuer(emulator.base_url)  # same issuer URL, different key
    answer = _post(
        emulator.invocations_url(jwt), _bearer(impostor.mint(audience="mcp-api", client_id="tutorial"))
    )
    assert answer.status_code == 401
    assert _post(emulator.invocations_url(jwt), _bearer("not-a-jwt")).status_code == 401


def test_one_runtime_takes_one_scheme_never_both(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    emulator, url, sigv4, jwt, _ = setup
    token = emulator.mint_token(audience="mcp-api", client_id="tutorial")
    bearer_to_sigv4 = _post(emulator.invocations_url(sigv4), _bearer(token))
    assert bearer_to_sigv4.status_code == 403
    assert bearer_to_sigv4.headers["x-amzn-errortype"] == "AccessDeniedException"
    client = agentcore(url)
    with pytest.raises(client.exceptions.AccessDeniedException) as caught:
        invoke(client, jwt.arn, legacy("tools/list"))
    assert "Authorization method mismatch" in str(caught.value)


def test_an_oversize_body_is_a_validation_error(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    emulator, url, sigv4, _, _ = setup
    emulator.max_body_size = 1000
    client = agentcore(url)
    big = legacy("tools/call", {"name": "greet_user", "arguments": {"name": "x" * 2000}})
    with pytest.raises(client.exceptions.ValidationException) as caught:
        invoke(client, sigv4.arn, big)
    assert "payload" in str(caught.value)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    _still_serves(url, sigv4)


def test_the_default_body_cap_is_agentcores_100_mb(emulator: Emulator) -> None:
    assert emulator.max_body_size == 100_000_000


@pytest.mark.parametrize(
    ("headers", "member", "constraint"),
    [
        ({RSID: "too-short"}, "runtimeSessionId", "length greater than or equal to 33"),
        ({RSID: "r" * 257}, "runtimeSessionId", "length less than or equal to 256"),
        ({"mcp-session-id": "m" * 1025}, "mcpSessionId", "length less than or equal to 1024"),
        ({"mcp-session-id": "abc\x00def"}, "mcpSessionId", "only visible ASCII characters"),
        (
            {RSID: "session with spaces, long enough to pass the length check"},
            "runtimeSessionId",
            "visible ASCII",
        ),
    ],
)
def test_a_session_id_that_breaks_the_model_is_a_400_validation_error(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
    headers: dict[str, str],
    member: str,
    constraint: str,
) -> None:
    emulator, url, sigv4, _, _ = setup
    open_runtime = emulator.add_runtime(sigv4.target, name="unsigned")
    status, answer_headers, body = anyio.run(_asgi_post, emulator, open_runtime.arn, headers)
    assert status == 400
    assert answer_headers[b"x-amzn-errortype"] == b"ValidationException"
    message = json.loads(body)["message"]
    assert f"Value at '{member}'" in message
    assert constraint in message
    _still_serves(url, sigv4)


async def _asgi_post(
    emulator: Emulator, arn: str, headers: dict[str, str]
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One invocation straight into the emulator's ASGI app (header values an HTTP client would refuse)."""
    path = invocations_path(arn)
    raw = [(b"content-type", b"application/json"), (b"accept", ACCEPT.encode()), (b"host", b"127.0.0.1")]
    raw += [(k.encode(), v.encode("latin-1")) for k, v in headers.items()]
    body = json.dumps(legacy("tools/list")).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": path.split("?")[0],
        "raw_path": path.split("?")[0].encode(),
        "query_string": path.split("?")[1].encode(),
        "headers": raw,
        "scheme": "http",
    }
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await emulator(scope, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_a_missing_accept_is_406_with_json_rpc_32011(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    emulator, url, sigv4, jwt, _ = setup
    client = agentcore(url)
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.invoke_agent_runtime(
            agentRuntimeArn=sigv4.arn, payload=json.dumps(legacy("tools/list")).encode()
        )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 406
    token = emulator.mint_token(audience="mcp-api", client_id="tutorial")
    only_json = _post(emulator.invocations_url(jwt), {**_bearer(token), "Accept": "application/json"})
    assert only_json.status_code == 406
    assert only_json.json()["error"]["code"] == -32011
    _still_serves(url, sigv4)


def test_an_unknown_arn_is_404_resource_not_found(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    _emulator, url, sigv4, _, _ = setup
    client = agentcore(url)
    unknown = sigv4.arn.replace("signed", "unknown")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        invoke(client, unknown, legacy("tools/list"))
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        invoke(client, sigv4.arn, legacy("tools/list"), qualifier="NOPE")
    _still_serves(url, sigv4)


def test_the_runtime_id_and_account_id_form_names_the_same_runtime(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    _, url, sigv4, _, _ = setup
    client = agentcore(url)
    answer, listed = invoke(client, sigv4.runtime_id, legacy("tools/list"), accountId=sigv4.account_id)
    assert answer["statusCode"] == 200
    assert "tools" in listed["result"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        invoke(client, sigv4.runtime_id, legacy("tools/list"), accountId="999999999999")


def test_a_server_that_is_down_is_424_runtime_client_error(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    _, url, sigv4, _, down = setup
    client = agentcore(url)
    with pytest.raises(client.exceptions.RuntimeClientError) as caught:
        invoke(client, down.arn, legacy("tools/list"))
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    _still_serves(url, sigv4)


def test_a_crashed_server_process_is_424_and_the_emulator_keeps_serving(
    emulator: Emulator, tests_app_url: str
) -> None:
    crashy = emulator.add_runtime(APP_SPEC, name="crashy")
    healthy = emulator.add_runtime(tests_app_url, name="healthy")
    with emulator.serve() as url:
        client = agentcore(url)
        with pytest.raises(client.exceptions.RuntimeClientError):
            invoke(client, crashy.arn, legacy("tools/call", {"name": "crash", "arguments": {}}))
        _still_serves(url, healthy)
        _still_serves(url, crashy)  # a fresh microVM


def test_a_tool_exception_stays_a_tool_error_not_a_424(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    _, url, sigv4, _, _ = setup
    _, called = invoke(agentcore(url), sigv4.arn, legacy("tools/call", {"name": "boom", "arguments": {}}))
    assert called["result"]["isError"]


def test_throttling_answers_http_200_with_json_rpc_32003(
    emulator: Emulator, clock: FakeClock, tests_app_url: str
) -> None:
    limited = emulator.add_runtime(tests_app_url, name="limited", rate_limit=2, burst=2)
    with emulator.serve() as url:
        client = agentcore(url)
        for _ in range(2):
            invoke(client, limited.arn, legacy("tools/list", id=7))
        answer, throttled = invoke(client, limited.arn, legacy("tools/list", id=7))
        assert answer["statusCode"] == 200
        assert throttled == {
            "jsonrpc": "2.0",
            "id": 7,
            "error": {"code": -32003, "message": throttled["error"]["message"]},
        }
        clock.advance(0.5)  # one token back at 2/s
        _, ok = invoke(client, limited.arn, legacy("tools/list"))
        assert "tools" in ok["result"]


def test_injected_faults_answer_once_each_in_order(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    emulator, url, sigv4, _, _ = setup
    client = agentcore(url)
    emulator.faults.throttle()
    emulator.faults.conflict()
    emulator.faults.runtime_error()
    emulator.faults.api_error("ThrottlingException", 429, "Rate exceeded")
    _, first = invoke(client, sigv4.arn, legacy("tools/list"))
    assert first["error"]["code"] == -32003
    _, second = invoke(client, sigv4.arn, legacy("tools/list"))
    assert second["error"]["code"] == -32005
    with pytest.raises(client.exceptions.RuntimeClientError):
        invoke(client, sigv4.arn, legacy("tools/list"))
    with pytest.raises(client.exceptions.ThrottlingException):
        invoke(client, sigv4.arn, legacy("tools/list"))
    assert emulator.faults.pending() == 0
    _still_serves(url, sigv4)


def test_botocore_retries_an_injected_throttling_exception(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    emulator, url, sigv4, _, _ = setup
    import boto3

    client = boto3.client(
        "bedrock-agentcore",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )
    emulator.faults.api_error("ThrottlingException", 429, "Rate exceeded", times=2)
    answer, listed = invoke(client, sigv4.arn, legacy("tools/list"))
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert "tools" in listed["result"]


def test_get_and_delete_on_the_invocations_url_are_405(
    setup: tuple[Emulator, str, Runtime, Runtime, Runtime],
) -> None:
    emulator, _, _, jwt, _ = setup
    for method in ("GET", "DELETE"):
        answer = httpx.request(method, emulator.invocations_url(jwt), timeout=10)
        assert answer.status_code == 405
        assert answer.headers["allow"] == "POST"
