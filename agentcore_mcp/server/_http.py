"""HTTP request helpers for the ASGI edge (and the emulator, and the edge in front of SDK servers): the
ASGI types, a bounded body reader, the ``Accept``, ``Origin`` and ``Host`` tests, and the health answer.
Nothing here writes an answer or keeps state.

Every server path (``AgentCoreMCP`` and SDK servers behind ``agentcore_app``) decides its edge with these
same functions, so the paths cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

__all__ = [
    "HEALTHY",
    "PING_PATH",
    "Body",
    "BodyTooLarge",
    "HostCheck",
    "Receive",
    "Scope",
    "Send",
    "accepts_both",
    "accepts_event_stream",
    "origin_allowed",
    "read_body",
]

PING_PATH = "/ping"
"""The health route every server path answers (``GET``/``HEAD``), whatever the ``Host``."""
HEALTHY = b'{"status":"Healthy"}'
"""The health route's body, as AgentCore's runtime contract shapes it."""

# The InvokeAgentRuntime endpoints, as botocore's endpoint rules build them:
# bedrock-agentcore[-fips].{region}.{dnsSuffix | dualStackDnsSuffix} over every partition in partitions.json.
_DNS_SUFFIXES = (
    "amazonaws.com",
    "api.aws",
    "amazonaws.com.cn",
    "api.amazonwebservices.com.cn",
    "amazonaws.eu",
    "api.amazonwebservices.eu",
    "c2s.ic.gov",
    "api.aws.ic.gov",
    "sc2s.sgov.gov",
    "api.aws.scloud",
    "cloud.adc-e.uk",
    "api.cloud-aws.adc-e.uk",
    "csp.hci.ic.gov",
    "api.aws.hci.ic.gov",
)
_AGENTCORE_HOST = re.compile(
    r"bedrock-agentcore(?:-fips)?\.[a-z]{2,5}(?:-[a-z]+)+-\d+\.(?:"
    + "|".join(re.escape(s) for s in _DNS_SUFFIXES)
    + r")"
)
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
# An answer body: whole, or in pieces sent one after another so a large cached part is never copied.
Body = bytes | tuple[bytes, ...]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


async def read_body(
    receive: Receive, limit: int, content_length: int | None, first: Message | None = None
) -> bytes:
    """Read the whole request body, refusing (without buffering past it) a body over ``limit`` bytes.

    ``first``: the request's first message when the caller has received it already.

    Raises:
        BodyTooLarge: the declared or the actual length is over the limit.
        ConnectionError: the client went away before the body was complete.
    """
    if content_length is not None and content_length > limit:
        raise BodyTooLarge
    message = await receive() if first is None else first
    if message["type"] == "http.disconnect":
        raise ConnectionError("client disconnected")
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise BodyTooLarge
        return body
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def accepts_both(accept: bytes | None) -> bool:
    """True when an ``Accept`` header admits both JSON and an event stream, as Streamable HTTP requires.

    Wildcards count: ``*/*`` admits both, ``application/*`` admits JSON only.
    """
    if not accept:
        return False
    value = accept.lower()
    if b"*/*" in value:
        return True
    json_ok = b"application/json" in value or b"application/*" in value
    sse_ok = b"text/event-stream" in value or b"text/*" in value
    return json_ok and sse_ok


def accepts_event_stream(accept: bytes | None) -> bool:
    """True when an ``Accept`` header admits an event stream (what a GET stream needs)."""
    return accept is not None and (b"text/event-stream" in accept.lower() or b"*/*" in accept)


def origin_allowed(origin: bytes, allowed: frozenset[bytes], allow_localhost: bool) -> bool:
    """True when an ``Origin`` header names an allowed origin (exact match, or any localhost port)."""
    value = origin.lower().rstrip(b"/")
    if value in allowed or b"*" in allowed:
        return True
    if not allow_localhost:
        return False
    for prefix in (
        b"http://localhost",
        b"https://localhost",
        b"http://127.0.0.1",
        b"https://127.0.0.1",
        b"http://[::1]",
        b"https://[::1]",
    ):
        if value == prefix or (value.startswith(prefix + b":") and value[len(prefix) + 1 :].isdigit()):
            return True
    return False


class HostCheck:
    """An allow-list for the ``Host`` header; built only when one is configured (no list: any ``Host``).

    With a list, a ``Host`` is accepted when it is an AgentCore endpoint (``bedrock-agentcore[-fips].<region>.
    <AWS DNS suffix>``), localhost, or matches one of the patterns (``*`` stands for one DNS label; ports
    are ignored), so configuring one never shuts out the platform or a local test. DNS-rebinding protection
    does not rest on this check: browsers send ``Origin`` on every POST, and the ``Origin`` check refuses
    foreign ones on every path.
    """

    __slots__ = ("_patterns",)

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = [_host_pattern(_host_name(p.strip().lower())) for p in patterns if p.strip()]

    @classmethod
    def configured(cls, patterns: Iterable[str]) -> HostCheck | None:
        """The check for ``patterns`` (stripped, empty ones dropped), or None when none is left or one is
        ``"*"`` (any host): the caller then checks nothing."""
        given = [p.strip() for p in patterns if p.strip()]
        if not given or "*" in given:
            return None
        return cls(given)

    def allows(self, host: str | None) -> bool:
        """True when a ``Host`` header value (port and all) is accepted; a missing one never is."""
        if not host:
            return False
        name = _host_name(host.strip().lower())
        return (
            name in _LOCAL_HOSTS
            or _AGENTCORE_HOST.fullmatch(name) is not None
            or any(p.fullmatch(name) for p in self._patterns)
        )


def _host_name(value: str) -> str:
    """``value`` without its port (``[::1]:8000`` → ``[::1]``; ``example.com:*`` → ``example.com``)."""
    if value.startswith("["):
        end = value.find("]")
        return value[: end + 1] if end >= 0 else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _host_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".".join("[^.]+" if label == "*" else re.escape(label) for label in pattern.split(".")))
