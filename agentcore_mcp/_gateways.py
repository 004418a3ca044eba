"""Control-plane helpers for AgentCore Gateway: create a gateway, put a runtime behind it, sync, list.

Each call is ``bedrock-agentcore-control`` through boto3 (botocore's model, 2023-06-05): ``CreateGateway``
and ``CreateGatewayTarget`` answer 202 and the resource then goes ``CREATING`` -> ``READY`` (or ``FAILED``),
``UpdateGatewayTarget`` goes ``UPDATING`` -> ``READY``, ``SynchronizeGatewayTargets`` (202) goes
``SYNCHRONIZING`` -> ``READY``; botocore has no waiters for them, so :func:`wait_for` polls. An MCP-server
target for a runtime is ``targetConfiguration.mcp.mcpServer.endpoint`` = the runtime's invocations URL
(AWS devguide "MCP servers targets"), with the gateway's execution role as its outbound credential
(``GATEWAY_IAM_ROLE``, ``iamCredentialProvider.service = "bedrock-agentcore"``): the gateway signs each call
with SigV4 and the runtime needs no OAuth client. Errors are :class:`agentcore_mcp.errors.DeployError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from agentcore_mcp.deploy import _call
from agentcore_mcp.errors import DeployError

__all__ = [
    "add_mcp_target",
    "create_gateway",
    "find_gateway",
    "find_target",
    "list_gateways",
    "list_targets",
    "remove_target",
    "runtime_target_configuration",
    "synchronize",
    "wait_for",
]

StatusCallback = Callable[[str, float], None]
_FAILED = frozenset({"FAILED", "UPDATE_UNSUCCESSFUL", "SYNCHRONIZE_UNSUCCESSFUL"})


def wait_for(
    get: Callable[[], dict[str, Any]],
    what: str,
    *,
    timeout: float = 300.0,
    poll_interval: float = 2.0,
    on_status: StatusCallback | None = None,
) -> dict[str, Any]:
    """Poll ``get()`` until its ``status`` is READY; the record (DeployError on a failed status or timeout)."""
    begun = time.monotonic()
    while True:
        record = get()
        status = str(record.get("status", "UNKNOWN"))
        if on_status is not None:
            on_status(status, time.monotonic() - begun)
        if status == "READY":
            return record
        if status in _FAILED:
            reasons = "; ".join(record.get("statusReasons") or []) or "no reason given"
            raise DeployError(f"{what} is {status}: {reasons}")
        if time.monotonic() - begun > timeout:
            raise DeployError(f"{what} is still {status} after {timeout:.0f} s")
        time.sleep(poll_interval)


def _pages(client: Any, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(1000):
        page = _call(client, operation, **kwargs, **({"nextToken": token} if token else {}))
        items.extend(page.get("items") or [])
        token = page.get("nextToken")
        if not token:
            break
    return items


def list_gateways(client: Any) -> list[dict[str, Any]]:
    """Every gateway's summary (``ListGateways``, all pages)."""
    return _pages(client, "list_gateways")


def find_gateway(client: Any, identifier: str) -> dict[str, Any]:
    """The gateway with this id, name or ARN (``GetGateway``); DeployError when there is none."""
    gateway_id = identifier.rsplit("/", 1)[-1] if identifier.startswith("arn:") else identifier
    for summary in list_gateways(client):
        if gateway_id in (summary.get("gatewayId"), summary.get("name")):
            found: dict[str, Any] = _call(client, "get_gateway", gatewayIdentifier=summary["gatewayId"])
            return found
    raise DeployError(f"no gateway called {identifier!r} (see `agentcore-mcp gateway list`)")


def create_gateway(
    client: Any,
    name: str,
    role_arn: str,
    *,
    authorizer: str = "AWS_IAM",
    jwt: dict[str, Any] | None = None,
    search: bool = True,
    on_status: StatusCallback | None = None,
    timeout: float = 300.0,
    poll_interval: float = 2.0,
) -> tuple[dict[str, Any], bool]:
    """The READY gateway called ``name`` (created when there is none) and whether it was created.

    ``authorizer`` is ``AWS_IAM``, ``CUSTOM_JWT`` (``jwt`` is its ``customJWTAuthorizer``) or ``NONE``;
    ``search`` turns on the built-in search tool (``searchType: SEMANTIC``).
    """
    existing = next((g for g in list_gateways(client) if g.get("name") == name), None)
    if existing is None:
        request: dict[str, Any] = {
            "name": name,
            "roleArn": role_arn,
            "protocolType": "MCP",
            "authorizerType": authorizer,
        }
        if search:
            request["protocolConfiguration"] = {"mcp": {"searchType": "SEMANTIC"}}
        if authorizer == "CUSTOM_JWT":
            if not jwt or not jwt.get("discoveryUrl"):
                raise ValueError("a CUSTOM_JWT gateway needs a discovery URL (--discovery-url)")
            request["authorizerConfiguration"] = {"customJWTAuthorizer": jwt}
        gateway_id = _call(client, "create_gateway", **request)["gatewayId"]
    else:
        gateway_id = existing["gatewayId"]
    record = wait_for(
        lambda: _call(client, "get_gateway", gatewayIdentifier=gateway_id),
        f"gateway {name}",
        timeout=timeout,
        poll_interval=poll_interval,
        on_status=on_status,
    )
    return record, existing is None


def list_targets(client: Any, gateway_id: str) -> list[dict[str, Any]]:
    """Every target's summary of a gateway (``ListGatewayTargets``, all pages)."""
    return _pages(client, "list_gateway_targets", gatewayIdentifier=gateway_id)


