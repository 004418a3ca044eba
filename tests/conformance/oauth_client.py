"""The SDK's OAuth provider for an ``auth/*`` client scenario, as a headless application would build it.

The suite's authorization server redirects ``/authorize`` straight back to the redirect URI with the code (no
login page), so "the user" is a GET of the authorization URL whose ``Location`` the callback hands back. The
scenario's context (``MCP_CONFORMANCE_CONTEXT``) carries pre-registered credentials where the scenario has
them: a client secret (pre-registration, client credentials) or a private key (``private_key_jwt``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.auth.extensions.client_credentials import (
    ClientCredentialsOAuthProvider,
    PrivateKeyJWTOAuthProvider,
    SignedJWTParameters,
)
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

REDIRECT_URI = "http://localhost:3030/callback"
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"  # the suite's CIMD document


class MemoryStorage(TokenStorage):
    """Tokens and client registration for one run."""

    def __init__(self, client_info: OAuthClientInformationFull | None = None) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info = client_info

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class HeadlessBrowser:
    """Follows the authorization URL once and keeps what the redirect back carries."""

    def __init__(self) -> None:
        self._query: dict[str, list[str]] = {}

    async def open(self, authorization_url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=False) as http:
            response = await http.get(authorization_url)
        location = response.headers.get("location", "")
        self._query = parse_qs(urlsplit(location).query)

    async def callback(self) -> AuthorizationCodeResult:
        def first(name: str) -> str | None:
            values = self._query.get(name)
            return values[0] if values else None

        return AuthorizationCodeResult(code=first("code") or "", state=first("state"), iss=first("iss"))


def oauth_provider(scenario: str, url: str, context: dict[str, Any]) -> OAuthClientProvider:
    """The provider an application would pass as ``auth=`` for this scenario's server."""
    client_id = context.get("client_id")
    if scenario == "auth/client-credentials-jwt":
        jwt = SignedJWTParameters(
            issuer=client_id,
            subject=client_id,
            signing_key=context["private_key_pem"],
            signing_algorithm=context.get("signing_algorithm", "ES256"),
        )
        return PrivateKeyJWTOAuthProvider(
            url, MemoryStorage(), client_id, jwt.create_assertion_provider(), issuer=context.get("issuer")
        )
    if scenario == "auth/client-credentials-basic":
        return ClientCredentialsOAuthProvider(
            url, MemoryStorage(), client_id, context["client_secret"], issuer=context.get("issuer")
        )
    registered = None
    if client_id and context.get("client_secret"):  # auth/pre-registration: no dynamic registration
        registered = OAuthClientInformationFull(
            client_id=client_id,
            client_secret=context["client_secret"],
            redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
            token_endpoint_auth_method="client_secret_basic",
            issuer=context.get("issuer"),
        )
    browser = HeadlessBrowser()
    return OAuthClientProvider(
        url,
        OAuthClientMetadata(
            client_name="agentcore-mcp-conformance-client",
            redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
            grant_types=["authorization_code", "refresh_token"],
        ),
        MemoryStorage(registered),
        redirect_handler=browser.open,
        callback_handler=browser.callback,
        client_metadata_url=CLIENT_METADATA_URL,
    )
