"""Call MCP servers on Amazon Bedrock AgentCore Runtime from the MCP clients you already use.

The public API of the client side is what this module lists in ``__all__``; the guide is docs/client.md.
Importing it loads httpx and anyio but not the ``mcp`` SDK, boto3 or botocore: the SDK is imported when a
transport is opened, boto3 when the boto3 backend makes its first call.
"""

from agentcore_mcp.client._arn import RuntimeArn, invocations_url, stop_session_url
from agentcore_mcp.client._auth import BearerAuth, SigV4Auth, TokenProvider
from agentcore_mcp.client._backend import (
    Backend,
    ConnectionFailed,
    Exchange,
    Reply,
    TransportError,
    TransportTimeout,
)
from agentcore_mcp.client._boto3 import Boto3Backend
from agentcore_mcp.client._httpx import HttpxBackend
from agentcore_mcp.client._retry import RetryPolicy
from agentcore_mcp.client._sse import ServerSentEvent, SSEDecoder, SSEError
from agentcore_mcp.client._sync import call_tool_sync, list_tools_sync
from agentcore_mcp.client._transport import AgentCoreTransport
from agentcore_mcp.client.fast import FastHttpBackend, FastHttpTransport

__all__ = [
    "AgentCoreTransport",
    "Backend",
    "BearerAuth",
    "Boto3Backend",
    "ConnectionFailed",
    "Exchange",
    "FastHttpBackend",
    "FastHttpTransport",
    "HttpxBackend",
    "Reply",
    "RetryPolicy",
    "RuntimeArn",
    "SSEDecoder",
    "SSEError",
    "ServerSentEvent",
    "SigV4Auth",
    "TokenProvider",
    "TransportError",
    "TransportTimeout",
    "call_tool_sync",
    "invocations_url",
    "list_tools_sync",
    "stop_session_url",
]
