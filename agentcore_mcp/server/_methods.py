"""The built-in MCP methods of both eras: each takes a request's ``params`` and its :class:`Call`, returns a result.

A handler raises :class:`~agentcore_mcp.errors.ProtocolError` for anything the client got wrong; the protocol
layer turns that into the JSON-RPC error. Results of list methods are :class:`CachedPage` values, serialized
once per registry version, era and cursor.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic_core import to_json

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError
from agentcore_mcp.server._call import Call, Era
from agentcore_mcp.server._compression import GzipPrefix
from agentcore_mcp.server._envelope import check_param_headers
from agentcore_mcp.server._input import ASKING_CAPABILITIES, until_answered
from agentcore_mcp.server._options import CachingHints
from agentcore_mcp.server._subscriptions import SUBSCRIPTION_ID, Listener, SubscriptionHub

if TYPE_CHECKING:
    from agentcore_mcp.server._registry import Registry
    from agentcore_mcp.server._stores import Stores

__all__ = ["MRTR_METHODS", "CachedPage", "Handler", "Methods", "Settings"]

Handler = Callable[[Mapping[str, Any], Call], Awaitable[Any]]
T = TypeVar("T")

# Methods whose handler may pause for input in the 2026-07-28 era (multi round-trip requests).
MRTR_METHODS = frozenset({"tools/call", "prompts/get", "resources/read"})
_MAX_CACHED_PAGES = 1024  # cursors are client input: bound what they can make us keep


@dataclass(frozen=True)
class Settings:
    """What the methods need to know of the server's configuration."""

    server_info: Mapping[str, Any]
    instructions: str | None = None
    streaming: bool = True
    caching: CachingHints = field(default_factory=CachingHints)
    page_size: int | None = None
    sse_retry_ms: int | None = None  # session mode's priming hint (None: not in session mode)


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


