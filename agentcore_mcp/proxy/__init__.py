"""A local stdio MCP server that forwards every message to an AgentCore runtime or any Streamable HTTP URL.

Desktop and IDE clients (Claude Desktop, Claude Code, VS Code, Cursor, the MCP Inspector) start MCP servers
as local processes speaking stdio. ``agentcore-mcp proxy TARGET`` is such a process: it carries what the
client says to ``TARGET`` through :class:`~agentcore_mcp.client.AgentCoreTransport` (SigV4 or OAuth, the
platform session kept, throttling retried, expired sessions recovered) and back. The guide is docs/proxy.md.

In Python::

    from agentcore_mcp.client import AgentCoreTransport
    from agentcore_mcp.proxy import ProxyOptions, StdioProxy

    proxy = StdioProxy(AgentCoreTransport(arn), ProxyOptions(read_only=True))
    exit_status = asyncio.run(proxy.run())     # serves this process's stdin/stdout
"""

from agentcore_mcp.proxy._proxy import ProxyOptions, StdioProxy

__all__ = ["ProxyOptions", "StdioProxy"]
