"""Both eras on the wire: era classification, envelope and header checks, result shapes."""

from __future__ import annotations

import base64
import json
import logging
from typing import Annotated, Any

import pytest
from pydantic import Field

from agentcore_mcp import AgentCoreMCP, CachingHints, Context, Limits, ProtocolError, ToolError, tool
from agentcore_mcp.server._envelope import decode_header_value
from agentcore_mcp.server._input import InputRequired
from agentcore_mcp.server._local import serve_in_thread

from .helpers import MODERN, legacy_request, modern_meta, modern_request, post, raw_post, rpc_error

CALL = {"name": "add_numbers", "arguments": {"a": 20, "b": 22}}
SERVER_INFO = {"name": "demo", "version": "1.0.0"}


# -- legacy era -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "answered"),
    [
        ("2025-11-25", "2025-11-25"),
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("2024-11-05", "2024-11-05"),
        ("1999-01-01", "2025-11-25"),
        ("2026-07-28", "2025-11-25"),
    ],
)
def test_initialize_negotiates_the_version(demo_url: str, requested: str, answered: str) -> None:
    result = post(
        demo_url,
        legacy_request(
            "initialize",
            {"protocolVersion": requested, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
        ),
    ).json()["result"]
    assert result["protocolVersion"] == answered
    assert result["serverInfo"] == SERVER_INFO
    assert result["capabilities"]["tools"] == {"listChanged": False}
    assert "Arithmetic" in result["instructions"]
    assert "resultType" not in result


def test_initialize_without_a_version_is_invalid_params(demo_url: str) -> None:
    assert rpc_error(post(demo_url, legacy_request("initialize", {"capabilities": {}}))) == (200, -32602)


def test_ping_answers_an_empty_object(demo_url: str) -> None:
    assert post(demo_url, legacy_request("ping")).json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


def test_logging_set_level_succeeds_and_validates_the_level(demo_url: str) -> None:
    assert post(demo_url, legacy_request("logging/setLevel", {"level": "debug"})).json()["result"] == {}
    assert rpc_error(post(demo_url, legacy_request("logging/setLevel", {"level": "loud"}))) == (200, -32602)


def test_legacy_results_carry_no_modern_fields(demo_url: str) -> None:
    listed = post(demo_url, legacy_request("tools/list")).json()["result"]
    assert set(listed) == {"tools"}
    called = post(demo_url, legacy_request("tools/call", CALL)).json()["result"]
    assert called == {
        "content": [{"type": "text", "text": "42"}],
        "structuredContent": {"result": 42},
        "isError": False,
    }


def test_legacy_requests_with_each_handshake_version_header_are_served(demo_url: str) -> None:
    for version in ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"):
        response = post(
            demo_url, legacy_request("tools/call", CALL), headers={"MCP-Protocol-Version": version}
        )
        assert response.json()["result"]["structuredContent"] == {"result": 42}


# -- modern era -----------------------------------------------------------------------------------------


def test_discover_describes_the_server(demo_url: str) -> None:
    body, headers = modern_request("server/discover")
    result = post(demo_url, body, headers=headers).json()["result"]
    assert result["resultType"] == "complete"
    assert result["supportedVersions"][0] == MODERN
    assert "2025-11-25" in result["supportedVersions"]
    assert result["capabilities"]["tools"] == {"listChanged": True}  # delivered on subscriptions/listen
    assert result["ttlMs"] == 0
    assert result["cacheScope"] == "private"
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"] == SERVER_INFO


def test_modern_results_carry_result_type_stamp_and_cache_hints(demo_url: str) -> None:
    body, headers = modern_request("tools/list")
    listed = post(demo_url, body, headers=headers).json()["result"]
    assert listed["resultType"] == "complete"
    assert (listed["ttlMs"], listed["cacheScope"]) == (0, "private")
    assert listed["_meta"]["io.modelcontextprotocol/serverInfo"] == SERVER_INFO
    body, headers = modern_request("tools/call", CALL)
    called = post(demo_url, body, headers=headers).json()["result"]
    assert called["resultType"] == "complete"
    assert called["structuredContent"] == {"result": 42}
    assert called["_meta"]["io.modelcontextprotocol/serverInfo"] == SERVER_INFO


@pytest.mark.parametrize(
    "method", ["initialize", "ping", "logging/setLevel", "resources/subscribe", "unknown/method"]
)
def test_methods_outside_the_modern_table_are_404_method_not_found(demo_url: str, method: str) -> None:
    body, headers = modern_request(method, {"protocolVersion": "2025-11-25", "capabilities": {}})
    response = post(demo_url, body, headers=headers)
    assert rpc_error(response) == (404, -32601)
    assert response.json()["id"] == 1


def _modern(
    demo_url: str,
    method: str,
    params: dict[str, object] | None = None,
    *,
    meta: dict[str, object] | None = None,
    drop: tuple[str, ...] = (),
    **header_overrides: str,
) -> tuple[int, int]:
    body, headers = modern_request(method, params)
    if meta is not None:
        body["params"]["_meta"] = meta
    for name in drop:
        headers.pop(name, None)
    headers.update({k.replace("_", "-"): v for k, v in header_overrides.items()})
    return rpc_error(post(demo_url, body, headers=headers))


def test_missing_meta_envelope_is_invalid_params(demo_url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 3, "method": "server/discover", "params": {}}
    response = post(demo_url, body, headers={"MCP-Protocol-Version": MODERN, "Mcp-Method": "server/discover"})
    assert rpc_error(response) == (400, -32602)
    assert response.json()["id"] == 3


@pytest.mark.parametrize(
    "key", ["io.modelcontextprotocol/protocolVersion", "io.modelcontextprotocol/clientCapabilities"]
)
def test_missing_envelope_keys_are_invalid_params(demo_url: str, key: str) -> None:
    meta = modern_meta()
    del meta[key]
    assert _modern(demo_url, "server/discover", meta=meta) == (400, -32602)


def test_client_info_is_optional(demo_url: str) -> None:
    meta = modern_meta()
    del meta["io.modelcontextprotocol/clientInfo"]
    body, headers = modern_request("server/discover")
    body["params"]["_meta"] = meta
    assert post(demo_url, body, headers=headers).status_code == 200


def test_wrongly_typed_envelope_values_are_invalid_params(demo_url: str) -> None:
    assert _modern(
        demo_url, "tools/list", meta={**modern_meta(), "io.modelcontextprotocol/clientCapabilities": []}
    ) == (400, -32602)


def test_missing_or_mismatched_version_header_is_header_mismatch(demo_url: str) -> None:
    assert _modern(demo_url, "tools/list", drop=("MCP-Protocol-Version",)) == (400, -32020)
    assert _modern(demo_url, "tools/list", MCP_Protocol_Version="2025-11-25") == (400, -32020)


def test_mismatch_is_reported_before_an_unsupported_body_version(demo_url: str) -> None:
    meta = {**modern_meta(), "io.modelcontextprotocol/protocolVersion": "v999.0.0"}
    assert _modern(demo_url, "server/discover", meta=meta) == (400, -32020)


def test_unsupported_version_is_32022_with_supported_and_requested(demo_url: str) -> None:
    body, headers = modern_request("server/discover")
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
    headers["MCP-Protocol-Version"] = "2099-01-01"
    response = post(demo_url, body, headers=headers)
    assert rpc_error(response) == (400, -32022)
    data = response.json()["error"]["data"]
    assert data["requested"] == "2099-01-01"
    assert MODERN in data["supported"]


@pytest.mark.parametrize("value", [None, "prompts/list", "TOOLS/LIST"])
def test_mcp_method_header_must_match_exactly(demo_url: str, value: str | None) -> None:
    if value is None:
        assert _modern(demo_url, "tools/list", drop=("Mcp-Method",)) == (400, -32020)
    else:
        assert _modern(demo_url, "tools/list", Mcp_Method=value) == (400, -32020)


def test_header_names_are_case_insensitive(demo_url: str) -> None:
    body, _ = modern_request("tools/list")
    response = post(demo_url, body, headers={"mcp-protocol-version": MODERN, "MCP-METHOD": "tools/list"})
    assert response.status_code == 200


def test_mcp_name_must_match_the_tool(demo_url: str) -> None:
    assert _modern(demo_url, "tools/call", CALL, drop=("Mcp-Name",)) == (400, -32020)
    assert _modern(demo_url, "tools/call", CALL, Mcp_Name="multiply_numbers") == (400, -32020)


@pytest.mark.parametrize("version", ["2025-11-25", None])
def test_the_handshake_era_ignores_routing_headers_and_runs_the_bodys_tool(
    demo_url: str, version: str | None
) -> None:
    # The 2025 revisions define no Mcp-Name or Mcp-Method: a handshake-era request is routed by its body
    # alone, so a mismatching header neither refuses it nor picks another tool (docs/wire.md).
    initialized = post(
        demo_url,
        legacy_request(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        ),
    )
    assert initialized.json()["result"]["protocolVersion"] == "2025-11-25"
    headers = {"Mcp-Session-Id": "session-1", "Mcp-Name": "multiply_numbers", "Mcp-Method": "tools/list"}
    if version is not None:
        headers["MCP-Protocol-Version"] = version
    response = post(demo_url, legacy_request("tools/call", CALL, id=2), headers=headers)
    assert response.status_code == 200
    assert response.json()["result"]["structuredContent"] == {"result": 42}  # add_numbers(20, 22), not 440


def test_mcp_name_surrounding_whitespace_is_not_part_of_the_value(demo_url: str) -> None:
    body, headers = modern_request("tools/call", CALL)
    headers["Mcp-Name"] = "  add_numbers  "
    sent = [
        ("Accept", "application/json, text/event-stream"),
        ("Content-Type", "application/json"),
        *headers.items(),
    ]
    status, payload = raw_post(demo_url, json.dumps(body).encode(), sent)
    assert status == 200
    assert json.loads(payload)["result"]["structuredContent"] == {"result": 42}


def test_mcp_name_base64_form_is_decoded(demo_url: str) -> None:
    body, headers = modern_request("tools/call", CALL)
    headers["Mcp-Name"] = "=?base64?" + base64.b64encode(b"add_numbers").decode() + "?="
    assert post(demo_url, body, headers=headers).status_code == 200


def test_duplicate_routing_headers_are_header_mismatch(demo_url: str) -> None:
    import httpx

    body, _headers = modern_request("tools/list")
    raw = [
        ("Accept", "application/json, text/event-stream"),
        ("Content-Type", "application/json"),
        ("MCP-Protocol-Version", MODERN),
        ("Mcp-Method", "tools/list"),
        ("Mcp-Method", "tools/list"),
    ]
    response = httpx.post(demo_url, content=json.dumps(body), headers=raw)
    assert rpc_error(response) == (400, -32020)


@pytest.mark.parametrize(
    ("value", "decoded"),
    [
        ("plain", "plain"),
        ("=?base64?SGVsbG8=?=", "Hello"),
        ("=?base64?SGVsbG8?=", None),
        ("=?base64?SGVs!!!bG8=?=", None),
        ("=?base64?SGVsbG8=", "=?base64?SGVsbG8="),
        ("=?base64?/w==?=", None),
    ],
)
def test_header_value_decoding(value: str, decoded: str | None) -> None:
    assert decode_header_value(value) == decoded


def test_modern_notifications_get_202(demo_url: str) -> None:
    body = {
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": {"_meta": modern_meta(), "requestId": 1},
    }
    response = post(
        demo_url, body, headers={"MCP-Protocol-Version": MODERN, "Mcp-Method": "notifications/cancelled"}
    )
    assert response.status_code == 202


# -- pagination and caching hints -------------------------------------------------------------------------


def _numbered_app(count: int, **options: object) -> AgentCoreMCP:
    app = AgentCoreMCP("many", **options)  # type: ignore[arg-type]
    for i in range(count):

        def fn(x: int) -> int:
            return x

        app.add_tool(fn, name=f"tool_{i:03d}")
    return app


def test_tools_list_paginates_with_an_opaque_cursor_and_rejects_a_forged_one() -> None:
    with serve_in_thread(
        _numbered_app(5, limits=Limits(page_size=2), caching=CachingHints(list_ttl_ms=60_000, scope="public"))
    ) as base:
        url = f"{base}/mcp"
        names: list[str] = []
        cursor = None
        pages = 0
        while True:
            params = {"cursor": cursor} if cursor else {}
            body, headers = modern_request("tools/list", params)
            result = post(url, body, headers=headers).json()["result"]
            assert (result["ttlMs"], result["cacheScope"]) == (60_000, "public")
            names += [t["name"] for t in result["tools"]]
            pages += 1
            cursor = result.get("nextCursor")
            if cursor is None:
                break
        assert pages == 3
        assert names == [f"tool_{i:03d}" for i in range(5)]
        for forged in ("garbage", "bzo5OTk=", 12):
            assert rpc_error(post(url, legacy_request("tools/list", {"cursor": forged}))) == (200, -32602)


def test_tool_order_is_deterministic(demo_url: str) -> None:
    first = post(demo_url, legacy_request("tools/list")).json()["result"]["tools"]
    for _ in range(3):
        assert post(demo_url, legacy_request("tools/list")).json()["result"]["tools"] == first


# -- the tools/call lane (Protocol.answer_now, answer_soon) answers exactly as handle does------------------------------

RAN: list[str] = []  # the lane's tools that were called


def _lane_app() -> AgentCoreMCP:
    @tool(sync_to_thread=False)
    def add(a: int, b: int) -> int:
        RAN.append("add")
        return a + b

    @tool(sync_to_thread=False)
    def boom() -> int:
        raise RuntimeError("secret detail")

    @tool(sync_to_thread=False)
    def refuse() -> str:
        raise ToolError("not today")

    @tool(sync_to_thread=False)
    def deliberate() -> str:
        raise ProtocolError(-32021, "Missing capability", data={"requiredCapabilities": {"sampling": {}}})

    @tool(sync_to_thread=False)
    def asks() -> str:
        raise InputRequired({})

    @tool(sync_to_thread=False)
    def exits() -> str:
        raise SystemExit(3)

    @tool(sync_to_thread=False)
    def text(n: int) -> str:
        return "x" * n

    @tool(sync_to_thread=False)
    def nan() -> float:
        return float("nan")

    @tool(sync_to_thread=False)
    def lone_surrogate() -> str:
        return "\ud800"

    @tool(sync_to_thread=False)
    def logs(a: int) -> int:
        logging.getLogger("agentcore_mcp.test").warning("inside the lane")
        return a

    @tool
    def threaded(a: int) -> int:
        RAN.append("threaded")
        return a

    @tool(sync_to_thread=False)
    def with_context(a: int, ctx: Context) -> int:
        RAN.append("with_context")
        return a

    @tool
    async def awaits(a: int) -> int:
        RAN.append("awaits")
        return a

    @tool(sync_to_thread=False)
    def mirrored(region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})]) -> str:
        RAN.append("mirrored")
        return region

    @tool
    async def reports(a: int, ctx: Context) -> int:
        RAN.append("reports")
        await ctx.report_progress(1, 2, "half")
        await ctx.info({"a": a})
        logging.getLogger("agentcore_mcp.test").warning("inside the tool")
        return a

    @tool
    async def async_boom(ctx: Context) -> int:
        await ctx.report_progress(1)
        raise RuntimeError("secret detail")

    @tool
    async def async_asks(ctx: Context) -> str:
        raise InputRequired({})

    @tool
    async def elicits(ctx: Context) -> str:
        answer = await ctx.elicit("name?", {"type": "object", "properties": {"n": {"type": "string"}}})
        return answer.action

    @tool
    async def async_deliberate() -> str:
        raise ProtocolError(-32021, "Missing capability", data={"requiredCapabilities": {"roots": {}}})

    @tool(timeout=5)
    async def timed(a: int) -> int:
        return a

    @tool
    async def facts(ctx: Context) -> dict[str, Any]:
        await ctx.debug("a debug line")  # sent only where the client's level admits it
        return {
            "version": ctx.protocol_version,
            "era": ctx.era,
            "meta": dict(ctx.meta),
            "capabilities": dict(ctx.client_capabilities),
            "info": ctx.client_info,
            "streams": ctx.can_stream,
            "id": ctx.request_id,
            "progress": ctx.progress_token,
        }

    tools = [add, boom, refuse, deliberate, asks, exits, text, nan, lone_surrogate, logs, threaded]
    waits = [reports, async_boom, async_asks, elicits, async_deliberate, timed, facts]
    return AgentCoreMCP("lane", tools=[*tools, with_context, awaits, mirrored, *waits])


