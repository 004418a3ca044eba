"""The advanced settings as option groups: read back as given, validated when made, nothing else accepted."""

from __future__ import annotations

import pytest

from agentcore_mcp import AgentCoreMCP
from agentcore_mcp.server._options import CachingHints, Limits, SessionMode, StateSealing


def test_the_groups_configure_the_server_and_read_back() -> None:
    app = AgentCoreMCP(
        "g",
        caching=CachingHints(list_ttl_ms=5, read_ttl_ms=6, discover_ttl_ms=7, scope="public"),
        limits=Limits(max_body_size=10, page_size=2, input_timeout=3.0),
        sealing=StateSealing(keys=("k" * 32,), ttl=9.0),
        sessions=SessionMode(idle_timeout=11.0, sse_retry_ms=12),
    )
    assert app.caching == CachingHints(list_ttl_ms=5, read_ttl_ms=6, discover_ttl_ms=7, scope="public")
    assert (app.max_body_size, app.page_size, app.input_timeout) == (10, 2, 3.0)
    assert app.sealing == StateSealing(keys=("k" * 32,), ttl=9.0)
    assert app.session_mode == SessionMode(idle_timeout=11.0, sse_retry_ms=12)
    assert app.sessions is not None


@pytest.mark.parametrize(
    "flat",
    [
        "list_ttl_ms",
        "read_ttl_ms",
        "discover_ttl_ms",
        "cache_scope",
        "max_body_size",
        "page_size",
        "input_timeout",
        "state_keys",
        "state_ttl",
        "session_idle_timeout",
        "sse_retry_ms",
    ],
)
def test_the_flat_spellings_that_never_shipped_are_refused(flat: str) -> None:
    with pytest.raises(TypeError, match=flat):
        AgentCoreMCP("x", **{flat: 1})  # type: ignore[arg-type]


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


def test_sessions_off_is_stateless_whatever_the_default_mode() -> None:
    assert AgentCoreMCP("x").sessions is None
    assert AgentCoreMCP("x", sessions=True).session_mode == SessionMode()


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


def test_a_short_state_key_in_the_environment_fails_when_the_app_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Not at the first sealed 2026-07-28 round, where it was an Internal error for the client.
    monkeypatch.setenv("AGENTCORE_MCP_STATE_KEYS", "short")
    with pytest.raises(ValueError, match="AGENTCORE_MCP_STATE_KEYS: every key needs at least 16 characters"):
        AgentCoreMCP("demo")
    monkeypatch.setenv("AGENTCORE_MCP_STATE_KEYS", "a-shared-secret-of-enough-length")
    AgentCoreMCP("demo")
    # Keys given in code take precedence, and the environment is then not read at all.
    monkeypatch.setenv("AGENTCORE_MCP_STATE_KEYS", "short")
    AgentCoreMCP("demo", sealing=StateSealing(keys=["a-shared-secret-of-enough-length"]))
