"""Coverage-guided fuzzing (atheris/libFuzzer) of the round-two surfaces: session mode and the emulator's
data plane (outside CI; the CLI is fuzzed by hypothesis only, as each CLI run is a whole MCP session).

atheris is not a dependency of the project: install it beside it, e.g.
``pip install --target /tmp/atheris-pkgs atheris`` and run with ``PYTHONPATH=/tmp/atheris-pkgs``
(wheels exist for CPython on Linux x86-64). Without atheris the script feeds the same decoder random bytes
(``--engine random``), which finds less but runs anywhere.

Each input is decoded by ``atheris.FuzzedDataProvider`` into a few operations, each judged by the oracles
of the CI property tests:

* ``sessions``: on a fresh ``AgentCoreMCP(..., sessions=True)``: initialize, POST (a raw fuzzed body, or a
  ping/stream call) with a live, ended, absent or fuzzed ``Mcp-Session-Id``, GET with a fuzzed ``Accept``
  and ``Last-Event-ID`` (recorded ids or fuzzed ones), DELETE: the session model of
  ``tests/reliability/test_fuzz_sessions.py`` (``Driver``) and ``check_answer``;
* ``emulator``: one InvokeAgentRuntime or StopRuntimeSession request with a fuzzed runtime identifier,
  qualifier, session ids, headers, body and credentials variant: ``check_platform_answer`` and
  ``expectations`` of ``tests/reliability/test_fuzz_emulator.py``.

Failures are counted by reason with a first example each, not stopped at. Usage::

    PYTHONPATH=/tmp/atheris-pkgs python -m benchmarks.fuzz_atheris --surface sessions --seconds 120
    python -m benchmarks.fuzz_atheris --surface emulator --engine random --runs 20000 [--json PATH]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUTCOMES: Counter[str] = Counter()
FAILURES: Counter[str] = Counter()
EXAMPLES: dict[str, str] = {}
STARTED = time.monotonic()
STATE: dict[str, Any] = {}


class Provider:
    """The part of ``atheris.FuzzedDataProvider`` used here, over plain bytes (for ``--engine random``)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def ConsumeIntInRange(self, low: int, high: int) -> int:
        if self._at >= len(self._data):
            return low
        value = self._data[self._at]
        self._at += 1
        return low + value % (high - low + 1)

    def ConsumeBytes(self, count: int) -> bytes:
        out = self._data[self._at : self._at + count]
        self._at += len(out)
        return out

    def ConsumeUnicodeNoSurrogates(self, count: int) -> str:
        return self.ConsumeBytes(count).decode("utf-8", "replace")

    def remaining_bytes(self) -> int:
        return len(self._data) - self._at


def provider(data: bytes) -> Any:
    if STATE.get("atheris") is not None:
        return STATE["atheris"].FuzzedDataProvider(data)
    return Provider(data)


def record_failure(exc: BaseException, data: bytes) -> None:
    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    FAILURES[reason] += 1
    if reason not in EXAMPLES:
        case = STATE.get("case")
        shown = f"case { ({**case, 'body': case['body'][:200]})!r}\n" if case else ""
        EXAMPLES[reason] = f"input {data[:300]!r}\n{shown}" + "".join(traceback.format_exception(exc))[-2500:]


# -- the surfaces --------------------------------------------------------------------------------


def sessions_one(data: bytes) -> None:
    from tests.reliability import harness
    from tests.reliability.apps import build_app
    from tests.reliability.strategies import check_answer
    from tests.reliability.test_fuzz_sessions import Driver

    run = STATE["run"]
    fdp = provider(data)
    driver = Driver(run, build_app(sessions=True))
    run(driver.initialize, None)
    model = driver.model

    def session_id() -> str | None:
        pick = fdp.ConsumeIntInRange(0, 5)
        if pick <= 2 and model.live:
            return model.live[fdp.ConsumeIntInRange(0, len(model.live) - 1)]
        if pick == 3 and model.ended:
            return model.ended[0]
        if pick == 4:
            return None
        return (
            fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 60)).replace("\r", "").replace("\n", "")
        )

    for _ in range(fdp.ConsumeIntInRange(1, 6)):
        op = fdp.ConsumeIntInRange(0, 5)
        if op == 0:
            run(driver.initialize, session_id())
        elif op == 1:
            sid = session_id()
            body = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 300))
            headers = [] if sid is None else [(b"mcp-session-id", sid.encode("utf-8"))]
            answer = run(harness.call, driver.app, harness.post_scope(headers), body)
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            check_answer(answer, parsed, {} if sid is None else None)
            OUTCOMES[f"post raw {answer.status}"] += 1
            continue
        elif op == 2 and model.live:
            run(driver.stream_call, model.live[0], fdp.ConsumeIntInRange(1, 3))
        elif op == 3:
            accept = ["text/event-stream", "*/*", "application/json", ""][fdp.ConsumeIntInRange(0, 3)]
            if model.events and fdp.ConsumeIntInRange(0, 1):
                ids = sorted(model.events)
                last: str | None = ids[fdp.ConsumeIntInRange(0, len(ids) - 1)]
            elif fdp.ConsumeIntInRange(0, 1):
                last = (
                    fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 30))
                    .replace("\r", "")
                    .replace("\n", "")
                )
            else:
                last = None
            run(driver.get, session_id(), accept, last)
        elif op == 4:
            run(driver.delete, session_id())
        else:
            run(
                driver.post,
                session_id(),
                (harness.legacy("ping", id=fdp.ConsumeIntInRange(0, 255)), {}, "ping"),
            )
    for sid in list(model.live):
        run(driver.ping, sid)
    OUTCOMES.update(model.outcomes)


