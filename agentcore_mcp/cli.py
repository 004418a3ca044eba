"""``agentcore-mcp``: the AgentCore tutorial's four steps as commands.

    agentcore-mcp init NAME              scaffold a server project (server, tests, Dockerfile, README)
    agentcore-mcp serve APP              serve APP on 0.0.0.0:8000/mcp, as AgentCore runs it
    agentcore-mcp dev APP                APP plus the emulator, with a ready-to-paste boto3 snippet
    agentcore-mcp emulator ...           a local InvokeAgentRuntime endpoint (and moto's control plane)
    agentcore-mcp tools / call TOOL k=v  list or call tools at a URL or a runtime ARN (boto3 or bearer)
    agentcore-mcp deploy NAME ...        create or update an MCP runtime, wait until READY
    agentcore-mcp destroy NAME           delete a runtime
    agentcore-mcp session stop ID        end a runtime session (StopRuntimeSession)

``main(argv)`` returns the exit code: 0 on success (and on a clean stop of a server, Ctrl-C included),
2 on a usage error (bad arguments, found before anything is sent), 1 when the work itself failed (an
unreachable server, a refused call, a tool error, a failed deploy). Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

DESCRIPTION = """\
Host MCP tools on Amazon Bedrock AgentCore Runtime, and run the AgentCore path on your machine.

APP names an ASGI app: a file (examples/demo_server.py), a file and attribute (server.py:app), or a module
(package.module or package.module:app). Without an attribute, the module's `app` is used, else its only
AgentCoreMCP instance.
"""

EMULATOR_DESCRIPTION = """\
A local AgentCore Runtime data plane: InvokeAgentRuntime and StopRuntimeSession for MCP runtimes, on
http://HOST:PORT, talked to by real boto3 (endpoint_url) and by MCP clients with a bearer token.

One runtime is registered from --target (a running MCP server's URL; every session shares it) or --app
(an app spec; with --isolation process each runtime session gets its own server process, like a microVM).
Its ARN is --arn, or a well-formed local ARN built from --name; the emulator prints it with its invocations
URL. moto's control plane (bedrock-agentcore-control) answers on the same URL: runtimes created there with
serverProtocol MCP are invocable too (their container image is served by --image URI=TARGET, or by the
--target/--app runtime's target when no image matches, or directly when the image URI is an http:// URL).

Auth, as the runtime is configured: none; sigv4 (signatures checked against the local credentials: the ones
boto3 finds in your environment, plus testing/testing, plus --access-key/--secret-key); jwt (bearer tokens
from the emulator's own issuer at http://HOST:PORT/oidc, or from --discovery-url, checked for issuer,
expiry, --audience, --client-id and --scope). `agentcore-mcp emulator ... --print-token` mints a token.

Point boto3 at it with endpoint_url=http://HOST:PORT, or with the standard environment variables
AWS_ENDPOINT_URL_BEDROCK_AGENTCORE and AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL.
"""

DEV_DESCRIPTION = """\
Run APP the way AgentCore would, on one machine: APP's MCP server on 127.0.0.1:--port (8000) and the
emulator in front of it on --emulator-port (9000), one runtime registered. Prints the runtime ARN, the
invocations URL, and a boto3 snippet that works as printed. Ctrl-C stops both.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentcore-mcp",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from agentcore_mcp import __version__

    parser.add_argument("--version", action="version", version=f"agentcore-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    serve = commands.add_parser(
        "serve",
        help="serve APP as AgentCore runs it (0.0.0.0:8000/mcp)",
        description="Serve APP with uvicorn on HOST:PORT (AgentCore expects 0.0.0.0:8000, path /mcp). "
        "Defaults come from AGENTCORE_MCP_HOST, AGENTCORE_MCP_PORT and AGENTCORE_MCP_LOG_LEVEL.",
    )
    serve.add_argument("app", metavar="APP", help="the app to serve (file.py[:attr] or module[:attr])")
    serve.add_argument("--host", help="address to bind (default 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000)")
    serve.add_argument("--log-level", help="debug, info, warning, error or critical (default info)")

    emulator = commands.add_parser(
        "emulator",
        help="run the local AgentCore Runtime (InvokeAgentRuntime) emulator",
        description=EMULATOR_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=9000, help="port to bind (default 9000)")
    target = emulator.add_mutually_exclusive_group()
    target.add_argument(
        "--target", metavar="URL", help="a running MCP server, e.g. http://127.0.0.1:8000/mcp"
    )
    target.add_argument("--app", metavar="APP", help="an app spec to run for the runtime (see --isolation)")
    _runtime_options(emulator)
    emulator.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="URI=TARGET",
        help="serve control-plane runtimes whose containerUri is URI with TARGET (a URL, or an app spec run "
        "per session); repeatable",
    )
    emulator.add_argument("--no-control-plane", action="store_true", help="do not serve moto's control plane")
    emulator.add_argument(
        "--print-token", action="store_true", help="print a bearer token from the local issuer"
    )

    dev = commands.add_parser(
        "dev",
        help="run APP and the emulator together, and print how to call it",
        description=DEV_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dev.add_argument("app", metavar="APP", help="the app to run (file.py[:attr] or module[:attr])")
    dev.add_argument("--port", type=int, default=8000, help="APP's port on 127.0.0.1 (default 8000)")
    dev.add_argument("--emulator-port", type=int, default=9000, help="the emulator's port (default 9000)")
    _runtime_options(dev)

    _add_client_commands(commands)
    _add_deploy_commands(commands)
    _add_init_command(commands)
    return parser


def _runtime_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the runtime")
    group.add_argument("--arn", help="the runtime ARN (default: built from --name, --region, --account-id)")
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
        choices=("shared", "process"),
        help="process: one server process per runtime session (--app only; the default for --app in "
        "`emulator`); shared: every session reaches one server",
    )
    group.add_argument("--access-key", help="an extra SigV4 access key id to accept (with --secret-key)")
    group.add_argument("--secret-key", help="the secret key of --access-key")
    group.add_argument(
        "--discovery-url", help="JWT issuer's OpenID discovery URL (default: the local issuer)"
    )
    group.add_argument("--audience", action="append", default=[], help="allowed JWT audience; repeatable")
    group.add_argument("--client-id", action="append", default=[], help="allowed JWT client id; repeatable")
    group.add_argument("--scope", action="append", default=[], help="allowed JWT scope; repeatable")
    group.add_argument(
        "--allow-header",
        action="append",
        default=[],
        metavar="NAME",
        help="forward this request header; repeatable",
    )
    group.add_argument(
        "--idle-timeout", type=float, default=900.0, help="seconds before an idle session ends (900)"
    )
    group.add_argument(
        "--max-lifetime", type=float, default=28800.0, help="seconds a session may live (28800)"
    )
    group.add_argument(
        "--start-timeout", type=float, default=30.0, help="seconds a microVM may take to start (30)"
    )
    group.add_argument(
        "--rate-limit", type=float, help="invocations per second before throttling (default: none)"
    )
    group.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="environment for processes"
    )
    group.add_argument("--log-level", default="info", help="debug, info, warning or error (default info)")


