"""``agentcore-mcp deploy`` and ``agentcore-mcp destroy``: MCP runtimes on the AgentCore control plane."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from agentcore_mcp._codezip import ARCHITECTURES, DEFAULT_ARCHITECTURE, DEFAULT_RUNTIME, RUNTIMES
from agentcore_mcp.cli._base import PROFILE_HELP, Command, add_command, add_list_option, pairs, print_json

__all__ = ["register"]

DEPLOY_DESCRIPTION = """\
Create an MCP runtime on Amazon Bedrock AgentCore Runtime, or update the runtime that already has NAME
(never a second one), then wait until it is READY, showing each stage on stderr. Prints the runtime ARN and
its invocations URL (the MCP endpoint for bearer-token clients); with --json, a JSON object instead.

Without --image (direct code deployment, no Docker): the project in --source (default: the current
directory, a folder with a pyproject.toml; or one .py file) is built into a code zip with its dependencies
resolved by pip for the runtime's Linux platform (--runtime, default PYTHON_3_13; --architecture, default
arm64), from wheels only; the zip (size and SHA-256 printed) is uploaded to S3 (--bucket, or the bucket
agentcore-mcp-code-ACCOUNT-REGION, created when missing), unless an unchanged zip is already there, and the
runtime runs its main.py, which serves --app (default: the project's PACKAGE/server.py). A package
without a wheel for the target is one error naming it. The runtime's role needs s3:GetObject on the zip
(and kms:Decrypt for a bucket encrypted with a customer-managed key).

With --image: the container image, in Amazon ECR and built for linux/arm64 (see docs/deploy.md).

The command line describes the whole runtime: an update sends every setting again, so pass the same options
each time (keep the command in a script or a Makefile). Mistakes the service would refuse (a bad name, a
missing role, a discovery URL that is not an OpenID discovery document...) are reported before any API
call, with exit status 2.

Without --discovery-url, callers sign requests with SigV4 (boto3, `agentcore-mcp call TOOL --target ARN`); with it,
callers send an OAuth access token from that issuer (`--bearer-token`).

Standard AWS configuration applies: --profile / AWS_PROFILE; --region, else AWS_REGION, else
AWS_DEFAULT_REGION, else the profile's region (the command says which it used); and
AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL or --endpoint-url for the control plane (e.g. the local
emulator, whose moto control plane serves the same URL as its data plane).
"""

DESTROY_DESCRIPTION = """\
Delete a runtime (and its endpoints) by name, runtime id or ARN, and wait until it is gone. Exit status 1
when no runtime matches, unless --missing-ok. The same AWS options as `deploy` apply.
"""

DEPLOY_EXAMPLES = """\
agentcore-mcp deploy my_tools --role arn:aws:iam::123456789012:role/AgentCoreRuntime   # in the project
agentcore-mcp deploy demo_mcp --source examples/demo_server.py --architecture arm64 \\
    --role arn:aws:iam::123456789012:role/AgentCoreRuntime --bucket my-code-bucket
agentcore-mcp deploy demo_mcp \\
    --image 123456789012.dkr.ecr.us-west-2.amazonaws.com/demo-mcp:1 \\
    --role arn:aws:iam::123456789012:role/AgentCoreRuntime
agentcore-mcp deploy demo_mcp \\
    --image 123456789012.dkr.ecr.us-west-2.amazonaws.com/demo-mcp:1 \\
    --role arn:aws:iam::123456789012:role/AgentCoreRuntime \\
    --discovery-url https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbC/.well-known/openid-configuration \\
    --allowed-client 4f1example2client3id --env LOG_LEVEL=info --idle-timeout 900
"""

DEPLOY = Command(
    "deploy",
    "create or update an MCP runtime on AgentCore and wait until READY",
    DEPLOY_DESCRIPTION,
    DEPLOY_EXAMPLES,
)

ROLLBACK_DESCRIPTION = """\
Point a runtime endpoint (a name callers use as the qualifier: --qualifier NAME, ?qualifier=NAME) back at
an earlier version of the runtime: by default the newest version older than the one it serves now, or
--to-version N. `deploy --endpoint NAME` moves the endpoint forward to each new version; DEFAULT always
follows the latest version and cannot be rolled back. The same AWS options as `deploy` apply.
"""

ROLLBACK_EXAMPLES = """\
agentcore-mcp rollback demo_mcp --endpoint live
agentcore-mcp rollback demo_mcp --endpoint live --to-version 3 --json
"""

ROLLBACK = Command(
    "rollback",
    "point a runtime endpoint back at an earlier version",
    ROLLBACK_DESCRIPTION,
    ROLLBACK_EXAMPLES,
)

DESTROY_EXAMPLES = """\
agentcore-mcp destroy demo_mcp
agentcore-mcp destroy demo_mcp --missing-ok --json
"""

DESTROY = Command(
    "destroy", "delete an MCP runtime (by name, id or ARN)", DESTROY_DESCRIPTION, DESTROY_EXAMPLES
)


def register(commands: Any) -> None:
    deploy = add_command(commands, DEPLOY, run_deploy)
    deploy.add_argument("name", metavar="NAME", help="the runtime name: [a-zA-Z][a-zA-Z0-9_]{0,47}")
    deploy.add_argument(
        "--image", metavar="URI", help="the container image URI (ECR); without it, a code zip is built"
    )
    deploy.add_argument(
        "--role", required=True, metavar="ARN", help="the execution role ARN the runtime assumes"
    )
    deploy.add_argument("--description", help="a description of the runtime")
    _code_zip_options(deploy)
    _platform_options(deploy)
    _auth_options(deploy)
    _container_options(deploy)
    deploy.add_argument(
        "--endpoint",
        metavar="NAME",
        help="point this runtime endpoint at the new version once READY (created when missing)",
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

    rollback = add_command(commands, ROLLBACK, run_rollback)
    rollback.add_argument("runtime", metavar="NAME|ID|ARN", help="the runtime")
    rollback.add_argument("--endpoint", "-e", required=True, metavar="NAME", help="the endpoint to move")
    rollback.add_argument("--to-version", metavar="N", help="the version (default: the one before)")
    rollback.add_argument("--timeout", type=float, default=600.0, help="seconds to wait (default 600)")
    rollback.add_argument("--poll-interval", type=float, default=2.0, help="seconds between checks (2)")
    _aws_options(rollback)

    destroy = add_command(commands, DESTROY, run_destroy)
    destroy.add_argument("runtime", metavar="NAME|ID|ARN", help="the runtime to delete")
    destroy.add_argument("--missing-ok", action="store_true", help="succeed when no runtime matches")
    destroy.add_argument("--no-wait", action="store_true", help="return after the delete call")
    destroy.add_argument("--timeout", type=float, default=300.0, help="seconds to wait (default 300)")
    destroy.add_argument("--poll-interval", type=float, default=2.0, help="seconds between checks (2)")
    _aws_options(destroy)


def _code_zip_options(deploy: argparse.ArgumentParser) -> None:
    """The options of a code zip (no --image): what to build, for which runtime, where to put it."""
    code = deploy.add_argument_group("code zip (without --image)")
    code.add_argument(
        "--source",
        metavar="PATH",
        default=".",
        help="the project directory (with a pyproject.toml) or a .py file (default: .)",
    )
    code.add_argument(
        "--app", metavar="SPEC", help="the app main.py serves (default: the project's PACKAGE/server.py)"
    )
    code.add_argument(
        "--runtime",
        choices=tuple(RUNTIMES),
        default=DEFAULT_RUNTIME,
        help=f"the managed Python runtime (default {DEFAULT_RUNTIME})",
    )
    code.add_argument(
        "--architecture",
        choices=tuple(ARCHITECTURES),
        default=DEFAULT_ARCHITECTURE,
        help=f"the CPU architecture: the zip's dependencies are resolved for it (default {DEFAULT_ARCHITECTURE}; x86_64 needs V2)",
    )
    code.add_argument(
        "--bucket",
        metavar="NAME",
        help="the S3 bucket for the zip (default agentcore-mcp-code-ACCOUNT-REGION)",
    )
    add_list_option(code, "--requirement", "REQ", "another requirement to install into the zip; repeatable")


def _platform_options(deploy: argparse.ArgumentParser) -> None:
    """Runtime V2 (platform version, warm-up hook) and the network."""
    v2 = deploy.add_argument_group("Runtime V2")
    v2.add_argument(
        "--platform-version",
        choices=("V1", "V2"),
        help="the platform version (default: the service's; V2 when a warm-up hook or x86_64 needs it)",
    )
    v2.add_argument(
        "--warmup-path",
        metavar="PATH",
        help="the warm-up hook's path (AgentCoreMCP.warmup serves /warmup): POSTed once before sessions",
    )
    v2.add_argument("--warmup-port", type=int, metavar="PORT", help="the warm-up hook's port (default: 8000)")
    network = deploy.add_argument_group("network")
    network.add_argument(
        "--network-mode", choices=("PUBLIC", "VPC"), default="PUBLIC", help="PUBLIC (default) or VPC"
    )
    add_list_option(network, "--subnet", "ID", "a VPC subnet; repeatable")
    add_list_option(network, "--security-group", "ID", "a VPC security group; repeatable")


def _auth_options(deploy: argparse.ArgumentParser) -> None:
    """Inbound auth: SigV4 by default; a discovery URL makes the runtime JWT."""
    auth = deploy.add_argument_group("inbound auth (default SigV4; a discovery URL makes it JWT)")
    auth.add_argument(
        "--discovery-url", metavar="URL", help="the OAuth issuer's .../.well-known/openid-configuration URL"
    )
    add_list_option(auth, "--allowed-client", "ID", "an accepted client id; repeatable")
    add_list_option(auth, "--allowed-audience", "AUD", "an accepted audience; repeatable")
    add_list_option(auth, "--allowed-scope", "SCOPE", "a required scope; repeatable")


def _container_options(deploy: argparse.ArgumentParser) -> None:
    """What the container gets: environment, forwarded headers, session lifetimes, tags."""
    container = deploy.add_argument_group("the container")
    add_list_option(container, "--env", "KEY=VALUE", "an environment variable; repeatable")
    add_list_option(
        container,
        "--allow-header",
        "NAME",
        "a request header passed to the container (e.g. Authorization on a JWT runtime); repeatable",
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
    add_list_option(container, "--tag", "KEY=VALUE", "a tag on a new runtime; repeatable")


def _aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS")
    group.add_argument("--profile", help=PROFILE_HELP)
    group.add_argument(
        "--region", help="the AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's)"
    )
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
            print(f"  {status} ({_seconds(elapsed)})", file=sys.stderr, flush=True)
            self.last = status
            self.shown_at = elapsed


def _seconds(value: float) -> str:
    """``1 second``, ``12 seconds``: whole seconds, singular when it is one."""
    whole = round(value)
    return f"{whole} second" if whole == 1 else f"{whole} seconds"


def _control_for(args: argparse.Namespace) -> tuple[Any, str, str]:
    """The control-plane client, the data-plane endpoint for printed URLs, and where the region came from."""
    from agentcore_mcp._runtime_spec import is_loopback as _is_loopback
    from agentcore_mcp.deploy import control_client, data_plane_endpoint, resolve_region

    region, source = resolve_region(args.region, args.profile)
    client = control_client(region=region, profile=args.profile, endpoint_url=args.endpoint_url)
    control_url = str(client.meta.endpoint_url)
    data_plane = data_plane_endpoint(region=client.meta.region_name, profile=args.profile)
    if _is_loopback(control_url) and not os.environ.get("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"):
        data_plane = control_url  # the local emulator serves both planes on one URL
    return client, data_plane, source


def _local(client: Any) -> bool:
    from agentcore_mcp._runtime_spec import is_loopback as _is_loopback

    return _is_loopback(str(client.meta.endpoint_url))


def _spec_from(args: argparse.Namespace) -> Any:
    """The ``RuntimeSpec`` the command line describes (usage mistakes raise ``ValueError``: exit 2)."""
    from agentcore_mcp.deploy import JWTAuthorizerConfig, RuntimeSpec, WarmupHook

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
    if args.image and (args.bucket or args.app or args.requirement):
        raise ValueError("--bucket, --app and --requirement are for a code zip: leave out --image")
    if args.warmup_port is not None and not args.warmup_path:
        raise ValueError("--warmup-port needs --warmup-path")
    if args.timeout <= 0 or args.poll_interval <= 0:
        raise ValueError("--timeout and --poll-interval must be positive")
    return RuntimeSpec(
        name=args.name,
        image=args.image,
        role_arn=args.role,
        network_mode=args.network_mode,
        subnets=tuple(args.subnet),
        security_groups=tuple(args.security_group),
        authorizer=authorizer,
        environment=pairs(args.env, "--env"),
        header_allowlist=tuple(args.allow_header),
        idle_timeout=args.idle_timeout,
        max_lifetime=args.max_lifetime,
        description=args.description,
        tags=pairs(args.tag, "--tag"),
        platform_version=args.platform_version,
        warmup=WarmupHook(args.warmup_path, args.warmup_port) if args.warmup_path else None,
        architecture="X86_64" if args.architecture == "x86_64" else None,
    )


def _announcer(spec: Any, where: str) -> Any:
    """The ``on_action`` callback: one line on stderr saying what is created or updated, and how."""
    auth = "JWT" if spec.authorizer else "SigV4"

    def announce(action: str, existing: dict[str, Any] | None) -> None:
        if existing is None:
            what = f"creating runtime {spec.name} in {where}"
        else:
            version = existing.get("agentRuntimeVersion", "?")
            what = (
                f"updating runtime {spec.name} ({existing['agentRuntimeId']}, version {version}) in {where}"
            )
        print(f"{what}: {spec.artifact()}, MCP, {spec.network_mode}, {auth}", file=sys.stderr, flush=True)

    return announce


def run_deploy(args: argparse.Namespace) -> int:
    from agentcore_mcp.deploy import deploy

    spec = _spec_from(args)
    client, data_plane, region_source = _control_for(args)
    where = f"{client.meta.region_name} (region from {region_source})"
    started = time.monotonic()
    code_zip: dict[str, Any] | None = None
    if not args.image:
        from agentcore_mcp.deploy import CodeArtifact

        # Everything but the zip's location is checked before building it.
        dataclasses.replace(spec, code=CodeArtifact("bucket-to-be", "key")).validate(local=_local(client))
        spec, code_zip = _code_zip(args, spec, client, started)
    spec.validate(local=_local(client))
    deployment = deploy(
        client,
        spec,
        wait=not args.no_wait,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
        on_status=_Progress(),
        on_action=_announcer(spec, where),
        data_plane_url=data_plane,
    )
    endpoint = _move_endpoint(args, client, deployment)
    if not args.no_wait:
        print(
            f"ready: {deployment.name} version {deployment.version} is {deployment.status} "
            f"({time.monotonic() - started:.1f} s in all)",
            file=sys.stderr,
            flush=True,
        )
    _report(args, client, data_plane, deployment, code_zip, endpoint)
    return 0


def _move_endpoint(args: argparse.Namespace, client: Any, deployment: Any) -> dict[str, Any] | None:
    """``--endpoint NAME``: point that endpoint at the new version (created when missing); its record."""
    if not args.endpoint:
        return None
    from agentcore_mcp.deploy import point_endpoint

    endpoint: dict[str, Any] = point_endpoint(
        client,
        deployment.runtime_id,
        args.endpoint,
        str(deployment.version),
        wait=not args.no_wait,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
    )
    _stage("endpoint", f"{args.endpoint} -> version {deployment.version} ({endpoint.get('status')})")
    return endpoint


def _report(
    args: argparse.Namespace,
    client: Any,
    data_plane: str,
    deployment: Any,
    code_zip: dict[str, Any] | None,
    endpoint: dict[str, Any] | None,
) -> None:
    """The result on stdout: the deployment as JSON, or lines to read with a command to try."""
    if args.json:
        summary = deployment.to_dict()
        if code_zip is not None:
            summary["codeZip"] = code_zip
        if endpoint is not None:
            summary["endpoint"] = {"name": args.endpoint, "version": str(deployment.version)}
        print_json(summary)
        return
    print(
        f"{deployment.action} runtime {deployment.name} (version {deployment.version}, {deployment.status})"
    )
    print(f"runtime ARN:      {deployment.arn}")
    print(f"invocations URL:  {deployment.invocations_url()}")
    extra = " --bearer-token TOKEN" if args.discovery_url else ""
    if _local(client) and not os.environ.get("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"):
        extra += f" --endpoint-url {data_plane}"
    print(f"try:              agentcore-mcp tools --target {deployment.arn}{extra}")


ROLE_ACCOUNT = re.compile(r"arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):role/.+")


def _stage(name: str, detail: str) -> None:
    print(f"{name}: {detail}", file=sys.stderr, flush=True)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _code_zip(
    args: argparse.Namespace, spec: Any, control: Any, started: float
) -> tuple[Any, dict[str, Any]]:
    """Build the code zip, put it in S3 (unless it is there), and the spec that runs it."""
    from agentcore_mcp._codestore import default_bucket, ensure_bucket, object_key, upload_code_zip
    from agentcore_mcp._codezip import build_code_zip
    from agentcore_mcp.deploy import CodeArtifact, s3_client

    built = build_code_zip(
        Path(args.source),
        runtime=args.runtime,
        architecture=args.architecture,
        app=args.app,
        requirements=tuple(args.requirement),
        on_stage=_stage,
    )
    _stage(
        "build",
        f"{built.path} {_megabytes(built.size)}, sha256 {built.sha256}, serves {built.app} "
        f"({time.monotonic() - started:.1f} s)",
    )
    region = str(control.meta.region_name)
    endpoint = None
    if _local(control) and not os.environ.get("AWS_ENDPOINT_URL_S3"):
        endpoint = str(control.meta.endpoint_url)  # the emulator serves moto's S3 on the same URL
    s3 = s3_client(region=region, profile=args.profile, endpoint_url=endpoint)
    match = ROLE_ACCOUNT.fullmatch(args.role)
    assert match is not None  # validated before building
    bucket = args.bucket or default_bucket(match["account"], region)
    if ensure_bucket(s3, bucket, region, create=not args.bucket):
        _stage("upload", f"created bucket s3://{bucket}")
    key = object_key(spec.name, built.sha256)
    upload = upload_code_zip(s3, built.path, sha256=built.sha256, bucket=bucket, key=key)
    if upload.uploaded:
        _stage("upload", f"s3://{bucket}/{key} ({_megabytes(built.size)} uploaded)")
    else:
        _stage("upload", f"skipped: s3://{bucket}/{key} already holds this zip (sha256 unchanged)")
    artifact = CodeArtifact(
        bucket=bucket,
        key=key,
        entry_point=built.entry_point,
        runtime=built.runtime,
        version_id=upload.version_id,
    )
    summary = {
        "path": str(built.path),
        "size": built.size,
        "sha256": built.sha256,
        "runtime": built.runtime,
        "architecture": built.architecture,
        "app": built.app,
        "bucket": bucket,
        "key": key,
        "uploaded": upload.uploaded,
    }
    return dataclasses.replace(spec, image=None, code=artifact), summary


def run_rollback(args: argparse.Namespace) -> int:
    from agentcore_mcp.deploy import rollback

    if args.timeout <= 0 or args.poll_interval <= 0:
        raise ValueError("--timeout and --poll-interval must be positive")
    client, _, _ = _control_for(args)
    before, after, described = rollback(
        client,
        args.runtime,
        args.endpoint,
        to_version=args.to_version,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
    )
    if args.json:
        print_json(
            {
                "endpoint": args.endpoint,
                "fromVersion": before,
                "toVersion": after,
                "status": described.get("status"),
            }
        )
    else:
        print(
            f"endpoint {args.endpoint} of {args.runtime}: version {before} -> {after} ({described.get('status')})"
        )
    return 0


def run_destroy(args: argparse.Namespace) -> int:
    from agentcore_mcp.deploy import RuntimeNotFound, destroy

    if args.timeout <= 0 or args.poll_interval <= 0:
        raise ValueError("--timeout and --poll-interval must be positive")
    client, _, _ = _control_for(args)
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
            print_json({"deleted": False, "reason": str(exc)})
        else:
            print(f"nothing to delete: {exc}", file=sys.stderr)
        return 0
    if args.json:
        print_json(
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
