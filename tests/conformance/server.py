"""The server the official MCP conformance suite runs against, built only with agentcore-mcp's public API.

Run it as ``python tests/conformance/server.py --port 8765`` (loopback by default), then point the suite at
``http://127.0.0.1:8765/mcp``. ``tests/conformance/test_conformance.py`` does exactly that.

The suite's server scenarios call tools, resources and prompts with fixed names and check what comes
back; this module provides them with the behaviour the reference server (the suite's ``everything-server``)
shows. Tools that ask the client for input use one API in both eras: ``input_required`` rounds (MRTR) in
2026-07-28, server-to-client requests on the POST's SSE stream in the handshake era.

Tool order matters: ``http-header-validation`` calls ``tools[0]`` with empty arguments, so
``test_simple_text`` is registered first.

The Tasks extension (``io.modelcontextprotocol/tasks``) is on, with the fixtures its ten ``tasks-*``
scenarios name: ``greet`` (never a task), ``slow_compute``, ``failing_job`` (``task="required"``),
``protocol_error_job``, ``confirm_delete``, ``multi_input`` and ``test_tool_with_task`` (``required``, asks
its question by MRTR before the task exists).

The Skills extension (``io.modelcontextprotocol/skills``) is on too, serving ``skills/pdf-processing`` (a
``SKILL.md`` and ``references/FORMS.md``) for the three ``sep-2640-skills-*`` scenarios.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentcore_mcp import (
    AgentCoreMCP,
    Audio,
    Context,
    Elicit,
    EmbeddedResource,
    Image,
    ListRoots,
    PromptMessage,
    ProtocolError,
    Sample,
    Skills,
    Tasks,
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
async def test_streaming_elicitation(ctx: Context) -> str:
    """Diagnostic tool validating response streams; asks the user a question (needs elicitation)."""
    answer = await ctx.elicit("Continue?", {"type": "object", "properties": {"ok": {"type": "boolean"}}})
    return f"Elicitation answered: {answer.action}"


@tool
async def test_reconnection(ctx: Context) -> str:
    """Tests SSE stream disconnection and client reconnection (SEP-1699).

    In session mode the server ends the POST's stream mid-call and the client resumes it with GET and
    ``Last-Event-ID``; without sessions there is nothing to resume from and the result comes on the POST.
    """
    if await ctx.close_sse_stream():
        await asyncio.sleep(0.1)  # the client reconnects meanwhile (it honours the priming event's retry)
    return (
        "Reconnection test completed successfully. If you received this, the client properly reconnected "
        "after stream closure."
    )


# -- list changes (subscriptions/listen streams in 2026-07-28, session GET streams in the handshake era) ---

BUILT: list[AgentCoreMCP] = []  # the apps build() made; the trigger tools announce on each


@tool
def test_trigger_tool_change() -> str:
    """Diagnostic hook: announce that the tool list changed."""
    for served in BUILT:
        served.notify_list_changed("tools")
    return "Mutation triggered"


@tool
def test_trigger_prompt_change() -> str:
    """Diagnostic hook: announce that the prompt list changed."""
    for served in BUILT:
        served.notify_list_changed("prompts")
    return "Mutation triggered"


# -- asking the client: sampling, elicitation, roots (both eras: MRTR in 2026, SSE requests in 2025) ---

NAME_SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


@tool
async def test_sampling(prompt: str, ctx: Context) -> str:
    """Tests server-initiated sampling (LLM completion request).

    Args:
        prompt: The prompt to send to the LLM.
    """
    answer = await ctx.sample(prompt, max_tokens=100)
    return f"LLM response: {answer['content'].get('text', '')}"


@tool
async def test_elicitation(message: str, ctx: Context) -> str:
    """Tests server-initiated elicitation (user input request).

    Args:
        message: The message to show the user.
    """
    schema = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    }
    answer = await ctx.elicit(message, schema)
    return f"User response: action={answer.action}, content={json.dumps(answer.content)}"


@tool
async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Tests elicitation with default values per SEP-1034."""
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active",
            },
            "verified": {"type": "boolean", "description": "Verification status", "default": True},
        },
        "required": [],
    }
    answer = await ctx.elicit("Please review and update the form fields with defaults", schema)
    return f"Elicitation completed: action={answer.action}, content={json.dumps(answer.content)}"


