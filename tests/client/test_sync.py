"""The one-line synchronous helpers, from plain code and from inside a running event loop (notebooks)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentcore_mcp._session import RuntimeSession
from agentcore_mcp.client import call_tool_sync, list_tools_sync
from examples.demo_server import app as demo_app

from .conftest import Emulated
from .fakes import Front, serve

pytestmark = pytest.mark.mcp1


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve(Front(demo_app)) as mcp_url:
        yield mcp_url


def test_list_tools_in_one_line(url: str) -> None:
    assert [tool.name for tool in list_tools_sync(url)] == ["add_numbers", "multiply_numbers", "greet_user"]


def test_listing_reads_the_cursor_without_tripping_fastmcps_camel_case_shim(url: str) -> None:
    pytest.importorskip("fastmcp")  # FastMCP patches mcp 2.x's models: reading nextCursor there warns
    import fastmcp  # noqa: F401

    assert len(list_tools_sync(url)) == 3


def test_call_a_tool_in_one_line(url: str) -> None:
    result = call_tool_sync(url, "multiply_numbers", {"a": 6, "b": 7})
    assert result.content[0].text == "42"


async def test_the_helpers_work_inside_a_running_event_loop(url: str) -> None:
    assert call_tool_sync(url, "add_numbers", {"a": 1, "b": 2}).content[0].text == "3"


def test_a_tool_error_is_a_result_and_a_refusal_raises(url: str) -> None:
    result = call_tool_sync(url, "add_numbers", {"a": "x", "b": 2})
    assert getattr(result, "is_error", None) or getattr(result, "isError", None)
    with pytest.raises(Exception, match="could not connect"):
        call_tool_sync("http://127.0.0.1:9/mcp", "add_numbers", {"a": 1, "b": 2}, retries=0)


def test_bad_options_fail_before_any_io() -> None:
    with pytest.raises(ValueError, match="not a runtime ARN or an http"):
        list_tools_sync("ftp://example.com/mcp")
    with pytest.raises(TypeError):
        list_tools_sync("http://127.0.0.1:9/mcp", no_such_option=True)


def test_calls_sharing_a_session_stay_on_one_runtime_session(emulated: Emulated) -> None:
    session = RuntimeSession()
    client = emulated.boto3_client()
    for a in range(3):
        result = call_tool_sync(
            emulated.sigv4, "add_numbers", {"a": a, "b": 1}, client=client, session=session
        )
        assert result.content[0].text == str(a + 1)
    live = emulated.emulator.session(session.runtime_session_id)
    assert live is not None
    assert live.mcp_session_id == session.mcp_session_id


def test_a_bearer_token_one_liner(emulated: Emulated) -> None:
    tools = list_tools_sync(emulated.url(emulated.jwt), bearer_token=emulated.token())
    assert len(tools) == 3
