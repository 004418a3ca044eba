"""The tutorial's tools on the official SDK's server (mcp 2.x ``MCPServer``), served for AgentCore Runtime.

For a project that already has an SDK server: our ``@tool`` functions register on it with their options
(``register_with_sdk``), and ``agentcore_app`` gives the server what AgentCore needs (stateless, ``/mcp``,
the AgentCore ``Host`` accepted, the 100 MB body limit). Run it with
``agentcore-mcp serve examples/sdk_server.py``; see docs/interop.md.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from agentcore_mcp._interop import agentcore_app, register_with_sdk
from examples.demo_server import add_numbers, greet_user, multiply_numbers

server = MCPServer("demo-on-sdk", instructions="The AgentCore tutorial's tools on the official SDK server.")
register_with_sdk(server, add_numbers, multiply_numbers, greet_user)

app = agentcore_app(server)
