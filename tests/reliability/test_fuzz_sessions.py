"""Property tests over session mode (``AgentCoreMCP(..., sessions=True)``): POST with hostile, ended and
adopted ``Mcp-Session-Id``s, the GET stream, ``Last-Event-ID`` resumption, DELETE, and concurrent use of
one session; in process (raw ASGI), on a fresh app per example.

Every answer passes the round-one oracle (``check_answer``) or, for GET and DELETE, its session-mode
counterpart below; and a model of the sessions (live, ended by DELETE, POST streams recorded with their
event ids) says what each answer must be: a live session is served and echoed, an ended one is 404, an
invalid id is 400, a resumed stream replays exactly the events after the given id, in order.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import anyio
from hypothesis import given
from hypothesis import strategies as st

from agentcore_mcp import AgentCoreMCP
from agentcore_mcp.server._session_store import valid_session_id

from . import harness
from .apps import build_app
from .conftest import Runner, fuzz_settings, write_tally
from .strategies import check_answer, era_of, messages, printable

LEGACY = "2025-11-25"
INIT = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "0"}}

# Session ids a client (or a broken proxy) might send; only 1-256 visible ASCII characters are valid.
hostile_ids = st.one_of(
    st.sampled_from(["", " ", "a b", "x" * 257, "é", "\t", "id\x01", "💥", "a" * 256, "-", "=?base64?AA?="]),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=300),
    st.text(max_size=30).map(lambda s: s.replace("\r", "").replace("\n", "")),
)


@dataclass
class Model:
    """What the server must remember: live and ended sessions, and every POST stream's events by id."""

    live: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    # event id -> (session id, the (id, data) of every event recorded after it, the stream's end seen)
    events: dict[str, tuple[str, list[tuple[str, bytes]]]] = field(default_factory=dict)
    requests: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, answer: harness.Answer) -> None:
        self.requests += 1
        key = f"{what} {answer.status}"
        self.outcomes[key] = self.outcomes.get(key, 0) + 1


