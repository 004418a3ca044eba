"""The read side of the transport: answers parsed into the SDK's messages, and put on the client's stream.

An answer is one JSON body or an SSE stream of notifications and server requests ending in the response;
each message is delivered as it arrives. A request that got no answer is answered with its
:class:`~agentcore_mcp.client._failure.Failure` instead, so no request id is left waiting.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from agentcore_mcp._wire import CONNECTION_CLOSED, INVALID_REQUEST, PARSE_ERROR, REQUEST_TIMEOUT
from agentcore_mcp.client._backend import ConnectionFailed, Reply, TransportTimeout
from agentcore_mcp.client._failure import Failure, snippet
from agentcore_mcp.client._sse import SSEDecoder, SSEError

if TYPE_CHECKING:
    from agentcore_mcp.client._handshake import Handshake
    from agentcore_mcp.client._messages import Outgoing, Sdk

__all__ = ["Delivery"]

logger = logging.getLogger("agentcore_mcp.client")


class Delivery:
    """Delivers answers from ``target`` (a backend's description) to ``read_send`` as ``sdk`` messages.

    Args:
        sdk: the installed mcp SDK's message adapter.
        read_send: the sending end of the client's read stream.
        target: the backend's description, for messages.
        max_event_size: the largest SSE event accepted, in bytes (None: no limit).
        handshake: takes the protocol version an ``initialize`` answer negotiates.
    """

    def __init__(
        self,
        sdk: Sdk,
        read_send: MemoryObjectSendStream[Any],
        *,
        target: str,
        max_event_size: int | None,
        handshake: Handshake,
    ) -> None:
        self._sdk = sdk
        self._read_send = read_send
        self._target = target
        self._max_event_size = max_event_size
        self._handshake = handshake

    async def answer(self, out: Outgoing, reply: Reply) -> bool:
        """Deliver the answer ``reply`` carries to ``out`` (closing it); True once its response is delivered.

        Raises:
            Failure: the answer broke off, timed out, or is not JSON-RPC in JSON or SSE.
        """
        content_type = reply.headers.get("content-type", "").lower()
        try:
            if content_type.startswith("text/event-stream"):
                return await self._stream(out, reply)
            body = await reply.aread()
        except TransportTimeout as exc:
            raise Failure(REQUEST_TIMEOUT, f"{exc} (answering {out.method})") from exc
        except ConnectionFailed as exc:
            raise Failure(
                CONNECTION_CLOSED, f"{exc}: the answer to {out.method} from {self._target} broke off"
            ) from exc
        finally:
            await reply.aclose()
        if not content_type.startswith("application/json"):
            raise Failure(
                INVALID_REQUEST,
                f"{self._target} answered {out.method} with HTTP {reply.status} and content type "
                f"{content_type or 'none'!r}, not JSON or an SSE stream",
                {"status": reply.status, "body": snippet(body)},
            )
        message = self._parse(body, out, "JSON answer")
        await self._final(out, message)
        return True

    async def _stream(self, out: Outgoing, reply: Reply) -> bool:
        decoder = SSEDecoder(self._max_event_size)
        try:
            async for chunk in reply.aiter_bytes():
                for event in decoder.feed(chunk):
                    if event.event != "message" or not event.data:
                        continue  # priming events and other event types carry no JSON-RPC message
                    message = self._parse(event.data.encode(), out, "SSE event")
                    envelope = self._sdk.envelope(message)
                    if hasattr(envelope, "method"):
                        await self.send(message)
                    else:
                        await self._final(out, message)
                        return True
        except SSEError as exc:
            raise Failure(
                PARSE_ERROR, f"malformed SSE stream from {self._target} answering {out.method}: {exc}"
            ) from exc
        except TransportTimeout as exc:
            raise Failure(REQUEST_TIMEOUT, f"{exc} (streaming the answer to {out.method})") from exc
        except ConnectionFailed as exc:
            raise Failure(
                CONNECTION_CLOSED,
                f"the SSE stream from {self._target} broke off before the response to {out.method}: {exc}",
            ) from exc
        partial = " (it stopped mid-event)" if decoder.has_partial_event else ""
        raise Failure(
            CONNECTION_CLOSED,
            f"the SSE stream from {self._target} ended before the response to {out.method}"
            f"{partial}: the server closed the connection",
        )

    def _parse(self, data: bytes, out: Outgoing, what: str) -> Any:
        try:
            return self._sdk.parse(data)
        except ValueError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise Failure(
                PARSE_ERROR,
                f"malformed {what} from {self._target} answering {out.method}: "
                f"not a JSON-RPC message ({first})",
                {"body": snippet(data)},
            ) from exc

    async def _final(self, out: Outgoing, message: Any) -> None:
        """Deliver the response to ``out``, under ``out``'s id whatever id the server gave it."""
        envelope = self._sdk.envelope(message)
        if getattr(envelope, "id", None) != out.id:
            if getattr(envelope, "id", None) is not None:
                logger.warning("%s answered request %r with id %r", self._target, out.id, envelope.id)
            envelope.id = out.id
        if out.method == "initialize":
            result = getattr(envelope, "result", None)
            if isinstance(result, dict) and isinstance(result.get("protocolVersion"), str):
                self._handshake.version = result["protocolVersion"]
        await self.send(message)

    async def send(self, message: Any) -> None:
        """Put ``message`` on the client's read stream (waiting until the client reads it)."""
        await self._read_send.send(message)

    async def error(self, request_id: Any, failure: Failure) -> None:
        """Answer ``request_id`` with ``failure``; its message ends ``[HTTP status, JSON-RPC code]``.

        The SDK raises the message alone (``str(MCPError)``), so what a caller prints says which answer
        the request got, not only why. A client already gone is logged, not raised.
        """
        data = {"transport": "agentcore-mcp", "target": self._target, **(failure.data or {})}
        status = data.get("status")
        tag = f"JSON-RPC {failure.code}" if status is None else f"HTTP {status}, JSON-RPC {failure.code}"
        message = self._sdk.error(request_id, failure.code, f"{failure.message} [{tag}]", data)
        try:
            await self._read_send.send(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            logger.debug("client gone before request %r could be answered: %s", request_id, failure.message)
