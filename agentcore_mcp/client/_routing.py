"""Which backend carries a transport's POSTs, and where they go: a target and its options in, a backend out.

A runtime ARN goes over HTTPS signed with SigV4 by default, or through boto3 when a boto3 client is given;
a gateway ARN becomes its MCP URL (SigV4 by default, a bearer token for a JWT gateway); any other target is
an MCP URL, sent as it is. Options that contradict each other, or that the chosen backend cannot honour,
are refused here (``ValueError``), before any request.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from agentcore_mcp.client._arn import (
    RuntimeArn,
    configured_endpoint,
    invocations_url,
    is_runtime_arn,
    stop_session_url,
)
from agentcore_mcp.client._gateway import GatewayArn, gateway_region, gateway_url, is_gateway_arn

if TYPE_CHECKING:
    import httpx

    from agentcore_mcp.client._auth import TokenProvider
    from agentcore_mcp.client._backend import Backend

__all__ = ["BackendOptions", "make_backend"]

_INVOCATIONS_PATH = re.compile(r"/runtimes/([^/]+)/invocations/?$")


@dataclass(frozen=True)
class BackendOptions:
    """The options of :class:`~agentcore_mcp.client.AgentCoreTransport` that choose and build its backend.

    Each one means what the transport's docstring says; ``backend`` is a name or a ready ``Backend``.
    """

    qualifier: str | None
    client: Any
    endpoint_url: str | None
    region: str | None
    bearer_token: TokenProvider | None
    allow_insecure_http: bool | None
    auth: Any
    http_client: Any
    boto3_session: Any
    backend: Any
    headers: Mapping[str, str] | None
    read_timeout: float
    connect_timeout: float
    max_connections: int


def make_backend(target: str, options: BackendOptions) -> tuple[Backend, bool]:
    """Choose and build the backend for ``target``; also whether the target is an AgentCore runtime.

    Raises:
        ValueError: a target that is neither a runtime ARN nor an http(s) URL, or options that contradict
            each other or the target.
    """
    if not isinstance(target, str) or not target.strip():
        raise ValueError(f"target must be a runtime ARN or an MCP URL, got {target!r}")
    if not isinstance(options.backend, str):
        agentcore = is_runtime_arn(target) or _INVOCATIONS_PATH.search(urlsplit(target).path) is not None
        return options.backend, agentcore
    _check_choice(options)
    if is_gateway_arn(target) or gateway_region(target) is not None:
        target, options = _gateway_target(target, options)
    if is_runtime_arn(target):
        arn = RuntimeArn.parse(target)
        # The default for an ARN is HTTPS signed with botocore's SigV4 signer: the same InvokeAgentRuntime
        # call boto3 makes, without botocore's per-call pipeline and a worker thread per call (see
        # docs/performance.md, client section). A boto3 client passed as client= selects boto3.
        if options.backend == "boto3" or (options.backend == "auto" and options.client is not None):
            return _boto3_backend(arn, options), True
        if options.client is not None:
            raise ValueError("client= is a boto3 client; it needs backend='boto3'")
        route = _arn_route(arn, options)
    else:
        if options.client is not None or options.backend == "boto3":
            raise ValueError("the boto3 backend needs a runtime ARN as the target, not a URL")
        route = _url_route(target, endpoint_url=options.endpoint_url, region=options.region)
    return _http_backend(target, route, options), route.agentcore


def _check_choice(options: BackendOptions) -> None:
    """Refuse a ``backend=`` name not listed, and options that exclude each other whatever the target."""
    if options.backend not in ("auto", "boto3", "http", "httpx"):
        raise ValueError(
            f"backend must be 'auto', 'boto3', 'http', 'httpx' or a Backend object, got {options.backend!r}"
        )
    if options.bearer_token is not None and options.client is not None:
        raise ValueError(
            "bearer_token= and client= exclude each other: OAuth runtimes cannot be called via boto3"
        )
    if options.bearer_token is not None and options.auth is not None:
        raise ValueError("pass either bearer_token= or auth=, not both")


def _gateway_target(target: str, options: BackendOptions) -> tuple[str, BackendOptions]:
    """A gateway ARN as its MCP URL (and its region); SigV4 unless a bearer token or ``auth=`` says otherwise.

    A gateway is an MCP URL; an IAM gateway takes SigV4 (the default), a JWT one a bearer token.
    """
    if is_gateway_arn(target):
        region = options.region or GatewayArn.parse(target).region
        target = gateway_url(target, endpoint_url=options.endpoint_url)
        options = dataclasses.replace(options, region=region, endpoint_url=None)
    if options.auth is None and options.bearer_token is None:
        options = dataclasses.replace(options, auth="sigv4")
    return target, options


def _boto3_backend(arn: RuntimeArn, options: BackendOptions) -> Backend:
    """The boto3 backend for ``arn``; refuses the options only the HTTPS backend has."""
    if options.bearer_token is not None or options.http_client is not None or options.auth is not None:
        raise ValueError("bearer_token=, auth= and http_client= need backend='http', not 'boto3'")
    from agentcore_mcp.client._boto3 import Boto3Backend

    return Boto3Backend(
        arn,
        qualifier=options.qualifier,
        client=options.client,
        session=options.boto3_session,
        region=options.region,
        endpoint_url=options.endpoint_url,
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        max_pool_connections=options.max_connections,
        headers=options.headers,
    )


def _http_backend(target: str, route: _Route, options: BackendOptions) -> Backend:
    """The HTTPS backend sending to ``route``, with the auth ``options`` resolve to."""
    import httpx

    from agentcore_mcp.client._auth import BearerAuth
    from agentcore_mcp.client._httpx import HttpxBackend

    resolved = _resolve_auth(target, route, options)
    if isinstance(resolved, BearerAuth):
        resolved.check_url(route.url)  # a usage error now, not a refusal on the first request
    return HttpxBackend(
        route.url,
        auth=resolved,
        http_client=options.http_client,
        headers=options.headers,
        timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
        stop_url=route.stop_url,
        max_connections=options.max_connections,
    )


@dataclass(frozen=True)
class _Route:
    """Where the HTTPS backend sends: the MCP URL, the StopRuntimeSession URL (None: not a runtime),
    the region SigV4 would sign for (None: unknown), and whether the target is an AgentCore runtime."""

    url: str
    stop_url: str | None
    signing_region: str | None
    agentcore: bool


def _arn_route(arn: RuntimeArn, options: BackendOptions) -> _Route:
    """The invocations URL of ``arn``, at ``endpoint_url`` or wherever boto3 would send it."""
    endpoint_url, region, qualifier = options.endpoint_url, options.region, options.qualifier
    if endpoint_url is None:  # where boto3 would send it (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE, config file)
        endpoint_url = configured_endpoint(region or arn.region, options.boto3_session)
    return _Route(
        url=invocations_url(arn, qualifier=qualifier, endpoint_url=endpoint_url),
        stop_url=stop_session_url(arn, qualifier=qualifier, endpoint_url=endpoint_url),
        signing_region=region or arn.region,
        agentcore=True,
    )


def _url_route(target: str, *, endpoint_url: str | None, region: str | None) -> _Route:
    """``target`` itself; for an invocations URL, also its StopRuntimeSession URL and the ARN's region."""
    if endpoint_url is not None:
        raise ValueError("endpoint_url= applies to an ARN target; for a URL target, put the host in the URL")
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not a runtime ARN or an http(s) URL: {target!r}")
    match = _INVOCATIONS_PATH.search(parts.path)
    if match is None:
        return _Route(
            url=target, stop_url=None, signing_region=region or gateway_region(target), agentcore=False
        )
    stop_url = target[: target.index(match.group(0))] + f"/runtimes/{match.group(1)}/stopruntimesession"
    if parts.query:
        stop_url += f"?{parts.query}"
    signing_region = region
    if signing_region is None:
        try:
            signing_region = RuntimeArn.parse(unquote(match.group(1))).region
        except ValueError:
            signing_region = None
    return _Route(url=target, stop_url=stop_url, signing_region=signing_region, agentcore=True)


def _resolve_auth(target: str, route: _Route, options: BackendOptions) -> httpx.Auth | None:
    """The ``httpx.Auth`` the HTTPS backend runs: bearer, yours, SigV4 (the default for an ARN) or none."""
    import httpx

    from agentcore_mcp.client._auth import BearerAuth, SigV4Auth
    from agentcore_mcp.client._sdk_auth import SdkAuth, is_sdk_auth

    auth = options.auth
    if options.bearer_token is not None:
        return BearerAuth(options.bearer_token, allow_insecure_http=options.allow_insecure_http)
    if isinstance(auth, httpx.Auth):
        return auth
    if is_sdk_auth(auth):  # the mcp 2.x SDK's OAuthClientProvider: an httpx2.Auth
        return SdkAuth(auth)
    if auth == "none":
        return None
    if auth == "sigv4" or (auth is None and is_runtime_arn(target)):
        if route.signing_region is None:
            raise ValueError("SigV4 signing needs a region: pass region=")
        return SigV4Auth(route.signing_region, session=options.boto3_session)
    if auth is None:
        return None
    raise ValueError(f"auth must be an httpx.Auth, an httpx2.Auth, 'sigv4' or 'none', got {auth!r}")
