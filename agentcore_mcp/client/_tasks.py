"""Tasks (``io.modelcontextprotocol/tasks``, SEP-2663, revision 2026-07-28) for the official mcp 2.x ``Client``.

mcp 2.x ships no Tasks client, but its ``ClientExtension``/``ResultClaim`` seam lets an extension claim the
``resultType: "task"`` answer of a ``tools/call`` and resolve it. :func:`tasks_extension` is that extension:
``Client(transport, mode="auto", extensions=[tasks_extension()])`` declares the Tasks extension on every
2026-07-28 request (the SDK stamps it into ``_meta["io.modelcontextprotocol/clientCapabilities"]``), and
``client.call_tool`` then returns a task's final ``CallToolResult`` as if the call had been synchronous.

The wire, as the server side (``agentcore_mcp/server/_tasks/_extension.py``) and docs/long-running.md describe it: the
``tools/call`` answers a flat ``CreateTaskResult`` (``taskId``, ``status``, ``pollIntervalMs``, ...); the
client polls ``tasks/get {taskId}`` (``Mcp-Name: <taskId>``), whose answer is the task with ``result`` once
``completed`` or ``error`` once ``failed``; ``tasks/cancel {taskId}`` asks the server to stop it.

Importing this module imports no SDK; :func:`tasks_extension` imports mcp 2.x (``._task_follow``, the
claim model, the requests and the follow loop) when it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcp.client.extension import ClientExtension

    from agentcore_mcp.client._task_follow import TaskWatcher

__all__ = ["tasks_extension"]


def tasks_extension(
    on_update: TaskWatcher | None = None,
    *,
    max_poll_interval: float = 10.0,
    cancel_timeout: float = 5.0,
    timeout: float | None = None,
) -> ClientExtension:
    """A ``ClientExtension`` for mcp 2.x's ``Client`` that runs task answers to their end.

    Contract, for each ``tools/call`` the server answers with a task handle:

    * ``tasks/get`` is polled every ``pollIntervalMs`` the server suggests (the latest one it sent), kept
      within 0.1 s and ``max_poll_interval`` seconds (1 s when it suggests none). A handle that is already
      terminal is read with one ``tasks/get`` (the handle carries no ``result`` or ``error``).
    * ``on_update(task)`` is called with the handle, then with each polled task whose ``status`` or
      ``statusMessage`` differs from the last one passed: one call per change, not one per poll.
    * ``completed``: ``call_tool`` returns the task's ``result`` (a ``CallToolResult``, ``isError`` ones too);
      a ``completed`` task without a ``result`` raises :class:`~agentcore_mcp.errors.TaskFailed` saying so.
    * ``failed``, or ``cancelled`` by someone else: ``TaskFailed``, carrying the task and its JSON-RPC
      ``error``.
    * The server no longer has the task (``tasks/get`` answers -32602: it expired or was never stored
      there): ``TaskFailed`` with that error, ``status`` the last one seen.
    * ``input_required``: this extension answers no task questions; the task is cancelled (as below) and
      ``TaskFailed`` raised with ``status == "input_required"``, its message naming the questions.
    * ``timeout`` (seconds from the handle, None: no limit): a task not terminal by then is cancelled (as
      below) and ``TimeoutError`` raised.
    * ``extension.interrupt()`` (no arguments; from the same event loop): every task the extension is
      following, and every handle that arrives after it (a ``tools/call`` already in flight), is cancelled
      (as below) and ``TaskFailed`` raised, its message saying the client stopped it. Use it rather than
      cancelling the caller when a ``tools/call`` may be in flight: a cancel that ends the ``tools/call``
      before its answer arrives leaves no handle to cancel, and the task runs until the server's TTL.
    * The wait ends any other way (the caller's cancel scope or timeout, a failed poll): ``tasks/cancel`` is
      sent, shielded, and ``tasks/get`` polled until the task is terminal, all within ``cancel_timeout``
      seconds; then the original exception propagates. A failure of that clean-up is logged, never raised
      over the original.

    Raises:
        ImportError: mcp 2.x is not installed (mcp 1.x has no extension seam, nor the 2026-07-28 protocol).
        ValueError: ``max_poll_interval`` below 0.1 s, or ``cancel_timeout`` or ``timeout`` not positive.
    """
    from agentcore_mcp.client._task_follow import MIN_POLL_INTERVAL, Extension  # imports mcp 2.x

    if max_poll_interval < MIN_POLL_INTERVAL or cancel_timeout <= 0 or (timeout is not None and timeout <= 0):
        raise ValueError(
            f"max_poll_interval must be at least {MIN_POLL_INTERVAL} s and cancel_timeout and timeout positive, "
            f"not {max_poll_interval!r}, {cancel_timeout!r} and {timeout!r}"
        )
    return Extension(on_update, max_poll_interval, cancel_timeout, timeout)
