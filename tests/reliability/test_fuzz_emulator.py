"""Property tests over the emulator's data plane: InvokeAgentRuntime and StopRuntimeSession with hostile
ARNs and runtime ids, qualifiers, session ids, headers, SigV4 and JWT variants, payload sizes and encodings;
in process (the emulator is an ASGI app; the MCP server behind it is the reliability app, in process too).

The oracle (``check_platform_answer``): nothing escapes the emulator, no 5xx, no CR/LF in a header, a
request id on every answer, and exactly one of three shapes, each as AgentCore gives it: an AWS API error
(``x-amzn-ErrorType`` + a JSON ``message``; 400 for ``ValidationException`` with a ``reason``, 403 for
signature and access errors, 404 for unknown runtimes, qualifiers and sessions, 405, 424 for runtime
errors), a JSON-RPC error from the platform (200 for -32003/-32005, 401 -32001 with a ``WWW-Authenticate``
challenge, 406 -32011), or the MCP server's own answer (which must pass the round-one oracle) with both
session ids. Credentials (tokens, signatures, the secret) never come back in an answer. Where the request
says what the answer must be (no such runtime, a bad session id length, a missing credential), the test
checks that answer exactly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from agentcore_mcp.emulator import Emulator, Runtime

from . import harness
from .apps import build_app
from .conftest import Runner, fuzz_settings, write_tally
from .strategies import check_answer, header_values, messages, printable

KEY_ID, SECRET = "AKIDFUZZEMULATOR", "fuzz-emulator-secret-value"
HOST = "127.0.0.1:8999"
BASE = f"http://{HOST}"
SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id"
API_STATUSES = {
    "ValidationException": {400},
    "ResourceNotFoundException": {404},
    "AccessDeniedException": {403},
    "InvalidSignatureException": {403},
    "UnrecognizedClientException": {403},
    "IncompleteSignatureException": {403},
    "MissingAuthenticationTokenException": {403},
    "RuntimeClientError": {424},
    "UnknownOperationException": {404},
}
PLATFORM_CODES = {-32001: {401}, -32003: {200}, -32005: {200}, -32011: {406}}


@dataclass
class Setup:
    emulator: Emulator
    open: Runtime
    sigv4: Runtime
    jwt: Runtime
    tally: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "Setup(...)"

    def count(self, label: str) -> None:
        self.tally[label] = self.tally.get(label, 0) + 1


@pytest.fixture(scope="module")
def setup(run: Runner) -> Iterator[Setup]:
    # Fuzzed requests carry user ids (signed, so the caller may act for users).
    emulator = Emulator(
        credentials={KEY_ID: SECRET}, control_plane=False, reap_interval=3600, invoke_for_user=True
    )
    emulator.bind(BASE)
    app = build_app()
    found = Setup(
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
    yield found
    run(emulator.shutdown)
    write_tally("emulator", sum(found.tally.values()), dict(sorted(found.tally.items())))


def secrets_token() -> str:
    """A session id as botocore makes one (a uuid4: 36 characters)."""
    return str(uuid.uuid4())


# -- what a request is made of -----------------------------------------------------------------------

arn_variants = st.sampled_from(
    [
        "{arn}",
        "{arn}",
        "{arn}",
        "{arn}/",
        "{arn}x",
        "{arn}%00",
        "{arn}/../{arn}",
        "{rid}",
        "{arn_other_region}",
        "{arn_other_account}",
        "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/",
        "arn:aws:bedrock-agentcore:::runtime/x",
        "arn:",
        "",
        " ",
        "%",
        "%%%",
        "%2F",
        "../../etc/passwd",
        "a" * 5000,
    ]
)


@st.composite
def identifier(draw: st.DrawFn, runtime: Runtime) -> tuple[str, bool | None]:
    """(the path segment, whether it names ``runtime``: None when that depends on how the path is read)."""
    pick = draw(st.integers(0, 9))
    template = "{arn}" if pick <= 5 else draw(arn_variants) if pick <= 8 else draw(printable)
    rid = runtime.arn.rsplit("/", 1)[-1]
    filled = (
        template.format(
            arn=runtime.arn,
            rid=rid,
            arn_other_region=runtime.arn.replace("us-east-1", "eu-west-1"),
            arn_other_account=runtime.arn.replace("123456789012", "000000000000"),
        )
        if "{" in template and template.count("{") == template.count("}")
        else template
    )
    named = filled in (runtime.arn, rid)
    encoding = draw(st.sampled_from(["quote"] * 7 + ["raw", "double", "lower-hex"]))
    if encoding == "quote":  # as botocore encodes it
        return quote(filled, safe=""), named
    if encoding == "double":
        return quote(quote(filled, safe=""), safe=""), None
    if encoding == "lower-hex":
        return quote(filled, safe="").replace("%3A", "%3a").replace("%2F", "%2f"), None
    return filled, None


qualifiers = st.one_of(
    *[st.none()] * 6,
    st.just("DEFAULT"),
    st.sampled_from(["blue", "", "default", "DEFAULT%00", "x" * 300, "a&qualifier=b"]),
    printable,
)
session_ids = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    st.builds(lambda: secrets_token()),
    st.builds(lambda: secrets_token()),
    st.integers(0, 300).map(lambda n: "s" * n),
    st.sampled_from(["a" * 32, "a" * 33, "a" * 256, "a" * 257, " " * 40, "é" * 40, "=?base64?" + "A" * 40]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=30, max_size=60),
)
mcp_session_ids = st.one_of(
    st.none(), st.none(), st.none(), st.none(), printable, st.just("m" * 1025), st.just("m" * 1024)
)
extra_headers = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "x-amzn-bedrock-agentcore-runtime-custom-tag",
                "x-amzn-bedrock-agentcore-runtime-custom-other",
                "x-amzn-bedrock-agentcore-runtime-user-id",
                "x-amzn-trace-id",
                "traceparent",
                "mcp-protocol-version",
                "content-encoding",
                "transfer-encoding",
                "x-forwarded-for",
                "host",
                "cookie",
            ]
        ),
        st.one_of(header_values, st.just("v" * 5000)),
    ),
    max_size=3,
)


@st.composite
def payloads(draw: st.DrawFn) -> tuple[bytes, Any]:
    """A body and the JSON-RPC message it carries (None when it is not one)."""
    kind = draw(st.integers(0, 7))
    if kind <= 3:
        message, _headers, _label = draw(messages())
        return json.dumps(message).encode(), message
    if kind == 4:
        big = "x" * draw(st.sampled_from([0, 1, 65_536, 1_000_000]))
        message = harness.legacy("tools/call", {"name": "echo", "arguments": {"text": big}})
        return harness.dumps(message), message
    if kind == 5:
        message = harness.legacy("ping")
        return json.dumps(message).encode("utf-16"), None
    if kind == 6:
        return draw(st.binary(max_size=200)), None
    return b"", None


@st.composite
def invocations(draw: st.DrawFn, setup: Setup) -> dict[str, Any]:
    runtime: Runtime = draw(st.sampled_from([setup.open, setup.open, setup.sigv4, setup.jwt]))
    segment, named = draw(identifier(runtime))
    qualifier = draw(qualifiers)
    operation = draw(st.sampled_from(["invocations"] * 5 + ["stopruntimesession"]))
    body, message = draw(payloads())
    headers: list[tuple[str, str]] = []
    accept = draw(
        st.sampled_from([harness.ACCEPT] * 5 + ["application/json", "*/*", "", "text/event-stream"])
    )
    if accept:
        headers.append(("accept", accept))
    headers.append(("content-type", draw(st.sampled_from(["application/json"] * 12 + ["text/plain", ""]))))
    rsid = draw(session_ids)
    if rsid is not None:
        headers.append((SESSION_HEADER, rsid))
    mcp_id = draw(mcp_session_ids)
    if mcp_id is not None:
        headers.append(("mcp-session-id", mcp_id))
    headers += draw(extra_headers)
    return {
        "runtime": runtime.name,
        "segment": segment,
        "named": named,
        "qualifier": qualifier,
        "operation": operation,
        "method": draw(st.sampled_from(["POST"] * 19 + ["GET", "PUT", "DELETE"])),
        "body": body,
        "message": message,
        "headers": headers,
        "rsid": rsid,
        "auth": draw(st.integers(0, 9)),
    }


def _sign(
    method: str, url: str, headers: list[tuple[str, str]], body: bytes, **options: Any
) -> list[tuple[str, str]]:
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(
        Credentials(options.get("key", KEY_ID), options.get("secret", SECRET)),
        options.get("service", "bedrock-agentcore"),
        options.get("region", "us-east-1"),
    ).add_auth(request)
    return [(k, v) for k, v in request.headers.items()]


def build_request(setup: Setup, case: dict[str, Any]) -> tuple[dict[str, Any], bytes, str, list[str]]:
    """The ASGI scope, the body, what the credentials were (a label), and the secrets that must not leak."""
    path = f"/runtimes/{case['segment']}/{case['operation']}"
    query = "" if case["qualifier"] is None else "qualifier=" + quote(case["qualifier"], safe="")
    headers = [("host", HOST), *case["headers"]]
    body: bytes = case["body"]
    secrets = [SECRET]
    auth = case["auth"]
    label = "none"
    url = BASE + path + ("?" + query if query else "")
    if (case["runtime"] == setup.sigv4.name and auth <= 5) or auth == 6:
        options: dict[str, Any] = {}
        label = "sigv4"
        if auth == 1:
            options["secret"], label = "wrong-secret", "sigv4 wrong secret"
        elif auth == 2:
            options["region"], label = "eu-west-1", "sigv4 other region"
        elif auth == 3:
            options["key"], label = "AKIDUNKNOWN", "sigv4 unknown key"
        signed = _sign(case["method"], url, headers, body, **options)
        if auth == 4:
            body, label = body + b" ", "sigv4 body changed"
        elif auth == 5:
            signed = [(k, v[:-4] + "0000") if k.lower() == "authorization" else (k, v) for k, v in signed]
            label = "sigv4 signature changed"
        secrets += [v.rsplit("Signature=", 1)[-1] for k, v in signed if k.lower() == "authorization"]
        headers = signed
    elif (case["runtime"] == setup.jwt.name and auth <= 6) or auth == 7:
        label = "jwt"
        if auth == 1:
            token, label = setup.emulator.mint_token(client_id="fuzz", expires_in=-120), "jwt expired"
        elif auth == 2:
            token, label = setup.emulator.mint_token(client_id="someone-else"), "jwt wrong client"
        elif auth == 3:
            token, label = (
                setup.emulator.mint_token(client_id="fuzz", issuer="https://evil.example"),
                "jwt wrong issuer",
            )
        elif auth == 4:
            token = setup.emulator.mint_token(client_id="fuzz")
            head, payload, signature = token.split(".")
            token, label = f"{head}.{payload}.{signature[:-6]}AAAAAA", "jwt bad signature"
        elif auth == 5:
            token, label = "not.a.jwt", "jwt garbage"
        else:
            token = setup.emulator.mint_token(client_id="fuzz")
        secrets.append(token.rsplit(".", 1)[-1])
        headers.append(("authorization", f"Bearer {token}"))
    elif auth == 8:
        headers.append(("authorization", "AWS4-HMAC-SHA256 Credential=garbage"))
        label = "garbage authorization"
    scope = harness.http_scope(case["method"], path, headers)
    scope["raw_path"] = path.encode("latin-1", "replace")
    scope["query_string"] = query.encode("latin-1", "replace")
    return scope, body, label, [s for s in secrets if len(s) >= 8]


# -- the oracle --------------------------------------------------------------------------------------


def check_platform_answer(answer: harness.Answer, secrets: list[str]) -> str:
    """Judge one emulator answer (raises AssertionError); returns its outcome label for the tally."""
    assert answer.raised is None, f"the emulator raised {answer.raised!r}"
    assert answer.complete, "the answer was never completed"
    assert answer.status < 500, f"HTTP {answer.status}: {answer.body[:300]!r}"
    everything = answer.body + b"".join(k + v for k, v in answer.headers)
    for secret in secrets:
        assert secret.encode() not in everything, "a credential came back in the answer"
    for marker in ("Traceback", 'File "', "site-packages"):
        assert marker.encode() not in answer.body, f"{marker} in the answer"
    if answer.status == 405:  # the route's own refusal, before any operation (no request id either)
        assert answer.header("allow") == "POST"
        return "405"
    error_type = answer.header("x-amzn-errortype")
    if error_type != "UnknownOperationException":  # a path no operation matched: a route refusal
        assert answer.header("x-amzn-requestid"), "no request id"
    if error_type is not None:
        assert answer.content_type == "application/json"
        body = json.loads(answer.body)
        assert isinstance(body.get("message"), str)
        assert error_type in API_STATUSES, f"unknown error type {error_type}"
        assert answer.status in API_STATUSES[error_type], f"{error_type} with HTTP {answer.status}"
        if error_type == "ValidationException":
            assert isinstance(body.get("reason"), str)
        return f"{answer.status} {error_type}"
    session = answer.header(SESSION_HEADER)
    mcp_session = answer.header("mcp-session-id")
    if answer.status == 200 and answer.body == b"{}" and mcp_session is None:  # StopRuntimeSession done
        assert session, "a stopped session's id is not echoed"
        return "200 stopped"
    if answer.content_type == "application/json" and answer.body:
        final = json.loads(answer.body)
        error = final.get("error") if isinstance(final, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        if code in PLATFORM_CODES and mcp_session is None:  # the platform answered, not the server
            assert answer.status in PLATFORM_CODES[code], f"JSON-RPC {code} with HTTP {answer.status}"
            if code == -32001:
                challenge = answer.header("www-authenticate") or ""
                assert challenge.startswith("Bearer "), challenge
            return f"{answer.status} platform {code}"
        if code == -32011:
            assert answer.status == 406
            return "406 platform -32011"
    # The MCP server's own answer, relayed: both session ids, and the round-one oracle.
    assert session is not None, f"a relayed answer without the runtime session id: {answer.status}"
    assert session, "an empty runtime session id"
    assert mcp_session is not None
    if answer.status in (200, 202) and answer.content_type == "application/json" and answer.body:
        code = answer.error_code()
        if code in (-32003, -32005):
            return f"{answer.status} platform {code}"
    check_answer(answer)
    if answer.status == 202:
        return "202 relayed"
    code = answer.error_code()
    return f"{answer.status} relayed " + ("result" if code is None else str(code))


def expectations(setup: Setup, case: dict[str, Any], label: str, answer: harness.Answer) -> None:
    """The answers the request itself determines."""
    error_type = answer.header("x-amzn-errortype")
    if case["segment"] == "":
        assert (answer.status, error_type) == (404, "UnknownOperationException")  # no runtime in the path
        return
    if case["method"] != "POST":
        assert answer.status == 405
        return
    if case["named"] is None:
        return  # a path encoded unlike botocore's: which runtime it names is the emulator's reading
    if label.startswith("sigv4") and not all(v.isascii() for _, v in case["headers"]):
        return  # how a signer canonicalises a non-ASCII header value is its own (http.client cannot send one)
    if case["runtime"] == setup.sigv4.name:
        credentials_ok = label == "sigv4"
    elif case["runtime"] == setup.jwt.name:
        credentials_ok = label == "jwt"
    else:
        credentials_ok = True  # an open runtime ignores credentials
    if not case["named"]:
        if label == "none":
            assert (answer.status, error_type) == (404, "ResourceNotFoundException")
        return
    if not credentials_ok:
        assert answer.status in (401, 403), (label, answer.status, answer.body[:200])
        return
    if case["qualifier"] == "":
        return  # "?qualifier=" reads as no qualifier here; AWS's reading is not documented
    qualifier = "DEFAULT" if case["qualifier"] is None else case["qualifier"]
    accepted = {"DEFAULT", *(setup.open.qualifiers if case["runtime"] == setup.open.name else ())}
    if qualifier not in accepted:
        assert (answer.status, error_type) == (404, "ResourceNotFoundException"), answer.body[:200]
        return
    rsid = case["rsid"]
    if rsid is not None and not 33 <= len(rsid.encode("utf-8").decode("latin-1")) <= 256:
        assert (answer.status, error_type) == (400, "ValidationException"), answer.body[:200]
        return
    sent_mcp_id = any(k == "mcp-session-id" for k, _ in case["headers"])
    # (With an Mcp-Session-Id too, the session that id names wins: botocore puts a fresh uuid4 in every
    # call that names no runtime session, so the MCP id is what keeps a boto3 caller on its session.)
    if (
        case["operation"] == "invocations"
        and rsid is not None
        and not sent_mcp_id
        and answer.header(SESSION_HEADER)
    ):
        assert answer.header(SESSION_HEADER) == rsid.encode("utf-8").decode("latin-1"), "session id not kept"


@fuzz_settings(600)
@given(data=st.data())
def test_fuzzed_invocations_get_platform_shaped_answers(
    run: Runner, setup: Setup, data: st.DataObject
) -> None:
    case = data.draw(invocations(setup))
    scope, body, label, secrets = build_request(setup, case)
    answer = run(harness.call, setup.emulator, scope, body, limit=30.0)
    outcome = check_platform_answer(answer, secrets)
    setup.count(f"{case['operation']} {outcome}")
    expectations(setup, case, label, answer)


def test_the_emulator_still_serves_after_the_fuzz(run: Runner, setup: Setup) -> None:
    path = f"/runtimes/{quote(setup.open.arn, safe='')}/invocations"
    scope = harness.http_scope(
        "POST", path, [("host", HOST), ("accept", harness.ACCEPT), ("content-type", "application/json")]
    )
    scope["query_string"] = b"qualifier=DEFAULT"
    answer = run(harness.call, setup.emulator, scope, harness.dumps(harness.legacy("ping", id=3)))
    assert answer.status == 200
    assert json.loads(answer.body) == {"jsonrpc": "2.0", "id": 3, "result": {}}
    assert answer.header(SESSION_HEADER)


def test_stop_runtime_session_with_hostile_ids_is_answered_as_aws_would(run: Runner, setup: Setup) -> None:
    path = f"/runtimes/{quote(setup.open.arn, safe='')}/stopruntimesession"
    for rsid, status, error in [
        (None, 400, "ValidationException"),
        ("a" * 32, 400, "ValidationException"),
        ("a" * 257, 400, "ValidationException"),
        ("b" * 40, 404, "ResourceNotFoundException"),
    ]:
        headers = [("host", HOST), ("content-type", "application/json")]
        if rsid is not None:
            headers.append((SESSION_HEADER, rsid))
        scope = harness.http_scope("POST", path, headers)
        answer = run(harness.call, setup.emulator, scope, b"{}")
        check_platform_answer(answer, [])
        assert (answer.status, answer.header("x-amzn-errortype")) == (status, error)
    # A session that exists stops once, then is not found.
    invoke = harness.http_scope(
        "POST",
        path.replace("stopruntimesession", "invocations"),
        [
            ("host", HOST),
            ("accept", harness.ACCEPT),
            ("content-type", "application/json"),
            (SESSION_HEADER, "c" * 40),
        ],
    )
    assert run(harness.call, setup.emulator, invoke, harness.dumps(harness.legacy("ping"))).status == 200
    stop = harness.http_scope(
        "POST", path, [("host", HOST), ("content-type", "application/json"), (SESSION_HEADER, "c" * 40)]
    )
    assert run(harness.call, setup.emulator, stop, b"{}").status == 200
    again = run(harness.call, setup.emulator, stop, b"{}")
    assert (again.status, again.header("x-amzn-errortype")) == (404, "ResourceNotFoundException")
