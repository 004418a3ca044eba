"""The request context a tool can ask for by declaring a parameter annotated ``Context``."""

from __future__ import annotations

from asyncio import _get_running_loop
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal

from agentcore_mcp import _wire as rpc
from agentcore_mcp._wire import LOG_LEVELS
from agentcore_mcp.errors import ToolError
from agentcore_mcp.server._input import (
    Elicit,
    ElicitationResult,
    ElicitURL,
    InputRequest,
    ListRoots,
    Sample,
    logger,
    redact_url,
)

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop

    from pydantic import BaseModel

    from agentcore_mcp.server._content import PromptMessage

__all__ = ["Context", "SendMessage"]

SendMessage = Callable[[dict[str, Any]], Awaitable[None]]
"""Sends one JSON-RPC message to the client on the request's SSE stream (starting the stream if needed)."""

Ask = Callable[[dict[str, dict[str, Any]]], Awaitable[dict[str, Any]]]
# Where a detached function's progress goes instead of the request's stream (a task's status message).
ReportProgress = Callable[[float, float | None, str | None], Awaitable[None]]
"""Puts keyed server→client requests to the client and returns the answers by key (see ``input.py``)."""

# The Context of the function being run and the event loop it was made on, for code that the function calls
# but cannot hand it to (a callback fixed at import time, e.g. bedrock-agentcore's on_auth_url).
current: ContextVar[tuple[Context, AbstractEventLoop | None]] = ContextVar("agentcore_mcp_context")

LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
_LEVEL_RANK = {name: rank for rank, name in enumerate(LOG_LEVELS)}

# Headers that carry credentials: never exposed through ``Context.headers``' repr.
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        rpc.WORKLOAD_ACCESS_TOKEN,
        rpc.IDENTITY_WAT,
        "cookie",
        "x-amz-security-token",
    }
)


class Headers(Mapping[str, str]):
    """The request's headers, names lower-cased; a repeated header's values are joined with ``", "``."""

    __slots__ = ("_dict", "_raw")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        self._dict: dict[str, str] | None = None

    def _items(self) -> dict[str, str]:
        if self._dict is None:
            d: dict[str, str] = {}
            for k, v in self._raw:
                name = k.decode("latin-1").lower()
                value = v.decode("latin-1")
                d[name] = f"{d[name]}, {value}" if name in d else value
            self._dict = d
        return self._dict

    def __getitem__(self, key: str) -> str:
        return self._items()[key.lower()]

    def __iter__(self) -> Any:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        shown = {k: ("<redacted>" if k in _SECRET_HEADERS else v) for k, v in self._items().items()}
        return f"Headers({shown!r})"


