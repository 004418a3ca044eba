"""A local AgentCore Gateway: the MCP data plane of moto's gateways, and SynchronizeGatewayTargets.

moto (5.2) keeps the Gateway and GatewayTarget records (Create/Get/Update/Delete/List) but has no data
plane and no ``SynchronizeGatewayTargets``. This module answers both on the emulator's URL:

- ``POST /gateways/{gatewayId}/mcp`` is the gateway's MCP endpoint; ``GetGateway`` returns it as the
  ``gatewayUrl`` (AWS: ``https://{gatewayId}.gateway.bedrock-agentcore.{region}.amazonaws.com/mcp``).
- ``PUT /gateways/{gatewayId}/synchronizeTargets`` (botocore's ``SynchronizeGatewayTargets``: 202,
  ``{"targets": [GatewayTarget]}``) re-indexes the named targets.

What the gateway does, after AWS's devguide pages "MCP targets", "MCP servers targets", "Understand how
AgentCore Gateway tools are named", "Using a gateway" and "Search for tools ... with a natural language
query":

- Inbound: ``AWS_IAM`` checks SigV4 as the runtime data plane does (403 when missing or wrong);
  ``CUSTOM_JWT`` checks the bearer token against ``customJWTAuthorizer`` (the local issuer by default): 401
  with JSON-RPC -32001 and a ``WWW-Authenticate: Bearer`` challenge; ``NONE`` lets anyone in.
- Aggregation: one ``tools/list`` (and ``prompts/list``) across the targets, each name
  ``<target>___<name>``; ``resources/list`` and ``resources/templates/list`` concatenated (URIs kept, a
  ``resources/read`` goes to the target that listed the URI); ``tools/call`` and ``prompts/get`` go to the
  target the prefix names, with the prefix stripped, and the target's answer (JSON, or SSE with its progress
  and log notifications) is relayed as it streams.
- ``DEFAULT`` listing serves the catalogue indexed at the target's creation or update (the first request
  after it, locally) and at each sync: a server that changed is not seen until it is synchronized.
  ``DYNAMIC`` lists the target live on every request.
- ``x_amz_bedrock_agentcore_search`` (gateways with ``protocolConfiguration.mcp.searchType: SEMANTIC``) ranks
  the catalogued tools by the words of the query found in their names and descriptions (``_gateway_search``):
  the platform's search is semantic (embeddings), this one is a local word ranking.
- Both eras: the gateway answers ``initialize``, ``ping`` and ``server/discover`` itself and forwards calls
  in the caller's era (a 2026-07-28 call carries its ``_meta`` envelope through, and MRTR's
  ``input_required`` results and retries pass as they are). A handshake-era target's requests to the
  client (elicitation, sampling) get a gateway-wide id on the relayed SSE stream; the client's answer is
  sent to that target, in its session, under the target's own id.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from pydantic_core import from_json, to_json

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator._base import jsonrpc_id
from agentcore_mcp.emulator._gateway_search import (
    SEARCH_DEFINITION,
    SEARCH_TOOL,
    rank,
    search_enabled,
    search_query,
    search_result,
)
from agentcore_mcp.emulator._gateway_targets import (
    GATEWAY_ROLE,
    Catalogue,
    TargetFailed,
    TargetLink,
    mcp_server,
)
from agentcore_mcp.emulator._issuer import TokenRejected
from agentcore_mcp.emulator._platform_errors import Refusal, api_error, jsonrpc_error
from agentcore_mcp.emulator._runtimes import JWTAuthorizer

__all__ = ["SEPARATOR", "GatewayPlane", "local_gateway_urls"]

logger = logging.getLogger("agentcore_mcp.emulator")

SEPARATOR = "___"
_MCP = re.compile(r"/gateways/(?P<id>[^/]+)/mcp/?")
_SYNC = re.compile(r"/gateways/(?P<id>[^/]+)/synchronizeTargets/?")
_PRM = re.compile(r"/gateways/(?P<id>[^/]+)/\.well-known/oauth-protected-resource/?")
_JSON = [(b"content-type", b"application/json")]
_VERSIONS = ("2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26")
_PASSED = (b"content-type", wire.MCP_PROTOCOL_VERSION.encode())

Scope = Mapping[str, Any]
Send = Callable[[dict[str, Any]], Any]


def _backends() -> Any:
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    return bedrockagentcorecontrol_backends


def local_gateway_urls(base_url: Callable[[], str | None]) -> None:
    """Make moto's gateways report their local MCP URL as ``gatewayUrl``, targets their last sync, and
    updated gateways and targets go UPDATING -> READY as AgentCore's do.

    moto (5.2) reports ``https://{id}.gateway.bedrock-agentcore.{region}.amazonaws.com`` (no ``/mcp``), a
    host that does not resolve locally. Patched once, in moto's model (the fake of the remote service).
    """
    from moto.bedrockagentcorecontrol import models

    gateway_cls: Any = models.Gateway
    target_cls: Any = models.GatewayTarget
    if getattr(gateway_cls, "_agentcore_mcp_urls", False):
        gateway_cls._agentcore_mcp_base = base_url
        return
    gateway_dict, target_dict = gateway_cls.to_dict, target_cls.to_dict

    def gateway_to_dict(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = gateway_dict(self)
        base = gateway_cls._agentcore_mcp_base()
        if base is not None:
            result["gatewayUrl"] = f"{base}/gateways/{self.gateway_id}/mcp"
        return result

    def target_to_dict(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = target_dict(self)
        synchronized = getattr(self, "last_synchronized_at", None)
        if synchronized is not None:
            result["lastSynchronizedAt"] = synchronized
        return result

    def settles(update: Any) -> Any:
        def settled(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = update(self, *args, **kwargs)
            if ("UPDATING", "READY") not in self._transitions:  # moto models CREATING -> READY only
                self._transitions = [*self._transitions, ("UPDATING", "READY")]
            return result

        return settled

    gateway_cls.to_dict, target_cls.to_dict = gateway_to_dict, target_to_dict
    gateway_cls.update, target_cls.update = settles(gateway_cls.update), settles(target_cls.update)
    gateway_cls._agentcore_mcp_base = base_url
    gateway_cls._agentcore_mcp_urls = True


class _Request:
    """One JSON-RPC request to the gateway, its era, and the gateway's name for it in logs."""

    def __init__(self, message: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
        self.message = message
        self.id = message.get("id")
        self.method = str(message.get("method"))
        params = message.get("params")
        self.params: dict[str, Any] = params if isinstance(params, dict) else {}
        meta = self.params.get("_meta")
        version = meta.get(wire.META_PROTOCOL_VERSION) if isinstance(meta, dict) else None
        header = next((v.decode() for k, v in headers if k == wire.MCP_PROTOCOL_VERSION.encode()), None)
        self.version: str | None = version if isinstance(version, str) else header
        self.modern = wire.is_modern_version(self.version) and self.version is not None


class GatewayPlane:
    """The gateways' data plane and ``SynchronizeGatewayTargets``, for one emulator (see the module)."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.catalogues: dict[str, Catalogue] = {}
        self.links: dict[str, TargetLink] = {}
        self._pending: dict[str, tuple[TargetLink, Any]] = {}
        emulator.sigv4.credentials[GATEWAY_ROLE.access_key] = GATEWAY_ROLE
        local_gateway_urls(lambda: emulator.base_url)

    @staticmethod
    def handles(method: str, path: str) -> bool:
        """True for the paths this plane answers (moto answers the other ``/gateways`` paths)."""
        return (
            _MCP.fullmatch(path) is not None
            or (method == "PUT" and _SYNC.fullmatch(path) is not None)
            or (method == "GET" and _PRM.fullmatch(path) is not None)
        )

    async def __call__(self, scope: Scope, receive: Any, send: Send) -> None:
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        began = time.perf_counter()
        try:
            body = await self.emulator._read_body(scope, receive)
            sync = _SYNC.fullmatch(path)
            if sync is not None:
                await self._synchronize(send, unquote(sync["id"]), body)
                return
            metadata = _PRM.fullmatch(path)
            if metadata is not None:
                await self._protected_resource(send, unquote(metadata["id"]))
                return
            match = _MCP.fullmatch(path)
            assert match is not None
            gateway, targets = self._records(unquote(match["id"]))
            if scope["method"] != "POST":
                raise Refusal(405, [(b"allow", b"POST"), *_JSON], b'{"message":"Method Not Allowed"}', "405")
            await self._authorize(scope, body, gateway)
            status = await self._mcp(scope, send, gateway, targets, body)
            logger.info(
                "gateway %s → %s (%.1f ms)", gateway.name, status, (time.perf_counter() - began) * 1000
            )
        except Refusal as refusal:
            await self.emulator._answer(send, refusal.status, refusal.headers, refusal.body)
            logger.info("gateway %s → %d %s", path, refusal.status, refusal.reason)
        except ConnectionError:
            return

    # -- records -------------------------------------------------------------------------------------

    @staticmethod
    def _find(gateway_id: str) -> tuple[Any, Any]:
        for regions in list(_backends().values()):
            for backend in list(regions.values()):
                gateway = backend.gateways.get(gateway_id)
                if gateway is not None:
                    return backend, gateway
        raise api_error("ResourceNotFoundException", f"Could not find Gateway with ID {gateway_id}", 404)

    def _records(self, gateway_id: str) -> tuple[Any, list[Any]]:
        backend, gateway = self._find(gateway_id)
        targets = [t for t in backend.list_gateway_targets(gateway_id) if mcp_server(t) is not None]
        return gateway, targets

    def _link(self, target: Any) -> TargetLink:
        link = self.links.get(target.target_id)
        if (
            link is None
            or link.endpoint != (mcp_server(target) or {}).get("endpoint")
            or link.credentials != repr(target.credential_provider_configurations)
        ):
            link = TargetLink(
                target,
                self.emulator._client,
                self.emulator.base_url,
                target.region_name,
                self.emulator.mint_token,
            )
            self.links[target.target_id] = link
        link.listing_mode = str((mcp_server(target) or {}).get("listingMode") or "DEFAULT")
        return link

    async def _index(self, target: Any) -> Catalogue:
        lists = await self._link(target).list_everything()
        catalogue = Catalogue(lists, target.updated_at)
        self.catalogues[target.target_id] = catalogue
        target.last_synchronized_at = catalogue.synchronized_at
        return catalogue

    async def _lists(self, target: Any) -> dict[str, list[dict[str, Any]]]:
        """What ``target`` lists now: its catalogue (DEFAULT; indexed after each create or update) or live."""
        link = self._link(target)
        if link.listing_mode == "DYNAMIC":
            return await link.list_everything()
        catalogue = self.catalogues.get(target.target_id)
        if catalogue is None or catalogue.indexed_for != target.updated_at:
            catalogue = await self._index(target)
        return catalogue.lists

    # -- SynchronizeGatewayTargets -------------------------------------------------------------------

    async def _synchronize(self, send: Send, gateway_id: str, body: bytes) -> None:
        backend, gateway = self._find(gateway_id)
        try:
            ids = from_json(body or b"{}").get("targetIdList")
        except (ValueError, AttributeError):
            ids = None
        if not isinstance(ids, list) or not ids:
            raise api_error("ValidationException", "targetIdList must name at least one target", 400)
        records = []
        for tid in ids:
            record = backend.gateway_targets.get((gateway.gateway_id, str(tid)))
            if record is None:
                message = f"Could not find Target {tid} for Gateway {gateway.gateway_id}"
                raise api_error("ResourceNotFoundException", message, 404)
            records.append(record)
        for record in records:
            server = mcp_server(record)
            if server is None:
                raise api_error("ValidationException", f"Target {record.target_id} is not an MCP server", 400)
            if server.get("mcpToolSchema"):
                raise api_error(
                    "ValidationException",
                    f"Target {record.target_id} has a static tool schema (mcpToolSchema) and cannot be "
                    "synchronized",
                    400,
                )
        for record in records:
            try:
                await self._index(record)
                record.status = "READY"
            except TargetFailed as exc:
                record.status = "SYNCHRONIZE_UNSUCCESSFUL"
                record.status_reasons = [str(exc)]
        out = {"targets": [_dated(record.to_dict()) for record in records]}
        await self.emulator._answer(send, 202, _JSON, to_json(out))
        logger.info("gateway %s: synchronized %s", gateway.name, ", ".join(r.name for r in records))

    # -- inbound authorization -----------------------------------------------------------------------

    async def _protected_resource(self, send: Send, gateway_id: str) -> None:
        """The RFC 9728 document a JWT gateway's 401 challenge points at: the gateway's MCP URL as the
        resource, its authorizer's issuer as the authorization server, its allowed scopes."""
        _, gateway = self._find(gateway_id)
        config = (gateway.authorizer_configuration or {}).get("customJWTAuthorizer") or {}
        if gateway.authorizer_type != "CUSTOM_JWT" or not config.get("discoveryUrl"):
            raise api_error("ResourceNotFoundException", f"Gateway {gateway_id} is not OAuth-protected", 404)
        document: dict[str, Any] = {
            "resource": f"{self.emulator.base_url}/gateways/{gateway_id}/mcp",
            "authorization_servers": [
                str(config["discoveryUrl"]).removesuffix("/.well-known/openid-configuration")
            ],
            "bearer_methods_supported": ["header"],
        }
        if config.get("allowedScopes"):
            document["scopes_supported"] = list(config["allowedScopes"])
        await self.emulator._answer(send, 200, _JSON, to_json(document))

    async def _authorize(self, scope: Scope, body: bytes, gateway: Any) -> None:
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        authorization = next((v.decode("latin-1") for k, v in raw if k == b"authorization"), "")
        if gateway.authorizer_type == "AWS_IAM":
            self.emulator._check_signature(scope, body, gateway.region_name)
        elif gateway.authorizer_type == "CUSTOM_JWT":
            config = (gateway.authorizer_configuration or {}).get("customJWTAuthorizer") or {}
            authorizer = JWTAuthorizer(
                config.get("discoveryUrl"),
                tuple(config.get("allowedAudience") or ()),
                tuple(config.get("allowedClients") or ()),
                tuple(config.get("allowedScopes") or ()),
            )
            metadata = (
                f"{self.emulator.base_url}/gateways/{gateway.gateway_id}/.well-known/oauth-protected-resource"
            )
            request_id = jsonrpc_id(body)
            if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
                raise jsonrpc_error(
                    request_id,
                    wire.AC_UNAUTHORIZED,
                    "Missing Bearer token",
                    status=401,
                    headers=[(b"www-authenticate", f'Bearer resource_metadata="{metadata}"'.encode())],
                )
            try:
                await self.emulator.jwt.verify(authorization[7:].strip(), authorizer, self.emulator._client)
            except TokenRejected as exc:
                reason = str(exc).replace('"', "'")
                challenge = f'Bearer error="invalid_token", error_description="{reason}", resource_metadata="{metadata}"'
                raise jsonrpc_error(
                    request_id,
                    wire.AC_UNAUTHORIZED,
                    str(exc),
                    status=401,
                    headers=[(b"www-authenticate", challenge.encode())],
                ) from None

    # -- MCP -----------------------------------------------------------------------------------------

    async def _mcp(self, scope: Scope, send: Send, gateway: Any, targets: list[Any], body: bytes) -> str:
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        try:
            message = from_json(body)
        except ValueError:
            raise jsonrpc_error(None, wire.PARSE_ERROR, "Parse error", status=400) from None
        if not isinstance(message, dict):
            raise jsonrpc_error(None, wire.INVALID_REQUEST, "Batches are not supported", status=400)
        request = _Request(message, raw)
        session = next((v.decode() for k, v in raw if k == wire.MCP_SESSION_ID.encode()), None)
        if "method" not in message:  # the client's answer to a target's request (elicitation, sampling)
            return await self._answer_target(send, message)
        if request.id is None:
            await self.emulator._answer(send, 202, [], b"")
            return f"202 {request.method}"
        if request.method in ("tools/call", "prompts/get", "resources/read"):
            name = request.params.get("name") if request.method != "resources/read" else None
            if name == SEARCH_TOOL and search_enabled(gateway):
                result = search_result(
                    rank(await self._all_tools(targets), search_query(request.params, request.id))
                )
            else:
                return await self._forward(send, request, raw, targets, session)
        else:
            result = await self._answer_locally(request, gateway, targets)
        headers = list(_JSON)
        if request.method == "initialize":
            session = uuid.uuid4().hex  # the caller's session with the gateway (its targets keep their own)
        if session is not None and not request.modern:
            headers.append((wire.MCP_SESSION_ID.encode(), session.encode()))
        if request.modern:
            result = {"resultType": "complete", **result}
            if request.method.endswith("/list") or request.method == "server/discover":
                # A gateway's lists differ per caller (its authorizer) and change on sync: never cached.
                result.update(ttlMs=0, cacheScope="private")
            result.setdefault("_meta", {})[wire.META_SERVER_INFO] = _server_info(gateway)
        reply = to_json({"jsonrpc": "2.0", "id": request.id, "result": result})
        await self.emulator._answer(send, 200, headers, reply)
        return f"200 {request.method}"

    async def _answer_target(self, send: Send, message: dict[str, Any]) -> str:
        """Relay the client's answer to the target whose request it answers, under that request's own id."""
        pending = self._pending.pop(str(message.get("id")), None)
        if pending is None:
            raise jsonrpc_error(
                None, wire.INVALID_REQUEST, "No request of this gateway has that id", status=400
            )
        link, original_id = pending
        body = to_json({**message, "id": original_id})
        headers = link.headers({wire.MCP_PROTOCOL_VERSION: "2025-06-18"})
        try:
            response = await link.open(body, headers)
            await response.aread()
            await response.aclose()
        except TargetFailed as exc:
            raise jsonrpc_error(None, wire.INTERNAL_ERROR, str(exc)) from None
        await self.emulator._answer(send, 202, [], b"")
        return f"202 (answer relayed to {link.name}: {response.status_code})"

    async def _answer_locally(self, request: _Request, gateway: Any, targets: list[Any]) -> dict[str, Any]:
        capabilities = {"tools": {"listChanged": False}, "prompts": {"listChanged": False}, "resources": {}}
        if request.method == "initialize":
            asked = request.params.get("protocolVersion")
            version = asked if asked in _VERSIONS[1:] else _VERSIONS[1]
            return {
                "protocolVersion": version,
                "capabilities": capabilities,
                "serverInfo": _server_info(gateway),
            }
        if request.method == "server/discover":
            return {"supportedVersions": list(_VERSIONS), "capabilities": capabilities}
        if request.method == "ping":
            return {}
        if request.method == "tools/list":
            tools = await self._all_tools(targets)
            return {"tools": ([SEARCH_DEFINITION] if search_enabled(gateway) else []) + tools}
        if request.method == "prompts/list":
            return {"prompts": await self._aggregate(targets, "prompts", prefix=True)}
        if request.method == "resources/list":
            return {"resources": await self._aggregate(targets, "resources", prefix=False)}
        if request.method == "resources/templates/list":
            return {"resourceTemplates": await self._aggregate(targets, "resourceTemplates", prefix=False)}
        if request.method == "logging/setLevel":
            return {}
        raise jsonrpc_error(request.id, wire.METHOD_NOT_FOUND, f"Method not found: {request.method}")

    async def _aggregate(self, targets: list[Any], key: str, *, prefix: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for target in targets:
            try:
                items = (await self._lists(target)).get(key, [])
            except TargetFailed as exc:
                logger.warning("gateway target %s left out of %s: %s", target.name, key, exc)
                continue
            for item in items:
                out.append(
                    {**item, "name": f"{target.name}{SEPARATOR}{item.get('name')}"} if prefix else item
                )
        return out

    async def _all_tools(self, targets: list[Any]) -> list[dict[str, Any]]:
        return await self._aggregate(targets, "tools", prefix=True)

    async def _route(self, request: _Request, targets: list[Any]) -> tuple[Any, dict[str, Any]]:
        """The target a call goes to and the params it receives (its own name, or the resource's URI)."""
        if request.method == "resources/read":
            uri = request.params.get("uri")
            for target in targets:
                lists = await self._lists(target)
                if any(r.get("uri") == uri for r in lists.get("resources", [])):
                    return target, request.params
            raise jsonrpc_error(request.id, wire.INVALID_PARAMS, f"Unknown resource: {uri}")
        name = request.params.get("name")
        prefix, sep, rest = str(name).partition(SEPARATOR)
        target = next((t for t in targets if t.name == prefix), None) if sep else None
        if target is None or not rest:
            kind = "tool" if request.method == "tools/call" else "prompt"
            raise jsonrpc_error(request.id, wire.INVALID_PARAMS, f"Unknown {kind}: {name}")
        return target, {**request.params, "name": rest}

    async def _forward(
        self,
        send: Send,
        request: _Request,
        raw: list[tuple[bytes, bytes]],
        targets: list[Any],
        session: str | None,
    ) -> str:
        target, params = await self._route(request, targets)
        link = self._link(target)
        extra: dict[str, str] = {}
        if request.modern:
            assert request.version is not None
            extra[wire.MCP_PROTOCOL_VERSION] = request.version
            extra[wire.MCP_METHOD] = request.method
            mcp_name = params.get("uri") if request.method == "resources/read" else params.get("name")
            extra[wire.MCP_NAME] = _header_value(str(mcp_name))
        else:
            try:
                await link.handshake()
            except TargetFailed as exc:
                raise jsonrpc_error(request.id, wire.INTERNAL_ERROR, str(exc)) from None
            extra[wire.MCP_PROTOCOL_VERSION] = "2025-06-18"
        body = to_json({**request.message, "params": params})
        try:
            response = await link.open(body, link.headers(extra, session=not request.modern))
        except TargetFailed as exc:
            raise jsonrpc_error(request.id, wire.INTERNAL_ERROR, str(exc)) from None
        try:
            if response.status_code >= 500:
                raise jsonrpc_error(
                    request.id,
                    wire.INTERNAL_ERROR,
                    f"target {target.name} answered HTTP {response.status_code}",
                )
            headers = [(k, v) for k, v in response.headers.raw if k.lower() in _PASSED]
            if session is not None and not request.modern:
                headers.append((wire.MCP_SESSION_ID.encode(), session.encode()))
            await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
            streamed = response.headers.get("content-type", "").startswith(wire.EVENT_STREAM)
            relay = _ServerRequests(self._pending, link) if streamed else None
            async for chunk in response.aiter_bytes():
                out = relay.feed(chunk) if relay is not None else chunk
                if out:
                    await send({"type": "http.response.body", "body": out, "more_body": True})
            await send({"type": "http.response.body", "body": relay.rest() if relay is not None else b""})
        finally:
            await response.aclose()
        return f"{response.status_code} {request.method} → {target.name}"


class _ServerRequests:
    """Relays a target's SSE stream, giving each request the target sends the client a gateway-wide id.

    Two targets may use the same request ids; the client answers the gateway's id and
    :meth:`GatewayPlane._answer_target` sends the answer to the right target under the target's own id.
    Other events pass unchanged.
    """

    def __init__(self, pending: dict[str, tuple[TargetLink, Any]], link: TargetLink) -> None:
        self.pending = pending
        self.link = link
        self.buffer = b""

    def feed(self, chunk: bytes) -> bytes:
        self.buffer += chunk.replace(b"\r\n", b"\n")
        out = []
        while b"\n\n" in self.buffer:
            event, self.buffer = self.buffer.split(b"\n\n", 1)
            out.append(self._event(event))
        return b"".join(out)

    def rest(self) -> bytes:
        rest, self.buffer = self.buffer, b""
        return self._event(rest) if rest.strip() else rest

    def _event(self, event: bytes) -> bytes:
        lines = event.split(b"\n")
        data = b"\n".join(line[5:].lstrip(b" ") for line in lines if line.startswith(b"data:"))
        try:
            message = from_json(data) if data else None
        except ValueError:
            message = None
        if not (isinstance(message, dict) and "method" in message and "id" in message):
            return event + b"\n\n"
        gateway_id = f"gateway-{uuid.uuid4().hex}"
        self.pending[gateway_id] = (self.link, message["id"])
        kept = [line for line in lines if line and not line.startswith((b"data:", b"event:"))]
        head = b"\n".join(kept) + b"\n" if kept else b""
        return head + wire.sse_event(to_json({**message, "id": gateway_id}))


def _server_info(gateway: Any) -> dict[str, Any]:
    return {"name": gateway.name, "version": "1.0.0"}


def _header_value(value: str) -> str:
    """``value`` as an MCP header value: as it is when header-safe, else ``=?base64?...?=``."""
    if value.isascii() and value.isprintable() and value == value.strip():
        return value
    import base64

    return f"=?base64?{base64.b64encode(value.encode()).decode()}?="


def _dated(record: dict[str, Any]) -> dict[str, Any]:
    """A target record with its timestamps as epoch seconds, as botocore's rest-json parser reads them."""
    return {k: (v.timestamp() if hasattr(v, "timestamp") else v) for k, v in record.items()}
