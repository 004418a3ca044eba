"""Who a request is for, and what its signature covers: the caller's identity as AgentCore establishes it.

A JWT runtime's user is the verified token's ``sub``; a SigV4 caller names a user only when it holds
``InvokeAgentRuntimeForUser`` and signed the header; a signature covers the body it was made for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotocoreCredentials  # type: ignore[import-untyped]

from agentcore_mcp.emulator import Credentials, Emulator, Runtime
from tests.emulator.conftest import ACCEPT, REGION, agentcore, invoke, legacy

USER_ID = "x-amzn-bedrock-agentcore-runtime-user-id"
FOR_USERS_KEY = "AKIDFORUSERS"


@pytest.fixture
def served(emulator: Emulator, tests_app_url: str) -> Iterator[tuple[str, Runtime, Runtime]]:
    """(base URL, a SigV4 runtime, a JWT runtime); ``AKIDFORUSERS`` holds InvokeAgentRuntimeForUser."""
    emulator.sigv4.credentials[FOR_USERS_KEY] = Credentials(FOR_USERS_KEY, "for-users", invoke_for_user=True)
    sigv4 = emulator.add_runtime(tests_app_url, name="signed", auth="sigv4")
    oauth = emulator.add_runtime(tests_app_url, name="oauth", auth="jwt", allowed_clients=["tutorial"])
    with emulator.serve() as url:
        yield url, sigv4, oauth


def _whoami() -> dict[str, Any]:
    return legacy("tools/call", {"name": "whoami", "arguments": {}})


def _seen(answer: Any) -> dict[str, Any]:
    seen: dict[str, Any] = answer["result"]["structuredContent"]["headers"]
    return seen


def _workload_subject(seen: dict[str, Any]) -> str:
    claims = jwt.decode(seen["workloadaccesstoken"], options={"verify_signature": False})
    subject: str = claims["sub"]
    return subject


def _signed(url: str, body: bytes, headers: dict[str, str], key: str, secret: str) -> dict[str, str]:
    """Headers signed by botocore's own signer over exactly ``headers`` (and Host) and ``body``."""
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(BotocoreCredentials(key, secret), "bedrock-agentcore", REGION).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize("sent", [None, "mallory"], ids=["no-header", "forged-header"])
def test_a_jwt_runtimes_user_is_the_tokens_sub_whatever_header_is_sent(
    emulator: Emulator, served: tuple[str, Runtime, Runtime], sent: str | None
) -> None:
    _, _, oauth = served
    token = emulator.mint_token(subject="alice", client_id="tutorial")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": ACCEPT}
    if sent is not None:
        headers["X-Amzn-Bedrock-AgentCore-Runtime-User-Id"] = sent
    answer = httpx.post(
        emulator.invocations_url(oauth), content=json.dumps(_whoami()).encode(), headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    seen = _seen(answer.json())
    assert seen[USER_ID] == "alice"  # the verified identity, never the header
    assert _workload_subject(seen) == "alice"  # the workload token is minted for the token's user


def test_a_sigv4_caller_without_invoke_for_user_cannot_name_a_user(
    served: tuple[str, Runtime, Runtime],
) -> None:
    url, sigv4, _ = served
    client = agentcore(url)  # testing/testing: InvokeAgentRuntime only
    with pytest.raises(client.exceptions.AccessDeniedException) as caught:
        invoke(client, sigv4.arn, _whoami(), runtimeUserId="mallory")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "bedrock-agentcore:InvokeAgentRuntimeForUser" in error["Error"]["Message"]
    _, answer = invoke(client, sigv4.arn, _whoami())  # without a user id the same caller is served
    assert _seen(answer)[USER_ID] is None


def test_a_sigv4_caller_with_invoke_for_user_names_the_user_in_a_signed_header(
    served: tuple[str, Runtime, Runtime],
) -> None:
    url, sigv4, _ = served
    client = agentcore(url, key=FOR_USERS_KEY, secret="for-users")
    _, answer = invoke(client, sigv4.arn, _whoami(), runtimeUserId="alice")  # botocore signs the header
    seen = _seen(answer)
    assert seen[USER_ID] == "alice"
    assert _workload_subject(seen) == "alice"


def test_a_user_id_added_after_signing_is_refused(served: tuple[str, Runtime, Runtime]) -> None:
    url, sigv4, _ = served
    client = agentcore(url, key=FOR_USERS_KEY, secret="for-users")

    def add_after_signing(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Bedrock-AgentCore-Runtime-User-Id"] = "mallory"

    client.meta.events.register("before-send.bedrock-agentcore.InvokeAgentRuntime", add_after_signing)
    with pytest.raises(client.exceptions.AccessDeniedException) as caught:
        invoke(client, sigv4.arn, _whoami())
    assert "SignedHeaders" in caught.value.response["Error"]["Message"]


def test_a_signed_request_replayed_with_another_body_is_refused(
    emulator: Emulator, served: tuple[str, Runtime, Runtime]
) -> None:
    _, sigv4, _ = served
    url = emulator.invocations_url(sigv4)
    first = json.dumps(legacy("tools/call", {"name": "add_numbers", "arguments": {"a": 1, "b": 2}})).encode()
    other = json.dumps(legacy("tools/call", {"name": "add_numbers", "arguments": {"a": 40, "b": 2}})).encode()
    base = {"Content-Type": "application/json", "Accept": ACCEPT}
    with_hash = _signed(
        url, first, {**base, "X-Amz-Content-SHA256": hashlib.sha256(first).hexdigest()}, "testing", "testing"
    )
    assert "x-amz-content-sha256" in with_hash["Authorization"]  # the hash is a signed header
    honest = httpx.post(url, content=first, headers=with_hash, timeout=10)
    assert honest.status_code == 200, honest.text
    assert honest.json()["result"]["structuredContent"] == {"result": 3}
    replayed = httpx.post(url, content=other, headers=with_hash, timeout=10)
    assert replayed.status_code == 403, replayed.text
    assert replayed.headers["x-amzn-errortype"] == "InvalidSignatureException"
    # Without the header the signature hashes the body itself: swapping it fails the same way.
    plain = _signed(url, first, base, "testing", "testing")
    swapped = httpx.post(url, content=other, headers=plain, timeout=10)
    assert (swapped.status_code, swapped.headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")


def test_an_unsigned_payload_is_refused(emulator: Emulator, served: tuple[str, Runtime, Runtime]) -> None:
    _, sigv4, _ = served
    url = emulator.invocations_url(sigv4)
    body = json.dumps(_whoami()).encode()
    headers = _signed(
        url,
        body,
        {"Content-Type": "application/json", "Accept": ACCEPT, "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
        "testing",
        "testing",
    )
    answer = httpx.post(url, content=body, headers=headers, timeout=10)
    assert answer.status_code == 403, answer.text
    assert answer.headers["x-amzn-errortype"] == "InvalidSignatureException"
    assert "UNSIGNED-PAYLOAD" in answer.json()["message"]
