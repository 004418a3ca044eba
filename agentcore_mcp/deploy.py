"""Deploying an MCP server to AgentCore Runtime: create or update a runtime, wait until READY, destroy it.

Helpers on boto3's ``bedrock-agentcore-control`` client. A :class:`RuntimeSpec` describes the whole runtime
(name, artifact — a container image or a code zip in S3 —, execution role, network, JWT authorizer,
environment, header allow-list, lifecycle); :func:`deploy` creates the runtime, or updates the one that already has that name, and waits
until it is ``READY``; :func:`destroy` deletes one by name, id or ARN::

    import boto3
    from agentcore_mcp.deploy import JWTAuthorizerConfig, RuntimeSpec, deploy

    control = boto3.client("bedrock-agentcore-control", region_name="us-west-2")
    spec = RuntimeSpec(
        name="demo_mcp",
        image="123456789012.dkr.ecr.us-west-2.amazonaws.com/demo-mcp:1",
        role_arn="arn:aws:iam::123456789012:role/AgentCoreRuntime",
        authorizer=JWTAuthorizerConfig(
            discovery_url="https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbC/.well-known/openid-configuration",
            allowed_clients=("my-app-client-id",),
        ),
    )
    deployment = deploy(control, spec)  # created or updated; READY
    print(deployment.arn, deployment.invocations_url())

Everything a spec can get wrong is checked by :meth:`RuntimeSpec.validate` before any API call, against the
same limits the service model states. boto3 and botocore are imported when a function here runs, not when
this module is imported. Errors are :class:`DeployError` (one line each, naming the call that failed).
"""

from __future__ import annotations

import importlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from agentcore_mcp._runtime_spec import CodeArtifact, JWTAuthorizerConfig, RuntimeSpec, WarmupHook
from agentcore_mcp._runtime_spec import is_loopback as _is_loopback
from agentcore_mcp.errors import (
    DeployError,
    InvalidRuntimeSpec,
    RuntimeFailed,
    RuntimeNotFound,
    WaitTimeout,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "CodeArtifact",
    "DeployError",
    "Deployment",
    "InvalidRuntimeSpec",
    "JWTAuthorizerConfig",
    "RuntimeFailed",
    "RuntimeNotFound",
    "RuntimeSpec",
    "WaitTimeout",
    "WarmupHook",
    "control_client",
    "deploy",
    "destroy",
    "find_runtime",
    "point_endpoint",
    "resolve_region",
    "rollback",
    "s3_client",
    "wait_until_ready",
]

DEFAULT_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 2.0

# The service model's constraints (bedrock-agentcore-control 2023-06-05).
READY = "READY"
FAILED = frozenset({"CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED"})
SETTLING = frozenset({"CREATING", "UPDATING"})

StatusCallback = Callable[[str, float], None]


