"""``agentcore-mcp gateway create | add-target | remove-target | sync | list``: a gateway's registration, states waited for.

Each action is a ``bedrock-agentcore-control`` call through :mod:`agentcore_mcp._gateways`, with the status
shown on stderr as it changes (``CREATING``, ``UPDATING``, ``SYNCHRONIZING`` ... ``READY``). The control
plane is AWS's, or the local emulator's with ``--endpoint-url`` (it serves both planes on one URL).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from agentcore_mcp.cli._base import PROFILE_HELP, HelpFormatter, add_list_option, print_json

__all__ = ["register", "run"]

CREATE_DESCRIPTION = """\
Create an MCP gateway (or find the one with this name) and wait until it is READY. Inbound authorization is
IAM (SigV4, the default), a JWT authorizer (--discovery-url, --allowed-audience, --allowed-client) or none.
The built-in search tool x_amz_bedrock_agentcore_search is on unless --no-search.
"""

ADD_DESCRIPTION = """\
Put a runtime behind a gateway as an MCP-server target NAME (created, or updated in place) and wait until
it is READY. The gateway calls the runtime's invocations URL signed with its execution role (outbound
GATEWAY_IAM_ROLE, SigV4), so the runtime needs no OAuth client. Every tool is listed as NAME___tool: the
tools are checked against the 64-character limit first (--no-check-names skips it). Listing mode DEFAULT
serves the catalogue indexed now and at each `gateway sync`; DYNAMIC asks the runtime on every list.

--oauth-provider ARN makes the outbound OAuth instead (for a runtime with a JWT authorizer, or any MCP URL
behind OAuth): the gateway gets a client-credentials token from that AgentCore Identity OAuth2 credential
provider, with each --scope, and sends it as a bearer token. The name check then needs the runtime's own
token (run `agentcore-mcp gateway check-names NAME --target ARN --bearer-token ...` first), so it is skipped.
"""

SYNC_DESCRIPTION = """\
Re-read the tools, prompts and resources of a gateway's targets (SynchronizeGatewayTargets): a DEFAULT
target's server that changed is not seen until then. Without NAME, every target.
"""

LIST_DESCRIPTION = "List the gateways (with their MCP URLs), or one gateway's targets."


def _aws_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help=PROFILE_HELP)
    parser.add_argument("--region", help="the AWS region (default: AWS_REGION, else the profile's)")
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the control-plane endpoint, e.g. the local emulator (default: AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL)",
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for READY (default 300)"
    )
    parser.add_argument("--poll-interval", type=float, default=2.0, help="seconds between status polls")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")


def register(actions: Any) -> None:
    """Add the registration actions to the ``gateway`` command's subparsers."""
    create = actions.add_parser(
        "create",
        help="create an MCP gateway and wait until READY",
        description=CREATE_DESCRIPTION,
        epilog="example:\n  agentcore-mcp gateway create tools --role arn:aws:iam::123456789012:role/gateway",
        formatter_class=HelpFormatter,
    )
    create.add_argument("gateway_name", metavar="NAME", help="the gateway's name (letters, digits, hyphens)")
    create.add_argument("--role", required=True, metavar="ARN", help="the gateway's execution role")
    create.add_argument("--discovery-url", metavar="URL", help="a JWT authorizer's OpenID discovery URL")
    add_list_option(create, "--allowed-audience", "AUD", "an audience the JWT must carry; repeatable")
    add_list_option(create, "--allowed-client", "ID", "a client id the JWT must carry; repeatable")
    create.add_argument("--no-auth", action="store_true", help="no inbound authorization (NONE)")
    create.add_argument("--no-search", action="store_true", help="no built-in search tool")
    _aws_options(create)
    _register_add_target(actions)
    remove = actions.add_parser(
        "remove-target",
        help="take a target off a gateway (DeleteGatewayTarget)",
        description="Delete a gateway's target and wait until it is gone; its tools leave the gateway's list.",
        epilog="example:\n  agentcore-mcp gateway remove-target tools calc",
        formatter_class=HelpFormatter,
    )
    remove.add_argument("gateway", metavar="GATEWAY", help="the gateway's name, id or ARN")
    remove.add_argument("target_name", metavar="NAME", help="the target's name or id")
    _aws_options(remove)
    sync = actions.add_parser(
        "sync",
        help="re-read targets' tools (SynchronizeGatewayTargets)",
        description=SYNC_DESCRIPTION,
        epilog="example:\n  agentcore-mcp gateway sync tools calc",
        formatter_class=HelpFormatter,
    )
    sync.add_argument("gateway", metavar="GATEWAY", help="the gateway's name, id or ARN")
    sync.add_argument("targets", metavar="NAME", nargs="*", help="the targets (default: all)")
    _aws_options(sync)
    listing = actions.add_parser(
        "list",
        help="gateways, or one gateway's targets",
        description=LIST_DESCRIPTION,
        epilog="examples:\n  agentcore-mcp gateway list\n  agentcore-mcp gateway list tools",
        formatter_class=HelpFormatter,
    )
    listing.add_argument("gateway", metavar="GATEWAY", nargs="?", help="the gateway's name, id or ARN")
    _aws_options(listing)


