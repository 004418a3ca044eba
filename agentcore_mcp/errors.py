"""The errors agentcore-mcp raises, under one root.

    AgentCoreMCPError
    ├── ToolError             raised by a tool on purpose; the client sees ``isError: true`` with its message
    ├── RegistrationError     a tool, resource or prompt cannot be registered as given (also a ValueError)
    ├── ProtocolError         a request the server refuses; the client sees a JSON-RPC error with its code
    │   └── URLElicitationRequired  -32042: the user must open URLs first, then the client retries
    ├── TransportError        the client got no usable answer for one POST
    │   ├── ConnectionFailed  the connection could not be made, or broke before the answer was complete
    │   ├── TransportTimeout  the server did not answer in time
    │   └── SSEError          the answer's event stream cannot be decoded (also a ValueError)
    ├── TaskFailed            a task (MCP Tasks extension) ended failed or cancelled, or asks for input
    ├── SkillVerificationError  a skill (MCP Skills extension) is not what its entry describes; never use it
    ├── OAuthError            a bearer token could not be obtained (issuer refused, command failed, login incomplete)
    ├── DeployError           a control-plane call, or the wait for a runtime, failed
    │   ├── InvalidRuntimeSpec  a runtime spec the service would refuse; no API call made (also a ValueError)
    │   ├── RuntimeNotFound   no runtime has the given name, id or ARN
    │   ├── RuntimeFailed     the runtime reached a ``*_FAILED`` status
    │   ├── WaitTimeout       the runtime did not reach the awaited state in time
    │   └── CodeZipError      the code zip cannot be built (no wheel for the target platform, a build failure)
    ├── ScaffoldError         ``agentcore-mcp init`` cannot create the project as asked; nothing was written
    ├── AppLoadError          an app spec (``module:attr`` or a file) names nothing servable
    └── MissingExtraError     a part was imported without the extra that installs its packages (also an ImportError)

Foreign errors are mapped at the boundary that meets them (``raise ConnectionFailed(...) from exc``).
Exceptions from user code other than :class:`ToolError` never reach the client as text unless the app
opts in (``AgentCoreMCP(..., expose_errors=True)``); they are logged with their traceback instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentcore_mcp._wire import URL_ELICITATION_REQUIRED

__all__ = [
    "AgentCoreMCPError",
    "AppLoadError",
    "CodeZipError",
    "ConnectionFailed",
    "DeployError",
    "InvalidRuntimeSpec",
    "MissingExtraError",
    "OAuthError",
    "ProtocolError",
    "RegistrationError",
    "RuntimeFailed",
    "RuntimeNotFound",
    "SSEError",
    "ScaffoldError",
    "SkillVerificationError",
    "TaskFailed",
    "ToolError",
    "TransportError",
    "TransportTimeout",
    "URLElicitationRequired",
    "WaitTimeout",
]


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
    """

    def __init__(self, code: int, message: str, *, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class URLElicitationRequired(ProtocolError):
    """The request cannot proceed until the user completes URL-mode elicitations (handshake era, -32042).

    ``data.elicitations`` lists them as ``elicitation/create`` parameters (``mode: "url"``, ``elicitationId``,
    ``url``, ``message``); the client shows the URLs to the user and retries the request once they are done.
    ``ctx.elicit_url`` raises it when the client cannot be asked in-band (it did not declare
    ``elicitation.url``). The 2025-11-25 revision defines this error; 2026-07-28 retired the code.

    Attributes:
        elicitations: the URL elicitations, as sent in ``data.elicitations``.
    """

    def __init__(
        self, elicitations: list[dict[str, Any]], message: str = "This request requires more information."
    ) -> None:
        self.elicitations = [dict(e) for e in elicitations]
        super().__init__(URL_ELICITATION_REQUIRED, message, data={"elicitations": self.elicitations})


# --- the client side -----------------------------------------------------------------------------------


class TransportError(AgentCoreMCPError):
    """No usable answer came back for one POST (raised by a client backend; the transport maps it).

    Attributes:
        may_have_run: ``False`` only when the request certainly never reached the server (so resending it
            cannot run anything twice).
    """

    may_have_run = True


class ConnectionFailed(TransportError):
    """The connection could not be made, or broke before the answer was complete."""

    def __init__(self, message: str, *, may_have_run: bool) -> None:
        super().__init__(message)
        self.may_have_run = may_have_run


class TransportTimeout(TransportError):
    """The server did not answer (or went silent mid-answer) within the configured timeout."""


class SSEError(TransportError, ValueError):
    """The event stream cannot be decoded (an event over the size limit, or bytes that are not UTF-8)."""


class TaskFailed(AgentCoreMCPError):
    """A task did not complete: it ``failed``, was ``cancelled`` by the server or another client, or is
    ``input_required`` and the client answers no task questions (``status`` says which); or it brought no
    result: ``completed`` without one, gone from the server (``error`` the -32602 of ``tasks/get``,
    ``status`` the last one seen), or stopped by the client (``tasks_extension``'s ``interrupt()``).

    Attributes:
        task: the task as last read (its wire JSON).
        task_id, status: its ``taskId`` and ``status``.
        error: the JSON-RPC error of a ``failed`` task (``code``, ``message``, ``data``), else None.
    """

    def __init__(self, task: Mapping[str, Any], message: str | None = None) -> None:
        self.task = dict(task)
        self.task_id = str(task.get("taskId", ""))
        self.status = str(task.get("status", ""))
        error = task.get("error")
        self.error: dict[str, Any] | None = dict(error) if isinstance(error, Mapping) else None
        super().__init__(message or self._describe())

    def _describe(self) -> str:
        detail = self.task.get("statusMessage")
        if self.error is not None:
            detail = self.error.get("message") or detail
            if isinstance(self.error.get("code"), int):
                detail = f"{detail} (JSON-RPC error {self.error['code']})"
        return f"task {self.task_id} {self.status}" + (f": {detail}" if detail else "")


class SkillVerificationError(AgentCoreMCPError):
    """A skill's entry or a file fetched for it fails SEP-2640's checks, raised by
    :class:`~agentcore_mcp.client.SkillsClient`: a size or ``sha256`` digest that differs from the entry's,
    a ``SKILL.md`` whose frontmatter differs from the entry's ``frontmatter``, a read of a file the entry
    does not list, or an entry that is malformed. The content is never handed out; refresh the entry
    (``skills/get``) and ask the user again before loading a changed skill.

    Attributes:
        uri: the skill's ``SKILL.md`` URI; ``file``: the file that failed (None: the entry itself).
    """

    def __init__(self, message: str, *, uri: str, file: str | None = None) -> None:
        self.uri = uri
        self.file = file
        super().__init__(message)


class OAuthError(AgentCoreMCPError):
    """A token could not be obtained: the issuer refused, the command failed, or the login did not complete.

    Raised by the OAuth token providers of :mod:`agentcore_mcp.client` when ``BearerAuth`` asks them for a token.
    """


# --- deploying and scaffolding -------------------------------------------------------------------------


class DeployError(AgentCoreMCPError):
    """A control-plane call, or the wait for a runtime, failed. The message says which call and why.

    Raised by :func:`agentcore_mcp.deploy.deploy`, ``destroy`` and ``wait_until_ready``; the
    ``agentcore-mcp`` CLI prints the message as one line and exits with status 1.
    """


class InvalidRuntimeSpec(DeployError, ValueError):
    """A runtime spec the service would refuse; raised before any API call (CLI exit status 2)."""


class RuntimeNotFound(DeployError):
    """No runtime has the given name, id or ARN."""


class RuntimeFailed(DeployError):
    """The runtime reached a ``*_FAILED`` status; :attr:`status` and :attr:`reason` say which and why."""

    def __init__(self, message: str, *, status: str, reason: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class WaitTimeout(DeployError):
    """The runtime did not reach the awaited state in time (it may still get there)."""


class CodeZipError(DeployError):
    """The code zip cannot be built: a package has no wheel for the target platform, or a build failed.

    :attr:`package` names the package without a wheel when that is the cause (else None).
    """

    def __init__(self, message: str, *, package: str | None = None) -> None:
        super().__init__(message)
        self.package = package


class ScaffoldError(AgentCoreMCPError):
    """The project cannot be created as asked (the message says why); nothing was written."""


class AppLoadError(AgentCoreMCPError):
    """The spec names no importable module or no ASGI app in it (the message says which)."""


class MissingExtraError(AgentCoreMCPError, ImportError):
    """A part of the library was imported without the packages its extra installs.

    The message names the missing packages and the command that installs them, e.g.
    ``pip install "agentcore-mcp[client]"``. Raised at import time of that part, never per request.
    """


def sole_error(exc: Exception) -> Exception:
    """The one real error inside task-group wrappers (``ExceptionGroup``s of one), so callers can catch it
    by type; ``exc`` itself when it is no such wrapper. Not part of the public API (not in ``__all__``).
    """
    while isinstance(getattr(exc, "exceptions", None), tuple) and len(exc.exceptions) == 1:  # type: ignore[attr-defined]
        inner = exc.exceptions[0]  # type: ignore[attr-defined]
        if not isinstance(inner, Exception):
            break
        exc = inner
    return exc