class Context:
    """What a tool knows about the request it is serving, and how it talks back while it runs.

    A tool receives one by declaring a parameter annotated ``Context`` (any name); that parameter is not
    part of the tool's input schema. Progress and log notifications are streamed to the client as SSE
    events before the result when the client accepts a stream; otherwise (plain JSON answers) they are
    dropped silently, never raised.

    Attributes:
        request_id: the JSON-RPC id of the request.
        method: the JSON-RPC method (``tools/call``).
        era: ``"legacy"`` (the 2025 handshake era) or ``"modern"`` (2026-07-28 and later).
        protocol_version: the protocol version this request speaks.
        session_id: the ``Mcp-Session-Id`` header (on AgentCore: minted by the platform), or None.
        runtime_session_id: ``X-Amzn-Bedrock-AgentCore-Runtime-Session-Id``, or None.
        user_id: ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id``, or None.
        client_capabilities: the capabilities the client declared (modern: per request; legacy: {} since a
            stateless server does not remember ``initialize``).
        client_info: the client's name and version when it sent them, else None.
        headers: all request headers.
        progress_token: the token the client asked progress under, or None.
    """

    __slots__ = (
        "_ask",
        "_detach",
        "_log_threshold",
        "_logs_enabled",
        "_on_progress",
        "_send",
        "client_capabilities",
        "client_info",
        "era",
        "headers",
        "meta",
        "method",
        "progress_token",
        "protocol_version",
        "request_id",
    )

    def __init__(
        self,
        request_id: str | int,
        method: str,
        era: Literal["legacy", "modern"],
        protocol_version: str,
        headers: Headers,
        meta: Mapping[str, Any] | None = None,
        client_capabilities: Mapping[str, Any] | None = None,
        client_info: Mapping[str, Any] | None = None,
        log_level: str | None = None,
        send: SendMessage | None = None,
        ask: Ask | None = None,
        detach: Callable[[], Awaitable[bool]] | None = None,
        logs_enabled: bool = True,
        on_progress: ReportProgress | None = None,
    ) -> None:
        self.request_id = request_id
        self.method = method
        self.era = era
        self.protocol_version = protocol_version
        self.headers = headers
        self.meta: Mapping[str, Any] = meta or {}
        self.client_capabilities: Mapping[str, Any] = client_capabilities or {}
        self.client_info = client_info
        token = self.meta.get("progressToken")
        self.progress_token: str | int | None = token if isinstance(token, (str, int)) else None
        self._send = send
        self._ask = ask
        self._detach = detach
        self._log_threshold = _LEVEL_RANK.get(log_level or "", 0)
        self._logs_enabled = logs_enabled
        self._on_progress = on_progress
        current.set((self, _get_running_loop()))

    @property
    def session_id(self) -> str | None:
        return self.headers.get(rpc.MCP_SESSION_ID)

    @property
    def runtime_session_id(self) -> str | None:
        return self.headers.get(rpc.RUNTIME_SESSION_ID)

    @property
    def user_id(self) -> str | None:
        return self.headers.get(rpc.RUNTIME_USER_ID)

    @property
    def can_stream(self) -> bool:
        """True when notifications sent now reach the client."""
        return self._send is not None

    def require_capability(self, **capabilities: Mapping[str, Any]) -> None:
        """Fail the request with -32021 unless the client declared these capabilities.

        ``ctx.require_capability(sampling={})`` checks the modern per-request ``clientCapabilities``. In the
        legacy era a stateless server does not know what ``initialize`` declared, so nothing is checked.

        Raises:
            ProtocolError: -32021 (HTTP 400) with ``data.requiredCapabilities`` naming what is missing.
        """
        if self.era != "modern":
            return
        missing = {
            name: dict(spec) for name, spec in capabilities.items() if name not in self.client_capabilities
        }
        if missing:
            from agentcore_mcp._wire import MISSING_CLIENT_CAPABILITY
            from agentcore_mcp.errors import ProtocolError

            raise ProtocolError(
                MISSING_CLIENT_CAPABILITY,
                f"This request needs client capabilities the client did not declare: {', '.join(missing)}",
                data={"requiredCapabilities": missing},
            )

    async def close_sse_stream(self) -> bool:
        """End the HTTP response now and keep working; the client resumes the stream with ``Last-Event-ID``.

        Only in session mode (handshake era), where events are kept for resumption; elsewhere it does nothing
        and returns False. Useful to free a connection during a long call (SEP-1699 polling).
        """
        if self._detach is None:
            return False
        return await self._detach()

    def client_supports(self, capability: str) -> bool:
        """True when the client declared ``capability`` (``"elicitation"``, ``"sampling"``, ``"roots"``...).

        In the handshake era without a session the server never saw ``initialize``, so this says True.
        """
        if self.era != "modern" and not self.client_capabilities:
            return True
        return capability in self.client_capabilities

    # -- asking the client for input (see agentcore_mcp/server/_input.py for how each era does it) --------

    async def ask(self, requests: Mapping[str, InputRequest]) -> dict[str, Any]:
        """Put several questions to the client at once; returns the answers by key (raw result objects).

        In the 2026-07-28 era all unanswered questions go out in one ``input_required`` round.
        """
        if self._ask is None:
            raise ToolError("This request cannot ask the client for input")
        return await self._ask({key: request.to_wire() for key, request in requests.items()})

    async def elicit(
        self,
        message: str,
        schema: Mapping[str, Any] | type[BaseModel] | None = None,
        *,
        key: str | None = None,
    ) -> ElicitationResult:
        """Ask the user for structured input (a form described by a flat JSON Schema, or a pydantic model).

        Returns the user's action (``accept``/``decline``/``cancel``) and, on accept, the submitted content.
        """
        answer = await self._ask_one("elicitation", Elicit(message, schema), key)
        return ElicitationResult(action=answer["action"], content=answer.get("content"))

    async def elicit_url(
        self,
        url: str,
        message: str,
        *,
        elicitation_id: str | None = None,
        key: str | None = None,
    ) -> ElicitationResult:
        """Ask the user to open ``url`` (URL-mode elicitation) for an interaction the client must not see.

        ``url`` must be ``https`` (or ``http`` on a loopback host) and carry no credentials. ``accept`` means
        the user agreed to open it, not that the interaction there is done: the tool checks its own state
        (a token store, say) afterwards. ``elicitation_id`` (default: a random one) identifies it to the
        client in the handshake era, for :meth:`elicitation_complete`.

        Only a client that declared ``elicitation.url`` is asked. Otherwise the handshake era fails the
        request with -32042 (:class:`~agentcore_mcp.errors.URLElicitationRequired`, ``data.elicitations``
        listing this one), and the client retries once the user is done; 2026-07-28 answers -32021 naming
        ``elicitation.url``. Without a session the server cannot know what ``initialize`` declared, so the
        handshake era always takes the -32042 way there.

        Raises:
            ValueError: ``url`` is not one that may be sent.
        """
        request = (
            ElicitURL(message, url) if elicitation_id is None else ElicitURL(message, url, elicitation_id)
        )
        logger.debug("asking the user to open %s (elicitation %s)", redact_url(url), request.elicitation_id)
        answer = await self._ask_one("url_elicitation", request, key)
        return ElicitationResult(action=answer["action"], elicitation_id=request.elicitation_id)

    async def elicitation_complete(self, elicitation_id: str) -> bool:
        """Tell the client the out-of-band interaction of a URL elicitation is done.

        Sends ``notifications/elicitation/complete`` on this request's stream (handshake era, 2025-11-25);
        returns False when nothing was sent: 2026-07-28 has no such notification (the client's retry is the
        signal), or no stream is open.
        """
        if self.era == "modern" or self._send is None:
            return False
        await self._send(
            {
                "jsonrpc": "2.0",
                "method": rpc.ELICITATION_COMPLETE,
                "params": {"elicitationId": elicitation_id},
            }
        )
        return True

    async def sample(
        self,
        messages: str | Sequence[Mapping[str, Any] | PromptMessage | str],
        *,
        max_tokens: int = 1024,
        system_prompt: str | None = None,
        temperature: float | None = None,
        stop_sequences: Sequence[str] | None = None,
        model_preferences: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Ask the client's model for a completion; returns the raw ``CreateMessageResult`` object
        (``role``, ``content``, ``model``, ``stopReason``)."""
        request = Sample(
            messages,
            max_tokens=max_tokens,
            system_prompt=system_prompt,
            temperature=temperature,
            stop_sequences=stop_sequences,
            model_preferences=model_preferences,
        )
        return await self._ask_one("sampling", request, key)

    async def list_roots(self, *, key: str | None = None) -> list[dict[str, Any]]:
        """Ask the client for its roots (``[{"uri": "file:///...", "name": ...}]``)."""
        answer = await self._ask_one("roots", ListRoots(), key)
        roots: list[dict[str, Any]] = answer["roots"]
        return roots

    async def _ask_one(self, kind: str, request: InputRequest, key: str | None) -> dict[str, Any]:
        if self._ask is None:
            raise ToolError("This request cannot ask the client for input")
        chosen = key or f"\0{kind}"  # the asker numbers unnamed questions in the order they are asked
        answers = await self._ask({chosen: request.to_wire()})
        answer: dict[str, Any] = next(iter(answers.values()))
        return answer

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Send ``notifications/progress`` when the client asked for progress (sent a progress token).

        Inside a task (work that outlives its request) the progress becomes the task's ``statusMessage``
        instead, which the client sees when it polls ``tasks/get``.
        """
        if self._on_progress is not None:
            await self._on_progress(progress, total, message)
            return
        if self._send is None or self.progress_token is None:
            return
        params: dict[str, Any] = {"progressToken": self.progress_token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        await self._send({"jsonrpc": "2.0", "method": "notifications/progress", "params": params})

    async def log(self, level: LogLevel, data: Any, *, logger: str | None = None) -> None:
        """Send ``notifications/message`` at ``level`` (dropped below the client's requested level)."""
        rank = _LEVEL_RANK.get(level)
        if rank is None:
            raise ValueError(f"unknown log level {level!r}; expected one of {', '.join(LOG_LEVELS)}")
        if self._send is None or not self._logs_enabled or rank < self._log_threshold:
            return
        params: dict[str, Any] = {"level": level, "data": data}
        if logger is not None:
            params["logger"] = logger
        await self._send({"jsonrpc": "2.0", "method": "notifications/message", "params": params})

    async def debug(self, data: Any, *, logger: str | None = None) -> None:
        await self.log("debug", data, logger=logger)

    async def info(self, data: Any, *, logger: str | None = None) -> None:
        await self.log("info", data, logger=logger)

    async def warning(self, data: Any, *, logger: str | None = None) -> None:
        await self.log("warning", data, logger=logger)

    async def error(self, data: Any, *, logger: str | None = None) -> None:
        await self.log("error", data, logger=logger)

    def __repr__(self) -> str:
        return (
            f"Context(method={self.method!r}, request_id={self.request_id!r}, era={self.era!r}, "
            f"protocol_version={self.protocol_version!r}, session_id={self.session_id!r})"
        )
