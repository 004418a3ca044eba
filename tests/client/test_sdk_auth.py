"""The mcp 2.x SDK's ``OAuthClientProvider`` as ``AgentCoreTransport(url, auth=...)``: the whole flow.

A protected MCP server on loopback with its own small authorization server: a request without a token gets
401 and ``WWW-Authenticate`` naming the protected-resource metadata; the provider then discovers the
authorization server (RFC 9728, RFC 8414), registers dynamically, runs the authorization code grant with PKCE
(the server checks the S256 challenge), and the transport retries with the token. ``tools/call`` needs a
second scope: its 403 ``insufficient_scope`` makes the provider authorize again for both (step-up).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx
import pytest

from agentcore_mcp import AgentCoreMCP, AgentCoreTransport, tool
from agentcore_mcp.server._local import serve_in_thread

from .conftest import MCP_MAJOR

pytestmark = pytest.mark.skipif(MCP_MAJOR < 2, reason="mcp 1.x providers are httpx.Auth objects already")

READ, WRITE = "mcp:read", "mcp:write"


@tool
async def add(a: int, b: int) -> int:
    return a + b


@dataclass
class AuthServer:
    """An authorization server and the resource it guards, in one ASGI app (paths as the spec puts them)."""

    mcp: Any
    base: str = ""
    challenges: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (S256 challenge, scope)
    tokens: dict[str, set[str]] = field(default_factory=dict)
    seen_tokens: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.mcp(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, headers, answer = self.route(scope, body)
        if status == 0:  # the MCP endpoint, token accepted: replay the body to the server
            await self.mcp(scope, _replay(body), send)
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    def route(self, scope: dict[str, Any], body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        path, query = scope["path"], parse_qs(scope.get("query_string", b"").decode())
        if path == "/.well-known/oauth-protected-resource/mcp":
            return _json({"resource": f"{self.base}/mcp", "authorization_servers": [self.base]})
        if path == "/.well-known/oauth-authorization-server":
            return _json(self.metadata())
        if path == "/register":
            self.registered.append(json.loads(body)["client_name"])
            return _json({"client_id": "dyn-client", "redirect_uris": json.loads(body)["redirect_uris"]}, 201)
        if path == "/authorize":
            code = secrets.token_urlsafe(8)
            self.challenges[code] = (query["code_challenge"][0], query.get("scope", [""])[0])
            back = {"code": code, "state": query["state"][0], "iss": self.base}
            return 302, [(b"location", f"{query['redirect_uri'][0]}?{urlencode(back)}".encode())], b""
        if path == "/token":
            return self.token(parse_qs(body.decode()))
        return self.guard(scope, body)

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.base,
            "authorization_endpoint": f"{self.base}/authorize",
            "token_endpoint": f"{self.base}/token",
            "registration_endpoint": f"{self.base}/register",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": [READ, WRITE],
            "authorization_response_iss_parameter_supported": True,
        }

    def token(self, form: dict[str, list[str]]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        challenge, scope = self.challenges.pop(form["code"][0])
        verifier = form["code_verifier"][0].encode()
        if base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode() != challenge:
            return _json({"error": "invalid_grant"}, 400)
        access = f"tok-{len(self.tokens)}"
        self.tokens[access] = set(scope.split())
        return _json({"access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": scope})

    def guard(self, scope: dict[str, Any], body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        sent = dict(scope["headers"]).get(b"authorization", b"").decode()
        token = sent.removeprefix("Bearer ")
        if token not in self.tokens:
            prm = f'Bearer resource_metadata="{self.base}/.well-known/oauth-protected-resource/mcp"'
            return 401, [(b"www-authenticate", f'{prm}, scope="{READ}"'.encode())], b""
        self.seen_tokens.append(token)
        if b'"tools/call"' in body and WRITE not in self.tokens[token]:
            challenge = f'Bearer error="insufficient_scope", scope="{READ} {WRITE}"'
            return 403, [(b"www-authenticate", challenge.encode())], b""
        return 0, [], b""


def _json(data: dict[str, Any], status: int = 200) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return status, [(b"content-type", b"application/json")], json.dumps(data).encode()


def _replay(body: bytes) -> Any:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


@pytest.fixture
def protected() -> Iterator[AuthServer]:
    server = AuthServer(AgentCoreMCP("guarded", tools=[add]))
    with serve_in_thread(server) as base:
        server.base = base
        yield server


class Browser:
    """The user: opens the authorization URL, and the redirect's query is the callback."""

    def __init__(self) -> None:
        self.query: dict[str, list[str]] = {}
        self.opened = 0

    async def open(self, url: str) -> None:
        self.opened += 1
        async with httpx.AsyncClient() as http:
            location = (await http.get(url)).headers["location"]
        self.query = parse_qs(urlsplit(location).query)

    async def callback(self) -> Any:
        from mcp.shared.auth import AuthorizationCodeResult

        return AuthorizationCodeResult(**{name: values[0] for name, values in self.query.items()})


