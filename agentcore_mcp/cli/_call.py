"""``agentcore-mcp call TOOL KEY=VALUE ...``: call one tool and print its result.

The tool's ``inputSchema`` (listed in the same session, before the call) decides what each ``KEY=VALUE``
means: a parameter typed ``string`` gets VALUE as written, any other type gets VALUE parsed as JSON. A tool
or a parameter the server does not have is an error naming what it does have, and nothing is called.

While the call runs, :class:`CallDisplay` shows the server's progress notifications and the transport's
retries on stderr (when stderr is a terminal, and never with ``--json``).

With mcp 2.x the call negotiates the 2026-07-28 protocol when the server has it and declares the Tasks
extension (``agentcore_mcp.client.tasks_extension``): a tool the server runs as a task is polled to its end,
each change of its status shown like progress, and its result printed as a plain call's. Ctrl-C while it
runs cancels the task on the server (``tasks/cancel``), waits briefly for it to say so, and exits 130 (a
``tools/call`` still in flight gets up to 3 s to bring the task's handle, so that the task can be cancelled;
a second Ctrl-C exits 130 at once); ``--timeout`` stops the call the same way. With
mcp 1.x the call is a handshake-era one: task-optional tools run as plain calls, task-only ones are refused
with one error naming the fix.
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from agentcore_mcp.cli._base import Command, Failed, add_command, error, pairs, print_json
from agentcore_mcp.cli._session_client import (
    dump,
    has_modern_sdk,
    list_tools,
    plain_result,
    run_modern_session,
    run_session,
)
from agentcore_mcp.cli._target import TARGET_HELP, add_client_options, describe_failure, transport_options
from agentcore_mcp.errors import sole_error

__all__ = ["CallDisplay", "coerce_arguments", "parse_arguments", "register"]

T = TypeVar("T")

DESCRIPTION = f"""\
Call one tool and print its result: the text of its content blocks, or the whole result as JSON with
--json. Arguments are KEY=VALUE pairs, read by the tool's input schema: for a string parameter VALUE is
the string as written (name=Ada, zip=02134, id=123); for any other type VALUE is JSON (a=2 is a number,
flag=true a boolean, items='[1, 2]' a list). --args takes a JSON object, and KEY=VALUE pairs are merged over
it. A tool or parameter the server does not have is an error that lists the ones it has.

Progress notifications and retries are shown on stderr when it is a terminal (never with --json).

A tool that sends the user to a URL (URL-mode elicitation: a consent or sign-in page) has the message and
the URL printed on stderr for the user to open (with --json, one JSON object {{"elicitation": {{...}}}}); the
call goes on once the tool sees the visit. A -32042 error names the URLs to open before calling again. Form
elicitations are refused: this command fills in no forms.

A tool the server runs as a task (the MCP Tasks extension, with mcp 2.x installed) is followed to its
end: tasks/get is polled at the server's suggested interval (within 0.1-10 s), each change of the task's status
or status message is one line on stderr (as progress is), and its result is printed as any call's. Ctrl-C
cancels the task on the server and exits 130 (a second Ctrl-C exits at once, without waiting for the
server to confirm); so does --timeout, which covers connecting and the whole task (exit 1).

Exit status: 0 when the tool succeeded, 1 when it returned an error result (its text goes to stderr), its
task failed, or the call failed, 2 for a usage error, 130 after Ctrl-C.