class Methods:
    """The built-in methods, over one registry, its settings and its stores."""

    def __init__(self, registry: Registry, settings: Settings, stores: Stores) -> None:
        self.registry = registry
        self.settings = settings
        self.stores = stores
        self._pages: dict[tuple[str, Era, str | None], CachedPage] = {}
        self._pages_version = registry.version

    def table(self, era: Era) -> dict[str, Handler]:
        """The method table of ``era``: method name -> handler."""
        shared: dict[str, Handler] = {
            "tools/list": self.list_tools,
            "tools/call": self.call_tool,
            "resources/list": self.list_resources,
            "resources/templates/list": self.list_templates,
            "resources/read": self.read_resource,
            "prompts/list": self.list_prompts,
            "prompts/get": self.get_prompt,
            "completion/complete": self.complete,
        }
        if era == "modern":
            return {"server/discover": self.discover, "subscriptions/listen": self.listen, **shared}
        return {
            "initialize": self.initialize,
            "ping": self.ping,
            "logging/setLevel": self.set_level,
            "resources/subscribe": self.subscribe,
            "resources/unsubscribe": self.subscribe,
            **shared,
        }

    # -- results -----------------------------------------------------------------------------------------

    def stamp(self, result: dict[str, Any]) -> dict[str, Any]:
        """Add the modern ``resultType`` and the ``serverInfo`` stamp to a result."""
        result.setdefault("resultType", "complete")
        meta = result.get("_meta")
        if isinstance(meta, dict):
            meta.setdefault(rpc.META_SERVER_INFO, self.settings.server_info)
        else:
            result["_meta"] = {rpc.META_SERVER_INFO: self.settings.server_info}
        return result

    def stamped(self, result: dict[str, Any], call: Call) -> dict[str, Any]:
        """``result`` stamped when ``call`` is modern, as it is otherwise."""
        return self.stamp(result) if call.era == "modern" else result

    def _cacheable(self, result: dict[str, Any], ttl_ms: int) -> dict[str, Any]:
        result["ttlMs"] = ttl_ms
        result["cacheScope"] = self.settings.caching.scope
        return self.stamp(result)

    def capabilities(self, era: Era) -> dict[str, Any]:
        """What the server offers; list changes and subscriptions only where a stream can carry them."""
        # Handshake era: a session's GET stream carries them; 2026-07-28: subscriptions/listen streams.
        live = self.stores.sessions is not None if era == "legacy" else self.settings.streaming
        return self.registry.capabilities(era, live)

    def pausable(self, work: Awaitable[T], call: Call, asks: bool) -> Awaitable[T]:
        """A function's call to await; one that may ask for input in the modern era can pause it (MRTR).

        Only a client that declared a capability to answer with can be asked anything (the asker refuses
        -32021 otherwise), so without one the call runs as it is. (A plain function handing back what to
        await, rather than a coroutine awaiting it: one frame less per call.)
        """
        if asks and call.era == "modern" and not ASKING_CAPABILITIES.isdisjoint(call.client_capabilities):
            return until_answered(work, call.input_round())
        return work

    # -- handshake ---------------------------------------------------------------------------------------

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
            "capabilities": self.capabilities("legacy"),
            "serverInfo": self.settings.server_info,
        }
        if self.settings.instructions:
            result["instructions"] = self.settings.instructions
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
            "supportedVersions": list(rpc.SUPPORTED_VERSIONS),
            "capabilities": self.capabilities("modern"),
        }
        if self.settings.instructions:
            result["instructions"] = self.settings.instructions
        return self._cacheable(result, self.settings.caching.discover_ttl_ms)

    # -- lists -------------------------------------------------------------------------------------------

    def _page(
        self, kind: str, items: list[dict[str, Any]], params: Mapping[str, Any], call: Call
    ) -> CachedPage:
        """One page of a list result, serialized once and cached per (kind, era, cursor) and registry version."""
        cursor = params.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "cursor must be a string")
        if self._pages_version != self.registry.version:
            self._pages.clear()
            self._pages_version = self.registry.version
        key = (kind, call.era, cursor)
        cached = self._pages.get(key)
        if cached is not None:
            return cached
        start = _decode_cursor(cursor, len(items)) if cursor is not None else 0
        size = self.settings.page_size or len(items) or 1
        page: dict[str, Any] = {kind: items[start : start + size]}
        if start + size < len(items):
            page["nextCursor"] = _encode_cursor(start + size)
        if call.era == "modern":
            self._cacheable(page, self.settings.caching.list_ttl_ms)
        body = CachedPage(to_json(page))
        if len(self._pages) < _MAX_CACHED_PAGES:
            self._pages[key] = body
        return body

    async def list_tools(self, params: Mapping[str, Any], call: Call) -> CachedPage:
        return self._page("tools", self.registry.tool_definitions(), params, call)

    async def list_resources(self, params: Mapping[str, Any], call: Call) -> CachedPage:
        return self._page("resources", self.registry.resource_definitions(), params, call)

    async def list_templates(self, params: Mapping[str, Any], call: Call) -> CachedPage:
        return self._page("resourceTemplates", self.registry.template_definitions(), params, call)

    async def list_prompts(self, params: Mapping[str, Any], call: Call) -> CachedPage:
        return self._page("prompts", self.registry.prompt_definitions(), params, call)

    # -- calls -------------------------------------------------------------------------------------------

    async def call_tool(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        name, arguments = _name_and_arguments(params, call.method)
        tool = self.registry.tools.get(name)
        if tool is None:
            raise ProtocolError(rpc.INVALID_PARAMS, f"Unknown tool: {name}")
        if call.era == "modern" and tool.param_headers:
            check_param_headers(tool, arguments or {}, call.headers)
        for extension in self.registry.extensions:
            taken = await extension.call_tool(tool, arguments or {}, call)
            if taken is not None:
                return self.stamped(taken, call)
        if not tool.wants_context:  # the common case: nothing can pause
            result = await tool.run(arguments, None)
        else:
            result = await self.pausable(tool.run(arguments, call.context()), call, True)
        return self.stamp(result) if call.era == "modern" else result

    async def read_resource(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        uri = params.get("uri")
        if not isinstance(uri, str):
            raise ProtocolError(rpc.INVALID_PARAMS, "resources/read: uri must be a string")
        found = self.registry.find_resource(uri)
        if found is None:
            code = rpc.INVALID_PARAMS if call.era == "modern" else rpc.RESOURCE_NOT_FOUND
            raise ProtocolError(code, f"Resource not found: {uri}", data={"uri": uri})
        resource, variables = found
        asks = resource.function.wants_context
        contents = await self.pausable(
            resource.read(uri, variables, call.context() if asks else None), call, asks
        )
        result: dict[str, Any] = {"contents": contents}
        if call.era == "modern":
            return self._cacheable(result, self.settings.caching.read_ttl_ms)
        return result

    async def get_prompt(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        name, arguments = _name_and_arguments(params, call.method)
        prompt = self.registry.prompts.get(name)
        if prompt is None:
            raise ProtocolError(rpc.INVALID_PARAMS, f"Unknown prompt: {name}")
        asks = prompt.function.wants_context
        result = await self.pausable(
            prompt.render(arguments or {}, call.context() if asks else None), call, asks
        )
        return self.stamped(result, call)

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
        completion = await self.registry.complete(ref, arg_name, value, others)
        return self.stamped({"completion": completion.to_wire()}, call)

    # -- subscriptions -----------------------------------------------------------------------------------

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
        agreed, kinds, uris = SubscriptionHub.agreed(requested, self.registry.offered())
        for extension in self.registry.extensions:
            agreed.update(extension.listen(requested, call))
        listener = Listener(call.id, kinds, uris, agreed)
        hub = self.stores.subscriptions
        hub.open(listener)
        gone = asyncio.ensure_future(out.wait_disconnect())
        try:
            await out.send_message(
                listener.tagged("notifications/subscriptions/acknowledged", {"notifications": agreed})
            )
            await _relay(listener, gone, out.send_message)
        finally:
            hub.close(listener)
            gone.cancel()
        return self.stamp({"_meta": {SUBSCRIPTION_ID: call.id}})


async def _relay(
    listener: Listener, gone: asyncio.Future[Any], send: Callable[[dict[str, Any]], Awaitable[None]]
) -> None:
    """Send the listener's queued messages until the client leaves or the server shuts down (a None)."""
    while True:
        getter: asyncio.Future[Any] = asyncio.ensure_future(listener.queue.get())
        done, _ = await asyncio.wait({getter, gone}, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:  # the client closed the stream
            getter.cancel()
            return
        message = getter.result()
        if message is None:  # the server is shutting down
            return
        await send(message)


def _name_and_arguments(params: Mapping[str, Any], method: str) -> tuple[str, dict[str, Any] | None]:
    """The ``name`` and ``arguments`` of a ``tools/call`` or ``prompts/get``, type-checked (-32602)."""
    name = params.get("name")
    if not isinstance(name, str):
        raise ProtocolError(rpc.INVALID_PARAMS, f"{method}: name must be a string")
    arguments = params.get("arguments")
    if arguments is not None and not isinstance(arguments, dict):
        raise ProtocolError(rpc.INVALID_PARAMS, f"{method}: arguments must be an object")
    return name, arguments


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
