"""The SSE decoder: events come out whole however the bytes are split, and limits fail loudly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentcore_mcp.client._sse import ServerSentEvent, SSEDecoder, SSEError

pytestmark = pytest.mark.mcp1

STREAM = (
    b": keep-alive\n\n"
    b'event: message\ndata: {"a": 1}\n\n'
    b"id: 7\nretry: 1500\ndata: line one\ndata: line two\n\n"
    b"data\n\n"
    b"event: other\r\ndata: crlf\r\n\r\n"
    b"data: cr\r\r"
    b"unknown: field\ndata:no-space\n\n"
)
EXPECTED = [
    ServerSentEvent(data='{"a": 1}'),
    ServerSentEvent(data="line one\nline two", id="7", retry=1500),
    ServerSentEvent(data=""),
    ServerSentEvent(data="crlf", event="other"),
    ServerSentEvent(data="cr"),
    ServerSentEvent(data="no-space"),
]


def decode(chunks: list[bytes], **options: int) -> list[ServerSentEvent]:
    decoder = SSEDecoder(**options)
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def test_a_whole_stream_decodes_to_its_events() -> None:
    assert decode([STREAM]) == EXPECTED


def test_one_byte_at_a_time_gives_the_same_events() -> None:
    assert decode([STREAM[i : i + 1] for i in range(len(STREAM))]) == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_split_gives_the_same_events(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert decode(chunks) == EXPECTED


def test_a_crlf_split_between_chunks_is_one_line_end() -> None:
    assert decode([b"data: x\r", b"\n\r", b"\n"]) == [ServerSentEvent(data="x")]


def test_a_leading_byte_order_mark_is_ignored() -> None:
    assert decode([b"\xef\xbb\xbfdata: x\n\n"]) == [ServerSentEvent(data="x")]


def test_the_last_event_id_is_remembered() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: abc\ndata: 1\n\ndata: 2\n\n")
    assert decoder.last_event_id == "abc"


def test_an_unterminated_event_is_held_and_reported_as_partial() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"half": ') == []
    assert decoder.has_partial_event
    assert decoder.feed(b"true}\n\n") == [ServerSentEvent(data='{"half": true}')]
    assert not decoder.has_partial_event


def test_an_event_over_the_size_limit_raises() -> None:
    decoder = SSEDecoder(max_event_size=10)
    with pytest.raises(SSEError, match="10-byte limit"):
        decoder.feed(b"data: 0123456789abc")


def test_the_size_limit_counts_every_data_line_of_one_event() -> None:
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: 123456\n") == []
    with pytest.raises(SSEError):
        decoder.feed(b"data: 123456\n")


def test_events_under_the_limit_pass_one_after_another() -> None:
    events = decode([b"data: 12345678\n\n" * 5], max_event_size=10)
    assert [e.data for e in events] == ["12345678"] * 5


def test_bytes_that_are_not_utf8_raise() -> None:
    with pytest.raises(SSEError, match="UTF-8"):
        SSEDecoder().feed(b"data: \xff\xfe\n\n")


def test_a_non_positive_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        SSEDecoder(max_event_size=0)
