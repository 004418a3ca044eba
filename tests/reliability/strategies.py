"""Hypothesis strategies for hostile MCP traffic, and the oracle every answer is judged by.

Shared by the property tests (small budgets, CI) and ``benchmarks/fuzz_coverage.py`` (large budgets).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from .harness import MODERN, Answer, dumps, encode_header_value

LEGACY_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")
METHODS = (
    "initialize",
    "ping",
    "logging/setLevel",
    "tools/list",
    "tools/call",
    "server/discover",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "notifications/initialized",
    "notifications/cancelled",
)
# Tools whose answers are fully defined (the hostile ones are exercised by test_findings.py).
FUZZ_TOOLS = ("echo", "add", "typed", "boom", "refuse", "stream", "whoami", "ask_name", "nope")
ERROR_CODES = {-32700, -32600, -32601, -32602, -32603, -32002, -32020, -32021, -32022}
LEAK_MARKERS = ("Traceback", 'File "', "SECRET-EXCEPTION-TEXT", "hunter2", "site-packages")

# -- JSON values ---------------------------------------------------------------------------------------

numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63, 2**64, -(2**63) - 1, 10**400]),
    st.floats(allow_nan=False, allow_infinity=False),
)
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "\r\n", "é", "💥", "a" * 300, "=?base64?AAAA?=", "../../etc/passwd"]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
ids: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.text(max_size=20),
    st.sampled_from([None, True, False, 1.5, [], {}, 10**400, "", -0.0]),
)


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# -- whole messages ------------------------------------------------------------------------------------


@st.composite
def tool_params(draw: st.DrawFn) -> dict[str, Any]:
    name: Any = draw(st.one_of(st.sampled_from(FUZZ_TOOLS), texts, st.sampled_from([None, 1, [], {}])))
    params: dict[str, Any] = {"name": name}
    if name == "stream":
        params["arguments"] = {"events": draw(st.integers(0, 3))}
        params["_meta"] = {"progressToken": draw(st.one_of(st.integers(), st.text(max_size=5)))}
    elif name == "echo":
        params["arguments"] = draw(st.one_of(st.fixed_dictionaries({"text": texts}), json_values))
    elif name == "add":
        params["arguments"] = draw(
            st.one_of(st.fixed_dictionaries({"a": json_values, "b": json_values}), json_values)
        )
    else:
        params["arguments"] = draw(st.one_of(st.just({}), json_values))
    if draw(st.booleans()):
        del params["arguments"]
    return params


@st.composite
def params_for(draw: st.DrawFn, method: str) -> Any:
    if method == "tools/call":
        return draw(tool_params())
    if method == "initialize":
        return {
            "protocolVersion": draw(st.one_of(st.sampled_from([*LEGACY_VERSIONS, MODERN]), json_values)),
            "capabilities": draw(st.one_of(st.just({}), json_values)),
            "clientInfo": {"name": "fuzz", "version": "0"},
        }
    if method == "logging/setLevel":
        return {"level": draw(st.one_of(st.sampled_from(["debug", "info", "bogus"]), json_values))}
    if method in ("tools/list", "prompts/list", "resources/list"):
        cursor = draw(st.one_of(st.none(), texts, json_values, st.just(base64.b64encode(b"o:1").decode())))
        return {} if cursor is None else {"cursor": cursor}
    if method in ("resources/read", "prompts/get"):
        return {"uri": draw(texts), "name": draw(texts)}
    return draw(st.one_of(st.just({}), st.dictionaries(st.text(max_size=8), json_values, max_size=3)))


@st.composite
def messages(draw: st.DrawFn) -> tuple[Any, dict[str, str], str]:
    """A JSON-RPC message (often valid, often subtly not), its headers, and a label of what was varied."""
    method = draw(st.one_of(st.sampled_from(METHODS), texts))
    era = draw(st.sampled_from(["legacy", "modern"]))
    params: Any = draw(params_for(method))
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": draw(ids), "method": method}
    headers: dict[str, str] = {}
    if era == "modern":
        if isinstance(params, dict):
            given_meta = params.get("_meta")
            meta = dict(given_meta) if isinstance(given_meta, dict) else {}
            meta.setdefault("io.modelcontextprotocol/protocolVersion", MODERN)
            meta.setdefault("io.modelcontextprotocol/clientCapabilities", {})
            params = {**params, "_meta": meta}
        headers = {"mcp-protocol-version": MODERN, "mcp-method": method}
        target = (
            params.get("uri" if method == "resources/read" else "name") if isinstance(params, dict) else None
        )
        if isinstance(target, str):
            headers["mcp-name"] = encode_header_value(target)
    message["params"] = params
    label = "valid-shape"
    mutation = draw(st.integers(0, 13))
    if mutation == 1:
        del message["id"]  # a notification
        label = "notification"
    elif mutation == 2:
        message["jsonrpc"] = draw(st.one_of(json_values, st.just("1.0")))
        label = "jsonrpc"
    elif mutation == 3:
        message["method"] = draw(json_values)
        label = "method-type"
    elif mutation == 4:
        message["params"] = draw(json_values)
        label = "params-type"
    elif mutation == 5:
        del message["method"]
        message[draw(st.sampled_from(["result", "error"]))] = draw(json_values)
        label = "response"
    elif mutation == 6:
        message["params"] = {"_meta": draw(json_values), **(params if isinstance(params, dict) else {})}
        label = "meta"
    elif mutation == 7:
        message[draw(st.text(max_size=8))] = draw(json_values)
        label = "extra-member"
    elif mutation == 8 and headers:
        key = draw(st.sampled_from(sorted(headers)))
        headers[key] = draw(st.one_of(st.sampled_from([*LEGACY_VERSIONS, "", "=?base64?!!?="]), printable))
        label = "header-value"
    elif mutation == 9:
        headers.pop(draw(st.sampled_from(["mcp-protocol-version", "mcp-method", "mcp-name"])), None)
        label = "header-missing"
    elif mutation == 10:
        headers["mcp-protocol-version"] = draw(st.sampled_from([*LEGACY_VERSIONS, MODERN, "2099-01-01"]))
        label = "header-version"
    elif mutation == 11 and isinstance(message.get("params"), dict):
        message["params"]["deep"] = nested(draw(st.integers(50, 400)))
        label = "deep"
    elif mutation == 12 and isinstance(message.get("params"), dict):
        message["params"]["requestState"] = draw(st.one_of(texts, json_values))
        message["params"]["inputResponses"] = draw(json_values)
        label = "mrtr"
    return message, headers, label


printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


@st.composite
def raw_bodies(draw: st.DrawFn) -> tuple[bytes, dict[str, str], str]:
    """Request bodies as bytes: valid messages, mutated bytes, duplicate keys, invalid UTF-8, batches."""
    message, headers, label = draw(messages())
    kind = draw(st.integers(0, 9))
    try:
        body = dumps(message)
    except (ValueError, UnicodeEncodeError):
        body = json.dumps(message).encode()
    if kind == 1:  # flip, insert or delete bytes
        data = bytearray(body)
        for _ in range(draw(st.integers(1, 4))):
            pos = draw(st.integers(0, max(0, len(data) - 1)))
            op = draw(st.integers(0, 2))
            if op == 0 and data:
                data[pos] = draw(st.integers(0, 255))
            elif op == 1:
                data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
            elif data:
                del data[pos]
        return bytes(data), headers, "mutated-bytes"
    if kind == 2:  # truncated
        return body[: draw(st.integers(0, max(0, len(body) - 1)))], headers, "truncated"
    if kind == 3:  # duplicate keys: the last one wins in most parsers
        dup = draw(st.sampled_from(['"id":', '"method":', '"jsonrpc":', '"params":']))
        value = dumps(draw(json_values)).decode()
        return b"{" + f"{dup}{value},".encode() + body[1:], headers, "duplicate-key"
    if kind == 4:  # invalid UTF-8 inside a string
        return body.replace(b'"2.0"', b'"2.0\xff\xfe"', 1), headers, "invalid-utf8"
    if kind == 5:  # a batch
        return b"[" + body + b"," + body + b"]", headers, "batch"
    if kind == 6:  # lone surrogates as JSON escapes
        return body.replace(b'"2.0"', b'"2.0\\ud800"', 1), headers, "lone-surrogate"
    if kind == 7:  # non-standard JSON numbers
        token = draw(
            st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"01", b"0x10", b"1" * 5000])
        )
        return body.replace(b'"id":', b'"id":' + token + b',"x":', 1), headers, "number-token"
    if kind == 8:  # surrounding garbage
        return draw(st.sampled_from([b" ", b"\n", b"\xef\xbb\xbf", b"\x00"])) + body, headers, "prefix"
    return body, headers, label


# -- headers and HTTP ----------------------------------------------------------------------------------

header_names = st.one_of(
    st.sampled_from(
        [
            "accept",
            "content-type",
            "origin",
            "mcp-protocol-version",
            "mcp-method",
            "mcp-name",
            "mcp-session-id",
            "mcp-param-x",
            "content-length",
            "last-event-id",
            "x-amz-bedrock-agentcore-identity-wat",
            "authorization",
        ]
    ),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=":"), min_size=1, max_size=20
    ),
)
header_values = st.one_of(
    printable,
    st.sampled_from(
        [
            "application/json",
            "text/event-stream",
            "application/json, text/event-stream",
            "*/*",
            "http://localhost:3000",
            "https://evil.example",
            "null",
            "-1",
            "99999999999999999999",
            MODERN,
            "=?base64?dG9vbHMvY2FsbA==?=",
        ]
    ),
    st.binary(max_size=20).map(
        lambda b: b.decode("latin-1").replace("\r", "").replace("\n", "").replace("\0", "")
    ),
)


# -- the oracle ----------------------------------------------------------------------------------------


def _no_constants(token: str) -> Any:
    raise ValueError(f"non-standard JSON constant {token}")


def strict_json(data: bytes) -> Any:
    """Parse JSON as a strict client would: UTF-8, no NaN/Infinity."""
    return json.loads(data.decode("utf-8"), parse_constant=_no_constants)


def era_of(message: Any, headers: Mapping[str, str]) -> str:
    """The era docs/wire.md says a request belongs to."""
    version = headers.get("mcp-protocol-version")
    modern_header = version is not None and version.strip() not in LEGACY_VERSIONS
    if isinstance(message, dict):
        params = message.get("params")
        if isinstance(params, dict):
            meta = params.get("_meta")
            if isinstance(meta, dict) and "io.modelcontextprotocol/protocolVersion" in meta:
                return "modern"
    return "modern" if modern_header else "legacy"


def expected_status(code: int, era: str) -> int:
    if era == "modern":
        if code == -32601:
            return 404
        if code in (-32700, -32600, -32602, -32020, -32021, -32022):
            return 400
        return 200
    return 400 if code in (-32700, -32600, -32022) else 200


def check_answer(answer: Answer, message: Any = None, headers: Mapping[str, str] | None = None) -> None:
    """The properties every answer to a POST must have (raises AssertionError with the reason)."""
    assert answer.raised is None, f"the app raised {answer.raised!r}"
    assert answer.complete, "the answer was never completed"
    assert answer.status < 500, f"HTTP {answer.status}"
    text = answer.body.decode("utf-8", "replace")
    for marker in LEAK_MARKERS:
        assert marker not in text, f"{marker!r} leaked into the answer: {text[:300]}"
    if answer.status == 202:
        assert answer.body == b"", "202 with a body"
        return
    if answer.status == 405:
        assert answer.header("allow") is not None
        return
    ctype = answer.content_type
    assert ctype in ("application/json", "text/event-stream"), f"content type {ctype!r}"
    if ctype == "text/event-stream":
        assert answer.status == 200
        assert answer.body.endswith(b"\n\n"), "SSE body does not end with a complete event"
        events = []
        for block in answer.body.decode("utf-8").split("\n\n")[:-1]:
            data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
            if data and data != [""]:  # an empty data field is a priming event (session mode): an id only
                events.append(strict_json("\n".join(data).encode()))
        assert events, "an SSE answer without events"
        for event in events[:-1]:
            assert isinstance(event, dict)
            assert event.get("jsonrpc") == "2.0"
            assert "method" in event, f"a non-final SSE event that is not a notification/request: {event}"
        final = events[-1]
    else:
        final = strict_json(answer.body)
    assert isinstance(final, dict), f"the answer is not a JSON object: {final!r}"
    assert final.get("jsonrpc") == "2.0"
    assert ("result" in final) != ("error" in final), f"exactly one of result/error: {final}"
    assert "id" in final
    if "error" in final:
        error = final["error"]
        assert isinstance(error, dict)
        assert isinstance(error.get("message"), str)
        code = error.get("code")
        assert code in ERROR_CODES, f"unexpected JSON-RPC code {code}"
        if answer.status in (403, 406, 413, 415):
            assert code == -32600
        elif code == -32700:
            assert answer.status == 400  # the body did not parse (the oracle's parser may be laxer)
        elif message is not None and headers is not None:
            era = era_of(message, headers)
            is_response = (
                isinstance(message, dict)
                and message.get("method") is None
                and message.get("jsonrpc") == "2.0"
                and ("result" in message or "error" in message)
            )
            if answer.status == 404 and code == -32600:
                pass  # session mode: unknown session
            elif is_response:
                # A client's answer nobody waits for (docs/input.md).
                assert (answer.status, code) == (404, -32602)
            else:
                assert answer.status == expected_status(code, era), (
                    f"HTTP {answer.status} for {code} in the {era} era"
                )
        if code == -32603:
            assert error["message"] == "Internal error"
            assert "data" not in error
    else:
        assert answer.status == 200
        assert isinstance(final["result"], dict)
    if isinstance(message, dict):
        sent_id = message.get("id", None)
        valid = isinstance(sent_id, (str, int)) and not isinstance(sent_id, bool)
        if valid and "result" in final:
            assert final["id"] == sent_id
        if not valid:
            assert final["id"] is None, f"echoed an invalid id {final['id']!r}"
