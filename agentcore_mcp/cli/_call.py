"""``agentcore-mcp call TOOL KEY=VALUE ...``: call one tool and print its result.

The tool's ``inputSchema`` (listed in the same session, before the call) decides what each ``KEY=VALUE``
means: a parameter typed ``string`` gets VALUE as written, any other type gets VALUE parsed as JSON. A tool
or a parameter the server does not have is an error naming what it does have, and nothing is called.

While the call runs, :class:`CallDisplay` shows the server's progress notifications and the transport's
retries on stderr (when stderr is a terminal, and never with ``--json``).
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from agentcore_mcp.cli._base import Command, Failed, add_command, pairs, print_json
from agentcore_mcp.cli._session_client import dump, list_tools, run_session
from agentcore_mcp.cli._target import TARGET_HELP, add_client_options, describe_failure, transport_options

__all__ = ["CallDisplay", "coerce_arguments", "parse_arguments", "register"]

DESCRIPTION = f"""\
Call one tool and print its result: the text of its content blocks, or the whole result as JSON with
--json. Arguments are KEY=VALUE pairs, read by the tool's input schema: for a string parameter VALUE is
the string as written (name=Ada, zip=02134, id=123); for any other type VALUE is JSON (a=2 is a number,
flag=true a boolean, items='[1, 2]' a list). --args takes a JSON object, and KEY=VALUE pairs are merged over
it. A tool or parameter the server does not have is an error that lists the ones it has.

Progress notifications and retries are shown on stderr when it is a terminal (never with --json).

Exit status: 0 when the tool succeeded, 1 when it returned an error result (its text goes to stderr) or the
call failed, 2 for a usage error.

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
    """What a call shows on stderr while it runs: progress notifications and the transport's retries.

    ``enabled`` is false with ``--json`` or when stderr is not a terminal; then nothing is printed.
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled

    async def progress(self, progress: float, total: float | None, message: str | None) -> None:
        """The MCP SDK's progress callback: one line per notification."""
        if not self.enabled:
            return
        amount = f"{progress:g}/{total:g}" if total else f"{progress:g}"
        print(f"  progress {amount}" + (f": {message}" if message else ""), file=sys.stderr, flush=True)

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


def run(args: argparse.Namespace) -> int:
    if _looks_like_target(args.tool):
        what = "an MCP URL" if args.tool.startswith("http") else "a runtime ARN"
        rest = " ".join(args.arguments) or "TOOL KEY=VALUE ..."
        raise ValueError(
            f"{args.tool!r} is {what}, not a tool: did you mean --target? "
            f"agentcore-mcp call {rest} --target {args.tool}"
        )
    base, texts = parse_arguments(args.arguments, args.args)
    target, options = transport_options(args)
    display = CallDisplay(enabled=not args.json and sys.stderr.isatty())

    async def steps(session: Any) -> dict[str, Any]:
        tools = await list_tools(session)
        tool = next((t for t in tools if t["name"] == args.tool), None)
        if tool is None:
            raise _unknown_tool(args.tool, tools, target)
        arguments = coerce_arguments(tool, base, texts)
        result = await session.call_tool(args.tool, arguments, progress_callback=display.progress)
        return dict(dump(result))

    try:
        with display.transport_events():
            result = run_session(target, options, args.timeout, steps)
    except Failed:
        raise
    except (Exception, TimeoutError) as exc:
        raise Failed(describe_failure(exc, args.timeout)) from exc
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