def _register_add_target(actions: Any) -> None:
    """``gateway add-target``: a runtime (or any MCP URL) as a target, its outbound auth, its listing."""
    add = actions.add_parser(
        "add-target",
        help="put a runtime behind a gateway (outbound: the gateway's IAM role, or OAuth)",
        description=ADD_DESCRIPTION,
        epilog='example:\n  agentcore-mcp gateway add-target tools calc --runtime "$ARN"',
        formatter_class=HelpFormatter,
    )
    add.add_argument("gateway", metavar="GATEWAY", help="the gateway's name, id or ARN")
    add.add_argument("target_name", metavar="NAME", help="the target's name (tools become NAME___tool)")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--runtime", metavar="ARN", help="the runtime ARN")
    where.add_argument("--url", metavar="URL", help="any MCP server URL (outbound: none)")
    add.add_argument(
        "--oauth-provider", metavar="ARN", help="outbound OAuth: an Identity OAuth2 credential provider's ARN"
    )
    add_list_option(add, "--scope", "SCOPE", "a scope of the outbound OAuth token; repeatable")
    add.add_argument("--qualifier", default="DEFAULT", help="the runtime endpoint (default DEFAULT)")
    add.add_argument("--listing-mode", choices=("DEFAULT", "DYNAMIC"), default="DEFAULT")
    add.add_argument("--no-check-names", action="store_true", help="skip the 64-character name check")
    _aws_options(add)


def _progress(what: str) -> Any:
    from agentcore_mcp.cli._deploy import _Progress

    print(what, file=sys.stderr, flush=True)
    return _Progress()


def run(args: argparse.Namespace) -> int:
    from agentcore_mcp.cli._deploy import _control_for

    if args.timeout <= 0 or args.poll_interval <= 0:
        raise ValueError("--timeout and --poll-interval must be positive")
    client, data_plane, _ = _control_for(args)
    waits = {"timeout": args.timeout, "poll_interval": args.poll_interval}
    command = {
        "create": _create,
        "add-target": _add_target,
        "remove-target": _remove_target,
        "sync": _sync,
        "list": _list,
    }[args.gateway_command]
    return command(args, client, data_plane, waits)


def _create(args: argparse.Namespace, client: Any, data_plane: str, waits: dict[str, float]) -> int:
    from agentcore_mcp._gateways import create_gateway

    if args.no_auth and args.discovery_url:
        raise ValueError("--no-auth and --discovery-url contradict each other")
    if not args.discovery_url and (args.allowed_audience or args.allowed_client):
        raise ValueError("--allowed-audience and --allowed-client need --discovery-url")
    jwt: dict[str, Any] | None = None
    authorizer = "NONE" if args.no_auth else "AWS_IAM"
    if args.discovery_url:
        authorizer = "CUSTOM_JWT"
        jwt = {"discoveryUrl": args.discovery_url}
        if args.allowed_audience:
            jwt["allowedAudience"] = args.allowed_audience
        if args.allowed_client:
            jwt["allowedClients"] = args.allowed_client
    progress = _progress(f"gateway {args.gateway_name}: MCP, inbound {authorizer}")
    gateway, created = create_gateway(
        client,
        args.gateway_name,
        args.role,
        authorizer=authorizer,
        jwt=jwt,
        search=not args.no_search,
        on_status=progress,
        **waits,
    )
    if args.json:
        print_json(_plain(gateway))
        return 0
    print(
        f"{'created' if created else 'found'} gateway {gateway['name']} ({gateway['gatewayId']})",
        file=sys.stderr,
    )
    print(f"gateway ARN:  {gateway['gatewayArn']}")
    print(f"gateway URL:  {gateway['gatewayUrl']}")
    return 0


def _check_names(args: argparse.Namespace, target: str, options: dict[str, Any]) -> None:
    from agentcore_mcp._gateway_names import check_tool_names
    from agentcore_mcp.cli._base import Failed
    from agentcore_mcp.cli._session_client import list_tools, run_session

    try:
        tools = run_session(target, options, min(args.timeout, 60.0), list_tools)
    except (Exception, TimeoutError) as exc:
        print(f"  (tool names not checked: the server did not list its tools: {exc})", file=sys.stderr)
        return
    problems = check_tool_names(args.target_name, [str(t["name"]) for t in tools])
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        raise Failed(
            f"{len(problems)} of {len(tools)} tool names would break under {args.target_name!r} "
            "(choose a shorter target name, or --no-check-names)"
        )