@dataclass(frozen=True)
class Deployment:
    """A runtime as :func:`deploy` left it.

    Attributes:
        action: ``"created"`` or ``"updated"``.
        data_plane_url: the data-plane endpoint the invocations URL is built on (None: AWS's for the region).
    """

    arn: str
    runtime_id: str
    name: str
    version: str | None
    status: str
    action: Literal["created", "updated"]
    data_plane_url: str | None = None

    def invocations_url(self, qualifier: str | None = "DEFAULT") -> str:
        """The MCP endpoint of the runtime: bearer-token (or SigV4) HTTPS clients POST here."""
        from agentcore_mcp.client import invocations_url

        return invocations_url(self.arn, qualifier=qualifier, endpoint_url=self.data_plane_url)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``agentcore-mcp deploy --json`` prints)."""
        return {
            "action": self.action,
            "name": self.name,
            "agentRuntimeArn": self.arn,
            "agentRuntimeId": self.runtime_id,
            "agentRuntimeVersion": self.version,
            "status": self.status,
            "invocationsUrl": self.invocations_url(),
        }


def control_client(
    *, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None
) -> Any:
    """A ``bedrock-agentcore-control`` client from the standard AWS configuration.

    ``profile`` and ``region`` default to the environment and ``~/.aws/config``; the endpoint to
    ``AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL`` (or ``AWS_ENDPOINT_URL``) when set. No API call is made.

    Raises:
        InvalidRuntimeSpec: the profile does not exist, or no region is configured.
    """
    return _client("bedrock-agentcore-control", region=region, profile=profile, endpoint_url=endpoint_url)


def s3_client(
    *, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None
) -> Any:
    """An S3 client from the standard AWS configuration (path-style addressing on a local endpoint)."""
    return _client("s3", region=region, profile=profile, endpoint_url=endpoint_url)


def data_plane_endpoint(
    *, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None
) -> str:
    """The ``bedrock-agentcore`` (data-plane) endpoint the standard AWS configuration resolves to."""
    client = _client("bedrock-agentcore", region=region, profile=profile, endpoint_url=endpoint_url)
    return str(client.meta.endpoint_url)


def resolve_region(region: str | None = None, profile: str | None = None) -> tuple[str | None, str]:
    """The region to use and where it came from: ``region``, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION``.

    boto3 reads only ``AWS_DEFAULT_REGION``; the AWS CLI and the other SDKs read ``AWS_REGION`` first, and
    so does this. Returns ``(None, "the profile")`` when neither is set: boto3 then takes the profile's
    region from ``~/.aws/config`` (or finds none). The source is ``"--region"``, ``"AWS_REGION"``,
    ``"AWS_DEFAULT_REGION"`` or ``"the profile"``, for messages.
    """
    if region:
        return region, "--region"
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(variable, "").strip()
        if value:
            return value, variable
    return None, f"profile {profile}" if profile else "the profile"


def _client(service: str, *, region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    from agentcore_mcp import __version__

    boto3 = _module("boto3")
    exceptions = _module("botocore.exceptions")
    Config = _module("botocore.config").Config

    region, _ = resolve_region(region, profile)
    options: dict[str, Any] = {
        "retries": {"mode": "standard"},
        "user_agent_extra": f"agentcore-mcp/{__version__}",
    }
    if service == "s3" and endpoint_url and _is_loopback(endpoint_url):
        options["s3"] = {"addressing_style": "path"}  # a local endpoint has no per-bucket host names
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        return session.client(service, endpoint_url=endpoint_url, config=Config(**options))
    except exceptions.ProfileNotFound as exc:
        raise InvalidRuntimeSpec(f"{exc} (see `aws configure list-profiles`)") from None
    except exceptions.NoRegionError:
        raise InvalidRuntimeSpec(
            "no AWS region configured: pass --region, or set AWS_REGION or AWS_DEFAULT_REGION (neither is "
            f"set), or a region in {f'profile {profile}' if profile else 'your profile'}"
        ) from None


def find_runtime(client: Any, name: str) -> dict[str, Any] | None:
    """The summary of the runtime called ``name`` (``list_agent_runtimes``, every page), or None."""
    for summary in _all_runtimes(client):
        if summary.get("agentRuntimeName") == name:
            return summary
    return None


def _all_runtimes(client: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(1000):  # a control plane whose pagination never ends cannot hang the caller
        kwargs: dict[str, Any] = {"maxResults": 100}
        if token:
            kwargs["nextToken"] = token
        page = _call(client, "list_agent_runtimes", **kwargs)
        found.extend(page.get("agentRuntimes") or [])
        token = page.get("nextToken")
        if not token:
            break
    return found


def _resolve(client: Any, identifier: str) -> dict[str, Any]:
    """The runtime summary for a name, a runtime id or an ARN (a versioned ARN matches its runtime)."""
    wanted = identifier.strip()
    for summary in _all_runtimes(client):
        arn = str(summary.get("agentRuntimeArn", ""))
        if wanted in (summary.get("agentRuntimeName"), summary.get("agentRuntimeId"), arn):
            return summary
        if wanted.startswith("arn:") and _unversioned(wanted) == _unversioned(arn):
            return summary
    raise RuntimeNotFound(f"no runtime named or identified {identifier!r} in this account and region")


def _unversioned(arn: str) -> str:
    """An ARN without a trailing ``:VERSION`` (moto's local ARNs carry one; AWS's runtime ARNs do not)."""
    head, sep, tail = arn.rpartition(":")
    return head if sep and tail.isdigit() and "/" in head else arn


def deploy(
    client: Any,
    spec: RuntimeSpec,
    *,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    on_status: StatusCallback | None = None,
    on_action: Callable[[str, dict[str, Any] | None], None] | None = None,
    data_plane_url: str | None = None,
) -> Deployment:
    """Create the runtime ``spec`` describes, or update the one with its name; wait until it is READY.

    Args:
        client: a ``bedrock-agentcore-control`` client (see :func:`control_client`).
        wait: poll ``get_agent_runtime`` until the status is READY (else return after the call).
        timeout: seconds to wait for READY (a runtime still settling from an earlier deploy is waited
            for first, within the same budget).
        poll_interval: seconds between polls.
        on_status: called with ``(status, seconds since the deploy began)`` after every poll.
        on_action: called with ``("create", None)`` or ``("update", existing summary)`` before the call.
        data_plane_url: the data-plane endpoint recorded in the result (for its invocations URL).

    Raises:
        InvalidRuntimeSpec: before any API call, when the spec would be refused.
        RuntimeFailed: the runtime ended in CREATE_FAILED or UPDATE_FAILED (with the service's reason).
        WaitTimeout: not READY within ``timeout``.
        DeployError: a control-plane call failed.
    """
    spec.validate(local=_is_loopback(str(getattr(client.meta, "endpoint_url", "") or "")))
    started = time.monotonic()

    def remaining() -> float:
        return max(0.0, timeout - (time.monotonic() - started))

    answer, action = _create_or_update(client, spec, remaining, poll_interval, on_status, on_action)
    runtime_id = answer["agentRuntimeId"]
    if wait:
        described = wait_until_ready(
            client,
            runtime_id,
            timeout=remaining(),
            poll_interval=poll_interval,
            on_status=on_status,
            started=started,
        )
    else:
        described = _call(client, "get_agent_runtime", agentRuntimeId=runtime_id)
    return Deployment(
        arn=described.get("agentRuntimeArn") or answer["agentRuntimeArn"],
        runtime_id=runtime_id,
        name=spec.name,
        version=described.get("agentRuntimeVersion") or answer.get("agentRuntimeVersion"),
        status=str(described.get("status", answer.get("status", "UNKNOWN"))),
        action=action,
        data_plane_url=data_plane_url,
    )


def _create_or_update(
    client: Any,
    spec: RuntimeSpec,
    remaining: Callable[[], float],
    poll_interval: float,
    on_status: StatusCallback | None,
    on_action: Callable[[str, dict[str, Any] | None], None] | None,
) -> tuple[dict[str, Any], Literal["created", "updated"]]:
    """``CreateAgentRuntime``, or ``UpdateAgentRuntime`` of the runtime with the spec's name (once it has
    settled: the service refuses an update while it is still being created or updated); the answer."""
    existing = find_runtime(client, spec.name)
    if existing is None:
        if on_action is not None:
            on_action("create", None)
        return _call(client, "create_agent_runtime", **spec.create_request()), "created"
    runtime_id = existing["agentRuntimeId"]
    if existing.get("status") in SETTLING:
        wait_until_ready(
            client, runtime_id, timeout=remaining(), poll_interval=poll_interval, on_status=on_status
        )
    if on_action is not None:
        on_action("update", existing)
    return _call(
        client, "update_agent_runtime", agentRuntimeId=runtime_id, **spec.update_request()
    ), "updated"


def wait_until_ready(
    client: Any,
    runtime_id: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    on_status: StatusCallback | None = None,
    started: float | None = None,
) -> dict[str, Any]:
    """Poll ``get_agent_runtime`` until the runtime is READY; its description.

    botocore has no waiter for this. ``on_status(status, elapsed)`` is called after every poll.

    Raises:
        RuntimeFailed: a ``*_FAILED`` status (the message carries the service's ``failureReason``).
        WaitTimeout: not READY within ``timeout`` seconds.
    """
    if poll_interval <= 0:
        raise ValueError(f"poll_interval must be positive, got {poll_interval!r}")
    begun = time.monotonic() if started is None else started
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        described: dict[str, Any] = _call(client, "get_agent_runtime", agentRuntimeId=runtime_id)
        status = str(described.get("status", "UNKNOWN"))
        if on_status is not None:
            on_status(status, time.monotonic() - begun)
        if status == READY:
            return described
        if status in FAILED:
            reason = described.get("failureReason")
            raise RuntimeFailed(
                f"runtime {runtime_id} is {status}" + (f": {reason}" if reason else " (no reason given)"),
                status=status,
                reason=reason,
            )
        if status in ("DELETING",):
            raise DeployError(f"runtime {runtime_id} is being deleted")
        left = deadline - time.monotonic()
        if left <= 0:
            raise WaitTimeout(
                f"runtime {runtime_id} is still {status} after {time.monotonic() - begun:.0f} s; "
                "it may still become READY "
                "(check with `aws bedrock-agentcore-control get-agent-runtime`)"
            )
        time.sleep(min(poll_interval, left))


def destroy(
    client: Any,
    identifier: str,
    *,
    wait: bool = True,
    timeout: float = 300.0,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    on_status: StatusCallback | None = None,
) -> dict[str, Any]:
    """Delete the runtime with this name, runtime id or ARN (its endpoints go with it); its summary.

    With ``wait``, polls until the control plane no longer knows the runtime.

    Raises:
        RuntimeNotFound: nothing has that name, id or ARN.
        RuntimeFailed: DELETE_FAILED.
        WaitTimeout: still there after ``timeout`` seconds.
    """
    summary = _resolve(client, identifier)
    runtime_id = summary["agentRuntimeId"]
    _call(client, "delete_agent_runtime", agentRuntimeId=runtime_id)
    if not wait:
        return summary
    started = time.monotonic()
    deadline = started + max(0.0, timeout)
    while True:
        try:
            described = _call(client, "get_agent_runtime", agentRuntimeId=runtime_id)
        except RuntimeNotFound:
            return summary
        status = str(described.get("status", "UNKNOWN"))
        if on_status is not None:
            on_status(status, time.monotonic() - started)
        if status == "DELETE_FAILED":
            reason = described.get("failureReason")
            raise RuntimeFailed(
                f"runtime {runtime_id} is DELETE_FAILED" + (f": {reason}" if reason else ""),
                status=status,
                reason=reason,
            )
        left = deadline - time.monotonic()
        if left <= 0:
            raise WaitTimeout(f"runtime {runtime_id} is still {status} after {timeout:g} s")
        time.sleep(min(poll_interval, left))


ENDPOINT_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}")


def point_endpoint(
    client: Any,
    runtime_id: str,
    name: str,
    version: str,
    *,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
) -> dict[str, Any]:
    """Point the runtime endpoint ``name`` at ``version`` (created when missing); its description once READY.

    Callers reach a version through its endpoint's name as the qualifier (``?qualifier=NAME``,
    ``agentcore-mcp call ... --qualifier NAME``). ``DEFAULT`` always follows the latest version and is not
    moved by hand.

    Raises:
        InvalidRuntimeSpec: ``DEFAULT``, or not an endpoint name (``[a-zA-Z][a-zA-Z0-9_]{0,47}``).
        RuntimeFailed: the endpoint ended in a ``*_FAILED`` status.
        WaitTimeout: not READY within ``timeout``.
    """
    if name == "DEFAULT":
        raise InvalidRuntimeSpec("DEFAULT always follows the latest version; name another endpoint")
    if ENDPOINT_NAME.fullmatch(name) is None:
        raise InvalidRuntimeSpec(
            f"an endpoint name is a letter followed by up to 47 letters, digits or underscores, got {name!r}"
        )
    try:
        _call(client, "get_agent_runtime_endpoint", agentRuntimeId=runtime_id, endpointName=name)
    except RuntimeNotFound:
        _call(
            client,
            "create_agent_runtime_endpoint",
            agentRuntimeId=runtime_id,
            name=name,
            agentRuntimeVersion=version,
        )
    else:
        _call(
            client,
            "update_agent_runtime_endpoint",
            agentRuntimeId=runtime_id,
            endpointName=name,
            agentRuntimeVersion=version,
        )
    return _endpoint_settled(
        client, runtime_id, name, wait=wait, timeout=timeout, poll_interval=poll_interval
    )


def _endpoint_settled(
    client: Any, runtime_id: str, name: str, *, wait: bool, timeout: float, poll_interval: float
) -> dict[str, Any]:
    """The endpoint's description once READY (at once without ``wait``); a ``*_FAILED`` status raises
    :class:`RuntimeFailed`, still settling after ``timeout`` seconds :class:`WaitTimeout`."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        described: dict[str, Any] = _call(
            client, "get_agent_runtime_endpoint", agentRuntimeId=runtime_id, endpointName=name
        )
        status = str(described.get("status", "UNKNOWN"))
        if not wait or status == READY:
            return described
        if status.endswith("_FAILED"):
            reason = described.get("failureReason")
            raise RuntimeFailed(
                f"endpoint {name} is {status}" + (f": {reason}" if reason else ""),
                status=status,
                reason=reason,
            )
        left = deadline - time.monotonic()
        if left <= 0:
            raise WaitTimeout(f"endpoint {name} is still {status} after {timeout:g} s")
        time.sleep(min(poll_interval, left))


