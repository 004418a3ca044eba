"""``AgentCoreMCP``: a set of tools served as a stateless, dual-era MCP server (a plain ASGI app).

A thin facade: it normalises the arguments into option groups (:mod:`._options`), and composes a
:class:`~._registry.Registry` (what is offered), :class:`~._stores.Stores` (sessions, pending questions,
listen streams, the state sealer), a :class:`~._protocol.Protocol` (one message -> one reply) and the ASGI
:class:`~._asgi.Edge` (HTTP in, bytes out). Data flows one way: edge -> protocol -> registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from agentcore_mcp._settings import ALLOWED_HOSTS, ALLOWED_ORIGINS
from agentcore_mcp.errors import RegistrationError
from agentcore_mcp.server._asgi import Edge
from agentcore_mcp.server._completion import Completion, CompletionHandler
from agentcore_mcp.server._extension import Extension
from agentcore_mcp.server._http import HostCheck, Receive, Scope, Send
from agentcore_mcp.server._input import PendingRequests
from agentcore_mcp.server._methods import Settings
from agentcore_mcp.server._options import (
    CachingHints,
    Limits,
    SessionMode,
    StateSealing,
    env_list,
)
from agentcore_mcp.server._prompts import OPTIONS_ATTR as PROMPT_ATTR
from agentcore_mcp.server._prompts import Prompt
from agentcore_mcp.server._protocol import Protocol
from agentcore_mcp.server._registration import PromptOptions, ResourceOptions, ToolOptions, merged
from agentcore_mcp.server._registry import LIST_KINDS, Registry
from agentcore_mcp.server._resources import OPTIONS_ATTR as RESOURCE_ATTR
from agentcore_mcp.server._resources import RecordedResource, Resource
from agentcore_mcp.server._session_store import SessionStore
from agentcore_mcp.server._state import StateSealer
from agentcore_mcp.server._stores import Stores
from agentcore_mcp.server._subscriptions import SubscriptionHub
from agentcore_mcp.server._tools import OPTIONS_ATTR as TOOL_ATTR
from agentcore_mcp.server._tools import Tool
from agentcore_mcp.server._warmup import DEFAULT_WARMUP_PATH, Warmup

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["AgentCoreMCP"]

F = TypeVar("F", bound=Callable[..., Any])


class AgentCoreMCP:
    """An MCP server for AgentCore Runtime: register tools, then serve it as an ASGI app or with :meth:`run`.

    The server is stateless: every ``POST /mcp`` stands alone, in either protocol era, so any replica (or a
    fresh microVM) can answer any request. It accepts whatever ``Mcp-Session-Id`` and ``Host`` the platform
    sends and never mints a session id of its own; any ``Host`` is accepted unless ``allowed_hosts`` (or
    ``AGENTCORE_MCP_ALLOWED_HOSTS``) names some, as for SDK servers behind ``agentcore_app``.

    Args:
        name: the server name published in ``serverInfo``.
        version: the server version published in ``serverInfo``.
        instructions: text telling clients how to use the server.
        tools: functions (decorated with ``@tool`` or plain) to register.
        resources: functions decorated with ``@resource("uri")`` to register.
        prompts: functions (decorated with ``@prompt`` or plain) to register.
        title: a human-readable server name.
        path: the MCP endpoint path (``/mcp`` on AgentCore); the path with a trailing slash works too.
        allowed_origins: ``Origin`` values allowed besides localhost ones (DNS-rebinding protection); also
            read from ``AGENTCORE_MCP_ALLOWED_ORIGINS`` (comma-separated). ``"*"`` allows any origin.
        allow_localhost_origins: allow ``http(s)://localhost|127.0.0.1|[::1]`` origins on any port.
        allowed_hosts: turn on the ``Host`` check: the endpoint then answers 421 unless ``Host`` is an
            AgentCore endpoint, localhost, or matches one of these (``*`` = one DNS label, ports ignored);
            also read from ``AGENTCORE_MCP_ALLOWED_HOSTS`` (comma-separated). None given (the default) or
            ``"*"``: any ``Host`` (pod IPs, custom domains, proxies); the ``Origin`` check guards against
            DNS rebinding either way.
        streaming: answer with an SSE stream when a tool sends progress or log notifications; when False,
            every answer is one JSON body and notifications are dropped.
        expose_errors: include exception text in tool error results (off: a generic message; the full
            traceback is logged either way).
        keepalive: seconds between SSE comment lines on a quiet open stream (None: never).
        sessions: opt into session mode for the handshake era (see :mod:`agentcore_mcp.server._session_store`):
            ``Mcp-Session-Id`` minted on ``initialize`` (or the platform's adopted), per-session log level,
            capabilities and subscriptions, the GET stream, ``Last-Event-ID`` resumption, DELETE. The
            2026-07-28 era stays stateless.
        caching: the 2026-07-28 caching hints (:class:`CachingHints`: ``list_ttl_ms``, ``read_ttl_ms``,
            ``discover_ttl_ms``, ``scope``).
        limits: the body size (413 beyond it), ``tools/list`` page size, how long a handshake-era handler
            waits for the client's answer to ``ctx.elicit``/``ctx.sample``/``ctx.list_roots``, and how long
            a client may leave its answer unread (:class:`Limits`; the last also
            ``AGENTCORE_MCP_SEND_TIMEOUT``).
        sealing: how the 2026-07-28 ``requestState`` is sealed (:class:`StateSealing`: ``keys``, first
            seals and all open, default ``AGENTCORE_MCP_STATE_KEYS``, else an ephemeral key with a warning;
            ``ttl``, seconds a state stays valid).
        sessions: also a :class:`SessionMode` (``idle_timeout``, ``sse_retry_ms``) instead of ``True``.
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
        allowed_origins: Iterable[str] = (),
        allow_localhost_origins: bool = True,
        allowed_hosts: Iterable[str] = (),
        streaming: bool = True,
        expose_errors: bool = False,
        keepalive: float | None = 15.0,
        sessions: bool | SessionMode = False,
        extensions: Iterable[Extension] = (),
        caching: CachingHints | None = None,
        limits: Limits | None = None,
        sealing: StateSealing | None = None,
    ) -> None:
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        self.caching = caching if caching is not None else CachingHints()
        self.limits = limits if limits is not None else Limits()
        self.sealing = sealing if sealing is not None else StateSealing()
        mode = sessions if isinstance(sessions, SessionMode) else SessionMode()
        self.session_mode: SessionMode | None = mode if sessions else None
        self.name = name
        self.version = version
        self.instructions = instructions
        self.server_info: dict[str, Any] = {"name": name, "version": version}
        if title:
            self.server_info["title"] = title
        self.path = path.rstrip("/") or "/"
        self.streaming = streaming
        self.expose_errors = expose_errors
        self.keepalive = keepalive
        self._registry = Registry(expose_errors=expose_errors)
        self._stores = Stores(
            sessions=self.session_mode, sealing=self.sealing, input_timeout=self.limits.input_timeout
        )
        self.protocol = Protocol(self._registry, self._protocol_settings(), self._stores)
        self._edge = self._make_edge(allowed_origins, allow_localhost_origins, allowed_hosts)
        for extension in extensions:
            self.add_extension(extension)
        for fn in tools:
            self.add_tool(fn)
        for fn in resources:
            self.add_resource(fn)
        for fn in prompts:
            self.add_prompt(fn)

    def _protocol_settings(self) -> Settings:
        """What the protocol layer answers with: server info, instructions, streams, caching, paging."""
        return Settings(
            server_info=self.server_info,
            instructions=self.instructions,
            streaming=self.streaming,
            caching=self.caching,
            page_size=self.limits.page_size,
            sse_retry_ms=self.session_mode.sse_retry_ms if self.session_mode is not None else None,
        )

    def _make_edge(
        self, allowed_origins: Iterable[str], allow_localhost_origins: bool, allowed_hosts: Iterable[str]
    ) -> Edge:
        """The ASGI edge in front of the protocol: path, Origin and Host checks (the arguments, and
        ``AGENTCORE_MCP_ALLOWED_ORIGINS`` / ``AGENTCORE_MCP_ALLOWED_HOSTS``), limits, streams, sessions."""
        origins = env_list(ALLOWED_ORIGINS, allowed_origins)
        return Edge(
            protocol=self.protocol,
            path=self.path,
            origins=frozenset(o.lower().rstrip("/").encode() for o in origins),
            allow_localhost=allow_localhost_origins,
            hosts=HostCheck.configured(env_list(ALLOWED_HOSTS, allowed_hosts)),
            max_body_size=self.limits.max_body_size,
            send_timeout=self.limits.send_timeout,
            keepalive=self.keepalive,
            sessions=self._stores.sessions,
            sse_retry_ms=self.session_mode.sse_retry_ms if self.session_mode is not None else 0,
            on_shutdown=self._shutdown,
        )

    # -- settings, read back ------------------------------------------------------------------------------

    @property
    def max_body_size(self) -> int:
        return self.limits.max_body_size

    @property
    def page_size(self) -> int | None:
        return self.limits.page_size

    @property
    def input_timeout(self) -> float:
        return self.limits.input_timeout

    @property
    def sessions(self) -> SessionStore | None:
        """Session mode's store of sessions (None: stateless)."""
        return self._stores.sessions

    @property
    def pending(self) -> PendingRequests:
        """Handshake-era questions to clients awaiting their answers."""
        return self._stores.pending

    @property
    def subscriptions(self) -> SubscriptionHub:
        """The open 2026-07-28 ``subscriptions/listen`` streams."""
        return self._stores.subscriptions

    @property
    def state_sealer(self) -> StateSealer:
        """The sealer of MRTR ``requestState`` (created on first use, so unset keys warn only when needed)."""
        return self._stores.sealer

    # -- extensions --------------------------------------------------------------------------------------

    def add_extension(self, extension: Extension) -> None:
        """Plug ``extension`` in: its methods, its capability, its take-over of ``tools/call``.

        Raises:
            ValueError: it names a method that is already served.
        """
        self.protocol.add_extension(extension)
        self._registry.add_extension(extension)
        extension.bind(self)

    @property
    def extensions(self) -> tuple[Extension, ...]:
        """The extensions added, in order."""
        return tuple(self._registry.extensions)

    # -- tools, resources, prompts: each takes its one options type (see _registration) -----------------

    def add_tool(self, fn: Callable[..., Any], **options: Unpack[ToolOptions]) -> Tool:
        """Register ``fn`` as a tool; the options (those of :func:`~agentcore_mcp.tool`) override what
        ``@tool`` recorded on it.

        Raises:
            RegistrationError: a tool of that name exists, the signature cannot be described, or an option
                value is invalid.
        """
        recorded: ToolOptions | None = getattr(fn, TOOL_ATTR, None)
        compiled = self._registry.add_tool(fn, merged("tool", recorded, options))
        self._announce("tools")
        return compiled

    @overload
    def tool(self, fn: F, /) -> F: ...

    @overload
    def tool(self, /, **options: Unpack[ToolOptions]) -> Callable[[F], F]: ...

    def tool(self, fn: Callable[..., Any] | None = None, /, **options: Unpack[ToolOptions]) -> Any:
        """Decorator form of :meth:`add_tool` (bare or with options); returns the function unchanged."""

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_tool(func, **options)
            return func

        return register(fn) if fn is not None else register

    def remove_tool(self, name: str) -> None:
        """Unregister a tool (KeyError if there is none of that name)."""
        self._registry.remove_tool(name)
        self._announce("tools")

    def get_tool(self, name: str) -> Tool | None:
        return self._registry.tools.get(name)

    @property
    def tools(self) -> Mapping[str, Tool]:
        """The registered tools by name, in registration order."""
        return self._registry.tools

    def tool_definitions(self) -> list[dict[str, Any]]:
        """The wire definitions of all tools, in registration order (as ``tools/list`` publishes them)."""
        return self._registry.tool_definitions()

    def add_resource(
        self, fn: Callable[..., Any], uri: str | None = None, **options: Unpack[ResourceOptions]
    ) -> Resource:
        """Register ``fn`` as a resource (or template) reader; ``uri`` is needed unless ``@resource`` gave one.
        The options (those of :func:`~agentcore_mcp.resource`) override what ``@resource`` recorded.

        Raises:
            RegistrationError: no URI, a duplicate URI or name, or parameters that do not fit the template.
        """
        recorded: RecordedResource | None = getattr(fn, RESOURCE_ATTR, None)
        if recorded is None and uri is None:
            raise RegistrationError(f"{fn!r} needs a URI: add_resource(fn, 'scheme://...') or @resource(...)")
        chosen: RecordedResource = merged("resource", recorded, options)
        if uri is not None:
            chosen["uri"] = uri
        compiled = self._registry.add_resource(fn, chosen)
        self._announce("resources")
        return compiled

    def resource(self, uri: str, /, **options: Unpack[ResourceOptions]) -> Callable[[F], F]:
        """Decorator form of :meth:`add_resource`; returns the function unchanged."""

        def register(func: F) -> F:
            self.add_resource(func, uri, **options)
            return func

        return register

    def find_resource(self, uri: str) -> tuple[Resource, dict[str, str]] | None:
        """The resource that serves ``uri`` and the template variables: exact URIs first, then templates."""
        return self._registry.find_resource(uri)

    def resource_definitions(self) -> list[dict[str, Any]]:
        return self._registry.resource_definitions()

    def template_definitions(self) -> list[dict[str, Any]]:
        return self._registry.template_definitions()

    def add_prompt(self, fn: Callable[..., Any], **options: Unpack[PromptOptions]) -> Prompt:
        """Register ``fn`` as a prompt; the options (those of :func:`~agentcore_mcp.prompt`) override what
        ``@prompt`` recorded.

        Raises:
            RegistrationError: a prompt of that name exists, or the signature cannot be described.
        """
        recorded: PromptOptions | None = getattr(fn, PROMPT_ATTR, None)
        compiled = self._registry.add_prompt(fn, merged("prompt", recorded, options))
        self._announce("prompts")
        return compiled

    @overload
    def prompt(self, fn: F, /) -> F: ...

    @overload
    def prompt(self, /, **options: Unpack[PromptOptions]) -> Callable[[F], F]: ...

    def prompt(self, fn: Callable[..., Any] | None = None, /, **options: Unpack[PromptOptions]) -> Any:
        """Decorator form of :meth:`add_prompt` (bare or with options); returns the function unchanged."""

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_prompt(func, **options)
            return func

        return register(fn) if fn is not None else register

    def get_prompt(self, name: str) -> Prompt | None:
        return self._registry.prompts.get(name)

    def prompt_definitions(self) -> list[dict[str, Any]]:
        return self._registry.prompt_definitions()

    # -- completion ----------------------------------------------------------------------------------------

    def completion(self, handler: CompletionHandler) -> CompletionHandler:
        """Register the completion handler: ``handler(ref, argument, value, other_arguments)``.

        It returns a list of strings, a :class:`Completion`, or None to fall back to the built-in completion
        (the values a ``Literal``/enum/``bool`` parameter allows, filtered by prefix). Sync or async.
        """
        self._registry.completion = handler
        return handler

    async def complete(
        self, ref: Mapping[str, Any], argument: str, value: str, others: Mapping[str, str]
    ) -> Completion:
        """Answer ``completion/complete`` (raises ProtocolError -32602 for an unknown reference)."""
        return await self._registry.complete(ref, argument, value, others)

    # -- notifications -------------------------------------------------------------------------------------

    def _announce(self, kind: str) -> None:
        # Lists are usually registered before serving; a change while serving is announced to listeners.
        if len(self.subscriptions) or (self.sessions is not None and len(self.sessions)):
            self.notify_list_changed(kind)

    def offered(self) -> dict[str, bool]:
        """Which lists exist (and so can change)."""
        return self._registry.offered()

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
        if kind not in LIST_KINDS:
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
        return self.protocol.methods.capabilities("modern" if era == "modern" else "legacy")

    # -- ASGI ----------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._edge(scope, receive, send)

    # -- Runtime V2 ----------------------------------------------------------------------------------------

    @overload
    def warmup(self, fn: F, /) -> F: ...

    @overload
    def warmup(self, /, *, path: str = DEFAULT_WARMUP_PATH) -> Callable[[F], F]: ...

    def warmup(self, fn: Callable[..., Any] | None = None, /, *, path: str = DEFAULT_WARMUP_PATH) -> Any:
        """Register the warm-up code Runtime V2's build hook runs, served as ``POST path`` (``/warmup``).

        Use it as ``@app.warmup`` (or ``@app.warmup(path="/prepare")``) on a function taking no arguments,
        ``def`` (run in a worker thread: the server keeps answering health probes meanwhile) or ``async
        def``. The platform POSTs the hook once per create or update, before it snapshots the container and
        before any session: import heavy modules, fill caches there (and make per-session things such as
        boto3 clients lazily in the tools instead: they would be shared by every restored session). The
        answer is 200 once the function returned (a later POST does not run it again) and 500 when it
        raised, which fails the deploy. Deploy with ``agentcore-mcp deploy ... --warmup-path /warmup``.

        Raises:
            RegistrationError: a warm-up function is already registered, or the path is the MCP path or
                ``/ping``.
        """

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            if self._edge.warmup is not None:
                raise RegistrationError("a warm-up function is already registered")
            hook = Warmup(func, path, expose_errors=self.expose_errors)
            if hook.path in (self.path, "/ping"):
                raise RegistrationError(
                    f"the warm-up path cannot be {hook.path}: the server answers it already"
                )
            self._edge.warmup = hook
            return func

        return register(fn) if fn is not None else register

    def _shutdown(self) -> None:
        self.subscriptions.shutdown()
        for extension in self._registry.extensions:
            extension.close()

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
