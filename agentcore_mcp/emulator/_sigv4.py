"""Caller authentication by AWS Signature Version 4, as an AgentCore runtime with IAM auth does it.

:class:`SigV4Verifier` recomputes the request's signature with botocore's own signer and the emulator's
configured credentials (access key id -> secret), and compares. A missing or malformed signature, an
unknown access key, a signature more than five minutes away from now or one scoped to the wrong region or
service is refused with HTTP 403 and the error code AWS uses (:class:`SignatureRejected`).

The body is always part of what is signed. botocore's canonical request takes the payload hash from an
``X-Amz-Content-SHA256`` header when there is one instead of hashing the body, so that header, when sent,
must be the hex SHA-256 of the body actually received (otherwise a signed request replayed within the
clock window could carry another body), and ``UNSIGNED-PAYLOAD`` (or any ``STREAMING-*`` marker) is
refused: botocore signs ``bedrock-agentcore`` with plain ``v4`` (not ``s3v4``), hashes every payload and
sends no such header, and AWS documents no unsigned-payload mode for InvokeAgentRuntime, so accepting one
would be the emulator's own invention (the refusal's wording is inferred).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Credentials", "SigV4Verifier", "SignatureRejected", "signed_header_names", "signing_scope"]

SIGV4_SERVICE = "bedrock-agentcore"
MAX_CLOCK_SKEW = 300.0  # seconds, as AWS allows
_ALGORITHM = "AWS4-HMAC-SHA256 "
_INVALID_TOKEN = "The security token included in the request is invalid."


@dataclass(frozen=True)
class Credentials:
    """An access key the emulator accepts SigV4 signatures from.

    ``invoke_for_user``: the key's principal holds ``bedrock-agentcore:InvokeAgentRuntimeForUser``, so its
    signed requests may name a user in ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id``.
    """

    access_key: str
    secret_key: str
    token: str | None = None
    invoke_for_user: bool = False


class SignatureRejected(Exception):
    """A SigV4 check failed; ``code`` is the AWS error code (all answered with HTTP 403)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def signing_scope(authorization: str | None) -> tuple[str, str, str, str] | None:
    """``(access_key, date, region, service)`` from a SigV4 ``Authorization`` header, or None."""
    if not authorization or not authorization.startswith(_ALGORITHM):
        return None
    parts = _auth_fields(authorization).get("Credential", "").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return None
    return parts[0], parts[1], parts[2], parts[3]


def signed_header_names(authorization: str | None) -> frozenset[str]:
    """The (lower-case) header names a SigV4 ``Authorization`` header lists in ``SignedHeaders``."""
    if signing_scope(authorization) is None:
        return frozenset()
    assert authorization is not None
    return frozenset(h for h in _auth_fields(authorization).get("SignedHeaders", "").lower().split(";") if h)


