"""The server side: ``@tool``, ``AgentCoreMCP`` and what tools return and receive."""
