"""Working with the official MCP SDK and PrefectHQ FastMCP: our decorated functions on their servers, their
servers on AgentCore.

Two directions, one module (what is particular to PrefectHQ FastMCP is in ``agentcore_mcp._fastmcp``; the
dispatch on the server's kind is here):

- :func:`register_with` (also named :func:`register_with_sdk`) puts functions decorated with ``@tool``,
  ``@resource`` or ``@prompt`` on an official SDK server (mcp 2.x ``MCPServer``, mcp 1.x ``FastMCP``) or a
  PrefectHQ FastMCP server, carrying over the names, titles, descriptions, annotations, icons and ``_meta``
  the decorators recorded. The functions are registered as they are (the SDK's ``add_tool(fn)`` works on
  them directly too); what cannot carry over is refused with a :class:`~agentcore_mcp.RegistrationError`
  rather than silently changed.
- :func:`agentcore_app` turns an existing SDK or FastMCP server into the ASGI app AgentCore Runtime needs:
  stateless Streamable HTTP (any platform ``Mcp-Session-Id`` accepted), JSON answers, the endpoint at
  ``/mcp``, a 100 MB body limit, and a :class:`HostOriginCheck` in front that gives it the same HTTP edge as
  our own server: ``/ping``, 405 for GET, 406 for an ``Accept`` without both types, foreign ``Origin``
  refused, any ``Host`` unless an allow-list is configured. The frameworks' own Host/Origin checks know exact
  hosts and ``host:*`` port wildcards only (they cannot name "any AgentCore region"); they are switched off
  and this module's check takes their place.

The ``mcp`` and ``fastmcp`` packages are imported inside these functions only: importing this module (or
``agentcore_mcp``) never imports them, so our own server's cold start does not pay for either.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

from agentcore_mcp import _fastmcp
from agentcore_mcp import _settings as settings
from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import RegistrationError
from agentcore_mcp.server import _prompts as _prompts
from agentcore_mcp.server import _resources as _resources
from agentcore_mcp.server import _tools as _tools
from agentcore_mcp.server._content import Audio, EmbeddedResource, Image, ResourceLink, Text, ToolResult
from agentcore_mcp.server._functions import is_context
from agentcore_mcp.server._http import HEALTHY, PING_PATH, HostCheck, Receive, Scope, Send, accepts_both
from agentcore_mcp.server._http import origin_allowed as _origin_allowed
from agentcore_mcp.server._prompts import PromptMessage

__all__ = [
    "AGENTCORE_MAX_BODY",
    "HostOriginCheck",
    "agentcore_app",
    "register_with",
    "register_with_sdk",
    "sdk_major",
]

logger = logging.getLogger("agentcore_mcp._interop")

AGENTCORE_MAX_BODY = 100_000_000
"""InvokeAgentRuntime's payload cap in bytes; the SDK's own default (4 MiB) would refuse larger calls."""

_TOOL_RESULT_TYPES: tuple[type, ...] = (Text, Image, Audio, EmbeddedResource, ResourceLink, ToolResult)
_PROMPT_RESULT_TYPES: tuple[type, ...] = (PromptMessage, Text, Image, Audio, EmbeddedResource, ResourceLink)
_RESOURCE_RESULT_TYPES: tuple[type, ...] = (EmbeddedResource,)


def sdk_major() -> int:
    """The major version of the installed ``mcp`` package (1 or 2), read from its distribution metadata.

    Raises:
        ImportError: ``mcp`` is not installed (``pip install 'agentcore-mcp[client]'``).
    """
    import importlib.metadata  # here, not at import time: agentcore_mcp's import cost is every cold start's

    try:
        version = importlib.metadata.version("mcp")
    except importlib.metadata.PackageNotFoundError:
        raise ImportError(
            "agentcore_mcp._interop needs the official MCP SDK: pip install 'agentcore-mcp[client]'"
        ) from None
    return int(version.split(".", 1)[0])


# -- our decorated functions on an SDK server ---------------------------------------------------------------


def register_with(server: Any, *functions: Callable[..., Any]) -> None:
    """Register functions decorated with ``@tool``, ``@resource`` or ``@prompt`` on another framework's
    server.

    ``server`` is an official SDK server (mcp 2.x ``MCPServer``, mcp 1.x ``FastMCP``) or a PrefectHQ FastMCP
    (``fastmcp`` 4.x) server; errors name the framework that refused. On a PrefectHQ FastMCP server each
    function goes to ``server.tool(fn, ...)`` / ``server.resource(uri, ...)`` / ``server.prompt(fn, ...)``
    with everything listed below plus a prompt's ``meta``, a tool's ``output_schema``, ``timeout`` and
    ``sync_to_thread`` (as ``run_in_thread``); FastMCP reads argument descriptions from the docstring's
    ``Args:`` itself. There a tool's ``input_schema``, ``exclude_args`` and ``task`` are refused.

    On an official SDK server each function is handed to the SDK unchanged, with what its decorator
    recorded: name, title, description (when given explicitly; the SDK otherwise publishes the whole
    docstring), tool annotations, resource URI, MIME type and annotations, icons and ``_meta``. The SDK then
    derives schemas, validates arguments and converts results its own way. A resource's ``size`` and a prompt's ``meta`` have no place in the SDK's API and are left out.

    Every function is checked before any is registered, so a refusal leaves the server untouched.

    Raises:
        RegistrationError: a function is not decorated, or relies on something only our server provides:
            a parameter annotated with our :class:`~agentcore_mcp.Context`, a ``timeout``, an explicit
            ``input_schema``/``output_schema``, or a return annotation naming our content types
            (``Image``, ``ToolResult``, ``PromptMessage``, ...); or the SDK itself refused it (the SDK's
            message is included). Errors name the framework (``the MCP SDK refused ...``,
            ``FastMCP refused ...``).
    """
    plans: list[Callable[[], None]] = []
    for fn in functions:
        found = False
        tool_options = getattr(fn, _tools.OPTIONS_ATTR, None)
        if isinstance(tool_options, dict):
            plans.append(_plan_tool(server, fn, tool_options))
            found = True
        resource_options = getattr(fn, _resources.OPTIONS_ATTR, None)
        if isinstance(resource_options, dict):
            plans.append(_plan_resource(server, fn, resource_options))
            found = True
        prompt_options = getattr(fn, _prompts.OPTIONS_ATTR, None)
        if isinstance(prompt_options, dict):
            plans.append(_plan_prompt(server, fn, prompt_options))
            found = True
        if not found:
            raise RegistrationError(
                f"{fn!r} is not decorated with @tool, @resource or @prompt; register plain functions with "
                "the server's own add_tool(...) / @server.resource(...) / @server.prompt()"
            )
    for register in plans:
        register()


def register_with_sdk(server: Any, *functions: Callable[..., Any]) -> None:
    """The older name of :func:`register_with`, which it is in every respect (a FastMCP server included)."""
    register_with(server, *functions)


#: Tool options that only our server applies; the SDK would silently ignore them, so they are refused.
_OURS_ONLY = dict.fromkeys(("timeout", "input_schema", "output_schema"), "the MCP SDK would ignore it")


class _Framework(typing.NamedTuple):
    """How errors name the framework a server belongs to and what it offers instead of ours."""

    name: str
    context: str
    results: str


_SDK = _Framework(
    "the MCP SDK",
    "the SDK's own Context (mcp.server.mcpserver.Context in mcp 2.x, mcp.server.fastmcp.Context in 1.x)",
    "the SDK's own types",
)
_FASTMCP = _Framework(_fastmcp.NAME, _fastmcp.CONTEXT_HINT, _fastmcp.RESULT_HINT)


def _plan_tool(server: Any, fn: Callable[..., Any], options: Mapping[str, Any]) -> Callable[[], None]:
    what = f"tool {options.get('name') or _name(fn)!r}"
    if _fastmcp.is_fastmcp(server):
        return _plan(
            server,
            fn,
            options,
            what,
            _TOOL_RESULT_TYPES,
            "tool",
            lambda: server.tool(fn, **_fastmcp.tool_keywords(options)),
            ours_only=_fastmcp.UNSUPPORTED_TOOL_OPTIONS,
            framework=_FASTMCP,
        )

    def call() -> Any:
        annotations = _annotations("ToolAnnotations", options)
        return server.add_tool(fn, **_described(options), annotations=annotations, meta=_meta(options))

    return _plan(server, fn, options, what, _TOOL_RESULT_TYPES, "add_tool", call, ours_only=_OURS_ONLY)


def _plan_resource(server: Any, fn: Callable[..., Any], options: Mapping[str, Any]) -> Callable[[], None]:
    what = f"resource {options['uri']!r}"
    if _fastmcp.is_fastmcp(server):
        return _plan(
            server,
            fn,
            options,
            what,
            _RESOURCE_RESULT_TYPES,
            "resource",
            lambda: server.resource(options["uri"], **_fastmcp.resource_keywords(options))(fn),
            framework=_FASTMCP,
        )

    def call() -> Any:
        return server.resource(
            options["uri"],
            **_described(options),
            mime_type=options.get("mime_type"),
            annotations=_annotations("Annotations", options),
            meta=_meta(options),
        )(fn)

    return _plan(server, fn, options, what, _RESOURCE_RESULT_TYPES, "resource", call)


def _plan_prompt(server: Any, fn: Callable[..., Any], options: Mapping[str, Any]) -> Callable[[], None]:
    what = f"prompt {options.get('name') or _name(fn)!r}"
    if _fastmcp.is_fastmcp(server):
        return _plan(
            server,
            fn,
            options,
            what,
            _PROMPT_RESULT_TYPES,
            "prompt",
            lambda: server.prompt(fn, **_fastmcp.prompt_keywords(options)),
            framework=_FASTMCP,
        )

    def call() -> Any:
        return server.prompt(**_described(options))(fn)

    return _plan(server, fn, options, what, _PROMPT_RESULT_TYPES, "prompt", call)


def _plan(
    server: Any,
    fn: Callable[..., Any],
    options: Mapping[str, Any],
    what: str,
    result_types: tuple[type, ...],
    method: str,
    call: Callable[[], Any],
    *,
    ours_only: Mapping[str, str] = {},
    framework: _Framework = _SDK,
) -> Callable[[], None]:
    """Refuse ``fn`` now if ``framework`` cannot serve it as recorded; the step returned makes ``call``.

    ``what`` names it in the errors; ``method`` is the server's registration method, which must exist;
    ``ours_only`` maps the options the framework cannot apply to why (or what to do instead): set, they are
    refused.
    """
    _refuse_context(fn, what, framework)
    _refuse_result_types(fn, what, result_types, framework)
    for option, reason in ours_only.items():
        if options.get(option) is not None:
            raise RegistrationError(
                f"{what} sets {option}=, which only agentcore_mcp's server applies; {reason}"
            )
    _require(server, method)

    def register() -> None:
        _sdk_call(what, call, framework)

    return register


def _described(options: Mapping[str, Any]) -> dict[str, Any]:
    """The SDK keywords every kind takes alike: ``name``, ``title``, ``description`` and ``icons``."""
    return {
        "name": options.get("name"),
        "title": options.get("title"),
        "description": options.get("description"),
        "icons": _icons(options.get("icons")),
    }


def _annotations(model: str, options: Mapping[str, Any]) -> Any:
    """The recorded ``annotations`` as the SDK's ``mcp.types`` ``model``; None when none were given."""
    import mcp.types

    given = options.get("annotations")
    return getattr(mcp.types, model).model_validate(dict(given)) if given else None


