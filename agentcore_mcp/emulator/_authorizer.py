"""Caller authentication as an AgentCore runtime does it: SigV4 (IAM) or a custom JWT authorizer.

* :class:`SigV4Verifier` recomputes the request's Signature Version 4 with botocore's own signer and the
  emulator's configured credentials (access key id -> secret), and compares. A bad signature, an unknown
  access key, a signature older than five minutes or one scoped to the wrong region or service is refused
  with HTTP 403 and the error code AWS uses.
* :class:`LocalIssuer` is a small OpenID provider for local runs: an RSA key, a JWKS document, an OpenID
  discovery document and a ``client_credentials`` token endpoint, so a runtime's JWT authorizer can point at
  it exactly as it would point at Cognito.
* :class:`JWTVerifier` checks a bearer token against a runtime's authorizer: signature (keys from the
  issuer's discovery document and JWKS, or the local issuer), issuer, expiry, audience, client id, scopes.
"""

from __future__ import annotations

import datetime as dt
import hmac
import importlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "Credentials",
    "JWTVerifier",
    "LocalIssuer",
    "SigV4Verifier",
    "TokenRejected",
    "signing_scope",
]

SIGV4_SERVICE = "bedrock-agentcore"
MAX_CLOCK_SKEW = 300.0  # seconds, as AWS allows
TOKEN_EXPIRY_MARGIN = 60.0  # AgentCore refuses tokens that expire within the next minute


@dataclass(frozen=True)
class Credentials:
    """An access key the emulator accepts SigV4 signatures from."""

    access_key: str
    secret_key: str
    token: str | None = None


def signing_scope(authorization: str | None) -> tuple[str, str, str, str] | None:
    """``(access_key, date, region, service)`` from a SigV4 ``Authorization`` header, or None."""
    if not authorization or not authorization.startswith("AWS4-HMAC-SHA256 "):
        return None
    fields = _auth_fields(authorization)
    parts = fields.get("Credential", "").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return None
    return parts[0], parts[1], parts[2], parts[3]


