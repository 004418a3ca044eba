"""AgentCore Identity's data plane, locally: workload access tokens and OAuth2 tokens from the token vault.

The operations of botocore's ``bedrock-agentcore`` 2024-02-28 model that bedrock-agentcore's
``IdentityClient`` calls, on their modelled paths (rest-json, JSON bodies, SigV4 signing name
``bedrock-agentcore``, so the same signature check as InvokeAgentRuntime):

* ``POST /identities/GetWorkloadAccessToken`` (``workloadName``), ``…ForJWT`` (+ ``userToken``, a token
  of the local issuer), ``…ForUserId`` (+ ``userId``) → ``{"workloadAccessToken"}``, minted by the local
  issuer exactly as the emulator mints the token it injects into runtime requests (``token_use:
  workload``, ``workload_name``, ``sub`` = the user).
* ``POST /identities/oauth2/token`` (GetResourceOauth2Token): ``M2M`` answers ``accessToken`` at once;
  ``USER_FEDERATION`` answers the vault's token, or starts a consent session (``authorizationUrl``,
  ``sessionUri``, ``sessionStatus: IN_PROGRESS``) at the local provider (:mod:`._consent`); polling with
  the ``sessionUri`` answers the token once the consent page was visited.
* ``POST /identities/CompleteResourceTokenAuth`` (``sessionUri``, ``userIdentifier``): session binding.

Errors are the model's: ``ValidationException`` 400, ``UnauthorizedException`` 401 (a workload or user
token that does not verify), ``AccessDeniedException`` 403, ``ResourceNotFoundException`` 404.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from pydantic_core import from_json, to_json

from agentcore_mcp.emulator._consent import (
    CONSENT_PATH,
    SESSION_URI_PREFIX,
    TOKEN_LIFETIME,
    ConsentSession,
    LocalProviders,
)
from agentcore_mcp.emulator._issuer import LocalIssuer
from agentcore_mcp.emulator._platform_errors import Refusal, api_error, validation_error
from agentcore_mcp.emulator._sigv4 import signing_scope

__all__ = ["IdentityPlane"]

logger = logging.getLogger("agentcore_mcp.emulator")

Scope = Mapping[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]

_WORKLOAD_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_PROVIDER_NAME = re.compile(r"[a-zA-Z0-9\-_]{1,128}")
_SESSION_URI = re.compile(re.escape(SESSION_URI_PREFIX) + r"[a-zA-Z0-9-._~]+")
_FLOWS = ("USER_FEDERATION", "M2M", "ON_BEHALF_OF_TOKEN_EXCHANGE")
_JSON = [(b"content-type", b"application/json")]
_OPERATIONS = {
    "/identities/GetWorkloadAccessToken": "GetWorkloadAccessToken",
    "/identities/GetWorkloadAccessTokenForJWT": "GetWorkloadAccessTokenForJWT",
    "/identities/GetWorkloadAccessTokenForUserId": "GetWorkloadAccessTokenForUserId",
    "/identities/oauth2/token": "GetResourceOauth2Token",
    "/identities/CompleteResourceTokenAuth": "CompleteResourceTokenAuth",
}


def _string(
    body: Mapping[str, Any], member: str, *, required: bool = True, limit: int = 131072
) -> str | None:
    value = body.get(member)
    if value is None:
        if required:
            raise validation_error(member, "Member must not be null")
        return None
    if not isinstance(value, str) or not value:
        raise validation_error(member, "Member must have length greater than or equal to 1")
    if len(value) > limit:
        raise validation_error(member, f"Member must have length less than or equal to {limit}")
    return value


def _matching(body: Mapping[str, Any], member: str, pattern: re.Pattern[str]) -> str:
    value = _string(body, member)
    assert value is not None
    if not pattern.fullmatch(value):
        raise validation_error(member, f"Member must satisfy regular expression pattern: {pattern.pattern}")
    return value


class IdentityPlane:
    """The ``/identities/…`` routes: the data plane (signed POSTs) and the local consent page (a GET).

    Args:
        issuer: the emulator's local issuer, which signs workload, user and provider tokens.
        providers: the OAuth2 credential providers, their consent sessions and the token vault.
        region: the region assumed for a request that is not signed (it is refused all the same).
        base_url: the emulator's URL once served (the consent page's host).
        read_body: reads a request's body under the emulator's payload cap.
        check_signature: verifies a request's SigV4 signature (raises the platform's 403 Refusal).
    """

    def __init__(
        self,
        issuer: LocalIssuer,
        providers: LocalProviders,
        *,
        region: str,
        base_url: Callable[[], str | None],
        read_body: Callable[[Scope, Receive], Awaitable[bytes]],
        check_signature: Callable[[Scope, bytes, str], str],
    ) -> None:
        self.issuer = issuer
        self.providers = providers
        self.region = region
        self._base_url = base_url
        self._read_body = read_body
        self._check_signature = check_signature

    def handles(self, method: str, path: str) -> bool:
        return (method == "POST" and path in _OPERATIONS) or (method == "GET" and path == CONSENT_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ``/identities/…`` request (:meth:`handles` said yes) and log it without secrets."""
        request_id = str(uuid.uuid4())
        try:
            operation, (status, headers, body) = await self._answer(scope, receive)
        except Refusal as refusal:
            status, headers, body = refusal.status, refusal.headers, refusal.body
            logger.info(
                "identity %s → %d %s", _OPERATIONS.get(scope["path"], "request"), status, refusal.reason
            )
        except ConnectionError:
            return
        else:
            logger.info("identity %s → %d", operation, status)
        out = [
            *headers,
            (b"x-amzn-requestid", request_id.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        try:
            await send({"type": "http.response.start", "status": status, "headers": out})
            await send({"type": "http.response.body", "body": body})
        except OSError:
            pass

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[str, Answer]:
        """The operation's name (for the log) and its HTTP answer; a Refusal when it fails."""
        if scope["method"] == "GET":
            query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
            return "consent page", self.providers.visit(query)
        operation = _OPERATIONS[scope["path"]]
        body = await self._read_body(scope, receive)
        authorization = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None
        )
        signed = signing_scope(authorization)
        self._check_signature(scope, body, signed[2] if signed else self.region)
        try:
            request = from_json(body) if body else {}
        except ValueError:
            raise api_error("SerializationException", "Malformed JSON body", 400) from None
        if not isinstance(request, dict):
            raise api_error("SerializationException", "The body must be a JSON object", 400)
        handler: Callable[[dict[str, Any]], dict[str, Any]] = getattr(self, f"_{operation}")
        return operation, (200, _JSON, to_json(handler(request)))

    # -- workload access tokens -------------------------------------------------------------------------

    def workload_token(self, workload: str, user: str | None) -> str:
        """A workload access token for ``workload`` acting for ``user`` (None: the workload alone)."""
        return self.issuer.mint(
            subject=user or "local-workload",
            client_id=None,
            expires_in=3600,
            claims={"token_use": "workload", "workload_name": workload},
        )

    def _GetWorkloadAccessToken(self, body: dict[str, Any]) -> dict[str, Any]:
        workload = _matching(body, "workloadName", _WORKLOAD_NAME)
        return {"workloadAccessToken": self.workload_token(workload, None)}

    def _GetWorkloadAccessTokenForJWT(self, body: dict[str, Any]) -> dict[str, Any]:
        workload = _matching(body, "workloadName", _WORKLOAD_NAME)
        user_token = _string(body, "userToken")
        assert user_token is not None
        claims = self._verified(user_token, "the user token")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise api_error("UnauthorizedException", "The user token has no subject", 401)
        return {"workloadAccessToken": self.workload_token(workload, subject)}

    def _GetWorkloadAccessTokenForUserId(self, body: dict[str, Any]) -> dict[str, Any]:
        workload = _matching(body, "workloadName", _WORKLOAD_NAME)
        user = _string(body, "userId", limit=128)
        return {"workloadAccessToken": self.workload_token(workload, user)}

    def _verified(self, token: str, what: str) -> dict[str, Any]:
        import jwt

        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.issuer.public_key(),
                algorithms=["RS256"],
                issuer=self.issuer.issuer_url,
                options={"verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise api_error("UnauthorizedException", f"Invalid {what}: {exc}", 401) from None
        return claims

    def _workload_identity(self, body: dict[str, Any]) -> tuple[str, str]:
        """(workload name, user) of the request's ``workloadIdentityToken``."""
        token = _string(body, "workloadIdentityToken")
        assert token is not None
        claims = self._verified(token, "workload access token")
        workload = claims.get("workload_name")
        if claims.get("token_use") != "workload" or not isinstance(workload, str):
            raise api_error("UnauthorizedException", "The token is not a workload access token", 401)
        return workload, str(claims.get("sub") or "")

    # -- OAuth2 tokens ----------------------------------------------------------------------------------

    def _GetResourceOauth2Token(self, body: dict[str, Any]) -> dict[str, Any]:
        workload, user = self._workload_identity(body)
        provider = _matching(body, "resourceCredentialProviderName", _PROVIDER_NAME)
        scopes = body.get("scopes")
        if scopes is None:
            raise validation_error("scopes", "Member must not be null")
        if not isinstance(scopes, list) or not all(isinstance(s, str) and 1 <= len(s) <= 128 for s in scopes):
            raise validation_error("scopes", "Member must be a list of strings of length 1 to 128")
        flow = _string(body, "oauth2Flow")
        if flow not in _FLOWS:
            raise validation_error("oauth2Flow", f"Member must satisfy enum value set: [{', '.join(_FLOWS)}]")
        if provider not in self.providers.names:
            raise api_error("ResourceNotFoundException", f"Credential provider {provider} not found", 404)
        wanted = tuple(sorted(set(scopes)))
        if flow == "M2M":
            key = (workload, "", provider, wanted)
            token = self.providers.stored(key)
            if token is None:
                token = self.providers.mint(f"{provider}-client", provider, wanted)
                self.providers.vault[key] = (token, _expires())
            return {"accessToken": token}
        if flow != "USER_FEDERATION":
            raise validation_error("oauth2Flow", "ON_BEHALF_OF_TOKEN_EXCHANGE is not emulated")
        return self._user_federation(body, workload, user, provider, wanted)

    def _user_federation(
        self, body: dict[str, Any], workload: str, user: str, provider: str, scopes: tuple[str, ...]
    ) -> dict[str, Any]:
        uri = body.get("sessionUri")
        if uri is not None:
            uri = _matching(body, "sessionUri", _SESSION_URI)
            session = self.providers.find(uri)
            if session is None or session.key != (workload, user, provider, scopes):
                raise api_error("ResourceNotFoundException", "Session not found", 404)
            if session.status == "COMPLETE":
                return {"accessToken": session.token, "sessionUri": uri}
            if session.status == "FAILED":
                return {"sessionUri": uri, "sessionStatus": "FAILED"}
            # The user consented in another session for the same workload, provider and scopes (a 2026-07-28
            # retry re-runs the tool, which starts a second session before the user opened the first URL):
            # the vault holds their token, so this session's poll gets it too.
            stored = (
                self.providers.stored(session.key) if body.get("forceAuthentication") is not True else None
            )
            if stored is not None:
                return {"accessToken": stored, "sessionUri": uri}
            return {"authorizationUrl": self._url(session), "sessionUri": uri, "sessionStatus": "IN_PROGRESS"}
        if body.get("forceAuthentication") is not True:
            token = self.providers.stored((workload, user, provider, scopes))
            if token is not None:
                return {"accessToken": token}
        session = self.providers.start(
            workload=workload,
            user=user,
            provider=provider,
            scopes=scopes,
            return_url=_string(body, "resourceOauth2ReturnUrl", required=False, limit=2048),
            custom_state=_string(body, "customState", required=False, limit=4096),
        )
        return {
            "authorizationUrl": self._url(session),
            "sessionUri": session.uri,
            "sessionStatus": "IN_PROGRESS",
        }

    def _url(self, session: ConsentSession) -> str:
        base = self._base_url()
        if base is None:  # pragma: no cover - a request reached us, so the emulator knows its URL
            raise api_error("InternalServerException", "the emulator is not bound to a URL", 500)
        return self.providers.authorization_url(base, session)

    def _CompleteResourceTokenAuth(self, body: dict[str, Any]) -> dict[str, Any]:
        uri = _matching(body, "sessionUri", _SESSION_URI)
        identifier = body.get("userIdentifier")
        if not isinstance(identifier, dict) or len(identifier) != 1:
            raise validation_error("userIdentifier", "Member must have exactly one of userToken, userId")
        if "userToken" in identifier:
            token = _string(identifier, "userToken")
            assert token is not None
            user = str(self._verified(token, "the user token").get("sub") or "")
        else:
            user = _string(identifier, "userId", limit=128) or ""
        problem = self.providers.complete(uri, user)
        if problem == "not found":
            raise api_error("ResourceNotFoundException", "Session not found", 404)
        if problem == "mismatch":
            raise api_error(
                "AccessDeniedException", "The user does not match the user who started the session", 403
            )
        if problem is not None:
            raise validation_error("sessionUri", "The session has not been authorized yet")
        return {}


def _expires() -> float:
    return time.time() + TOKEN_LIFETIME
