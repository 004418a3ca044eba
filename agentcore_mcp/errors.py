"""The errors agentcore-mcp raises, under one root.

    AgentCoreMCPError
    ├── ToolError          raised by a tool on purpose; the client sees ``isError: true`` with its message
    ├── RegistrationError  raised while tools are registered: duplicate names, unusable signatures
    └── ProtocolError      a request the server refuses; the client sees a JSON-RPC error with its code

Exceptions from user code other than :class:`ToolError` never reach the client as text unless the app
opts in (``AgentCoreMCP(..., expose_errors=True)``); they are logged with their traceback instead.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AgentCoreMCPError", "ProtocolError", "RegistrationError", "ToolError"]


class AgentCoreMCPError(Exception):
    """The root of every error this library raises on purpose."""


class ToolError(AgentCoreMCPError):
    """Raise inside a tool to fail the call with a message meant for the caller.

    The client receives a normal ``tools/call`` result with ``isError: true`` and one text block carrying
    ``str(error)``. Nothing is logged at error level: this is an expected outcome, not a server fault.
    """


class RegistrationError(AgentCoreMCPError, ValueError):
    """A tool, resource or prompt cannot be registered as given (raised at import time, never per request)."""


class ProtocolError(AgentCoreMCPError):
    """A request the server refuses with a JSON-RPC error.

    Args:
        code: the JSON-RPC error code (see :mod:`agentcore_mcp._wire`).
        message: a short human-readable reason, sent to the client.
        data: optional structured detail, sent to the client as ``error.data``.
        status: the HTTP status of the answer (200 for errors the spec keeps inside a 200 response).
    """

    def __init__(self, code: int, message: str, *, data: Any = None, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.status = status
