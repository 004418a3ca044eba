"""``EmulatorBase``: what the emulator's parts share — the state they read, the body reader, the answer writer.

:class:`~agentcore_mcp.emulator.Emulator` is made of mixins over this base, one per seam: the caller's
authentication (``_auth.py``), InvokeAgentRuntime (``_invoke.py``, forwarding in ``_relay.py``),
StopRuntimeSession (``_stop.py``) and the OAuth documents and local issuer's routes (``_oauth.py``). The
attributes are declared here and set by ``Emulator.__init__``; every part reads them when a request comes,
so a test that replaces one (``emulator.sigv4 = ...``) changes what the next request sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic_core import from_json

from agentcore_mcp.emulator._faults import Faults
from agentcore_mcp.emulator._forward import Upstream
from agentcore_mcp.emulator._identity import IdentityPlane
from agentcore_mcp.emulator._issuer import JWTVerifier, LocalIssuer
from agentcore_mcp.emulator._limits import RequestLimits
from agentcore_mcp.emulator._microvms import SessionManager
from agentcore_mcp.emulator._platform_errors import validation_error
from agentcore_mcp.emulator._ratelimit import TokenBucket
from agentcore_mcp.emulator._runtimes import RuntimeRegistry
from agentcore_mcp.emulator._sigv4 import SigV4Verifier
from agentcore_mcp.server import BodyTooLarge, read_body

__all__ = ["JSON", "EmulatorBase", "Receive", "Scope", "Send", "header", "jsonrpc_id"]

Scope = Mapping[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

JSON = [(b"content-type", b"application/json")]


def header(raw: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes) in an ASGI header list, or None."""
    for key, value in raw:
        if key == name:
            return value.decode("latin-1")
    return None


def jsonrpc_id(body: bytes) -> Any:
    """The ``id`` of the JSON-RPC message in ``body`` (None when it is not one), for an error answer."""
    try:
        message = from_json(body)
    except ValueError:
        return None
    return message.get("id") if isinstance(message, dict) else None


class EmulatorBase:
    """The emulator's state as its parts see it, and the two steps every route takes (read, answer)."""

    region: str
    sigv4: SigV4Verifier
    issuer: LocalIssuer
    jwt: JWTVerifier
    registry: RuntimeRegistry
    sessions: SessionManager
    faults: Faults
    identity: IdentityPlane
    workload_token: bool
    clock: Callable[[], float]
    max_body_size: int
    limits: RequestLimits
    invoke_for_user: bool
    base_url: str | None
    _shared: dict[str, Upstream]
    _buckets: dict[str, TokenBucket]
    _client: Any

    @staticmethod
    async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        out = [*headers, (b"content-length", str(len(body)).encode())]
        try:
            await send({"type": "http.response.start", "status": status, "headers": out})
            await send({"type": "http.response.body", "body": body})
        except OSError:
            pass

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        """The whole body, with the payload cap (400 ValidationException past it) and no buffering past it."""
        declared = header(scope["headers"], b"content-length")
        length = int(declared) if declared is not None and declared.isdigit() else None
        try:
            return await read_body(receive, self.max_body_size, length)
        except BodyTooLarge:
            raise validation_error(
                "payload", f"Member must have length less than or equal to {self.max_body_size}"
            ) from None
