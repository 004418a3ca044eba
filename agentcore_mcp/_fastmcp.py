"""PrefectHQ FastMCP (``fastmcp`` 4.x) servers: what :func:`~agentcore_mcp.agentcore_app` and
:func:`~agentcore_mcp.register_with` need to know about them.

FastMCP is its own framework, built on the official SDK (mcp 2.x) but with its own registration API
(``server.tool(fn, name=..., title=..., output_schema=..., timeout=...)``) and its own Starlette app
(``server.http_app(...)``). This module holds that knowledge: recognising a FastMCP server, the keywords
each of our decorators' options becomes, and the HTTP app built the way AgentCore Runtime calls it. The
Host/Origin check in front of that app is ``agentcore_mcp._interop``'s, the same as for the SDK's servers.

``fastmcp`` is imported inside these functions only (and only once a FastMCP server was handed in):
importing this module never imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = [
    "CONTEXT_HINT",
    "NAME",
    "RESULT_HINT",
    "UNSUPPORTED_TOOL_OPTIONS",
    "http_app",
    "is_fastmcp",
    "prompt_keywords",
    "resource_keywords",
    "tool_keywords",
]

logger = logging.getLogger("agentcore_mcp._interop")

NAME = "FastMCP"
"""How errors name the framework."""

CONTEXT_HINT = "FastMCP's own Context (from fastmcp import Context)"
RESULT_HINT = "FastMCP's own types (fastmcp.utilities.types.Image, Audio, File; mcp.types content blocks)"

#: Tool options FastMCP's registration has no place for, with what to do instead.
UNSUPPORTED_TOOL_OPTIONS = {
    "input_schema": "FastMCP derives the input schema from the signature; annotate the parameters instead",
    "exclude_args": "FastMCP 4 has no exclude_args; give the parameter a default or use its Depends()",
    "task": "FastMCP's background tasks need fastmcp[tasks]; pass task= to server.tool() yourself",
}


def is_fastmcp(server: Any) -> bool:
    """True for a PrefectHQ FastMCP server (a class from the ``fastmcp`` package in its MRO).

    mcp 1.x's ``mcp.server.fastmcp.FastMCP`` is not one: it is the official SDK's and lives in ``mcp``.
    """
    return any(cls.__module__.partition(".")[0] == "fastmcp" for cls in type(server).__mro__)


def tool_keywords(options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``server.tool(fn, **keywords)`` that registers a tool with what ``@tool`` recorded.

    Name, title, description, icons, annotations, ``_meta``, output schema, timeout and whether a sync
    function runs in a worker thread all have a FastMCP keyword; the ones without are in
    :data:`UNSUPPORTED_TOOL_OPTIONS` and refused before this is called.
    """
    keywords = _published(options)
    if options.get("annotations"):
        keywords["annotations"] = dict(options["annotations"])
    if options.get("output_schema") is not None:  # absent: FastMCP derives one from the return annotation
        keywords["output_schema"] = dict(options["output_schema"])
    if options.get("timeout") is not None:
        keywords["timeout"] = options["timeout"]
    keywords["run_in_thread"] = options.get("sync_to_thread") is not False
    return keywords


def resource_keywords(options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``server.resource(uri, **keywords)`` for a ``@resource`` (its ``size`` has no FastMCP keyword)."""
    keywords = _published(options)
    keywords["mime_type"] = options.get("mime_type")
    if options.get("annotations"):
        keywords["annotations"] = dict(options["annotations"])
    return keywords


def prompt_keywords(options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``server.prompt(fn, **keywords)`` for a ``@prompt``."""
    return _published(options)


def _published(options: Mapping[str, Any]) -> dict[str, Any]:
    keywords: dict[str, Any] = {
        "name": options.get("name"),
        "title": options.get("title"),
        "description": options.get("description"),
        "meta": dict(options.get("meta") or {}) or None,
    }
    if options.get("icons"):
        import mcp.types  # FastMCP 4 runs on mcp 2.x, whose Icon its keywords are typed with

        keywords["icons"] = [mcp.types.Icon.model_validate(dict(icon)) for icon in options["icons"]]
    return keywords


def http_app(server: Any, *, path: str, json_response: bool, max_body_size: int) -> Any:
    """FastMCP's Streamable HTTP app, stateless, at ``path``, its own Host/Origin guard off.

    Stateless: every POST stands alone, so the platform's ``Mcp-Session-Id`` is accepted, never answered
    with 404. FastMCP's guard is off because the caller puts :class:`~agentcore_mcp.HostOriginCheck` in
    front (FastMCP's allow-list, like the SDK's, cannot name "any AgentCore region"). FastMCP 4 has no
    setting for the request body limit, which stays the SDK's 4 MiB; :class:`_BodyLimit` raises it to
    ``max_body_size`` on the session manager FastMCP makes at each lifespan start.
    """
    app = server.http_app(
        path=path,
        json_response=json_response,
        stateless_http=True,
        transport="http",
        host_origin_protection=False,
    )
    endpoint = next(
        (
            route.endpoint
            for route in getattr(app, "routes", ())
            if getattr(route, "path", None) == path and hasattr(route.endpoint, "session_manager")
        ),
        None,
    )
    if endpoint is None:
        logger.warning(
            "FastMCP's app has no session-manager endpoint at %s; its own body limit applies", path
        )
        return app
    return _BodyLimit(app, endpoint, max_body_size)


class _BodyLimit:
    """ASGI wrapper: sets the body limit of the SDK session manager behind FastMCP's endpoint.

    FastMCP makes a new manager at each lifespan start (with the SDK's default limit) and builds it with
    no limit keyword, so the limit is set on each new manager before the first request it serves: its
    ``max_request_body_size`` and the ``max_body_size`` of its ``RequestBodyLimitMiddleware``.
    """

    __slots__ = ("_endpoint", "_limited", "_size", "app")

    def __init__(self, app: Any, endpoint: Any, size: int) -> None:
        self.app = app
        self._endpoint = endpoint
        self._size = size
        self._limited: Any = None

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            manager = self._endpoint.session_manager
            if manager is not None and manager is not self._limited:
                self._limit(manager)
        await self.app(scope, receive, send)

    def _limit(self, manager: Any) -> None:
        from mcp.server.transport_security import RequestBodyLimitMiddleware

        middleware = getattr(manager, "asgi_app", None)
        if isinstance(middleware, RequestBodyLimitMiddleware):
            middleware.max_body_size = self._size
            manager.max_request_body_size = self._size
        else:
            logger.warning("FastMCP's session manager has no body limit to raise; its own applies")
        self._limited = manager
