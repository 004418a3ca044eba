"""Sealing the MRTR ``requestState``: the client carries it between rounds, so it must not be forgeable.

The state is JSON, authenticated with HMAC-SHA256 under a key every replica shares
(``AGENTCORE_MCP_STATE_KEYS``: a comma-separated rotation list, the first key seals, any key opens).
It carries an expiry and a binding to the request it belongs to, so a state cannot be replayed against
another tool or other arguments, nor after it expires. It is integrity-protected, not encrypted: it holds
only what the client itself sent (its earlier answers) plus the server's bookkeeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Sequence
from typing import Any

from pydantic_core import from_json, to_json

from agentcore_mcp import _settings as settings
from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError

__all__ = ["StateSealer", "check_env_keys", "keys_from_env"]

logger = logging.getLogger("agentcore_mcp.server")

ENV_KEYS = settings.STATE_KEYS
_VERSION = "s1"


def check_env_keys() -> None:
    """Raise ``ValueError`` now for a set but unusable ``AGENTCORE_MCP_STATE_KEYS`` (a key under 16
    characters): the server fails at start-up with that line, not at the first sealed round."""
    if any(len(key) < 16 for key in settings.items(ENV_KEYS)):
        raise ValueError(f"{ENV_KEYS}: every key needs at least 16 characters")


def keys_from_env() -> list[bytes]:
    """The keys in ``AGENTCORE_MCP_STATE_KEYS`` (comma-separated), or a fresh ephemeral key with a warning."""
    raw = settings.items(ENV_KEYS)
    if raw:
        check_env_keys()
        return [k.encode() for k in raw]
    logger.warning(
        "%s is not set: sealing multi-round request state with an ephemeral key. Replicas will not accept "
        "each other's state and a restart invalidates pending rounds; set it to a shared secret.",
        ENV_KEYS,
    )
    return [secrets.token_bytes(32)]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _kid(key: bytes) -> str:
    return hashlib.sha256(b"kid:" + key).hexdigest()[:8]


class StateSealer:
    """Seals and opens request state with a rotation list of keys."""

    def __init__(self, keys: Sequence[bytes] | None = None, *, ttl_seconds: float = 600.0) -> None:
        self._keys = list(keys) if keys else keys_from_env()
        self._by_kid = {_kid(k): k for k in self._keys}
        self.ttl_seconds = ttl_seconds

    def seal(self, payload: dict[str, Any], binding: str) -> str:
        """Seal ``payload`` for the request identified by ``binding`` (method, target and arguments digest)."""
        key = self._keys[0]
        body = to_json({"p": payload, "b": binding, "exp": int(time.time() + self.ttl_seconds)})
        encoded = _b64(body)
        kid = _kid(key)
        signature = _b64(hmac.new(key, f"{_VERSION}.{kid}.{encoded}".encode(), hashlib.sha256).digest())
        return f"{_VERSION}.{kid}.{encoded}.{signature}"

    def open(self, token: Any, binding: str) -> dict[str, Any]:
        """Verify and decode a state; any problem is -32602 (HTTP 400), with no detail that helps a forger.

        Raises:
            ProtocolError: not a string, malformed, unknown key, bad signature, expired, or bound to another
                request.
        """

        def invalid(reason: str) -> ProtocolError:
            logger.info("refused requestState: %s", reason)
            return ProtocolError(rpc.INVALID_PARAMS, "Invalid requestState")

        if not isinstance(token, str) or len(token) > 1_000_000:
            raise invalid("not a string, or too long")
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != _VERSION:
            raise invalid("malformed")
        _, kid, encoded, signature = parts
        key = self._by_kid.get(kid)
        if key is None:
            raise invalid("sealed with a key not in the rotation list")
        expected = _b64(hmac.new(key, f"{_VERSION}.{kid}.{encoded}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            raise invalid("bad signature")
        try:
            body = from_json(_unb64(encoded))
        except ValueError:
            raise invalid("undecodable") from None
        if not isinstance(body, dict) or not isinstance(body.get("p"), dict):
            raise invalid("wrong shape")
        if not isinstance(body.get("exp"), int) or body["exp"] < time.time():
            raise invalid("expired")
        if body.get("b") != binding:
            raise invalid("bound to another request")
        payload: dict[str, Any] = body["p"]
        return payload