def _headers(modern: bool, name: str, **extra: str) -> Any:
    from agentcore_mcp.server._request_headers import RequestHeaders

    raw = [(b"accept", b"application/json, text/event-stream"), (b"content-type", b"application/json")]
    if modern:
        raw += [(b"mcp-protocol-version", MODERN.encode()), (b"mcp-method", b"tools/call")]
        if "mcp-name" not in extra:  # (an extra Mcp-Name replaces it: a mismatch, not a repeated header)
            raw += [(b"mcp-name", name.encode())]
    raw += [(k.encode(), v.encode()) for k, v in extra.items()]
    return RequestHeaders(raw)


def _wire(reply: Any) -> tuple[int, bytes]:
    if isinstance(reply, bytes):
        return 200, reply
    body = reply.body if isinstance(reply.body, bytes) else b"".join(reply.body)
    return reply.status, body


_LANE_CALLS = [
    ("add", {"a": 2, "b": 3}, 7),
    ("add", {"a": 2, "b": 3}, "req-1"),  # a string id
    ("add", {"a": "two", "b": 3}, 7),  # a validation error: an isError result
    ("add", None, 7),
    ("boom", {}, 7),  # -> isError without the detail
    ("refuse", {}, 7),
    ("deliberate", {}, 7),  # a JSON-RPC error (HTTP 400 in the modern era)
    ("asks", {}, 7),  # a function without a Context cannot pause: -32603
    ("exits", {}, 7),
    ("text", {"n": 5}, 7),
    ("text", {"n": 3_000_000}, 7),  # a huge text: encoded in pieces
    ("nan", {}, 7),
    ("lone_surrogate", {}, 7),  # unencodable: an isError result
]


