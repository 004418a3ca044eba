"""The advanced settings as option groups, and their old flat spellings (still accepted this release)."""

from __future__ import annotations

import pytest

from agentcore_mcp import AgentCoreMCP
from agentcore_mcp.server._options import CachingHints, Limits, SessionMode, StateSealing


def test_groups_and_flat_spellings_configure_the_same_server() -> None:
    grouped = AgentCoreMCP(
        "g",
        caching=CachingHints(list_ttl_ms=5, read_ttl_ms=6, discover_ttl_ms=7, scope="public"),
        limits=Limits(max_body_size=10, page_size=2, input_timeout=3.0),
        sealing=StateSealing(keys=("k" * 32,), ttl=9.0),
        sessions=SessionMode(idle_timeout=11.0, sse_retry_ms=12),
    )
    flat = AgentCoreMCP(
        "f",
        list_ttl_ms=5,
        read_ttl_ms=6,
        discover_ttl_ms=7,
        cache_scope="public",
        max_body_size=10,
        page_size=2,
        input_timeout=3.0,
        state_keys=["k" * 32],
        state_ttl=9.0,
        sessions=True,
        session_idle_timeout=11.0,
        sse_retry_ms=12,
    )
    for attr in ("caching", "limits", "sealing", "session_mode"):
        assert getattr(grouped, attr) == getattr(flat, attr)
    assert (flat.max_body_size, flat.page_size, flat.input_timeout) == (10, 2, 3.0)
    assert flat.sessions is not None


def test_a_flat_spelling_with_its_group_is_refused_naming_both() -> None:
    with pytest.raises(TypeError, match="list_ttl_ms"):
        AgentCoreMCP("x", caching=CachingHints(), list_ttl_ms=1)


def test_an_unknown_keyword_is_refused() -> None:
    with pytest.raises(TypeError, match="colour"):
        AgentCoreMCP("x", colour="red")


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: CachingHints(scope="shared"), "cache_scope"),  # type: ignore[arg-type]
        (lambda: CachingHints(list_ttl_ms=-1), "list_ttl_ms"),
        (lambda: Limits(page_size=0), "page_size"),
        (lambda: Limits(max_body_size=-1), "max_body_size"),
        (lambda: Limits(send_timeout=0), "send_timeout"),
    ],
)
def test_bad_values_fail_when_the_group_is_made(make: object, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make()  # type: ignore[operator]


def test_sessions_off_ignores_session_settings_as_before() -> None:
    assert AgentCoreMCP("x", session_idle_timeout=5.0).sessions is None


def test_the_send_timeout_comes_from_limits_else_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AGENTCORE_MCP_SEND_TIMEOUT", raising=False)
    assert AgentCoreMCP("t")._edge.send_timeout == 30.0
    monkeypatch.setenv("AGENTCORE_MCP_SEND_TIMEOUT", "7.5")
    assert AgentCoreMCP("t")._edge.send_timeout == 7.5
    assert AgentCoreMCP("t", limits=Limits(send_timeout=2))._edge.send_timeout == 2  # the argument wins
    assert AgentCoreMCP("t", limits=Limits(send_timeout=None))._edge.send_timeout is None  # never cut
    monkeypatch.setenv("AGENTCORE_MCP_SEND_TIMEOUT", "none")
    assert AgentCoreMCP("t")._edge.send_timeout is None
    for bad in ("soon", "nan", "inf", "-1"):
        monkeypatch.setenv("AGENTCORE_MCP_SEND_TIMEOUT", bad)
        with pytest.raises(ValueError, match="AGENTCORE_MCP_SEND_TIMEOUT"):
            AgentCoreMCP("t")
