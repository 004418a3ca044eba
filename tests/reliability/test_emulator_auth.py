"""The emulator's caller authentication under attack: SigV4 (expired, wrong scope, tampered, malformed)
and JWT (expired, wrong audience, wrong issuer, alg none, bad signature, key confusion, garbage).

Every refusal is the status AgentCore uses (403 for SigV4, 401 with a challenge for JWT), never a 5xx,
and the emulator keeps serving."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from agentcore_mcp.emulator import Emulator, Runtime
from agentcore_mcp.emulator._sigv4 import SigV4Verifier

from . import harness
from .apps import build_app
from .conftest import fuzz_settings

PING = harness.dumps(harness.legacy("ping"))
KEY_ID, SECRET = "AKIDEMULATORTESTS", "emulator-tests-secret"


@dataclass
class Setup:
    emulator: Emulator
    base: str
    sigv4: Runtime
    jwt: Runtime

    def sigv4_url(self) -> str:
        return self.emulator.invocations_url(self.sigv4)

    def jwt_url(self) -> str:
        return self.emulator.invocations_url(self.jwt)


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    emulator = Emulator(credentials={KEY_ID: SECRET}, control_plane=False)
    app = build_app()
    sigv4 = emulator.add_runtime(app, name="signed_rel", auth="sigv4")
    oauth = emulator.add_runtime(
        app, name="oauth_rel", auth="jwt", allowed_audience=["mcp-api"], allowed_clients=["tutorial"]
    )
    with emulator.serve() as base:
        yield Setup(emulator, base, sigv4, oauth)


def _signed(
    url: str,
    body: bytes = PING,
    *,
    region: str = "us-east-1",
    service: str = "bedrock-agentcore",
    key: str = KEY_ID,
    secret: str = SECRET,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": "application/json", "Accept": harness.ACCEPT, **(extra or {})},
    )
    SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
    return dict(request.headers.items())


def _post(url: str, headers: dict[str, str], body: bytes = PING) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers, timeout=10)


def _still_serves(setup: Setup) -> None:
    answer = _post(setup.sigv4_url(), _signed(setup.sigv4_url()))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


def _aws_error(response: httpx.Response) -> str:
    return str(response.headers.get("x-amzn-errortype", ""))


# -- SigV4 ------------------------------------------------------------------------------------------------


def test_a_valid_signature_is_served(setup: Setup) -> None:
    _still_serves(setup)


@pytest.mark.parametrize("shift", [-600.0, 600.0])
def test_a_signature_more_than_five_minutes_off_is_403(setup: Setup, shift: float) -> None:
    verifier = setup.emulator.sigv4
    setup.emulator.sigv4 = SigV4Verifier(verifier.credentials, wall_clock=lambda: time.time() + shift)
    try:
        response = _post(setup.sigv4_url(), _signed(setup.sigv4_url()))
    finally:
        setup.emulator.sigv4 = verifier
    assert response.status_code == 403
    assert _aws_error(response) == "InvalidSignatureException"
    assert "Signature expired" in response.json()["message"]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"region": "eu-west-1"}, "InvalidSignatureException"),
        ({"service": "s3"}, None),  # another service's signature is routed to the control plane, or refused
        ({"secret": "not-the-secret"}, "InvalidSignatureException"),
        ({"key": "AKIDUNKNOWN"}, "UnrecognizedClientException"),
    ],
)
def test_wrong_scope_key_or_secret_is_403(setup: Setup, options: dict[str, Any], error: str | None) -> None:
    response = _post(setup.sigv4_url(), _signed(setup.sigv4_url(), **options))
    assert response.status_code in (403, 404) if error is None else response.status_code == 403
    if error is not None:
        assert _aws_error(response) == error
    _still_serves(setup)


def test_a_body_or_signed_header_changed_after_signing_is_403(setup: Setup) -> None:
    url = setup.sigv4_url()
    headers = _signed(url)
    other = harness.dumps(harness.legacy("tools/list"))
    assert _post(url, headers, other).status_code == 403
    tampered = dict(headers, **{"X-Amz-Date": headers["X-Amz-Date"][:-3] + "00Z"})
    assert _post(url, tampered).status_code == 403
    replay_url = url.replace("qualifier=DEFAULT", "qualifier=DEFAULT&x=1")
    assert _post(replay_url, headers).status_code in (403, 404)
    _still_serves(setup)


def test_a_bearer_token_on_a_sigv4_runtime_is_refused(setup: Setup) -> None:
    token = setup.emulator.mint_token(client_id="tutorial", audience="mcp-api")
    response = _post(
        setup.sigv4_url(),
        {"Authorization": f"Bearer {token}", "Accept": harness.ACCEPT, "Content-Type": "application/json"},
    )
    assert response.status_code == 403


authorization_values = st.one_of(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=200),
    st.builds(
        lambda cred, signed, sig: (
            f"AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders={signed}, Signature={sig}"
        ),
        st.one_of(
            st.just(f"{KEY_ID}/20260101/us-east-1/bedrock-agentcore/aws4_request"),
            st.text(
                st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=","), max_size=60
            ),
        ),
        st.one_of(
            st.just("host;x-amz-date"),
            st.just(""),
            st.text(
                st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=","), max_size=30
            ),
        ),
        st.one_of(
            st.just("0" * 64),
            st.text(
                st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=","), max_size=70
            ),
        ),
    ),
)


@fuzz_settings(80)
@given(
    authorization=authorization_values,
    date=st.one_of(
        st.just("20260101T000000Z"),
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20),
    ),
)
def test_malformed_sigv4_authorization_is_always_a_403_never_a_5xx(
    setup: Setup, authorization: str, date: str
) -> None:
    headers = {
        "Authorization": authorization,
        "X-Amz-Date": date,
        "Accept": harness.ACCEPT,
        "Content-Type": "application/json",
    }
    response = _post(setup.sigv4_url(), headers)
    assert response.status_code == 403, (response.status_code, response.text)
    assert _aws_error(response)


# -- JWT --------------------------------------------------------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": harness.ACCEPT, "Content-Type": "application/json"}


def _refused(setup: Setup, token: str) -> str:
    response = _post(setup.jwt_url(), _bearer(token))
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.json()["error"]["code"] == -32001
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"')
    assert "\r" not in challenge
    assert "\n" not in challenge
    message: str = response.json()["error"]["message"]
    assert token not in message
    assert token not in challenge
    return message


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_good_token_is_served(setup: Setup) -> None:
    token = setup.emulator.mint_token(client_id="tutorial", audience="mcp-api")
    response = _post(setup.jwt_url(), _bearer(token))
    assert response.status_code == 200
    assert response.json()["result"] == {}


def test_expired_and_nearly_expired_tokens_are_401(setup: Setup) -> None:
    expired = setup.emulator.mint_token(client_id="tutorial", audience="mcp-api", expires_in=-120)
    assert "expired" in _refused(setup, expired)
    nearly = setup.emulator.mint_token(client_id="tutorial", audience="mcp-api", expires_in=30)
    assert "within a minute" in _refused(setup, nearly)


def test_wrong_audience_client_or_issuer_is_401(setup: Setup) -> None:
    mint = setup.emulator.mint_token
    assert "audience" in _refused(setup, mint(client_id="tutorial", audience="other-api"))
    assert "audience" in _refused(setup, mint(client_id="tutorial"))
    assert "client" in _refused(setup, mint(client_id="intruder", audience="mcp-api"))
    assert "issuer" in _refused(
        setup, mint(client_id="tutorial", audience="mcp-api", issuer="https://evil.example/oidc")
    )


def test_alg_none_is_401(setup: Setup) -> None:
    kid = setup.emulator.issuer.kid
    claims = {
        "iss": setup.emulator.issuer.issuer_url,
        "client_id": "tutorial",
        "aud": "mcp-api",
        "exp": int(time.time()) + 3600,
    }
    for header in ({"alg": "none", "typ": "JWT", "kid": kid}, {"alg": "none"}, {"alg": "None", "kid": kid}):
        _refused(setup, f"{_b64(header)}.{_b64(claims)}.")


def test_a_token_not_yet_valid_is_401(setup: Setup) -> None:
    later = setup.emulator.mint_token(
        client_id="tutorial", audience="mcp-api", claims={"nbf": int(time.time()) + 600}
    )
    assert "not yet valid" in _refused(setup, later)


def test_an_unknown_or_missing_kid_is_401(setup: Setup) -> None:
    claims = {
        "iss": setup.emulator.issuer.issuer_url,
        "client_id": "tutorial",
        "aud": "mcp-api",
        "exp": int(time.time()) + 3600,
    }
    # Signed with the issuer's own key, under a header it never writes: the key is found by kid alone.
    own = setup.emulator.issuer._key
    for headers in ({"kid": "not-a-published-kid"}, {}):
        token = jwt.encode(claims, own, algorithm="RS256", headers=headers)
        assert "a key the issuer does not publish" in _refused(setup, token)


def test_a_foreign_key_with_the_issuers_kid_is_a_bad_signature(setup: Setup) -> None:
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {
        "iss": setup.emulator.issuer.issuer_url,
        "client_id": "tutorial",
        "aud": "mcp-api",
        "exp": int(time.time()) + 3600,
    }
    token = jwt.encode(claims, foreign, algorithm="RS256", headers={"kid": setup.emulator.issuer.kid})
    assert "Signature verification failed" in _refused(setup, token)


def test_hs256_signed_with_the_public_key_is_refused(setup: Setup) -> None:
    public = setup.emulator.issuer.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {
        "iss": setup.emulator.issuer.issuer_url,
        "client_id": "tutorial",
        "aud": "mcp-api",
        "exp": int(time.time()) + 3600,
    }
    header = {"alg": "HS256", "typ": "JWT", "kid": setup.emulator.issuer.kid}
    import hashlib
    import hmac

    signing_input = f"{_b64(header)}.{_b64(claims)}"
    signature = (
        base64.urlsafe_b64encode(hmac.new(public, signing_input.encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    _refused(setup, f"{signing_input}.{signature}")


def test_a_tampered_payload_is_refused(setup: Setup) -> None:
    token = setup.emulator.mint_token(client_id="tutorial", audience="other-api")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["aud"] = "mcp-api"
    _refused(setup, f"{header}.{_b64(claims)}.{signature}")


tokens = st.one_of(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=200),
    st.builds(
        lambda h, p, s: f"{h}.{p}.{s}",
        st.one_of(
            st.just(_b64({"alg": "RS256", "kid": "x"})),
            st.builds(
                _b64,
                st.dictionaries(
                    st.sampled_from(["alg", "kid", "typ", "crit", "jku", "x5u"]),
                    st.one_of(
                        st.text(max_size=10), st.integers(), st.lists(st.integers(), max_size=2), st.none()
                    ),
                ),
            ),
        ),
        st.one_of(
            st.just(_b64({"exp": 1})),
            st.builds(
                _b64,
                st.dictionaries(
                    st.sampled_from(["iss", "exp", "aud", "client_id", "nbf", "iat"]),
                    st.one_of(
                        st.text(max_size=10),
                        st.integers(),
                        st.floats(allow_nan=False),
                        st.lists(st.text(max_size=5), max_size=2),
                    ),
                ),
            ),
        ),
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="."), max_size=60),
    ),
)


@fuzz_settings(120)
@given(token=tokens)
def test_garbage_bearer_tokens_are_always_401_never_a_5xx(setup: Setup, token: str) -> None:
    response = _post(setup.jwt_url(), _bearer(token))
    assert response.status_code == 401, (response.status_code, response.text)
    assert "\n" not in response.headers.get("www-authenticate", "")


def test_the_emulator_keeps_serving_after_every_refusal(setup: Setup) -> None:
    _still_serves(setup)
    token = setup.emulator.mint_token(client_id="tutorial", audience="mcp-api")
    assert _post(setup.jwt_url(), _bearer(token)).status_code == 200