def rollback(
    client: Any,
    identifier: str,
    endpoint: str,
    *,
    to_version: str | None = None,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
) -> tuple[str, str, dict[str, Any]]:
    """Point ``endpoint`` of the runtime ``identifier`` (name, id or ARN) back at an earlier version.

    ``to_version`` defaults to the newest version older than the one the endpoint serves now. Returns
    ``(from_version, to_version, endpoint description)``.

    Raises:
        RuntimeNotFound: no such runtime, endpoint or version.
        InvalidRuntimeSpec: ``DEFAULT`` (it follows the latest version), or no older version to go to.
    """
    if endpoint == "DEFAULT":
        raise InvalidRuntimeSpec(
            "DEFAULT always follows the latest version: roll back a named endpoint (deploy --endpoint NAME)"
        )
    summary = _resolve(client, identifier)
    runtime_id = str(summary["agentRuntimeId"])
    current = _call(client, "get_agent_runtime_endpoint", agentRuntimeId=runtime_id, endpointName=endpoint)
    serving = str(current.get("liveVersion") or current.get("targetVersion"))
    versions = _versions(client, runtime_id)
    if to_version is None:
        older = [v for v in versions if v.isdigit() and serving.isdigit() and int(v) < int(serving)]
        if not older:
            raise InvalidRuntimeSpec(
                f"endpoint {endpoint} serves version {serving}; there is no older version"
            )
        to_version = str(max(older, key=int))
    elif to_version not in versions:
        raise RuntimeNotFound(
            f"runtime {summary.get('agentRuntimeName')} has no version {to_version} (it has {', '.join(versions)})"
        )
    described = point_endpoint(
        client, runtime_id, endpoint, to_version, wait=wait, timeout=timeout, poll_interval=poll_interval
    )
    return serving, to_version, described


