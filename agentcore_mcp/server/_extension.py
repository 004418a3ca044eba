"""The extension seam: how a component adds methods, a capability and a ``tools/call`` take-over to a server.

An :class:`Extension` is handed to ``AgentCoreMCP(extensions=[...])`` or :meth:`AgentCoreMCP.add_extension`.
The protocol layer then serves the methods it names (beside the built-in ones; a built-in name cannot be
taken), advertises its capability under ``capabilities.extensions[name]`` (``initialize`` and
``server/discover``), merges its part of a ``subscriptions/listen`` filter into the acknowledgement, and offers
it every ``tools/call`` before the tool runs: returning a result there (a task handle, say) answers the
call instead of the tool. Nothing in ``_protocol.py`` names a particular extension.

Every hook has a default that does nothing, so an extension overrides only what it needs. Hooks run on the
server's event loop. A hook raising :class:`~agentcore_mcp.errors.ProtocolError` answers the request with that
JSON-RPC error; any other exception is logged and answered as -32603 without detail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from agentcore_mcp.server._call import Call, Era

if TYPE_CHECKING:
    from agentcore_mcp.server._tools import Tool

__all__ = ["Era", "Extension", "Method"]

Method = Callable[[Mapping[str, Any], Call], Awaitable[dict[str, Any]]]
"""An extension's method handler: ``(params, call) -> result``.

``params`` is the request's ``params`` object ({} when absent); the envelope (``_meta``, headers, version) has
already been checked. In the modern era the returned result gets ``resultType`` (default ``"complete"``) and
the ``serverInfo`` stamp in ``_meta``; in the handshake era it is sent as it is.
"""


class Extension:
    """A component that plugs into the protocol layer; subclass it and override the hooks you need.

    Attributes:
        name: the extension identifier, the key under ``capabilities.extensions`` (e.g.
            ``"io.modelcontextprotocol/tasks"``).
    """

    name: str = ""

    def bind(self, server: Any) -> None:
        """Called once when the extension is added to ``server``, the :class:`~agentcore_mcp.AgentCoreMCP`
        (keep it to reach ``server.tools``, ``server.get_tool`` and ``server.subscriptions``). Typed loosely
        so the seam does not import the facade; an override may annotate it ``AgentCoreMCP``."""

    def methods(self, era: Era) -> Mapping[str, Method]:
        """The JSON-RPC methods this extension serves in ``era`` (a built-in method name is refused)."""
        return {}

    def capability(self, era: Era) -> Mapping[str, Any] | None:
        """The value advertised under ``capabilities.extensions[self.name]`` in ``era`` (None: not advertised)."""
        return None

    async def call_tool(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> dict[str, Any] | None:
        """Take over a ``tools/call`` of ``tool`` (already found, its ``Mcp-Param-*`` headers checked).

        Return a result to answer the call with it instead of running the tool (it gets the modern stamp as
        a method result does); return None to let the call run as usual. The first extension, in the order
        they were added, that returns a result wins.
        """
        return None

    def listen(self, requested: Mapping[str, Any], call: Call) -> Mapping[str, Any]:
        """The part of a ``subscriptions/listen`` ``notifications`` filter this extension agrees to deliver.

        ``call`` is the listen request (its per-request client capabilities, its headers through
        ``call.context()``); it may raise ProtocolError (e.g. -32021) to refuse the listen.

        What it returns is merged into the acknowledgement and kept on the stream's
        :class:`~agentcore_mcp.server._subscriptions.Listener` as ``listener.agreed``; deliver with
        ``server.subscriptions.publish(pick)``.
        """
        return {}

    def describe_tool(self, tool: Tool, definition: dict[str, Any]) -> None:
        """Adjust a copy of ``tool``'s published definition (``tools/list``) in place, e.g. add ``execution``."""

    def close(self) -> None:
        """The server is shutting down (ASGI lifespan shutdown): stop background work."""
