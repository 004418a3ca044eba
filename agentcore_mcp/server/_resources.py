"""``@resource``: publish data at a URI (or a URI template) that clients read with ``resources/read``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from pydantic import BaseModel
from pydantic_core import to_json, to_jsonable_python

from agentcore_mcp.errors import RegistrationError
from agentcore_mcp.server._content import EmbeddedResource, _b64
from agentcore_mcp.server._context import Context
from agentcore_mcp.server._functions import Function, function_name
from agentcore_mcp.server._registration import ResourceOptions, describe, describe_tail, record
from agentcore_mcp.server._uritemplate import UriTemplate

if TYPE_CHECKING:
    from typing_extensions import Unpack


class RecordedResource(ResourceOptions, total=False):
    """What ``@resource`` records: the options and the URI."""

    uri: str


__all__ = ["RecordedResource", "Resource", "ResourceOptions", "resource"]

logger = logging.getLogger("agentcore_mcp.server")

F = TypeVar("F", bound=Callable[..., Any])

OPTIONS_ATTR = "__agentcore_mcp_resource__"


@overload
def resource(uri: str, /, **options: Unpack[ResourceOptions]) -> Callable[[F], F]: ...


@overload
def resource(uri: Callable[..., Any], /) -> Any: ...


def resource(uri: Any, /, **options: Unpack[ResourceOptions]) -> Callable[[F], F]:
    """Mark a function as the reader of a resource at ``uri`` and return it unchanged.

    A plain URI publishes one resource (``resources/list``); a URI template such as
    ``"users://{user_id}/profile"`` publishes a template (``resources/templates/list``), and the function's
    parameters named like the template's variables receive the values from the requested URI, validated and
    converted to their annotated types.

    The function returns ``str`` (text), ``bytes`` (binary), an :class:`~agentcore_mcp.EmbeddedResource`
    or a list of them (several contents), or anything JSON-serializable (sent as ``application/json`` text).
    """
    if callable(uri):
        raise RegistrationError('@resource needs a URI: write @resource("scheme://path")')
    if not isinstance(uri, str) or ("://" not in uri and not uri.startswith(("urn:", "data:"))):
        raise RegistrationError(f"@resource needs an absolute URI such as 'file:///x', got {uri!r}")
    return record("resource", OPTIONS_ATTR, options, uri=uri)


class Resource:
    """A registered resource or resource template, and how to read it."""

    __slots__ = ("_function", "definition", "expose_errors", "fn", "mime_type", "name", "template", "uri")

    def __init__(self, fn: Callable[..., Any], options: RecordedResource | None = None) -> None:
        if options is None:
            options = cast("RecordedResource | None", getattr(fn, OPTIONS_ATTR, None))
        if not options or not options.get("uri"):
            raise RegistrationError(
                f"{fn!r} has no URI: decorate it with @resource('scheme://...') or pass uri="
            )
        uri = options["uri"]
        self.fn = fn
        self.uri = uri
        self.name = function_name(fn, options.get("name"))
        self.mime_type = options.get("mime_type")
        self.expose_errors = False
        try:
            self.template = UriTemplate(uri)
        except ValueError as exc:
            raise RegistrationError(str(exc)) from exc
        self._function = Function(fn, self.name)
        # Every template variable needs a parameter; parameters the template does not name need defaults.
        params = set(self._function.schema.get("properties", {}))
        required = set(self._function.schema.get("required", []))
        if required - set(self.template.variables):
            raise RegistrationError(
                f"resource {self.name!r}: parameters {sorted(required - set(self.template.variables))} are not "
                f"variables of the URI template {uri!r}"
            )
        unknown = set(self.template.variables) - params
        if unknown:
            raise RegistrationError(
                f"resource {self.name!r}: URI template variables {sorted(unknown)} have no matching parameter"
            )
        first = {("uriTemplate" if self.template.is_template else "uri"): uri, "name": self.name}
        definition = describe(first, options, self._function.summary)
        if self.mime_type:
            definition["mimeType"] = self.mime_type
        if options.get("size") is not None and not self.template.is_template:
            definition["size"] = options["size"]
        if options.get("annotations"):
            definition["annotations"] = dict(options["annotations"] or {})
        describe_tail(definition, options)
        self.definition = definition

    @property
    def is_template(self) -> bool:
        return self.template.is_template

    @property
    def function(self) -> Function:
        return self._function

    def match(self, uri: str) -> dict[str, str] | None:
        if not self.template.is_template:
            return {} if uri == self.uri else None
        return self.template.match(uri)

    async def read(self, uri: str, variables: Mapping[str, str], ctx: Context | None) -> list[dict[str, Any]]:
        """Call the reader and return the wire ``contents`` list.

        Raises:
            ProtocolError: the URI's variables do not fit the parameters (-32602), or the reader failed
                (-32603, without detail unless errors are exposed).
        """
        value = await self._function.run_or_refuse(
            variables,
            ctx,
            "resource",
            f"Reading {uri} failed",
            expose_errors=self.expose_errors,
            error_data={"uri": uri},
        )
        return contents(value, uri, self.mime_type)


def contents(value: Any, uri: str, mime_type: str | None) -> list[dict[str, Any]]:
    """Turn a reader's return value into wire resource contents."""
    if isinstance(value, str):
        return [_text(uri, mime_type or "text/plain", value)]
    if isinstance(value, (bytes, bytearray, memoryview)):
        item: dict[str, Any] = {
            "uri": uri,
            "mimeType": mime_type or "application/octet-stream",
            "blob": _b64(bytes(value)),
        }
        return [item]
    if isinstance(value, EmbeddedResource):
        return [value.to_wire()["resource"]]
    if isinstance(value, Sequence) and value and all(isinstance(v, EmbeddedResource) for v in value):
        return [v.to_wire()["resource"] for v in value]
    if isinstance(value, BaseModel):
        return [_text(uri, mime_type or "application/json", value.model_dump_json())]
    return [
        _text(
            uri,
            mime_type or "application/json",
            to_json(to_jsonable_python(value), inf_nan_mode="null").decode(),
        )
    ]


def _text(uri: str, mime_type: str, text: str) -> dict[str, Any]:
    return {"uri": uri, "mimeType": mime_type, "text": text}
