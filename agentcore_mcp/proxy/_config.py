"""The proxy's command-line options, and the transport and token source they describe.

:func:`add_arguments` declares the options on an ``argparse`` parser (the ``agentcore-mcp proxy``
subcommand and ``python -m agentcore_mcp.proxy`` share it); :func:`run` turns the parsed options into an
:class:`~agentcore_mcp.client.AgentCoreTransport` and a :class:`~agentcore_mcp.proxy.StdioProxy`, sets up
logging (stderr or ``--log-file``, never stdout) and serves. Bad options exit with status 2 and one line on
stderr, before stdin is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from agentcore_mcp import _settings as settings
from agentcore_mcp.proxy._proxy import DEFAULT_MAX_LINE, ProxyOptions, StdioProxy

__all__ = ["add_arguments", "build", "main", "run"]

REFRESH_MARGIN = 90.0  # seconds before a JWT's exp that the proxy asks for a new token
_INVOCATIONS = re.compile(r"/runtimes/[^/]+/invocations/?$")
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Said at start (exit 2) rather than as every request's NoCredentialsError: the usual cause is a launcher
# that passes its child only part of its environment, which the person reading this cannot see.
NO_CREDENTIALS = (
    "no AWS credentials to sign with (SigV4): botocore's credential chain found none. A client that launches "
    "this proxy may pass it only part of its environment (the MCP SDK's stdio client, and MCPServerStdio and "
    "the other launchers built on it, keep HOME, PATH, SHELL, TERM, USER and LOGNAME): give the AWS variables "
    "in the launcher's env (AWS_PROFILE, or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN), "
    "or --profile NAME for a profile in ~/.aws; a JWT runtime takes --bearer-token or --oauth instead"
)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the proxy's options on ``parser``."""
    parser.add_argument(
        "target", metavar="TARGET", nargs="?", help="a runtime ARN, an invocations URL or any MCP URL"
    )
    _where_options(parser)
    _auth_options(parser)
    _behaviour_options(parser)
    logs = parser.add_argument_group("logs (never on stdout)")
    logs.add_argument("--log-file", help="append logs to this file instead of stderr")
    logs.add_argument("--log-level", choices=_LEVELS, default="WARNING", type=str.upper, help="(WARNING)")


def _where_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("where")
    where.add_argument(
        "--target",
        "-t",
        dest="target_option",
        metavar="TARGET",
        default=settings.text(settings.TARGET),
        help="the same as TARGET, as the other commands take it (default: AGENTCORE_MCP_TARGET)",
    )
    where.add_argument("--qualifier", default="DEFAULT", help="the runtime endpoint of an ARN (DEFAULT)")
    where.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE") or None,
        help="the data-plane endpoint for an ARN, e.g. the local emulator "
        "(default: AWS_ENDPOINT_URL_BEDROCK_AGENTCORE, else AWS's)",
    )
    where.add_argument("--region", help="AWS region (default: the ARN's, or the profile's)")
    where.add_argument(
        "--backend",
        choices=("http", "httpx", "boto3"),
        default="http",
        help="direct HTTPS (default; httpx: always httpx), or boto3's invoke_agent_runtime (SigV4 only; "
        "a call in flight cannot be aborted, so exit waits for it)",
    )


def _auth_options(parser: argparse.ArgumentParser) -> None:
    auth = parser.add_argument_group(
        "auth (default: SigV4 for an ARN or invocations URL, none for other URLs)"
    )
    auth.add_argument("--profile", help="AWS profile for SigV4 (the credential chain otherwise)")
    auth.add_argument("--bearer-token", help="an OAuth access token (or set AGENTCORE_MCP_BEARER_TOKEN)")
    auth.add_argument(
        "--token-command", help="a shell command that prints an access token (run again on expiry)"
    )
    auth.add_argument(
        "--oauth",
        choices=("client-credentials", "login"),
        help="obtain tokens: the client-credentials grant, or a browser login (authorization code + PKCE)",
    )
    auth.add_argument("--discovery-url", help="the issuer's .well-known/openid-configuration URL")
    auth.add_argument(
        "--token-url", help="the token endpoint (instead of --discovery-url, client credentials)"
    )
    auth.add_argument("--client-id", help="the OAuth client id")
    auth.add_argument("--client-secret", help="the OAuth client secret (or set AGENTCORE_MCP_CLIENT_SECRET)")
    auth.add_argument("--scope", action="append", default=[], help="an OAuth scope to ask for (repeatable)")
    auth.add_argument("--audience", help="the audience to ask for (client credentials)")
    auth.add_argument("--redirect-port", type=int, default=0, help="the loopback port of the login redirect")
    auth.add_argument(
        "--token-cache", help="the refresh-token file (default: the keyring, or ~/.cache/agentcore-mcp)"
    )
    auth.add_argument("--no-auth", action="store_true", help="send no credentials")


