"""The headers of one request, scanned once into :class:`RequestHeaders`."""

from __future__ import annotations

from agentcore_mcp import _wire as rpc
from agentcore_mcp.server._compression import accepts_gzip

__all__ = [
    "LAST_EVENT_ID_HEADER",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_COUNT",
    "SEEN_MAX",
    "SESSION_ID_HEADER",
    "RequestHeaders",
]

# Client-given header values remembered with what they admit, at most this many per kind.
SEEN_MAX = 256

# httptools reads any header block whole; refuse what no MCP client sends (AgentCore caps a custom header
# value at 4 KB and allow-lists at most 20).
MAX_HEADER_COUNT = 100
MAX_HEADER_BYTES = 64 * 1024
SESSION_ID_HEADER = rpc.MCP_SESSION_ID.encode()
_PROTOCOL_VERSION = rpc.MCP_PROTOCOL_VERSION.encode()
_METHOD = rpc.MCP_METHOD.encode()
_NAME = rpc.MCP_NAME.encode()
_PARAM_PREFIX = rpc.MCP_PARAM_PREFIX.encode()
LAST_EVENT_ID_HEADER = rpc.LAST_EVENT_ID.encode()
_IDENTITY = frozenset(
    h.encode() for h in (rpc.IDENTITY_WAT, rpc.WORKLOAD_ACCESS_TOKEN, rpc.OAUTH2_CALLBACK_URL)
)
# What the header scan keeps, by header name.
_K_ACCEPT, _K_CONTENT_TYPE, _K_LENGTH, _K_VERSION, _K_METHOD, _K_NAME, _K_SESSION, _K_ORIGIN = range(8)
_K_ENCODING, _K_IDENTITY = 8, 9
_SCANNED: dict[bytes, int] = {
    b"accept": _K_ACCEPT,
    b"content-type": _K_CONTENT_TYPE,
    b"content-length": _K_LENGTH,
    _PROTOCOL_VERSION: _K_VERSION,
    _METHOD: _K_METHOD,
    _NAME: _K_NAME,
    SESSION_ID_HEADER: _K_SESSION,
    b"origin": _K_ORIGIN,
    b"accept-encoding": _K_ENCODING,
    **dict.fromkeys(_IDENTITY, _K_IDENTITY),
}
# Accept-Encoding values seen, and whether they admit gzip (bounded: the values are client input).
_GZIP: dict[bytes, bool] = {}


class RequestHeaders:
    """The headers of one request, scanned once: the routing headers for the protocol, the rest for checks."""

    __slots__ = (
        "accept",
        "content_type",
        "dup",
        "gzip",
        "identity",
        "length",
        "method",
        "name",
        "origin",
        "raw",
        "session_id",
        "size",
        "version",
    )

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.raw = raw
        self.gzip = False  # Accept-Encoding admits gzip
        self.session_id: str | None = None
        self.identity = False  # AgentCore Identity headers are present
        self.version: str | None = None
        self.method: str | None = None
        self.name: str | None = None
        self.dup: str | None = None  # the first routing header that appeared twice
        size = 0  # bytes of names and values
        accept = content_type = length = origin = None
        kinds = _SCANNED.get  # one look-up per header names what it is (most headers: nothing to keep)
        for key, value in raw:
            size += len(key) + len(value)
            kind = kinds(key)
            if kind is None:
                continue
            if kind == _K_ACCEPT:
                accept = value if accept is None else accept + b"," + value
            elif kind == _K_CONTENT_TYPE:
                content_type = value
            elif kind == _K_LENGTH:
                length = value
            elif kind == _K_VERSION:
                if self.version is not None:
                    self.dup = rpc.MCP_PROTOCOL_VERSION_SPELLED
                self.version = value.decode("latin-1").strip()
            elif kind == _K_METHOD:
                if self.method is not None:
                    self.dup = rpc.MCP_METHOD_SPELLED
                self.method = value.decode("latin-1").strip()
            elif kind == _K_NAME:
                if self.name is not None:
                    self.dup = rpc.MCP_NAME_SPELLED
                self.name = value.decode("latin-1").strip()
            elif kind == _K_SESSION:
                self.session_id = value.decode("latin-1").strip()
            elif kind == _K_ORIGIN:
                origin = value
            elif kind == _K_ENCODING:
                if not self.gzip:
                    gzip = _GZIP.get(value)
                    if gzip is None:
                        gzip = accepts_gzip(value)
                        if len(_GZIP) < SEEN_MAX:
                            _GZIP[value] = gzip
                    self.gzip = gzip
            else:
                self.identity = True
        self.size = size
        self.accept: bytes | None = accept  # repeated Accept headers joined
        self.content_type: bytes | None = content_type
        self.length: bytes | None = length
        self.origin: bytes | None = origin

    def params(self) -> dict[str, str]:
        """``Mcp-Param-*`` headers by lower-cased token; a repeated one maps to ``"\\0dup"``."""
        out: dict[str, str] = {}
        start = len(_PARAM_PREFIX)
        for k, v in self.raw:
            if k.startswith(_PARAM_PREFIX):
                token = k[start:].decode("latin-1").lower()
                out[token] = "\0dup" if token in out else v.decode("latin-1")
        return out

    def get(self, name: bytes) -> str | None:
        """The first value of header ``name`` (lower case), or None."""
        return next((v.decode("latin-1") for k, v in self.raw if k == name), None)
