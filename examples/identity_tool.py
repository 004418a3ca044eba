"""Tools that call an OAuth-protected API with tokens from AgentCore Identity: the workload's own, and a user's.

On AgentCore Runtime every request carries a workload access token; agentcore-mcp puts it into
bedrock-agentcore's request context, so ``bedrock_agentcore.identity.requires_access_token`` works inside
tools. Here it gets an access token for the credential provider ``OAUTH_PROVIDER`` (configured once in
AgentCore Identity: the client id, secret and token URL live there, never in this code) with the M2M
(client credentials) flow, and ``list_orders`` calls the API with it.

``list_orders`` fetches its token with a small helper; ``requires_access_token`` passes the token as a
keyword argument (``access_token=...``), so when the decorator sits on the tool itself (``my_orders``),
``@tool(exclude_args=["access_token"])`` keeps that parameter out of the input schema: callers are never
asked for it.

``my_orders`` acts for the calling user instead (``USER_FEDERATION``, three-legged OAuth): the first time,
AgentCore Identity answers an authorization URL, which ``elicit_auth_url`` sends to the user by URL-mode
elicitation (a client that cannot show it gets -32042 with the URL, and calls again once the user is done);
after the user's consent the token vault answers the user's token. Its function is ``async def`` and takes a
``Context``, through which the URL reaches the user.

Settings (environment variables of the runtime, e.g. ``agentcore-mcp deploy --env``):
``OAUTH_PROVIDER`` (default ``orders-api``), ``OAUTH_SCOPES`` (space-separated, default ``orders/read``),
``OAUTH_USER_PROVIDER`` (default ``orders-users``), ``ORDERS_API_URL`` (default
``https://orders.example.com``). Needs ``pip install "agentcore-mcp[agentcore]"``.
Run it with ``agentcore-mcp serve examples/identity_tool.py``; see docs/identity.md.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

import anyio
from bedrock_agentcore.identity import requires_access_token

from agentcore_mcp import AgentCoreMCP, Context, ToolError, elicit_auth_url, tool

PROVIDER = os.environ.get("OAUTH_PROVIDER", "orders-api")
SCOPES = os.environ.get("OAUTH_SCOPES", "orders/read").split()
USER_PROVIDER = os.environ.get("OAUTH_USER_PROVIDER", "orders-users")
API_URL = os.environ.get("ORDERS_API_URL", "https://orders.example.com").rstrip("/")


@requires_access_token(provider_name=PROVIDER, scopes=SCOPES, auth_flow="M2M")
def _access_token(*, access_token: str) -> str:
    """The provider's access token (AgentCore Identity caches it in its token vault)."""
    return access_token


@tool(annotations={"readOnlyHint": True, "openWorldHint": True})
def list_orders(customer_id: str) -> dict[str, Any]:
    """List a customer's orders from the orders API.

    Args:
        customer_id: The customer whose orders to list.
    """
    try:
        token = _access_token()  # type: ignore[call-arg]  # the decorator supplies access_token
    except Exception as exc:
        raise ToolError(f"could not get an access token for {PROVIDER!r}: {exc}") from exc
    return _get_orders(f"/customers/{quote(customer_id, safe='')}/orders", token, f"customer {customer_id!r}")


@tool(exclude_args=["access_token"], annotations={"readOnlyHint": True, "openWorldHint": True})
@requires_access_token(
    provider_name=USER_PROVIDER,
    scopes=SCOPES,
    auth_flow="USER_FEDERATION",
    on_auth_url=elicit_auth_url("Sign in to the orders service to let this tool read your orders"),
)
async def my_orders(ctx: Context, *, access_token: str) -> dict[str, Any]:
    """List your own orders (the first time, you are asked to sign in to the orders service)."""
    return await anyio.to_thread.run_sync(_get_orders, "/me/orders", access_token, "you")


def _get_orders(path: str, token: str, whose: str) -> dict[str, Any]:
    """GET ``path`` of the orders API with ``token``; its failures become ToolErrors the caller can read."""
    request = urllib.request.Request(
        f"{API_URL}{path}", headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            orders: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as exc:
        raise ToolError(f"the orders API answered {exc.code} for {whose}") from exc
    except urllib.error.URLError as exc:
        raise ToolError(f"the orders API is unreachable: {exc.reason}") from exc
    return orders


app = AgentCoreMCP("orders", version="1.0.0", tools=[list_orders, my_orders])

if __name__ == "__main__":
    app.run()