def _behaviour_options(parser: argparse.ArgumentParser) -> None:
    behaviour = parser.add_argument_group("behaviour")
    behaviour.add_argument(
        "--read-only", action="store_true", help="list and allow only tools annotated readOnlyHint"
    )
    behaviour.add_argument("--tool-timeout", type=_positive, help="seconds a tools/call may take")
    behaviour.add_argument(
        "--timeout", type=_positive, default=900.0, help="seconds any request may take (900)"
    )
    behaviour.add_argument(
        "--header",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME=VALUE",
        help="an HTTP header for every POST",
    )
    behaviour.add_argument(
        "--meta",
        action="append",
        type=_pair,
        default=[],
        metavar="KEY=VALUE",
        help="added to every request's _meta",
    )
    behaviour.add_argument("--session-id", help="the runtime session id to use (33-100 characters)")
    behaviour.add_argument("--user-id", help="sent as X-Amzn-Bedrock-AgentCore-Runtime-User-Id")
    behaviour.add_argument(
        "--keep-session", action="store_true", help="do not stop the runtime session at exit"
    )
    behaviour.add_argument("--max-message-bytes", type=int, default=DEFAULT_MAX_LINE, help=argparse.SUPPRESS)


def _is_agentcore(target: str) -> bool:
    """A runtime (ARN or invocations URL) or an AgentCore Gateway (ARN or URL): SigV4 by default."""
    from agentcore_mcp.client import RuntimeArn, is_gateway_arn, is_gateway_url

    if is_gateway_arn(target) or is_gateway_url(target):
        return True
    try:
        RuntimeArn.parse(target)
        return True
    except ValueError:
        return _INVOCATIONS.search(target.split("?", 1)[0]) is not None


def build(args: argparse.Namespace) -> tuple[StdioProxy, Any]:
    """The proxy and the token source (None for SigV4 or no auth) the options describe.

    Raises:
        ValueError: options that contradict each other or miss a part; the message says which.
    """
    from agentcore_mcp.client import AgentCoreTransport

    args.target = _target(args)
    bearer = args.bearer_token or settings.text(settings.BEARER_TOKEN)
    source = _token_source(args, bearer)
    transport = AgentCoreTransport(
        args.target,
        qualifier=args.qualifier,
        backend=args.backend,
        runtime_session_id=args.session_id,
        user_id=args.user_id,
        headers=dict(args.header) or None,
        timeout=args.timeout,
        **_auth_keywords(args, source if source is not None else bearer),
    )
    options = ProxyOptions(
        read_only=args.read_only,
        tool_timeout=args.tool_timeout,
        meta=dict(args.meta),
        keep_session=args.keep_session,
        max_line=args.max_message_bytes,
    )
    return StdioProxy(transport, options), source


def _target(args: argparse.Namespace) -> str:
    """TARGET or --target (one of them, or both the same)."""
    target: str | None = args.target or args.target_option
    if not target:
        raise ValueError("name the TARGET: a runtime ARN, an invocations URL or an MCP URL")
    if args.target and args.target_option and args.target != args.target_option:
        raise ValueError(f"two targets: {args.target!r} and --target {args.target_option!r}")
    return target