def _meta(options: Mapping[str, Any]) -> dict[str, Any] | None:
    return dict(options.get("meta") or {}) or None


def _name(fn: Callable[..., Any]) -> str:
    return str(getattr(inspect.unwrap(fn), "__name__", fn))


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(inspect.unwrap(fn))
    except Exception:  # unresolvable forward references: the SDK reports those itself
        return {}


def _refuse_context(fn: Callable[..., Any], what: str, framework: _Framework) -> None:
    params = [name for name, hint in _hints(fn).items() if name != "return" and is_context(hint)]
    if params:
        raise RegistrationError(
            f"{what} takes agentcore_mcp's Context ({', '.join(params)}), which {framework.name} does not "
            f"provide; annotate the parameter with {framework.context} instead"
        )


def _mentions(annotation: Any, types: tuple[type, ...]) -> type | None:
    if isinstance(annotation, type) and issubclass(annotation, types):
        return annotation
    for arg in typing.get_args(annotation):
        found = _mentions(arg, types)
        if found is not None:
            return found
    return None


def _refuse_result_types(
    fn: Callable[..., Any], what: str, types: tuple[type, ...], framework: _Framework
) -> None:
    found = _mentions(_hints(fn).get("return"), types)
    if found is not None:
        raise RegistrationError(
            f"{what} returns agentcore_mcp.{found.__name__}, which {framework.name} cannot convert; "
            f"return {framework.results} (or plain values) from functions registered on its server"
        )


