"""``agentcore-mcp emulator`` and ``agentcore-mcp dev``: the local AgentCore Runtime on this machine."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from agentcore_mcp.cli._base import (
    Command,
    add_app_argument,
    add_command,
    add_list_option,
    configure_logging,
    pairs,
)
from agentcore_mcp.cli._ports import ensure_free

__all__ = ["banner", "register"]

EMULATOR_DESCRIPTION = """\
A local AgentCore Runtime data plane: InvokeAgentRuntime and StopRuntimeSession for MCP runtimes, on
http://HOST:PORT, talked to by real boto3 (endpoint_url) and by MCP clients with a bearer token.

One runtime is registered from --target (a running MCP server's URL; every session shares it) or --app
(an app spec; with --isolation process each runtime session gets its own server process, like a microVM).
Its ARN is --arn, or a well-formed local ARN built from --name; the emulator prints it with its
invocations URL. moto's control plane (bedrock-agentcore-control) answers on the same URL: runtimes created
there with serverProtocol MCP are invocable too (their container image is served by --image URI=TARGET, or
by the --target/--app runtime's target when no image matches, or directly when the image URI is an http://
URL).

Auth, as the runtime is configured: none; sigv4 (signatures checked against the local credentials: the
ones boto3 finds in your environment, plus testing/testing, plus --access-key/--secret-key; a user id
header only with --invoke-for-user, standing in for the IAM action InvokeAgentRuntimeForUser); jwt (bearer
tokens from the emulator's own issuer at http://HOST:PORT/oidc, or from --discovery-url, checked for
issuer, expiry, --audience, --client-id and --scope). --print-token mints a token that passes those checks
(for the first --client-id, --audience and --scope); a JWT caller's user is its token's sub.

Point boto3 at it with endpoint_url=http://HOST:PORT, or with the standard environment variables
AWS_ENDPOINT_URL_BEDROCK_AGENTCORE and AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL.
"""

DEV_DESCRIPTION = """\
Run APP the way AgentCore would, on one machine: APP's MCP server on 127.0.0.1:--port (8000) and the
emulator in front of it on --emulator-port (9000), one runtime registered. Prints the runtime ARN, the
invocations URL, and an `agentcore-mcp tools` line and a boto3 snippet that work as printed (with --auth
jwt: a bearer token for the first --client-id, --audience and --scope, with a CLI and a curl line that use
it). Ctrl-C stops both; a port already in use is exit status 1.
"""

EMULATOR_EXAMPLES = """\
agentcore-mcp emulator --app examples/demo_server.py
agentcore-mcp emulator --target http://127.0.0.1:8000/mcp --auth sigv4 --port 9000
agentcore-mcp emulator --app examples/demo_server.py --auth jwt --client-id me --print-token
"""

EMULATOR = Command(
    "emulator",
    "run the local AgentCore Runtime (InvokeAgentRuntime) emulator",
    EMULATOR_DESCRIPTION,
    EMULATOR_EXAMPLES,
)

DEV_EXAMPLES = """\
agentcore-mcp dev examples/demo_server.py
agentcore-mcp dev examples/demo_server.py --auth jwt --client-id my-client
"""

DEV = Command(
    "dev", "run APP and the emulator together, and print how to call it", DEV_DESCRIPTION, DEV_EXAMPLES
)


def register(commands: Any) -> None:
    emulator = add_command(commands, EMULATOR, run_emulator, server=True)
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=9000, help="port to bind (default 9000)")
    target = emulator.add_mutually_exclusive_group()
    target.add_argument(
        "--target", metavar="URL", help="a running MCP server, e.g. http://127.0.0.1:8000/mcp"
    )
    target.add_argument("--app", metavar="APP", help="an app spec to run for the runtime (see --isolation)")
    _runtime_options(emulator)
    add_list_option(
        emulator,
        "--image",
        "URI=TARGET",
        "serve control-plane runtimes whose containerUri is URI with TARGET (a URL, or an app spec run "
        "per session); repeatable",
    )
    emulator.add_argument("--no-control-plane", action="store_true", help="do not serve moto's control plane")
    emulator.add_argument(
        "--print-token", action="store_true", help="print a bearer token from the local issuer"
    )

    dev = add_command(commands, DEV, run_dev, server=True)
    add_app_argument(dev, "run")
    dev.add_argument("--port", type=int, default=8000, help="APP's port on 127.0.0.1 (default 8000)")
    dev.add_argument("--emulator-port", type=int, default=9000, help="the emulator's port (default 9000)")
    _runtime_options(dev)


def _runtime_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the runtime")
    group.add_argument(
        "--arn",
        action="append",
        help="the runtime ARN (default: built from --name, --region, --account-id); repeat it to serve the"
        " same target under more ARNs, e.g. several targets of a gateway",
    )
    group.add_argument(
        "--name", default="local_mcp", help="the runtime name in the default ARN (default local_mcp)"
    )
    group.add_argument(
        "--region", default="us-east-1", help="region of the runtime and of SigV4 scopes (default us-east-1)"
    )
    group.add_argument("--account-id", default="123456789012", help="account id in the default ARN")
    group.add_argument(
        "--auth",
        choices=("none", "sigv4", "jwt"),
        default="none",
        help="how callers authenticate (default none)",
    )
    group.add_argument(
        "--isolation",
        choices=("shared", "process", "snapshot"),
        help="process: one server process per runtime session (--app only; the default for --app in "
        "`emulator`); snapshot: each session's process forked from one that imported --app once, as "
        "Runtime V2 restores a snapshot; shared: every session reaches one server",
    )
    group.add_argument(
        "--stateful",
        action="store_true",
        help="the server keeps MCP sessions (stateless_http=False / sessions=True): pass its own "
        "Mcp-Session-Id back and route by it",
    )
    _limit_and_auth_options(group)
    _session_options(group)


def _limit_and_auth_options(group: Any) -> None:
    """The platform's request limits and health probes, and how callers are authenticated."""
    _seconds_option(group, "--request-limit", 900.0, "until a synchronous answer is due")
    _seconds_option(group, "--stream-limit", 3600.0, "an event stream may stay open")
    _seconds_option(group, "--probe-interval", 30.0, "between health probes of a session")
    group.add_argument("--no-probes", action="store_true", help="do not health-probe the sessions' servers")
    group.add_argument("--access-key", help="an extra SigV4 access key id to accept (with --secret-key)")
    group.add_argument("--secret-key", help="the secret key of --access-key")
    group.add_argument(
        "--invoke-for-user",
        action="store_true",
        help="SigV4 callers hold bedrock-agentcore:InvokeAgentRuntimeForUser: they may name a user in a "
        "signed X-Amzn-Bedrock-AgentCore-Runtime-User-Id (boto3's runtimeUserId); without it that header "
        "is 403 AccessDeniedException",
    )
    group.add_argument(
        "--discovery-url", help="JWT issuer's OpenID discovery URL (default: the local issuer)"
    )
    add_list_option(group, "--audience", None, "allowed JWT audience; repeatable")
    add_list_option(group, "--client-id", None, "allowed JWT client id; repeatable")
    add_list_option(group, "--scope", None, "allowed JWT scope; repeatable")


def _session_options(group: Any) -> None:
    """What a session's server gets (headers, lifetimes, environment), Identity's providers, logging."""
    add_list_option(group, "--allow-header", "NAME", "forward this request header; repeatable")
    _seconds_option(group, "--idle-timeout", 900.0, "before an idle session ends")
    _seconds_option(group, "--max-lifetime", 28800.0, "a session may live")
    _seconds_option(group, "--start-timeout", 30.0, "a microVM may take to start")
    group.add_argument(
        "--rate-limit", type=float, help="invocations per second before throttling (default: none)"
    )
    add_list_option(group, "--env", "KEY=VALUE", "environment for processes")
    add_list_option(
        group,
        "--oauth2-provider",
        "NAME",
        "an OAuth2 credential provider of the local AgentCore Identity (GetResourceOauth2Token; its "
        "USER_FEDERATION consent page approves on visit); repeatable",
    )
    group.add_argument("--log-level", default="info", help="debug, info, warning or error (default info)")


def _seconds_option(group: Any, flag: str, default: float, what: str) -> None:
    """Add ``flag``, a number of seconds: its help is ``seconds WHAT (DEFAULT)``."""
    group.add_argument(flag, type=float, default=default, help=f"seconds {what} ({default:g})")


def _build_emulator(args: argparse.Namespace, target: Any, isolation: Any, control_plane: bool) -> Any:
    from agentcore_mcp.emulator import Emulator, HealthProbe, RequestLimits
    from agentcore_mcp.emulator._emulator import _default_credentials

    credentials: dict[str, Any] = dict(_default_credentials())
    if bool(args.access_key) != bool(args.secret_key):
        raise ValueError("--access-key and --secret-key go together")
    if args.access_key:
        credentials[args.access_key] = args.secret_key
    emulator = Emulator(
        region=args.region,
        account_id=args.account_id,
        credentials=credentials,
        control_plane=control_plane,
        limits=RequestLimits(sync=args.request_limit, stream=args.stream_limit),
        health_probe=None if args.no_probes else HealthProbe(interval=args.probe_interval),
        invoke_for_user=args.invoke_for_user,
        oauth2_providers=args.oauth2_provider,
    )
    runtime = None
    for arn in (args.arn or [None]) if target is not None else ():
        added = emulator.add_runtime(
            target,
            arn=arn,
            name=args.name,
            auth=args.auth,
            isolation=isolation,
            stateful=args.stateful,
            discovery_url=args.discovery_url,
            allowed_audience=args.audience,
            allowed_clients=args.client_id,
            allowed_scopes=args.scope,
            header_allowlist=args.allow_header,
            idle_timeout=args.idle_timeout,
            max_lifetime=args.max_lifetime,
            start_timeout=args.start_timeout,
            rate_limit=args.rate_limit,
            environment=pairs(args.env, "--env"),
        )
        runtime = runtime or added
    return emulator, runtime


def _snippet(endpoint: str, runtime: Any, region: str) -> str:
    return f'''import json, boto3

client = boto3.client("bedrock-agentcore", endpoint_url="{endpoint}", region_name="{region}",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
answer = client.invoke_agent_runtime(
    agentRuntimeArn="{runtime.arn}",
    contentType="application/json",
    accept="application/json, text/event-stream",
    mcpProtocolVersion="2025-11-25",
    mcpMethod="tools/list",
    payload=json.dumps({{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}}),
)
print(answer["mcpSessionId"], answer["response"].read().decode())'''


def mint_for(emulator: Any, args: argparse.Namespace) -> str:
    """A token from the local issuer that the runtime's checks accept: the first client id, audience, scope."""
    claims: dict[str, Any] = {}
    if args.client_id:
        claims["client_id"] = args.client_id[0]
    if args.audience:
        claims["audience"] = args.audience[0]
    if args.scope:
        claims["scopes"] = [args.scope[0]]
    token: str = emulator.mint_token(**claims)
    return token


def banner(emulator: Any, runtime: Any, token: str | None) -> str:
    """What the emulator prints once it listens: its URLs, and commands that work against it as printed."""
    endpoint = emulator.base_url
    lines = [f"AgentCore Runtime emulator on {endpoint}"]
    if emulator.control is not None:
        lines.append(f"  control plane (moto): {endpoint}  (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL)")
    lines.append(f"  export AWS_ENDPOINT_URL_BEDROCK_AGENTCORE={endpoint}")
    if runtime is not None:
        url = emulator.invocations_url(runtime)
        lines += [
            f"  runtime ARN:      {runtime.arn}",
            f"  invocations URL:  {url}",
            f"  target:           {runtime.target} ({runtime.isolation}, auth {runtime.auth})",
        ]
        lines += [f"  also ARN:         {other.arn}" for other in emulator.runtimes if other is not runtime]
        if runtime.auth == "jwt":
            lines.append(f"  OIDC discovery:   {emulator.issuer.discovery_url}")
            lines.append(f"  token endpoint:   {emulator.issuer.token_url} (client_credentials)")
        if runtime.auth == "jwt" and token is not None:
            body = '{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}'
            lines += [
                "",
                "CLI:",
                f"agentcore-mcp tools --target {runtime.arn} --endpoint-url {endpoint} --bearer-token {token}",
                "",
                "curl:",
                f"curl -sS {shlex.quote(url)} -H 'Authorization: Bearer {token}' "
                "-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' "
                "-H 'MCP-Protocol-Version: 2025-11-25' "
                f"-d {shlex.quote(body)}",
            ]
        elif runtime.auth != "jwt":
            # boto3 signs every request, so it needs credentials even when the runtime checks none:
            # the emulator always accepts testing/testing.
            lines += [
                "",
                "CLI:",
                "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
                f"agentcore-mcp tools --target {runtime.arn} --endpoint-url {endpoint}",
                "",
                "boto3:",
                _snippet(endpoint, runtime, runtime.region),
            ]
    if token is not None:
        lines += ["", "bearer token (1 h):", token]
    return "\n".join(lines)


def _serve_emulator(emulator: Any, host: str, port: int, on_ready: Any) -> int:
    import uvicorn

    emulator.bind(f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}")

    class _Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                on_ready()

    config = uvicorn.Config(
        emulator, host=host, port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=10
    )
    server = _Server(config)
    server.run()
    return 0 if server.started else 1


def run_emulator(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    target = args.target or args.app
    isolation = args.isolation
    if args.target and isolation in ("process", "snapshot"):
        raise ValueError(f"--isolation {isolation} needs --app (a URL target is one shared server)")
    if args.app and isolation is None:
        isolation = "process"
    ensure_free(args.host, args.port, "--port")
    emulator, runtime = _build_emulator(args, target, isolation, not args.no_control_plane)
    for uri, image_target in pairs(args.image, "--image").items():
        is_url = image_target.startswith(("http://", "https://"))
        emulator.map_image(uri, image_target, isolation="shared" if is_url else "process")
    if runtime is not None and emulator.control is not None and "*" not in emulator.control.images:
        emulator.map_image("*", runtime.target, isolation=runtime.isolation)

    def ready() -> None:
        token = mint_for(emulator, args) if args.print_token else None
        print(banner(emulator, runtime, token), flush=True)

    return _serve_emulator(emulator, args.host, args.port, ready)


def run_dev(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    ensure_free("127.0.0.1", args.emulator_port, "--emulator-port")
    isolation = args.isolation or "shared"
    if isolation == "process":
        emulator, runtime = _build_emulator(args, args.app, "process", True)

        def ready_process() -> None:
            token = mint_for(emulator, args) if args.auth == "jwt" else None
            print(banner(emulator, runtime, token), flush=True)

        return _serve_emulator(emulator, "127.0.0.1", args.emulator_port, ready_process)

    from agentcore_mcp._loader import load_app
    from agentcore_mcp.server import serve_in_thread

    ensure_free("127.0.0.1", args.port, "--port")
    app = load_app(args.app)
    with serve_in_thread(app, port=args.port, log_level="warning") as base:
        mcp_path = getattr(app, "path", "/mcp")
        emulator, runtime = _build_emulator(args, f"{base}{mcp_path}", "shared", True)
        emulator.map_image("*", runtime.target)

        def ready() -> None:
            token = mint_for(emulator, args) if args.auth == "jwt" else None
            print(f"MCP server {args.app} on {base}{mcp_path}", flush=True)
            print(banner(emulator, runtime, token), flush=True)

        return _serve_emulator(emulator, "127.0.0.1", args.emulator_port, ready)
