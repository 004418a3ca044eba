"""The public surface is exactly what ``__all__`` lists (nothing leaks, nothing vanishes silently)."""

import agentcore_mcp


def test_exported_members() -> None:
    assert set(agentcore_mcp.__all__) == {
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
    }
    for name in agentcore_mcp.__all__:
        assert getattr(agentcore_mcp, name) is not None