@pytest.mark.parametrize("modern", [False, True], ids=["legacy", "modern"])
@pytest.mark.parametrize(("name", "arguments", "request_id"), _LANE_CALLS)
async def test_the_immediate_lane_answers_as_handle_does(
    modern: bool, name: str, arguments: Any, request_id: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from agentcore_mcp.server._responder import Responder
    from agentcore_mcp.server._sending import PacedSend

    protocol = _lane_app()._edge.protocol
    params: dict[str, Any] = {"name": name}
    if arguments is not None:
        params["arguments"] = arguments
    if modern:
        params["_meta"] = modern_meta()
    message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}
    headers = _headers(modern, name)

    async def discard(message: Any) -> None:
        raise AssertionError("nothing may be sent")

    with caplog.at_level(logging.INFO, logger="agentcore_mcp"):
        now = protocol.answer_now(message, headers)
        assert now is not None
        lane_logs = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
        caplog.clear()
        handled = await protocol.handle(message, headers, Responder(PacedSend(discard, None)))
        handle_logs = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]

    assert _wire(now) == _wire(handled)
    assert lane_logs == handle_logs
    _status, body = _wire(now)
    answer = json.loads(body)
    assert answer["id"] == request_id
    if "result" in answer:
        assert ("resultType" in answer["result"]) is modern
    assert b"secret detail" not in body


