"""Runtime session ids and the client-side session they belong to.

AgentCore Runtime gives every runtime session its own microVM and routes on two ids: the runtime session id
(``X-Amzn-Bedrock-AgentCore-Runtime-Session-Id``, chosen by the caller) and the ``Mcp-Session-Id`` the
platform returns. A client that keeps both keeps its microVM warm; one that drops them pays a cold start.

The request model accepts 33–256 characters for a runtime session id, but the response model allows only
1–100 characters of ``[a-zA-Z0-9][a-zA-Z0-9-_]*``; ids made and accepted here satisfy both, so the same id
can travel in every field.

This module does not import the MCP SDK, boto3 or httpx.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable

__all__ = [
    "MAX_SESSION_ID_LENGTH",
    "MIN_SESSION_ID_LENGTH",
    "RuntimeSession",
    "new_session_id",
    "validate_session_id",
]

MIN_SESSION_ID_LENGTH = 33
MAX_SESSION_ID_LENGTH = 100
_VALID = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]*")


def new_session_id(prefix: str = "") -> str:
    """A fresh, random, valid runtime session id (``prefix`` followed by 40 hex characters).

    ``prefix`` is for recognising your own sessions in logs (for example ``"billing-"``); the result is
    validated, so a prefix with other characters, or one that makes the id too long, raises ``ValueError``.
    """
    return validate_session_id(f"{prefix}{uuid.uuid4().hex}{secrets.token_hex(4)}")


def validate_session_id(value: str) -> str:
    """Return ``value`` if it is a valid runtime session id, else raise ``ValueError`` saying why.

    Valid: 33–100 characters of ``[a-zA-Z0-9_-]``, starting with a letter or digit.
    """
    if not isinstance(value, str):
        raise TypeError(f"a runtime session id must be a str, got {type(value).__name__}: {value!r}")
    if not MIN_SESSION_ID_LENGTH <= len(value) <= MAX_SESSION_ID_LENGTH:
        raise ValueError(
            f"a runtime session id must be {MIN_SESSION_ID_LENGTH}–{MAX_SESSION_ID_LENGTH} characters long, "
            f"got {len(value)}: {value!r}"
        )
    if _VALID.fullmatch(value) is None:
        raise ValueError(
            "a runtime session id may contain only letters, digits, '-' and '_', and must start with a letter "
            f"or digit: {value!r}"
        )
    return value


Stopper = Callable[["RuntimeSession"], Awaitable[None]]


class RuntimeSession:
    """The ids of one conversation with a runtime, shared by the transports that use it.

    A transport creates one when it is not given one, or takes yours, so several transports (one after
    another, or side by side) can share a microVM. The transport updates :attr:`mcp_session_id` from
    every answer, and calls :meth:`renew` when the platform has dropped the session.

    Attributes:
        runtime_session_id: the id sent as ``X-Amzn-Bedrock-AgentCore-Runtime-Session-Id``.
        mcp_session_id: the ``Mcp-Session-Id`` last returned by the platform or server (``None`` until then).
        user_id: sent as ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id`` when set.
        created_at: when this runtime session id came into use (``time.time()``).
        renewals: how many times the ids were replaced after the platform dropped the session.
        stopped: ``True`` once :meth:`stop` has ended the session (until the next request renews it).
    """

    __slots__ = (
        "_stopper",
        "created_at",
        "mcp_session_id",
        "renewals",
        "runtime_session_id",
        "stopped",
        "user_id",
    )

    def __init__(
        self,
        runtime_session_id: str | None = None,
        *,
        user_id: str | None = None,
        mcp_session_id: str | None = None,
    ) -> None:
        self.runtime_session_id = (
            new_session_id() if runtime_session_id is None else validate_session_id(runtime_session_id)
        )
        self.mcp_session_id = mcp_session_id
        self.user_id = user_id
        self.created_at = time.time()
        self.renewals = 0
        self.stopped = False
        self._stopper: Stopper | None = None

    def __repr__(self) -> str:
        return (
            f"RuntimeSession(runtime_session_id={self.runtime_session_id!r}, "
            f"mcp_session_id={self.mcp_session_id!r}, stopped={self.stopped})"
        )

    @property
    def age(self) -> float:
        """Seconds since this runtime session id came into use."""
        return time.time() - self.created_at

    def renew(self) -> None:
        """Replace both ids: the next request starts a new runtime session (and microVM)."""
        self.runtime_session_id = new_session_id()
        self.mcp_session_id = None
        self.created_at = time.time()
        self.renewals += 1
        self.stopped = False

    def bind_stopper(self, stopper: Stopper) -> None:
        """Set how :meth:`stop` ends the session (a transport does this; last one bound wins)."""
        self._stopper = stopper

    async def stop(self) -> None:
        """End the runtime session on the platform (StopRuntimeSession) through the bound transport.

        Raises:
            RuntimeError: no transport has been bound to this session.
        """
        if self._stopper is None:
            raise RuntimeError("this session is not bound to a transport that can stop it")
        await self._stopper(self)
