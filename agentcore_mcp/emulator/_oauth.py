"""The OAuth documents and routes: a JWT runtime's protected-resource metadata and the local issuer's OIDC.

``GET /runtimes/{arn}/invocations/.well-known/oauth-protected-resource`` is the RFC 9728 document a JWT
runtime's 401 challenge points at; ``/oidc/...`` serves the local issuer (discovery, JWKS, the authorization
code's ``/authorize`` and the ``/token`` grants).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import parse_qs, quote

from pydantic_core import to_json

from agentcore_mcp.emulator._base import JSON, EmulatorBase, Receive, Scope, Send, header
from agentcore_mcp.emulator._platform_errors import Refusal, api_error
from agentcore_mcp.emulator._runtimes import invocations_path

__all__ = ["OAuthRoutes", "protected_resource_url"]


def protected_resource_url(base_url: str | None, arn: str, qualifier: str) -> str:
    """The URL of the runtime's RFC 9728 protected-resource document (a 401 challenge's resource_metadata)."""
    path = f"/runtimes/{quote(arn, safe='')}/invocations/.well-known/oauth-protected-resource"
    return f"{base_url}{path}?qualifier={quote(qualifier, safe='')}"


def _basic_client_id(raw: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The client id of an HTTP Basic ``Authorization`` header (RFC 6749 §2.3.1), or None."""
    basic = header(raw, b"authorization") or ""
    if not basic.lower().startswith("basic "):
        return None
    try:
        return base64.b64decode(basic[6:]).decode().split(":", 1)[0] or None
    except ValueError:
        return None


class OAuthRoutes(EmulatorBase):
    """The emulator's OAuth documents and the local issuer's OpenID routes."""

    async def _protected_resource(self, scope: Scope, send: Send, identifier: str) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        qualifier = (query.get("qualifier") or ["DEFAULT"])[0]
        runtime = self.registry.resolve(identifier, (query.get("accountId") or [None])[0], self.region)
        if runtime is None or runtime.auth != "jwt" or runtime.jwt is None:
            refusal = api_error(
                "ResourceNotFoundException", f"No OAuth-protected runtime '{identifier}'", 404
            )
            await self._answer(send, refusal.status, refusal.headers, refusal.body)
            return
        discovery = runtime.jwt.discovery_url or self.issuer.discovery_url
        issuer = discovery.removesuffix("/.well-known/openid-configuration")
        document = {
            "resource": f"{self.base_url}{invocations_path(runtime.arn, qualifier)}",
            "authorization_servers": [issuer],
            "bearer_methods_supported": ["header"],
        }
        if runtime.jwt.allowed_scopes:
            document["scopes_supported"] = list(runtime.jwt.allowed_scopes)
        await self._answer(send, 200, JSON, to_json(document))

    async def _oidc(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        if path == "/.well-known/openid-configuration":
            await self._answer(send, 200, JSON, to_json(self.issuer.discovery()))
        elif path == "/.well-known/jwks.json":
            await self._answer(send, 200, JSON, to_json(self.issuer.jwks()))
        elif path == "/authorize" and scope["method"] == "GET":
            query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
            status, text = self.issuer.authorize(query)
            if status == 302:
                await self._answer(send, 302, [(b"location", text.encode("latin-1"))], b"")
            else:
                error = {"error": "invalid_request", "error_description": text}
                await self._answer(send, status, JSON, to_json(error))
        elif path == "/token" and scope["method"] == "POST":
            try:
                body = await self._read_body(scope, receive)
            except (Refusal, ConnectionError):
                await self._answer(send, 400, JSON, b'{"error":"invalid_request"}')
                return
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            status, answer = self.issuer.token_grant(form, _basic_client_id(scope["headers"]))
            await self._answer(send, status, [*JSON, (b"cache-control", b"no-store")], to_json(answer))
        else:
            await self._answer(send, 404, JSON, b'{"error":"not_found"}')