def _token_source(args: argparse.Namespace, bearer: str | None) -> Any:
    """The token provider the auth options ask for (with aclose(), for BearerAuth, which decides when to
    call it); None for a fixed bearer token, SigV4 or no auth. At most one way to authenticate is chosen.
    """
    from agentcore_mcp.client import AuthorizationCode, ClientCredentials, CommandToken, TokenCache

    chosen = [
        name
        for name, on in (
            ("--bearer-token", bearer),
            ("--token-command", args.token_command),
            ("--oauth", args.oauth),
            ("--no-auth", args.no_auth),
        )
        if on
    ]
    if len(chosen) > 1:
        raise ValueError(f"choose one way to authenticate, not {' and '.join(chosen)}")
    if bearer:
        if not bearer.strip():
            raise ValueError("the bearer token is empty")
        return None
    if args.token_command:
        return CommandToken(args.token_command)
    if not args.oauth:
        return None
    if not args.client_id:
        raise ValueError("--oauth needs --client-id")
    if args.oauth == "client-credentials":
        secret = args.client_secret or settings.text(settings.CLIENT_SECRET)
        if not secret:
            raise ValueError(
                "--oauth client-credentials needs --client-secret (or AGENTCORE_MCP_CLIENT_SECRET)"
            )
        if not (args.discovery_url or args.token_url):
            raise ValueError("--oauth client-credentials needs --discovery-url or --token-url")
        return ClientCredentials(
            args.client_id,
            secret,
            discovery_url=args.discovery_url,
            token_url=args.token_url,
            scopes=args.scope,
            audience=args.audience,
        )
    if not args.discovery_url:
        raise ValueError("--oauth login needs --discovery-url")
    return AuthorizationCode(
        args.client_id,
        discovery_url=args.discovery_url,
        scopes=args.scope,
        client_secret=args.client_secret or settings.text(settings.CLIENT_SECRET),
        redirect_port=args.redirect_port,
        cache=TokenCache(args.token_cache, use_keyring=args.token_cache is None),
    )


def _auth_keywords(args: argparse.Namespace, provider: Any) -> dict[str, Any]:
    """The transport's auth, endpoint and region keywords: ``provider`` (a token or a token source) as
    bearer auth, else none, else SigV4 for an AgentCore target."""
    kwargs: dict[str, Any] = {}
    if provider:
        from agentcore_mcp.client import BearerAuth

        # AgentCore refuses a token expiring within 60 s: renewing only 60 s ahead races that refusal for a
        # request in flight at the boundary, so renew half a minute earlier than BearerAuth's default.
        kwargs["auth"] = BearerAuth(provider, refresh_margin=REFRESH_MARGIN)
        if args.backend == "boto3":
            raise ValueError("bearer tokens go over HTTPS: --backend boto3 cannot carry them")
    elif args.no_auth:
        kwargs["auth"] = "none"
    elif _is_agentcore(args.target):
        boto3: Any = importlib.import_module("boto3")  # untyped; imported only for SigV4

        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        if session.get_credentials() is None:
            raise ValueError(NO_CREDENTIALS)
        kwargs["boto3_session"] = session
        if not args.target.startswith("arn:"):
            kwargs["auth"] = "sigv4"
    if args.profile and "boto3_session" not in kwargs:
        raise ValueError("--profile applies to SigV4, not to bearer tokens or --no-auth")
    if args.endpoint_url and args.target.startswith("arn:"):
        kwargs["endpoint_url"] = args.endpoint_url
    if args.region:
        kwargs["region"] = args.region
    return kwargs


def _configure_logging(args: argparse.Namespace) -> None:
    handler: logging.Handler = (
        logging.FileHandler(args.log_file) if args.log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(args.log_level)
    logging.captureWarnings(True)


def run(args: argparse.Namespace) -> int:
    """Serve the proxy the parsed options describe; the exit status (0, or 2 for bad options)."""
    _configure_logging(args)
    try:
        proxy, source = build(args)
    except Exception as exc:  # a usage error (ValueError), a missing extra, an unknown AWS profile
        print(f"agentcore-mcp proxy: {' '.join(str(exc).split()) or type(exc).__name__}", file=sys.stderr)
        return 2
    logging.getLogger("agentcore_mcp.proxy").info(
        "proxying stdio to %s (runtime session %s)", args.target, proxy.transport.session.runtime_session_id
    )

    async def serve() -> int:
        try:
            return await proxy.run()
        finally:
            if source is not None:
                await source.aclose()

    return asyncio.run(serve())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m agentcore_mcp.proxy TARGET [options]``: the same as ``agentcore-mcp proxy``."""
    parser = argparse.ArgumentParser(
        prog="agentcore-mcp proxy",
        description="A local stdio MCP server that forwards everything to an AgentCore runtime or MCP URL.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
