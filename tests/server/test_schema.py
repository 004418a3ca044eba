"""The input-schema fast path (simple signatures, no pydantic model) against the pydantic-model path."""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from typing import Any, Literal, Optional

import pydantic
import pytest

from agentcore_mcp.server import _schema as schema_module
from agentcore_mcp.server._context import Context
from agentcore_mcp.server._functions import describe_validation_error, is_context
from agentcore_mcp.server._schema import ArgumentsModel, signature_schema


def plain(a: int, b: str) -> None: ...


def defaults(count: int = 3, ratio: float = 0.5, name: str = "x", flag: bool = True) -> None: ...


def optional_fast(
    note: str | None,
    level: Optional[int] = None,  # noqa: UP045 - typing.Optional is a typing.Union, not a types.UnionType
    tags: list[str] | None = None,
) -> None: ...


def optional(
    note: str | None,
    level: int | None = None,
    tags: list[str] | None = None,
    items: list[int] = [],  # noqa: B006
) -> None: ...


def literal(
    mode: Literal["fast", "slow"], size: Literal[1, 2, 3] = 2, strict: Literal[True, False] = False
) -> None: ...


def documented(order_id: str, ctx: Context, quantity: int = 1) -> None:
    """Look an order up.

    Args:
        order_id: The order's id, e.g. ``A-1``.
        quantity: How many.
    """


def no_params() -> None: ...


def none_typed(a: int, nothing: None = None) -> None: ...


def snake_case_names(first_name: str, x2_value: float, _ignored: int = 0) -> None: ...


FAST = [plain, defaults, optional_fast, literal, documented, no_params]
# Fall back to the model path: a list default, a private name needing an alias, non-simple annotations.
SLOW = [optional, snake_case_names, none_typed]

INPUTS: list[dict[str, Any]] = [
    {},
    {"a": 1, "b": "x"},
    {"a": "7", "b": 3},
    {"a": 1.5, "b": None},
    {"count": "4", "ratio": 2, "name": "y", "flag": "yes", "nothing": None},
    {"count": True, "flag": 2},
    {"note": None, "level": "3", "tags": ["a"], "items": ["1", 2]},
    {"note": "n", "tags": "notalist"},
    {"mode": "fast"},
    {"mode": "medium", "size": 4},
    {"mode": "slow", "size": "2", "strict": True},
    {"order_id": "A-1", "quantity": "2", "extra": "ignored"},
    {"order_id": 5},
    {"first_name": "Ada", "x2_value": "1e3", "_ignored": 3},
]


@pytest.fixture
def both_paths() -> Iterator[Callable[[Callable[..., Any]], tuple[ArgumentsModel, ArgumentsModel]]]:
    def build(fn: Callable[..., Any]) -> tuple[ArgumentsModel, ArgumentsModel]:
        import inspect

        from agentcore_mcp.server._schema import parse_docstring

        _, docs = parse_docstring(inspect.getdoc(fn))
        built = []
        for fast in (True, False):
            schema_module.FAST_SCHEMAS = fast
            model, _ = signature_schema(fn, name=fn.__name__, param_docs=docs, skip=is_context)
            built.append(model)
        return built[0], built[1]

    yield build
    schema_module.FAST_SCHEMAS = True


def _outcome(model: ArgumentsModel, name: str, arguments: dict[str, Any]) -> Any:
    try:
        return ("ok", model.validate(arguments))
    except pydantic.ValidationError as exc:
        return ("error", describe_validation_error("tool", name, exc), exc.error_count())


@pytest.mark.parametrize("fn", FAST + SLOW, ids=lambda f: f.__name__)
def test_the_fast_path_gives_the_model_paths_schema_and_validation(
    both_paths: Callable[[Callable[..., Any]], tuple[ArgumentsModel, ArgumentsModel]], fn: Callable[..., Any]
) -> None:
    fast, slow = both_paths(fn)
    assert fast.schema == slow.schema
    assert list(fast.schema["properties"]) == list(slow.schema["properties"])  # parameter order kept
    for arguments in INPUTS:
        assert _outcome(fast, fn.__name__, arguments) == _outcome(slow, fn.__name__, arguments), arguments


@pytest.mark.parametrize(("fn", "fast"), [(f, True) for f in FAST] + [(f, False) for f in SLOW], ids=str)
def test_which_signatures_take_the_fast_path(fn: Callable[..., Any], fast: bool) -> None:
    model, _ = signature_schema(fn, name=fn.__name__, param_docs={}, skip=is_context)
    assert (not model._model) is fast  # the fast path validates into a plain dict


def test_the_cached_json_schema_is_not_shared_between_tools() -> None:
    first, _ = signature_schema(plain, name="one", param_docs={"a": "first"}, skip=is_context)
    second, _ = signature_schema(plain, name="two", param_docs={}, skip=is_context)
    first.schema["properties"]["a"]["title"] = "changed"
    assert second.schema["properties"]["a"] == {"title": "A", "type": "integer"}
    assert "description" not in second.schema["properties"]["a"]


def test_type_hints_stay_resolved_from_strings() -> None:
    def annotated(a: int, b: Literal["x", "y"] = "x") -> None: ...

    model, _ = signature_schema(annotated, name="s", param_docs={}, skip=is_context)
    assert model.schema["properties"]["b"] == {
        "default": "x",
        "enum": ["x", "y"],
        "title": "B",
        "type": "string",
    }
    assert typing.get_type_hints(annotated)["a"] is int
