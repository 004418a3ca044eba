"""The mcp 2.x SDK's OAuth providers (``httpx2.Auth`` flows) run over the transport's stock ``httpx``.

mcp 2.x writes ``OAuthClientProvider`` (and its client-credentials and private-key-JWT variants) as an
``httpx2.Auth``: an async generator that yields ``httpx2.Request`` objects (the request it authenticates,
then metadata discovery, registration and token requests) and is sent back each ``httpx2.Response``. It
makes no requests of its own. It reads a response's status, headers, body (``aread()``), ``request.url``
and ``next_request`` (a redirect it may follow within the origin), and nothing else; it needs the body only
of its own requests, never of the authenticated one (which may be a long SSE stream).

:class:`SdkAuth` is an ``httpx.Auth`` that drives such a flow: the authenticated request goes out as the
transport's own ``httpx.Request`` (with the headers the flow set on its copy), every other request is
rebuilt as an ``httpx.Request``, and every answer goes back to the flow as an ``httpx2.Response`` with the
same status, headers and (for the flow's own requests) body. mcp 1.x providers are ``httpx.Auth`` objects
already and need none of this.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator
from typing import Any

import httpx

__all__ = ["SdkAuth", "is_sdk_auth"]


def _httpx2() -> Any:
    import httpx2

    return httpx2


def is_sdk_auth(auth: object) -> bool:
    """Whether ``auth`` is an ``httpx2.Auth`` (the mcp 2.x SDK's OAuth providers are).

    Read from ``sys.modules``, never imported: whoever built an ``httpx2.Auth`` has imported httpx2, and a
    transport given a string or nothing (the common case) must not pay httpx2's import to learn that.
    """
    httpx2 = sys.modules.get("httpx2")
    return httpx2 is not None and isinstance(auth, httpx2.Auth)


class SdkAuth(httpx.Auth):
    """Run an ``httpx2.Auth`` flow (the SDK's ``OAuthClientProvider``) as an ``httpx.Auth``."""

    def __init__(self, flow: Any) -> None:
        if not is_sdk_auth(flow):
            raise TypeError(f"expected an httpx2.Auth, got {type(flow).__name__}")
        self.flow = flow

    def sync_auth_flow(self, request: httpx.Request) -> Any:
        raise RuntimeError("the SDK's OAuth providers are async: use an httpx.AsyncClient")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        theirs = _to_httpx2_request(request)
        flow = self.flow.async_auth_flow(theirs)
        try:
            outgoing = await flow.__anext__()
            while True:
                mine = outgoing is theirs
                if mine:
                    _copy_headers(theirs, request)
                response = yield request if mine else _to_httpx_request(outgoing)
                if not mine:
                    await response.aread()
                outgoing = await flow.asend(_to_httpx2_response(response, outgoing, with_body=not mine))
        except StopAsyncIteration:
            return
        finally:
            await flow.aclose()


def _copy_headers(source: Any, target: httpx.Request) -> None:
    """What the flow set on its copy of the request (``Authorization``), onto ours."""
    for name, value in source.headers.items():
        if target.headers.get(name) != value:
            target.headers[name] = value


def _to_httpx2_request(request: httpx.Request) -> Any:
    """The flow's view of ours: method, URL and headers (the flow never reads the body)."""
    return _httpx2().Request(request.method, str(request.url), headers=list(request.headers.multi_items()))


def _to_httpx_request(request: Any) -> httpx.Request:
    """A request the flow made (metadata, registration, token) as an ``httpx.Request``."""
    content = request.content  # the flow builds them from bytes, a form or JSON: read already
    return httpx.Request(
        request.method, str(request.url), headers=list(request.headers.multi_items()), content=content
    )


def _to_httpx2_response(response: httpx.Response, request: Any, *, with_body: bool) -> Any:
    httpx2 = _httpx2()
    converted = httpx2.Response(
        response.status_code,
        headers=list(response.headers.multi_items()),
        content=response.content if with_body else b"",
        request=request,
    )
    follow = response.next_request
    if follow is not None:
        converted.next_request = httpx2.Request(
            follow.method, str(follow.url), headers=list(follow.headers.multi_items())
        )
    return converted
