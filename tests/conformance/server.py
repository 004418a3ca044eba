"""The server the official MCP conformance suite runs against, built only with agentcore-mcp's public API.

Run it as ``python tests/conformance/server.py --port 8765`` (loopback by default), then point the suite at
``http://127.0.0.1:8765/mcp``. ``tests/conformance/test_conformance.py`` does exactly that.

The suite's server scenarios call tools with fixed names and check what comes back; this module provides
them with the behaviour the reference server (the suite's ``everything-server``) shows. Scenarios that
need features this server does not have yet (server-to-client sampling and elicitation, multi-round-trip
``input_required`` results) still find their tools listed, but those tools answer
with an honest ``isError`` result naming the issue the feature arrives with;
``tests/conformance/expected-failures.yaml`` lists the scenarios that therefore fail.

Tool order matters: ``http-header-validation`` calls ``tools[0]`` with empty arguments, so
``test_simple_text`` is registered first. Not provided: the tasks extension's ``test_tool_with_task`` and
the ``test_trigger_*_change`` hooks (the suite calls them only on servers that declare tasks or
``listChanged``, which this one does not).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

from agentcore_mcp import (
    AgentCoreMCP,
    Audio,
    Context,
    EmbeddedResource,
    Image,
    PromptMessage,
    Text,
    ToolError,
    prompt,
    resource,
    tool,
)

__all__ = ["PROMPTS", "RESOURCES", "TOOLS", "app", "main"]

# A 1x1 PNG and a silent 16-bit mono WAV, base64-encoded (the content blocks take base64 text as is).
TEST_IMAGE_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
TEST_AUDIO_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="

# What the not-yet-implemented features' placeholder tools answer with.
LATER = "arrives with issue 3 (sampling, elicitation and multi-round-trip requests)"

# The input schema the json-schema-2020-12 scenario expects verbatim (SEP-1613, SEP-2106).
JSON_SCHEMA_2020_12: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}

# A tool argument mirrored in an ``Mcp-Param-Region`` header (SEP-2243), for the custom-header scenario.
CUSTOM_HEADER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "description": "Any text; echoed back.", "x-mcp-header": "Region"}
    },
    "required": ["region"],
}


# -- content -------------------------------------------------------------------------------------------


@tool
def test_simple_text() -> str:
    """Tests simple text content response."""
    return "This is a simple text response for testing."


@tool
def test_image_content() -> Image:
    """Tests image content response."""
    return Image(TEST_IMAGE_BASE64, "image/png")


@tool
def test_audio_content() -> Audio:
    """Tests audio content response."""
    return Audio(TEST_AUDIO_BASE64, "audio/wav")


@tool
def test_embedded_resource() -> EmbeddedResource:
    """Tests embedded resource content response."""
    return EmbeddedResource(
        "test://embedded-resource", text="This is an embedded resource content.", mime_type="text/plain"
    )


@tool
def test_multiple_content_types() -> list[Text | Image | EmbeddedResource]:
    """Tests response with multiple content types (text, image, resource)."""
    return [
        Text("Multiple content types test:"),
        Image(TEST_IMAGE_BASE64, "image/png"),
        EmbeddedResource(
            "test://mixed-content-resource",
            text=json.dumps({"test": "data", "value": 123}, separators=(",", ":")),
            mime_type="application/json",
        ),
    ]


@tool
def test_error_handling() -> str:
    """Tests error response handling."""
    raise ToolError("This tool intentionally returns an error for testing")


@tool(input_schema=JSON_SCHEMA_2020_12)
def json_schema_2020_12_tool(**arguments: Any) -> str:
    """Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)."""
    return f"JSON Schema 2020-12 tool called with: {json.dumps(arguments)}"


@tool(input_schema=CUSTOM_HEADER_SCHEMA)
def test_custom_header(region: str) -> str:
    """Tests an argument mirrored in the Mcp-Param-Region header (SEP-2243)."""
    return f"region={region}"


# -- notifications -------------------------------------------------------------------------------------


@tool
async def test_tool_with_progress(ctx: Context) -> str:
    """Tests tool that reports progress notifications (0, 50, 100 of 100, about 50 ms apart)."""
    for step in (0, 50, 100):
        if step:
            await asyncio.sleep(0.05)
        await ctx.report_progress(step, 100, f"Completed step {step} of 100")
    return str(ctx.progress_token) if ctx.progress_token is not None else "Completed without a progress token"


@tool
async def test_tool_with_logging(ctx: Context) -> str:
    """Tests tool that emits log messages during execution."""
    await ctx.info("Tool execution started")
    await asyncio.sleep(0.05)
    await ctx.info("Tool processing data")
    await asyncio.sleep(0.05)
    await ctx.info("Tool execution completed")
    return "Tool with logging executed successfully"


@tool
async def test_logging_tool(ctx: Context) -> str:
    """Diagnostic logging validator tool: logs only when the request asked for a log level."""
    await ctx.info("Diagnostic trace logging activated", logger="conformance-server")
    return "Logging evaluated"


# -- client capabilities -------------------------------------------------------------------------------


@tool
def test_missing_capability(ctx: Context) -> str:
    """Test tool requiring the client's sampling capability (-32021 when it was not declared)."""
    ctx.require_capability(sampling={})
    return "Success: the client declared the sampling capability"


@tool
def test_streaming_elicitation(ctx: Context) -> str:
    """Diagnostic tool validating response streams; needs the client's elicitation capability."""
    ctx.require_capability(elicitation={})
    raise ToolError(f"Elicitation {LATER}")


@tool
def test_reconnection() -> str:
    """Tests SSE stream disconnection and client reconnection (SEP-1699)."""
    return (
        "This server is stateless: it never closes a response stream mid-call and offers no SSE "
        "resumption, so the result always arrives on the POST that asked for it."
    )


