"""Coverage-guided fuzzing of the server's HTTP and JSON-RPC surface (outside CI).

With atheris installed (``pip install atheris``; wheels exist for CPython on Linux x86-64), libFuzzer mutates
request bodies, guided by line coverage of ``agentcore_mcp`` (instrumented at import), starting from a seed
corpus of valid requests of both eras and a dictionary of MCP tokens. Without atheris it falls back to
hypothesis with a large example budget over the strategies of ``tests/reliability/strategies.py``.

Each input becomes one POST to the reliability app (``tests/reliability/apps.py``, minus the tools that sleep
or exit) driven in process through raw ASGI: the first byte picks header variations (routing headers derived
from the body so modern requests reach the method table, one routing header corrupted, Accept dropped, the
body split in two chunks, a foreign Origin), the rest is the body. Every answer is judged by the same oracle
as the CI property tests (``check_answer``: no exception out of the app, no 5xx, strict JSON or complete SSE,
the status that belongs to the JSON-RPC code and era, no exception text). Failures are counted by reason
with a first example each, not stopped at, so one known bug does not hide the others.

Usage::

    python -m benchmarks.fuzz_coverage --seconds 600 [--json PATH]          # atheris
    python -m benchmarks.fuzz_coverage --engine hypothesis --examples 200000
    python -m benchmarks.fuzz_coverage --include-known ...                   # also the tools of F1-F4

Prints outcomes by HTTP status and JSON-RPC code, the failures, and (atheris) libFuzzer's coverage lines.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from agentcore_mcp import Limits, StateSealing

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Tools that sleep (they would slow every input that names them) or exit (finding F5: their BaseException
# would end the fuzzer itself).
SKIPPED_TOOLS = {"slow", "stream_forever", "hang", "hang_sync", "huge", "exits", "cancelled_inside"}
# Tools whose failures are known findings (F1-F4, tests/reliability/test_findings.py); left out unless
# --include-known, so that the failures a run reports are new ones.
KNOWN_FINDING_TOOLS = {"nan_value", "infinite_value", "lone_surrogate", "bad_tool_result", "raise_timeout"}
DICTIONARY = [
    '"jsonrpc"',
    '"2.0"',
    '"id"',
    '"method"',
    '"params"',
    '"result"',
    '"error"',
    '"_meta"',
    '"name"',
    '"arguments"',
    '"cursor"',
    '"uri"',
    '"level"',
    '"protocolVersion"',
    '"capabilities"',
    '"clientInfo"',
    '"io.modelcontextprotocol/protocolVersion"',
    '"io.modelcontextprotocol/clientCapabilities"',
    '"io.modelcontextprotocol/logLevel"',
    '"2026-07-28"',
    '"2025-11-25"',
    '"2024-11-05"',
    '"progressToken"',
    '"requestState"',
    '"inputResponses"',
    '"elicitation"',
    '"action"',
    '"accept"',
    '"content"',
    '"tools/call"',
    '"tools/list"',
    '"initialize"',
    '"ping"',
    '"server/discover"',
    '"logging/setLevel"',
    '"resources/read"',
    '"prompts/get"',
    '"completion/complete"',
    '"notifications/initialized"',
    '"echo"',
    '"add"',
    '"typed"',
    '"boom"',
    '"refuse"',
    '"stream"',
    '"whoami"',
    '"ask_name"',
    '"nan_value"',
    '"infinite_value"',
    '"lone_surrogate"',
    '"unserializable"',
    '"wrong_type"',
    '"bad_tool_result"',
    '"bad_image"',
    '"raise_timeout"',
    '"events"',
    '"text"',
    '"a"',
    '"b"',
    "null",
    "true",
    "false",
    "1e999",
    "NaN",
    "-0",
    "[]",
    "{}",
    '"\\ud800"',
    '"\\u0000"',
]


def seeds() -> list[bytes]:
    from tests.reliability import harness

    out: list[bytes] = []
    calls = [
        ("echo", {"text": "hi"}),
        ("add", {"a": 1, "b": 2}),
        (
            "typed",
            {
                "s": "x",
                "n": 1,
                "f": 1.0,
                "flag": True,
                "items": [1],
                "mapping": {"k": "v"},
                "choice": "red",
                "point": {"x": 1, "y": 2},
            },
        ),
        ("boom", {}),
        ("stream", {"events": 2}),
        ("ask_name", {}),
        ("whoami", {}),
        ("nan_value", {}),
        ("lone_surrogate", {}),
        ("raise_timeout", {}),
    ]
    for name, arguments in calls:
        params = {"name": name, "arguments": arguments, "_meta": {"progressToken": 1}}
        out.append(harness.dumps(harness.legacy("tools/call", params)))
        out.append(harness.dumps(harness.modern("tools/call", params)[0]))
    for method in ("initialize", "ping", "tools/list", "logging/setLevel", "notifications/initialized"):
        params = {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "f", "version": "0"},
            "level": "info",
        }
        out.append(harness.dumps(harness.legacy(method, params)))
    for method in ("server/discover", "tools/list"):
        out.append(harness.dumps(harness.modern(method, {})[0]))
    state_seed = harness.modern(
        "tools/call",
        {
            "name": "ask_name",
            "arguments": {},
            "requestState": "s1.x.y.z",
            "inputResponses": {"elicitation": {"action": "accept", "content": {"name": "a"}}},
        },
    )
    out.append(harness.dumps(state_seed[0]))
    out.append(b'{"jsonrpc":"2.0","id":"srv-1","result":{}}')
    return out


class Target:
    """One fuzz input -> one request -> the oracle; outcomes and failures are tallied, never raised."""

    def __init__(self, include_known: bool = False) -> None:
        from agentcore_mcp import AgentCoreMCP
        from tests.reliability import apps, harness, strategies

        self.harness = harness
        self.strategies = strategies
        skipped = SKIPPED_TOOLS if include_known else SKIPPED_TOOLS | KNOWN_FINDING_TOOLS
        tools = [t for t in apps.ALL_TOOLS if t.__name__ not in skipped]
        # A short input_timeout: a handshake-era elicitation waits for an answer this harness never sends.
        self.app = AgentCoreMCP(
            "fuzz",
            tools=tools,
            sealing=StateSealing(keys=(apps.STATE_KEY,)),
            keepalive=None,
            limits=Limits(input_timeout=0.2),
        )
        self.loop = asyncio.new_event_loop()
        self.tally = harness.Tally()
        self.failures: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self.outcome_examples: dict[str, str] = {}
        self.executions = 0
        self.began = time.monotonic()

    def headers_for(self, flags: int, body: bytes) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        if not flags & 4:
            headers.append(("accept", self.harness.ACCEPT))
        headers.append(("content-type", "application/json"))
        if flags & 16:
            headers.append(("origin", "http://evil.example"))
        if flags & 1:
            try:
                message = json.loads(body)
            except (ValueError, RecursionError):
                message = None
            if isinstance(message, dict) and isinstance(message.get("method"), str):
                method = message["method"]
                headers += [("mcp-protocol-version", "2026-07-28"), ("mcp-method", method)]
                params = message.get("params")
                key = "uri" if method == "resources/read" else "name"
                if isinstance(params, dict) and isinstance(params.get(key), str):
                    headers.append(("mcp-name", self.harness.encode_header_value(params[key])))
                if flags & 2:
                    headers[-1] = (headers[-1][0], "2025-11-25")
        return headers

    def run_one(
        self, flags: int, body: bytes, message: Any = None, routing: dict[str, str] | None = None
    ) -> None:
        headers = self.headers_for(flags, body)
        chunks: Any = [body[: len(body) // 2], body[len(body) // 2 :]] if flags & 8 else body
        scope = self.harness.http_scope("POST", "/mcp", headers)
        self.executions += 1
        try:
            answer = self.loop.run_until_complete(self.harness.call(self.app, scope, chunks, limit=3.0))
        except TimeoutError:
            self._fail("timeout (3 s)", body, headers)
            return
        before = dict(self.tally.counts)
        self.tally.add(answer)
        for label, count in self.tally.counts.items():
            if count != before.get(label):
                self.outcome_examples.setdefault(label, f"{headers!r} {body[:300]!r}")
        if message is None:
            try:
                message = json.loads(body)
            except (ValueError, RecursionError):
                message = None
        if routing is None:
            routing = {k: v for k, v in headers if k.startswith("mcp-")}
        try:
            self.strategies.check_answer(answer, message if not flags & 8 else None, routing)
        except AssertionError as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1].line or "?"
            reason = (str(exc).split("\n")[0] or f"assert failed: {where}")[:120]
            self._fail(reason, body, headers)
        except ValueError as exc:  # strict JSON refused the answer
            self._fail(f"invalid JSON in the answer: {str(exc)[:80]}", body, headers)

    def _fail(self, reason: str, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.failures[reason] += 1
        self.examples.setdefault(reason, f"{headers!r} {body[:300]!r}")

    def report(self) -> dict[str, Any]:
        return {
            "executions": self.executions,
            "seconds": round(time.monotonic() - self.began, 1),
            "outcomes": dict(sorted(self.tally.counts.items(), key=lambda kv: -kv[1])),
            "failures": dict(self.failures.most_common()),
            "examples": self.examples,
            "outcome_examples": self.outcome_examples,
        }


def print_report(report: dict[str, Any], engine: str) -> None:
    print(f"\n== {engine}: {report['executions']:,} requests in {report['seconds']} s")
    print("outcomes (HTTP status, JSON-RPC code or result):")
    for label, count in report["outcomes"].items():
        print(f"  {label:<28} {count:>10,}")
    print(f"oracle failures: {sum(report['failures'].values()):,}")
    for reason, count in report["failures"].items():
        print(f"  {count:>8,}  {reason}\n            e.g. {report['examples'][reason][:240]}")


def run_atheris_child(args: argparse.Namespace) -> None:
    """Runs inside the child process: libFuzzer never returns, so the report is rewritten every second."""
    atheris: Any = importlib.import_module("atheris")  # untyped, and optional

    with atheris.instrument_imports(include=["agentcore_mcp"]):
        import agentcore_mcp.server._app
        import agentcore_mcp.server._protocol  # noqa: F401
    target = Target(args.include_known)
    out = Path(args.child)
    last = 0.0

    def test_one(data: bytes) -> None:
        nonlocal last
        if data:
            target.run_one(data[0], data[1:])
        now = time.monotonic()
        if now - last >= 1.0:
            last = now
            out.write_text(json.dumps(target.report()))

    corpus = Path(tempfile.mkdtemp(prefix="mcp-fuzz-corpus-"))
    for i, seed in enumerate(seeds()):
        for flags in (0, 1):
            (corpus / f"seed-{i}-{flags}").write_bytes(bytes([flags]) + seed)
    dictionary = corpus.parent / f"{corpus.name}.dict"
    dictionary.write_text("".join(f"t{i}={json.dumps(token)}\n" for i, token in enumerate(DICTIONARY)))
    argv = [
        sys.argv[0],
        str(corpus),
        f"-dict={dictionary}",
        f"-max_total_time={int(args.seconds)}",
        "-max_len=4096",
        "-timeout=10",
        "-print_final_stats=1",
        "-print_pcs=0",
    ]
    if args.runs:
        argv.append(f"-runs={args.runs}")
    atheris.Setup(argv, test_one)
    atheris.Fuzz()


def run_atheris(args: argparse.Namespace) -> None:
    import subprocess

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        child_report = Path(handle.name)
    command = [
        sys.executable,
        "-m",
        "benchmarks.fuzz_coverage",
        "--engine",
        "atheris",
        "--child",
        str(child_report),
        "--seconds",
        str(args.seconds),
    ]
    if args.runs:
        command += ["--runs", str(args.runs)]
    if args.include_known:
        command.append("--include-known")
    proc = subprocess.run(command, cwd=ROOT, stderr=subprocess.PIPE, text=True, check=False)
    stats = [line for line in proc.stderr.splitlines() if line.startswith(("#", "stat::", "Done"))]
    final = next((line for line in reversed(stats) if " cov: " in line), "")
    report = json.loads(child_report.read_text()) if child_report.stat().st_size else {}
    child_report.unlink()
    report["engine"] = "atheris"
    report["libfuzzer_final"] = final
    report["libfuzzer_stats"] = [line for line in stats if line.startswith("stat::")]
    print_report(report, "atheris")
    print("libFuzzer:", final)
    for line in report["libfuzzer_stats"]:
        print(" ", line)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


def run_hypothesis(args: argparse.Namespace) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.reliability.strategies import raw_bodies

    target = Target(args.include_known)

    @settings(
        max_examples=args.examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    # Mostly routing headers derived from the body; sometimes one corrupted, Accept dropped, chunked, Origin.
    @given(case=raw_bodies(), flags=st.sampled_from([0, 1, 1, 1, 1, 1, 3, 5, 9, 17]))
    def fuzz(case: Any, flags: int) -> None:
        body, _headers, _label = case
        target.run_one(flags, body)

    fuzz()
    report = target.report()
    report["engine"] = "hypothesis"
    print_report(report, "hypothesis")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["auto", "atheris", "hypothesis"], default="auto")
    parser.add_argument("--seconds", type=float, default=300.0, help="atheris: total fuzzing time")
    parser.add_argument("--runs", type=int, help="atheris: stop after this many inputs")
    parser.add_argument("--examples", type=int, default=100_000, help="hypothesis: example budget")
    parser.add_argument("--json", help="write the report here")
    parser.add_argument("--include-known", action="store_true", help="also serve the tools of known findings")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    import logging

    logging.disable(logging.CRITICAL)  # the app logs every tool failure with its traceback
    os.environ.setdefault("AGENTCORE_MCP_STATE_KEYS", "fuzz-state-key-0123456789abcdef")
    engine = args.engine
    if engine == "auto":
        engine = "atheris" if importlib.util.find_spec("atheris") is not None else "hypothesis"
    if args.child:
        run_atheris_child(args)
    elif engine == "atheris":
        run_atheris(args)
    else:
        run_hypothesis(args)


if __name__ == "__main__":
    main()
