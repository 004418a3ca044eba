"""agentcore-mcp: host MCP tools on Amazon Bedrock AgentCore Runtime and call them from any MCP client.

The public API is what this module lists in ``__all__``; every other import path is private.
"""

from agentcore_mcp.errors import AgentCoreMCPError, ProtocolError, RegistrationError, ToolError
from agentcore_mcp.interop import HostOriginCheck, agentcore_app, register_with_sdk
from agentcore_mcp.server.app import AgentCoreMCP
from agentcore_mcp.server.completion import Completion, CompletionRef
from agentcore_mcp.server.content import Audio, EmbeddedResource, Image, ResourceLink, Text, ToolResult
from agentcore_mcp.server.context import Context
from agentcore_mcp.server.input import Elicit, ElicitationResult, ListRoots, Sample
from agentcore_mcp.server.prompts import PromptMessage, prompt
from agentcore_mcp.server.resources import resource
from agentcore_mcp.server.tools import ToolAnnotations, tool

__version__ = "0.1.0"

__all__ = [
    "AgentCoreMCP",
    "AgentCoreMCPError",
    "Audio",
    "Completion",
    "CompletionRef",
    "Context",
    "Elicit",
    "ElicitationResult",
    "EmbeddedResource",
    "HostOriginCheck",
    "Image",
    "ListRoots",
    "PromptMessage",
    "ProtocolError",
    "RegistrationError",
    "ResourceLink",
    "Sample",
    "Text",
    "ToolAnnotations",
    "ToolError",
    "ToolResult",
    "__version__",
    "agentcore_app",
    "prompt",
    "register_with_sdk",
    "resource",
    "tool",
]
