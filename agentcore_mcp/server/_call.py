"""One request being served: what handlers (built-in and extensions') know about it, and its Context."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError
from agentcore_mcp.server._context import Ask, Context, Headers, ReportProgress
from agentcore_mcp.server._input import InputRound, legacy_asker, modern_asker

if TYPE_CHECKING:
    from agentcore_mcp.server._session_store import Session, StreamLog
    from agentcore_mcp.server._stores import Stores

__all__ = ["Call", "Era", "Routing", "Stream"]

Era = Literal["legacy", "modern"]


class Routing(Protocol):
    """What the protocol layer reads of a request's headers (the edge's ``RequestHeaders`` provides it)."""

    raw: list[tuple[bytes, bytes]]  # every header, for Context.headers and tracing
    session_id: str | None  # Mcp-Session-Id
    identity: bool  # AgentCore Identity headers are present
    version: str | None  # MCP-Protocol-Version
    method: str | None  # Mcp-Method
    name: str | None  # Mcp-Name
    dup: str | None  # the first routing header that appeared twice

    def params(self) -> dict[str, str]:
        """``Mcp-Param-*`` values by lower-cased token (a repeated one is ``"\\0dup"``)."""
        ...


class Stream(Protocol):
    """Where a handler's messages before its result go: the edge's SSE writer for this request."""

    session_id: str | None  # set by the protocol layer in session mode; the edge echoes it

    async def send_message(self, message: dict[str, Any]) -> None:
        """Send one JSON-RPC message before the result (the first one turns the answer into a stream)."""

    async def detach(self) -> bool:
        """End the HTTP answer now, later events going only to the session's log (False: not possible)."""
        ...

    async def wait_disconnect(self) -> None:
        """Return when the client has gone away."""

    def record(self, new_log: Callable[[], StreamLog], retry_ms: int | None) -> None:
        """Keep this answer's events in a session log (resumable with Last-Event-ID), primed with ``retry``."""


@dataclass(eq=False, slots=True)
class Call:
    """One request being served: what the handlers (built-in and extensions') need to know about it."""

    stores: Stores
    id: str | int
    method: str
    era: Era
    version: str
    params: Mapping[str, Any]
    meta: Mapping[str, Any] | None
    headers: Routing
    out: Stream | None  # None when streaming is off
    session: Session | None = None
    round: InputRound | None = field(default=None, init=False)  # the MRTR answers, once read

    def binding(self) -> str:
        """What a sealed requestState is bound to: the method and the request's own parameters."""
        own = {k: v for k, v in self.params.items() if k not in ("_meta", "inputResponses", "requestState")}
        digest = hashlib.sha256(json.dumps(own, sort_keys=True, default=str).encode()).hexdigest()
        return f"{self.method}\0{digest}"

    def input_round(self) -> InputRound:
        """The answers this (modern, MRTR) request carries: sealed earlier answers plus ``inputResponses``."""
        if self.round is None:
            answers: dict[str, Any] = {}
            state = self.params.get("requestState")
            if state is not None:
                opened = self.stores.sealer.open(state, self.binding())
                carried = opened.get("answers")
                if isinstance(carried, dict):
                    answers.update(carried)
            responses = self.params.get("inputResponses")
            if responses is not None:
                if not isinstance(responses, dict):
                    raise ProtocolError(rpc.INVALID_PARAMS, "inputResponses must be an object")
                answers.update(responses)
            self.round = InputRound(answers)
        return self.round

    @property
    def client_capabilities(self) -> Mapping[str, Any]:
        """The capabilities the client declared: per request (modern ``_meta``) or at ``initialize`` (session)."""
        if self.era == "modern":
            caps = (self.meta or {}).get(rpc.META_CLIENT_CAPABILITIES)
        else:
            caps = self.session.client_capabilities if self.session is not None else None
        return caps if isinstance(caps, dict) else {}

    def context(
        self, *, ask: Ask | None = None, detached: bool = False, on_progress: ReportProgress | None = None
    ) -> Context:
        """The :class:`Context` a tool, resource or prompt function of this request is given.

        Args:
            ask: how ``ctx.elicit``/``ctx.sample``/``ctx.list_roots`` reach the client, instead of this
                request's own way (MRTR ``input_required`` answers, or requests on the handshake-era stream).
            detached: for work that outlives this request: nothing is sent on the request's stream
                (progress and logs are dropped) and ``ctx.close_sse_stream()`` does nothing.
            on_progress: where ``ctx.report_progress`` goes instead (a task's status message).
        """
        meta = self.meta or {}
        if self.era == "modern":
            caps = meta.get(rpc.META_CLIENT_CAPABILITIES)
            info = meta.get(rpc.META_CLIENT_INFO)
            level = meta.get(rpc.META_LOG_LEVEL)
            # Modern clients get log messages only when they asked for a level.
            notify_logs = isinstance(level, str) and level in rpc.LOG_LEVELS
            if ask is None:
                if "inputResponses" in self.params or "requestState" in self.params:
                    ask = modern_asker(self.input_round(), caps if isinstance(caps, dict) else {})
                else:  # nothing carried to read (or refuse) now: the asker is made if a function asks
                    ask = self._ask_modern
        else:
            notify_logs = True
            session = self.session
            if session is not None:
                caps, info, level = session.client_capabilities, session.client_info, session.log_level
            else:
                caps, info, level = None, None, None
            if ask is None:
                ask = self._ask_on_stream
        out = None if detached else self.out
        # Arguments by position: a class called with keywords gets them as a dict on CPython (type.__call__
        # hands tp_init a kwargs dict), 0.65 µs of the ~15 a streamed answer costs.
        return Context(
            self.id,  # request_id
            self.method,
            self.era,
            self.version,  # protocol_version
            Headers(self.headers.raw),
            meta,
            caps if isinstance(caps, dict) else None,  # client_capabilities
            info if isinstance(info, dict) else None,  # client_info
            level if notify_logs else None,  # log_level
            out.send_message if out is not None else None,  # send
            ask,
            out.detach if out is not None else None,  # detach
            notify_logs,  # logs_enabled
            on_progress,
        )

    async def _ask_modern(self, requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The 2026-07-28 way to ask (answers from this round, else input_required), made when a function
        first asks, for a request that carries no answers yet."""
        caps = (self.meta or {}).get(rpc.META_CLIENT_CAPABILITIES)
        return await modern_asker(self.input_round(), caps if isinstance(caps, dict) else {})(requests)

    async def _ask_on_stream(self, requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The handshake era's way to ask (questions on this request's stream), made when a function first
        asks: most never do, and a context is made for every call of a function that takes one."""
        send = self.out.send_message if self.out is not None else None
        session = self.session
        caps = session.client_capabilities if session is not None else None
        version = (session.protocol_version or self.version) if session is not None else self.version
        return await legacy_asker(send, self.stores.pending, self.headers.session_id, caps, version)(requests)