def _require(server: Any, method: str) -> None:
    if not callable(getattr(server, method, None)):
        raise TypeError(
            f"expected an official MCP server (mcp 2.x MCPServer or mcp 1.x FastMCP) or a PrefectHQ "
            f"FastMCP server, with .{method}(); got {server!r}"
        )


def _icons(icons: Iterable[Mapping[str, Any]] | None) -> list[Any] | None:
    if not icons:
        return None
    import mcp.types

    return [mcp.types.Icon.model_validate(dict(icon)) for icon in icons]


def _sdk_call(what: str, call: Callable[[], Any], framework: _Framework) -> None:
    try:
        call()
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        raise RegistrationError(f"{framework.name} refused {what}: {exc}") from exc


# -- an SDK server on AgentCore ------------------------------------------------------------------------------


def agentcore_app(
    server: Any,
    *,
    path: str = "/mcp",
    allowed_hosts: Iterable[str] = (),
    allowed_origins: Iterable[str] = (),
    allow_localhost_origins: bool = True,
    json_response: bool = True,
    max_body_size: int = AGENTCORE_MAX_BODY,
) -> HostOriginCheck:
    """The ASGI app that serves an official SDK or PrefectHQ FastMCP server the way AgentCore calls it.

    The server's Streamable HTTP app is built stateless (every POST stands alone, so the platform's
    ``Mcp-Session-Id`` is accepted, never answered with 404), with JSON answers and the endpoint at
    ``path``, and wrapped in a :class:`HostOriginCheck`. Serve the result with uvicorn on ``0.0.0.0:8000``.

    For mcp 2.x (``MCPServer``, or a low-level ``Server``) the settings are passed to
    ``server.streamable_http_app(...)``. For mcp 1.x (``FastMCP``) they live on ``server.settings``, which
    this function updates in place before it calls ``server.streamable_http_app()``. For PrefectHQ FastMCP
    (``fastmcp`` 4.x) they are passed to ``server.http_app(...)``, with FastMCP's own Host/Origin guard
    off (``HostOriginCheck`` takes its place); FastMCP has no body-limit setting, so ``max_body_size`` is
    set on the SDK session manager FastMCP makes when the app starts.

    Args:
        server: an mcp 2.x ``MCPServer``/``Server``, an mcp 1.x ``FastMCP`` or a PrefectHQ ``FastMCP``.
        path: the MCP endpoint (AgentCore calls ``/mcp``); ``path + "/"`` is served too, without a redirect.
        allowed_hosts: turn the ``Host`` check on: then only the AgentCore endpoints, localhost and these
            are accepted (a ``*`` stands for one DNS label, ``"*.example.com"``; ports are ignored); also
            read from ``AGENTCORE_MCP_ALLOWED_HOSTS``, as our own server does. None given (the default) or
            ``"*"``: any host.
        allowed_origins: ``Origin`` values accepted besides localhost ones; also read from
            ``AGENTCORE_MCP_ALLOWED_ORIGINS`` (comma-separated), as our own server does. ``"*"`` accepts any.
        allow_localhost_origins: accept ``http(s)://localhost|127.0.0.1|[::1]`` origins on any port.
        json_response: answer every request with one JSON body (False: the SDK's SSE streams).
        max_body_size: the largest request body, in bytes (AgentCore's cap by default).

    Raises:
        TypeError: ``server`` is not an SDK server of the installed major version.
        RuntimeError: an mcp 1.x server whose ``streamable_http_app()`` was already built (FastMCP builds
            its session manager once, from the settings it had then; call this function first).
    """
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', got {path!r}")
    path = path.rstrip("/") or "/"
    if _fastmcp.is_fastmcp(server):
        app = _fastmcp.http_app(server, path=path, json_response=json_response, max_body_size=max_body_size)
    else:
        app = _sdk_app(server, path=path, json_response=json_response, max_body_size=max_body_size)
    return HostOriginCheck(
        app,
        path=path,
        allowed_hosts=allowed_hosts,
        allowed_origins=allowed_origins,
        allow_localhost_origins=allow_localhost_origins,
    )


