"""A tool that calls an OAuth-protected API with a token from AgentCore Identity.

On AgentCore Runtime every request carries a workload access token; agentcore-mcp puts it into
bedrock-agentcore's request context, so ``bedrock_agentcore.identity.requires_access_token`` works inside
tools. Here it gets an access token for the credential provider ``OAUTH_PROVIDER`` (configured once in
AgentCore Identity: the client id, secret and token URL live there, never in this code) with the M2M
(client credentials) flow, and the tool calls the API with it.

The token is fetched by a small helper rather than injected into the tool: ``requires_access_token``
passes it as a keyword argument (``access_token=...``), and a parameter declared on the tool itself would
become part of the tool's input schema, so callers would be asked for it.

Settings (environment variables of the runtime, e.g. ``agentcore-mcp deploy --env``):
``OAUTH_PROVIDER`` (default ``orders-api``), ``OAUTH_SCOPES`` (space-separated, default ``orders/read``),
``ORDERS_API_URL`` (default ``https://orders.example.com``). Needs ``pip install "agentcore-mcp[agentcore]"``.
Run it with ``agentcore-mcp serve examples/identity_tool.py``; see docs/identity.md.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from bedrock_agentcore.identity import requires_access_token

from agentcore_mcp import AgentCoreMCP, ToolError, tool

PROVIDER = os.environ.get("OAUTH_PROVIDER", "orders-api")
SCOPES = os.environ.get("OAUTH_SCOPES", "orders/read").split()
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
    request = urllib.request.Request(
        f"{API_URL}/customers/{quote(customer_id, safe='')}/orders",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            orders: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as exc:
        raise ToolError(f"the orders API answered {exc.code} for customer {customer_id!r}") from exc
    except urllib.error.URLError as exc:
        raise ToolError(f"the orders API is unreachable: {exc.reason}") from exc
    return orders


app = AgentCoreMCP("orders", version="1.0.0", tools=[list_orders])

if __name__ == "__main__":
    app.run()