def _auth_fields(authorization: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in authorization[len("AWS4-HMAC-SHA256 ") :].split(","):
        key, _, value = item.strip().partition("=")
        fields[key] = value
    return fields


class SignatureRejected(Exception):
    """A SigV4 check failed; ``code`` is the AWS error code (all answered with HTTP 403)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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

        Raises:
            SignatureRejected: missing, malformed, unknown key, expired, wrong scope or wrong signature.
        """
        # botocore ships no type information; its signer is used as an untyped module.
        botocore_auth: Any = importlib.import_module("botocore.auth")
        botocore_request: Any = importlib.import_module("botocore.awsrequest")
        botocore_credentials: Any = importlib.import_module("botocore.credentials")

        lookup: dict[str, list[str]] = {}
        for key, value in headers:
            lookup.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        authorization = (lookup.get("authorization") or [""])[0]
        scope = signing_scope(authorization)
        if scope is None:
            raise SignatureRejected(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token" if not authorization else "Authorization header is not SigV4",
            )
        access_key, date, scope_region, service = scope
        fields = _auth_fields(authorization)
        signed = [h for h in fields.get("SignedHeaders", "").split(";") if h]
        given = fields.get("Signature", "")
        if not signed or not given or "host" not in signed:
            raise SignatureRejected(
                "IncompleteSignatureException",
                "Authorization header requires Signature and SignedHeaders (including host)",
            )
        creds = self.credentials.get(access_key)
        if creds is None:
            raise SignatureRejected(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        if service != self.service:
            raise SignatureRejected(
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: '{self.service}'.",
            )
        if scope_region != region:
            raise SignatureRejected(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region, not '{scope_region}'. The runtime is in '{region}'.",
            )
        stamp = (lookup.get("x-amz-date") or [""])[0]
        try:
            when = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            raise SignatureRejected(
                "IncompleteSignatureException", "X-Amz-Date header is missing or malformed"
            ) from None
        if stamp[:8] != date:
            raise SignatureRejected(
                "InvalidSignatureException", "Date in Credential scope does not match X-Amz-Date"
            )
        skew = abs(self._now() - when.timestamp())
        if skew > MAX_CLOCK_SKEW:
            raise SignatureRejected(
                "InvalidSignatureException",
                f"Signature expired: {stamp} is more than 5 minutes away from now.",
            )
        if creds.token is not None:
            token = next(iter(lookup.get("x-amz-security-token", [])), None)
            if token != creds.token:
                raise SignatureRejected(
                    "UnrecognizedClientException", "The security token included in the request is invalid."
                )

        target = f"http://{host}{raw_path.decode('latin-1')}"
        if query:
            target += "?" + query.decode("latin-1")
        request = botocore_request.AWSRequest(method=method, url=target, data=body)
        header_map = botocore_request.HTTPHeaders()
        for name in signed:
            for item in lookup.get(name, []):
                header_map[name] = item
        request.headers = header_map
        request.context["timestamp"] = stamp

        signer = botocore_auth.SigV4Auth(
            botocore_credentials.Credentials(creds.access_key, creds.secret_key, creds.token),
            service,
            scope_region,
        )
        signer.headers_to_sign = lambda _request: header_map  # exactly the headers the caller signed
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, given):
            raise SignatureRejected(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.",
            )
        return access_key


# -- JWT ------------------------------------------------------------------------------------------------


class TokenRejected(Exception):
    """A bearer token failed verification; the message says why (sent to the caller)."""


class LocalIssuer:
    """A local OpenID provider: signs RS256 tokens and publishes discovery and JWKS documents.

    Its URLs live under ``<emulator base URL>/oidc``; :meth:`bind` sets the base once the emulator knows
    where it is served. Tokens look like Cognito access tokens (``client_id``, ``scope``, ``token_use``)
    and carry ``aud`` when asked for one.
    """

    def __init__(self, base_url: str | None = None) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]
        self._base: str | None = None
        if base_url:
            self.bind(base_url)

    def bind(self, base_url: str) -> None:
        """Set the emulator's base URL (``http://127.0.0.1:PORT``); the issuer is ``<base>/oidc``."""
        self._base = base_url.rstrip("/")

    @property
    def bound(self) -> bool:
        return self._base is not None

    @property
    def issuer_url(self) -> str:
        if self._base is None:
            raise RuntimeError("the local issuer has no URL yet: serve the emulator (or call bind()) first")
        return f"{self._base}/oidc"

    @property
    def discovery_url(self) -> str:
        """The OpenID discovery document, for a runtime's ``customJWTAuthorizer.discoveryUrl``."""
        return f"{self.issuer_url}/.well-known/openid-configuration"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer_url}/.well-known/jwks.json"

    @property
    def token_url(self) -> str:
        return f"{self.issuer_url}/token"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer_url,
            "jwks_uri": self.jwks_url,
            "token_endpoint": self.token_url,
            "authorization_endpoint": f"{self.issuer_url}/authorize",
            "response_types_supported": ["code", "token"],
            "grant_types_supported": ["client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        }

    def jwks(self) -> dict[str, Any]:
        import json

        from jwt.algorithms import RSAAlgorithm

        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def public_key(self) -> Any:
        return self._key.public_key()

    def mint(
        self,
        *,
        subject: str = "local-user",
        client_id: str | None = "local-client",
        audience: str | list[str] | None = None,
        scopes: list[str] | tuple[str, ...] = (),
        expires_in: float = 3600.0,
        issuer: str | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed RS256 token from this issuer (negative ``expires_in`` gives an expired one).

        ``issuer`` overrides ``iss`` (to test a token from the wrong issuer); ``claims`` adds or replaces
        claims.
        """
        import jwt

        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": issuer or self.issuer_url,
            "sub": subject,
            "iat": now,
            "exp": now + int(expires_in),
            "jti": uuid.uuid4().hex,
            "token_use": "access",
        }
        if client_id is not None:
            payload["client_id"] = client_id
        if audience is not None:
            payload["aud"] = audience
        if scopes:
            payload["scope"] = " ".join(scopes)
        payload.update(claims or {})
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.kid})


@dataclass
class _Keys:
    issuer: str
    jwks_uri: str
    keys: dict[str, Any]
    fetched: float


class JWTVerifier:
    """Verifies bearer tokens for JWT runtimes; remote issuers' documents are fetched and cached."""

    CACHE_SECONDS = 300.0

    def __init__(self, local: LocalIssuer) -> None:
        self.local = local
        self._cache: dict[str, _Keys] = {}

    async def verify(self, token: str, authorizer: Any, http: Any) -> dict[str, Any]:
        """The token's claims when ``authorizer`` (a JWTAuthorizer) accepts it.

        Raises:
            TokenRejected: with the reason.
        """
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRejected("Invalid Bearer token: the token is not a JWT") from None
        kid = header.get("kid")
        discovery = authorizer.discovery_url
        if discovery is None or (self.local.bound and discovery == self.local.discovery_url):
            issuer, key = self.local.issuer_url, (self.local.public_key() if kid == self.local.kid else None)
        else:
            issuer, key = await self._remote_key(discovery, kid, http)
        if key is None:
            raise TokenRejected("Invalid Bearer token: signed with a key the issuer does not publish")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256", "RS384", "RS512", "ES256", "ES384"],
                issuer=issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("Invalid Bearer token: the token has expired") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected(f"Invalid Bearer token: the issuer is not {issuer}") from None
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"Invalid Bearer token: {exc}") from None
        if float(claims["exp"]) - time.time() < TOKEN_EXPIRY_MARGIN:
            raise TokenRejected("Invalid Bearer token: the token expires within a minute")
        if authorizer.allowed_audience:
            aud = claims.get("aud")
            auds = {aud} if isinstance(aud, str) else set(aud or [])
            if not auds & set(authorizer.allowed_audience):
                raise TokenRejected("Invalid Bearer token: the audience is not allowed")
        if authorizer.allowed_clients:
            client = claims.get("client_id") or claims.get("azp")
            if client is None and isinstance(claims.get("aud"), str):
                client = claims["aud"]  # ID tokens name the client in aud
            if client not in authorizer.allowed_clients:
                raise TokenRejected("Invalid Bearer token: the client is not allowed")
        if authorizer.allowed_scopes:
            raw = claims.get("scope", claims.get("scp", ""))
            scopes = set(raw.split()) if isinstance(raw, str) else set(raw or [])
            if not scopes & set(authorizer.allowed_scopes):
                raise TokenRejected("Invalid Bearer token: the token carries none of the allowed scopes")
        return claims

    async def _remote_key(self, discovery_url: str, kid: str | None, http: Any) -> tuple[str, Any]:
        import jwt

        cached = self._cache.get(discovery_url)
        stale = cached is None or time.monotonic() - cached.fetched > self.CACHE_SECONDS
        if stale or (cached is not None and kid not in cached.keys):
            try:
                doc = (await http.get(discovery_url, timeout=10)).raise_for_status().json()
                jwks = (await http.get(doc["jwks_uri"], timeout=10)).raise_for_status().json()
                keys = {str(k.get("kid", "")): jwt.PyJWK(k).key for k in jwks.get("keys", [])}
            except Exception as exc:
                raise TokenRejected(
                    f"Cannot verify the token: the issuer's keys are unreachable ({exc})"
                ) from None
            cached = _Keys(doc["issuer"], doc["jwks_uri"], keys, time.monotonic())
            self._cache[discovery_url] = cached
        assert cached is not None
        return cached.issuer, cached.keys.get(kid or "")


def host_of(url: str) -> str:
    return urlsplit(url).netloc