def _scope(method: str, session_id: str | None, extra: list[tuple[str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    headers: list[tuple[str | bytes, str | bytes]] = [(k, v) for k, v in extra]
    if session_id is not None:
        headers.append((b"mcp-session-id", session_id.encode("utf-8")))
    if method == "POST":
        headers += [(b"accept", harness.ACCEPT.encode()), (b"content-type", b"application/json")]
    return harness.http_scope(method, headers=headers)


def _check_refusal(answer: harness.Answer, status: int) -> None:
    """A GET/DELETE refusal: the status, a JSON-RPC error body with a null id and -32600."""
    assert answer.raised is None, answer.raised
    assert answer.status == status, (answer.status, answer.body[:200])
    final = json.loads(answer.body)
    assert final["jsonrpc"] == "2.0"
    assert final["id"] is None
    assert final["error"]["code"] == -32600
    assert isinstance(final["error"]["message"], str)


def _check_stream(answer: harness.Answer, session_id: str) -> list[tuple[str, bytes]]:
    """A GET stream: 200, an event stream echoing the session, events with ids ``<stream>.<seq>`` strictly
    increasing and data that is empty (priming) or one JSON-RPC notification or request."""
    assert answer.raised is None, answer.raised
    assert answer.status == 200, (answer.status, answer.body[:200])
    assert answer.content_type == "text/event-stream"
    assert answer.header("mcp-session-id") == session_id
    events = harness.sse_events(answer.body)
    seen: list[tuple[str, bytes]] = []
    last: tuple[str, int] | None = None
    for event_id, kind, data in events:
        assert event_id is not None, "an event without an id in session mode"
        stream, _, seq = event_id.rpartition(".")
        assert stream, event_id
        assert seq.isdigit(), event_id
        if last is not None and last[0] == stream:
            assert int(seq) > last[1], f"event ids out of order: {last} then {event_id}"
        last = (stream, int(seq))
        if data:
            assert kind == "message"
            message = json.loads(data)
            assert message.get("jsonrpc") == "2.0"
            assert "method" in message or "result" in message or "error" in message
        seen.append((event_id, data))
    return seen


class Driver:
    """Runs one example's operations against a fresh session-mode app and checks each answer."""

    def __init__(self, run: Runner, app: AgentCoreMCP) -> None:
        self.run = run
        self.app = app
        self.model = Model()

    # -- operations (each is a coroutine factory, so several can run at once on one session) ---------

    async def initialize(self, sent: str | None) -> None:
        session_id = effective(sent)
        body = harness.dumps(harness.legacy("initialize", INIT))
        answer = await harness.call(self.app, _scope("POST", sent), body)
        self.model.count("initialize", answer)
        if session_id is not None and not valid_session_id(session_id):
            _check_refusal_post(answer, 400)
            return
        if session_id in self.model.ended:
            _check_refusal_post(answer, 404)
            return
        check_answer(answer, harness.legacy("initialize", INIT), {})
        assert answer.status == 200
        echoed = answer.header("mcp-session-id")
        assert echoed is not None
        assert valid_session_id(echoed)
        if session_id is not None:
            assert echoed == session_id, "an adopted id must be echoed unchanged"
        if echoed not in self.model.live:
            self.model.live.append(echoed)

    async def post(self, sent: str | None, case: tuple[Any, dict[str, str], str]) -> None:
        session_id = effective(sent)
        message, routing, _label = case
        headers = [(k, v) for k, v in routing.items()]
        answer = await harness.call(self.app, _scope("POST", sent, headers), json.dumps(message).encode())
        self.model.count("post", answer)
        check_answer(answer, message, routing)
        echoed = answer.header("mcp-session-id")
        if echoed is not None and session_id is None:
            # Only an initialize without an id mints one.
            assert isinstance(message, dict)
            assert message.get("method") == "initialize", f"minted {echoed!r} for {message!r}"
            assert valid_session_id(echoed)
            session_id = echoed
        if echoed is not None:
            assert echoed == session_id, f"echoed {echoed!r} for a request that sent {session_id!r}"
            assert session_id not in self.model.ended, "an ended session was served"
            if session_id not in self.model.live:
                self.model.live.append(session_id)  # a platform-minted id, adopted
        plain = (
            isinstance(message, dict)
            and message.get("jsonrpc") == "2.0"
            and message.get("method") in ("ping", "tools/list")
            and isinstance(message.get("id"), int)
            and not isinstance(message.get("id"), bool)
            and not routing
            and message.get("params", {}) == {}
            and era_of(message, routing) == "legacy"
        )
        if plain and session_id is not None:
            if not valid_session_id(session_id):
                assert (answer.status, answer.error_code()) == (400, -32600)
            elif session_id in self.model.ended:
                assert (answer.status, answer.error_code()) == (404, -32600)
            else:
                assert answer.status == 200
                assert echoed == session_id

    async def stream_call(self, session_id: str, events: int) -> None:
        message = harness.legacy(
            "tools/call", {"name": "stream", "arguments": {"events": events}, "_meta": {"progressToken": 1}}
        )
        answer = await harness.call(self.app, _scope("POST", session_id), harness.dumps(message))
        self.model.count("post-stream", answer)
        if session_id in self.model.ended:
            _check_refusal_post(answer, 404)
            return
        check_answer(answer, message, {})
        assert answer.content_type == "text/event-stream"
        recorded = [(eid, data) for eid, _kind, data in harness.sse_events(answer.body)]
        assert all(eid is not None for eid, _ in recorded), "session-mode stream events carry ids"
        assert recorded[0][1] == b"", "a session-mode stream starts with a priming event"
        assert len([d for _, d in recorded if d]) == events + 1
        for i, (eid, _) in enumerate(recorded):
            assert eid is not None
            self.model.events[eid] = (session_id, [(e, d) for e, d in recorded[i + 1 :] if e is not None])

    async def get(self, sent: str | None, accept: str, last_event_id: str | None) -> None:
        session_id = effective(sent)
        extra = [("accept", accept)]
        if last_event_id is not None:
            extra.append(("last-event-id", last_event_id))
        answer = await harness.call_then_leave(self.app, _scope("GET", sent, extra), leave_after=0.01)
        self.model.count("get", answer)
        if "text/event-stream" not in accept.lower() and "*/*" not in accept:
            _check_refusal(answer, 406)
        elif session_id is None or not valid_session_id(session_id):
            _check_refusal(answer, 400)
        elif session_id in self.model.ended:
            _check_refusal(answer, 404)
        else:
            if session_id not in self.model.live:
                self.model.live.append(session_id)  # a valid id is adopted, whatever comes next
            if last_event_id is None:
                _check_stream(answer, session_id)
                return
            stream, _, seq = last_event_id.strip().rpartition(".")
            if stream == "get" and seq.isdigit():
                _check_stream(answer, session_id)  # the session's standalone stream, from that point
                return
            known = self.model.events.get(last_event_id.strip())
            if known is None or known[0] != session_id:
                _check_refusal(answer, 404)  # no such stream, or another session's
                return
            replay = _check_stream(answer, session_id)
            assert answer.complete, "a finished stream's replay ends by itself"
            assert replay == known[1], f"replayed {replay} after {last_event_id}, recorded {known[1]}"

    async def delete(self, sent: str | None) -> None:
        session_id = effective(sent)
        answer = await harness.call(self.app, _scope("DELETE", sent))
        self.model.count("delete", answer)
        if session_id is None or not valid_session_id(session_id):
            _check_refusal(answer, 400)
        elif session_id in self.model.live:
            assert answer.raised is None
            assert answer.status == 200
            assert answer.body == b""
            self.model.live.remove(session_id)
            self.model.ended.append(session_id)
        else:
            _check_refusal(answer, 404)
            if session_id not in self.model.ended:
                self.model.ended.append(session_id)  # the server tombstones an unknown id it was asked to end

    async def ping(self, session_id: str) -> None:
        answer = await harness.call(
            self.app, _scope("POST", session_id), harness.dumps(harness.legacy("ping", id=9))
        )
        self.model.count("post", answer)
        assert answer.status == 200
        assert json.loads(answer.body) == {"jsonrpc": "2.0", "id": 9, "result": {}}
        assert answer.header("mcp-session-id") == session_id


def _check_refusal_post(answer: harness.Answer, status: int) -> None:
    assert answer.raised is None, answer.raised
    assert (answer.status, answer.error_code()) == (status, -32600), (answer.status, answer.body[:200])


def effective(session_id: str | None) -> str | None:
    """The id the server reads from the header: its bytes as latin-1, surrounding whitespace stripped."""
    return None if session_id is None else session_id.encode("utf-8").decode("latin-1").strip()


@st.composite
def session_choice(draw: st.DrawFn, model: Model) -> str | None:
    pick = draw(st.integers(0, 9))
    if pick <= 4 and model.live:
        return draw(st.sampled_from(model.live))
    if pick == 5 and model.ended:
        return draw(st.sampled_from(model.ended))
    if pick == 6:
        return None
    if pick == 7:
        return secrets.token_hex(draw(st.integers(1, 60)))  # a platform-minted id, adopted
    return draw(hostile_ids)


@st.composite
def event_id_choice(draw: st.DrawFn, model: Model) -> str | None:
    pick = draw(st.integers(0, 5))
    if pick <= 2 and model.events:
        return draw(st.sampled_from(sorted(model.events)))
    if pick == 3:
        return None
    return draw(
        st.one_of(printable, st.sampled_from(["get.1", "get.0", "nope.3", ".", "x.-1", "get.99999999"]))
    )


accepts = st.sampled_from(["text/event-stream"] * 4 + ["*/*", "application/json", "TEXT/EVENT-STREAM", ""])


def _operation(data: st.DataObject, driver: Driver) -> Any:
    """Draw one operation against the model as it is now; returns a zero-argument coroutine function."""
    model = driver.model
    kind = data.draw(st.sampled_from(["init", "post", "post", "stream", "get", "get", "delete"]))
    if kind == "init":
        sid = data.draw(st.one_of(st.none(), session_choice(model)))
        return lambda: driver.initialize(sid)
    if kind == "post":
        sid = data.draw(session_choice(model))
        case = data.draw(messages())
        return lambda: driver.post(sid, case)
    if kind == "stream" and model.live:
        sid = data.draw(st.sampled_from(model.live))
        events = data.draw(st.integers(1, 3))  # 0 would be a plain JSON answer
        return lambda: driver.stream_call(sid, events)
    if kind == "get":
        sid = data.draw(session_choice(model))
        accept = data.draw(accepts)
        last = data.draw(event_id_choice(model))
        return lambda: driver.get(sid, accept, last)
    sid = data.draw(session_choice(model))
    return lambda: driver.delete(sid)


TOTALS = Model()


@fuzz_settings(150)
@given(data=st.data())
def test_session_mode_sequences_follow_the_session_model(run: Runner, data: st.DataObject) -> None:
    driver = Driver(run, build_app(sessions=True))
    run(driver.initialize, None)
    for _ in range(data.draw(st.integers(1, 8))):
        run(_operation(data, driver))
    for sid in driver.model.live:
        run(driver.ping, sid)
    _add(TOTALS, driver.model)


@fuzz_settings(60)
@given(data=st.data())
def test_concurrent_use_of_one_session_keeps_it_consistent(run: Runner, data: st.DataObject) -> None:
    driver = Driver(run, build_app(sessions=True))
    run(driver.initialize, None)
    sid = driver.model.live[0]
    run(driver.stream_call, sid, 2)
    ops: list[Any] = []
    for _ in range(data.draw(st.integers(2, 8))):
        kind = data.draw(st.sampled_from(["post", "stream", "get", "resume", "ping"]))
        if kind == "post":
            case = data.draw(messages())
            ops.append(lambda case=case: driver.post(sid, case))
        elif kind == "stream":
            n = data.draw(st.integers(1, 3))
            ops.append(lambda n=n: driver.stream_call(sid, n))
        elif kind == "get":
            ops.append(lambda: driver.get(sid, "text/event-stream", None))
        elif kind == "resume":
            eid = data.draw(st.sampled_from(sorted(driver.model.events)))
            ops.append(lambda eid=eid: driver.get(sid, "text/event-stream", eid))
        else:
            ops.append(lambda: driver.ping(sid))

    async def together() -> None:
        async with anyio.create_task_group() as group:
            for op in ops:
                group.start_soon(op)

    run(together)
    run(driver.ping, sid)  # the session survived, still served and echoed
    _add(TOTALS, driver.model)


def _add(total: Model, part: Model) -> None:
    total.requests += part.requests
    for key, value in part.outcomes.items():
        total.outcomes[key] = total.outcomes.get(key, 0) + value


def test_a_deleted_session_is_refused_everywhere(run: Runner) -> None:
    driver = Driver(run, build_app(sessions=True))
    run(driver.initialize, None)
    sid = driver.model.live[0]
    run(driver.stream_call, sid, 1)
    resume = next(iter(driver.model.events))
    run(driver.delete, sid)
    assert driver.model.ended == [sid]
    run(driver.post, sid, (harness.legacy("ping", id=1), {}, "valid-shape"))
    run(driver.get, sid, "text/event-stream", None)
    run(driver.get, sid, "text/event-stream", resume)
    run(driver.delete, sid)
    run(driver.initialize, sid)
    assert driver.model.outcomes == {
        "initialize 200": 1,
        "post-stream 200": 1,
        "delete 200": 1,
        "post 404": 1,
        "get 404": 2,
        "delete 404": 1,
        "initialize 404": 1,
    }


def test_write_the_session_tally() -> None:
    """Last in the module: the outcome counts of the session fuzz (written only for long runs)."""
    assert TOTALS.requests > 0
    write_tally("sessions", TOTALS.requests, dict(sorted(TOTALS.outcomes.items())))