{TARGET_HELP}"""

EXAMPLES = """\
agentcore-mcp call add_numbers a=2 b=3
agentcore-mcp call greet_user name=Ada --target "$ARN"
agentcore-mcp call search --args '{"query": "mcp", "filters": {"year": 2026}}' --json
"""

COMMAND = Command("call", "call a tool: agentcore-mcp call TOOL key=value ...", DESCRIPTION, EXAMPLES)


def register(commands: Any) -> None:
    call = add_command(commands, COMMAND, run)
    call.add_argument("tool", metavar="TOOL", help="the tool's name")
    call.add_argument("arguments", metavar="KEY=VALUE", nargs="*", help="the tool's arguments")
    call.add_argument("--args", metavar="JSON", help="the arguments as a JSON object")
    add_client_options(call)


def parse_arguments(texts: Sequence[str], raw: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """``--args`` as a dict, and the ``KEY=VALUE`` pairs as text (ValueError: a usage error)."""
    base: dict[str, Any] = {}
    if raw is not None:
        try:
            loaded = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--args is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"--args must be a JSON object, got {type(loaded).__name__}")
        base.update(loaded)
    return base, pairs(texts, "a tool argument")


def _types(schema: Any) -> set[str]:
    """The JSON types a parameter schema allows (``type``, or the types of its ``anyOf``/``oneOf``)."""
    if not isinstance(schema, dict):
        return set()
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {str(k) for k in kind}
    found: set[str] = set()
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key) or ():
            found |= _types(option)
    if "enum" in schema and not found:
        found = {"string"} if all(isinstance(v, str) for v in schema["enum"]) else set()
    return found


def _coerce(text: str, schema: Any) -> Any:
    kinds = _types(schema) - {"null"}
    if kinds == {"string"}:
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            try:
                return json.loads(text)  # zip='"02134"' still works
            except json.JSONDecodeError:
                return text
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def coerce_arguments(tool: dict[str, Any], base: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    """The arguments to send: ``texts`` read by ``tool``'s input schema and merged over ``base``.

    Raises:
        Failed: an argument the tool's schema does not name (unless it allows extra properties).
    """
    schema = tool.get("inputSchema") or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    if properties and not schema.get("additionalProperties"):
        unknown = [key for key in (*base, *texts) if key not in properties]
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, properties, n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            from agentcore_mcp.cli._tools import signature

            raise Failed(
                f"{tool['name']} has no parameter {', '.join(hints)}; its parameters: {signature(tool)}"
            )
    arguments = dict(base)
    for key, text in texts.items():
        arguments[key] = _coerce(text, properties.get(key))
    return arguments


def _unknown_tool(name: str, tools: list[dict[str, Any]], target: str) -> Failed:
    names = [tool["name"] for tool in tools]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    listing = ", ".join(names) if names else "none"
    return Failed(f"no tool {name!r} at {target}{hint}; its tools: {listing}")


class CallDisplay:
    """What a call shows on stderr while it runs: progress, task status changes and the transport's retries.

    ``enabled`` is false with ``--json`` or when stderr is not a terminal; then nothing is printed (the task
    is still recorded in ``last_task``, for the command's final line).
    """

    def __init__(self, *, enabled: bool, json: bool = False) -> None:
        self.enabled = enabled
        self.json = json  # --json: elicitations are shown as JSON
        self.last_task: dict[str, Any] | None = None  # the task this call became, as last seen
        self.task_named = False

    async def progress(self, progress: float, total: float | None, message: str | None) -> None:
        """The MCP SDK's progress callback: one line per notification."""
        if not self.enabled:
            return
        amount = f"{progress:g}/{total:g}" if total else f"{progress:g}"
        print(f"  progress {amount}" + (f": {message}" if message else ""), file=sys.stderr, flush=True)

    def task(self, task: Mapping[str, Any]) -> None:
        """A task's status changed (``tasks_extension``'s ``on_update``): one line, the first naming it."""
        self.last_task = dict(task)
        if not self.enabled:
            return
        status, message = task.get("status", "?"), task.get("statusMessage")
        if not self.task_named:
            self.task_named = True
            status = f"{task.get('taskId', '?')}: {status}"
        print(f"  task {status}" + (f": {message}" if message else ""), file=sys.stderr, flush=True)

    async def elicit(self, context: Any, params: Any) -> Any:
        """The MCP SDK's elicitation callback: a URL elicitation is shown for the user to open, a form refused.

        On a terminal the URL goes to stderr as a line to open (never opened from here: the user decides);
        with ``--json`` the request's parameters go to stderr as one JSON object (``{"elicitation": ...}``),
        for the program that reads them. Either way the answer is ``accept`` (the user was shown the URL),
        and the server waits for the visit. A form cannot be filled in from this command: it is refused
        with a JSON-RPC error saying so, which fails the call.
        """
        from mcp import types

        from agentcore_mcp import _wire as rpc

        if getattr(params, "mode", "form") != "url":
            return types.ErrorData(
                code=rpc.INVALID_PARAMS,
                message="agentcore-mcp call cannot fill in an elicitation form; use an MCP client that can",
            )
        shown = dump(params)
        if self.json:
            print(json.dumps({"elicitation": shown}, ensure_ascii=False), file=sys.stderr, flush=True)
        else:
            print(
                f"  {params.message}\n  open this URL to continue: {params.url}", file=sys.stderr, flush=True
            )
        return types.ElicitResult(action="accept")

    @contextmanager
    def transport_events(self) -> Iterator[None]:
        """While open, the client transport's retries and session recoveries are printed on stderr."""
        if not self.enabled:
            yield
            return
        handler = _StderrLines()
        log = logging.getLogger("agentcore_mcp.client")
        previous = log.level
        log.addHandler(handler)
        if log.getEffectiveLevel() > logging.INFO:
            log.setLevel(logging.INFO)
        try:
            yield
        finally:
            log.removeHandler(handler)
            log.setLevel(previous)


class _StderrLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        print(f"  {record.getMessage()}", file=sys.stderr, flush=True)


def _looks_like_target(value: str) -> bool:
    from agentcore_mcp.client import is_runtime_arn

    return is_runtime_arn(value.strip()) or value.startswith(("http://", "https://"))


class _Interrupted(Exception):
    """Ctrl-C ended the call (after the task it became, if any, was cancelled)."""


#: After Ctrl-C or the deadline, how long an in-flight ``tools/call`` may still bring its task handle (so
#: that the task can be cancelled) before the call is cut off; cancelling a followed task has its own 5 s.
SETTLE = 3.0


async def _until_interrupted(
    work: Callable[[], Awaitable[T]],
    *,
    stop: Callable[[], None] | None = None,
    deadline: float | None = None,
    settle: float = SETTLE,
) -> T:
    """``work()``, stopped by the first SIGINT (then :class:`_Interrupted`) or at ``deadline`` (``TimeoutError``).

    Stopping calls ``stop()`` (``tasks_extension``'s ``interrupt``: the task followed, or the one an in-flight
    ``tools/call`` brings, is cancelled on the server), then gives ``work`` ``settle`` seconds to end before
    cancelling it; a task's ``tasks/cancel``, shielded and bounded, is not cut short. A second SIGINT quits
    at once (exit status 130, nothing more waited for). ``deadline`` is on ``anyio.current_time()``'s clock.
    SIGINT is watched only on POSIX in the main thread (asyncio has no signal handlers elsewhere, Windows
    included); there Ctrl-C stays a KeyboardInterrupt.
    """
    import anyio

    watch_signals = os.name == "posix" and threading.current_thread() is threading.main_thread()
    done: list[T] = []
    failed: list[Exception] = []
    why: list[str] = []
    work_scope = anyio.CancelScope()

    async def guarded() -> None:
        with work_scope:
            try:
                done.append(await work())
            except Exception as exc:
                failed.append(exc)

    async with anyio.create_task_group() as group:
        with anyio.open_signal_receiver(signal.SIGINT) if watch_signals else _no_signals() as signals:
            group.start_soon(_watch, signals, deadline, settle, stop, work_scope, why)
            try:
                await guarded()
            finally:
                group.cancel_scope.cancel()  # stop watching
    if why == ["interrupt"]:
        raise _Interrupted(bool(done))
    if why:
        raise TimeoutError
    if failed:
        raise failed[0]
    return done[0]


async def _watch(
    signals: Any,
    deadline: float | None,
    settle: float,
    stop: Callable[[], None] | None,
    work_scope: Any,
    why: list[str],
) -> None:
    """:func:`_until_interrupted`'s watcher: at the first SIGINT (or ``deadline``) record why in ``why``,
    call ``stop()``, give the work ``settle`` seconds, then cancel ``work_scope``; a second SIGINT quits."""
    import anyio

    reason = "timeout"
    with anyio.CancelScope(deadline=math.inf if deadline is None else deadline):
        if signals is None:
            await anyio.sleep_forever()
        async for _ in signals:
            reason = "interrupt"
            break
    why.append(reason)
    if stop is not None:
        stop()
    with anyio.move_on_after(settle):
        if signals is None:
            await anyio.sleep_forever()
        async for _ in signals:
            _force_quit()
    work_scope.cancel()
    if signals is not None:  # the task's shielded clean-up may still run: a second Ctrl-C ends it
        async for _ in signals:
            _force_quit()


@contextmanager
def _no_signals() -> Iterator[None]:
    yield None


def _force_quit() -> None:
    """A second Ctrl-C: exit 130 now, without waiting for the task's cancellation to be confirmed."""
    print("agentcore-mcp call: interrupted again; not waiting for the task to be cancelled", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)  # the wait runs in a shielded scope: only leaving the process ends it at once


def _needs_tasks(exc: BaseException) -> bool:
    """Whether ``exc`` is the -32021 of a tool that runs only as a task (the Tasks extension undeclared)."""
    from agentcore_mcp import _wire as rpc

    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    return code == rpc.MISSING_CLIENT_CAPABILITY and rpc.TASKS_EXTENSION in str(getattr(error, "data", ""))


def _urls_to_open(exc: BaseException) -> list[tuple[str, str]] | None:
    """The (URL, message) pairs of a -32042 URLElicitationRequiredError's ``data.elicitations``, else None."""
    from agentcore_mcp import _wire as rpc

    error = getattr(exc, "error", None)
    if getattr(error, "code", None) != rpc.URL_ELICITATION_REQUIRED:
        return None
    data = getattr(error, "data", None)
    listed = data.get("elicitations") if isinstance(data, dict) else None
    return [
        (str(e.get("url")), str(e.get("message", "")))
        for e in (listed if isinstance(listed, list) else [])
        if isinstance(e, dict) and e.get("url")
    ]


def _task_only(tool: str, session: Any) -> Failed:
    import importlib.metadata

    if not has_modern_sdk():
        version = importlib.metadata.version("mcp")
        return Failed(
            f"{tool} runs only as a task (the MCP Tasks extension, protocol 2026-07-28), which needs mcp 2.x; "
            f"this environment has mcp {version}: pip install 'mcp>=2.3'"
        )
    version = getattr(session, "protocol_version", None) or "a handshake-era version"
    return Failed(
        f"{tool} runs only as a task (the MCP Tasks extension), which needs the 2026-07-28 protocol; "
        f"the server negotiated {version}"
    )


def _cancelled_line(display: CallDisplay, answered: bool) -> str | None:
    """The final line after Ctrl-C: what became of the task the call had become, if any."""
    task = display.last_task
    if task is None:
        if answered:
            return None
        return (
            "interrupted (Ctrl-C) before the server answered tools/call; a task it started for this call, "
            "if any, was not cancelled"
        )
    task_id, status = task.get("taskId", "?"), task.get("status")
    if status == "cancelled":
        return f"task {task_id} cancelled (Ctrl-C)"
    from agentcore_mcp._wire import TASK_TERMINAL

    if status in TASK_TERMINAL:
        return f"task {task_id} had already ended {status} when Ctrl-C cancelled the call"
    return f"task {task_id}: tasks/cancel sent (Ctrl-C), but the server still reports it {status}"


def _refuse_a_target_as_tool(args: argparse.Namespace) -> None:
    """``call ARN`` / ``call URL``: a usage error saying to move it to ``--target``."""
    if _looks_like_target(args.tool):
        what = "an MCP URL" if args.tool.startswith("http") else "a runtime ARN"
        rest = " ".join(args.arguments) or "TOOL KEY=VALUE ..."
        raise ValueError(
            f"{args.tool!r} is {what}, not a tool: did you mean --target? "
            f"agentcore-mcp call {rest} --target {args.tool}"
        )


def run(args: argparse.Namespace) -> int:
    _refuse_a_target_as_tool(args)
    base, texts = parse_arguments(args.arguments, args.args)
    target, options = transport_options(args)
    display = CallDisplay(enabled=not args.json and sys.stderr.isatty(), json=args.json)
    modern = has_modern_sdk()
    extension: Any = None  # the Tasks extension, with mcp 2.x
    if modern:
        from agentcore_mcp.client import tasks_extension

        extension = tasks_extension(display.task)
    steps = _call_steps(args, display, (base, texts), target, extension)
    try:
        with display.transport_events():
            if modern:
                result = run_modern_session(
                    target,
                    options,
                    args.timeout,
                    steps,
                    extensions=[extension],
                    settle=SETTLE,
                    elicitation_callback=display.elicit,
                )
            else:
                result = run_session(
                    target, options, args.timeout, steps, elicitation_callback=display.elicit
                )
    except _Interrupted as interrupted:
        line = _cancelled_line(display, answered=interrupted.args[0])
        if line:
            error(args.command, Exception(line))
        return 130
    except Failed:
        raise
    except (Exception, TimeoutError) as exc:
        raise _failure(args, display, exc) from exc
    return _print_result(args, result)


def _call_steps(
    args: argparse.Namespace,
    display: CallDisplay,
    given: tuple[dict[str, Any], dict[str, str]],
    target: str,
    extension: Any,
) -> Any:
    """The session's steps for ``call``: list the tools, coerce the arguments to the tool's schema, call it
    (stoppable by Ctrl-C and, with mcp 2.x and its Tasks ``extension``, at ``--timeout``); its plain result."""
    base, texts = given
    modern = extension is not None

    async def steps(connection: Any) -> dict[str, Any]:
        # mcp 2.x: a Client, whose call_tool resolves task answers; mcp 1.x: a ClientSession.
        session = connection.session if modern else connection
        tools = await list_tools(session)
        tool = next((t for t in tools if t["name"] == args.tool), None)
        if tool is None:
            raise _unknown_tool(args.tool, tools, target)
        arguments = coerce_arguments(tool, base, texts)

        async def call() -> Any:
            return await connection.call_tool(args.tool, arguments, progress_callback=display.progress)

        import anyio

        try:
            if modern:
                # run_modern_session's own deadline for the steps is SETTLE past --timeout's: at --timeout the
                # call is stopped as after Ctrl-C (a task handle still in flight can be cancelled).
                deadline = anyio.current_effective_deadline() - SETTLE
                result = await _until_interrupted(call, stop=extension.interrupt, deadline=deadline)
            else:
                result = await _until_interrupted(call)
        except Exception as wrapped:
            exc = sole_error(wrapped)  # the watcher's task group wraps what the call raised
            if _needs_tasks(exc):
                raise _task_only(args.tool, session) from exc
            raise exc from None
        return plain_result(dict(dump(result)))

    return steps


def _failure(args: argparse.Namespace, display: CallDisplay, exc: BaseException) -> Failed:
    """The one line a failed call ends with: what went wrong, URLs the user must open, a task left behind
    (with ``--json`` and a URL-elicitation refusal, the server's error is printed as JSON first)."""
    message = describe_failure(exc, args.timeout, args.target)
    urls = _urls_to_open(exc)
    if urls is not None:
        if args.json:  # the error as the server sent it, data.elicitations included
            refused = exc.error  # type: ignore[attr-defined]
            print_json({"error": {"code": refused.code, "message": refused.message, "data": refused.data}})
        message += "".join(f"; open {url} ({text}), then call again" for url, text in urls)
    if isinstance(exc, TimeoutError) and display.last_task is not None:
        message += f"; task {display.last_task.get('taskId', '?')} {display.last_task.get('status')}"
    return Failed(message)


def _print_result(args: argparse.Namespace, result: dict[str, Any]) -> int:
    """The tool's result on stdout (its text, or JSON), an error result's text on stderr; exit 1 for it."""
    failed = bool(result.get("isError"))
    if args.json:
        print_json(result)
    else:
        blocks = result.get("content") or []
        text = "\n".join(block_text(block) for block in blocks)
        if not blocks and "structuredContent" in result:
            text = json.dumps(result["structuredContent"], indent=2, ensure_ascii=False)
        print(text, file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0


def block_text(block: dict[str, Any]) -> str:
    """A content block as a line of text (binary blocks described by type, MIME type and size)."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind in ("image", "audio"):
        data = str(block.get("data", ""))
        size = len(data) * 3 // 4 - data[-2:].count("=")  # the base64 payload's decoded length
        return f"[{kind} {block.get('mimeType', '?')}, {size} bytes]"
    if kind == "resource":
        resource = block.get("resource") or {}
        if "text" in resource:
            return str(resource["text"])
        return f"[resource {resource.get('uri', '?')} ({resource.get('mimeType', 'binary')})]"
    if kind == "resource_link":
        return f"[resource link {block.get('uri', '?')}]"
    return json.dumps(block, ensure_ascii=False)
