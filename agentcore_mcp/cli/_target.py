"""The options every MCP client command shares (``--target`` and its authentication), as transport options.

Commands that talk to an MCP server (``tools``, ``call``, ``session stop``, and any command added later)
call :func:`add_client_options` on their parser and :func:`transport_options` on the parsed arguments,
then open :class:`~agentcore_mcp.AgentCoreTransport` with what it returns.
"""

from __future__ import annotations

import argparse
import os
from typing import Any
from urllib.parse import urlsplit

from agentcore_mcp import _settings as settings
from agentcore_mcp.cli._base import PROFILE_HELP, Failed, add_list_option, pairs

__all__ = ["TARGET_HELP", "add_client_options", "describe_failure", "transport_options"]

TARGET_HELP = """\
TARGET (--target, or AGENTCORE_MCP_TARGET; default http://127.0.0.1:8000/mcp) is one of:
  an MCP URL               http://127.0.0.1:8000/mcp (a local server), or an invocations URL
  a runtime ARN            arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/ID, InvokeAgentRuntime
                           over HTTPS signed with SigV4: your profile, credentials, the ARN's region
  a runtime ARN + a token  --bearer-token TOKEN (or AGENTCORE_MCP_BEARER_TOKEN) or --token-command
                           CMD, for a JWT (OAuth) runtime: plain HTTPS to the invocations URL

Standard AWS configuration applies: --profile / AWS_PROFILE, --region, and the endpoint variable
AWS_ENDPOINT_URL_BEDROCK_AGENTCORE (data plane) or --endpoint-url, e.g. the local emulator.
"""


def add_client_options(parser: argparse.ArgumentParser, *, session_id: bool = True) -> None:
    """Add ``--target``, the token options, the AWS options, ``--timeout`` and ``--json`` to ``parser``."""
    group = parser.add_argument_group("target and authentication")
    group.add_argument(
        "--target",
        "-t",
        default=settings.text(settings.TARGET, "http://127.0.0.1:8000/mcp"),
        help="an MCP URL or a runtime ARN (default: AGENTCORE_MCP_TARGET, else http://127.0.0.1:8000/mcp)",
    )
    tokens = group.add_mutually_exclusive_group()
    tokens.add_argument(
        "--bearer-token",
        metavar="TOKEN",
        help="an OAuth access token for a JWT runtime (default: AGENTCORE_MCP_BEARER_TOKEN)",
    )
    tokens.add_argument(
        "--token-command",
        metavar="CMD",
        help="a shell command that prints an access token; run again if the token is refused (401)",
    )
    group.add_argument("--qualifier", default="DEFAULT", help="the runtime endpoint (default DEFAULT)")
    group.add_argument("--profile", help=PROFILE_HELP)
    group.add_argument("--region", help="the AWS region (default: the ARN's)")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the AgentCore data-plane endpoint for an ARN, e.g. the local emulator "
        "(default: AWS_ENDPOINT_URL_BEDROCK_AGENTCORE, else AWS's)",
    )
    if session_id:
        group.add_argument(
            "--session-id",
            metavar="ID",
            help="the runtime session id to use (33-100 letters, digits, '-' or '_'); new when omitted",
        )
    group.add_argument("--user-id", help="sent as X-Amzn-Bedrock-AgentCore-Runtime-User-Id")
    add_list_option(
        group,
        "--header",
        "NAME=VALUE",
        "an extra request header, e.g. an allow-listed custom header; repeatable",
    )
    group.add_argument(
        "--timeout", type=float, default=120.0, help="seconds the whole command may take (default 120)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON (the MCP wire shape)")


