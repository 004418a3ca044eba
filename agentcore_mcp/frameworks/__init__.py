"""Adapters for agent frameworks whose MCP clients take no ``(read, write)`` transport as it is.

One module per framework, each importing its framework when it is imported (never from the package root:
no framework is a dependency of agentcore-mcp). docs/frameworks.md lists what each needs and the shortest
code for it.
"""
