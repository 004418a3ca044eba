"""The MCP Tasks extension (``io.modelcontextprotocol/tasks``, SEP-2663, revision 2026-07-28) for a server.

The extension as it travels on the wire (negotiation per request, the server-directed ``CreateTaskResult``,
the states, ``tasks/get|update|cancel``, the error codes) is described in docs/long-running.md, "On the wire",
with its sources: the extension's specification (modelcontextprotocol/ext-tasks) and the official conformance
suite's ``tasks-*`` server scenarios.

How this module does it:

* A tool opts in with ``@tool(task="optional")`` (a task when the client declared the extension, a plain call
  otherwise) or ``@tool(task="required")`` (-32021 for clients that did not); ``"forbidden"`` or nothing: never
  a task. Only 2026-07-28 requests get tasks; the 2025-11-25 "experimental tasks" (a different wire, which
  the suite does not score) are not implemented, so handshake-era calls run as plain calls (a ``required``
  tool answers -32021 there too).
* The task record is written to the :class:`~agentcore_mcp.server._tasks._store.TaskStore` before the
  ``CreateTaskResult`` goes out; the tool then runs in this process as an asyncio task that outlives the POST.
  Its result (or error) is written to the store when it ends. Every change is a conditional write, so a
  ``tasks/cancel`` and the tool's completion racing each other settle to exactly one terminal status.
* ``ctx.elicit``/``ctx.sample``/``ctx.list_roots`` inside a task put the question in the task's
  ``inputRequests`` (status ``input_required``) and wait for ``tasks/update``; the answer reaches the waiting
  tool directly when the update arrives at this process, or through the store when it arrives at another
  one (this process polls the record while it waits).
* ``tasks/cancel`` marks the record ``cancelled`` and cancels the running tool (``asyncio.CancelledError``
  at its next await; a sync tool in a worker thread cannot be interrupted, its result is discarded). With a
  shared store, the process running the task notices a cancel made elsewhere when it next looks.
* Tools listed in ``ask_first`` run inside the ``tools/call`` until their first question is answered
  (MRTR): an unanswered question answers the call ``input_required``; once the answers are there the task
  is created and the tool carries on in the background.
* Tasks are bound to ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id`` when the platform sends it; a task of
  another user, an expired one, a malformed id and an unknown one all answer the same -32602. Callers that
  send no user id share one owner (None): for them the task id is the only credential.
* A task lives ``ttl`` seconds from creation: past it the record reads as absent and a tool still running is
  cancelled, so a client that never polls leaves nothing behind for long; the in-memory store is also bounded
  in count and bytes (finished tasks are evicted first).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError
from agentcore_mcp.server._extension import Era, Extension, Method
from agentcore_mcp.server._input import InputRequired, capability_for, check_response, modern_asker
from agentcore_mcp.server._tasks._requests import (
    NOT_FOUND,
    REQUIRED,
    TASK_ID,
    Run,
    TaskIds,
    apply,
    check,
    declared,
    owner_of,
    progress_text,
    require_extension,
)
from agentcore_mcp.server._tasks._store import (
    MemoryTaskStore,
    StoreFull,
    TaskRecord,
    TaskStore,
    new_task_id,
)

if TYPE_CHECKING:
    from agentcore_mcp.server._app import AgentCoreMCP
    from agentcore_mcp.server._call import Call
    from agentcore_mcp.server._subscriptions import Listener
    from agentcore_mcp.server._tools import Tool

__all__ = ["Tasks"]

logger = logging.getLogger("agentcore_mcp.server")


class Tasks(Extension):
    """The Tasks extension: add it with ``AgentCoreMCP(..., extensions=[Tasks()])``.

    Args:
        store: where task records live; by default a :class:`MemoryTaskStore` (this process only). Use a
            shared store (DynamoDB) so results outlive the process and any session can read them.
        ttl: seconds a task lives from creation (its result stays readable until then); None: unlimited.
        poll_interval: the polling interval suggested to clients, in seconds.
        watch_interval: with a shared store, how often a running task's process re-reads its record while
            waiting for input or running (to see answers and cancellations that arrived at other processes).
        lease: with a shared store, seconds a running task's process vouches for it at a time (renewed while
            it runs). A task whose process vanished (a stopped microVM, a crash) is failed once its lease
            has passed, when a client next asks about it, instead of staying ``working`` until its TTL.
        ask_first: names of tools that ask their questions inside the ``tools/call`` (MRTR) and become a task
            once the answers are in.
    """

    name = rpc.TASKS_EXTENSION

    def __init__(
        self,
        store: TaskStore | None = None,
        *,
        ttl: float | None = 3600.0,
        poll_interval: float = 1.0,
        watch_interval: float = 1.0,
        lease: float = 30.0,
        ask_first: Iterable[str] = (),
    ) -> None:
        if ttl is not None and ttl <= 0:
            raise ValueError(f"ttl must be a positive number of seconds or None, not {ttl!r}")
        if poll_interval <= 0 or watch_interval <= 0 or lease <= watch_interval:
            raise ValueError(
                "poll_interval and watch_interval must be positive numbers of seconds, and lease longer "
                "than watch_interval"
            )
        self.lease = lease
        self.store: TaskStore = store if store is not None else MemoryTaskStore()
        self.ttl_ms = None if ttl is None else max(1, int(ttl * 1000))
        self.poll_interval_ms = max(1, int(poll_interval * 1000))
        self.watch_interval = watch_interval
        self.ask_first = frozenset(ask_first)
        self.shared = self.store.shared
        self.worker = secrets.token_hex(8)  # names this process in the records it runs
        self._runs: dict[str, Run] = {}
        self._server: AgentCoreMCP | None = None
        self._closing = False

    # -- the seam -----------------------------------------------------------------------------------------

    def bind(self, server: AgentCoreMCP) -> None:
        self._server = server

    def methods(self, era: Era) -> Mapping[str, Method]:
        if era != "modern":
            return {}
        return {"tasks/get": self._get, "tasks/update": self._update, "tasks/cancel": self._cancel}

    def capability(self, era: Era) -> Mapping[str, Any] | None:
        return {} if era == "modern" else None

    def listen(self, requested: Mapping[str, Any], call: Call) -> Mapping[str, Any]:
        """Agree to ``notifications/tasks`` for the requested task ids.

        The listen request (``call``) must have declared the extension (-32021); the ids agreed are those well
        formed enough to be ours, and each notification is sent only when the task's owner is the listener's.
        """
        wanted = requested.get("taskIds")
        if wanted is None:
            return {}
        if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
            raise ProtocolError(rpc.INVALID_PARAMS, "notifications.taskIds must be a list of task ids")
        require_extension(call)
        return {"taskIds": TaskIds(sorted({t for t in wanted if TASK_ID.fullmatch(t)}), owner_of(call))}

    def close(self) -> None:
        """The server is stopping: cancel running tools; their tasks end ``failed`` (the server stopped)."""
        self._closing = True
        for run in list(self._runs.values()):
            if run.runner is not None and not run.runner.done():
                run.runner.cancel()

    async def call_tool(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> dict[str, Any] | None:
        support = tool.task
        if support not in ("optional", "required"):
            return None
        if call.era != "modern" or not declared(call):
            if support == "required":
                raise ProtocolError(
                    rpc.MISSING_CLIENT_CAPABILITY,
                    f"Tool {tool.name!r} runs only as a task: declare the {rpc.TASKS_EXTENSION} extension in "
                    "the request's client capabilities",
                    data=REQUIRED,
                )
            return None
        if tool.name in self.ask_first:
            return await self._start_after_questions(tool, arguments, call)
        run = Run(new_task_id(), call)
        record = await self._create(run, call)
        self._launch(run, tool, arguments, call)
        return {"resultType": "task", **record.task()}

    # -- creating and running -----------------------------------------------------------------------------

    async def _create(self, run: Run, call: Call) -> TaskRecord:
        now = time.time()
        record = TaskRecord(
            task_id=run.task_id,
            owner=owner_of(call),
            status="working",
            created_at=now,
            updated_at=now,
            ttl_ms=self.ttl_ms,
            poll_interval_ms=self.poll_interval_ms,
            worker=self.worker,
            lease_until=now + self.lease if self.shared else None,
        )
        try:
            await self.store.create(record)
        except StoreFull as exc:
            logger.warning("task not created: %s", exc)
            raise ProtocolError(
                rpc.INTERNAL_ERROR, "The server has too many tasks in progress; try again later"
            ) from None
        self._runs[run.task_id] = run
        return record

    def _context(self, run: Run, call: Call, tool: Tool) -> Any:
        async def ask(requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
            return await self._ask(run, requests)

        return (
            call.context(ask=ask, detached=True, on_progress=self._reporter(run))
            if tool.wants_context
            else None
        )

    def _reporter(self, run: Run) -> Any:
        async def report(progress: float, total: float | None, message: str | None) -> None:
            await self._progress(run, progress, total, message)

        return report

    async def _progress(self, run: Run, progress: float, total: float | None, message: str | None) -> None:
        """``ctx.report_progress`` inside a task: the task's ``statusMessage`` while it is ``working``.

        Written at most once per suggested poll interval (a client sees no more often than it polls, and a
        shared store pays for every write); a progress before the task exists, or once it waits for input or
        has ended, changes nothing.
        """
        now = asyncio.get_running_loop().time()
        if now - run.reported < self.poll_interval_ms / 1000:
            return
        run.reported = now
        text = progress_text(progress, total, message)

        def note(record: TaskRecord) -> TaskRecord | None:
            if record.status != "working" or record.status_message == text:
                return None
            record.status_message = text
            return record

        try:
            record = await self.store.update(run.task_id, note)
        except Exception:  # progress is advisory: the tool goes on, the next report tries again
            logger.warning("task %s: progress not recorded", run.task_id, exc_info=True)
            return
        if record is not None:
            self._notify(record)

    def _launch(self, run: Run, tool: Tool, arguments: Mapping[str, Any], call: Call) -> None:
        runner = asyncio.ensure_future(tool.run(arguments, self._context(run, call, tool)))
        run.runner = runner
        run.supervisor = asyncio.ensure_future(self._supervise(run, runner, tool.name))

    async def _start_after_questions(
        self, tool: Tool, arguments: Mapping[str, Any], call: Call
    ) -> dict[str, Any] | None:
        """Run ``tool`` inside this request until its first question is answered, then make it a task."""
        run = Run(new_task_id(), call)
        created: asyncio.Future[TaskRecord] = asyncio.get_running_loop().create_future()
        mrtr = modern_asker(call.input_round(), call.client_capabilities)

        async def ask(requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
            if created.done():
                return await self._ask(run, requests)
            answers = await mrtr(requests)  # raises InputRequired while any answer is missing
            run.used.update(answers)
            created.set_result(await self._create(run, call))
            return answers

        ctx = (
            call.context(ask=ask, detached=True, on_progress=self._reporter(run))
            if tool.wants_context
            else None
        )
        runner = asyncio.ensure_future(tool.run(arguments, ctx))
        run.runner = runner
        try:
            pending: set[asyncio.Future[Any]] = {runner, created}
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            if not created.done():
                runner.cancel()
            raise
        if created.done() and not created.cancelled() and created.exception() is None:
            run.supervisor = asyncio.ensure_future(self._supervise(run, runner, tool.name))
            return {"resultType": "task", **created.result().task()}
        # Finished (or asked, or failed) before any task existed: answer this call as a plain one would be.
        result: dict[str, Any] = runner.result()  # re-raises InputRequired, ProtocolError
        return result

    async def _supervise(self, run: Run, runner: asyncio.Task[Any], tool_name: str) -> None:
        """Wait for a task's tool to end (or its TTL, or a cancel made elsewhere) and record how it ended."""
        watcher = asyncio.ensure_future(self._watch(run)) if self.shared else None
        deadline = None
        if self.ttl_ms is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.call_later(self.ttl_ms / 1000, runner.cancel)
        try:
            try:
                result = await asyncio.shield(runner)
                outcome: dict[str, Any] = {"status": "completed", "result": result}
            except asyncio.CancelledError:
                if not runner.done():
                    runner.cancel()  # this supervisor itself was cancelled: take the tool with it
                if self._closing:  # not the client's doing: say what happened
                    stopped = "The server stopped before the task finished"
                    outcome = {
                        "status": "failed",
                        "error": {"code": rpc.INTERNAL_ERROR, "message": stopped},
                        "statusMessage": stopped,
                    }
                else:
                    outcome = {"status": "cancelled"}
            except ProtocolError as exc:
                error: dict[str, Any] = {"code": exc.code, "message": exc.message}
                if exc.data is not None:
                    error["data"] = exc.data
                outcome = {"status": "failed", "error": error, "statusMessage": exc.message}
            except InputRequired:
                logger.error("tool %r raised InputRequired inside a task", tool_name)
                outcome = {
                    "status": "failed",
                    "error": {"code": rpc.INTERNAL_ERROR, "message": "Internal error"},
                }
            except Exception:
                logger.exception("task of tool %r failed", tool_name)
                outcome = {
                    "status": "failed",
                    "error": {"code": rpc.INTERNAL_ERROR, "message": "Internal error"},
                }
            await self._settle(run.task_id, outcome)
        finally:
            if deadline is not None:
                deadline.cancel()
            if watcher is not None:
                watcher.cancel()
            self._runs.pop(run.task_id, None)

    async def _settle(self, task_id: str, outcome: dict[str, Any]) -> None:
        def finish(record: TaskRecord) -> TaskRecord | None:
            if record.terminal:
                return None  # cancelled first (or settled elsewhere): that status stands
            record.status = outcome["status"]
            record.result = outcome.get("result")
            record.error = outcome.get("error")
            record.status_message = outcome.get("statusMessage")
            record.input_requests = {}
            record.answers = {}
            return record

        try:
            record = await self.store.update(task_id, finish)
        except StoreFull as exc:
            logger.warning("task %s: result not kept: %s", task_id, exc)
            too_big = {
                "status": "failed",
                "error": {"code": rpc.INTERNAL_ERROR, "message": "The task's result is too large to keep"},
                "statusMessage": "The task's result is too large to keep",
            }
            record = await self.store.update(task_id, lambda r: apply(r, too_big))
        except Exception:
            logger.exception("task %s: could not record its end", task_id)
            return
        if record is not None:
            self._notify(record)

    async def _watch(self, run: Run) -> None:
        """With a shared store: renew the run's lease, deliver answers given elsewhere, and cancel the run when
        its record turns terminal (a cancel made elsewhere) or vanishes."""

        def renew(record: TaskRecord) -> TaskRecord | None:
            if record.terminal:
                return None
            record.lease_until = time.time() + self.lease
            return record

        while True:
            await asyncio.sleep(self.watch_interval)
            record = await self.store.get(run.task_id)
            if record is not None and not record.terminal:
                lease = record.lease_until
                if lease is None or lease - time.time() < self.lease / 2:
                    try:
                        record = await self.store.update(run.task_id, renew)
                    except Exception:  # the next round tries again; the lease has room for it
                        logger.warning("task %s: lease not renewed", run.task_id, exc_info=True)
            if record is None or record.terminal:
                if run.runner is not None:
                    run.runner.cancel()
                return
            for key, future in list(run.waiting.items()):
                if key in record.answers and not future.done():
                    future.set_result(record.answers[key])

    # -- input inside a task ------------------------------------------------------------------------------

    async def _ask(self, run: Run, requests: dict[str, dict[str, Any]]) -> dict[str, Any]:
        keyed: dict[str, dict[str, Any]] = {}
        for raw, request in requests.items():
            capability = capability_for(request["method"])
            if capability not in run.caps:
                raise ProtocolError(
                    rpc.MISSING_CLIENT_CAPABILITY,
                    f"This task needs the client capability {capability!r}, which the client did not declare",
                    data={"requiredCapabilities": {capability: {}}},
                )
            keyed[run.key(raw)] = request
        loop = asyncio.get_running_loop()
        futures = {key: loop.create_future() for key in keyed}
        run.waiting.update(futures)
        try:

            def park(record: TaskRecord) -> TaskRecord | None:
                if record.terminal:
                    return None
                record.input_requests.update(keyed)
                record.asked.extend(keyed)
                record.status = "input_required"
                return record

            record = await self.store.update(run.task_id, park)
            if record is None or record.terminal:  # cancelled (or expired) before the question went out
                current = asyncio.current_task()  # the tool's own task: cancel it as tasks/cancel would
                if current is not None:
                    current.cancel()
                await asyncio.sleep(0)  # the cancellation is raised here
                raise asyncio.CancelledError  # (not reached)
            self._notify(record)
            answers = {key: await future for key, future in futures.items()}
        finally:
            for key in futures:
                run.waiting.pop(key, None)

        def consume(record: TaskRecord) -> TaskRecord | None:
            if not any(key in record.answers for key in keyed):
                return None
            for key in keyed:
                record.answers.pop(key, None)
            return record

        await self.store.update(run.task_id, consume)
        return answers

    # -- methods ------------------------------------------------------------------------------------------

    async def _find(self, params: Mapping[str, Any], call: Call) -> TaskRecord:
        task_id = check(params, call)
        record = await self.store.get(task_id) if TASK_ID.fullmatch(task_id) else None
        if record is None or record.owner != owner_of(call):
            raise ProtocolError(rpc.INVALID_PARAMS, NOT_FOUND)
        if not record.terminal and record.lease_until is not None and time.time() > record.lease_until:
            record = await self._orphaned(record)
        return record

    async def _orphaned(self, record: TaskRecord) -> TaskRecord:
        """Fail a task whose process stopped renewing its lease (it is gone: nothing will finish the task)."""
        lost = {
            "status": "failed",
            "error": {"code": rpc.INTERNAL_ERROR, "message": "The server process running this task stopped"},
            "statusMessage": "The server process running this task stopped before it finished",
        }

        def fail(current: TaskRecord) -> TaskRecord | None:
            lease = current.lease_until
            if current.terminal or lease is None or time.time() <= lease:
                return None  # finished, or renewed, meanwhile
            return apply(current, lost)

        updated = await self.store.update(record.task_id, fail)
        if updated is None:
            raise ProtocolError(rpc.INVALID_PARAMS, NOT_FOUND)
        if updated.terminal:
            self._notify(updated)
        return updated

    async def _get(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        record = await self._find(params, call)
        return {"resultType": "complete", **record.detailed()}

    async def _update(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        record = await self._find(params, call)
        responses = params.get("inputResponses")
        if not isinstance(responses, dict):
            raise ProtocolError(rpc.INVALID_PARAMS, "tasks/update: inputResponses must be an object")
        for key, response in responses.items():
            request = record.input_requests.get(key)
            if isinstance(request, dict) and isinstance(request.get("method"), str):
                check_response(request["method"], response)

        accepted: dict[str, Any] = {}

        def deliver(current: TaskRecord) -> TaskRecord | None:
            accepted.clear()
            if current.terminal:
                return None
            for key, response in responses.items():
                if key in current.input_requests:  # other keys are not outstanding: ignored (SEP-2663)
                    accepted[key] = response
            if not accepted:
                return None
            for key, response in accepted.items():
                del current.input_requests[key]
                current.answers[key] = response
            if not current.input_requests:
                current.status = "working"
            return current

        try:
            updated = await self.store.update(record.task_id, deliver)
        except StoreFull:
            raise ProtocolError(
                rpc.INVALID_PARAMS, "tasks/update: the answers are too large to keep"
            ) from None
        if updated is not None and accepted:
            run = self._runs.get(record.task_id)
            if run is not None:
                for key, response in accepted.items():
                    future = run.waiting.get(key)
                    if future is not None and not future.done():
                        future.set_result(response)
            self._notify(updated)
        return {"resultType": "complete"}

    async def _cancel(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        record = await self._find(params, call)
        if not record.terminal:
            cancelled = {"status": "cancelled", "statusMessage": "Cancelled by the client"}
            updated = await self.store.update(record.task_id, lambda r: apply(r, cancelled))
            run = self._runs.get(record.task_id)
            if run is not None and run.runner is not None:
                run.runner.cancel()
            if updated is not None:
                self._notify(updated)
        return {"resultType": "complete"}

    # -- notifications ------------------------------------------------------------------------------------

    def _notify(self, record: TaskRecord) -> None:
        server = self._server
        if server is None:
            return
        detailed = record.detailed()
        task_id, owner = record.task_id, record.owner

        def pick(listener: Listener) -> dict[str, Any] | None:
            ids = listener.agreed.get("taskIds")
            if not isinstance(ids, TaskIds) or task_id not in ids or ids.owner != owner:
                return None
            return listener.tagged("notifications/tasks", detailed)

        server.subscriptions.publish(pick)
