"""From a Python signature to MCP schemas: input schema, argument validator, output schema.

Everything here runs once, when a function is registered; the per-call work is one pydantic validation
of the arguments and, for structured results, one pydantic serialization of the return value.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args, get_origin

import pydantic
from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, SchemaValidator, core_schema

from agentcore_mcp.errors import RegistrationError

__all__ = ["ArgumentsModel", "OutputSpec", "parse_docstring", "signature_schema"]

# Off: every signature goes through a pydantic model (the tests compare the two paths).
FAST_SCHEMAS = True

_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters|Params)\s*:\s*$")
_SECTION_HEADER = re.compile(r"^\s*[A-Z][A-Za-z ]*:\s*$")
_ARG_LINE = re.compile(r"^\s*\*{0,2}([A-Za-z_][A-Za-z0-9_]*)\s*(\([^)]*\))?\s*:\s*(.*)$")


def parse_docstring(doc: str | None) -> tuple[str | None, dict[str, str]]:
    """Split a docstring into its description and the per-parameter texts of a Google-style ``Args:``.

    The description is everything before the first section header (``Args:``, ``Returns:``, ...), with the
    indentation removed. Continuation lines of a parameter (indented deeper) are joined with spaces.
    """
    if not doc:
        return None, {}
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    params: dict[str, str] = {}
    i = 0
    while i < len(lines) and not _SECTION_HEADER.match(lines[i]):
        description.append(lines[i])
        i += 1
    while i < len(lines):
        if not _ARGS_HEADER.match(lines[i]):
            i += 1
            continue
        i += 1
        current: str | None = None
        base_indent: int | None = None
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            indent = len(line) - len(line.lstrip())
            if indent == 0:
                break  # the next section
            match = _ARG_LINE.match(line)
            if match and (base_indent is None or indent <= base_indent):
                base_indent = indent
                current = match.group(1)
                params[current] = match.group(3).strip()
            elif current is not None:
                params[current] = f"{params[current]} {line.strip()}".strip()
            i += 1
    text = "\n".join(description).strip()
    return (text or None), params


class ArgumentsModel:
    """A compiled argument validator for one function.

    ``validate(arguments)`` returns the keyword arguments to call the function with, or raises
    :class:`pydantic.ValidationError`.
    """

    __slots__ = ("_aliases", "_model", "_validate", "schema", "validator")

    def __init__(
        self,
        model: type[BaseModel] | SchemaValidator,
        aliases: dict[str, str],
        schema: dict[str, Any],
    ) -> None:
        # A pydantic model (validates into an instance), or a typed-dict validator (into a dict).
        self._model = not isinstance(model, SchemaValidator)
        validator = model if isinstance(model, SchemaValidator) else model.__pydantic_validator__
        self._validate = validator.validate_python
        self._aliases = aliases  # internal field name -> parameter name, only where they differ
        self.schema = schema
        # The quickest callable with validate's contract: for a typed-dict validator without aliases (every
        # simple signature) that is pydantic-core's own method, so a call costs no Python frame of ours.
        self.validator: Callable[[Mapping[str, Any]], dict[str, Any]] = (
            self._validate if not self._model and not aliases else self.validate
        )

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        validated = self._validate(arguments)
        values: dict[str, Any] = validated.__dict__ if self._model else validated
        if not self._aliases:
            return values
        return {self._aliases.get(k, k): v for k, v in values.items()}


# Annotations the fast path describes and validates without building a pydantic model per function.
_SIMPLE_TYPES: frozenset[Any] = frozenset({str, int, float, bool})
_SIMPLE_DEFAULTS = (str, int, float, bool, type(None))
_adapters: dict[Any, tuple[CoreSchema, dict[str, Any]]] = {}


def _simple(annotation: Any) -> bool:
    """True for str/int/float/bool, Literals of those, lists of them, and ``X | None`` of any of these."""
    if annotation in _SIMPLE_TYPES:
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return all(type(a) in (str, int, bool) for a in args)
    if origin is list:
        return len(args) == 1 and args[0] in _SIMPLE_TYPES
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return len(args) == 2 and len(rest) == 1 and _simple(rest[0])
    return False


def _described(annotation: Any) -> tuple[CoreSchema, dict[str, Any]]:
    """The core schema and JSON schema of a simple annotation, computed once per annotation."""
    known = _adapters.get(annotation)
    if known is None:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        known = _adapters[annotation] = (adapter.core_schema, adapter.json_schema())
    return known


def _fast_arguments(
    name: str, fields: Mapping[str, tuple[Any, Any, str | None]]
) -> tuple[SchemaValidator, dict[str, Any]] | None:
    """A validator and input schema for ``fields`` (name -> annotation, default, description) when every one
    is simple; None otherwise. Equal to what the pydantic-model path gives (a test holds them together),
    in about a quarter of the time, which counts at cold start with many tools."""
    for annotation, default, _ in fields.values():
        if not _simple(annotation):
            return None
        if default is not ... and (
            not isinstance(default, _SIMPLE_DEFAULTS)
            or (isinstance(default, float) and not math.isfinite(default))
        ):
            return None
    typed: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field, (annotation, default, description) in fields.items():
        core, described = _described(annotation)
        prop = copy.deepcopy(described)
        prop["title"] = field.title().replace("_", " ")
        if description:
            prop["description"] = description
        if default is ...:
            required.append(field)
            typed[field] = core_schema.typed_dict_field(core, required=True)
        else:
            prop["default"] = default
            typed[field] = core_schema.typed_dict_field(
                core_schema.with_default_schema(core, default=default), required=False
            )
        properties[field] = dict(sorted(prop.items()))
    schema: dict[str, Any] = {"properties": properties}
    if required:
        schema["required"] = required
    schema["title"] = f"{name}Arguments"
    schema["type"] = "object"
    return SchemaValidator(core_schema.typed_dict_schema(typed)), schema


def _has_field_description(annotation: Any) -> bool:
    if get_origin(annotation) is typing.Annotated:
        return any(isinstance(m, FieldInfo) and m.description for m in get_args(annotation)[1:])
    return False


def signature_schema(
    fn: Callable[..., Any],
    *,
    name: str,
    param_docs: Mapping[str, str],
    skip: Callable[[Any], bool],
    exclude: frozenset[str] = frozenset(),
) -> tuple[ArgumentsModel, list[str]]:
    """Build the argument validator and input schema of ``fn``.

    Parameters whose annotation ``skip`` accepts (the request context) are left out of the schema; their
    names are returned so the caller can inject them. Parameters named in ``exclude`` are left out too:
    something else supplies them (a wrapper such as bedrock-agentcore's ``requires_access_token``).
    """
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:  # unresolvable forward references
        raise RegistrationError(f"cannot resolve the type hints of {name!r}: {exc}") from exc
    fields: dict[str, Any] = {}
    simple: dict[str, tuple[Any, Any, str | None]] | None = {}
    aliases: dict[str, str] = {}
    injected: list[str] = []
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise RegistrationError(f"{name!r}: *args and **kwargs cannot be described as tool arguments")
        if param.kind is param.POSITIONAL_ONLY:
            raise RegistrationError(f"{name!r}: positional-only parameter {param.name!r} is not supported")
        if param.name in exclude:
            continue
        annotation = hints.get(param.name, Any)
        if skip(annotation):
            injected.append(param.name)
            continue
        default: Any = ... if param.default is inspect.Parameter.empty else param.default
        doc = param_docs.get(param.name)
        field_name, definition = _field_of(param.name, annotation, default, doc)
        if field_name != param.name:
            aliases[field_name] = param.name
        fields[field_name] = definition
        if simple is not None and field_name == param.name and not isinstance(default, FieldInfo):
            simple[param.name] = (annotation, default, doc)
        else:
            simple = None
    unknown = exclude - set(inspect.signature(fn).parameters)
    if unknown:
        raise RegistrationError(f"{name!r}: exclude_args names no parameter: {sorted(unknown)}")
    fast = _fast_arguments(name, simple) if simple is not None and FAST_SCHEMAS else None
    if fast is not None:
        return ArgumentsModel(fast[0], {}, fast[1]), injected
    try:
        model = pydantic.create_model(
            f"{name}Arguments",
            __config__=ConfigDict(arbitrary_types_allowed=False, populate_by_name=True),
            **fields,
        )
        schema = model.model_json_schema(by_alias=True)
    except Exception as exc:
        raise RegistrationError(f"cannot build an input schema for {name!r}: {exc}") from exc
    schema.setdefault("properties", {})
    return ArgumentsModel(model, aliases, schema), injected


def _field_of(name: str, annotation: Any, default: Any, doc: str | None) -> tuple[str, tuple[Any, Any]]:
    """The pydantic field name and definition of parameter ``name`` (its docstring line as the
    description, unless the annotation carries one)."""
    field_name = name
    # Names that collide with BaseModel attributes (or are private) get an internal name plus an alias.
    if name.startswith("_") or hasattr(BaseModel, name):
        field_name = f"arg_{name.lstrip('_')}_"
    info_kwargs: dict[str, Any] = {}
    if field_name != name:
        info_kwargs["alias"] = name
    if doc and not _has_field_description(annotation):
        info_kwargs["description"] = doc
    if isinstance(default, FieldInfo):
        return field_name, (annotation, default)
    if info_kwargs:
        return field_name, (annotation, pydantic.Field(default, **info_kwargs))
    return field_name, (annotation, default)


def _is_object_type(tp: Any) -> bool:
    if isinstance(tp, type) and (issubclass(tp, BaseModel) or dataclasses.is_dataclass(tp)):
        return True
    if typing.is_typeddict(tp):
        return True
    origin = get_origin(tp)
    return origin in (dict, Mapping) or tp is dict


class OutputSpec:
    """How a function's return value becomes ``structuredContent``.

    ``schema`` is the tool's ``outputSchema`` (always an object schema), or None when the return annotation
    says nothing structured (missing, ``Any``, ``str``, ``None``, content blocks).
    """

    __slots__ = ("_dump", "exact", "schema", "wrap")

    def __init__(self, return_type: Any, *, name: str, content_types: tuple[type, ...]) -> None:
        self.schema: dict[str, Any] | None = None
        self.wrap = False
        self._dump: Callable[[Any], Any] | None = None
        # int and bool results (the commonest wrapped ones) of exactly that type need no adapter.
        # ``exact``: int or bool when results of exactly that type are wrapped as they are, else None.
        self.exact: type | None = return_type if return_type in (int, bool) else None
        if return_type in (inspect.Signature.empty, Any, str, None, type(None)) or _mentions(
            return_type, content_types
        ):
            return
        try:
            adapter: TypeAdapter[Any] = TypeAdapter(return_type)
            schema = adapter.json_schema(mode="serialization")
        except Exception as exc:
            raise RegistrationError(f"cannot build an output schema for {name!r}: {exc}") from exc
        if _is_object_type(return_type) or schema.get("type") == "object":
            self.schema = schema
        else:
            defs = schema.pop("$defs", None)
            wrapped: dict[str, Any] = {
                "type": "object",
                "properties": {"result": schema},
                "required": ["result"],
            }
            if defs:
                wrapped["$defs"] = defs
            self.schema = wrapped
            self.wrap = True

        def dump(value: Any) -> Any:
            return adapter.dump_python(value, mode="json", warnings="error")

        self._dump = dump

    @property
    def dumps(self) -> bool:
        """True when return values are serialized through the annotation's adapter."""
        return self._dump is not None

    def structured(self, value: Any) -> Any:
        """Return the JSON-able structured form of ``value`` (raises if it does not fit the annotation)."""
        if self._dump is None:
            return value
        if type(value) is self.exact:
            return {"result": value}
        dumped = self._dump(value)
        return {"result": dumped} if self.wrap else dumped


def _mentions(tp: Any, content_types: tuple[type, ...]) -> bool:
    """True when a return annotation is, or contains, one of the content block types."""
    if isinstance(tp, type) and issubclass(tp, content_types):
        return True
    return any(_mentions(arg, content_types) for arg in get_args(tp) if arg is not Ellipsis)
