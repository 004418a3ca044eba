"""The public surface is exactly what ``__all__`` lists (nothing leaks, nothing vanishes silently)."""

import agentcore_mcp


def test_exported_members() -> None:
    assert set(agentcore_mcp.__all__) == {
        "AgentCoreMCP",
        "AgentCoreMCPError",
        "AgentCoreTransport",
        "Audio",
        "BearerAuth",
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
        "RetryPolicy",
        "RuntimeArn",
        "RuntimeSession",
        "Sample",
        "SigV4Auth",
        "Text",
        "ToolAnnotations",
        "ToolError",
        "ToolResult",
        "__version__",
        "agentcore_app",
        "call_tool_sync",
        "invocations_url",
        "list_tools_sync",
        "new_session_id",
        "prompt",
        "register_with_sdk",
        "resource",
        "tool",
        "validate_session_id",
    }
    for name in agentcore_mcp.__all__:
        assert getattr(agentcore_mcp, name) is not None