def test_the_immediate_lane_sets_the_log_ids(caplog: pytest.LogCaptureFixture) -> None:
    from agentcore_mcp.server._identity import RequestContextFilter

    protocol = _lane_app()._edge.protocol
    message = {
        "jsonrpc": "2.0",
        "id": 42,
        "method": "tools/call",
        "params": {"name": "logs", "arguments": {"a": 1}},
    }
    caplog.handler.addFilter(RequestContextFilter())
    with caplog.at_level(logging.WARNING, logger="agentcore_mcp.test"):
        assert isinstance(
            protocol.answer_now(message, _headers(False, "logs", **{"mcp-session-id": "s-1"})), bytes
        )
    record = next(r for r in caplog.records if r.getMessage() == "inside the lane")
    assert (record.mcp_session_id, record.mcp_request_id, record.mcp_method) == ("s-1", "42", "tools/call")  # type: ignore[attr-defined]


def _lane_declines() -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    meta = modern_meta()
    asking_meta = {**meta, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}}
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
    add = {"name": "add", "arguments": {"a": 1, "b": 2}}
    modern_add = {**add, "_meta": meta}
    return [
        ("a notification", {"jsonrpc": "2.0", "method": "tools/call", "params": add}, {}),
        ("a null id", {**call, "id": None, "params": add}, {}),
        ("a boolean id", {**call, "id": True, "params": add}, {}),
        ("a float id", {**call, "id": 1.5, "params": add}, {}),
        ("no jsonrpc", {"id": 1, "method": "tools/call", "params": add}, {}),
        ("params a list", {**call, "params": [1, 2]}, {}),
        ("an unknown tool", {**call, "params": {"name": "nope"}}, {}),
        (
            "a Context tool of a client that can be asked (modern: it may pause)",
            {**call, "params": {"name": "with_context", "arguments": {"a": 1}, "_meta": asking_meta}},
            {},
        ),
        ("arguments not an object", {**call, "params": {"name": "add", "arguments": [1, 2]}}, {}),
        ("identity headers", {**call, "params": add}, {"workloadaccesstoken": "t"}),
        ("a mismatched Mcp-Name", {**call, "params": modern_add}, {"mcp-name": "other"}),
        ("a repeated Mcp-Method", {**call, "params": modern_add}, {"mcp-method": "tools/call"}),
        (
            "an unsupported modern version",
            {
                **call,
                "params": {**add, "_meta": {**meta, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}},
            },
            {},
        ),
        ("a requestState", {**call, "params": {**modern_add, "requestState": "x"}}, {}),
        ("inputResponses", {**call, "params": {**modern_add, "inputResponses": {}}}, {}),
        (
            "a modern tool with Mcp-Param headers",
            {**call, "params": {"name": "mirrored", "arguments": {"region": "eu"}, "_meta": meta}},
            {"mcp-param-region": "eu"},
        ),
        ("another method", {**call, "method": "tools/list", "params": {}}, {}),
    ]