# -- placeholders for features that arrive with issue 3 -------------------------------------------------


@tool
def test_sampling(prompt: str) -> str:
    """Tests server-initiated sampling (LLM completion request).

    Args:
        prompt: The prompt to send to the LLM.
    """
    raise ToolError(f"Sampling {LATER}")


@tool
def test_elicitation(message: str) -> str:
    """Tests server-initiated elicitation (user input request).

    Args:
        message: The message to show the user.
    """
    raise ToolError(f"Elicitation {LATER}")


def _placeholder(name: str, description: str, feature: str) -> Callable[[], str]:
    """A tool without arguments that fails with an ``isError`` result saying when ``feature`` arrives."""

    def placeholder() -> str:
        raise ToolError(f"{feature} {LATER}")

    placeholder.__name__ = name
    return tool(name=name, description=description)(placeholder)


ELICITATION_TOOLS = {
    "test_elicitation_sep1034_defaults": "Tests elicitation with default values per SEP-1034",
    "test_elicitation_sep1330_enums": "Tests elicitation with enum schema improvements per SEP-1330",
}
MRTR_TOOLS = {
    "test_input_required_result_elicitation": "MRTR: InputRequiredResult with an elicitation request",
    "test_input_required_result_sampling": "MRTR: InputRequiredResult with a sampling request",
    "test_input_required_result_list_roots": "MRTR: InputRequiredResult with a roots/list request",
    "test_input_required_result_request_state": "MRTR: InputRequiredResult with requestState",
    "test_input_required_result_multiple_inputs": "MRTR: InputRequiredResult with several input requests",
    "test_input_required_result_multi_round": "MRTR: multi-round InputRequiredResult workflow",
    "test_input_required_result_tampered_state": "MRTR: HMAC-signed requestState integrity test",
    "test_input_required_result_capabilities": "MRTR: respects client capabilities in inputRequests",
}
PLACEHOLDERS: list[Callable[[], str]] = [
    *(_placeholder(name, text, "Elicitation") for name, text in ELICITATION_TOOLS.items()),
    *(_placeholder(name, text, "Multi-round-trip requests (MRTR)") for name, text in MRTR_TOOLS.items()),
]

TOOLS: list[Callable[..., Any]] = [
    test_simple_text,  # first: http-header-validation calls tools[0] with {}
    test_image_content,
    test_audio_content,
    test_embedded_resource,
    test_multiple_content_types,
    test_error_handling,
    test_tool_with_progress,
    test_tool_with_logging,
    test_logging_tool,
    json_schema_2020_12_tool,
    test_custom_header,
    test_missing_capability,
    test_streaming_elicitation,
    test_reconnection,
    test_sampling,
    test_elicitation,
    *PLACEHOLDERS,
]

# -- resources ----------------------------------------------------------------------------------------


@resource("test://static-text", title="Static Text Resource", mime_type="text/plain")
def static_text() -> str:
    """A static text resource for testing."""
    return "This is the content of the static text resource."


@resource("test://static-binary", title="Static Binary Resource", mime_type="image/png")
def static_binary() -> bytes:
    """A static binary resource (image) for testing."""
    return base64.b64decode(TEST_IMAGE_BASE64)


@resource(
    "test://template/{id}/data", name="template", title="Resource Template", mime_type="application/json"
)
def template_data(id: str) -> dict[str, Any]:
    """A resource template with parameter substitution."""
    return {"id": id, "templateTest": True, "data": f"Data for ID: {id}"}


@resource("test://watched-resource", title="Watched Resource", mime_type="text/plain")
def watched_resource() -> str:
    """A resource clients may subscribe to."""
    return "Watched resource content"


RESOURCES = [static_text, static_binary, template_data, watched_resource]


# -- prompts ------------------------------------------------------------------------------------------


@prompt(title="Simple Test Prompt")
def test_simple_prompt() -> str:
    """A simple prompt without arguments."""
    return "This is a simple prompt for testing."


@prompt(title="Prompt With Arguments")
def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
    """A prompt with required arguments.

    Args:
        arg1: First test argument.
        arg2: Second test argument.
    """
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@prompt(title="Prompt With Embedded Resource")
def test_prompt_with_embedded_resource(resourceUri: str) -> list[PromptMessage]:
    """A prompt that includes an embedded resource.

    Args:
        resourceUri: URI of the resource to embed.
    """
    return [
        PromptMessage(
            EmbeddedResource(
                resourceUri, text="Embedded resource content for testing.", mime_type="text/plain"
            )
        ),
        PromptMessage("Please process the embedded resource above."),
    ]


@prompt(title="Prompt With Image")
def test_prompt_with_image() -> list[PromptMessage]:
    """A prompt that includes image content."""
    return [
        PromptMessage(Image(TEST_IMAGE_BASE64, "image/png")),
        PromptMessage("Please analyze the image above."),
    ]


PROMPTS = [
    test_simple_prompt,
    test_prompt_with_arguments,
    test_prompt_with_embedded_resource,
    test_prompt_with_image,
]

app = AgentCoreMCP(
    "agentcore-mcp-conformance",
    version="1.0.0",
    instructions="The fixture tools, resources and prompts the official MCP conformance suite calls.",
    tools=TOOLS,
    resources=RESOURCES,
    prompts=PROMPTS,
)


def main(argv: list[str] | None = None) -> None:
    """Parse ``--host``/``--port``/``--log-level`` and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default: 8000)")
    parser.add_argument(
        "--log-level", default="warning", help="uvicorn and server log level (default: warning)"
    )
    args = parser.parse_args(argv)
    app.run(host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