class Memory:
    def __init__(self) -> None:
        self.tokens: Any = None
        self.client: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info


def _provider(url: str, browser: Browser, storage: Memory) -> Any:
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientMetadata

    metadata = OAuthClientMetadata(client_name="sdk-auth-test", redirect_uris=["http://localhost:3030/cb"])  # type: ignore[list-item]
    return OAuthClientProvider(
        url, metadata, storage, redirect_handler=browser.open, callback_handler=browser.callback
    )


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_the_sdk_provider_drives_discovery_registration_pkce_and_step_up(
    protected: AuthServer, mode: str
) -> None:
    from mcp import Client

    url, browser, storage = f"{protected.base}/mcp", Browser(), Memory()
    with anyio.fail_after(30):
        async with Client(
            AgentCoreTransport(url, auth=_provider(url, browser, storage)), mode=mode
        ) as client:
            assert [t.name for t in (await client.list_tools()).tools] == ["add"]
            result = await client.call_tool("add", {"a": 2, "b": 3})
    assert result.structured_content == {"result": 5}
    assert protected.registered == ["sdk-auth-test"]  # dynamic registration, once
    assert browser.opened == 2  # the first login, then the step-up for mcp:write
    assert storage.tokens.scope is not None
    assert set(storage.tokens.scope.split()) == {READ, WRITE}
    assert protected.seen_tokens[0] == "tok-0"
    assert protected.seen_tokens[-1] == "tok-1"


async def test_a_failed_flow_surfaces_as_an_error_not_a_hang(protected: AuthServer) -> None:
    from mcp import Client

    class Refusing(Browser):
        async def open(self, url: str) -> None:
            self.query = {"code": ["wrong"], "state": ["forged"]}

    url = f"{protected.base}/mcp"
    with anyio.fail_after(30), pytest.raises(Exception):  # noqa: B017, PT011 - whatever the SDK raises
        async with Client(AgentCoreTransport(url, auth=_provider(url, Refusing(), Memory()))) as client:
            await client.list_tools()
    assert protected.seen_tokens == []


def test_an_httpx2_auth_is_wrapped_and_anything_else_is_refused() -> None:
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientMetadata

    from agentcore_mcp.client._sdk_auth import SdkAuth, is_sdk_auth

    metadata = OAuthClientMetadata(redirect_uris=["http://localhost:1/cb"])  # type: ignore[list-item]
    provider = OAuthClientProvider("http://127.0.0.1:1/mcp", metadata, Memory())  # type: ignore[arg-type]
    assert is_sdk_auth(provider)
    assert not is_sdk_auth(httpx.BasicAuth("a", "b"))
    assert isinstance(SdkAuth(provider), httpx.Auth)
    with pytest.raises(TypeError):
        SdkAuth(object())
    with pytest.raises(ValueError, match=r"httpx2\.Auth"):
        AgentCoreTransport("http://127.0.0.1:1/mcp", auth=object())  # type: ignore[arg-type]
