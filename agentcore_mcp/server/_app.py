"""``AgentCoreMCP``: a set of tools served as a stateless, dual-era MCP server (a plain ASGI app)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

from pydantic_core import from_json

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError, RegistrationError
from agentcore_mcp.server._completion import (
    Completion,
    CompletionHandler,
    CompletionRef,
    call_handler,
    enum_completion,
)
from agentcore_mcp.server._compression import accepts_gzip
from agentcore_mcp.server._extension import Extension
from agentcore_mcp.server._http import (
    BodyTooLarge,
    Receive,
    Responder,
    Scope,
    Send,
    accepts_both,
    origin_allowed,
    read_body,
    send_bytes,
)
from agentcore_mcp.server._input import PendingRequests
from agentcore_mcp.server._prompts import Prompt, PromptOptions
from agentcore_mcp.server._protocol import Protocol, RequestHeaders, error_body
from agentcore_mcp.server._resources import Resource, ResourceOptions
from agentcore_mcp.server._session_store import SessionStore
from agentcore_mcp.server._state import StateSealer
from agentcore_mcp.server._subscriptions import SubscriptionHub
from agentcore_mcp.server._tools import TaskSupport, Tool, ToolAnnotations, ToolOptions

__all__ = ["AgentCoreMCP"]

logger = logging.getLogger("agentcore_mcp.server")

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_MAX_BODY = 100_000_000  # AgentCore's InvokeAgentRuntime payload cap
# httptools reads any header block whole; refuse what no MCP client sends (AgentCore caps a custom header
# value at 4 KB and allow-lists at most 20).
MAX_HEADER_COUNT = 100
MAX_HEADER_BYTES = 64 * 1024
_HEALTHY = b'{"status":"Healthy"}'


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


class AgentCoreMCP:
    """An MCP server for AgentCore Runtime: register tools, then serve it as an ASGI app or with :meth:`run`.

    The server is stateless: every ``POST /mcp`` stands alone, in either protocol era, so any replica (or a
    fresh microVM) can answer any request. It accepts whatever ``Mcp-Session-Id`` and ``Host`` the platform
    sends and never mints a session id of its own.

    Args:
        name: the server name published in ``serverInfo``.
        version: the server version published in ``serverInfo``.
        instructions: text telling clients how to use the server.
        tools: functions (decorated with ``@tool`` or plain) to register.
        resources: functions decorated with ``@resource("uri")`` to register.
        prompts: functions (decorated with ``@prompt`` or plain) to register.
        title: a human-readable server name.
        path: the MCP endpoint path (``/mcp`` on AgentCore); the path with a trailing slash works too.
        max_body_size: the largest request body accepted, in bytes (413 beyond it).
        allowed_origins: ``Origin`` values allowed besides localhost ones (DNS-rebinding protection); also
            read from ``AGENTCORE_MCP_ALLOWED_ORIGINS`` (comma-separated). ``"*"`` allows any origin.
        allow_localhost_origins: allow ``http(s)://localhost|127.0.0.1|[::1]`` origins on any port.
        streaming: answer with an SSE stream when a tool sends progress or log notifications; when False,
            every answer is one JSON body and notifications are dropped.
        page_size: tools per ``tools/list`` page (None: one page).
        list_ttl_ms: the ``ttlMs`` caching hint on modern list results.
        read_ttl_ms: the ``ttlMs`` caching hint on modern ``resources/read`` results.
        discover_ttl_ms: the ``ttlMs`` caching hint on ``server/discover``.
        cache_scope: the ``cacheScope`` hint (``"private"`` or ``"public"``).
        expose_errors: include exception text in tool error results (off: a generic message; the full
            traceback is logged either way).
        input_timeout: seconds a handshake-era handler waits for the client's answer to ``ctx.elicit``,
            ``ctx.sample`` or ``ctx.list_roots`` before failing with a clear error.
        keepalive: seconds between SSE comment lines on a quiet open stream (None: never).
        state_keys: keys sealing the 2026-07-28 ``requestState`` (first seals, all open); default
            ``AGENTCORE_MCP_STATE_KEYS``, else an ephemeral key with a warning.
        state_ttl: seconds a sealed ``requestState`` stays valid.
        sessions: opt into session mode for the handshake era (see :mod:`agentcore_mcp.server._session_store`):
            ``Mcp-Session-Id`` minted on ``initialize`` (or the platform's adopted), per-session log level,
            capabilities and subscriptions, the GET stream, ``Last-Event-ID`` resumption, DELETE. The
            2026-07-28 era stays stateless.
        session_idle_timeout: seconds after which an unused session is forgotten (AgentCore's default).
        sse_retry_ms: the ``retry`` hint of priming events in session mode.
        extensions: components that add methods, a capability and a ``tools/call`` take-over (see
            :meth:`add_extension`).
    """

    def __init__(
        self,
        name: str,
        *,
        version: str = "1.0.0",
        instructions: str | None = None,
        tools: Iterable[Callable[..., Any]] = (),
        resources: Iterable[Callable[..., Any]] = (),
        prompts: Iterable[Callable[..., Any]] = (),
        title: str | None = None,
        path: str = "/mcp",
        max_body_size: int = DEFAULT_MAX_BODY,
        allowed_origins: Iterable[str] = (),
        allow_localhost_origins: bool = True,
        streaming: bool = True,
        page_size: int | None = None,
        list_ttl_ms: int = 0,
        read_ttl_ms: int = 0,
        discover_ttl_ms: int = 0,
        cache_scope: str = "private",
        expose_errors: bool = False,
        input_timeout: float = 300.0,
        keepalive: float | None = 15.0,
        state_keys: Iterable[str] | None = None,
        state_ttl: float = 600.0,
        sessions: bool = False,
        session_idle_timeout: float = 900.0,
        sse_retry_ms: int = 1000,
        extensions: Iterable[Extension] = (),
    ) -> None:
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        if cache_scope not in ("private", "public"):
            raise ValueError(f"cache_scope must be 'private' or 'public', got {cache_scope!r}")
        if page_size is not None and page_size < 1:
            raise ValueError(f"page_size must be a positive integer, got {page_size!r}")
        self.name = name
        self.version = version
        self.instructions = instructions
        self.server_info: dict[str, Any] = {"name": name, "version": version}
        if title:
            self.server_info["title"] = title
        self.path = path.rstrip("/") or "/"
        self.max_body_size = max_body_size
        origins = [*allowed_origins, *_env_list("AGENTCORE_MCP_ALLOWED_ORIGINS")]
        self._origins = frozenset(o.lower().rstrip("/").encode() for o in origins)
        self._allow_localhost = allow_localhost_origins
        self.streaming = streaming
        self.page_size = page_size
        self.list_ttl_ms = list_ttl_ms
        self.read_ttl_ms = read_ttl_ms
        self.discover_ttl_ms = discover_ttl_ms
        self.cache_scope = cache_scope
        self.expose_errors = expose_errors
        self.input_timeout = input_timeout
        self.keepalive = keepalive
        self._state_keys = [k.encode() for k in state_keys] if state_keys else None
        self._state_ttl = state_ttl
        self._sealer: StateSealer | None = None
        self.pending = PendingRequests()
        self.sessions: SessionStore | None = SessionStore(session_idle_timeout) if sessions else None
        self.sse_retry_ms = sse_retry_ms
        self.subscriptions = SubscriptionHub()
        self._tools: dict[str, Tool] = {}
        self._resources: dict[str, Resource] = {}
        self._templates: list[Resource] = []
        self._prompts: dict[str, Prompt] = {}
        self._completion: CompletionHandler | None = None
        self._definitions: list[dict[str, Any]] | None = None
        self.protocol = Protocol(self)
        self._extensions: list[Extension] = []
        for extension in extensions:
            self.add_extension(extension)
        self._paths = (self.path, self.path + "/") if self.path != "/" else ("/",)
        for fn in tools:
            self.add_tool(fn)
        for fn in resources:
            self.add_resource(fn)
        for fn in prompts:
            self.add_prompt(fn)

    # -- registration ------------------------------------------------------------------------------------

    def add_extension(self, extension: Extension) -> None:
        """Plug ``extension`` in: its methods, its capability, its take-over of ``tools/call``.

        Raises:
            ValueError: it names a method that is already served.
        """
        self.protocol.add_extension(extension)
        self._extensions.append(extension)
        extension.bind(self)
        self._changed_definitions()

    @property
    def extensions(self) -> tuple[Extension, ...]:
        """The extensions added, in order."""
        return tuple(self._extensions)

    def add_tool(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | Mapping[str, Any] | None = None,
        timeout: float | None = None,
        sync_to_thread: bool | None = None,
        task: TaskSupport | None = None,
    ) -> Tool:
        """Register ``fn`` as a tool; keyword options override what ``@tool`` recorded on it.

        Raises:
            RegistrationError: a tool of that name exists, or the signature cannot be described.
        """
        base: ToolOptions = getattr(fn, "__agentcore_mcp_tool__", None) or ToolOptions()
        options = _override(
            base,
            name=name,
            title=title,
            description=description,
            annotations=dict(annotations) if annotations else None,
            timeout=timeout,
            sync_to_thread=sync_to_thread,
            task=task,
        )
        compiled = Tool(fn, options)
        if compiled.name in self._tools:
            raise RegistrationError(f"a tool named {compiled.name!r} is already registered")
        compiled.expose_errors = self.expose_errors
        self._tools[compiled.name] = compiled
        self._changed("tools")
        return compiled

    @overload
    def tool(self, fn: F, /) -> F: ...

    @overload
    def tool(
        self,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | Mapping[str, Any] | None = None,
        timeout: float | None = None,
        sync_to_thread: bool | None = None,
        task: TaskSupport | None = None,
    ) -> Callable[[F], F]: ...

    def tool(
        self,
        fn: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | Mapping[str, Any] | None = None,
        timeout: float | None = None,
        sync_to_thread: bool | None = None,
        task: TaskSupport | None = None,
    ) -> Any:
        """Decorator form of :meth:`add_tool`; returns the function unchanged."""

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_tool(
                func,
                name=name,
                title=title,
                description=description,
                annotations=annotations,
                timeout=timeout,
                sync_to_thread=sync_to_thread,
                task=task,
            )
            return func

        return register(fn) if fn is not None else register

    def remove_tool(self, name: str) -> None:
        """Unregister a tool (KeyError if there is none of that name)."""
        del self._tools[name]
        self._changed("tools")

    def get_tool(self, name: str) -> Tool | None:
        return self._tools.get(name)

    @property
    def tools(self) -> Mapping[str, Tool]:
        """The registered tools by name, in registration order."""
        return self._tools

    def tool_definitions(self) -> list[dict[str, Any]]:
        """The wire definitions of all tools, in registration order (as ``tools/list`` publishes them)."""
        if self._definitions is None:
            definitions = [t.definition for t in self._tools.values()]
            for extension in self._extensions:
                definitions = [dict(d) for d in definitions]
                for tool, definition in zip(self._tools.values(), definitions, strict=True):
                    extension.describe_tool(tool, definition)
            self._definitions = definitions
        return self._definitions

    # -- resources -----------------------------------------------------------------------------------------

    def add_resource(
        self,
        fn: Callable[..., Any],
        uri: str | None = None,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
    ) -> Resource:
        """Register ``fn`` as a resource (or template) reader; ``uri`` is needed unless ``@resource`` gave one.

        Raises:
            RegistrationError: no URI, a duplicate URI or name, or parameters that do not fit the template.
        """
        base: ResourceOptions | None = getattr(fn, "__agentcore_mcp_resource__", None)
        if base is None and uri is None:
            raise RegistrationError(f"{fn!r} needs a URI: add_resource(fn, 'scheme://...') or @resource(...)")
        options = _override(
            base or ResourceOptions(uri=uri or ""),
            uri=uri,
            name=name,
            title=title,
            description=description,
            mime_type=mime_type,
        )
        compiled = Resource(fn, options)
        if compiled.uri in self._resources or any(t.uri == compiled.uri for t in self._templates):
            raise RegistrationError(f"a resource at {compiled.uri!r} is already registered")
        compiled.expose_errors = self.expose_errors
        if compiled.is_template:
            self._templates.append(compiled)
        else:
            self._resources[compiled.uri] = compiled
        self._changed("resources")
        return compiled

    def resource(
        self,
        uri: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
    ) -> Callable[[F], F]:
        """Decorator form of :meth:`add_resource`; returns the function unchanged."""

        def register(func: F) -> F:
            self.add_resource(func, uri, name=name, title=title, description=description, mime_type=mime_type)
            return func

        return register

    def find_resource(self, uri: str) -> tuple[Resource, dict[str, str]] | None:
        """The resource that serves ``uri`` and the template variables: exact URIs first, then templates."""
        exact = self._resources.get(uri)
        if exact is not None:
            return exact, {}
        for template in self._templates:
            variables = template.match(uri)
            if variables is not None:
                return template, variables
        return None

    def resource_definitions(self) -> list[dict[str, Any]]:
        return [r.definition for r in self._resources.values()]

    def template_definitions(self) -> list[dict[str, Any]]:
        return [t.definition for t in self._templates]

    # -- prompts -------------------------------------------------------------------------------------------

    def add_prompt(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
    ) -> Prompt:
        """Register ``fn`` as a prompt; keyword options override what ``@prompt`` recorded.

        Raises:
            RegistrationError: a prompt of that name exists, or the signature cannot be described.
        """
        base: PromptOptions = getattr(fn, "__agentcore_mcp_prompt__", None) or PromptOptions()
        compiled = Prompt(fn, _override(base, name=name, title=title, description=description))
        if compiled.name in self._prompts:
            raise RegistrationError(f"a prompt named {compiled.name!r} is already registered")
        compiled.expose_errors = self.expose_errors
        self._prompts[compiled.name] = compiled
        self._changed("prompts")
        return compiled

    def prompt(
        self,
        fn: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
    ) -> Any:
        """Decorator form of :meth:`add_prompt` (bare or with options); returns the function unchanged."""

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_prompt(func, name=name, title=title, description=description)
            return func

        return register(fn) if fn is not None else register

    def get_prompt(self, name: str) -> Prompt | None:
        return self._prompts.get(name)

    def prompt_definitions(self) -> list[dict[str, Any]]:
        return [p.definition for p in self._prompts.values()]

    # -- completion ----------------------------------------------------------------------------------------

    def completion(self, handler: CompletionHandler) -> CompletionHandler:
        """Register the completion handler: ``handler(ref, argument, value, other_arguments)``.

        It returns a list of strings, a :class:`Completion`, or None to fall back to the built-in completion
        (the values a ``Literal``/enum/``bool`` parameter allows, filtered by prefix). Sync or async.
        """
        self._completion = handler
        return handler

    async def complete(
        self, ref: Mapping[str, Any], argument: str, value: str, others: Mapping[str, str]
    ) -> Completion:
        """Answer ``completion/complete`` (raises ProtocolError -32602 for an unknown reference)."""
        kind = ref.get("type")
        schema: Mapping[str, Any]
        if kind == "ref/prompt":
            name = ref.get("name")
            prompt = self._prompts.get(name) if isinstance(name, str) else None
            if prompt is None:
                raise ProtocolError(rpc.INVALID_PARAMS, f"Unknown prompt: {name}")
            target = CompletionRef(type="ref/prompt", name=prompt.name)
            schema = prompt.function.schema
        elif kind == "ref/resource":
            uri = ref.get("uri")
            template = next((t for t in self._templates if t.uri == uri), None)
            if template is None:
                raise ProtocolError(rpc.INVALID_PARAMS, f"Unknown resource template: {uri}")
            target = CompletionRef(type="ref/resource", uri=template.uri)
            schema = template.function.schema
        else:
            raise ProtocolError(rpc.INVALID_PARAMS, "ref.type must be 'ref/prompt' or 'ref/resource'")
        if self._completion is not None:
            try:
                answer = await call_handler(self._completion, target, argument, value, others)
            except Exception:
                logger.exception("the completion handler raised")
                raise ProtocolError(rpc.INTERNAL_ERROR, "Completion failed") from None
            if answer is not None:
                return answer
        return enum_completion(schema, argument, value)

    @property
    def state_sealer(self) -> StateSealer:
        """The sealer of MRTR ``requestState`` (created on first use, so unset keys warn only when needed)."""
        if self._sealer is None:
            self._sealer = StateSealer(self._state_keys, ttl_seconds=self._state_ttl)
        return self._sealer

    # -- capabilities ----------------------------------------------------------------------------------------

    def _changed_definitions(self) -> None:
        self._definitions = None
        self.protocol.invalidate()

    def _changed(self, kind: str) -> None:
        self._changed_definitions()
        # Lists are usually registered before serving; a change while serving is announced to listeners.
        if len(self.subscriptions) or (self.sessions is not None and len(self.sessions)):
            self.notify_list_changed(kind)

    # -- notifications to sessions ----------------------------------------------------------------------

    def offered(self) -> dict[str, bool]:
        """Which lists exist (and so can change)."""
        return {
            "tools": bool(self._tools),
            "prompts": bool(self._prompts),
            "resources": bool(self._resources or self._templates),
        }

    def notify_resource_updated(self, uri: str) -> int:
        """Tell subscribers that ``uri`` changed: open 2026-07-28 listen streams that named it, and (session
        mode) handshake-era sessions subscribed to it; returns how many sessions were told. Thread-safe for
        listen streams.
        """
        self.subscriptions.resource_updated(uri)
        if self.sessions is None:
            return 0
        told = 0
        for session in self.sessions:
            if uri in session.subscriptions:
                session.notify(
                    {"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": uri}}
                )
                told += 1
        return told

    def notify_list_changed(self, kind: str) -> int:
        """Send ``notifications/{kind}/list_changed`` (kind: tools, resources, prompts) to every session."""
        if kind not in ("tools", "resources", "prompts"):
            raise ValueError(f"kind must be 'tools', 'resources' or 'prompts', got {kind!r}")
        self.subscriptions.list_changed(kind)
        if self.sessions is None:
            return 0
        sessions = list(self.sessions)
        for session in sessions:
            session.notify({"jsonrpc": "2.0", "method": f"notifications/{kind}/list_changed"})
        return len(sessions)

    def capabilities(self, era: str = "legacy") -> dict[str, Any]:
        """What the server offers; list changes and subscriptions only where a session can carry them."""
        # Handshake era: a session's GET stream carries them; 2026-07-28: subscriptions/listen streams.
        live = self.sessions is not None if era == "legacy" else self.streaming
        caps: dict[str, Any] = {"logging": {}}
        if self._tools:
            caps["tools"] = {"listChanged": live}
        if self._resources or self._templates:
            caps["resources"] = {"listChanged": live, "subscribe": live}
        if self._prompts:
            caps["prompts"] = {"listChanged": live}
        if self._prompts or self._templates:
            caps["completions"] = {}
        offered: dict[str, Any] = {}
        for extension in self._extensions:
            value = extension.capability("modern" if era == "modern" else "legacy")
            if value is not None:
                offered[extension.name] = dict(value)
        if offered:
            caps["extensions"] = offered
        return caps

    # -- ASGI ----------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path: str = scope["path"]
            root = scope.get("root_path")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path in self._paths:
                await self._endpoint(scope, receive, send)
            elif path == "/ping" and scope["method"] in ("GET", "HEAD"):
                await send_bytes(send, 200, _HEALTHY)
            else:
                await send_bytes(send, 404, b'{"error":"Not Found"}')
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:  # websocket: not part of MCP
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.subscriptions.shutdown()
                for extension in self._extensions:
                    extension.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        if len(raw) > MAX_HEADER_COUNT:
            await _refuse(send, 431, f"Request Header Fields Too Large: more than {MAX_HEADER_COUNT} headers")
            return
        headers = RequestHeaders(raw)
        accept = content_type = origin = length = None
        size = 0
        for key, value in raw:
            size += len(key) + len(value)
            if key == b"accept":
                accept = value if accept is None else accept + b"," + value
            elif key == b"content-type":
                content_type = value
            elif key == b"content-length":
                length = value
            elif key == b"origin":
                origin = value
            elif key == b"accept-encoding":
                headers.gzip = headers.gzip or accepts_gzip(value)
            elif key.startswith(b"mcp-"):
                if key == b"mcp-protocol-version":
                    if headers.version is not None:
                        headers.dup = "MCP-Protocol-Version"
                    headers.version = value.decode("latin-1").strip()
                elif key == b"mcp-method":
                    if headers.method is not None:
                        headers.dup = "Mcp-Method"
                    headers.method = value.decode("latin-1").strip()
                elif key == b"mcp-name":
                    if headers.name is not None:
                        headers.dup = "Mcp-Name"
                    headers.name = value.decode("latin-1").strip()
                elif key == b"mcp-session-id":
                    headers.session_id = value.decode("latin-1").strip()
            elif key in (
                b"x-amz-bedrock-agentcore-identity-wat",
                b"workloadaccesstoken",
                b"oauth2callbackurl",
            ):
                headers.identity = True
        if size > MAX_HEADER_BYTES:
            await _refuse(send, 431, f"Request Header Fields Too Large: more than {MAX_HEADER_BYTES} bytes")
            return
        if origin is not None and not origin_allowed(origin, self._origins, self._allow_localhost):
            await _refuse(send, 403, "Forbidden: Origin not allowed")
            return
        if scope["method"] != "POST":
            if self.sessions is not None and scope["method"] in ("GET", "DELETE"):
                from agentcore_mcp.server._streams import delete_session, get_stream

                if scope["method"] == "GET":
                    await get_stream(self, headers, accept, scope, receive, send)
                else:
                    await delete_session(self, headers, send)
                return
            allow = b"GET, POST, DELETE" if self.sessions is not None else b"POST"
            await send_bytes(send, 405, b"", [(b"allow", allow)])
            return
        if not accepts_both(accept):
            await _refuse(
                send, 406, "Not Acceptable: Accept must list application/json and text/event-stream"
            )
            return
        if content_type is None or not content_type.lower().startswith(b"application/json"):
            await _refuse(send, 415, "Unsupported Media Type: Content-Type must be application/json")
            return
        declared: int | None = None
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _refuse(send, 400, "Bad Request: invalid Content-Length")
                return
        try:
            body = await read_body(receive, self.max_body_size, declared)
        except BodyTooLarge:
            await _refuse(send, 413, f"Payload Too Large: the limit is {self.max_body_size} bytes")
            return
        except ConnectionError:
            return  # the client is gone; nobody to answer
        try:
            message = from_json(body)
        except ValueError as exc:
            await send_bytes(send, 400, error_body(None, rpc.PARSE_ERROR, f"Parse error: {exc}"))
            return
        responder = Responder(send, self.keepalive, receive)
        try:
            status, answer = await self.protocol.handle(message, headers, responder)
        except asyncio.CancelledError:
            if not responder.disconnected:
                raise
            # The client left mid-stream and the watcher cancelled the handler: nobody to answer.
            uncancel = getattr(asyncio.current_task(), "uncancel", None)
            if uncancel is not None:
                uncancel()
            logger.info("client disconnected mid-stream; its request was cancelled")
            return
        finally:
            responder.close()
        if answer is None:
            await send_bytes(send, 202, b"", responder.headers)
        else:
            await responder.finish(status, answer)

    # -- serving -------------------------------------------------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        log_level: str | None = None,
        **uvicorn_options: Any,
    ) -> None:
        """Serve with uvicorn until SIGTERM or SIGINT (in-flight requests finish first).

        Defaults come from ``AGENTCORE_MCP_HOST`` (``0.0.0.0``), ``AGENTCORE_MCP_PORT`` (``8000``) and
        ``AGENTCORE_MCP_LOG_LEVEL`` (``info``): AgentCore Runtime expects ``0.0.0.0:8000/mcp``.
        """
        from agentcore_mcp.server._serve import serve

        serve(self, host=host, port=port, log_level=log_level, **uvicorn_options)


OptionsT = TypeVar("OptionsT")


def _override(options: OptionsT, **values: Any) -> OptionsT:
    """``options`` with the given values replacing what the decorator recorded (None: keep the recorded)."""
    given = {k: v for k, v in values.items() if v is not None}
    return dataclasses.replace(options, **given) if given else options  # type: ignore[type-var]


async def _refuse(send: Send, status: int, message: str) -> None:
    code = rpc.INVALID_REQUEST
    await send_bytes(send, status, error_body(None, code, message))