def _auth_fields(authorization: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in authorization[len(_ALGORITHM) :].split(","):
        key, _, value = item.strip().partition("=")
        fields[key] = value
    return fields


@dataclass(frozen=True)
class _Signed:
    """What the caller's ``Authorization`` header claims."""

    access_key: str
    date: str
    region: str
    service: str
    headers: list[str]
    signature: str


class SigV4Verifier:
    """Verifies AWS Signature Version 4 on incoming requests with botocore's signer.

    Args:
        credentials: the access keys accepted.
        service: the signing name requests must be scoped to.
        wall_clock: the time source for the five-minute skew check (``time.time``).
    """

    def __init__(
        self,
        credentials: Mapping[str, Credentials],
        *,
        service: str = SIGV4_SERVICE,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = dict(credentials)
        self.service = service
        self._now = wall_clock

    def verify(
        self,
        *,
        method: str,
        host: str,
        raw_path: bytes,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        region: str,
    ) -> str:
        """Check the request's signature; returns the access key id that signed it.

        The checks run in the order AWS reports them: the header's shape, the access key, the scope, the
        date, the session token, the payload hash, then the signature itself.

        Raises:
            SignatureRejected: missing, malformed, unknown key, expired, wrong scope, a payload hash that is
                not the body's, or wrong signature.
        """
        lookup: dict[str, list[str]] = {}
        for key, value in headers:
            lookup.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        signed = _parse_authorization((lookup.get("authorization") or [""])[0])
        creds = self.credentials.get(signed.access_key)
        if creds is None:
            raise SignatureRejected("UnrecognizedClientException", _INVALID_TOKEN)
        self._check_scope(signed, region)
        stamp = self._check_date(signed, (lookup.get("x-amz-date") or [""])[0])
        if (
            creds.token is not None
            and next(iter(lookup.get("x-amz-security-token", [])), None) != creds.token
        ):
            raise SignatureRejected("UnrecognizedClientException", _INVALID_TOKEN)
        _check_payload_hash(lookup.get("x-amz-content-sha256", []), body)
        target = f"http://{host}{raw_path.decode('latin-1')}"
        if query:
            target += "?" + query.decode("latin-1")
        try:
            expected = _signature(creds, signed, method, target, body, lookup, stamp)
        except ValueError:
            # botocore parses the URL (a Host such as "[" is not an authority): refused, never a 500.
            raise SignatureRejected(
                "IncompleteSignatureException", "The Host header is not a valid host name"
            ) from None
        if not hmac.compare_digest(expected, signed.signature):
            raise SignatureRejected(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.",
            )
        return signed.access_key

    def _check_scope(self, signed: _Signed, region: str) -> None:
        if signed.service != self.service:
            raise SignatureRejected(
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: '{self.service}'.",
            )
        if signed.region != region:
            raise SignatureRejected(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region, not '{signed.region}'. "
                f"The runtime is in '{region}'.",
            )

    def _check_date(self, signed: _Signed, stamp: str) -> str:
        try:
            when = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            raise SignatureRejected(
                "IncompleteSignatureException", "X-Amz-Date header is missing or malformed"
            ) from None
        if stamp[:8] != signed.date:
            raise SignatureRejected(
                "InvalidSignatureException", "Date in Credential scope does not match X-Amz-Date"
            )
        if abs(self._now() - when.timestamp()) > MAX_CLOCK_SKEW:
            raise SignatureRejected(
                "InvalidSignatureException",
                f"Signature expired: {stamp} is more than 5 minutes away from now.",
            )
        return stamp


def _check_payload_hash(claimed: list[str], body: bytes) -> None:
    """Every ``X-Amz-Content-SHA256`` value sent must be the body's own hash (see the module docstring)."""
    if not claimed:
        return  # botocore's canonical request then hashes the body itself
    if any(value.strip().upper().startswith(("UNSIGNED-PAYLOAD", "STREAMING-")) for value in claimed):
        raise SignatureRejected(
            "InvalidSignatureException",
            "UNSIGNED-PAYLOAD is not accepted: the request payload must be signed.",
        )
    digest = hashlib.sha256(body).hexdigest()
    if any(value.strip().lower() != digest for value in claimed):
        raise SignatureRejected(
            "InvalidSignatureException",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )


def _parse_authorization(authorization: str) -> _Signed:
    scope = signing_scope(authorization)
    if scope is None:
        raise SignatureRejected(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token" if not authorization else "Authorization header is not SigV4",
        )
    fields = _auth_fields(authorization)
    headers = [h for h in fields.get("SignedHeaders", "").split(";") if h]
    given = fields.get("Signature", "")
    if not headers or not given or "host" not in headers:
        raise SignatureRejected(
            "IncompleteSignatureException",
            "Authorization header requires Signature and SignedHeaders (including host)",
        )
    return _Signed(*scope, headers=headers, signature=given)


def _signature(
    creds: Credentials,
    signed: _Signed,
    method: str,
    url: str,
    body: bytes,
    lookup: Mapping[str, list[str]],
    stamp: str,
) -> str:
    """The signature botocore computes over exactly the headers the caller signed."""
    # botocore ships no type information; its signer is used as an untyped module.
    botocore_auth: Any = importlib.import_module("botocore.auth")
    botocore_request: Any = importlib.import_module("botocore.awsrequest")
    botocore_credentials: Any = importlib.import_module("botocore.credentials")
    request = botocore_request.AWSRequest(method=method, url=url, data=body)
    header_map = botocore_request.HTTPHeaders()
    for name in signed.headers:
        for item in lookup.get(name, []):
            header_map[name] = item
    request.headers = header_map
    request.context["timestamp"] = stamp
    signer = botocore_auth.SigV4Auth(
        botocore_credentials.Credentials(creds.access_key, creds.secret_key, creds.token),
        signed.service,
        signed.region,
    )
    signer.headers_to_sign = lambda _request: header_map
    canonical = signer.canonical_request(request)
    result: str = signer.signature(signer.string_to_sign(request, canonical), request)
    return result
