"""How the local Gateway reaches one MCP-server target: its URL, its outbound credentials, its catalogue.

A target is moto's ``GatewayTarget`` record with ``targetConfiguration.mcp.mcpServer`` (``endpoint``,
``listingMode``). :class:`TargetLink` is the gateway's MCP client for it: the legacy handshake once
(``initialize``, ``notifications/initialized``), the target's ``Mcp-Session-Id`` kept and sent again (on
AgentCore Runtime that keeps one microVM behind the target), every request signed when the target's
outbound credential provider is ``GATEWAY_IAM_ROLE`` ("MCP servers targets": the gateway signs with its
execution role, SigV4, the ``iamCredentialProvider.service`` signing name). Locally the role's key is
:data:`GATEWAY_ROLE`, which the emulator accepts as it accepts any configured key: the target runtime sees
the gateway's signature, never the caller's token. With an ``OAUTH`` provider (``oauthCredentialProvider``:
``providerArn``, ``scopes``, grant ``CLIENT_CREDENTIALS``) the gateway sends a bearer token it obtained for
the provider instead; locally every provider is the emulator's own issuer, and the token's ``client_id`` is
the provider's name (the ARN's last segment) with the configured scopes, so a JWT runtime on the emulator
that allows that client accepts it.

An endpoint on AgentCore's own data plane (``https://bedrock-agentcore.REGION.amazonaws.com/runtimes/...``)
is the emulator itself when run locally, so the same target configuration works in both places.
:class:`Catalogue` is what a ``DEFAULT`` target was last indexed as (tools, prompts, resources, resource
templates), and when.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic_core import from_json, to_json

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator._sigv4 import Credentials

__all__ = ["GATEWAY_ROLE", "Catalogue", "TargetFailed", "TargetLink", "mcp_server"]

#: The local stand-in for every gateway's execution role (its SigV4 key).
GATEWAY_ROLE = Credentials("ASIAGATEWAYROLELOCAL", "local-gateway-execution-role")
_DATA_PLANE_HOST = re.compile(r"bedrock-agentcore\.[a-z0-9-]+\.amazonaws\.com")
_HANDSHAKE_VERSION = "2025-06-18"
_LISTS = (
    ("tools/list", "tools"),
    ("prompts/list", "prompts"),
    ("resources/list", "resources"),
    ("resources/templates/list", "resourceTemplates"),
)


class TargetFailed(Exception):
    """The target did not answer usably (unreachable, an HTTP error, or a JSON-RPC error)."""


def mcp_server(record: Any) -> dict[str, Any] | None:
    """The ``mcpServer`` configuration of a target record, or None for other target types."""
    config = (record.target_configuration or {}).get("mcp") or {}
    server = config.get("mcpServer")
    return server if isinstance(server, dict) else None


@dataclass
class Catalogue:
    """A target's lists as last indexed, and the record version (``updatedAt``) they were indexed for."""

    lists: dict[str, list[dict[str, Any]]]
    indexed_for: Any
    synchronized_at: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc)
    )


def _messages(response_body: bytes, content_type: str) -> list[Any]:
    if content_type.startswith(wire.EVENT_STREAM):
        found = []
        for event in response_body.replace(b"\r\n", b"\n").split(b"\n\n"):
            data = b"\n".join(
                line[5:].lstrip(b" ") for line in event.split(b"\n") if line.startswith(b"data:")
            )
            if data:
                found.append(from_json(data))
        return found
    return [from_json(response_body)] if response_body.strip() else []


