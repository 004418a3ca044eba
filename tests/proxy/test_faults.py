"""The platform misbehaving behind the proxy: the transport's recovery reaches stdio clients unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Emulated
from .raw import RawProxy, call

pytestmark = pytest.mark.mcp1


@pytest.fixture
def proxy(emulated: Emulated) -> Iterator[RawProxy]:
    emulated.emulator.faults.clear()
    proxy = RawProxy(emulated.command(*emulated.sigv4_args()), emulated.env)
    proxy.handshake()
    add(proxy, 0)  # notifications/initialized has been posted: the next invocation is the test's own
    yield proxy
    proxy.kill()
    emulated.emulator.faults.clear()
    assert "Traceback" not in proxy.stderr


def add(proxy: RawProxy, request_id: int) -> dict[str, object]:
    proxy.send(call(request_id, "add_numbers", {"a": request_id, "b": 1}))
    return proxy.answer(request_id)


def test_throttling_is_retried(proxy: RawProxy, emulated: Emulated) -> None:
    emulated.emulator.faults.throttle(2, arn=emulated.sigv4)
    assert add(proxy, 1)["result"] == {
        "content": [{"type": "text", "text": "2"}],
        "structuredContent": {"result": 2},
        "isError": False,
    }
    assert emulated.emulator.faults.pending() == 0  # both throttled answers were consumed, then retried


@pytest.mark.parametrize(
    ("inject", "code", "words"),
    [
        (lambda f, arn: f.runtime_error(arn=arn), -32010, "HTTP 424"),
        (lambda f, arn: f.api_error("AccessDeniedException", 403, arn=arn), -32002, "HTTP 403"),
        (lambda f, arn: f.api_error("InternalServerException", 500, arn=arn), -32603, "HTTP 500"),
    ],
    ids=["424", "403", "500"],
)
def test_a_refusal_is_a_jsonrpc_error_and_the_next_call_works(
    proxy: RawProxy, emulated: Emulated, inject: object, code: int, words: str
) -> None:
    inject(emulated.emulator.faults, emulated.sigv4)  # type: ignore[operator]
    error = add(proxy, 1)["error"]
    assert error["code"] == code  # type: ignore[index]
    assert words in error["message"]  # type: ignore[index]
    assert "result" in add(proxy, 2)


def test_an_expired_session_is_recovered_transparently(emulated: Emulated) -> None:
    session_id = "proxy-expiry-" + "d" * 30
    proxy = RawProxy(
        emulated.command(*emulated.sigv4_args("--session-id", session_id, arn=emulated.stateful)),
        emulated.env,
    )
    try:
        proxy.handshake()
        assert "result" in add(proxy, 1)
        old_pid = emulated.emulator.session(session_id).pid
        emulated.emulator.expire_session(session_id)  # idle timeout: the microVM and its state are gone
        assert add(proxy, 2)["result"]["structuredContent"] == {"result": 3}  # type: ignore[index]
        proxy.send(call(3, "whoami", {}))
        renewed = proxy.answer(3)["result"]["structuredContent"]["runtime_session_id"]
        assert renewed != session_id
        assert emulated.emulator.session(renewed).pid != old_pid
        proxy.close_stdin()
        assert proxy.wait() == 0
        assert emulated.emulator.session(renewed) is None  # the new session is the one stopped at exit
    finally:
        proxy.kill()
    assert "replaying the initialize handshake" in proxy.stderr
