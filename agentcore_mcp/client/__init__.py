"""Call MCP servers on Amazon Bedrock AgentCore Runtime from the MCP clients you already use.

The public API of the client side is what this module lists in ``__all__``, each name documented in
docs/client.md (its "Reference" table). Importing it loads httpx and anyio but not the ``mcp`` SDK, boto3 or
botocore: the SDK is imported when a transport is opened, botocore when a request is first signed or boto3's
backend makes its first call. The errors it raises live in :mod:`agentcore_mcp.errors`.
"""

from agentcore_mcp._extras import require as _require

_require("agentcore_mcp.client", "client", "httpx", "anyio", "mcp")

from agentcore_mcp.client._arn import RuntimeArn, invocations_url, is_runtime_arn, stop_session_url
from agentcore_mcp.client._auth import BearerAuth, SigV4Auth, TokenProvider
from agentcore_mcp.client._backend import Backend, Exchange, Reply
from agentcore_mcp.client._boto3 import Boto3Backend
from agentcore_mcp.client._gateway import GatewayArn, gateway_url, is_gateway_arn, is_gateway_url
from agentcore_mcp.client._httpx import HttpxBackend
from agentcore_mcp.client._oauth import AuthorizationCode, ClientCredentials, CommandToken, TokenCache
from agentcore_mcp.client._retry import RetryPolicy
from agentcore_mcp.client._skills import SkillEntry, SkillsClient
from agentcore_mcp.client._sync import call_tool_sync, list_tools_sync
from agentcore_mcp.client._tasks import tasks_extension
from agentcore_mcp.client._transport import AgentCoreTransport

__all__ = [
    "AgentCoreTransport",
    "AuthorizationCode",
    "Backend",
    "BearerAuth",
    "Boto3Backend",
    "ClientCredentials",
    "CommandToken",
    "Exchange",
    "GatewayArn",
    "HttpxBackend",
    "Reply",
    "RetryPolicy",
    "RuntimeArn",
    "SigV4Auth",
    "SkillEntry",
    "SkillsClient",
    "TokenCache",
    "TokenProvider",
    "call_tool_sync",
    "gateway_url",
    "invocations_url",
    "is_gateway_arn",
    "is_gateway_url",
    "is_runtime_arn",
    "list_tools_sync",
    "stop_session_url",
    "tasks_extension",
]