@tool
async def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Tests elicitation with enum schema improvements per SEP-1330."""
    titled = [("value1", "First Option"), ("value2", "Second Option"), ("value3", "Third Option")]
    choices = [("value1", "First Choice"), ("value2", "Second Choice"), ("value3", "Third Choice")]
    schema = {
        "type": "object",
        "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "oneOf": [{"const": v, "title": t} for v, t in titled]},
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {
                "type": "array",
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
                "minItems": 1,
                "maxItems": 3,
            },
            "titledMulti": {
                "type": "array",
                "items": {"anyOf": [{"const": v, "title": t} for v, t in choices]},
                "minItems": 1,
                "maxItems": 3,
            },
        },
        "required": [],
    }
    answer = await ctx.elicit("Please select options from the enum fields", schema)
    return f"Elicitation completed: action={answer.action}, content={json.dumps(answer.content)}"


@tool
async def test_input_required_result_elicitation(ctx: Context) -> str:
    """MRTR: InputRequiredResult with an elicitation request."""
    answer = await ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name")
    return f"Hello, {(answer.content or {}).get('name', 'unknown')}!"


@tool
async def test_input_required_result_sampling(ctx: Context) -> str:
    """MRTR: InputRequiredResult with a sampling request."""
    answer = await ctx.sample("What is the capital of France?", max_tokens=100, key="capital_question")
    return f"Sampling result: {answer['content'].get('text', '')}"


@tool
async def test_input_required_result_list_roots(ctx: Context) -> str:
    """MRTR: InputRequiredResult with a roots/list request."""
    roots = await ctx.list_roots(key="client_roots")
    return f"Found {len(roots)} root(s)"


@tool
async def test_input_required_result_request_state(ctx: Context) -> str:
    """MRTR: InputRequiredResult with requestState."""
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    answer = await ctx.elicit("Please confirm", schema, key="confirm")
    return f"state-ok: requestState validated (action={answer.action})"


@tool
async def test_input_required_result_multiple_inputs(ctx: Context) -> str:
    """MRTR: InputRequiredResult with several input requests in one round."""
    answers = await ctx.ask(
        {
            "user_name": Elicit("What is your name?", NAME_SCHEMA),
            "greeting": Sample("Generate a greeting", max_tokens=50),
            "client_roots": ListRoots(),
        }
    )
    name = (answers["user_name"].get("content") or {}).get("name", "unknown")
    return f"{name}: {answers['greeting']['content'].get('text', '')} ({len(answers['client_roots']['roots'])} roots)"


@tool
async def test_input_required_result_multi_round(ctx: Context) -> str:
    """MRTR: a two-question workflow, one question per round."""
    name = await ctx.elicit("Step 1: What is your name?", NAME_SCHEMA, key="step1")
    color_schema = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
    color = await ctx.elicit("Step 2: What is your favorite color?", color_schema, key="step2")
    return f"{(name.content or {}).get('name')} likes {(color.content or {}).get('color')}"


@tool
async def test_input_required_result_tampered_state(ctx: Context) -> str:
    """MRTR: the sealed requestState must be returned untouched."""
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    await ctx.elicit("Please confirm", schema, key="confirm")
    return "requestState intact"


@tool
async def test_input_required_result_capabilities(ctx: Context) -> str:
    """MRTR: asks only for what the client declared (elicitation when it can, else sampling)."""
    if ctx.client_supports("elicitation"):
        answer = await ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name")
        return f"Elicited: {answer.action}"
    sampled = await ctx.sample("Sample request", max_tokens=50, key="sample_input")
    return f"Sampled: {sampled['content'].get('text', '')}"


# -- the Tasks extension (SEP-2663): the fixtures the tasks-* scenarios name --------------------------------


@tool
def greet(name: str) -> str:
    """Say hello (sync only: never a task)."""
    return f"Hello, {name}!"


@tool(task="optional")
async def slow_compute(seconds: float, label: str = "") -> str:
    """Sleep ``seconds`` then answer; a task for clients that declare the extension, cancellable meanwhile."""
    await asyncio.sleep(seconds)
    return f"computed {label} after {seconds:g}s"


@tool(task="required")
async def failing_job() -> str:
    """Fail as a tool (isError) after about a second; runs only as a task."""
    await asyncio.sleep(1)
    raise ToolError("failing_job failed, as it always does")


@tool(task="optional")
async def protocol_error_job() -> str:
    """Fail with a JSON-RPC error (the task ends failed, not completed)."""
    await asyncio.sleep(0.2)
    raise ProtocolError(-32603, "protocol_error_job hit an internal failure")


CONFIRM_SCHEMA = {"type": "object", "properties": {"confirm": {"type": "boolean"}}, "required": ["confirm"]}


@tool(task="optional")
async def confirm_delete(filename: str, ctx: Context) -> str:
    """Ask the user to confirm deleting ``filename`` (one elicitation inside the task)."""
    answer = await ctx.elicit(f"Delete {filename}?", CONFIRM_SCHEMA)
    confirmed = answer.accepted and bool((answer.content or {}).get("confirm"))
    return f"{'Deleted' if confirmed else 'Kept'} {filename}"


@tool(task="optional")
async def multi_input(ctx: Context) -> str:
    """Ask two questions at once (two input keys outstanding together)."""
    first, second = await asyncio.gather(
        ctx.elicit("First name?", NAME_SCHEMA), ctx.elicit("Second name?", NAME_SCHEMA)
    )
    return f"{(first.content or {}).get('name')} and {(second.content or {}).get('name')}"


@tool(task="required")
async def test_tool_with_task(ctx: Context) -> str:
    """Ask the user's name by MRTR on tools/call, then finish as a task (MRTR -> Tasks composition)."""
    answer = await ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name")
    await asyncio.sleep(0.2)
    return f"Hello, {(answer.content or {}).get('name', 'unknown')}, from a task!"


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
    test_elicitation_sep1034_defaults,
    test_elicitation_sep1330_enums,
    test_input_required_result_elicitation,
    test_input_required_result_sampling,
    test_input_required_result_list_roots,
    test_input_required_result_request_state,
    test_input_required_result_multiple_inputs,
    test_input_required_result_multi_round,
    test_input_required_result_tampered_state,
    test_input_required_result_capabilities,
    test_trigger_tool_change,
    test_trigger_prompt_change,
    greet,
    slow_compute,
    failing_job,
    protocol_error_job,
    confirm_delete,
    multi_input,
    test_tool_with_task,
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