@pytest.mark.parametrize(
    ("why", "message", "extra"), _lane_declines(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_the_immediate_lane_leaves_everything_else_to_handle(
    why: str, message: Any, extra: dict[str, str]
) -> None:
    protocol = _lane_app()._edge.protocol
    params = message.get("params")
    modern = isinstance(params, dict) and "_meta" in params
    name = params.get("name") if isinstance(params, dict) else None
    RAN.clear()
    assert protocol.answer_now(message, _headers(modern, str(name), **extra)) is None, why
    assert RAN == [], f"{why}: declined after running the tool"


_SOON_CALLS = [
    ("threaded", {"a": 4}),  # a def in a worker thread
    ("awaits", {"a": 4}),
    ("with_context", {"a": 4}),  # a def on the loop that takes a Context
    ("reports", {"a": 4}),  # progress and a log message before the result: an SSE stream
    ("reports", {"a": "four"}),  # a validation error
    ("async_boom", {}),  # raises after a progress event
    ("async_asks", {}),  # asks where it cannot: -32603
    ("async_deliberate", {}),
    ("timed", {"a": 4}),
]
_INFO = {"io.modelcontextprotocol/clientInfo": {"name": "c", "version": "1"}}
# (modern, name, arguments, extra headers, extra _meta); a handshake-era elicitation would wait for the
# client's answer on the stream, so it is asked only in the modern era
_SOON: list[tuple[bool, str, Any, dict[str, str], dict[str, Any]]] = [
    *((modern, name, arguments, {}, {}) for modern in (False, True) for name, arguments in _SOON_CALLS),
    (True, "elicits", {}, {}, {}),  # asks a client that declared no capability to answer: -32021
    (False, "facts", {}, {}, {}),  # no MCP-Protocol-Version header: the latest handshake version
    (False, "facts", {}, {"mcp-protocol-version": "2025-06-18"}, {}),
    (False, "facts", {}, {"mcp-protocol-version": "2025-03-26"}, {"other": 1}),
    (True, "facts", {}, {}, {"io.modelcontextprotocol/logLevel": "debug", **_INFO}),
    (True, "facts", {}, {}, {"io.modelcontextprotocol/clientCapabilities": {"experimental": {}}}),
]


class _Recorder:
    """A Responder's send: what was written, in order."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def __call__(self, message: Any) -> None:
        self.sent.append({k: v for k, v in message.items()})


@pytest.mark.parametrize(("modern", "name", "arguments", "extra", "meta"), _SOON)
async def test_a_tool_that_must_be_awaited_is_answered_soon_as_handle_answers_it(
    modern: bool,
    name: str,
    arguments: Any,
    extra: dict[str, str],
    meta: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """answer_now admits it without running it; answer_soon then writes and answers what handle would."""
    from agentcore_mcp.server._protocol import Soon
    from agentcore_mcp.server._responder import Responder
    from agentcore_mcp.server._sending import PacedSend

    protocol = _lane_app()._edge.protocol
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if modern:
        params["_meta"] = {**modern_meta(), "progressToken": "p-1", **meta}
    else:
        params["_meta"] = {"progressToken": "p-1", **meta}
    message = {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": params}
    headers = _headers(modern, name, **extra)
    answers = []
    for lane in (True, False):
        RAN.clear()
        written = _Recorder()
        responder = Responder(PacedSend(written, None), None)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="agentcore_mcp"):
            if lane:
                soon = protocol.answer_now(message, headers)
                assert type(soon) is Soon
                assert RAN == [], "admitted after running the tool"
                reply = await protocol.answer_soon(soon, headers, responder)
            else:
                reply = await protocol.handle(message, headers, responder)
        logs = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
        answers.append((_wire(reply), written.sent, logs, list(RAN)))
    assert answers[0] == answers[1]
    (_status, body), _sent, _logs, _ran = answers[0]
    assert b"secret detail" not in body
    assert json.loads(body)["id"] == 9
    if name == "facts":  # what the Context was given, through both ways alike: spelled out once here
        facts = json.loads(body)["result"]["structuredContent"]
        version = extra.get("mcp-protocol-version", "2025-11-25") if not modern else MODERN
        assert (facts["version"], facts["era"], facts["streams"], facts["id"]) == (
            version,
            "legacy" if not modern else "modern",
            True,
            9,
        )
        assert facts["meta"] == params["_meta"]


async def test_the_edge_streams_a_soon_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over ASGI, by answer_soon (handle is not called): the progress event, the log event and the result
    as one SSE stream."""
    app = _lane_app()
    sent: list[dict[str, Any]] = []

    async def not_handle(*args: Any) -> Any:
        raise AssertionError("the lane's request went to handle")

    monkeypatch.setattr(app._edge.protocol, "handle", not_handle)

    async def send(message: Any) -> None:
        sent.append(message)

    params = {"name": "reports", "arguments": {"a": 5}, "_meta": {"progressToken": 1}}
    body = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": params}).encode()
    delivered = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Any:
        return delivered.pop(0) if delivered else {"type": "http.disconnect"}

    headers = _headers(False, "reports").raw
    await app({"type": "http", "method": "POST", "path": "/mcp", "headers": headers}, receive, send)
    start, *bodies = sent
    assert start["status"] == 200
    assert dict(start["headers"])[b"content-type"] == b"text/event-stream"
    events = [
        json.loads(line[len(b"data: ") :])
        for line in b"".join(m["body"] for m in bodies).split(b"\n")
        if line.startswith(b"data: ")
    ]
    assert [e.get("method") for e in events] == ["notifications/progress", "notifications/message", None]
    assert events[0]["params"] == {"progressToken": 1, "progress": 1, "total": 2, "message": "half"}
    assert events[-1]["result"]["structuredContent"] == {"result": 5}
    assert bodies[-1].get("more_body", False) is False


def test_the_immediate_lane_is_off_in_session_mode_with_an_extension_and_when_tracing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agentcore_mcp import telemetry
    from agentcore_mcp.server._tasks._extension import Tasks
    from examples.demo_server import add_numbers

    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add_numbers"}}
    plain = AgentCoreMCP("plain", tools=[add_numbers])
    assert isinstance(plain._edge.protocol.answer_now(message, _headers(False, "add_numbers")), bytes)
    stateful = AgentCoreMCP("stateful", tools=[add_numbers], sessions=True)
    assert stateful._edge.protocol.answer_now(message, _headers(False, "add_numbers")) is None
    tasks = AgentCoreMCP("tasks", tools=[add_numbers], extensions=[Tasks()])
    assert tasks._edge.protocol.answer_now(message, _headers(False, "add_numbers")) is None
    monkeypatch.setattr(telemetry, "enabled", lambda: True)
    assert plain._edge.protocol.answer_now(message, _headers(False, "add_numbers")) is None
    monkeypatch.undo()

    @tool
    async def later(a: int) -> int:
        return a

    waits = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "later"}}
    from agentcore_mcp.server._protocol import Soon

    soon = AgentCoreMCP("plain", tools=[later])
    assert isinstance(soon._edge.protocol.answer_now(waits, _headers(False, "later")), Soon)
    for refused in (
        AgentCoreMCP("stateful", tools=[later], sessions=True),
        AgentCoreMCP("tasks", tools=[later], extensions=[Tasks()]),
    ):
        assert refused._edge.protocol.answer_now(waits, _headers(False, "later")) is None
    monkeypatch.setattr(telemetry, "enabled", lambda: True)
    assert soon._edge.protocol.answer_now(waits, _headers(False, "later")) is None


