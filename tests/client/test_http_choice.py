"""Which transport the HTTPS backend's own client sends through, and when the choice does not apply.

docs/client.md (Targets and backends): ``AGENTCORE_MCP_HTTP_TRANSPORT`` or ``http_transport=`` chooses;
``auto`` is aiohttp when the ``fast`` extra is installed; a client of yours is never changed; a proxied URL
and a client built outside asyncio stay on httpx's transport.
"""

from __future__ import annotations

import importlib.util

import httpx
import pytest

from agentcore_mcp.client import AgentCoreTransport, BearerAuth
from agentcore_mcp.client import _aiohttp as aiohttp_choice
from agentcore_mcp.client._httpx import HttpxBackend

pytestmark = pytest.mark.mcp1

needs_aiohttp = pytest.mark.skipif(
    importlib.util.find_spec("httpx_aiohttp") is None,
    reason="httpx-aiohttp (the fast extra) is not installed",
)
URL = "http://127.0.0.1:9/mcp"


@pytest.fixture(autouse=True)
def no_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AGENTCORE_MCP_HTTP_TRANSPORT", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@needs_aiohttp
async def test_auto_is_aiohttp_when_installed_and_httpx_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = HttpxBackend(URL)
    assert backend.client is not None
    assert backend.sends_with == "aiohttp"
    await backend.aclose()
    monkeypatch.setattr(aiohttp_choice, "installed", lambda: False)
    backend = HttpxBackend(URL)
    assert backend.client is not None
    assert backend.sends_with == "httpx"
    assert type(backend._direct) is httpx.AsyncHTTPTransport


@needs_aiohttp
@pytest.mark.parametrize("value", ["httpx", "aiohttp", " AIOHTTP "])
async def test_the_variable_and_the_keyword_choose(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_HTTP_TRANSPORT", value)
    backend = AgentCoreTransport(URL).backend
    assert backend.client is not None  # type: ignore[attr-defined]
    assert backend.sends_with == value.strip().lower()  # type: ignore[attr-defined]
    other = "httpx" if value.strip().lower() == "aiohttp" else "aiohttp"
    mine = HttpxBackend(URL, http_transport=other)  # type: ignore[arg-type]  # the keyword wins
    assert mine.client is not None
    assert mine.sends_with == other
    await backend.aclose()
    await mine.aclose()


def test_an_unknown_choice_fails_at_construction_naming_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_HTTP_TRANSPORT", "curl")
    with pytest.raises(
        ValueError, match=r"\$AGENTCORE_MCP_HTTP_TRANSPORT must be one of auto, httpx, aiohttp"
    ):
        AgentCoreTransport(URL)
    with pytest.raises(ValueError, match="http_transport= must be one of"):
        HttpxBackend(URL, http_transport="h2")  # type: ignore[arg-type]


def test_aiohttp_asked_for_without_the_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aiohttp_choice, "installed", lambda: False)
    monkeypatch.setenv("AGENTCORE_MCP_HTTP_TRANSPORT", "aiohttp")
    with pytest.raises(ValueError, match=r"agentcore-mcp\[fast\]"):
        AgentCoreTransport(URL)


async def test_your_client_is_used_without_reading_the_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    # The choice applies only to a client the backend builds: without the extra, asking for aiohttp must not
    # refuse a client of yours (nor must a value the choice would refuse).
    monkeypatch.setattr(aiohttp_choice, "installed", lambda: False)
    async with httpx.AsyncClient() as http:
        for value in ("aiohttp", "curl"):
            monkeypatch.setenv("AGENTCORE_MCP_HTTP_TRANSPORT", value)
            assert AgentCoreTransport(URL, http_client=http).backend.client is http  # type: ignore[attr-defined]
        backend = HttpxBackend(URL, http_client=http, http_transport="aiohttp")
        assert backend.client is http
        assert backend.sends_with == "http_client"


@needs_aiohttp
async def test_your_client_is_never_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_HTTP_TRANSPORT", "aiohttp")
    async with httpx.AsyncClient() as http:
        transport = http._transport
        backend = HttpxBackend(URL, http_client=http)
        assert backend.client is http
        assert http._transport is transport
        assert backend.sends_with == "http_client"


@needs_aiohttp
async def test_a_proxied_url_stays_on_httpx_which_routes_it_to_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_HTTP_TRANSPORT", "aiohttp")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    for backend in (HttpxBackend(URL), HttpxBackend(URL, auth=BearerAuth("token"))):
        assert backend.client is not None
        assert backend.sends_with == "httpx"
        assert backend._direct is None
        await backend.aclose()


@needs_aiohttp
async def test_an_auth_flow_runs_over_aiohttp_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_HTTP_TRANSPORT", "aiohttp")
    backend = HttpxBackend(URL, auth=BearerAuth("token"))
    assert backend.client is not None
    assert backend.sends_with == "aiohttp"
    assert backend._direct is None  # the client runs the auth flow
    assert type(backend.client._transport) is aiohttp_choice.AiohttpTransport
    await backend.aclose()


@needs_aiohttp
def test_a_client_built_outside_asyncio_uses_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    # aiohttp binds its session to the running asyncio loop; trio (or no loop at all) gets httpx
    monkeypatch.setenv("AGENTCORE_MCP_HTTP_TRANSPORT", "aiohttp")
    backend = HttpxBackend(URL)
    assert backend.client is not None
    assert backend.sends_with == "httpx"