def emulator_setup() -> Any:
    from agentcore_mcp.emulator import Emulator
    from tests.reliability.apps import build_app
    from tests.reliability.test_fuzz_emulator import BASE, KEY_ID, SECRET, Setup

    emulator = Emulator(credentials={KEY_ID: SECRET}, control_plane=False, reap_interval=3600)
    emulator.bind(BASE)
    app = build_app()
    return Setup(
        emulator,
        emulator.add_runtime(
            app,
            name="open_fuzz",
            qualifiers=["blue"],
            header_allowlist=["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tag"],
        ),
        emulator.add_runtime(app, name="signed_fuzz", auth="sigv4"),
        emulator.add_runtime(app, name="oauth_fuzz", auth="jwt", allowed_clients=["fuzz"]),
    )


def emulator_one(data: bytes) -> None:
    from urllib.parse import quote

    from tests.reliability import harness
    from tests.reliability.test_fuzz_emulator import (
        SESSION_HEADER,
        build_request,
        check_platform_answer,
        expectations,
    )

    setup = STATE["setup"]
    fdp = provider(data)

    def text(limit: int) -> str:
        # No CR, LF or NUL: no HTTP parser delivers them in a header (R2 covers the emulator given one).
        raw = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, limit))
        return raw.replace("\r", "").replace("\n", "").replace("\x00", "")

    runtime = [setup.open, setup.open, setup.sigv4, setup.jwt][fdp.ConsumeIntInRange(0, 3)]
    pick = fdp.ConsumeIntInRange(0, 3)
    if pick <= 1:
        segment, named = quote(runtime.arn, safe=""), True
    elif pick == 2:
        segment, named = quote(text(80), safe=""), False
    else:
        segment, named = text(80).replace("?", "").replace("#", ""), None
    if named is False and segment in (quote(runtime.arn, safe=""), quote(runtime.runtime_id, safe="")):
        named = True
    qualifier = [None, None, None, "DEFAULT", "blue", text(20)][fdp.ConsumeIntInRange(0, 5)]
    headers: list[tuple[str, str]] = []
    if fdp.ConsumeIntInRange(0, 4):
        headers.append(("accept", harness.ACCEPT))
    else:
        headers.append(("accept", text(40)))
    headers.append(("content-type", "application/json"))
    rsid_pick = fdp.ConsumeIntInRange(0, 3)
    rsid = None if rsid_pick == 0 else ("r" * 40 if rsid_pick == 1 else text(300))
    if rsid is not None:
        headers.append((SESSION_HEADER, rsid))
    if fdp.ConsumeIntInRange(0, 3) == 0:
        headers.append(("mcp-session-id", text(40)))
    for _ in range(fdp.ConsumeIntInRange(0, 2)):
        name = "".join(c for c in text(40) if 0x21 <= ord(c) < 0x7F and c != ":")  # what a parser admits
        headers.append((name or "x-empty", text(100)))
    if fdp.ConsumeIntInRange(0, 1):
        body = json.dumps(harness.legacy("ping", id=fdp.ConsumeIntInRange(0, 255))).encode()
    else:
        body = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 400))
    case = {
        "runtime": runtime.name,
        "segment": segment,
        "named": named,
        "qualifier": qualifier,
        "operation": "invocations" if fdp.ConsumeIntInRange(0, 4) else "stopruntimesession",
        "method": "POST" if fdp.ConsumeIntInRange(0, 9) else "GET",
        "body": body,
        "message": None,
        "headers": headers,
        "rsid": rsid,
        "auth": fdp.ConsumeIntInRange(0, 9),
    }
    STATE["case"] = case  # for a replay to show what an input decoded to
    scope, sent, label, secrets = build_request(setup, case)
    answer = STATE["run"](harness.call, setup.emulator, scope, sent, limit=30.0)
    outcome = check_platform_answer(answer, secrets)
    expectations(setup, case, label, answer)
    OUTCOMES[f"{case['operation']} {outcome}"] += 1