def _token_provider(command: str, timeout: float) -> Any:
    """Run ``command`` now (a failure is reported before anything is sent) and again on each refresh."""
    import subprocess

    def run() -> str:
        try:
            done = subprocess.run(
                command, shell=True, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise Failed(f"--token-command did not finish within {timeout:g} s") from None
        if done.returncode != 0:
            # Only stderr is quoted: stdout is where the token goes, and a command that printed it and then
            # failed must not have it echoed into a terminal or a log.
            lines = done.stderr.strip().splitlines()
            detail = f": {lines[-1][:200]}" if lines else " (no stderr)"
            raise Failed(f"--token-command exited with status {done.returncode}{detail}")
        token = done.stdout.strip()
        if not token:
            raise Failed("--token-command printed no token")
        return token

    first = [run()]

    def provider() -> str:
        return first.pop() if first else run()

    return provider


def transport_options(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The target and the ``AgentCoreTransport`` options the client options ask for (ValueError: usage)."""
    from agentcore_mcp.client import RuntimeArn, is_runtime_arn

    target = args.target.strip()
    options: dict[str, Any] = {"qualifier": args.qualifier}
    if args.user_id:
        options["user_id"] = args.user_id
    if getattr(args, "session_id", None):
        options["runtime_session_id"] = args.session_id
    if args.header:
        options["headers"] = pairs(args.header, "--header")
    token: Any = args.bearer_token or settings.text(settings.BEARER_TOKEN) or None
    if _is_gateway(target):
        target = _gateway_options(target, args, options, signed=token is None and not args.token_command)
    elif is_runtime_arn(target):
        arn = RuntimeArn.parse(target)
        region = args.region or arn.region
        if args.region:
            options["region"] = args.region
        if token is not None or args.token_command:
            options["endpoint_url"] = args.endpoint_url or _data_plane_endpoint(region, args.profile)
        else:
            # The endpoint the standard AWS configuration names (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE, a
            # profile's endpoint_url), resolved by botocore, whichever backend the transport picks.
            options["endpoint_url"] = args.endpoint_url or _data_plane_endpoint(region, args.profile)
            session = _boto3_session(args.profile)
            if args.profile:
                options["boto3_session"] = session
            if session.get_credentials() is None:
                raise ValueError(NO_CREDENTIALS)
    else:
        for flag, value in (("--profile", args.profile), ("--endpoint-url", args.endpoint_url)):
            if value:
                raise ValueError(f"{flag} applies to a runtime ARN target; {target!r} is a URL")
        if args.region:
            options["region"] = args.region
    if args.token_command:
        token = _token_provider(args.token_command, min(args.timeout, 60.0))
    if token is not None:
        options["bearer_token"] = token
    from agentcore_mcp.client import AgentCoreTransport

    AgentCoreTransport(target, **options)  # checks the options (ValueError: usage) and opens nothing
    return target, options


def _is_gateway(target: str) -> bool:
    from agentcore_mcp.client import is_gateway_arn, is_gateway_url

    return is_gateway_arn(target) or is_gateway_url(target)


def _gateway_options(target: str, args: argparse.Namespace, options: dict[str, Any], *, signed: bool) -> str:
    """A gateway ARN or URL as its MCP URL; SigV4 options (region, profile) unless a token is given.

    A gateway ARN resolves to AWS's gateway URL, or with ``--endpoint-url`` (or
    ``AWS_ENDPOINT_URL_BEDROCK_AGENTCORE``, the emulator) to the one the emulator serves it at.
    """
    from agentcore_mcp.client import GatewayArn, gateway_url, is_gateway_arn
    from agentcore_mcp.deploy import resolve_region

    region = args.region
    if is_gateway_arn(target):
        arn = GatewayArn.parse(target)
        endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE") or None
        target, region = gateway_url(arn, endpoint_url=endpoint), region or arn.region
    elif args.endpoint_url:
        raise ValueError(f"--endpoint-url applies to an ARN target; {target!r} is a URL")
    if signed:
        session = _boto3_session(args.profile) if args.profile else None
        region = region or _aws_gateway_region(target) or resolve_region(None, args.profile)[0]
        region = region or (session.region_name if session is not None else None)
        if not region:
            raise ValueError(f"signing {target!r} with SigV4 needs a region: pass --region or set AWS_REGION")
        options.update(auth="sigv4", region=region)
        if session is not None:
            options["boto3_session"] = session
    elif region:
        options["region"] = region
    return target


def _aws_gateway_region(url: str) -> str | None:
    """The region in an AWS gateway URL's host (``{id}.gateway.bedrock-agentcore.{region}.amazonaws.com``)."""
    host = (urlsplit(url).hostname or "").split(".")
    return host[3] if len(host) > 4 and host[1:3] == ["gateway", "bedrock-agentcore"] else None


NO_CREDENTIALS = (
    "no AWS credentials to sign the ARN target with: set AWS_PROFILE (or pass --profile), or "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`; for the local emulator set "
    "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE to its URL and any credentials"
)


def _boto3_session(profile: str | None) -> Any:
    from agentcore_mcp.deploy import _module

    try:
        return _module("boto3").Session(profile_name=profile)
    except _module("botocore.exceptions").ProfileNotFound as exc:
        raise ValueError(f"{exc} (see `aws configure list-profiles`)") from None


def _data_plane_endpoint(region: str | None, profile: str | None) -> str:
    from agentcore_mcp.deploy import data_plane_endpoint

    return data_plane_endpoint(region=region, profile=profile)


def describe_failure(exc: BaseException, timeout: float, target: str | None = None) -> str:
    """One line for a failed remote call, whatever raised it (the SDK's MCP error, a timeout, botocore).

    The JSON-RPC code is named once (the transport's messages already end ``[HTTP status, JSON-RPC code]``).
    With the ``target`` URL, a 404 from a URL without the MCP path adds "did you mean HOST/mcp?", and a
    refused connection to this machine asks whether the server is running.
    """
    if isinstance(exc, Failed):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s (--timeout)"
    error = getattr(exc, "error", None)  # mcp's McpError carries the JSON-RPC error
    message = getattr(error, "message", None) or str(exc) or type(exc).__name__
    code = getattr(error, "code", None)
    text = " ".join(str(message).split())
    if isinstance(code, int) and f"JSON-RPC {code}" not in text:
        text = f"{text} (JSON-RPC error {code})"
    data = getattr(error, "data", None)
    return text + _url_hint(target, data if isinstance(data, dict) else {}, text)


def _url_hint(target: str | None, data: dict[str, Any], text: str) -> str:
    if not target or not target.startswith(("http://", "https://")):
        return ""
    parts = urlsplit(target)
    path = parts.path.rstrip("/")
    # the emulator's own 404 (endpointUrl in its data) already names the URL to use
    not_mcp = "/invocations" not in path and not path.endswith("/mcp")
    if data.get("status") == 404 and "endpointUrl" not in data and not_mcp:
        return f"; did you mean {parts.scheme}://{parts.netloc}/mcp? (AgentCore serves MCP at /mcp)"
    if text.startswith("could not connect") and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return "; is the server running? (`agentcore-mcp dev APP` or `agentcore-mcp serve APP` starts one)"
    return ""