def find_target(client: Any, gateway_id: str, name: str) -> dict[str, Any] | None:
    """The summary of the gateway's target called ``name`` (or with that id), or None."""
    return next(
        (t for t in list_targets(client, gateway_id) if name in (t.get("name"), t.get("targetId"))), None
    )


def runtime_target_configuration(
    endpoint: str,
    *,
    listing_mode: str = "DEFAULT",
    outbound: str = "iam",
    service: str = "bedrock-agentcore",
    oauth_provider: str | None = None,
    scopes: Iterable[str] = (),
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``targetConfiguration`` and ``credentialProviderConfigurations`` of an MCP-server target.

    ``outbound``: ``iam`` (the gateway's execution role signs, SigV4 for ``service``), ``oauth`` (a bearer
    token from the Identity OAuth2 credential provider ``oauth_provider``, client credentials, ``scopes``)
    or ``none``.
    """
    configuration = {"mcp": {"mcpServer": {"endpoint": endpoint, "listingMode": listing_mode}}}
    credentials: list[dict[str, Any]] = []
    if outbound == "iam":
        credentials = [
            {
                "credentialProviderType": "GATEWAY_IAM_ROLE",
                "credentialProvider": {"iamCredentialProvider": {"service": service}},
            }
        ]
    elif outbound == "oauth":
        if not oauth_provider:
            raise ValueError("OAuth outbound needs the credential provider's ARN (--oauth-provider)")
        provider = {"providerArn": oauth_provider, "scopes": list(scopes), "grantType": "CLIENT_CREDENTIALS"}
        credentials = [
            {"credentialProviderType": "OAUTH", "credentialProvider": {"oauthCredentialProvider": provider}}
        ]
    elif outbound != "none":
        raise ValueError(f"outbound must be 'iam', 'oauth' or 'none', got {outbound!r}")
    return configuration, credentials


def add_mcp_target(
    client: Any,
    gateway_id: str,
    name: str,
    endpoint: str,
    *,
    listing_mode: str = "DEFAULT",
    outbound: str = "iam",
    oauth_provider: str | None = None,
    scopes: Iterable[str] = (),
    on_status: StatusCallback | None = None,
    timeout: float = 300.0,
    poll_interval: float = 2.0,
) -> tuple[dict[str, Any], bool]:
    """The READY target ``name`` pointing at ``endpoint`` (created, or updated in place); whether created.

    ``outbound``, ``oauth_provider`` and ``scopes`` as for :func:`runtime_target_configuration`.
    """
    configuration, credentials = runtime_target_configuration(
        endpoint, listing_mode=listing_mode, outbound=outbound, oauth_provider=oauth_provider, scopes=scopes
    )
    existing = find_target(client, gateway_id, name)
    request = {
        "gatewayIdentifier": gateway_id,
        "name": name,
        "targetConfiguration": configuration,
        "credentialProviderConfigurations": credentials,
    }
    if existing is None:
        target_id = _call(client, "create_gateway_target", **request)["targetId"]
    else:
        target_id = existing["targetId"]
        _call(client, "update_gateway_target", targetId=target_id, **request)
    record = wait_for(
        lambda: _call(client, "get_gateway_target", gatewayIdentifier=gateway_id, targetId=target_id),
        f"target {name}",
        timeout=timeout,
        poll_interval=poll_interval,
        on_status=on_status,
    )
    return record, existing is None


def synchronize(
    client: Any,
    gateway_id: str,
    names: Iterable[str] = (),
    *,
    on_status: StatusCallback | None = None,
    timeout: float = 300.0,
    poll_interval: float = 2.0,
) -> list[dict[str, Any]]:
    """``SynchronizeGatewayTargets`` for the named targets (default: every MCP-server target), waited for."""
    wanted = list(names)
    targets = list_targets(client, gateway_id)
    if wanted:
        chosen = [t for t in targets if t.get("name") in wanted or t.get("targetId") in wanted]
        missing = set(wanted) - {t.get("name") for t in chosen} - {t.get("targetId") for t in chosen}
        if missing:
            raise DeployError(f"the gateway has no target {', '.join(sorted(missing))}")
    else:
        chosen = targets
    if not chosen:
        raise DeployError("the gateway has no targets to synchronize")
    ids = [t["targetId"] for t in chosen]
    _call(client, "synchronize_gateway_targets", gatewayIdentifier=gateway_id, targetIdList=ids)

    def getter(target_id: str) -> Callable[[], dict[str, Any]]:
        return lambda: _call(client, "get_gateway_target", gatewayIdentifier=gateway_id, targetId=target_id)

    return [
        wait_for(
            getter(tid), f"target {tid}", timeout=timeout, poll_interval=poll_interval, on_status=on_status
        )
        for tid in ids
    ]


def remove_target(
    client: Any, gateway_id: str, name: str, *, timeout: float = 300.0, poll_interval: float = 2.0
) -> dict[str, Any]:
    """Delete the gateway's target ``name`` (or id) and wait until it is gone; its last summary."""
    target = find_target(client, gateway_id, name)
    if target is None:
        raise DeployError(f"the gateway has no target {name!r}")
    _call(client, "delete_gateway_target", gatewayIdentifier=gateway_id, targetId=target["targetId"])
    begun = time.monotonic()
    while find_target(client, gateway_id, target["targetId"]) is not None:
        if time.monotonic() - begun > timeout:
            raise DeployError(f"target {name} is still being deleted after {timeout:.0f} s")
        time.sleep(poll_interval)
    return target