@pytest.mark.parametrize("modern", [False, True], ids=["legacy", "modern"])
async def test_the_edge_writes_the_lanes_answer(modern: bool) -> None:
    """Over ASGI: the lane's bytes with their length, and a lane Reply (a JSON-RPC error) with its status."""
    app = _lane_app()
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def call(name: str) -> tuple[int, dict[str, bytes], Any]:
        params: dict[str, Any] = {"name": name, "arguments": {}}
        if modern:
            params["_meta"] = modern_meta()
        body = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": params}).encode()
        delivered = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> Any:
            return delivered.pop(0) if delivered else {"type": "http.disconnect"}

        sent.clear()
        headers = _headers(modern, name).raw
        await app({"type": "http", "method": "POST", "path": "/mcp", "headers": headers}, receive, send)
        start, *bodies = sent
        answer = b"".join(m.get("body", b"") for m in bodies)
        return start["status"], dict(start["headers"]), json.loads(answer)

    status, headers, answer = await call("refuse")
    assert status == 200
    assert headers[b"content-type"] == b"application/json"
    assert int(headers[b"content-length"]) == len(json.dumps(answer, separators=(",", ":")).encode())
    assert answer["result"]["isError"] is True
    status, _headers_sent, answer = await call("deliberate")
    assert status == (400 if modern else 200)
    assert answer["error"]["code"] == -32021
