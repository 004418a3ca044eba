"""One HTTP edge for every server path, on real uvicorn on loopback.

The same table of requests runs against each server path: our ``AgentCoreMCP``, an mcp 2.x ``MCPServer``
behind ``agentcore_app``, and a PrefectHQ ``FastMCP`` server behind ``agentcore_app`` too. A new server path is one more entry in :data:`SERVER_PATHS`: a factory taking the
edge options (``allowed_hosts``) and returning the ASGI app. Each is also mounted in a Starlette app, as
docs/interop.md shows.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastmcp import FastMCP
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from agentcore_mcp import AgentCoreMCP
from agentcore_mcp._interop import agentcore_app
from agentcore_mcp.server._local import serve_in_thread
from tests.interop import demo, helpers

pytestmark = pytest.mark.mcp2

Factory = Callable[..., Any]


def ours(**edge: Any) -> Any:
    return AgentCoreMCP("edge", tools=[demo.add_numbers], **edge)


def sdk_mcpserver(**edge: Any) -> Any:
    server = MCPServer("edge")
    server.add_tool(demo.add_numbers)
    return agentcore_app(server, **edge)


def prefect_fastmcp(**edge: Any) -> Any:
    server = FastMCP("edge")
    server.tool(demo.add_numbers)
    return agentcore_app(server, **edge)


SERVER_PATHS = [
    pytest.param(ours, id="AgentCoreMCP"),
    pytest.param(sdk_mcpserver, id="agentcore_app-MCPServer"),
    pytest.param(prefect_fastmcp, id="agentcore_app-FastMCP"),
]

POD_IP = "10.0.7.21:8000"
CUSTOM_DOMAIN = "mcp.example.com"


@pytest.fixture(scope="module", params=SERVER_PATHS)
def base(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each server path with its default edge, served on loopback: the base URL."""
    with serve_in_thread(request.param()) as url:
        yield url


@pytest.fixture(params=SERVER_PATHS)
def factory(request: pytest.FixtureRequest) -> Factory:
    factory: Factory = request.param
    return factory


def _call(url: str, **headers: str) -> httpx.Response:
    return helpers.post(url, helpers.ADD, {**helpers.platform_headers(), **headers})