class TargetLink:
    """The gateway's MCP client for one target (see the module docstring)."""

    def __init__(
        self,
        record: Any,
        http: Any,
        base_url: str | None,
        region: str,
        mint: Callable[..., str] | None = None,
    ) -> None:
        server = mcp_server(record) or {}
        self.name: str = record.name
        self.endpoint: str = str(server.get("endpoint", ""))
        self.listing_mode: str = str(server.get("listingMode") or "DEFAULT")
        self.http = http
        self.url = self._local_url(self.endpoint, base_url)
        self.signing: tuple[str, str] | None = None
        self.oauth: tuple[str, list[str]] | None = None
        for provider in record.credential_provider_configurations or []:
            if provider.get("credentialProviderType") == "GATEWAY_IAM_ROLE":
                iam = (provider.get("credentialProvider") or {}).get("iamCredentialProvider") or {}
                self.signing = (
                    str(iam.get("service") or "bedrock-agentcore"),
                    str(iam.get("region") or region),
                )
            elif provider.get("credentialProviderType") == "OAUTH":
                oauth = (provider.get("credentialProvider") or {}).get("oauthCredentialProvider") or {}
                self.oauth = (
                    str(oauth.get("providerArn", "")).rsplit("/", 1)[-1],
                    list(oauth.get("scopes") or []),
                )
        self.credentials = repr(record.credential_provider_configurations)  # a changed record: a new link
        self._mint = mint
        self._token: tuple[str, float] | None = None
        self.session_id: str | None = None
        self._initialized = False
        self._ids = 0

    @staticmethod
    def _local_url(endpoint: str, base_url: str | None) -> str:
        parts = urlsplit(endpoint)
        if base_url is not None and _DATA_PLANE_HOST.fullmatch(parts.hostname or ""):
            return base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return endpoint

    def headers(self, extra: dict[str, str] | None = None, *, session: bool = True) -> dict[str, str]:
        headers = {"content-type": wire.JSON, "accept": wire.ACCEPT}
        if session and self.session_id is not None:
            headers[wire.MCP_SESSION_ID] = self.session_id
        headers.update(extra or {})
        return headers

    def bearer(self) -> str | None:
        """The OAuth target's access token (client credentials, renewed before its hour is up), or None."""
        if self.oauth is None or self._mint is None:
            return None
        if self._token is None or time.monotonic() > self._token[1]:
            client, scopes = self.oauth
            token = self._mint(subject=client, client_id=client, scopes=scopes, expires_in=3600.0)
            self._token = (token, time.monotonic() + 3000.0)
        return self._token[0]

    def sign(self, request: Any) -> None:
        """Sign ``request`` (an ``httpx.Request``) as the gateway's role, when the target asks for SigV4,
        or give it the OAuth provider's bearer token."""
        token = self.bearer()
        if token is not None:
            request.headers["Authorization"] = f"Bearer {token}"
        if self.signing is None:
            return
        import importlib

        # botocore ships no type information; imported by name as elsewhere in the package.
        SigV4Auth: Any = importlib.import_module("botocore.auth").SigV4Auth
        AWSRequest: Any = importlib.import_module("botocore.awsrequest").AWSRequest
        ReadOnlyCredentials: Any = importlib.import_module("botocore.credentials").ReadOnlyCredentials
        service, region = self.signing
        signed = AWSRequest(
            method=request.method,
            url=str(request.url),
            headers={"content-type": request.headers.get("content-type", wire.JSON)},
            data=request.content,
        )
        creds = ReadOnlyCredentials(GATEWAY_ROLE.access_key, GATEWAY_ROLE.secret_key, GATEWAY_ROLE.token)
        SigV4Auth(creds, service, region).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            value = signed.headers.get(name)
            if value is not None:
                request.headers[name] = value

    async def open(self, body: bytes, headers: dict[str, str]) -> Any:
        """Send ``body`` and return the streaming ``httpx.Response`` (the caller closes it)."""
        request = self.http.build_request("POST", self.url, content=body, headers=headers)
        self.sign(request)
        try:
            return await self.http.send(request, stream=True)
        except Exception as exc:  # an unreachable target is the gateway's error to report, not a crash
            raise TargetFailed(f"target {self.name} is unreachable: {type(exc).__name__}: {exc}") from None

    async def _exchange(self, message: dict[str, Any]) -> Any:
        headers = self.headers({wire.MCP_PROTOCOL_VERSION: _HANDSHAKE_VERSION} if self._initialized else None)
        response = await self.open(to_json(message), headers)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        if response.status_code == 404 and self.session_id is not None:
            self.session_id, self._initialized = None, False  # the target forgot the session: start again
            raise TargetFailed(f"target {self.name} ended its session")
        if response.status_code >= 400:
            raise TargetFailed(f"target {self.name} answered HTTP {response.status_code}")
        session = response.headers.get(wire.MCP_SESSION_ID)
        if session:
            self.session_id = session
        if "id" not in message:
            return None
        for reply in _messages(body, response.headers.get("content-type", "")):
            if isinstance(reply, dict) and reply.get("id") == message["id"]:
                if "error" in reply:
                    error = reply["error"]
                    raise TargetFailed(f"{error.get('message')} (JSON-RPC error {error.get('code')})")
                return reply.get("result")
        raise TargetFailed(f"target {self.name} sent no answer to {message['method']}")

    async def handshake(self) -> None:
        """``initialize`` and ``notifications/initialized`` once per target session (legacy era)."""
        if self._initialized:
            return
        self._ids += 1
        await self._exchange(
            {
                "jsonrpc": "2.0",
                "id": f"gateway-{self._ids}",
                "method": "initialize",
                "params": {
                    "protocolVersion": _HANDSHAKE_VERSION,
                    "capabilities": {"elicitation": {}, "sampling": {}},
                    "clientInfo": {"name": "agentcore-gateway-local", "version": "1"},
                },
            }
        )
        self._initialized = True
        await self._exchange({"jsonrpc": "2.0", "method": "notifications/initialized"})

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """One request in the target's session (made first when needed); its result."""
        for attempt in (1, 2):
            await self.handshake()
            self._ids += 1
            message = {
                "jsonrpc": "2.0",
                "id": f"gateway-{self._ids}",
                "method": method,
                "params": params or {},
            }
            try:
                return await self._exchange(message)
            except TargetFailed:
                if attempt == 2 or self._initialized:
                    raise
        raise AssertionError("unreachable")

    async def list_everything(self) -> dict[str, list[dict[str, Any]]]:
        """Every page of tools, prompts, resources and resource templates (a list the target lacks: empty)."""
        lists: dict[str, list[dict[str, Any]]] = {}
        for method, key in _LISTS:
            items: list[dict[str, Any]] = []
            cursor = None
            for _ in range(100):
                try:
                    result = await self.request(method, {"cursor": cursor} if cursor else {})
                except TargetFailed as exc:
                    if method == "tools/list" or "-32601" not in str(exc):
                        raise
                    break
                items.extend(item for item in (result or {}).get(key, []) if isinstance(item, dict))
                cursor = (result or {}).get("nextCursor")
                if not cursor:
                    break
            lists[key] = items
        return lists
