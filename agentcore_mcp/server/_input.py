"""Asking the client for input mid-request (elicitation, sampling, roots), one API for both eras.

A tool (or prompt, or resource reader) calls ``await ctx.elicit(...)``, ``await ctx.sample(...)`` or
``await ctx.list_roots()``:

* **2026-07-28 (MRTR)**: the first time a question is asked the handler stops, and the request is answered
  ``resultType: "input_required"`` with the question in ``inputRequests`` and a sealed ``requestState``.
  The client retries the original request with ``inputResponses``; the handler runs again from the top and
  this time the same question returns the answer at once. Handlers therefore re-run once per round: keep
  side effects after the questions, or make them idempotent.
* **Handshake era**: the question goes to the client as a JSON-RPC request on the POST's SSE stream; the
  client POSTs its answer (with the same ``Mcp-Session-Id``, which on AgentCore routes it to the same
  microVM), and the awaiting handler resumes. A table in this process matches answers to questions; when
  no answer can arrive (unknown id, recycled microVM) the handler gets a clear error after a timeout.

In the 2026-07-28 era a handler that may ask (one that takes a Context) runs under :func:`until_answered`:
asking cancels the request's task, and the protocol layer withdraws the cancellation and answers
``input_required``. A handler without a Context cannot ask and pays nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError, ToolError, URLElicitationRequired

__all__ = [
    "Elicit",
    "ElicitURL",
    "ElicitationResult",
    "InputRequest",
    "InputRequired",
    "InputRound",
    "ListRoots",
    "PendingRequests",
    "Sample",
    "capability_for",
    "check_url",
    "elicitation_modes",
    "legacy_asker",
    "modern_asker",
    "redact_url",
    "until_answered",
]

T = TypeVar("T")

logger = logging.getLogger("agentcore_mcp.server")


class InputRequired(Exception):
    """A modern-era handler waits for input the client has not given yet: answer ``input_required``.

    Raised by :func:`until_answered` in the protocol layer's own frame, after the handler's run has been
    cancelled; user code never sees it (at its ``await ctx.elicit(...)`` it sees the run's cancellation).
    Only a run that is not under :func:`until_answered` (an extension driving a tool itself) gets it raised
    at the question, the old way.
    """

    def __init__(self, requests: dict[str, dict[str, Any]]) -> None:
        super().__init__(f"input required: {', '.join(requests)}")
        self.requests = requests


async def until_answered(work: Awaitable[T], round_: InputRound) -> T:
    """Await ``work`` (a modern-era handler call) until it returns or asks for input ``round_`` does not hold.

    A function that asks is stopped the standard asyncio way: the question cancels this request's task,
    so the function's ``finally`` blocks and context managers unwind at its ``await``, and no ``except
    Exception`` in it can swallow the stop. The cancellation is then withdrawn here (``Task.uncancel``), and
    the questions are raised as :class:`InputRequired` in the protocol layer's own frame.

    Raises:
        InputRequired: the questions the client must answer in a retry.
    """
    task = asyncio.current_task()
    round_.runner = task
    try:
        result = await work
    except asyncio.CancelledError:
        if not round_.needed or not _withdraw_cancel(task):
            raise  # cancelled for another reason (the client went away, the server is stopping)
        raise InputRequired(dict(round_.needed)) from None
    finally:
        round_.runner = None
    if round_.needed:  # the function caught its cancellation and returned anyway: still a question
        _withdraw_cancel(task)
        raise InputRequired(dict(round_.needed))
    return result


def _withdraw_cancel(task: asyncio.Task[Any] | None) -> bool:
    """Undo the cancellation a question requested; False when the task is being cancelled for more."""
    uncancel = getattr(task, "uncancel", None)  # Python 3.11+; 3.10 keeps no count of requests
    if uncancel is None:
        return True
    return bool(uncancel() == 0)


@dataclass(frozen=True)
class ElicitationResult:
    """The user's answer to an elicitation: ``action`` is ``"accept"``, ``"decline"`` or ``"cancel"``.

    For a URL elicitation ``accept`` means the user agreed to open the URL, not that the interaction there
    is done; ``elicitation_id`` is the id it was sent under (handshake era), else None.
    """

    action: str
    content: dict[str, Any] | None = None
    elicitation_id: str | None = None

    @property
    def accepted(self) -> bool:
        return self.action == "accept"


@dataclass(frozen=True)
class Elicit:
    """An ``elicitation/create`` request: a message and a flat JSON Schema (or a pydantic model) for the form."""

    message: str
    schema: Mapping[str, Any] | type[BaseModel] | None = None

    def to_wire(self) -> dict[str, Any]:
        schema: Any = self.schema
        if schema is None:
            schema = {"type": "object", "properties": {}}
        elif isinstance(schema, type) and issubclass(schema, BaseModel):
            schema = schema.model_json_schema()
        return {
            "method": "elicitation/create",
            "params": {"message": self.message, "requestedSchema": dict(schema)},
        }


_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """``url`` when it may be sent in a URL elicitation: ``https``, or ``http`` on a loopback host.

    Raises:
        ValueError: another scheme, no host, credentials in the URL, or whitespace/control characters.
    """
    from urllib.parse import urlsplit

    if not isinstance(url, str) or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise ValueError("an elicitation URL must be a string without whitespace or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError:
        raise ValueError("an elicitation URL must be a valid absolute URL") from None
    if not host:
        raise ValueError("an elicitation URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("an elicitation URL must not carry credentials (user:password@)")
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return url
    raise ValueError(
        f"an elicitation URL must be https (or http on a loopback host), not {parts.scheme or 'relative'}"
    )


def redact_url(url: str) -> str:
    """``url`` without its query string and fragment (which may carry state or secrets), for logs."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@dataclass(frozen=True)
class ElicitURL:
    """A URL-mode ``elicitation/create`` request: send the user to ``url`` (checked by :func:`check_url`).

    ``elicitation_id`` travels in the handshake era (2025-11-25 requires it; the 2026-07-28 schema removed it).
    """

    message: str
    url: str
    elicitation_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        check_url(self.url)

    def to_wire(self) -> dict[str, Any]:
        params = {
            "mode": "url",
            "message": self.message,
            "url": self.url,
            "elicitationId": self.elicitation_id,
        }
        return {"method": "elicitation/create", "params": params}


@dataclass(frozen=True)
class Sample:
    """A ``sampling/createMessage`` request; a ``str`` message is one user text message."""

    messages: str | Sequence[Any]
    max_tokens: int = 1024
    system_prompt: str | None = None
    temperature: float | None = None
    stop_sequences: Sequence[str] | None = None
    model_preferences: Mapping[str, Any] | None = field(default=None)

    def to_wire(self) -> dict[str, Any]:
        items = [self.messages] if isinstance(self.messages, str) else list(self.messages)
        messages = []
        for item in items:
            if isinstance(item, str):
                messages.append({"role": "user", "content": {"type": "text", "text": item}})
            elif hasattr(item, "to_wire"):
                messages.append(item.to_wire())
            else:
                messages.append(dict(item))
        params: dict[str, Any] = {"messages": messages, "maxTokens": self.max_tokens}
        for name, value in (
            ("systemPrompt", self.system_prompt),
            ("temperature", self.temperature),
            ("stopSequences", list(self.stop_sequences) if self.stop_sequences else None),
            ("modelPreferences", dict(self.model_preferences) if self.model_preferences else None),
        ):
            if value is not None:
                params[name] = value
        return {"method": "sampling/createMessage", "params": params}


@dataclass(frozen=True)
class ListRoots:
    """A ``roots/list`` request."""

    def to_wire(self) -> dict[str, Any]:
        return {"method": "roots/list", "params": {}}


InputRequest = Elicit | ElicitURL | Sample | ListRoots

Asker = Callable[[dict[str, dict[str, Any]]], Awaitable[dict[str, Any]]]


_CAPABILITY_OF = {
    "elicitation/create": "elicitation",
    "sampling/createMessage": "sampling",
    "roots/list": "roots",
}
ASKING_CAPABILITIES = frozenset(_CAPABILITY_OF.values())
"""Client capabilities without one of which a 2026-07-28 request can never pause for input."""


def capability_for(method: str) -> str:
    """The client capability a server→client request needs."""
    return _CAPABILITY_OF[method]


def elicitation_modes(capabilities: Mapping[str, Any]) -> frozenset[str]:
    """The elicitation modes a client declared: ``{}`` means form only (the spec's backward compatibility)."""
    declared = capabilities.get("elicitation")
    if not isinstance(declared, dict):
        return frozenset()
    if not declared:
        return frozenset({"form"})
    return frozenset(mode for mode in ("form", "url") if declared.get(mode) is not None)


def _mode(request: Mapping[str, Any]) -> str:
    params = request.get("params")
    mode = params.get("mode") if isinstance(params, dict) else None
    return mode if isinstance(mode, str) else "form"


def check_response(method: str, response: Any) -> None:
    """Raise ProtocolError -32602 when a client's answer does not have the shape its request calls for."""
    ok = isinstance(response, dict)
    if ok and method == "elicitation/create":
        ok = response.get("action") in ("accept", "decline", "cancel") and (
            response.get("content") is None or isinstance(response.get("content"), dict)
        )
    elif ok and method == "sampling/createMessage":
        ok = isinstance(response.get("role"), str) and isinstance(response.get("content"), (dict, list))
    elif ok and method == "roots/list":
        ok = isinstance(response.get("roots"), list)
    if not ok:
        raise ProtocolError(rpc.INVALID_PARAMS, f"Malformed input response for {method}")


class InputRound:
    """The answers available to one run of a handler (modern era), and the questions it asked.

    ``answers`` holds every answer so far: those carried in the sealed state from earlier rounds and those
    in this request's ``inputResponses``. Questions are keyed (explicitly, or by kind and order of asking),
    so a re-run asks the same questions under the same keys.
    """

    __slots__ = ("answers", "asked", "counter", "needed", "runner")

    def __init__(self, answers: dict[str, Any] | None = None, asked: dict[str, str] | None = None) -> None:
        self.answers: dict[str, Any] = answers or {}
        self.asked: dict[str, str] = asked or {}  # key -> method, from earlier rounds
        self.counter: dict[str, int] = {}
        self.needed: dict[str, dict[str, Any]] = {}  # questions of this round still without an answer
        self.runner: asyncio.Task[Any] | None = None  # the task until_answered runs in, cancelled on asking

    async def need(self, requests: dict[str, dict[str, Any]]) -> NoReturn:
        """Record questions without answers and stop this run (see :func:`until_answered`)."""
        runner = self.runner
        if runner is None:
            # Nobody runs this call under until_answered (an extension's own run): stop by raising, which
            # Tool.run lets through; until_answered is the way that no ``except Exception`` can swallow.
            raise InputRequired(requests)
        first = not self.needed
        self.needed.update(requests)
        if first:
            runner.cancel()
        await asyncio.get_running_loop().create_future()  # never resolved: the cancellation arrives here
        raise AssertionError("unreachable")  # pragma: no cover

    def next_key(self, kind: str) -> str:
        n = self.counter.get(kind, 0)
        self.counter[kind] = n + 1
        return f"{kind}-{n}" if n else kind


class PendingRequests:
    """Server→client requests awaiting the client's answer (handshake era), keyed by request id."""

    def __init__(self, timeout: float = 300.0) -> None:
        self.timeout = timeout  # seconds a question waits for its answer
        self._waiting: dict[str, tuple[asyncio.Future[Any], str | None, str, float]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def open(self, method: str, session_id: str | None) -> tuple[str, asyncio.Future[Any]]:
        request_id = f"srv-{uuid.uuid4().hex}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (future, session_id, method, time.monotonic())
        return request_id, future

    def close(self, request_id: str) -> None:
        self._waiting.pop(request_id, None)

    def resolve(self, message: Mapping[str, Any], session_id: str | None) -> bool:
        """Deliver a client's JSON-RPC response; False when nothing waits for that id (or the session differs)."""
        request_id = message.get("id")
        entry = self._waiting.get(request_id) if isinstance(request_id, str) else None
        if entry is None:
            return False
        future, expected_session, method, _ = entry
        if expected_session is not None and session_id is not None and session_id != expected_session:
            return False
        del self._waiting[request_id]  # type: ignore[arg-type]
        if future.done():
            return True
        if "error" in message:
            error = message.get("error")
            text = error.get("message") if isinstance(error, dict) else None
            future.set_exception(ToolError(f"The client refused {method}: {text or 'no reason given'}"))
        else:
            future.set_result(message.get("result"))
        return True


def _resolve_key(raw: str, round_: InputRound | None) -> str:
    # Unnamed questions arrive as "\0<kind>" and are numbered in the order they are asked.
    if raw.startswith("\0"):
        kind = raw[1:]
        return round_.next_key(kind) if round_ is not None else kind
    return raw


def modern_asker(round_: InputRound, capabilities: Mapping[str, Any]) -> Asker:
    """Answers from this round when the client already gave them; otherwise stop the run (see until_answered)."""

    async def ask(requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        missing: dict[str, dict[str, Any]] = {}
        for raw_key, request in requests.items():
            key = _resolve_key(raw_key, round_)
            capability = capability_for(request["method"])
            if capability not in capabilities:
                raise ProtocolError(
                    rpc.MISSING_CLIENT_CAPABILITY,
                    f"This request needs the client capability {capability!r}, which the client did not declare",
                    data={"requiredCapabilities": {capability: {}}},
                )
            if capability == "elicitation":
                mode = _mode(request)
                if mode not in elicitation_modes(capabilities):
                    raise ProtocolError(
                        rpc.MISSING_CLIENT_CAPABILITY,
                        f"This request needs {mode} mode elicitation, which the client did not declare",
                        data={"requiredCapabilities": {"elicitation": {mode: {}}}},
                    )
                if mode == "url":  # the 2026-07-28 schema has no elicitationId
                    params = {k: v for k, v in request["params"].items() if k != "elicitationId"}
                    request = {**request, "params": params}
            if key in round_.answers:
                check_response(request["method"], round_.answers[key])
                answers[key] = round_.answers[key]
            else:
                missing[key] = request
        if missing:
            await round_.need(missing)
        return answers

    return ask


def _url_supported(capabilities: Mapping[str, Any] | None, version: str | None) -> bool:
    """Whether a handshake-era client can be sent a URL elicitation: it declared ``elicitation.url`` at
    ``initialize`` (known only in session mode) and speaks 2025-11-25, the revision that added the mode."""
    if capabilities is None or version in rpc.LEGACY_VERSIONS[1:]:
        return False
    return "url" in elicitation_modes(capabilities)


def legacy_asker(
    send: Callable[[dict[str, Any]], Awaitable[None]] | None,
    pending: PendingRequests,
    session_id: str | None,
    capabilities: Mapping[str, Any] | None = None,
    version: str | None = None,
) -> Asker:
    """Sends each question as a JSON-RPC request on the SSE stream and waits for the client's POSTed answer.

    ``capabilities`` are what the client declared at ``initialize`` (None: not known, without a session).
    A URL elicitation goes only to a client known to take one; otherwise the request fails with
    :class:`~agentcore_mcp.errors.URLElicitationRequired` (-32042) listing the URL elicitations, and the
    client retries after the user has visited them.
    """

    timeout = pending.timeout

    async def ask(requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
        urls = [
            r["params"]
            for r in requests.values()
            if r["method"] == "elicitation/create" and _mode(r) == "url"
        ]
        if urls and not _url_supported(capabilities, version):
            raise URLElicitationRequired(urls)
        if send is None:
            raise ToolError(
                "Asking the client for input needs a streamed (SSE) answer; this server has streaming off"
            )
        opened: list[tuple[str, str, str, asyncio.Future[Any]]] = []
        try:
            for raw_key, request in requests.items():
                request_id, future = pending.open(request["method"], session_id)
                opened.append((_resolve_key(raw_key, None), request["method"], request_id, future))
                await send({"jsonrpc": "2.0", "id": request_id, **request})
            try:
                results = await asyncio.wait_for(asyncio.gather(*(f for *_, f in opened)), timeout)
            except asyncio.TimeoutError:
                methods = ", ".join(sorted({m for _, m, _, _ in opened}))
                raise ToolError(
                    f"No answer from the client to {methods} within {timeout:g} s (the answer must reach this "
                    "server process: send it with the same Mcp-Session-Id)"
                ) from None
        finally:
            for _, _, request_id, _ in opened:
                pending.close(request_id)
        answers: dict[str, Any] = {}
        for (key, method, _, _), result in zip(opened, results, strict=False):
            try:
                check_response(method, result)
            except ProtocolError:
                raise ToolError(f"The client answered {method} with a malformed result") from None
            answers[key] = result
        return answers

    return ask
