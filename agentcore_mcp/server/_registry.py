"""What one server offers: tools, resources and templates, prompts, the completion handler, extensions.

The registry only holds and finds things; it sends nothing and knows no protocol era beyond what a
capability says. Every change bumps :attr:`Registry.version`, which caches of published lists compare
against instead of being called back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError, RegistrationError
from agentcore_mcp.server._completion import (
    Completion,
    CompletionHandler,
    CompletionRef,
    call_handler,
    enum_completion,
)
from agentcore_mcp.server._prompts import Prompt, PromptOptions
from agentcore_mcp.server._resources import RecordedResource, Resource
from agentcore_mcp.server._tools import Tool, ToolOptions

if TYPE_CHECKING:
    from agentcore_mcp.server._extension import Era, Extension

__all__ = ["Registry"]

logger = logging.getLogger("agentcore_mcp.server")

LIST_KINDS = ("tools", "resources", "prompts")

NamedT = TypeVar("NamedT", Tool, Prompt)


class Registry:
    """The tools, resources, prompts, completion handler and extensions of one server.

    Args:
        expose_errors: passed to every compiled entry: include exception text in error results.
    """

    def __init__(self, *, expose_errors: bool = False) -> None:
        self.expose_errors = expose_errors
        self.version = 0  # bumped on every change
        self.tools: dict[str, Tool] = {}
        self.resources: dict[str, Resource] = {}
        self.templates: list[Resource] = []
        self.prompts: dict[str, Prompt] = {}
        self.extensions: list[Extension] = []
        self.completion: CompletionHandler | None = None
        self._tool_definitions: tuple[int, list[dict[str, Any]]] = (-1, [])

    # -- tools ---------------------------------------------------------------------------------------------

    def add_tool(self, fn: Callable[..., Any], options: ToolOptions) -> Tool:
        """Compile and register a tool (RegistrationError: the name is taken or the signature is unusable)."""
        return self._add_named(self.tools, Tool(fn, options), "tool")

    def _add_named(self, table: dict[str, NamedT], compiled: NamedT, what: str) -> NamedT:
        if compiled.name in table:
            raise RegistrationError(f"a {what} named {compiled.name!r} is already registered")
        compiled.expose_errors = self.expose_errors
        table[compiled.name] = compiled
        self.version += 1
        return compiled

    def remove_tool(self, name: str) -> None:
        """Unregister a tool (KeyError if there is none of that name)."""
        del self.tools[name]
        self.version += 1

    def tool_definitions(self) -> list[dict[str, Any]]:
        """The wire definitions of all tools in registration order, as extensions adjust them."""
        version, definitions = self._tool_definitions
        if version != self.version:
            definitions = [t.definition for t in self.tools.values()]
            for extension in self.extensions:
                definitions = [dict(d) for d in definitions]
                for tool, definition in zip(self.tools.values(), definitions, strict=True):
                    extension.describe_tool(tool, definition)
            self._tool_definitions = (self.version, definitions)
        return definitions

    # -- resources -----------------------------------------------------------------------------------------

    def add_resource(self, fn: Callable[..., Any], options: RecordedResource) -> Resource:
        """Compile and register a resource or template (RegistrationError: the URI is taken, or bad params)."""
        compiled = Resource(fn, options)
        if compiled.uri in self.resources or any(t.uri == compiled.uri for t in self.templates):
            raise RegistrationError(f"a resource at {compiled.uri!r} is already registered")
        compiled.expose_errors = self.expose_errors
        if compiled.is_template:
            self.templates.append(compiled)
        else:
            self.resources[compiled.uri] = compiled
        self.version += 1
        return compiled

    def find_resource(self, uri: str) -> tuple[Resource, dict[str, str]] | None:
        """The resource that serves ``uri`` and the template variables: exact URIs first, then templates."""
        exact = self.resources.get(uri)
        if exact is not None:
            return exact, {}
        for template in self.templates:
            variables = template.match(uri)
            if variables is not None:
                return template, variables
        return None

    def resource_definitions(self) -> list[dict[str, Any]]:
        return [r.definition for r in self.resources.values()]

    def template_definitions(self) -> list[dict[str, Any]]:
        return [t.definition for t in self.templates]

    # -- prompts -------------------------------------------------------------------------------------------

    def add_prompt(self, fn: Callable[..., Any], options: PromptOptions) -> Prompt:
        """Compile and register a prompt (RegistrationError: the name is taken or the signature is unusable)."""
        return self._add_named(self.prompts, Prompt(fn, options), "prompt")

    def prompt_definitions(self) -> list[dict[str, Any]]:
        return [p.definition for p in self.prompts.values()]

    # -- extensions ----------------------------------------------------------------------------------------

    def add_extension(self, extension: Extension) -> None:
        self.extensions.append(extension)
        self.version += 1

    # -- completion ----------------------------------------------------------------------------------------

    async def complete(
        self, ref: Mapping[str, Any], argument: str, value: str, others: Mapping[str, str]
    ) -> Completion:
        """Answer ``completion/complete`` (raises ProtocolError -32602 for an unknown reference)."""
        target, schema = self._completion_target(ref)
        if self.completion is not None:
            try:
                answer = await call_handler(self.completion, target, argument, value, others)
            except Exception:
                logger.exception("the completion handler raised")
                raise ProtocolError(rpc.INTERNAL_ERROR, "Completion failed") from None
            if answer is not None:
                return answer
        return enum_completion(schema, argument, value)

    def _completion_target(self, ref: Mapping[str, Any]) -> tuple[CompletionRef, Mapping[str, Any]]:
        kind = ref.get("type")
        if kind == "ref/prompt":
            name = ref.get("name")
            prompt = self.prompts.get(name) if isinstance(name, str) else None
            if prompt is None:
                raise ProtocolError(rpc.INVALID_PARAMS, f"Unknown prompt: {name}")
            return CompletionRef(type="ref/prompt", name=prompt.name), prompt.function.schema
        if kind == "ref/resource":
            uri = ref.get("uri")
            template = next((t for t in self.templates if t.uri == uri), None)
            if template is None:
                raise ProtocolError(rpc.INVALID_PARAMS, f"Unknown resource template: {uri}")
            return CompletionRef(type="ref/resource", uri=template.uri), template.function.schema
        raise ProtocolError(rpc.INVALID_PARAMS, "ref.type must be 'ref/prompt' or 'ref/resource'")

    # -- capabilities --------------------------------------------------------------------------------------

    def offered(self) -> dict[str, bool]:
        """Which lists exist (and so can change)."""
        return {
            "tools": bool(self.tools),
            "prompts": bool(self.prompts),
            "resources": bool(self.resources or self.templates),
        }

    def capabilities(self, era: Era, live: bool) -> dict[str, Any]:
        """What the server offers in ``era``; ``live``: list changes and subscriptions can be delivered."""
        caps: dict[str, Any] = {"logging": {}}
        if self.tools:
            caps["tools"] = {"listChanged": live}
        if self.resources or self.templates:
            caps["resources"] = {"listChanged": live, "subscribe": live}
        if self.prompts:
            caps["prompts"] = {"listChanged": live}
        if self.prompts or self.templates:
            caps["completions"] = {}
        offered: dict[str, Any] = {}
        for extension in self.extensions:
            value = extension.capability(era)
            if value is not None:
                offered[extension.name] = dict(value)
        if offered:
            caps["extensions"] = offered
        return caps