def _sdk_app(server: Any, *, path: str, json_response: bool, max_body_size: int) -> Any:
    """The official SDK server's Streamable HTTP app, stateless, its own Host/Origin check off (see
    :func:`agentcore_app`: mcp 2.x takes the settings as arguments, mcp 1.x on ``server.settings``)."""
    from mcp.server.transport_security import TransportSecuritySettings

    # Host and Origin are checked by HostOriginCheck; the SDK's check cannot express "any AgentCore region".
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    major = sdk_major()
    if major >= 2:
        _require(server, "streamable_http_app")
        if _is_fastmcp(server):
            raise TypeError(f"mcp {major}.x is installed but {server!r} looks like an mcp 1.x FastMCP")
        return server.streamable_http_app(
            streamable_http_path=path,
            json_response=json_response,
            stateless_http=True,
            max_request_body_size=max_body_size,
            transport_security=security,
        )
    if not _is_fastmcp(server):
        raise TypeError(f"expected an mcp 1.x FastMCP server, got {server!r}")
    try:
        server.session_manager  # noqa: B018 - FastMCP raises RuntimeError until it has built one
    except RuntimeError:
        pass
    else:
        raise RuntimeError(_ALREADY_BUILT.format(server=server))
    settings = server.settings
    settings.streamable_http_path = path
    settings.json_response = json_response
    settings.stateless_http = True
    settings.max_request_body_size = max_body_size
    settings.transport_security = security
    return server.streamable_http_app()


