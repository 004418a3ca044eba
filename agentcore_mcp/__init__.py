"""agentcore-mcp: host MCP tools on Amazon Bedrock AgentCore Runtime and call them from any MCP client.

The public API is what this module lists in ``__all__``; every other import path is private.
"""

from typing import TYPE_CHECKING

from agentcore_mcp._extras import lazy_attributes as _lazy_attributes
from agentcore_mcp._interop import HostOriginCheck, agentcore_app, register_with, register_with_sdk
from agentcore_mcp._session import RuntimeSession, new_session_id, validate_session_id
from agentcore_mcp._version import __version__
from agentcore_mcp.errors import (
    AgentCoreMCPError,
    ProtocolError,
    RegistrationError,
    ToolError,
    URLElicitationRequired,
)
from agentcore_mcp.server._app import AgentCoreMCP
from agentcore_mcp.server._completion import Completion, CompletionRef
from agentcore_mcp.server._consent import elicit_auth_url
from agentcore_mcp.server._content import Audio, EmbeddedResource, Image, ResourceLink, Text, ToolResult
from agentcore_mcp.server._context import Context
from agentcore_mcp.server._identity import RequestContextFilter
from agentcore_mcp.server._input import Elicit, ElicitationResult, ElicitURL, ListRoots, Sample
from agentcore_mcp.server._options import CachingHints, Limits, SessionMode, StateSealing
from agentcore_mcp.server._prompts import PromptMessage, prompt
from agentcore_mcp.server._resources import resource
from agentcore_mcp.server._tools import ToolAnnotations, tool

# Loaded on first use: importing the package (the serving path, paid by every cold start) must not import
# mcp or httpx, nor the Tasks extension's modules (~6 ms) that an app without long-running tools never needs,
# nor the Skills extension (and PyYAML) that an app without skills never needs.
_LAZY = {
    "DynamoDBTaskStore": "agentcore_mcp.server._tasks",
    "MemoryTaskStore": "agentcore_mcp.server._tasks",
    "TaskStore": "agentcore_mcp.server._tasks",
    "Tasks": "agentcore_mcp.server._tasks",
    "Skills": "agentcore_mcp.server._skills",
    "AgentCoreTransport": "agentcore_mcp.client._transport",
    "BearerAuth": "agentcore_mcp.client._auth",
    "SigV4Auth": "agentcore_mcp.client._auth",
    "RetryPolicy": "agentcore_mcp.client._retry",
    "RuntimeArn": "agentcore_mcp.client._arn",
    "invocations_url": "agentcore_mcp.client._arn",
    "list_tools_sync": "agentcore_mcp.client._sync",
    "call_tool_sync": "agentcore_mcp.client._sync",
}

if TYPE_CHECKING:
    from agentcore_mcp.client._arn import RuntimeArn, invocations_url
    from agentcore_mcp.client._auth import BearerAuth, SigV4Auth
    from agentcore_mcp.client._retry import RetryPolicy
    from agentcore_mcp.client._sync import call_tool_sync, list_tools_sync
    from agentcore_mcp.client._transport import AgentCoreTransport
    from agentcore_mcp.server._skills import Skills
    from agentcore_mcp.server._tasks import DynamoDBTaskStore, MemoryTaskStore, Tasks, TaskStore


__getattr__ = _lazy_attributes(globals(), _LAZY)


__all__ = [
    "AgentCoreMCP",
    "AgentCoreMCPError",
    "AgentCoreTransport",
    "Audio",
    "BearerAuth",
    "CachingHints",
    "Completion",
    "CompletionRef",
    "Context",
    "DynamoDBTaskStore",
    "Elicit",
    "ElicitURL",
    "ElicitationResult",
    "EmbeddedResource",
    "HostOriginCheck",
    "Image",
    "Limits",
    "ListRoots",
    "MemoryTaskStore",
    "PromptMessage",
    "ProtocolError",
    "RegistrationError",
    "RequestContextFilter",
    "ResourceLink",
    "RetryPolicy",
    "RuntimeArn",
    "RuntimeSession",
    "Sample",
    "SessionMode",
    "SigV4Auth",
    "Skills",
    "StateSealing",
    "TaskStore",
    "Tasks",
    "Text",
    "ToolAnnotations",
    "ToolError",
    "ToolResult",
    "URLElicitationRequired",
    "__version__",
    "agentcore_app",
    "call_tool_sync",
    "elicit_auth_url",
    "invocations_url",
    "list_tools_sync",
    "new_session_id",
    "prompt",
    "register_with",
    "register_with_sdk",
    "resource",
    "tool",
    "validate_session_id",
]