def _configure_logging(level: str) -> None:
    numeric = getattr(logging, level.upper(), None)
    if not isinstance(numeric, int):
        raise SystemExit(f"agentcore-mcp: unknown log level {level!r}")
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S"
        )
    logging.getLogger("agentcore_mcp").setLevel(numeric)
    for noisy in ("httpx", "werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _pairs(values: Sequence[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise ValueError(f"{what} must look like KEY=VALUE, got {value!r}")
        out[key] = rest
    return out


def _build_emulator(args: argparse.Namespace, target: Any, isolation: Any, control_plane: bool) -> Any:
    from agentcore_mcp.emulator import Emulator
    from agentcore_mcp.emulator._emulator import _default_credentials

    credentials: dict[str, Any] = dict(_default_credentials())
    if bool(args.access_key) != bool(args.secret_key):
        raise ValueError("--access-key and --secret-key go together")
    if args.access_key:
        credentials[args.access_key] = args.secret_key
    emulator = Emulator(
        region=args.region, account_id=args.account_id, credentials=credentials, control_plane=control_plane
    )
    runtime = None
    if target is not None:
        runtime = emulator.add_runtime(
            target,
            arn=args.arn,
            name=args.name,
            auth=args.auth,
            isolation=isolation,
            discovery_url=args.discovery_url,
            allowed_audience=args.audience,
            allowed_clients=args.client_id,
            allowed_scopes=args.scope,
            header_allowlist=args.allow_header,
            idle_timeout=args.idle_timeout,
            max_lifetime=args.max_lifetime,
            start_timeout=args.start_timeout,
            rate_limit=args.rate_limit,
            environment=_pairs(args.env, "--env"),
        )
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


def _banner(emulator: Any, runtime: Any, token: bool) -> None:
    endpoint = emulator.base_url
    lines = [f"AgentCore Runtime emulator on {endpoint}"]
    if emulator.control is not None:
        lines.append(f"  control plane (moto): {endpoint}  (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL)")
    lines.append(f"  export AWS_ENDPOINT_URL_BEDROCK_AGENTCORE={endpoint}")
    if runtime is not None:
        lines += [
            f"  runtime ARN:      {runtime.arn}",
            f"  invocations URL:  {emulator.invocations_url(runtime)}",
            f"  target:           {runtime.target} ({runtime.isolation}, auth {runtime.auth})",
        ]
        if runtime.auth == "jwt":
            lines.append(f"  OIDC discovery:   {emulator.issuer.discovery_url}")
            lines.append(f"  token endpoint:   {emulator.issuer.token_url} (client_credentials)")
        lines += ["", "boto3:", _snippet(endpoint, runtime, runtime.region)]
    if token:
        lines += ["", "bearer token (1 h):", emulator.mint_token()]
    print("\n".join(lines), flush=True)


def _run_emulator(emulator: Any, host: str, port: int, on_ready: Any) -> int:
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


def _cmd_serve(args: argparse.Namespace) -> int:
    from agentcore_mcp.emulator._loader import load_app
    from agentcore_mcp.server._serve import serve

    app = load_app(args.app)
    serve(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _cmd_emulator(args: argparse.Namespace) -> int:
    _configure_logging(args.log_level)
    target = args.target or args.app
    isolation = args.isolation
    if args.target and isolation == "process":
        raise ValueError("--isolation process needs --app (a URL target is one shared server)")
    if args.app and isolation is None:
        isolation = "process"
    emulator, runtime = _build_emulator(args, target, isolation, not args.no_control_plane)
    for uri, image_target in _pairs(args.image, "--image").items():
        is_url = image_target.startswith(("http://", "https://"))
        emulator.map_image(uri, image_target, isolation="shared" if is_url else "process")
    if runtime is not None and emulator.control is not None and "*" not in emulator.control.images:
        emulator.map_image("*", runtime.target, isolation=runtime.isolation)
    return _run_emulator(emulator, args.host, args.port, lambda: _banner(emulator, runtime, args.print_token))


def _cmd_dev(args: argparse.Namespace) -> int:
    _configure_logging(args.log_level)
    isolation = args.isolation or "shared"
    if isolation == "process":
        emulator, runtime = _build_emulator(args, args.app, "process", True)
        return _run_emulator(
            emulator, "127.0.0.1", args.emulator_port, lambda: _banner(emulator, runtime, args.auth == "jwt")
        )

    from agentcore_mcp.emulator._loader import load_app
    from agentcore_mcp.server._local import serve_in_thread

    app = load_app(args.app)
    with serve_in_thread(app, port=args.port, log_level="warning") as base:
        mcp_path = getattr(app, "path", "/mcp")
        emulator, runtime = _build_emulator(args, f"{base}{mcp_path}", "shared", True)
        emulator.map_image("*", runtime.target)

        def ready() -> None:
            print(f"MCP server {args.app} on {base}{mcp_path}", flush=True)
            _banner(emulator, runtime, args.auth == "jwt")

        return _run_emulator(emulator, "127.0.0.1", args.emulator_port, ready)


# -- tools, call, session: an MCP client on the command line ------------------------------------------

TARGET_HELP = """\
TARGET (--target, or AGENTCORE_MCP_TARGET; default http://127.0.0.1:8000/mcp) is one of:
  an MCP URL                 http://127.0.0.1:8000/mcp (a local server), or a runtime's invocations URL
  a runtime ARN              arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/ID, called with boto3
                             (InvokeAgentRuntime, SigV4): your profile, credentials and the ARN's region
  a runtime ARN + a token    --bearer-token TOKEN (or AGENTCORE_MCP_BEARER_TOKEN) or --token-command CMD,
                             for runtimes with a JWT (OAuth) authorizer: plain HTTPS to the invocations URL

Standard AWS configuration applies: --profile / AWS_PROFILE, --region / AWS_REGION, and the endpoint
variables AWS_ENDPOINT_URL_BEDROCK_AGENTCORE (data plane) or --endpoint-url, e.g. the local emulator.
"""

TOOLS_DESCRIPTION = f"""\
List the tools of an MCP server: one line per tool (name, parameters, description), or the tools'
definitions as a JSON array with --json.

{TARGET_HELP}
examples:
  agentcore-mcp tools
  agentcore-mcp tools --target arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/demo-AbCdE12345
  agentcore-mcp tools --target "$ARN" --token-command "./get-token.sh" --json
"""

CALL_DESCRIPTION = f"""\
Call one tool and print its result: the text of its content blocks, or the whole result as JSON with
--json. Arguments are KEY=VALUE pairs; a VALUE that parses as JSON is used as JSON (a=2 is a number,
flag=true a boolean, items='[1, 2]' a list), anything else is a string (name=Ada). Quote a JSON string to
force a string: zip='"02134"'. --args takes a JSON object, and KEY=VALUE pairs are merged over it.

Exit status: 0 when the tool succeeded, 1 when it returned an error result (its text goes to stderr) or
the call failed, 2 for a usage error.

{TARGET_HELP}
examples:
  agentcore-mcp call add_numbers a=2 b=3
  agentcore-mcp call greet_user name=Ada --target "$ARN"
  agentcore-mcp call search --args '{{"query": "mcp", "filters": {{"year": 2026}}}}' --json
"""

SESSION_DESCRIPTION = """\
Runtime sessions: each runtime session gets its own microVM on AgentCore. Reuse one across commands with
--session-id (tools/call), and end it with `session stop` when the conversation is over.

  agentcore-mcp session new                          print a fresh, valid runtime session id
  agentcore-mcp session stop ID --target ARN         StopRuntimeSession (boto3, or --bearer-token)
"""


def _add_client_commands(commands: Any) -> None:
    tools = commands.add_parser(
        "tools",
        help="list the tools of an MCP server (a URL or a runtime ARN)",
        description=TOOLS_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _client_options(tools)

    call = commands.add_parser(
        "call",
        help="call a tool: agentcore-mcp call TOOL key=value ...",
        description=CALL_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    call.add_argument("tool", metavar="TOOL", help="the tool's name")
    call.add_argument("arguments", metavar="KEY=VALUE", nargs="*", help="the tool's arguments")
    call.add_argument("--args", metavar="JSON", help="the arguments as a JSON object")
    _client_options(call)

    session = commands.add_parser(
        "session",
        help="runtime sessions: new, stop",
        description=SESSION_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = session.add_subparsers(dest="session_command", metavar="ACTION")
    actions.required = True
    actions.add_parser(
        "new", help="print a fresh runtime session id", description="Print a fresh, valid runtime session id."
    )
    stop = actions.add_parser(
        "stop",
        help="end a runtime session (StopRuntimeSession)",
        description="End a runtime session: its microVM stops, and the next request with that id starts a "
        "new one. Stopping a session that has already ended succeeds.\n\n" + TARGET_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    stop.add_argument("stop_session_id", metavar="SESSION_ID", help="the runtime session id")
    _client_options(stop, session_id=False)


def _client_options(parser: argparse.ArgumentParser, *, session_id: bool = True) -> None:
    group = parser.add_argument_group("target and authentication")
    group.add_argument(
        "--target",
        "-t",
        default=os.environ.get("AGENTCORE_MCP_TARGET") or "http://127.0.0.1:8000/mcp",
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
    group.add_argument("--profile", help="the AWS profile (default: AWS_PROFILE or the default chain)")
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
    group.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra request header, e.g. an allow-listed custom header; repeatable",
    )
    group.add_argument(
        "--timeout", type=float, default=120.0, help="seconds the whole command may take (default 120)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON (the MCP wire shape)")


class _Failed(Exception):
    """The command's work failed (exit status 1); the message is the one line printed."""


def _token_provider(command: str, timeout: float) -> Any:
    """Run ``command`` now (a failure is reported before anything is sent) and again on each refresh."""
    import subprocess

    def run() -> str:
        try:
            done = subprocess.run(
                command, shell=True, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise _Failed(f"--token-command did not finish within {timeout:g} s") from None
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            detail = f": {lines[-1]}" if lines else ""
            raise _Failed(f"--token-command exited with status {done.returncode}{detail}")
        token = done.stdout.strip()
        if not token:
            raise _Failed("--token-command printed no token")
        return token

    first = [run()]

    def provider() -> str:
        return first.pop() if first else run()

    return provider


def _transport_options(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The target and the ``AgentCoreTransport`` options the client options ask for (ValueError: usage)."""
    from agentcore_mcp.client._arn import RuntimeArn, is_runtime_arn

    target = args.target.strip()
    options: dict[str, Any] = {"qualifier": args.qualifier}
    if args.user_id:
        options["user_id"] = args.user_id
    if getattr(args, "session_id", None):
        options["runtime_session_id"] = args.session_id
    if args.header:
        options["headers"] = _pairs(args.header, "--header")
    token: Any = args.bearer_token or os.environ.get("AGENTCORE_MCP_BEARER_TOKEN") or None
    if is_runtime_arn(target):
        arn = RuntimeArn.parse(target)
        region = args.region or arn.region
        if args.region:
            options["region"] = args.region
        if token is not None or args.token_command:
            options["endpoint_url"] = args.endpoint_url or _data_plane_endpoint(region, args.profile)
        else:
            if args.endpoint_url:
                options["endpoint_url"] = args.endpoint_url
            if args.profile:
                options["boto3_session"] = _boto3_session(args.profile)
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
    from agentcore_mcp.client._transport import AgentCoreTransport

    AgentCoreTransport(target, **options)  # checks the options (ValueError: usage) and opens nothing
    return target, options


def _boto3_session(profile: str | None) -> Any:
    from agentcore_mcp.deploy import _module

    try:
        return _module("boto3").Session(profile_name=profile)
    except _module("botocore.exceptions").ProfileNotFound as exc:
        raise ValueError(f"{exc} (see `aws configure list-profiles`)") from None


def _data_plane_endpoint(region: str | None, profile: str | None) -> str:
    from agentcore_mcp.deploy import data_plane_endpoint

    return data_plane_endpoint(region=region, profile=profile)


def _describe_failure(exc: BaseException, timeout: float) -> str:
    """One line for a failed remote call, whatever raised it (the SDK's MCP error, a timeout, botocore)."""
    if isinstance(exc, _Failed):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s (--timeout)"
    error = getattr(exc, "error", None)  # mcp's McpError carries the JSON-RPC error
    message = getattr(error, "message", None) or str(exc) or type(exc).__name__
    code = getattr(error, "code", None)
    text = " ".join(str(message).split())
    return f"{text} (JSON-RPC error {code})" if isinstance(code, int) else text


def _parse_arguments(pairs: Sequence[str], raw: str | None) -> dict[str, Any]:
    """The tool arguments from ``--args`` and ``KEY=VALUE`` pairs (values are JSON when they parse)."""
    import json

    arguments: dict[str, Any] = {}
    if raw is not None:
        try:
            loaded = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--args is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"--args must be a JSON object, got {type(loaded).__name__}")
        arguments.update(loaded)
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"a tool argument must look like KEY=VALUE, got {pair!r}")
        try:
            arguments[key] = json.loads(text)
        except json.JSONDecodeError:
            arguments[key] = text
    return arguments


def _dump(model: Any) -> Any:
    """An MCP SDK model (mcp 1.x or 2.x) as its JSON wire shape."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _print_json(value: Any) -> None:
    import json

    print(json.dumps(value, indent=2, ensure_ascii=False))


def _signature(tool: dict[str, Any]) -> str:
    schema = tool.get("inputSchema") or {}
    required = set(schema.get("required") or ())
    params = []
    for name, spec in (schema.get("properties") or {}).items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if isinstance(kind, list):
            kind = "|".join(str(k) for k in kind)
        label = name if name in required else f"{name}?"
        params.append(f"{label}: {kind}" if kind else label)
    return f"{tool['name']}({', '.join(params)})"


def _cmd_tools(args: argparse.Namespace) -> int:
    from agentcore_mcp.client._sync import list_tools_sync

    target, options = _transport_options(args)
    try:
        tools = list_tools_sync(target, timeout=args.timeout, **options)
    except (Exception, TimeoutError) as exc:
        raise _Failed(_describe_failure(exc, args.timeout)) from exc
    listed = [_dump(tool) for tool in tools]
    if args.json:
        _print_json(listed)
        return 0
    for tool in listed:
        summary = (tool.get("description") or "").strip().splitlines()
        print(_signature(tool) + (f"  {summary[0]}" if summary else ""))
    return 0


def _block_text(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind in ("image", "audio"):
        data = str(block.get("data", ""))
        size = len(data) * 3 // 4 - data[-2:].count("=")  # the base64 payload's decoded length
        return f"[{kind} {block.get('mimeType', '?')}, {size} bytes]"
    if kind == "resource":
        resource = block.get("resource") or {}
        if "text" in resource:
            return str(resource["text"])
        return f"[resource {resource.get('uri', '?')} ({resource.get('mimeType', 'binary')})]"
    if kind == "resource_link":
        return f"[resource link {block.get('uri', '?')}]"
    import json

    return json.dumps(block, ensure_ascii=False)


def _cmd_call(args: argparse.Namespace) -> int:
    import json

    from agentcore_mcp.client._sync import call_tool_sync

    arguments = _parse_arguments(args.arguments, args.args)
    target, options = _transport_options(args)
    try:
        result = _dump(call_tool_sync(target, args.tool, arguments, timeout=args.timeout, **options))
    except (Exception, TimeoutError) as exc:
        raise _Failed(_describe_failure(exc, args.timeout)) from exc
    failed = bool(result.get("isError"))
    if args.json:
        _print_json(result)
    else:
        blocks = result.get("content") or []
        text = "\n".join(_block_text(block) for block in blocks)
        if not blocks and "structuredContent" in result:
            text = json.dumps(result["structuredContent"], indent=2, ensure_ascii=False)
        print(text, file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0


def _cmd_session(args: argparse.Namespace) -> int:
    from agentcore_mcp._session import new_session_id

    if args.session_command == "new":
        print(new_session_id())
        return 0
    import anyio

    from agentcore_mcp.client._transport import AgentCoreTransport

    args.session_id = args.stop_session_id
    target, options = _transport_options(args)
    transport = AgentCoreTransport(target, **options)
    if not transport.agentcore:
        raise ValueError(f"{target!r} is a plain MCP URL: it has no runtime session to stop")

    async def stop() -> None:
        with anyio.fail_after(args.timeout):
            await transport.stop()

    try:
        anyio.run(stop)
    except (Exception, TimeoutError) as exc:
        raise _Failed(_describe_failure(exc, args.timeout)) from exc
    if args.json:
        _print_json({"runtimeSessionId": args.stop_session_id, "stopped": True})
    else:
        print(f"stopped runtime session {args.stop_session_id}")
    return 0


# -- deploy, destroy: the control plane -----------------------------------------------------------------

DEPLOY_DESCRIPTION = """\
Create an MCP runtime on Amazon Bedrock AgentCore Runtime for a container image, or update the runtime
that already has NAME (never a second one), then wait until it is READY, showing its status on stderr.
Prints the runtime ARN and its invocations URL (the MCP endpoint for bearer-token clients); with --json,
a JSON object instead.

The command line describes the whole runtime: an update sends every setting again, so pass the same
options each time (keep the command in a script or a Makefile). Mistakes the service would refuse (a bad
name, a missing role, a discovery URL that is not an OpenID discovery document...) are reported before
any API call, with exit status 2.

The image must be in Amazon ECR and built for linux/arm64 (see docs/deploy.md for build and push).
Without --discovery-url, callers sign requests with SigV4 (boto3, `agentcore-mcp call --target ARN`);
with it, callers send an OAuth access token from that issuer (`--bearer-token`).

Standard AWS configuration applies: --profile / AWS_PROFILE, --region / AWS_REGION, and
AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL or --endpoint-url for the control plane (e.g. the local
emulator, whose moto control plane serves the same URL as its data plane).

example:
  agentcore-mcp deploy demo_mcp \\
      --image 123456789012.dkr.ecr.us-west-2.amazonaws.com/demo-mcp:1 \\
      --role arn:aws:iam::123456789012:role/AgentCoreRuntime \\
      --discovery-url https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbC/.well-known/openid-configuration \\
      --allowed-client 4f1example2client3id --env LOG_LEVEL=info --idle-timeout 900
"""

DESTROY_DESCRIPTION = """\
Delete a runtime (and its endpoints) by name, runtime id or ARN, and wait until it is gone. Exit status 1
when no runtime matches, unless --missing-ok. The same AWS options as `deploy` apply.
"""


def _add_deploy_commands(commands: Any) -> None:
    deploy = commands.add_parser(
        "deploy",
        help="create or update an MCP runtime on AgentCore and wait until READY",
        description=DEPLOY_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    deploy.add_argument("name", metavar="NAME", help="the runtime name: [a-zA-Z][a-zA-Z0-9_]{0,47}")
    deploy.add_argument("--image", required=True, metavar="URI", help="the container image URI (ECR)")
    deploy.add_argument("--role", metavar="ARN", help="the execution role ARN the runtime assumes (required)")
    deploy.add_argument("--description", help="a description of the runtime")
    network = deploy.add_argument_group("network")
    network.add_argument(
        "--network-mode", choices=("PUBLIC", "VPC"), default="PUBLIC", help="PUBLIC (default) or VPC"
    )
    network.add_argument(
        "--subnet", action="append", default=[], metavar="ID", help="a VPC subnet; repeatable"
    )
    network.add_argument(
        "--security-group", action="append", default=[], metavar="ID", help="a VPC security group; repeatable"
    )
    auth = deploy.add_argument_group("inbound auth (default SigV4; a discovery URL makes it JWT)")
    auth.add_argument(
        "--discovery-url", metavar="URL", help="the OAuth issuer's .../.well-known/openid-configuration URL"
    )
    auth.add_argument(
        "--allowed-client",
        action="append",
        default=[],
        metavar="ID",
        help="an accepted client id; repeatable",
    )
    auth.add_argument(
        "--allowed-audience",
        action="append",
        default=[],
        metavar="AUD",
        help="an accepted audience; repeatable",
    )
    auth.add_argument(
        "--allowed-scope", action="append", default=[], metavar="SCOPE", help="a required scope; repeatable"
    )
    container = deploy.add_argument_group("the container")
    container.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="an environment variable; repeatable"
    )
    container.add_argument(
        "--allow-header",
        action="append",
        default=[],
        metavar="NAME",
        help="a request header passed to the container (e.g. Authorization on a JWT runtime); repeatable",
    )
    container.add_argument(
        "--idle-timeout",
        type=int,
        metavar="SECONDS",
        help="idle seconds before a session ends (service: 900)",
    )
    container.add_argument(
        "--max-lifetime", type=int, metavar="SECONDS", help="seconds a session may live (service: 28800)"
    )
    container.add_argument(
        "--tag", action="append", default=[], metavar="KEY=VALUE", help="a tag on a new runtime; repeatable"
    )
    waiting = deploy.add_argument_group("waiting")
    waiting.add_argument("--no-wait", action="store_true", help="return after the create/update call")
    waiting.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for READY (default 600)"
    )
    waiting.add_argument(
        "--poll-interval", type=float, default=2.0, help="seconds between status checks (default 2)"
    )
    _aws_options(deploy)

    destroy = commands.add_parser(
        "destroy",
        help="delete an MCP runtime (by name, id or ARN)",
        description=DESTROY_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    destroy.add_argument("runtime", metavar="NAME|ID|ARN", help="the runtime to delete")
    destroy.add_argument("--missing-ok", action="store_true", help="succeed when no runtime matches")
    destroy.add_argument("--no-wait", action="store_true", help="return after the delete call")
    destroy.add_argument("--timeout", type=float, default=300.0, help="seconds to wait (default 300)")
    destroy.add_argument("--poll-interval", type=float, default=2.0, help="seconds between checks (2)")
    _aws_options(destroy)


def _aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS")
    group.add_argument("--profile", help="the AWS profile (default: AWS_PROFILE or the default chain)")
    group.add_argument("--region", help="the AWS region (default: AWS_REGION or the profile's)")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the control-plane endpoint (default: AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL, else AWS's)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


class _Progress:
    """Status lines on stderr: each change, and a reminder every 15 s while it stays the same."""

    def __init__(self) -> None:
        self.last: str | None = None
        self.shown_at = 0.0

    def __call__(self, status: str, elapsed: float) -> None:
        if status != self.last or elapsed - self.shown_at >= 15.0:
            print(f"  {status} ({elapsed:.0f} s)", file=sys.stderr, flush=True)
            self.last = status
            self.shown_at = elapsed


def _control_for(args: argparse.Namespace) -> tuple[Any, str]:
    """The control-plane client and the data-plane endpoint for printed invocations URLs."""
    from agentcore_mcp.deploy import _is_loopback, control_client, data_plane_endpoint

    client = control_client(region=args.region, profile=args.profile, endpoint_url=args.endpoint_url)
    control_url = str(client.meta.endpoint_url)
    data_plane = data_plane_endpoint(region=client.meta.region_name, profile=args.profile)
    if _is_loopback(control_url) and not os.environ.get("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"):
        data_plane = control_url  # the local emulator serves both planes on one URL
    return client, data_plane


def _cmd_deploy(args: argparse.Namespace) -> int:
    from agentcore_mcp.deploy import JWTAuthorizerConfig, RuntimeSpec, deploy

    if not args.discovery_url and (args.allowed_client or args.allowed_audience or args.allowed_scope):
        raise ValueError("--allowed-client, --allowed-audience and --allowed-scope need --discovery-url")
    authorizer = (
        JWTAuthorizerConfig(
            discovery_url=args.discovery_url,
            allowed_clients=tuple(args.allowed_client),
            allowed_audience=tuple(args.allowed_audience),
            allowed_scopes=tuple(args.allowed_scope),
        )
        if args.discovery_url
        else None
    )
    spec = RuntimeSpec(
        name=args.name,
        image=args.image,
        role_arn=args.role or "",
        network_mode=args.network_mode,
        subnets=tuple(args.subnet),
        security_groups=tuple(args.security_group),
        authorizer=authorizer,
        environment=_pairs(args.env, "--env"),
        header_allowlist=tuple(args.allow_header),
        idle_timeout=args.idle_timeout,
        max_lifetime=args.max_lifetime,
        description=args.description,
        tags=_pairs(args.tag, "--tag"),
    )
    if args.timeout <= 0 or args.poll_interval <= 0:
        raise ValueError("--timeout and --poll-interval must be positive")
    client, data_plane = _control_for(args)
    spec.validate(local=_local(client))
    auth = "JWT" if authorizer else "SigV4"

    def announce(action: str, existing: dict[str, Any] | None) -> None:
        if existing is None:
            what = f"creating runtime {spec.name}"
        else:
            what = f"updating runtime {spec.name} ({existing['agentRuntimeId']}, version {existing.get('agentRuntimeVersion', '?')})"
        print(f"{what}: {spec.image}, MCP, {spec.network_mode}, {auth}", file=sys.stderr, flush=True)

    deployment = deploy(
        client,
        spec,
        wait=not args.no_wait,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
        on_status=_Progress(),
        on_action=announce,
        data_plane_url=data_plane,
    )
    if args.json:
        _print_json(deployment.to_dict())
    else:
        print(
            f"{deployment.action} runtime {deployment.name} (version {deployment.version}, {deployment.status})"
        )
        print(f"runtime ARN:      {deployment.arn}")
        print(f"invocations URL:  {deployment.invocations_url()}")
        extra = " --bearer-token TOKEN" if authorizer else ""
        if _local(client) and not os.environ.get("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"):
            extra += f" --endpoint-url {data_plane}"
        print(f"try:              agentcore-mcp tools --target {deployment.arn}{extra}")
    return 0


def _local(client: Any) -> bool:
    from agentcore_mcp.deploy import _is_loopback

    return _is_loopback(str(client.meta.endpoint_url))


def _cmd_destroy(args: argparse.Namespace) -> int:
    from agentcore_mcp.deploy import RuntimeNotFound, destroy

    if args.timeout <= 0 or args.poll_interval <= 0:
        raise ValueError("--timeout and --poll-interval must be positive")
    client, _ = _control_for(args)
    try:
        summary = destroy(
            client,
            args.runtime,
            wait=not args.no_wait,
            timeout=args.timeout,
            poll_interval=args.poll_interval,
            on_status=_Progress(),
        )
    except RuntimeNotFound as exc:
        if not args.missing_ok:
            raise
        if args.json:
            _print_json({"deleted": False, "reason": str(exc)})
        else:
            print(f"nothing to delete: {exc}", file=sys.stderr)
        return 0
    if args.json:
        _print_json(
            {
                "deleted": True,
                "name": summary.get("agentRuntimeName"),
                "agentRuntimeId": summary.get("agentRuntimeId"),
                "agentRuntimeArn": summary.get("agentRuntimeArn"),
            }
        )
    else:
        print(f"deleted runtime {summary.get('agentRuntimeName')} ({summary.get('agentRuntimeArn')})")
    return 0


# -- init: a new server project ---------------------------------------------------------------------

INIT_DESCRIPTION = """\
Create a new MCP server project in ./NAME (or --directory): a package with the server module (two
example tools and the app), tests, a pyproject.toml, a linux/arm64 Dockerfile (python slim, non-root,
port 8000, bytecode compiled at build time, uvloop and httptools) and a README with the four steps:
run it locally, test it, build and push the image, deploy and call it.

NAME is the project's name (letters, digits, '-' and '_'); the Python package and the runtime name are
NAME with '-' turned into '_'.
"""


def _add_init_command(commands: Any) -> None:
    init = commands.add_parser(
        "init",
        help="scaffold a new MCP server project (server, tests, Dockerfile, README)",
        description=INIT_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("project", metavar="NAME", help="the project name, e.g. weather-tools")
    init.add_argument("--directory", "-d", metavar="DIR", help="where to create it (default ./NAME)")
    init.add_argument("--force", action="store_true", help="write into an existing non-empty directory")


def _cmd_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from agentcore_mcp._scaffold import ScaffoldError, create_project

    directory = Path(args.directory) if args.directory else Path(args.project)
    try:
        project = create_project(args.project, directory, force=args.force)
    except ScaffoldError as exc:
        raise _Failed(str(exc)) from None
    print(f"created {project.name} in {directory}/ (package {project.package})")
    for path in project.files:
        print(f"  {path.relative_to(directory)}")
    print(
        "\nnext:\n"
        f"  cd {directory}\n"
        '  python -m venv .venv && .venv/bin/pip install -e ".[dev]"\n'
        "  .venv/bin/pytest\n"
        f"  .venv/bin/agentcore-mcp serve {project.package}.server:app\n"
        "  (see README.md for the image, deploy and call steps)"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (0 ok, 1 failure, 2 usage error)."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # `call TOOL a=1 --target URL b=2`: argparse stops collecting KEY=VALUE pairs at the first option.
        if args.command == "call" and not any(item.startswith("-") for item in extra):
            args.arguments.extend(extra)
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    from agentcore_mcp.emulator._loader import AppLoadError

    handlers = {
        "serve": _cmd_serve,
        "emulator": _cmd_emulator,
        "dev": _cmd_dev,
        "tools": _cmd_tools,
        "call": _cmd_call,
        "session": _cmd_session,
        "deploy": _cmd_deploy,
        "destroy": _cmd_destroy,
        "init": _cmd_init,
    }
    servers = args.command in ("serve", "emulator", "dev")
    if servers and threading.current_thread() is threading.main_thread() and os.name == "posix":
        # uvicorn re-raises the signal that stopped it; make SIGTERM end as cleanly as Ctrl-C does.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return handlers[args.command](args)
    except (AppLoadError, ValueError) as exc:
        _error(args.command, exc)
        return 2
    except KeyboardInterrupt:
        return 0 if servers else 130
    except Exception as exc:
        from agentcore_mcp.errors import AgentCoreMCPError

        if isinstance(exc, (_Failed, AgentCoreMCPError)):
            _error(args.command, exc)
            return 1
        raise


def _error(command: str, exc: BaseException) -> None:
    message = " ".join(str(exc).split()) or type(exc).__name__
    print(f"agentcore-mcp {command}: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
