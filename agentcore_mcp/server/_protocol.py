"""MCP over JSON-RPC, both eras: one parsed message in, one :class:`Reply` out.

The protocol layer takes the registry, the settings and the stores; it checks the JSON-RPC envelope,
classifies the era (:mod:`._envelope`), opens the session in session mode, dispatches to the method table
(:mod:`._methods` plus extensions' methods) and encodes the result. It knows nothing of ASGI or of HTTP
header names: the edge hands it a :class:`~._call.Routing` (the routing headers, parsed) and a
:class:`~._call.Stream` (where messages sent before the result go), and writes the reply it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic_core import to_json

from agentcore_mcp import _wire as rpc
from agentcore_mcp import telemetry
from agentcore_mcp.errors import ProtocolError
from agentcore_mcp.server._call import Call, Era, Routing, Stream
from agentcore_mcp.server._content import text_result
from agentcore_mcp.server._envelope import check_modern, classify, http_status
from agentcore_mcp.server._identity import bind_platform_context, set_log_ids
from agentcore_mcp.server._input import ASKING_CAPABILITIES, InputRequired
from agentcore_mcp.server._methods import MRTR_METHODS, CachedPage, Handler, Methods, Settings
from agentcore_mcp.server._pieces import Pieces, pieces_of
from agentcore_mcp.server._session_store import valid_session_id

if TYPE_CHECKING:
    from agentcore_mcp.server._extension import Extension, Method
    from agentcore_mcp.server._registry import Registry
    from agentcore_mcp.server._session_store import Session
    from agentcore_mcp.server._stores import Stores
    from agentcore_mcp.server._tools import Tool

__all__ = ["Protocol", "Reply", "Soon"]

logger = logging.getLogger("agentcore_mcp.server")


class Reply:
    """What the protocol answers one message with: an HTTP status and a JSON body.

    ``body`` is the serialized JSON-RPC message (:class:`~._pieces.Pieces` when a huge result is encoded
    as it is written), or None for 202 Accepted (a notification or a client's answer). A list result is ``page`` instead (serialized once, shared by every request) with the
    request's id in ``page_id``; the edge frames it, compressed when the client accepts gzip.
    """

    __slots__ = ("body", "page", "page_id", "status")

    def __init__(
        self, status: int, body: bytes | Pieces | None, page: CachedPage | None = None, page_id: bytes = b""
    ) -> None:
        self.status = status
        self.body = body
        self.page = page
        self.page_id = page_id


ACCEPTED = Reply(202, None)
_CAPABILITIES = rpc.META_CLIENT_CAPABILITIES
_OBJECT = (dict, type(None))  # what params may be without a closer look
_Admitted = tuple[str, "str | int", Mapping[str, Any], Era, "Session | None"]


class Soon(NamedTuple):
    """A ``tools/call`` admitted by :meth:`Protocol.answer_now`, for :meth:`Protocol.answer_soon` to run."""

    tool: Tool
    id: str | int
    arguments: dict[str, Any] | None
    params: dict[str, Any]
    era: Era
    version: str
    meta: Any  # params._meta as sent (checked in the modern era)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
_NO_INPUT_HERE = "%s asked the client for input where the protocol does not allow it"


class Protocol:
    """The envelope rules and the method tables of both eras, over one registry, settings and stores."""

    def __init__(self, registry: Registry, settings: Settings, stores: Stores) -> None:
        self.registry = registry
        self.settings = settings
        self.stores = stores
        self.methods = Methods(registry, settings, stores)
        self._streaming = settings.streaming  # (Settings is frozen; read per request)
        self._tables: dict[Era, dict[str, Handler]] = {
            "legacy": self.methods.table("legacy"),
            "modern": self.methods.table("modern"),
        }

    def add_extension(self, extension: Extension) -> None:
        """Serve ``extension``'s methods (see :mod:`._extension`); the registry offers it ``tools/call``.

        Raises:
            ValueError: it names a method that is already served.
        """
        added: dict[Era, dict[str, Handler]] = {}
        for era in ("legacy", "modern"):
            methods = extension.methods(era)
            taken = sorted(set(methods) & set(self._tables[era]))
            if taken:
                raise ValueError(
                    f"extension {extension.name!r}: method(s) already served: {', '.join(taken)}"
                )
            added[era] = {name: self._stamping(handler) for name, handler in methods.items()}
        for era, table in added.items():
            self._tables[era].update(table)

    def _stamping(self, handler: Method) -> Handler:
        async def run(params: Mapping[str, Any], call: Call) -> Any:
            return self.methods.stamped(await handler(params, call), call)

        return run

    # -- one message -------------------------------------------------------------------------------------

    async def handle(self, message: Any, headers: Routing, out: Stream) -> Reply | bytes:
        """Answer one parsed JSON-RPC message: a :class:`Reply`, or, for the commonest answer (200 with a
        JSON body encoded whole), just the body (no Reply object made per request).

        Never raises for anything the client sent; handler failures become -32603 without detail. Messages
        a handler sends before its result go to ``out``. Steps: admit the message (:meth:`_admit`), check
        the era's envelope, run the method's handler, encode its result.
        """
        admitted = self._admit(message, headers, out)
        if isinstance(admitted, Reply):
            return admitted
        method, request_id, params, era, session = admitted
        try:
            meta: Any
            if era == "modern":
                version, meta = check_modern(method, params, headers)
            else:
                # A header that is not a handshake version made the request modern: any header here is one.
                version = headers.version or rpc.LATEST_LEGACY
                meta = params.get("_meta")
            handler = self._tables[era].get(method)
            if handler is None:
                raise ProtocolError(rpc.METHOD_NOT_FOUND, "Method not found", data=method)
            if session is not None and version >= "2025-11-25" and self.settings.sse_retry_ms is not None:
                out.record(session.new_stream, self.settings.sse_retry_ms)
            streams = out if self._streaming else None
            meta = meta if isinstance(meta, dict) else None
            call = Call(
                self.stores, request_id, method, era, version, params, meta, headers, streams, session
            )
            set_log_ids((headers.session_id, request_id, method))
            if headers.identity:
                bind_platform_context(headers.raw, headers.session_id)
            if era == "modern" and method in MRTR_METHODS and "requestState" in params:
                call.input_round()  # verify the seal before doing anything else
            if telemetry.enabled():
                result = await self._traced(handler, params, call)
            else:
                try:
                    result = await handler(params, call)
                except InputRequired as needed:
                    result = self._input_required(call, needed)
        except Exception as exc:
            return _failed(era, request_id, method, exc)
        if isinstance(result, CachedPage):  # a list page serialized once: the edge frames it with the id
            return Reply(200, None, result, to_json(request_id))
        return self._encode(method, request_id, params, era, result)

    def answer_now(self, message: Any, headers: Routing) -> Reply | bytes | Soon | None:
        """The answer to the commonest request, or what it takes to answer it; None: :meth:`handle` answers.

        A ``tools/call`` in stateless mode with no extension and no tracing has a way of its own: an
        immediate tool's (sync, on the loop, no Context; see ``Tool.immediate``) is answered here in one
        plain call (no coroutine, no :class:`~._call.Call`, no stream); any other tool's comes back as a
        :class:`Soon` for :meth:`answer_soon` to run with the request's stream. Both answer exactly as
        :meth:`handle` would. Any other message, and any that is not plainly well formed, gets None before
        anything has run (handle then answers it, with its errors); so do a request with identity headers
        (handle binds the platform context) and, in the 2026-07-28 era, a tool with ``Mcp-Param-*`` headers,
        an MRTR retry, and a tool that takes a Context when the client declared something it could be asked
        (handle's ``pausable`` may pause that call).
        """
        if type(message) is not dict or message.get("method") != "tools/call":
            return None
        params = message.get("params")
        if type(params) is not dict:
            return None
        name = params.get("name")
        tool = self.registry.tools.get(name) if type(name) is str else None
        if tool is None:
            return None
        request_id = message.get("id")
        arguments = params.get("arguments")
        if (
            (type(request_id) is not int and type(request_id) is not str)
            or (arguments is not None and type(arguments) is not dict)
            or message.get("jsonrpc") != "2.0"
            or headers.identity
            or self.stores.sessions is not None
            or self.registry.extensions
        ):
            return None
        era = classify(params, headers)
        envelope: tuple[str, Any] | None = None  # the version and _meta, checked (modern) or as sent
        if era == "modern":
            if tool.param_headers or "requestState" in params or "inputResponses" in params:
                return None
            try:
                envelope = check_modern("tools/call", params, headers)
            except ProtocolError:
                return None
            # A function that may ask, of a client that can answer, may pause: handle's pausable call.
            if tool.wants_context and not ASKING_CAPABILITIES.isdisjoint(envelope[1][_CAPABILITIES]):
                return None
        if telemetry.enabled():
            return None
        set_log_ids((headers.session_id, request_id, "tools/call"))
        if not tool.immediate:
            if envelope is None:  # the handshake era: as handle reads them
                envelope = headers.version or rpc.LATEST_LEGACY, params.get("_meta")
            return Soon(tool, request_id, arguments, params, era, *envelope)
        try:
            result = tool.run_now(arguments)
            if era == "modern":
                self.methods.stamp(result)
        except InputRequired:  # a function without a Context cannot pause: as _input_required answers it
            logger.error(_NO_INPUT_HERE, "tools/call")
            return _refuse(era, request_id, rpc.INTERNAL_ERROR, "Internal error")
        except Exception as exc:
            return _failed(era, request_id, "tools/call", exc)
        return self._encode("tools/call", request_id, params, era, result)

    async def answer_soon(self, soon: Soon, headers: Routing, out: Stream) -> Reply | bytes:
        """Run the ``tools/call`` that :meth:`answer_now` admitted, its messages before the result going to
        ``out``, and answer it exactly as :meth:`handle` would (without its admission and dispatch)."""
        tool, request_id, arguments, params, era, version, meta = soon
        call = Call(
            self.stores,
            request_id,
            "tools/call",
            era,
            version,
            params,
            meta if isinstance(meta, dict) else None,
            headers,
            out if self._streaming else None,
        )
        try:
            try:
                result = await tool.run(arguments, call.context() if tool.wants_context else None)
            except InputRequired as needed:
                result = self._input_required(call, needed)
            if era == "modern":
                self.methods.stamp(result)
        except Exception as exc:
            return _failed(era, request_id, "tools/call", exc)
        return self._encode("tools/call", request_id, params, era, result)

    def _encode(
        self, method: str, request_id: str | int, params: Mapping[str, Any], era: Era, result: Any
    ) -> Reply | bytes:
        """The JSON-RPC answer carrying ``result``: its bytes, or a Reply whose body is encoded as sent."""
        message = {"jsonrpc": "2.0", "id": request_id, "result": result}
        try:
            # A result with huge text is encoded as it is written (see ._pieces); JSON has no NaN or
            # Infinity: they go out as null rather than as invalid JSON.
            pieces = pieces_of(message, result)
            if pieces is None:
                return to_json(message, inf_nan_mode="null")
        except Exception:  # text that is not valid Unicode, objects pydantic cannot serialize
            logger.exception("could not encode the result of %s", method)
            return self._unencodable(method, request_id, params, era)
        return Reply(200, pieces)

    def _admit(self, message: Any, headers: Routing, out: Stream) -> Reply | _Admitted:
        """The JSON-RPC envelope, the era, the session: what to dispatch, or the answer without dispatching."""
        if not isinstance(message, dict):
            return self._not_an_object(message, headers)
        params = message.get("params")
        era = classify(params, headers)
        request_id = message.get("id", _MISSING)
        method = message.get("method")
        if message.get("jsonrpc") != "2.0" or not isinstance(method, str) or not isinstance(params, _OBJECT):
            refused = self._check_message(message, method, params, era, request_id, headers)
            if refused is not None:
                return refused
        assert isinstance(method, str)  # _check_message refused anything else
        session: Session | None = None
        if self.stores.sessions is not None and era == "legacy":
            session_or_reply = self._open_session(method, request_id, headers, out)
            if isinstance(session_or_reply, Reply):
                return session_or_reply
            session = session_or_reply
        if request_id is _MISSING:
            # A notification: nothing to answer. Version and envelope problems cannot be reported either.
            return ACCEPTED
        if type(request_id) is not int and type(request_id) is not str and not _is_id(request_id):
            return _refuse(era, None, rpc.INVALID_REQUEST, "id must be a string or an integer")
        if isinstance(params, list):  # valid JSON-RPC (by-position params), but MCP's methods take named ones
            text = f"{method}: params must be an object (MCP methods take named parameters)"
            return _refuse(era, request_id, rpc.INVALID_PARAMS, text)
        return method, request_id, params or {}, era, session

    def _not_an_object(self, message: Any, headers: Routing) -> Reply:
        era: Era = "modern" if rpc.is_modern_version(headers.version) else "legacy"
        if isinstance(message, list):
            text = "Batch requests are not supported; send one JSON-RPC message per POST"
        else:
            text = "Body must be a single JSON-RPC request or notification object"
        return _refuse(era, None, rpc.INVALID_REQUEST, text)

    def _check_message(
        self, message: dict[str, Any], method: Any, params: Any, era: Era, request_id: Any, headers: Routing
    ) -> Reply | None:
        """The JSON-RPC envelope: version, method, params; a client's answer is taken here (None: go on)."""
        usable_id = _valid_id(request_id)
        if message.get("jsonrpc") != "2.0":
            return _refuse(era, usable_id, rpc.INVALID_REQUEST, 'jsonrpc must be "2.0"')
        if method is None:
            if "result" in message or "error" in message:
                return self._take_answer(message, headers)
            return _refuse(era, usable_id, rpc.INVALID_REQUEST, "method is missing")
        if not isinstance(method, str):
            return _refuse(era, usable_id, rpc.INVALID_REQUEST, "method must be a string")
        if params is not None and not isinstance(params, (dict, list)):
            text = "params must be an object (or, in JSON-RPC, an array)"
            return _refuse(era, usable_id, rpc.INVALID_REQUEST, text)
        return None

    def _open_session(
        self, method: str, request_id: Any, headers: Routing, out: Stream
    ) -> Session | Reply | None:
        """Session mode, handshake era: the request's session (a new one on ``initialize``), or the refusal."""
        store = self.stores.sessions
        assert store is not None
        if method != "initialize" and headers.session_id is None:
            return None
        if headers.session_id is not None and not valid_session_id(headers.session_id):
            text = "Mcp-Session-Id must be 1-256 visible ASCII characters"
            return Reply(400, rpc.error_body(_valid_id(request_id), rpc.INVALID_REQUEST, text))
        session = store.open(headers.session_id)
        if session is None:
            return Reply(404, rpc.error_body(_valid_id(request_id), rpc.INVALID_REQUEST, "Session not found"))
        out.session_id = session.id
        return session

    def _take_answer(self, message: Mapping[str, Any], headers: Routing) -> Reply:
        """A client's answer to a server→client request (handshake era): hand it to the waiting handler."""
        if self.stores.pending.resolve(message, headers.session_id):
            return ACCEPTED
        text = (
            "No request of this server is waiting for that answer (unknown or expired id, or another session)"
        )
        return Reply(404, rpc.error_body(None, rpc.INVALID_PARAMS, text))

    def _unencodable(self, method: str, request_id: str | int, params: Mapping[str, Any], era: Era) -> Reply:
        """The answer when a result cannot be serialized: a tool error result for tools/call, else -32603."""
        name = params.get("name")
        if method != "tools/call" or not isinstance(name, str):
            return _refuse(era, request_id, rpc.INTERNAL_ERROR, "Internal error")
        failed = text_result(f"Tool {name!r} returned a result that could not be serialized", is_error=True)
        if era == "modern":
            self.methods.stamp(failed)
        return Reply(200, to_json({"jsonrpc": "2.0", "id": request_id, "result": failed}))

    async def _traced(self, handler: Handler, params: Mapping[str, Any], call: Call) -> Any:
        """Run a handler inside an OpenTelemetry SERVER span (only when tracing is on)."""
        target = params.get("name") if call.method in ("tools/call", "prompts/get") else None
        with telemetry.request_span(
            call.method,
            call.headers.raw,
            target=target if isinstance(target, str) else None,
            request_id=call.id,
            session_id=call.headers.session_id,
            protocol_version=call.version,
            meta=call.meta,
        ) as span:
            try:
                return await handler(params, call)
            except InputRequired as needed:
                return self._input_required(call, needed)
            except ProtocolError as exc:
                # Recorded as the JSON-RPC code, then raised outside the span (not as an exception in it).
                span.jsonrpc_error(exc.code, exc.message)
                refused = exc
        raise refused

    def _input_required(self, call: Call, needed: InputRequired) -> dict[str, Any]:
        """The MRTR answer: the questions, and the sealed state that carries earlier answers to the retry."""
        if call.era != "modern" or call.method not in MRTR_METHODS or call.round is None:
            # Only a modern tools/call, prompts/get or resources/read can pause for input.
            logger.error(_NO_INPUT_HERE, call.method)
            raise ProtocolError(rpc.INTERNAL_ERROR, "Internal error")
        state = self.stores.sealer.seal({"answers": call.round.answers}, call.binding())
        return self.methods.stamp(
            {"resultType": "input_required", "inputRequests": needed.requests, "requestState": state}
        )


def _refuse(era: Era, request_id: Any, code: int, message: str, data: Any = None) -> Reply:
    return Reply(http_status(code, era), rpc.error_body(request_id, code, message, data))


def _failed(era: Era, request_id: Any, method: str, exc: Exception) -> Reply:
    """The answer when answering ``method`` raised ``exc``: a ProtocolError's own JSON-RPC error, anything
    else -32603 without detail (logged with its traceback: called from the ``except`` block)."""
    if isinstance(exc, ProtocolError):
        return _refuse(era, request_id, exc.code, exc.message, exc.data)
    logger.exception("internal error while answering %s", method)
    return _refuse(era, request_id, rpc.INTERNAL_ERROR, "Internal error")


def _is_id(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _valid_id(value: Any) -> Any:
    return value if _is_id(value) else None
