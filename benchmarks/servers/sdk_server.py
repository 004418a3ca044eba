"""The peer: mcp 2.x ``MCPServer`` with the same ``add_numbers`` tool, stateless, JSON answers, any Host.

Serve with ``uvicorn benchmarks.servers.sdk_server:app``.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

# Log level warning, like every server in the benchmark: at its default (INFO) MCPServer logs a line through
# rich for every stateless legacy request ("Terminating session: None"), which would measure the logging.
mcp = MCPServer("demo", version="1.0.0", log_level="WARNING")


@mcp.tool()
def add_numbers(a: int, b: int) -> int:
    """Add two numbers together.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


# DNS-rebinding protection off: accept any Host (and Origin), as AgentCore's Host header requires.
app = mcp.streamable_http_app(
    stateless_http=True,
    json_response=True,
    transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
)
