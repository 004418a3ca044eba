"""2026-07-28 ``subscriptions/listen``: long-lived streams of list-changed and resource-updated notifications.

A client opens a listen request naming what it wants (``toolsListChanged``, ``promptsListChanged``,
``resourcesListChanged``, ``resourceSubscriptions``). The server first acknowledges with the subset it
agreed to honour, then sends matching notifications, each tagged with the stream's id in
``_meta["io.modelcontextprotocol/subscriptionId"]``, and ends the stream with a result when it shuts down.
The client ends it by closing the connection. Nothing is kept per client beyond the open stream itself, so
the server stays stateless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Listener", "SubscriptionHub"]

SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
_FLAGS = {"tools": "toolsListChanged", "prompts": "promptsListChanged", "resources": "resourcesListChanged"}


class Listener:
    """One open ``subscriptions/listen`` stream: what it asked for and its queue of messages."""

    __slots__ = ("agreed", "kinds", "queue", "subscription_id", "uris")

    def __init__(
        self,
        subscription_id: str | int,
        kinds: set[str],
        uris: set[str],
        agreed: Mapping[str, Any] | None = None,
    ) -> None:
        self.subscription_id = subscription_id
        self.kinds = kinds
        self.uris = uris
        self.agreed: Mapping[str, Any] = agreed or {}  # the acknowledged filter, extensions' parts included
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def tagged(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = dict(params or {})
        body["_meta"] = {SUBSCRIPTION_ID: self.subscription_id}
        return {"jsonrpc": "2.0", "method": method, "params": body}


class SubscriptionHub:
    """The open listen streams of one server; publishing is safe from any thread."""

    def __init__(self) -> None:
        self._listeners: set[Listener] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        return len(self._listeners)

    @staticmethod
    def agreed(
        requested: Mapping[str, Any], offered: Mapping[str, bool]
    ) -> tuple[dict[str, Any], set[str], set[str]]:
        """The acknowledged filter, and the list kinds and URIs to deliver (only what the server offers)."""
        agreed: dict[str, Any] = {}
        kinds: set[str] = set()
        for kind, flag in _FLAGS.items():
            if requested.get(flag) is True and offered.get(kind):
                agreed[flag] = True
                kinds.add(kind)
        uris: set[str] = set()
        wanted = requested.get("resourceSubscriptions")
        if isinstance(wanted, list) and offered.get("resources"):
            uris = {u for u in wanted if isinstance(u, str)}
            agreed["resourceSubscriptions"] = sorted(uris)
        return agreed, kinds, uris

    def open(self, listener: Listener) -> None:
        self._loop = asyncio.get_running_loop()
        self._listeners.add(listener)

    def close(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    def _deliver(self, pick: Any) -> None:
        for listener in list(self._listeners):
            message = pick(listener)
            if message is not None:
                listener.queue.put_nowait(message)

    def _call(self, pick: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(pick)
        else:  # from a worker thread (a sync tool) or another loop
            loop.call_soon_threadsafe(self._deliver, pick)

    def publish(self, pick: Callable[[Listener], dict[str, Any] | None]) -> None:
        """Deliver ``pick(listener)`` to every open stream for which it is not None (any thread).

        ``pick`` decides from ``listener.agreed`` and builds the message with ``listener.tagged(...)``.
        """
        self._call(pick)

    def list_changed(self, kind: str) -> None:
        self._call(lambda ls: ls.tagged(f"notifications/{kind}/list_changed") if kind in ls.kinds else None)

    def resource_updated(self, uri: str) -> None:
        self._call(
            lambda ls: ls.tagged("notifications/resources/updated", {"uri": uri}) if uri in ls.uris else None
        )

    def shutdown(self) -> None:
        """End every stream gracefully (the server is stopping); call it on the server's loop."""
        for listener in list(self._listeners):
            listener.queue.put_nowait(None)
