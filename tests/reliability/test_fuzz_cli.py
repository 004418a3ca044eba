"""Property tests over the CLI's argument parsing, through ``agentcore_mcp.cli.main([...])`` only:
``call TOOL KEY=VALUE ...`` and ``--args JSON`` against a real server on loopback.

What the CLI promises (docs/cli.md, ``agentcore-mcp call --help``): a string parameter gets VALUE exactly as
written (a JSON-quoted VALUE is decoded), any other parameter gets VALUE read as JSON; ``--args`` is a JSON
object and KEY=VALUE pairs win over it; a pair without ``=`` or a key, bad ``--args`` JSON, or ``--args``
that is not an object is a usage error (exit 2) and nothing is called; a parameter the tool does not have
is an error that names it (exit 1) and nothing is called. Whatever the input: exit 0, 1 or 2, never a
traceback, and an error is one line on stderr.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentcore_mcp import AgentCoreMCP, tool
from agentcore_mcp.cli import main
from agentcore_mcp.server._local import serve_in_thread

from .conftest import fuzz_settings, write_tally

CALLS: list[tuple[str, dict[str, Any]]] = []
_LOCK = threading.Lock()


@tool
def say(text: str) -> str:
    """Return the text as received."""
    with _LOCK:
        CALLS.append(("say", {"text": text}))
    return text


@tool
def take(n: int, items: list[int] | None = None, flag: bool = False, note: str | None = None) -> str:
    """Return the arguments as received, as JSON."""
    received = {"n": n, "items": items, "flag": flag, "note": note}
    with _LOCK:
        CALLS.append(("take", received))
    return json.dumps(received)


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, label: str) -> None:
        self.counts[label] = self.counts.get(label, 0) + 1


TALLY = Tally()


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    with serve_in_thread(AgentCoreMCP("cli-fuzz", tools=[say, take])) as base:
        yield base + "/mcp"


def run_cli(argv: list[str]) -> Outcome:
    """``main(argv)`` with stdout and stderr captured; argparse's own exits count as their code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse reports usage errors by exiting 2
            code = exc.code if isinstance(exc.code, int) else 1
    outcome = Outcome(code, out.getvalue(), err.getvalue())
    assert outcome.code in (0, 1, 2), outcome
    assert "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    assert "Traceback" not in outcome.stdout
    tool_error = outcome.code == 1 and '"isError": true' in outcome.stdout  # --json: the result on stdout
    if outcome.code != 0 and not outcome.stderr.startswith("usage:") and not tool_error:
        lines = [line for line in outcome.stderr.splitlines() if line.strip()]
        assert lines, "a failure with nothing on stderr"
    return outcome


def _calls() -> list[tuple[str, dict[str, Any]]]:
    with _LOCK:
        found = list(CALLS)
        CALLS.clear()
    return found


# Values as a shell would hand them over: any text without NUL (argv cannot carry it), with or without
# '=' signs, quotes, JSON look-alikes, newlines, unicode.
values = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
    st.sampled_from(
        [
            '""',
            '"',
            '"x"',
            '"02134"',
            "02134",
            "=",
            "a=b=c",
            " ",
            "\n",
            "null",
            "[1, 2]",
            "{}",
            "1e999",
            "-0",
            "💥",
        ]
    ),
)
json_texts = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(
        ["1.5", "true", "false", "null", "[1, 2]", "[]", '["a"]', '"7"', "1e3", "abc", "", "[1,", "0x10"]
    ),
    values,
)


def _expected_string(text: str) -> str:
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        return decoded if isinstance(decoded, str) else text
    return text


# Each call is a whole CLI run (a new MCP session, ~0.4 s here): small budgets in CI.
@fuzz_settings(25)
@given(value=values)
def test_a_string_parameter_gets_the_value_as_written(target: str, value: str) -> None:
    _calls()
    outcome = run_cli(["call", "say", f"text={value}", "--target", target, "--json"])
    expected = _expected_string(value)
    assert outcome.code == 0, outcome
    assert _calls() == [("say", {"text": expected})]
    result = json.loads(outcome.stdout)
    assert result["content"][0]["text"] == expected
    TALLY.add("say exit 0")


@fuzz_settings(25)
@given(n=json_texts, items=st.one_of(st.none(), json_texts), flag=st.one_of(st.none(), json_texts))
def test_other_parameters_get_the_value_read_as_json(
    target: str, n: str, items: str | None, flag: str | None
) -> None:
    _calls()
    argv = ["call", "take", f"n={n}", "--target", target, "--json"]
    if items is not None:
        argv.append(f"items={items}")
    if flag is not None:
        argv.append(f"flag={flag}")
    outcome = run_cli(argv)
    calls = _calls()
    TALLY.add(f"take exit {outcome.code}")
    assert outcome.code in (0, 1)
    if outcome.code == 2:
        pytest.fail(f"a usage error for well-formed pairs: {outcome}")
    if outcome.code == 0:
        assert len(calls) == 1
        received = calls[0][1]
        assert isinstance(received["n"], int)
        try:
            sent: Any = json.loads(n)
        except ValueError:
            sent = n  # not JSON: sent as text, which the server's lax validation read as an integer
        if isinstance(sent, str):  # a numeric string ("00", " 7"), read by the server's lax validation
            assert received["n"] == int(sent), (n, received)
        else:
            assert received["n"] == sent, (n, received)
        if items is not None:
            assert received["items"] == json.loads(items)
    elif calls:
        pytest.fail(f"exit 1 although the tool ran: {calls}, {outcome}")


@fuzz_settings(60)
@given(
    pairs=st.lists(
        st.one_of(
            values, st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["n", "note", "nope", ""]), values)
        ),
        max_size=4,
    ),
    raw=st.one_of(
        st.none(),
        st.sampled_from(['{"n": 1}', "[]", "1", '"x"', "{", "", '{"n": 2, "extra": 1}', "null"]),
        values,
    ),
)
def test_malformed_arguments_are_usage_errors_and_nothing_is_called(
    target: str, pairs: list[str], raw: str | None
) -> None:
    _calls()
    argv = ["call", "take", *pairs, "--target", target, "--json"]
    if raw is not None:
        argv += ["--args", raw]
    outcome = run_cli(argv)
    calls = _calls()
    malformed_pair = any(not p.partition("=")[1] or not p.partition("=")[0] for p in pairs)
    pair_options = any(p.startswith("-") for p in pairs)
    bad_raw = False
    if raw is not None:
        try:
            bad_raw = not isinstance(json.loads(raw), dict)
        except ValueError:
            bad_raw = True
    TALLY.add(f"malformed exit {outcome.code}")
    if pair_options:
        return  # a "pair" that looks like an option is argparse's to read
    if malformed_pair or bad_raw:
        assert outcome.code == 2, outcome
        assert calls == []
        return
    keys = {p.partition("=")[0] for p in pairs} | (set(json.loads(raw)) if raw else set())
    if keys - {"n", "items", "flag", "note"}:
        assert outcome.code == 1, outcome
        assert "has no parameter" in outcome.stderr
        assert calls == []


def test_key_value_pairs_win_over_args(target: str) -> None:
    _calls()
    outcome = run_cli(
        ["call", "take", "n=5", "--args", '{"n": 1, "note": "kept"}', "--target", target, "--json"]
    )
    assert outcome.code == 0, outcome
    assert _calls() == [("take", {"n": 5, "items": None, "flag": False, "note": "kept"})]


def test_write_the_cli_tally() -> None:
    """Last in the module: the outcome counts (written only for long runs)."""
    write_tally("cli", sum(TALLY.counts.values()), dict(sorted(TALLY.counts.items())))
