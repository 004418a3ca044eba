"""AgentCore Identity's data plane in the emulator: real boto3 and bedrock-agentcore's own client and decorator.

Workload access tokens, M2M tokens, and the three-legged USER_FEDERATION flow whose local consent page
approves on visit (with session binding through CompleteResourceTokenAuth when a return URL was given).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from agentcore_mcp.emulator import Emulator
from tests.emulator.conftest import REGION, agentcore


@pytest.fixture
def identity() -> Iterator[tuple[Emulator, Any]]:
    """A served emulator that knows the provider ``calendar``, and a boto3 client of its data plane."""
    emulator = Emulator(
        control_plane=False, credentials={"testing": "testing"}, oauth2_providers=["calendar"]
    )
    with emulator.serve() as url:
        yield emulator, agentcore(url)


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _token_request(client: Any, workload_token: str, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = client.get_resource_oauth2_token(
        workloadIdentityToken=workload_token,
        resourceCredentialProviderName="calendar",
        scopes=["calendar.read"],
        oauth2Flow="USER_FEDERATION",
        **extra,
    )
    answer.pop("ResponseMetadata")
    return answer


def test_workload_access_tokens_name_the_workload_and_the_user(identity: tuple[Emulator, Any]) -> None:
    emulator, client = identity
    alone = client.get_workload_access_token(workloadName="orders_mcp")["workloadAccessToken"]
    for_user = client.get_workload_access_token_for_user_id(workloadName="orders_mcp", userId="ada")
    user_jwt = emulator.mint_token(subject="lin")
    for_jwt = client.get_workload_access_token_for_jwt(workloadName="orders_mcp", userToken=user_jwt)
    assert _claims(alone)["workload_name"] == "orders_mcp"
    assert _claims(for_user["workloadAccessToken"])["sub"] == "ada"
    assert _claims(for_jwt["workloadAccessToken"])["sub"] == "lin"
    assert {_claims(t)["token_use"] for t in (alone, for_user["workloadAccessToken"])} == {"workload"}
    foreign = jwt.encode({"sub": "eve"}, "a-key-of-someone-else-32-bytes-long!", algorithm="HS256")
    with pytest.raises(client.exceptions.UnauthorizedException):
        client.get_workload_access_token_for_jwt(workloadName="orders_mcp", userToken=foreign)


def test_three_legged_consent_the_url_then_the_visit_then_the_token(identity: tuple[Emulator, Any]) -> None:
    emulator, client = identity
    wat = client.get_workload_access_token_for_user_id(workloadName="cal_mcp", userId="ada")[
        "workloadAccessToken"
    ]
    first = _token_request(client, wat)
    assert set(first) == {"authorizationUrl", "sessionUri", "sessionStatus"}
    assert first["sessionStatus"] == "IN_PROGRESS"
    assert first["sessionUri"].startswith("urn:ietf:params:oauth:request_uri:")
    url = urlsplit(first["authorizationUrl"])
    assert (url.scheme, url.hostname) == ("http", "127.0.0.1")
    assert parse_qs(url.query) == {"request_uri": [first["sessionUri"]]}
    polled = _token_request(client, wat, sessionUri=first["sessionUri"])
    assert "accessToken" not in polled
    assert polled["sessionStatus"] == "IN_PROGRESS"

    page = httpx.get(first["authorizationUrl"])  # the user opens it: approved on visit
    assert page.status_code == 200
    assert "connected" in page.text

    token = _token_request(client, wat, sessionUri=first["sessionUri"])["accessToken"]
    claims = _claims(token)
    assert (claims["sub"], claims["client_id"], claims["scope"]) == ("ada", "calendar", "calendar.read")
    assert _token_request(client, wat) == {"accessToken": token}  # the vault: no consent the second time
    other = client.get_workload_access_token_for_user_id(workloadName="cal_mcp", userId="lin")
    assert "authorizationUrl" in _token_request(
        client, other["workloadAccessToken"]
    )  # one user's consent only
    assert "authorizationUrl" in _token_request(client, wat, forceAuthentication=True)
    assert httpx.get(first["authorizationUrl"]).status_code == 400  # a consent URL works once
    assert emulator.identity.providers.visits == 1


def test_with_a_return_url_the_token_waits_for_session_binding(identity: tuple[Emulator, Any]) -> None:
    _, client = identity
    wat = client.get_workload_access_token_for_user_id(workloadName="cal_mcp", userId="ada")[
        "workloadAccessToken"
    ]
    first = _token_request(
        client, wat, resourceOauth2ReturnUrl="https://app.example.com/cb", customState="s1"
    )
    visit = httpx.get(first["authorizationUrl"])
    assert visit.status_code == 302
    back = urlsplit(visit.headers["location"])
    assert back.netloc == "app.example.com"
    assert parse_qs(back.query) == {"session_id": [first["sessionUri"]], "state": ["s1"]}
    assert "accessToken" not in _token_request(client, wat, sessionUri=first["sessionUri"])
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.complete_resource_token_auth(sessionUri=first["sessionUri"], userIdentifier={"userId": "eve"})
    client.complete_resource_token_auth(sessionUri=first["sessionUri"], userIdentifier={"userId": "ada"})
    assert "accessToken" in _token_request(client, wat, sessionUri=first["sessionUri"])


def test_m2m_unknown_providers_bad_tokens_and_bad_signatures(identity: tuple[Emulator, Any]) -> None:
    emulator, client = identity
    wat = client.get_workload_access_token(workloadName="cal_mcp")["workloadAccessToken"]
    m2m = client.get_resource_oauth2_token(
        workloadIdentityToken=wat, resourceCredentialProviderName="calendar", scopes=["s"], oauth2Flow="M2M"
    )
    assert _claims(m2m["accessToken"])["client_id"] == "calendar"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_resource_oauth2_token(
            workloadIdentityToken=wat, resourceCredentialProviderName="nope", scopes=["s"], oauth2Flow="M2M"
        )
    not_workload = emulator.mint_token()  # an access token, not a workload access token
    with pytest.raises(client.exceptions.UnauthorizedException):
        client.get_resource_oauth2_token(
            workloadIdentityToken=not_workload,
            resourceCredentialProviderName="calendar",
            scopes=[],
            oauth2Flow="M2M",
        )
    assert emulator.base_url is not None
    wrong_secret = agentcore(emulator.base_url, secret="wrong")
    with pytest.raises(wrong_secret.exceptions.ClientError) as refused:
        wrong_secret.get_workload_access_token(workloadName="cal_mcp")
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    unsigned = httpx.post(
        f"{emulator.base_url}/identities/GetWorkloadAccessToken", json={"workloadName": "abc"}
    )
    assert unsigned.status_code == 403


async def test_bedrock_agentcores_decorator_completes_the_flow_against_the_emulator(
    identity: tuple[Emulator, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, client = identity
    import bedrock_agentcore.services.identity as sdk_identity
    from bedrock_agentcore.identity import requires_access_token
    from bedrock_agentcore.runtime.context import BedrockAgentCoreContext

    assert emulator.base_url is not None
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", emulator.base_url)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(sdk_identity, "DEFAULT_POLLING_INTERVAL_SECONDS", 0.05)  # the SDK waits 5 s a poll
    opened: list[str] = []

    async def open_it(url: str) -> None:  # the SDK awaits a coroutine-function on_auth_url
        opened.append(url)
        async with httpx.AsyncClient() as http:
            (await http.get(url)).raise_for_status()

    @requires_access_token(
        provider_name="calendar", scopes=["calendar.read"], auth_flow="USER_FEDERATION", on_auth_url=open_it
    )
    async def events(*, access_token: str) -> str:
        return access_token

    wat = client.get_workload_access_token_for_user_id(workloadName="cal_mcp", userId="ada")[
        "workloadAccessToken"
    ]
    BedrockAgentCoreContext.set_workload_access_token(wat)
    token = await events()
    assert _claims(token)["sub"] == "ada"
    assert len(opened) == 1
    assert await events() == token  # from the vault: no second consent
    assert len(opened) == 1
