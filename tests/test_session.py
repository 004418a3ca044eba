"""Runtime session ids are valid in every AgentCore field; the session object renews and stops."""

from __future__ import annotations

import re

import anyio
import pytest

from agentcore_mcp._session import RuntimeSession, new_session_id, validate_session_id

pytestmark = pytest.mark.mcp1

# The response model's pattern and length (the strictest of the fields a session id travels in).
RESPONSE_FIELD = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-_]*")


def test_new_ids_fit_every_session_id_field_and_differ() -> None:
    ids = {new_session_id() for _ in range(200)}
    assert len(ids) == 200
    for value in ids:
        assert 33 <= len(value) <= 100
        assert RESPONSE_FIELD.fullmatch(value)


def test_a_prefix_is_kept_and_checked() -> None:
    assert new_session_id("billing-").startswith("billing-")
    with pytest.raises(ValueError, match="letters, digits"):
        new_session_id("bad prefix ")
    with pytest.raises(ValueError, match="33–100"):
        new_session_id("x" * 70)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("short", "33–100 characters long, got 5"),
        ("a" * 101, "got 101"),
        ("-" + "a" * 40, "start with a letter or digit"),
        ("a" * 40 + ".", "letters, digits"),
        ("ä" * 40, "letters, digits"),
    ],
)
def test_invalid_ids_are_refused_with_the_reason(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        validate_session_id(value)


def test_valid_ids_come_back_unchanged() -> None:
    value = "my-conversation_0001-" + "0" * 12
    assert validate_session_id(value) is value


def test_a_non_string_id_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        validate_session_id(None)  # type: ignore[arg-type]


def test_a_session_takes_or_generates_its_id() -> None:
    mine = new_session_id()
    assert RuntimeSession(mine).runtime_session_id == mine
    assert RESPONSE_FIELD.fullmatch(RuntimeSession().runtime_session_id)
    with pytest.raises(ValueError, match="33–100"):
        RuntimeSession("too-short")


def test_renewing_replaces_both_ids_and_counts() -> None:
    session = RuntimeSession(mcp_session_id="platform-id", user_id="ada")
    old = session.runtime_session_id
    session.stopped = True
    session.renew()
    assert session.runtime_session_id != old
    assert session.mcp_session_id is None
    assert session.user_id == "ada"
    assert session.renewals == 1
    assert not session.stopped
    assert session.age < 5
    assert "RuntimeSession(" in repr(session)


async def test_stop_goes_through_the_bound_transport() -> None:
    session = RuntimeSession()
    with pytest.raises(RuntimeError, match="not bound"):
        await session.stop()
    stopped: list[str] = []

    async def stopper(s: RuntimeSession) -> None:
        await anyio.lowlevel.checkpoint()
        stopped.append(s.runtime_session_id)

    session.bind_stopper(stopper)
    await session.stop()
    assert stopped == [session.runtime_session_id]
