"""The local OpenID provider and bearer-token verification, as a runtime's custom JWT authorizer does it.

* :class:`LocalIssuer` is a small OpenID provider for local runs: an RSA key, a JWKS document, an OpenID
  discovery document and a token endpoint, so a runtime's JWT authorizer can point at it exactly as it would
  point at Cognito; :meth:`LocalIssuer.mint` signs tokens. Grants: ``client_credentials``, and for a person
  at a desktop ``authorization_code`` with PKCE (RFC 7636, S256 only) through a loopback redirect (RFC 8252
  §7.3: ``http://127.0.0.1``, ``[::1]`` or ``localhost``, any port), approved at once without a login page,
  plus ``refresh_token`` (rotated on each use). :meth:`LocalIssuer.authorize` and
  :meth:`LocalIssuer.token_grant` are the two endpoints' logic; the emulator routes HTTP to them.
* :class:`JWTVerifier` checks a bearer token against a runtime's authorizer: signature (keys from the
  issuer's discovery document and JWKS, or the local issuer), issuer, expiry, audience, client id, scopes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

__all__ = ["JWTVerifier", "LocalIssuer", "TokenRejected"]

TOKEN_EXPIRY_MARGIN = 60.0  # AgentCore refuses tokens that expire within the next minute
CODE_LIFETIME = 600.0  # RFC 6749 §4.1.2: a short lifetime; 10 minutes maximum recommended
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass
class _Grant:
    """What an authorization code or a refresh token stands for."""

    client_id: str
    scopes: tuple[str, ...]
    subject: str
    redirect_uri: str = ""
    challenge: str = ""
    expires: float = 0.0


def _oauth_error(error: str, description: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": error, "error_description": description}


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
        self.access_token_lifetime = 3600.0  # seconds, for tokens from the token endpoint
        self.subject = "local-user"  # the person the authorization endpoint approves, at once
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self.grants: dict[str, int] = {}  # grant_type -> how many tokens it issued (for tests and logs)
        if base_url:
            self.bind(base_url)

    def rotate_key(self) -> None:
        """Sign with a new key from now on; tokens signed with the old one no longer verify (HTTP 401)."""
        from cryptography.hazmat.primitives.asymmetric import rsa

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]

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
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
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

    # -- the authorization endpoint and the token endpoint (RFC 6749, RFC 7636, RFC 8252) ----------------

    def authorize(self, query: Mapping[str, str]) -> tuple[int, str]:
        """``GET /oidc/authorize``: approve at once; ``(302, redirect URL)`` or ``(400, reason)``.

        Requires ``response_type=code``, a ``client_id``, a loopback ``http`` ``redirect_uri`` and an S256
        ``code_challenge``. Errors in the redirect URI itself are answered 400 without redirecting
        (RFC 6749 §4.1.2.1); the others are redirected with ``error=``.
        """
        redirect_uri = query.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS:
            return 400, "redirect_uri must be a loopback http URL (RFC 8252 §7.3)"
        state = {"state": query["state"]} if "state" in query else {}
        separator = "&" if parts.query else "?"

        def redirect(**params: str) -> tuple[int, str]:
            return 302, f"{redirect_uri}{separator}{urlencode({**params, **state})}"

        client_id = query.get("client_id", "")
        if query.get("response_type") != "code" or not client_id:
            return redirect(error="invalid_request", error_description="response_type=code and a client_id")
        challenge = query.get("code_challenge", "")
        if query.get("code_challenge_method") != "S256" or not 43 <= len(challenge) <= 128:
            return redirect(error="invalid_request", error_description="PKCE with code_challenge_method=S256")
        code = secrets.token_urlsafe(32)
        self._codes[code] = _Grant(
            client_id,
            tuple(query.get("scope", "").split()),
            self.subject,
            redirect_uri,
            challenge,
            time.monotonic() + CODE_LIFETIME,
        )
        return redirect(code=code)

    def token_grant(
        self, form: Mapping[str, str], client_id: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """``POST /oidc/token``: ``(200, token response)`` or ``(400, OAuth error)``.

        ``client_id`` is the one from HTTP Basic auth when the client sent it there. Grants:
        ``client_credentials``, ``authorization_code`` (with the PKCE ``code_verifier``) and
        ``refresh_token``; codes are single use, refresh tokens rotate.
        """
        client_id = form.get("client_id") or client_id
        grant_type = form.get("grant_type")
        if not client_id:
            return _oauth_error("invalid_request", "a client_id")
        if grant_type == "client_credentials":
            grant = _Grant(client_id, tuple(form.get("scope", "").split()), client_id)
            return self._issue(grant_type, grant, form.get("audience"), refresh=False)
        if grant_type == "authorization_code":
            code = self._codes.pop(form.get("code", ""), None)
            if code is None or code.expires < time.monotonic() or code.client_id != client_id:
                return _oauth_error("invalid_grant", "unknown, expired or already used code")
            if form.get("redirect_uri") != code.redirect_uri:
                return _oauth_error("invalid_grant", "redirect_uri differs from the authorization request")
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code.challenge:
                return _oauth_error("invalid_grant", "code_verifier does not match the code_challenge")
            return self._issue(grant_type, code, None, refresh=True)
        if grant_type == "refresh_token":
            held = self._refresh.pop(form.get("refresh_token", ""), None)
            if held is None or held.client_id != client_id:
                return _oauth_error("invalid_grant", "unknown or already used refresh token")
            return self._issue(grant_type, held, None, refresh=True)
        return 400, {"error": "unsupported_grant_type", "error_description": str(grant_type)}

    def _issue(
        self, grant_type: str, grant: _Grant, audience: str | None, *, refresh: bool
    ) -> tuple[int, dict[str, Any]]:
        token = self.mint(
            subject=grant.subject,
            client_id=grant.client_id,
            audience=audience,
            scopes=grant.scopes,
            expires_in=self.access_token_lifetime,
        )
        answer: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self.access_token_lifetime),
        }
        if grant.scopes:
            answer["scope"] = " ".join(grant.scopes)
        if refresh:
            refresh_token = secrets.token_urlsafe(32)
            self._refresh[refresh_token] = _Grant(grant.client_id, grant.scopes, grant.subject)
            answer["refresh_token"] = refresh_token
        self.grants[grant_type] = self.grants.get(grant_type, 0) + 1
        return 200, answer


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
