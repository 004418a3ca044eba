"""HostOriginCheck on its own (in process, any ASGI app behind it), and the interop module's import cost."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentcore_mcp._interop import HostOriginCheck, agentcore_app, sdk_major

ROOT = Path(__file__).resolve().parents[2]


class Echo:
    """An ASGI app that answers 200 with the path it saw, and completes lifespan startup/shutdown."""

    def __init__(self) -> None:
        self.lifespan: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                self.lifespan.append(message["type"])
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        body = json.dumps({"path": scope["path"]}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


class Missing:
    """An ASGI app with no routes: 404 with a text body for every request."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b'{"missing": true}'})


async def call(
    app: Any,
    *,
    host: str | None = "localhost:8000",
    origin: str | None = None,
    path: str = "/mcp",
    method: str = "POST",
    root_path: str = "",
    accept: str = "application/json, text/event-stream",
) -> tuple[int, dict[str, Any]]:
    headers = [(b"content-type", b"application/json"), (b"accept", accept.encode())]
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "headers": headers,
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = sent[-1]["body"]
    return sent[0]["status"], json.loads(body) if body else {}


WITH_A_LIST = ["mcp.example.com"]


@pytest.mark.parametrize(
    "host",
    [
        "bedrock-agentcore.us-west-2.amazonaws.com",
        "bedrock-agentcore.us-east-1.amazonaws.com:443",
        "BEDROCK-AGENTCORE.EU-CENTRAL-1.AMAZONAWS.COM",
        "bedrock-agentcore-fips.us-gov-west-1.amazonaws.com",
        "bedrock-agentcore.ap-southeast-2.api.aws",
        "bedrock-agentcore.cn-north-1.amazonaws.com.cn",
        "bedrock-agentcore.eusc-de-east-1.amazonaws.eu",
        "localhost",
        "localhost:8000",
        "127.0.0.1:8000",
        "[::1]:8000",
    ],
)
def test_agentcore_endpoints_and_localhost_stay_accepted_hosts_when_a_list_is_configured(host: str) -> None:
    assert HostOriginCheck(Echo(), allowed_hosts=WITH_A_LIST).host_allowed(host)


@pytest.mark.parametrize(
    "host",
    [
        None,
        "",
        "evil.example",
        "bedrock-agentcore.us-west-2.amazonaws.com.evil.example",
        "evil-bedrock-agentcore.us-west-2.amazonaws.com",
        "bedrock-agentcore.amazonaws.com",
        "bedrock-agentcore.us-west-2.evil.com",
        "bedrock-agentcore-control.us-west-2.amazonaws.com",
        "10.0.0.12:8000",
        "localhost.evil.example",
    ],
)
def test_other_hosts_are_refused_when_a_list_is_configured(host: str | None) -> None:
    assert not HostOriginCheck(Echo(), allowed_hosts=WITH_A_LIST).host_allowed(host)


