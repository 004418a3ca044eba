"""MCP over JSON-RPC, both eras, stateless: era classification, envelope checks, and the method table.

One JSON-RPC message in, one answer out. The era of a request is decided from its body and its headers
together: a body carrying the modern ``_meta`` envelope, or an ``MCP-Protocol-Version`` header that is not a
handshake version, makes the request modern (2026-07-28); anything else is legacy (the handshake era).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import to_json

from agentcore_mcp import _wire as rpc
from agentcore_mcp import telemetry
from agentcore_mcp.errors import ProtocolError
from agentcore_mcp.server._call import Call
from agentcore_mcp.server._compression import MIN_GZIP_SIZE, GzipPrefix
from agentcore_mcp.server._content import text_result
from agentcore_mcp.server._http import BIG_EVENT
from agentcore_mcp.server._identity import bind_log_context, bind_platform_context
from agentcore_mcp.server._input import InputRequired
from agentcore_mcp.server._session_store import valid_session_id
from agentcore_mcp.server._subscriptions import SUBSCRIPTION_ID, Listener, SubscriptionHub

if TYPE_CHECKING:
    from agentcore_mcp.server._app import AgentCoreMCP
    from agentcore_mcp.server._extension import Extension, Method
    from agentcore_mcp.server._http import Body, Responder
    from agentcore_mcp.server._session_store import Session
    from agentcore_mcp.server._tools import Tool

__all__ = ["Era", "Protocol", "RequestHeaders", "decode_header_value", "error_body", "http_status"]

logger = logging.getLogger("agentcore_mcp.server")

Era = Literal["legacy", "modern"]

# HTTP status of a JSON-RPC error, per era (errors not listed stay in a 200 answer).
_MODERN_STATUS = {
    rpc.PARSE_ERROR: 400,
    rpc.INVALID_REQUEST: 400,
    rpc.INVALID_PARAMS: 400,
    rpc.HEADER_MISMATCH: 400,
    rpc.MISSING_CLIENT_CAPABILITY: 400,
    rpc.UNSUPPORTED_PROTOCOL_VERSION: 400,
    rpc.METHOD_NOT_FOUND: 404,
}
_LEGACY_STATUS = {rpc.PARSE_ERROR: 400, rpc.INVALID_REQUEST: 400, rpc.UNSUPPORTED_PROTOCOL_VERSION: 400}

# Methods whose target is echoed in the ``Mcp-Name`` header, and the param that holds it.
_NAME_PARAM = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
_BASE64_VALUE = re.compile(r"^=\?base64\?(.*)\?=$", re.DOTALL)


def http_status(code: int, era: Era) -> int:
    """The HTTP status that carries a JSON-RPC error of ``code`` in ``era``."""
    return (_MODERN_STATUS if era == "modern" else _LEGACY_STATUS).get(code, 200)


def error_body(request_id: Any, code: int, message: str, data: Any = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return to_json({"jsonrpc": "2.0", "id": request_id, "error": error})


def decode_header_value(value: str) -> str | None:
    """Decode a routing header value (``=?base64?...?=`` for values that are not header-safe).

    Returns None when the value claims base64 but is not canonical base64 of UTF-8 text.
    """
    match = _BASE64_VALUE.match(value)
    if match is None:
        return value
    encoded = match.group(1)
    try:
        raw = base64.b64decode(encoded, validate=True)
        if base64.b64encode(raw).decode("ascii") != encoded:
            return None
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


class RequestHeaders:
    """The routing headers of one POST, picked out of the ASGI header list in one pass by the HTTP layer."""

    __slots__ = ("dup", "gzip", "identity", "method", "name", "raw", "session_id", "version")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.raw = raw
        self.gzip = False  # Accept-Encoding admits gzip
        self.session_id: str | None = None
        self.identity = False  # AgentCore Identity headers are present
        self.version: str | None = None
        self.method: str | None = None
        self.name: str | None = None
        self.dup: str | None = None  # the first routing header that appeared twice

    def params(self) -> dict[str, str]:
        """``Mcp-Param-*`` headers by lower-cased token; a repeated one maps to None-like ``"\\0dup"``."""
        out: dict[str, str] = {}
        for k, v in self.raw:
            if k.startswith(b"mcp-param-"):
                token = k[10:].decode("latin-1").lower()
                out[token] = "\0dup" if token in out else v.decode("latin-1")
        return out


Handler = Callable[[Mapping[str, Any], Call], Awaitable[Any]]


class CachedPage:
    """A list result serialized once; its gzip form is made the first time a client accepts gzip."""

    __slots__ = ("_gzip", "body")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self._gzip: GzipPrefix | None = None

    def gzip(self) -> GzipPrefix:
        """The compressed start of ``{"jsonrpc":"2.0","result":<body>,"id":<id>}``: all but the id."""
        if self._gzip is None:
            self._gzip = GzipPrefix(b'{"jsonrpc":"2.0","result":' + self.body)
        return self._gzip


class Protocol:
    """The method table and the envelope rules of both eras, for one :class:`AgentCoreMCP`."""

    def __init__(self, app: AgentCoreMCP) -> None:
        self.app = app
        self._list_cache: dict[tuple[str, Era, str | None], CachedPage] = {}
        self._extensions: list[Extension] = []
        self._methods: dict[Era, dict[str, Handler]] = {
            "legacy": {name: getattr(self, attr) for name, attr in _LEGACY_METHODS.items()},
            "modern": {name: getattr(self, attr) for name, attr in _MODERN_METHODS.items()},
        }

    def add_extension(self, extension: Extension) -> None:
        """Serve ``extension``'s methods and offer it every ``tools/call`` (see :mod:`._extension`).

        Raises:
            ValueError: it names a method that is already served.
        """
        added: dict[Era, dict[str, Handler]] = {}
        for era in ("legacy", "modern"):
            methods = extension.methods(era)
            taken = sorted(set(methods) & set(self._methods[era]))
            if taken:
                raise ValueError(
                    f"extension {extension.name!r}: method(s) already served: {', '.join(taken)}"
                )
            added[era] = {name: self._stamped(handler) for name, handler in methods.items()}
        for era, table in added.items():
            self._methods[era].update(table)
        self._extensions.append(extension)

    def _stamped(self, handler: Method) -> Handler:
        async def run(params: Mapping[str, Any], call: Call) -> Any:
            result = await handler(params, call)
            return self.stamp(result) if call.era == "modern" else result

        return run

    def invalidate(self) -> None:
        """Forget cached list results (called whenever a tool is added or removed)."""
        self._list_cache.clear()

    # -- entry point --------------------------------------------------------------------------------------

    async def handle(self, message: Any, headers: RequestHeaders, out: Responder) -> tuple[int, Body | None]:
        """Answer one parsed JSON-RPC message: ``(status, body)``; a None body means 202 Accepted.

        Never raises for anything the client sent; handler failures become -32603 without detail.
        """
        if not isinstance(message, dict):
            era: Era = "modern" if _modern_header(headers.version) else "legacy"
            if isinstance(message, list):
                text = "Batch requests are not supported; send one JSON-RPC message per POST"
            else:
                text = "Body must be a single JSON-RPC request or notification object"
            return http_status(rpc.INVALID_REQUEST, era), error_body(None, rpc.INVALID_REQUEST, text)
        method = message.get("method")
        request_id = message.get("id", _MISSING)
        params = message.get("params")
        era = _classify(params, headers)
        if message.get("jsonrpc") != "2.0":
            return self._refuse(era, _valid_id(request_id), rpc.INVALID_REQUEST, 'jsonrpc must be "2.0"')
        if method is None:
            if "result" in message or "error" in message:
                return self._answer(message, headers, era)
            return self._refuse(era, _valid_id(request_id), rpc.INVALID_REQUEST, "method is missing")
        if not isinstance(method, str):
            return self._refuse(era, _valid_id(request_id), rpc.INVALID_REQUEST, "method must be a string")
        if params is not None and not isinstance(params, (dict, list)):
            text = "params must be an object (or, in JSON-RPC, an array)"
            return self._refuse(era, _valid_id(request_id), rpc.INVALID_REQUEST, text)
        session: Session | None = None
        store = self.app.sessions
        if (
            store is not None
            and era == "legacy"
            and (method == "initialize" or headers.session_id is not None)
        ):
            if headers.session_id is not None and not valid_session_id(headers.session_id):
                return 400, error_body(
                    _valid_id(request_id),
                    rpc.INVALID_REQUEST,
                    "Mcp-Session-Id must be 1-256 visible ASCII characters",
                )
            session = store.open(headers.session_id)
            if session is None:
                return 404, error_body(_valid_id(request_id), rpc.INVALID_REQUEST, "Session not found")
            out.headers.append((b"mcp-session-id", session.id.encode()))
        if request_id is _MISSING:
            # A notification: nothing to answer. Version and envelope problems cannot be reported either.
            return 202, None
        if not _is_id(request_id):
            return self._refuse(era, None, rpc.INVALID_REQUEST, "id must be a string or an integer")
        if isinstance(params, list):  # valid JSON-RPC (by-position params), but MCP's methods take named ones
            text = f"{method}: params must be an object (MCP methods take named parameters)"
            return self._refuse(era, request_id, rpc.INVALID_PARAMS, text)
        try:
            meta: Any
            if era == "modern":
                version, meta = self._check_modern(method, params, headers)
            else:
                version = self._check_legacy(headers)
                meta = params.get("_meta") if params else None
            handler = self._methods[era].get(method)
            if handler is None:
                raise ProtocolError(rpc.METHOD_NOT_FOUND, "Method not found", data=method)
            if session is not None and version >= "2025-11-25":
                out.record(session.new_stream, self.app.sse_retry_ms)
            call = Call(
                self.app,
                request_id,
                method,
                era,
                version,
                params or {},
                meta if isinstance(meta, dict) else None,
                headers,
                out if self.app.streaming else None,
                session,
            )
            bind_log_context(headers.session_id, request_id, method)
            if headers.identity:
                bind_platform_context(headers.raw, headers.session_id)
            if era == "modern" and method in _MRTR_METHODS and params and "requestState" in params:
                call.input_round()  # verify the seal before doing anything else
            if telemetry.enabled():
                result = await self._traced(handler, params or {}, call, headers)
            else:
                try:
                    result = await handler(params or {}, call)
                except InputRequired as needed:
                    result = self._input_required(call, needed)
        except ProtocolError as exc:
            return self._refuse(era, request_id, exc.code, exc.message, exc.data)
        except Exception:
            logger.exception("internal error while answering %s", method)
            return self._refuse(era, request_id, rpc.INTERNAL_ERROR, "Internal error")
        if isinstance(result, CachedPage):  # a list page serialized once
            encoded_id = to_json(request_id)
            if headers.gzip and len(result.body) >= MIN_GZIP_SIZE and len(encoded_id) < 60_000:
                gzipped = result.gzip()
                out.headers += [(b"content-encoding", b"gzip"), (b"vary", b"accept-encoding")]
                return 200, (gzipped.head, gzipped.finish(b',"id":' + encoded_id + b"}"))
            head = b'{"jsonrpc":"2.0","id":' + encoded_id + b',"result":'
            if len(result.body) >= BIG_EVENT:  # sent in pieces: the cached bytes are not copied per request
                return 200, (head, result.body, b"}")
            return 200, head + result.body + b"}"
        try:
            # JSON has no NaN or Infinity: they go out as null rather than as invalid JSON.
            return 200, to_json({"jsonrpc": "2.0", "id": request_id, "result": result}, inf_nan_mode="null")
        except Exception:  # text that is not valid Unicode, objects pydantic cannot serialize
            logger.exception("could not encode the result of %s", method)
            name = params.get("name") if params else None
            if method != "tools/call" or not isinstance(name, str):
                return self._refuse(era, request_id, rpc.INTERNAL_ERROR, "Internal error")
            failed = text_result(
                f"Tool {name!r} returned a result that could not be serialized", is_error=True
            )
            if era == "modern":
                self.stamp(failed)
            return 200, to_json({"jsonrpc": "2.0", "id": request_id, "result": failed})

    async def _traced(
        self, handler: Handler, params: Mapping[str, Any], call: Call, headers: RequestHeaders
    ) -> Any:
        """Run a handler inside an OpenTelemetry SERVER span (only when tracing is on)."""
        target = params.get("name") if call.method in ("tools/call", "prompts/get") else None
        with telemetry.request_span(
            call.method,
            headers.raw,
            target=target if isinstance(target, str) else None,
            request_id=call.id,
            session_id=headers.session_id,
            protocol_version=call.version,
            meta=call.meta,
        ) as span:
            try:
                return await handler(params, call)
            except InputRequired as needed:
                return self._input_required(call, needed)
            except ProtocolError as exc:
                # Recorded as the JSON-RPC code, then raised outside the span (not as an exception in it).
                span.jsonrpc_error(exc.code, exc.message)
                refused = exc
        raise refused

    def _answer(
        self, message: Mapping[str, Any], headers: RequestHeaders, era: Era
    ) -> tuple[int, bytes | None]:
        """A client's answer to a server→client request (handshake era): hand it to the waiting handler."""
        session_id = next((v.decode("latin-1") for k, v in headers.raw if k == b"mcp-session-id"), None)
        if self.app.pending.resolve(message, session_id):
            return 202, None
        return 404, error_body(
            None,
            rpc.INVALID_PARAMS,
            "No request of this server is waiting for that answer (unknown or expired id, or another session)",
        )

    def _input_required(self, call: Call, needed: InputRequired) -> dict[str, Any]:
        """The MRTR answer: the questions, and the sealed state that carries earlier answers to the retry."""
        if call.era != "modern" or call.method not in _MRTR_METHODS or call.round is None:
            # Only a modern tools/call, prompts/get or resources/read can pause for input.
            logger.error("%s asked the client for input where the protocol does not allow it", call.method)
            raise ProtocolError(rpc.INTERNAL_ERROR, "Internal error")
        state = self.app.state_sealer.seal({"answers": call.round.answers}, call.binding())
        return self.stamp(
            {"resultType": "input_required", "inputRequests": needed.requests, "requestState": state}
        )

    def _refuse(
        self, era: Era, request_id: Any, code: int, message: str, data: Any = None
    ) -> tuple[int, bytes]:
        return http_status(code, era), error_body(request_id, code, message, data)

    # -- envelope checks ---------------------------------------------------------------------------------

    def _check_legacy(self, headers: RequestHeaders) -> str:
        # A header that is not a handshake version made the request modern, so any header here is one.
        return headers.version or rpc.LATEST_LEGACY

    def _check_modern(
        self, method: str, params: Mapping[str, Any] | None, headers: RequestHeaders
    ) -> tuple[str, Mapping[str, Any]]:
        if headers.dup is not None:
            raise ProtocolError(rpc.HEADER_MISMATCH, f"{headers.dup} header appears more than once")
        meta = params.get("_meta") if params else None
        if not isinstance(meta, dict):
            raise ProtocolError(
                rpc.INVALID_PARAMS,
                "params._meta must be an object carrying the "
                f"{rpc.META_PROTOCOL_VERSION!r} and {rpc.META_CLIENT_CAPABILITIES!r} envelope keys",
            )
        missing = [k for k in (rpc.META_PROTOCOL_VERSION, rpc.META_CLIENT_CAPABILITIES) if k not in meta]
        if missing:
            raise ProtocolError(
                rpc.INVALID_PARAMS,
                f"params._meta is missing the required envelope key(s): {', '.join(missing)}",
            )
        version = meta[rpc.META_PROTOCOL_VERSION]
        if not isinstance(version, str):
            raise ProtocolError(rpc.INVALID_PARAMS, f"{rpc.META_PROTOCOL_VERSION} must be a string")
        if not isinstance(meta[rpc.META_CLIENT_CAPABILITIES], dict):
            raise ProtocolError(rpc.INVALID_PARAMS, f"{rpc.META_CLIENT_CAPABILITIES} must be an object")
        if headers.version is None:
            raise ProtocolError(rpc.HEADER_MISMATCH, "MCP-Protocol-Version header is required")
        if headers.version != version:
            raise ProtocolError(
                rpc.HEADER_MISMATCH, "MCP-Protocol-Version header does not match params._meta"
            )
        if headers.method is None:
            raise ProtocolError(rpc.HEADER_MISMATCH, "Mcp-Method header is required")
        if headers.method != method:
            raise ProtocolError(rpc.HEADER_MISMATCH, "Mcp-Method header does not match the request method")
        name_param = _NAME_PARAM.get(method)
        # Only a string target can be echoed; a mistyped one is the handler's -32602, not a header mismatch.
        if name_param is not None and params is not None and isinstance(params.get(name_param), str):
            if headers.name is None:
                raise ProtocolError(rpc.HEADER_MISMATCH, "Mcp-Name header is required")
            if decode_header_value(headers.name) != params[name_param]:
                raise ProtocolError(
                    rpc.HEADER_MISMATCH, f"Mcp-Name header does not match params.{name_param}"
                )
        if version not in rpc.MODERN_VERSIONS:
            raise ProtocolError(
                rpc.UNSUPPORTED_PROTOCOL_VERSION,
                "Unsupported protocol version",
                data={"supported": [*rpc.MODERN_VERSIONS, *rpc.LEGACY_VERSIONS], "requested": version},
            )
        return version, meta

    # -- results -----------------------------------------------------------------------------------------

    def stamp(self, result: dict[str, Any]) -> dict[str, Any]:
        """Add the modern ``resultType`` and the ``serverInfo`` stamp to a result."""
        result.setdefault("resultType", "complete")
        meta = result.get("_meta")
        if isinstance(meta, dict):
            meta.setdefault(rpc.META_SERVER_INFO, self.app.server_info)
        else:
            result["_meta"] = {rpc.META_SERVER_INFO: self.app.server_info}
        return result

    def cacheable(self, result: dict[str, Any], ttl_ms: int, scope: str) -> dict[str, Any]:
        result["ttlMs"] = ttl_ms
        result["cacheScope"] = scope
        return self.stamp(result)

    # -- methods -----------------------------------------------------------------------------------------

    async def initialize(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "initialize: protocolVersion must be a string")
        version = requested if requested in rpc.LEGACY_VERSIONS else rpc.LATEST_LEGACY
        if call.session is not None:
            caps, info = params.get("capabilities"), params.get("clientInfo")
            call.session.protocol_version = version
            call.session.client_capabilities = caps if isinstance(caps, dict) else {}
            call.session.client_info = info if isinstance(info, dict) else None
        result: dict[str, Any] = {
            "protocolVersion": version,
            "capabilities": self.app.capabilities("legacy"),
            "serverInfo": self.app.server_info,
        }
        if self.app.instructions:
            result["instructions"] = self.app.instructions
        return result

    async def ping(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        return {}

    async def set_level(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        level = params.get("level")
        if level not in rpc.LOG_LEVELS:
            raise ProtocolError(rpc.INVALID_PARAMS, f"level must be one of {', '.join(rpc.LOG_LEVELS)}")
        # Without a session there is nowhere to remember the level: the request succeeds and changes nothing.
        if call.session is not None:
            call.session.log_level = level
        return {}

    async def discover(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        result: dict[str, Any] = {
            "supportedVersions": [*rpc.MODERN_VERSIONS, *rpc.LEGACY_VERSIONS],
            "capabilities": self.app.capabilities("modern"),
        }
        if self.app.instructions:
            result["instructions"] = self.app.instructions
        return self.cacheable(result, self.app.discover_ttl_ms, self.app.cache_scope)

    def _page(
        self, kind: str, items: list[dict[str, Any]], params: Mapping[str, Any], call: Call
    ) -> CachedPage:
        """One page of a list result, serialized once and cached per (kind, era, cursor)."""
        cursor = params.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "cursor must be a string")
        key = (kind, call.era, cursor)
        cached = self._list_cache.get(key)
        if cached is not None:
            return cached
        start = _decode_cursor(cursor, len(items)) if cursor is not None else 0
        size = self.app.page_size or len(items) or 1
        page: dict[str, Any] = {kind: items[start : start + size]}
        if start + size < len(items):
            page["nextCursor"] = _encode_cursor(start + size)
        if call.era == "modern":
            self.cacheable(page, self.app.list_ttl_ms, self.app.cache_scope)
        body = CachedPage(to_json(page))
        if len(self._list_cache) < 1024:  # cursors are client input: bound what they can make us keep
            self._list_cache[key] = body
        return body

    async def list_tools(self, params: Mapping[str, Any], call: Call) -> CachedPage:
        return self._page("tools", self.app.tool_definitions(), params, call)

    async def list_resources(self, params: Mapping[str, Any], call: Call) -> CachedPage:
        return self._page("resources", self.app.resource_definitions(), params, call)

    async def list_templates(self, params: Mapping[str, Any], call: Call) -> CachedPage:
        return self._page("resourceTemplates", self.app.template_definitions(), params, call)

    async def list_prompts(self, params: Mapping[str, Any], call: Call) -> CachedPage:
        return self._page("prompts", self.app.prompt_definitions(), params, call)

    async def read_resource(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        uri = params.get("uri")
        if not isinstance(uri, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "resources/read: uri must be a string")
        found = self.app.find_resource(uri)
        if found is None:
            code = rpc.INVALID_PARAMS if call.era == "modern" else rpc.RESOURCE_NOT_FOUND
            raise ProtocolError(code, f"Resource not found: {uri}", data={"uri": uri})
        resource, variables = found
        ctx = call.context() if resource.function.wants_context else None
        result: dict[str, Any] = {"contents": await resource.read(uri, variables, ctx)}
        if call.era == "modern":
            return self.cacheable(result, self.app.read_ttl_ms, self.app.cache_scope)
        return result

    async def get_prompt(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        name = params.get("name")
        if not isinstance(name, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "prompts/get: name must be a string")
        arguments = params.get("arguments")
        if arguments is not None and not isinstance(arguments, dict):
            raise ProtocolError(rpc.INVALID_PARAMS, "prompts/get: arguments must be an object")
        prompt = self.app.get_prompt(name)
        if prompt is None:
            raise ProtocolError(rpc.INVALID_PARAMS, f"Unknown prompt: {name}")
        ctx = call.context() if prompt.function.wants_context else None
        result = await prompt.render(arguments or {}, ctx)
        return self.stamp(result) if call.era == "modern" else result

    async def complete(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        ref = params.get("ref")
        argument = params.get("argument")
        if not isinstance(ref, dict) or not isinstance(argument, dict):
            raise ProtocolError(rpc.INVALID_PARAMS, "completion/complete: ref and argument must be objects")
        arg_name, value = argument.get("name"), argument.get("value")
        if not isinstance(arg_name, str) or not isinstance(value, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "completion/complete: argument needs a name and a value")
        context = params.get("context")
        given = context.get("arguments") if isinstance(context, dict) else None
        others = {str(k): str(v) for k, v in given.items()} if isinstance(given, dict) else {}
        completion = await self.app.complete(ref, arg_name, value, others)
        result: dict[str, Any] = {"completion": completion.to_wire()}
        return self.stamp(result) if call.era == "modern" else result

    async def subscribe(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        """Handshake-era ``resources/subscribe`` and ``resources/unsubscribe``.

        Without a session there is no stream to deliver updates on: the request succeeds, nothing changes.
        """
        uri = params.get("uri")
        if not isinstance(uri, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "uri must be a string")
        if call.session is not None:
            if call.method == "resources/subscribe":
                call.session.subscriptions.add(uri)
            else:
                call.session.subscriptions.discard(uri)
        return {}

    async def listen(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        """2026-07-28 ``subscriptions/listen``: acknowledge, stream matching notifications, end on shutdown."""
        out = call.out
        if out is None:  # streaming is off: a listen stream cannot exist
            raise ProtocolError(rpc.METHOD_NOT_FOUND, "Method not found", data=call.method)
        requested = params.get("notifications")
        if not isinstance(requested, dict):
            raise ProtocolError(rpc.INVALID_PARAMS, "subscriptions/listen: notifications must be an object")
        agreed, kinds, uris = SubscriptionHub.agreed(requested, self.app.offered())
        for extension in self._extensions:
            agreed.update(extension.listen(requested))
        listener = Listener(call.id, kinds, uris, agreed)
        hub = self.app.subscriptions
        hub.open(listener)
        gone = asyncio.ensure_future(out.wait_disconnect())
        try:
            await out.send_message(
                listener.tagged("notifications/subscriptions/acknowledged", {"notifications": agreed})
            )
            while True:
                getter = asyncio.ensure_future(listener.queue.get())
                done, _ = await asyncio.wait({getter, gone}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:  # the client closed the stream
                    getter.cancel()
                    break
                message = getter.result()
                if message is None:  # the server is shutting down
                    break
                await out.send_message(message)
        finally:
            hub.close(listener)
            gone.cancel()
        return self.stamp({"_meta": {SUBSCRIPTION_ID: call.id}})

    async def call_tool(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        name = params.get("name")
        if not isinstance(name, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "tools/call: name must be a string")
        arguments = params.get("arguments")
        if arguments is not None and not isinstance(arguments, dict):
            raise ProtocolError(rpc.INVALID_PARAMS, "tools/call: arguments must be an object")
        tool: Tool | None = self.app.get_tool(name)
        if tool is None:
            raise ProtocolError(rpc.INVALID_PARAMS, f"Unknown tool: {name}")
        if call.era == "modern" and tool.param_headers:
            _check_param_headers(tool, arguments or {}, call.headers)
        for extension in self._extensions:
            taken = await extension.call_tool(tool, arguments or {}, call)
            if taken is not None:
                return self.stamp(taken) if call.era == "modern" else taken
        result = await tool.run(arguments, call.context() if tool.wants_context else None)
        return self.stamp(result) if call.era == "modern" else result


def _check_param_headers(tool: Tool, arguments: Mapping[str, Any], headers: RequestHeaders) -> None:
    sent = headers.params()
    for token, prop in tool.param_headers:
        value = sent.get(token)
        present = prop in arguments and arguments[prop] is not None
        if value == "\0dup":
            raise ProtocolError(rpc.HEADER_MISMATCH, f"Mcp-Param-{token} header appears more than once")
        if value is None:
            if present:
                raise ProtocolError(rpc.HEADER_MISMATCH, f"Mcp-Param-{token} header is required")
            continue
        if not present:
            raise ProtocolError(rpc.HEADER_MISMATCH, f"Mcp-Param-{token} header given for an absent argument")
        decoded = decode_header_value(value)
        if decoded is None or not _same_param(decoded, arguments[prop]):
            raise ProtocolError(rpc.HEADER_MISMATCH, f"Mcp-Param-{token} header does not match the argument")


def _same_param(header: str, value: Any) -> bool:
    if isinstance(value, bool):
        return header == ("true" if value else "false")
    if isinstance(value, (int, float)):
        try:
            return float(header) == float(value)
        except ValueError:
            return False
    return header == str(value)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _is_id(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _valid_id(value: Any) -> Any:
    return value if _is_id(value) else None


def _modern_header(version: str | None) -> bool:
    return version is not None and version not in rpc.LEGACY_VERSIONS


def _classify(params: Any, headers: RequestHeaders) -> Era:
    if isinstance(params, dict):
        meta = params.get("_meta")
        if isinstance(meta, dict) and rpc.META_PROTOCOL_VERSION in meta:
            return "modern"
    return "modern" if _modern_header(headers.version) else "legacy"


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode("ascii")


def _decode_cursor(cursor: str, total: int) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        if not text.startswith("o:"):
            raise ValueError
        offset = int(text[2:])
    except (ValueError, UnicodeError, binascii.Error):
        raise ProtocolError(rpc.INVALID_PARAMS, "Invalid cursor") from None
    if not 0 <= offset <= total:
        raise ProtocolError(rpc.INVALID_PARAMS, "Invalid cursor")
    return offset


_MRTR_METHODS = frozenset({"tools/call", "prompts/get", "resources/read"})

_SHARED_METHODS: dict[str, str] = {
    "tools/list": "list_tools",
    "tools/call": "call_tool",
    "resources/list": "list_resources",
    "resources/templates/list": "list_templates",
    "resources/read": "read_resource",
    "prompts/list": "list_prompts",
    "prompts/get": "get_prompt",
    "completion/complete": "complete",
}
_LEGACY_METHODS: dict[str, str] = {
    "initialize": "initialize",
    "ping": "ping",
    "logging/setLevel": "set_level",
    "resources/subscribe": "subscribe",
    "resources/unsubscribe": "subscribe",
    **_SHARED_METHODS,
}
_MODERN_METHODS: dict[str, str] = {
    "server/discover": "discover",
    "subscriptions/listen": "listen",
    **_SHARED_METHODS,
}
