"""A conformance client for the official suite's client leg, built the way a user builds one.

The mcp 2.x SDK's ``Client`` over :class:`agentcore_mcp.client.AgentCoreTransport` (``auth="none"``), or,
with ``--sdk-transport``, over the SDK's own Streamable HTTP transport (for comparison); for an ``auth/*``
scenario with the SDK's ``OAuthClientProvider`` as ``auth=`` (see ``oauth_client.py``). The suite runs::

    conformance client --command "python tests/conformance/client.py" --scenario NAME

once per scenario, with the scenario's server URL as the last argument, the scenario name in
``MCP_CONFORMANCE_SCENARIO`` and its context (JSON) in ``MCP_CONFORMANCE_CONTEXT``. Each scenario gets what an
application would do with that server: list its tools and call them, answer elicitations with the requested
schema's defaults, list skills and load them through :class:`~agentcore_mcp.client.SkillsClient` (which
refuses a tampered one). The client exits 0 when the session ran; what the scenario checks is the suite's
business.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx2
import mcp.client.session as _sdk_session
from mcp import Client, types
from mcp.client.context import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from oauth_client import oauth_provider

from agentcore_mcp.client import AgentCoreTransport, SkillsClient
from agentcore_mcp.errors import SkillVerificationError

CLIENT_INFO = types.Implementation(name="agentcore-mcp-conformance-client", version="1.0.0")
SCENARIO_TIMEOUT = 100.0  # test_client_leg.py gives a client 120 s (--timeout) before the suite kills it

# The suite starts every scenario's client at once: dozens of Python processes on a 2-core CI machine. In
# auto mode the SDK's Client gives its server/discover probe DISCOVER_TIMEOUT_SECONDS (10 s), and in an
# auth/* scenario the whole OAuth flow (discovery, registration, authorization, token) runs inside that
# probe; starved like that it can take longer, and the Client then falls back to the handshake era, which
# the 2026-07-28 scenario servers refuse. A lone client is not starved so: give the probe a minute (the SDK
# reads the module constant at each probe).
_sdk_session.DISCOVER_TIMEOUT_SECONDS = 60.0


async def _accept_with_defaults(
    context: ClientRequestContext, params: types.ElicitRequestParams
) -> types.ElicitResult | types.ErrorData:
    """Accept a form elicitation with each requested field's default (what a user pressing OK sends)."""
    schema = getattr(params, "requested_schema", None) or {}
    content: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and "default" in prop:
            content[name] = prop["default"]
        elif isinstance(prop, dict) and prop.get("type") == "boolean":
            content[name] = True
    return types.ElicitResult(action="accept", content=content)


def _transport(
    scenario: str, url: str, context: dict[str, Any], sdk_transport: bool
) -> AbstractAsyncContextManager[Any] | str:
    if not scenario.startswith("auth/"):
        if sdk_transport:
            return url  # mcp 2.x Client: a URL string means its own streamable_http_client
        return AgentCoreTransport(url, auth="none", timeout=SCENARIO_TIMEOUT)
    provider = oauth_provider(scenario, url, context)
    if sdk_transport:
        return streamable_http_client(url, http_client=httpx2.AsyncClient(auth=provider))
    return AgentCoreTransport(url, auth=provider, timeout=SCENARIO_TIMEOUT)


async def _call(client: Client, name: str, arguments: dict[str, Any] | None = None) -> None:
    result = await client.call_tool(name, arguments or {})
    print(f"tools/call {name}: isError={getattr(result, 'is_error', None)}", flush=True)


async def run(scenario: str, url: str, context: dict[str, Any], sdk_transport: bool) -> None:
    """Drive one scenario's server as an application would."""
    async with Client(
        _transport(scenario, url, context, sdk_transport),
        client_info=CLIENT_INFO,
        elicitation_callback=_accept_with_defaults,
    ) as client:
        if scenario.startswith("sep-2640-client-"):
            await _skills(client, scenario)
            return
        listed = await client.list_tools()
        tools = {tool.name: tool for tool in listed.tools}
        print(f"tools/list: {sorted(tools)}", flush=True)
        if context.get("toolCalls"):
            for call in context["toolCalls"]:
                await _call(client, call["name"], call.get("arguments"))
        elif scenario == "tools_call":
            await _call(client, "add_numbers", {"a": 5, "b": 3})
        elif scenario == "json-schema-2020-12-preservation":
            focal = next(tool for name, tool in tools.items() if name != "json_schema_echo")
            await _call(client, "json_schema_echo", {"schema": focal.input_schema})
        elif scenario == "http-standard-headers":
            await _exercise_everything(client, tools)
        elif scenario == "http-invalid-tool-headers":
            await _call(client, "valid_tool", {"region": "us-west1"})
        elif scenario == "sep-2322-client-request-state":
            for name in tools:
                await _call(client, name)
        elif scenario in {"initialize", "request-metadata", "json-schema-ref-no-deref"}:
            pass  # the handshake and the listing are the scenario
        else:
            # elicitation-sep1034-client-defaults, sse-retry, auth/*: call the server's tools
            for name, tool in tools.items():
                if not (tool.input_schema or {}).get("required"):
                    await _call(client, name)


async def _skills(client: Client, scenario: str) -> None:
    """The Skills extension as a host uses it: list (no file read); load a skill when it is needed."""
    skills = SkillsClient(client)
    entries = await skills.list()
    print(f"skills/list: {[entry.uri for entry in entries]}", flush=True)
    if scenario == "sep-2640-client-no-prefetch":
        return  # listed, not loaded: nothing may be read
    for entry in entries:
        try:
            await skills.load(entry)
            for file in entry.files or ():
                if file.uri != entry.uri:
                    await skills.read(entry, file.uri)
        except SkillVerificationError as exc:  # what a host does: refuse the skill, read nothing more of it
            print(f"refused {entry.uri}: {exc}", flush=True)


async def _exercise_everything(client: Client, tools: dict[str, types.Tool]) -> None:
    for name in tools:
        await _call(client, name)
    resources = await client.list_resources()
    for resource in resources.resources[:1]:
        await client.read_resource(resource.uri)
    prompts = await client.list_prompts()
    for prompt in prompts.prompts[:1]:
        await client.get_prompt(prompt.name, {})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sdk-transport", action="store_true", help="use the SDK's own HTTP transport")
    parser.add_argument("url", help="the scenario server's MCP URL (the suite passes it last)")
    args = parser.parse_args()
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    try:
        asyncio.run(asyncio.wait_for(run(scenario, args.url, context, args.sdk_transport), SCENARIO_TIMEOUT))
    except Exception as exc:  # the suite shows stderr of a failing client
        print(f"{scenario}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