@pytest.mark.parametrize("host", [None, "", "10.0.0.12:8000", "mcp.example.com", "evil.example"])
def test_without_a_list_any_host_is_accepted(host: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTCORE_MCP_ALLOWED_HOSTS", raising=False)
    assert HostOriginCheck(Echo()).host_allowed(host)
    assert HostOriginCheck(Echo(), allowed_hosts=["*", "mcp.example.com"]).host_allowed(host)


def test_extra_host_patterns_match_one_label_per_star_and_ignore_ports() -> None:
    check = HostOriginCheck(Echo(), allowed_hosts=["*.internal.example", "mcp.example.com:*", "10.0.0.12"])
    assert check.host_allowed("a.internal.example:9000")
    assert not check.host_allowed("a.b.internal.example")
    assert not check.host_allowed("internal.example")
    assert check.host_allowed("mcp.example.com")
    assert check.host_allowed("10.0.0.12:8000")
    assert HostOriginCheck(Echo(), allowed_hosts=["*"]).host_allowed("anything:1")


async def test_a_foreign_origin_gets_403_and_a_bad_host_421_with_json_rpc_bodies() -> None:
    app = HostOriginCheck(Echo(), allowed_hosts=WITH_A_LIST)
    status, body = await call(app, origin="https://evil.example")
    assert status == 403
    assert body["error"] == {"code": -32600, "message": "Forbidden: Origin not allowed"}
    status, body = await call(app, host="evil.example")
    assert status == 421
    assert body["error"]["message"] == "Misdirected Request: Host not allowed"
    assert (await call(app, host=None))[0] == 421


async def test_no_origin_and_localhost_origins_pass_and_more_come_from_arguments_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_ALLOWED_ORIGINS", "https://env.example, https://other.example")
    app = HostOriginCheck(Echo(), allowed_origins=["https://app.example/"])
    for origin in (
        None,
        "http://localhost:3000",
        "http://127.0.0.1",
        "https://app.example",
        "https://env.example",
    ):
        assert (await call(app, origin=origin))[0] == 200, origin
    strict = HostOriginCheck(Echo(), allow_localhost_origins=False)
    assert (await call(strict, origin="http://localhost:3000"))[0] == 403
    assert (await call(strict, origin="https://env.example"))[0] == 200


async def test_the_trailing_slash_path_is_served_in_place() -> None:
    app = HostOriginCheck(Echo(), path="/mcp")
    assert await call(app, path="/mcp/") == (200, {"path": "/mcp"})
    assert await call(app, path="/mcp") == (200, {"path": "/mcp"})
    assert await call(app, path="/other/") == (200, {"path": "/other/"})
    assert await call(HostOriginCheck(Echo(), path=None), path="/mcp/") == (200, {"path": "/mcp/"})


async def test_paths_are_relative_to_the_root_path_of_a_mount() -> None:
    app = HostOriginCheck(Echo(), path="/mcp")
    assert await call(app, path="/tools/mcp/", root_path="/tools") == (200, {"path": "/tools/mcp"})
    assert (await call(app, path="/tools/mcp", root_path="/tools", method="GET"))[0] == 405
    assert (await call(app, path="/tools/ping", root_path="/tools", method="GET", host="x")) == (
        200,
        {"path": "/tools/ping"},
    )


async def test_ping_is_the_apps_own_route_when_it_has_one_else_healthy() -> None:
    assert await call(HostOriginCheck(Echo()), path="/ping", method="GET") == (200, {"path": "/ping"})
    assert await call(HostOriginCheck(Missing()), path="/ping", method="GET") == (200, {"status": "Healthy"})
    assert await call(HostOriginCheck(Missing()), path="/ping", method="POST") == (404, {"missing": True})


async def test_the_endpoint_takes_only_post_unless_the_app_serves_more() -> None:
    for method in ("GET", "DELETE", "PATCH"):
        assert await call(HostOriginCheck(Echo()), method=method) == (405, {})
        assert await call(HostOriginCheck(Echo(), post_only=False), method=method) == (200, {"path": "/mcp"})
    # OPTIONS reaches the app, so CORS set up inside it answers preflights.
    assert await call(HostOriginCheck(Echo()), method="OPTIONS") == (200, {"path": "/mcp"})
    # Other paths are the app's business.
    assert await call(HostOriginCheck(Echo()), method="GET", path="/other") == (200, {"path": "/other"})


async def test_a_post_whose_accept_lacks_a_type_is_406() -> None:
    status, body = await call(HostOriginCheck(Echo()), accept="application/json")
    assert status == 406
    assert body["error"]["message"].startswith("Not Acceptable")
    assert (await call(HostOriginCheck(Echo()), accept="*/*"))[0] == 200


async def test_lifespan_events_reach_the_wrapped_app() -> None:
    echo = Echo()
    events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(events)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await HostOriginCheck(echo)({"type": "lifespan"}, receive, send)
    assert echo.lifespan == ["lifespan.startup", "lifespan.shutdown"]
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_a_websocket_from_a_foreign_origin_is_closed() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/mcp",
        "headers": [(b"host", b"localhost"), (b"origin", b"https://x.y")],
    }
    await HostOriginCheck(Echo())(scope, None, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_options_are_checked_when_the_app_is_built() -> None:
    with pytest.raises(TypeError, match="list of strings"):
        HostOriginCheck(Echo(), allowed_hosts="bedrock-agentcore.us-west-2.amazonaws.com")
    with pytest.raises(ValueError, match="must start with '/'"):
        agentcore_app(object(), path="mcp")


def test_sdk_major_reads_the_installed_distribution() -> None:
    assert sdk_major() == int(importlib.metadata.version("mcp").split(".")[0])


PROBE = r"""
import json, sys
import agentcore_mcp
from agentcore_mcp._interop import HostOriginCheck, agentcore_app, register_with, register_with_sdk
HostOriginCheck(agentcore_mcp.AgentCoreMCP("x"))
print(json.dumps(sorted(m for m in sys.modules if m.partition(".")[0] in ("mcp", "mcp_types", "fastmcp"))))
"""


def test_importing_the_interop_module_does_not_import_mcp_or_fastmcp() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