def _add_target(args: argparse.Namespace, client: Any, data_plane: str, waits: dict[str, float]) -> int:
    from agentcore_mcp._gateway_names import check_target_name
    from agentcore_mcp._gateways import add_mcp_target, find_gateway
    from agentcore_mcp.client import RuntimeArn, invocations_url

    problem = check_target_name(args.target_name)
    if problem is not None:
        raise ValueError(problem)
    if args.runtime:
        arn = RuntimeArn.parse(args.runtime)
        endpoint = invocations_url(arn, qualifier=args.qualifier, endpoint_url=data_plane)
        outbound = "iam"
        check_target, check_options = str(arn), {"qualifier": args.qualifier, "endpoint_url": data_plane}
    else:
        endpoint, outbound = args.url, "none"
        check_target, check_options = args.url, {}
    if args.oauth_provider:
        outbound = "oauth"
    elif args.scope:
        raise ValueError("--scope goes with --oauth-provider")
    gateway = find_gateway(client, args.gateway)
    if outbound == "oauth":
        print("name check: skipped (OAuth outbound; see `gateway check-names --help`)", file=sys.stderr)
    elif not args.no_check_names:
        _check_names(args, check_target, check_options)
    where = {
        "iam": "the gateway's IAM role (SigV4)",
        "oauth": f"OAuth (client credentials from {args.oauth_provider})",
    }.get(outbound, "no credentials")
    progress = _progress(
        f"target {args.target_name} on gateway {gateway['name']}: {endpoint}, outbound {where}"
    )
    target, created = add_mcp_target(
        client,
        gateway["gatewayId"],
        args.target_name,
        endpoint,
        listing_mode=args.listing_mode,
        outbound=outbound,
        oauth_provider=args.oauth_provider,
        scopes=args.scope or (),
        on_status=progress,
        **waits,
    )
    if args.json:
        print_json(_plain(target))
        return 0
    print(
        f"{'created' if created else 'updated'} target {target['name']} ({target['targetId']})",
        file=sys.stderr,
    )
    print(f"tools are listed as {target['name']}___<tool> at {gateway['gatewayUrl']}")
    return 0


def _remove_target(args: argparse.Namespace, client: Any, data_plane: str, waits: dict[str, float]) -> int:
    from agentcore_mcp._gateways import find_gateway, remove_target

    gateway = find_gateway(client, args.gateway)
    target = remove_target(client, gateway["gatewayId"], args.target_name, **waits)
    if args.json:
        print_json(_plain(target))
    else:
        print(f"removed target {target['name']} ({target['targetId']}) from gateway {gateway['name']}")
    return 0


def _sync(args: argparse.Namespace, client: Any, data_plane: str, waits: dict[str, float]) -> int:
    from agentcore_mcp._gateways import find_gateway, synchronize

    gateway = find_gateway(client, args.gateway)
    progress = _progress(f"synchronizing gateway {gateway['name']}")
    targets = synchronize(client, gateway["gatewayId"], args.targets, on_status=progress, **waits)
    if args.json:
        print_json([_plain(t) for t in targets])
        return 0
    for target in targets:
        print(f"{target['name']}  {target['status']}  synchronized {target.get('lastSynchronizedAt', '-')}")
    return 0


def _list(args: argparse.Namespace, client: Any, data_plane: str, waits: dict[str, float]) -> int:
    from agentcore_mcp._gateways import find_gateway, list_gateways, list_targets

    if args.gateway is None:
        rows = [find_gateway(client, g["gatewayId"]) for g in list_gateways(client)]
        if args.json:
            print_json([_plain(g) for g in rows])
        for gateway in [] if args.json else rows:
            print(
                f"{gateway['name']}  {gateway['status']}  {gateway['authorizerType']}  {gateway['gatewayUrl']}"
            )
        return 0
    gateway = find_gateway(client, args.gateway)
    targets = list_targets(client, gateway["gatewayId"])
    if args.json:
        print_json([_plain(t) for t in targets])
        return 0
    for target in targets:
        print(f"{target['name']}  {target['status']}  {target['targetId']}")
    return 0


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """A boto3 record as JSON-ready values (datetimes as ISO 8601), without the response metadata."""
    return {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in record.items()
        if k != "ResponseMetadata"
    }