def _refused(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["id"] is None
    assert body["error"]["code"] == -32600
    assert body["error"]["message"].startswith(message)


def test_a_tools_call_with_both_accept_types_is_answered_200_json(base: str) -> None:
    answer = _call(base + "/mcp")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["result"]["structuredContent"] == {"result": 5}


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream", "text/html", ""])
def test_accept_without_both_types_is_406(base: str, accept: str) -> None:
    _refused(_call(base + "/mcp", Accept=accept), 406, "Not Acceptable")


@pytest.mark.parametrize("accept", ["*/*", "application/json;q=0.9, text/event-stream;q=0.8"])
def test_accept_wildcards_and_parameters_that_admit_both_are_served(base: str, accept: str) -> None:
    assert _call(base + "/mcp", Accept=accept).status_code == 200


@pytest.mark.parametrize(
    "host", [POD_IP, CUSTOM_DOMAIN, "bedrock-agentcore.eu-west-1.amazonaws.com", "localhost:8000"]
)
def test_any_host_is_accepted_by_default(base: str, host: str) -> None:
    assert _call(base + "/mcp", Host=host).status_code == 200


def test_a_host_allow_list_refuses_others_with_421_and_keeps_the_platform_and_localhost(
    factory: Factory,
) -> None:
    with serve_in_thread(factory(allowed_hosts=["*.example.com"])) as url:
        for host in (CUSTOM_DOMAIN, "bedrock-agentcore.us-east-1.amazonaws.com", "127.0.0.1:9"):
            assert _call(url + "/mcp", Host=host).status_code == 200, host
        for host in (POD_IP, "a.b.example.com", "bedrock-agentcore.us-east-1.amazonaws.com.evil.example"):
            _refused(_call(url + "/mcp", Host=host), 421, "Misdirected Request")
        # The health route answers whatever the Host: a kubelet probes a pod IP.
        assert httpx.get(url + "/ping", headers={"Host": POD_IP}).status_code == 200


def test_the_host_allow_list_is_read_from_the_environment_too(
    factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_ALLOWED_HOSTS", f" {CUSTOM_DOMAIN} ,")
    with serve_in_thread(factory()) as url:
        assert _call(url + "/mcp", Host=CUSTOM_DOMAIN).status_code == 200
        _refused(_call(url + "/mcp", Host=POD_IP), 421, "Misdirected Request")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_ping_is_healthy(base: str, method: str) -> None:
    answer = httpx.request(method, base + "/ping", headers={"Host": POD_IP})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    if method == "GET":
        assert answer.json() == {"status": "Healthy"}


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
def test_methods_other_than_post_on_the_endpoint_are_405_allow_post_at_once(base: str, method: str) -> None:
    headers = {**helpers.platform_headers(), "Accept": "text/event-stream"}
    # A short timeout: an SSE stream left open with no data would fail here, not hang.
    answer = httpx.request(method, base + "/mcp", headers=headers, timeout=3)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.content == b""


def test_a_foreign_origin_is_403_and_a_local_one_served(base: str) -> None:
    _refused(_call(base + "/mcp", Origin="https://evil.example"), 403, "Forbidden")
    assert _call(base + "/mcp", Origin="http://localhost:5173").status_code == 200


def test_the_trailing_slash_is_served_in_place_and_other_paths_are_404(base: str) -> None:
    answer = _call(base + "/mcp/")
    assert answer.status_code == 200, answer.status_code
    assert _call(base + "/invocations").status_code == 404


async def _home(request: Request) -> PlainTextResponse:
    return PlainTextResponse("home")


def _mounted(mcp_app: Any, routes: list[Any]) -> Starlette:
    """A Starlette app with ``routes``, running the lifespan of the SDK's or FastMCP's app inside
    ``mcp_app`` (Starlette runs only the outer app's; our own server needs none)."""
    inner = getattr(mcp_app, "app", None)
    while inner is not None and not isinstance(inner, Starlette):  # FastMCP's: under the body-limit wrapper
        inner = getattr(inner, "app", None)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if isinstance(inner, Starlette):
            async with inner.router.lifespan_context(inner):
                yield
        else:
            yield

    return Starlette(routes=routes, lifespan=lifespan)


def test_mounted_at_the_root_and_under_a_prefix_the_endpoint_is_served_without_a_redirect(
    factory: Factory,
) -> None:
    mcp_app = factory()
    app = _mounted(mcp_app, [Route("/", _home), Mount("/tools", app=mcp_app), Mount("/", app=mcp_app)])
    with serve_in_thread(app) as url:
        for path in ("/mcp", "/mcp/", "/tools/mcp", "/tools/mcp/"):
            answer = _call(url + path)
            assert answer.status_code == 200, (path, answer.status_code, answer.headers.get("location"))
            assert answer.json()["result"]["structuredContent"] == {"result": 5}
        for path in ("/ping", "/tools/ping"):
            ping = httpx.get(url + path)
            assert (ping.status_code, ping.json()) == (200, {"status": "Healthy"}), path
        get = httpx.get(url + "/tools/mcp", headers={"Accept": "text/event-stream"}, timeout=3)
        assert (get.status_code, get.headers["allow"]) == (405, "POST")
        assert httpx.get(url + "/").text == "home"


def test_a_mount_at_the_endpoint_path_gets_starlettes_307_which_is_why_the_docs_mount_at_the_root(
    factory: Factory,
) -> None:
    mcp_app = factory()
    with serve_in_thread(_mounted(mcp_app, [Mount("/mcp", app=mcp_app)])) as url:
        answer = _call(url + "/mcp")
        assert answer.status_code == 307
        assert answer.headers["location"].endswith("/mcp/")