@prompt
async def test_input_required_result_prompt(ctx: Context) -> str:
    """MRTR: a prompt that asks the user for context first."""
    schema = {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]}
    answer = await ctx.elicit("What context should the prompt use?", schema, key="user_context")
    return f"Prompt with context: {(answer.content or {}).get('context', '')}"


PROMPTS = [
    test_simple_prompt,
    test_input_required_result_prompt,
    test_prompt_with_arguments,
    test_prompt_with_embedded_resource,
    test_prompt_with_image,
]


# -- the Skills extension (SEP-2640) ----------------------------------------------------------------------

# One skill with a subfolder: the sep-2640-skills-* scenarios find it through skills/list, read its
# SKILL.md, and read the skill root as a directory whose children include a subdirectory.
SKILLS = Path(__file__).resolve().parent / "skills"


def build(*, sessions: bool = False) -> AgentCoreMCP:
    """The conformance server, stateless (the default) or in session mode."""
    built = AgentCoreMCP(
        "agentcore-mcp-conformance",
        version="1.0.0",
        instructions="The fixture tools, resources and prompts the official MCP conformance suite calls.",
        tools=TOOLS,
        resources=RESOURCES,
        prompts=PROMPTS,
        sessions=sessions,
        extensions=[
            Tasks(poll_interval=0.2, ask_first=["test_tool_with_task"]),
            Skills(SKILLS),
        ],
    )
    BUILT.append(built)
    return built


app = build()


def main(argv: list[str] | None = None) -> None:
    """Parse ``--host``/``--port``/``--log-level`` and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default: 8000)")
    parser.add_argument(
        "--log-level", default="warning", help="uvicorn and server log level (default: warning)"
    )
    parser.add_argument(
        "--sessions", action="store_true", help="session mode: mint Mcp-Session-Id, GET streams, resumption"
    )
    args = parser.parse_args(argv)
    served = build(sessions=True) if args.sessions else app
    served.run(host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