_ALREADY_BUILT = (
    "{server!r} already built its Streamable HTTP app; call agentcore_app() before "
    "server.streamable_http_app() or server.run() (FastMCP builds its session manager once)"
)


def _is_fastmcp(server: Any) -> bool:
    settings = getattr(server, "settings", None)
    return hasattr(settings, "stateless_http") and hasattr(settings, "streamable_http_path")


class HostOriginCheck:
    """ASGI middleware: the HTTP edge of ``AgentCoreMCP``, in front of any ASGI app (an SDK server's).

    Every server path answers the edge alike (the decisions and their reasons: ``docs/interop.md``, "One HTTP
    edge for every server path"); this class gives an SDK server the edge our own server has:

    - ``GET``/``HEAD /ping``: the app's own answer if it has such a route, else 200
      ``{"status":"Healthy"}``, whatever the ``Host`` and ``Origin``.
    - ``Host``: any, unless ``allowed_hosts`` or ``AGENTCORE_MCP_ALLOWED_HOSTS`` names some; then one that
      is not an AgentCore endpoint, localhost or a listed one is answered 421.
    - ``Origin``: absent, localhost, or listed in ``allowed_origins`` / ``AGENTCORE_MCP_ALLOWED_ORIGINS``;
      anything else is answered 403 (DNS-rebinding protection: browsers send ``Origin`` on every POST).
    - the endpoint (``path``, and ``path + "/"`` served in place rather than redirected): a method other
      than POST (and OPTIONS, left to the app for CORS) is answered 405 with ``Allow: POST`` when
      ``post_only``, as a stateless server offers no GET stream and no session to DELETE; a POST whose
      ``Accept`` does not list both ``application/json`` and ``text/event-stream`` is answered 406.

    Paths are taken relative to the ASGI ``root_path``, so the app works mounted under a prefix. Refusals
    carry the JSON-RPC error body our own server's do; Host and Origin refusals are logged at warning
    level with the refused value. Lifespan events pass straight through.

    Args:
        app: the ASGI app to protect.
        path: the MCP endpoint path, or None to leave paths alone (no endpoint checks).
        allowed_hosts: ``Host`` patterns that turn the ``Host`` check on (``*`` = one DNS label; ports
            ignored; ``"*"`` = any host, the check stays off); ``AGENTCORE_MCP_ALLOWED_HOSTS`` adds more.
        allowed_origins: extra ``Origin`` values (exact match; ``"*"`` = any); ``AGENTCORE_MCP_ALLOWED_ORIGINS``
            adds more.
        allow_localhost_origins: accept localhost origins on any port.
        post_only: the app is stateless: GET, DELETE and other methods on the endpoint get 405. False for
            an app that serves a GET stream or DELETE itself.
    """

    __slots__ = ("_hosts", "_local_origins", "_origins", "_post_only", "app", "path")

    def __init__(
        self,
        app: Any,
        *,
        path: str | None = "/mcp",
        allowed_hosts: Iterable[str] = (),
        allowed_origins: Iterable[str] = (),
        allow_localhost_origins: bool = True,
        post_only: bool = True,
    ) -> None:
        if isinstance(allowed_hosts, str) or isinstance(allowed_origins, str):
            raise TypeError("allowed_hosts and allowed_origins take a list of strings, not one string")
        self.app = app
        self.path = path if path is None else path.rstrip("/") or "/"
        self._hosts = HostCheck.configured([*allowed_hosts, *settings.items(settings.ALLOWED_HOSTS)])
        origins = [*allowed_origins, *settings.items(settings.ALLOWED_ORIGINS)]
        self._origins = frozenset(o.strip().lower().rstrip("/").encode() for o in origins if o.strip())
        self._local_origins = allow_localhost_origins
        self._post_only = post_only

    def host_allowed(self, host: str | None) -> bool:
        """True when a ``Host`` header value (port and all) is accepted: always, with no allow-list."""
        return self._hosts is None or self._hosts.allows(host)

    def origin_allowed(self, origin: str) -> bool:
        """True when an ``Origin`` header value is accepted."""
        return _origin_allowed(origin.encode("latin-1"), self._origins, self._local_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        full: str = scope.get("path", "")
        root: str = scope.get("root_path", "") or ""
        route = full[len(root) :] if root and full.startswith(root) else full
        method = scope.get("method", "")
        if kind == "http" and route == PING_PATH and method in ("GET", "HEAD"):
            await _health(self.app, scope, receive, send)
            return
        host = origin = accept = None
        for key, value in scope.get("headers", ()):
            if key == b"host":
                host = value.decode("latin-1")
            elif key == b"origin":
                origin = value.decode("latin-1")
            elif key == b"accept":
                accept = value if accept is None else accept + b"," + value
        if not self.host_allowed(host):
            logger.warning("refused a request for Host %r (not an AgentCore endpoint or allowed host)", host)
            await _refuse(kind, send, 421, "Misdirected Request: Host not allowed")
            return
        if origin is not None and not self.origin_allowed(origin):
            logger.warning("refused a request from Origin %r", origin)
            await _refuse(kind, send, 403, "Forbidden: Origin not allowed")
            return
        if kind == "http" and self.path is not None and route in (self.path, self.path + "/"):
            if self._post_only and method not in ("POST", "OPTIONS"):
                await _answer(send, 405, b"", [(b"allow", b"POST")])
                return
            if method == "POST" and not accepts_both(accept):
                await _refuse(kind, send, 406, _NOT_ACCEPTABLE)
                return
            if route != self.path and self.path != "/":
                scope = {**scope, "path": root + self.path, "raw_path": (root + self.path).encode()}
        await self.app(scope, receive, send)


_NOT_ACCEPTABLE = "Not Acceptable: Accept must list application/json and text/event-stream"


async def _health(app: Any, scope: Scope, receive: Receive, send: Send) -> None:
    """``GET /ping``: the app's answer, unless it has no such route (404), then ``{"status":"Healthy"}``."""
    missing = False

    async def relay(message: MutableMapping[str, Any]) -> None:
        nonlocal missing
        if message["type"] == "http.response.start" and message["status"] == 404:
            missing = True
        if not missing:
            await send(message)

    await app(scope, receive, relay)
    if missing:
        await _answer(send, 200, HEALTHY, [(b"content-type", b"application/json")])


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(kind: str, send: Send, status: int, message: str) -> None:
    if kind == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = rpc.error_body(None, rpc.INVALID_REQUEST, message)
    await _answer(send, status, body, [(b"content-type", rpc.JSON.encode())])