def _versions(client: Any, runtime_id: str) -> list[str]:
    found: list[str] = []
    token: str | None = None
    for _ in range(1000):
        kwargs: dict[str, Any] = {"agentRuntimeId": runtime_id, "maxResults": 100}
        if token:
            kwargs["nextToken"] = token
        page = _call(client, "list_agent_runtime_versions", **kwargs)
        found.extend(str(v["agentRuntimeVersion"]) for v in page.get("agentRuntimes") or [])
        token = page.get("nextToken")
        if not token:
            break
    return sorted(set(found), key=lambda v: (len(v), v))


def _call(client: Any, operation: str, **kwargs: Any) -> Any:
    """Call ``client.<operation>(**kwargs)``; botocore errors become one-line :class:`DeployError` s."""
    exceptions = _module("botocore.exceptions")

    try:
        return getattr(client, operation)(**kwargs)
    except exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Error")
        message = error.get("Message") or str(exc)
        text = f"{operation} failed: {code}: {message}"
        if code in ("ResourceNotFoundException", "NotFoundException"):
            raise RuntimeNotFound(text) from None
        if code in ("AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException"):
            text += " (check the credentials and the IAM permissions for bedrock-agentcore-control)"
        raise DeployError(text) from None
    except exceptions.NoCredentialsError:
        raise DeployError(
            f"{operation}: no AWS credentials found (configure a profile, or set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
        ) from None
    except exceptions.BotoCoreError as exc:
        raise DeployError(f"{operation} failed: {exc}") from None


def _module(name: str) -> Any:
    """Import a boto3/botocore module (by name: they ship no type information)."""
    return importlib.import_module(name)