SURFACES = {"sessions": sessions_one, "emulator": emulator_one}


def one_input(surface: str, data: bytes) -> None:
    STATE["case"] = None
    try:
        SURFACES[surface](data)
    except AssertionError as exc:
        record_failure(exc, data)
    except Exception as exc:  # anything else out of our code is a finding too
        record_failure(exc, data)
    STATE["inputs"] = STATE.get("inputs", 0) + 1
    out = STATE.get("child_report")
    if out is not None and time.monotonic() - STATE.get("written", 0.0) >= 1.0:
        STATE["written"] = time.monotonic()
        out.write_text(json.dumps(figures(surface)))  # libFuzzer ends the process without atexit


def figures(surface: str) -> dict[str, Any]:
    return {
        "surface": surface,
        "inputs": STATE.get("inputs", 0),
        "requests": sum(OUTCOMES.values()),
        "seconds": round(time.monotonic() - STARTED, 1),
        "outcomes": dict(OUTCOMES.most_common()),
        "failures": dict(FAILURES),
        "examples": EXAMPLES,
        "engine": "atheris" if STATE.get("atheris") else "random",
    }


def report(found: dict[str, Any], json_path: Path | None) -> None:
    print(
        f"\n{found['surface']} ({found['engine']}): {found['inputs']} inputs, {found['requests']} requests in {found['seconds']:.0f} s"
    )
    for label, count in found["outcomes"].items():
        print(f"  {count:>9}  {label}")
    print(f"oracle failures: {sum(found['failures'].values())}")
    for reason, count in found["failures"].items():
        print(f"  {count:>6}  {reason}\n{found['examples'][reason]}")
    if json_path is not None:
        json_path.write_text(json.dumps(found, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--surface", choices=sorted(SURFACES), required=True)
    parser.add_argument("--engine", choices=["atheris", "random"], default=None)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=10_000, help="--engine random: how many inputs")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child-report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    engine = args.engine or ("atheris" if importlib.util.find_spec("atheris") else "random")
    if engine == "atheris" and importlib.util.find_spec("atheris") is None:
        raise SystemExit(
            "atheris is not installed: pip install --target /tmp/atheris-pkgs atheris (see --help)"
        )
    if engine == "atheris" and args.child_report is None:
        # libFuzzer ends the process itself: fuzz in a child that writes its figures every second.
        import subprocess
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            child = Path(handle.name)
        command = [sys.executable, "-m", "benchmarks.fuzz_atheris", "--surface", args.surface]
        command += ["--engine", "atheris", "--seconds", str(args.seconds), "--child-report", str(child)]
        subprocess.run(command, cwd=ROOT, check=False)
        found = json.loads(child.read_text() or "{}")
        report(found, args.json)
        return 1 if found.get("failures") else 0
    STATE["child_report"] = args.child_report
    if engine == "atheris":
        import atheris

        STATE["atheris"] = atheris
        with atheris.instrument_imports(include=["agentcore_mcp"]):
            import agentcore_mcp.emulator
            import agentcore_mcp.server._app  # noqa: F401
    # After the instrumented imports: the test helpers import the package, which must be instrumented first.
    from anyio.from_thread import start_blocking_portal

    from tests.reliability.conftest import Runner

    portal_cm = start_blocking_portal()
    portal = portal_cm.__enter__()
    STATE["run"] = Runner(portal)
    if args.surface == "emulator":
        STATE["setup"] = emulator_setup()
    test = functools.partial(one_input, args.surface)
    if engine == "atheris":
        seeds = Path(f"/tmp/fuzz-atheris-{args.surface}-corpus")
        seeds.mkdir(exist_ok=True)
        STATE["atheris"].Setup(
            [
                sys.argv[0],
                str(seeds),
                f"-max_total_time={args.seconds}",
                "-rss_limit_mb=4096",
                "-max_len=2048",
            ],
            test,
        )
        STATE["atheris"].Fuzz()  # exits the process at the time limit (the report runs at exit)
        return 0
    rng = random.Random(2026)
    deadline = time.monotonic() + args.seconds
    for _ in range(args.runs):
        if time.monotonic() > deadline:
            break
        test(rng.randbytes(rng.randrange(0, 600)))
    report(figures(args.surface), args.json)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
