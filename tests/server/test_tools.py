"""``@tool`` and the compiled Tool: schemas from signatures, validation, calls, results, failures."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import threading
from typing import Annotated, Any, Literal, Optional

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from agentcore_mcp import AgentCoreMCP, Context, Image, RegistrationError, ToolError, tool
from agentcore_mcp.server._tools import Tool, ToolOptions


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    city: str = "Seattle"


class Point(TypedDict):
    x: int
    y: int


@dataclasses.dataclass
class Size:
    width: float
    height: float


def schema_of(fn: Any) -> dict[str, Any]:
    return Tool(fn).definition["inputSchema"]  # type: ignore[no-any-return]


def run(t: Tool, arguments: dict[str, Any] | None, ctx: Context | None = None) -> dict[str, Any]:
    return asyncio.run(t.run(arguments, ctx))


# -- the decorator ------------------------------------------------------------------------------------------


def test_bare_decorator_returns_the_function_unchanged_and_callable() -> None:
    def add(a: int, b: int) -> int:
        return a + b

    assert tool(add) is add
    assert add(2, 3) == 5


def test_decorator_with_options_records_them() -> None:
    @tool(
        name="adder",
        title="Adder",
        description="Adds.",
        annotations={"readOnlyHint": True},
        timeout=3,
        icons=[{"src": "https://example.com/i.png"}],
        meta={"k": "v"},
    )
    async def add(a: int) -> int:
        return a

    definition = Tool(add).definition
    assert definition["name"] == "adder"
    assert definition["title"] == "Adder"
    assert definition["description"] == "Adds."
    assert definition["annotations"] == {"readOnlyHint": True}
    assert definition["icons"] == [{"src": "https://example.com/i.png"}]
    assert definition["_meta"] == {"k": "v"}
    assert asyncio.run(add(4)) == 4


def test_decorator_misuse_fails_loudly() -> None:
    with pytest.raises(RegistrationError, match="expects a function"):
        tool("not a function")  # type: ignore[call-overload]
    with pytest.raises(RegistrationError, match="timeout"):
        tool(timeout=0)


def test_duplicate_names_are_refused_at_registration() -> None:
    def ping() -> str:
        return "a"

    app = AgentCoreMCP("x", tools=[ping])
    with pytest.raises(RegistrationError, match="already registered"):
        app.add_tool(ping)
    app.add_tool(ping, name="ping2")
    assert list(app.tools) == ["ping", "ping2"]


def test_app_tool_decorator_registers_and_returns_the_function() -> None:
    app = AgentCoreMCP("x")

    @app.tool
    def one() -> str:
        return "1"

    @app.tool(name="two_renamed")
    def two() -> str:
        return "2"

    assert one() == "1"
    assert list(app.tools) == ["one", "two_renamed"]


def test_var_args_are_refused_without_an_explicit_schema() -> None:
    def star(*args: int) -> None: ...

    def kw(**kwargs: int) -> None: ...

    for fn in (star, kw):
        with pytest.raises(RegistrationError, match="args"):
            Tool(fn)


# -- schemas ---------------------------------------------------------------------------------------------


def test_schema_covers_defaults_optional_literal_enum_and_field_descriptions() -> None:
    def f(
        a: int,
        b: str = "x",
        c: Optional[float] = None,  # noqa: UP045 - Optional on purpose
        d: Literal["fast", "slow"] = "fast",
        e: Color = Color.RED,
        g: Annotated[int, Field(description="from Field", ge=0)] = 1,
        h: list[int] | None = None,
    ) -> None:
        """Does things.

        Args:
            a: first, from the docstring.
            g: ignored, the Field wins.
        """

    s = schema_of(f)
    props = s["properties"]
    assert s["type"] == "object"
    assert s["required"] == ["a"]
    assert props["a"]["type"] == "integer"
    assert props["a"]["description"] == "first, from the docstring."
    assert props["b"]["default"] == "x"
    assert {"type": "null"} in props["c"]["anyOf"]
    assert props["d"]["enum"] == ["fast", "slow"]
    assert props["g"]["description"] == "from Field"
    assert props["g"]["minimum"] == 0
    assert props["h"]["anyOf"][0] == {"items": {"type": "integer"}, "type": "array"}
    assert "$defs" in s
    assert "Color" in s["$defs"]
    assert Tool(f).definition["description"] == "Does things."


def test_schema_of_models_typeddicts_dataclasses_and_nesting() -> None:
    def f(address: Address, point: Point, size: Size, many: list[Address]) -> None:
        pass

    s = schema_of(f)
    assert set(s["$defs"]) >= {"Address", "Point", "Size"}
    assert s["properties"]["many"]["items"] == {"$ref": "#/$defs/Address"}


def test_context_parameter_is_not_part_of_the_schema() -> None:
    def f(x: int, ctx: Context) -> int:
        return x

    assert set(schema_of(f)["properties"]) == {"x"}


def test_parameters_named_like_model_attributes_work() -> None:
    def f(schema: str, model_config: int = 1, json: bool = False) -> str:
        return f"{schema}-{model_config}-{json}"

    t = Tool(f)
    assert set(schema_of(f)["properties"]) == {"schema", "model_config", "json"}
    result = run(t, {"schema": "s", "model_config": 2, "json": True})
    assert result["content"][0]["text"] == "s-2-True"


def test_docstring_args_with_types_and_continuation_lines() -> None:
    def f(path: str, depth: int = 1) -> None:
        """Walk a tree.

        Longer text.

        Args:
            path (str): where to start,
                continued here.
            depth: how deep.

        Returns:
            nothing.
        """

    t = Tool(f)
    assert t.definition["description"] == "Walk a tree.\n\nLonger text."
    props = t.definition["inputSchema"]["properties"]
    assert props["path"]["description"] == "where to start, continued here."
    assert props["depth"]["description"] == "how deep."


def test_raw_input_schema_is_published_unchanged_and_arguments_passed_through() -> None:
    raw = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"n": {"type": "string"}},
        "additionalProperties": False,
    }

    @tool(input_schema=raw)
    def f(ctx: Context, **kwargs: Any) -> str:
        return repr(sorted(kwargs.items()))

    t = Tool(f)
    assert t.definition["inputSchema"] == raw
    assert t.wants_context
    assert run(t, {"n": "v", "m": 1})["content"][0]["text"] == "[('m', 1), ('n', 'v')]"


def test_raw_input_schema_tool() -> None:
    raw = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"n": {"type": "string"}},
    }

    @tool(input_schema=raw)
    def f(n: str = "") -> str:
        return n

    t = Tool(f)
    assert t.definition["inputSchema"] == raw
    assert run(t, {"n": "v"})["content"][0]["text"] == "v"


# -- output schemas and results -----------------------------------------------------------------------------


def test_primitive_returns_are_wrapped_as_result() -> None:
    def f() -> int:
        return 7

    t = Tool(f)
    assert t.definition["outputSchema"] == {
        "type": "object",
        "properties": {"result": {"type": "integer"}},
        "required": ["result"],
    }
    assert run(t, {}) == {
        "content": [{"type": "text", "text": "7"}],
        "structuredContent": {"result": 7},
        "isError": False,
    }


def test_model_returns_are_structured_with_their_schema() -> None:
    def f() -> Address:
        return Address(street="Main")

    t = Tool(f)
    assert t.definition["outputSchema"]["properties"]["street"] == {"title": "Street", "type": "string"}
    result = run(t, {})
    assert result["structuredContent"] == {"street": "Main", "city": "Seattle"}
    assert result["content"][0]["text"] == '{"street":"Main","city":"Seattle"}'


def test_list_returns_are_wrapped_with_defs_at_the_root() -> None:
    def f() -> list[Address]:
        return [Address(street="a")]

    t = Tool(f)
    schema = t.definition["outputSchema"]
    assert schema["properties"]["result"]["items"] == {"$ref": "#/$defs/Address"}
    assert "Address" in schema["$defs"]
    assert run(t, {})["structuredContent"] == {"result": [{"street": "a", "city": "Seattle"}]}


def test_str_and_none_returns_have_no_output_schema() -> None:
    def s() -> str:
        return "hi"

    def n() -> None:
        return None

    assert "outputSchema" not in Tool(s).definition
    assert run(Tool(s), {}) == {"content": [{"type": "text", "text": "hi"}], "isError": False}
    assert run(Tool(n), {}) == {"content": [], "isError": False}


def test_unannotated_dicts_and_lists_become_structured_content() -> None:
    def d():  # type: ignore[no-untyped-def]
        return {"k": [1, 2]}

    def lst():  # type: ignore[no-untyped-def]
        return [1, 2]

    assert "outputSchema" not in Tool(d).definition
    assert run(Tool(d), {})["structuredContent"] == {"k": [1, 2]}
    assert run(Tool(lst), {})["structuredContent"] == {"result": [1, 2]}


def test_content_blocks_and_lists_of_them_pass_through() -> None:
    def f() -> list[Image | str]:
        return ["caption", Image(b"\x89PNG", "image/png")]

    t = Tool(f)
    assert "outputSchema" not in t.definition
    assert run(t, {})["content"] == [
        {"type": "text", "text": "caption"},
        {"type": "image", "data": "iVBORw==", "mimeType": "image/png"},
    ]


def test_return_value_that_does_not_match_the_annotation_is_a_tool_error() -> None:
    def f() -> int:
        return "not an int"  # type: ignore[return-value]

    result = run(Tool(f), {})
    assert result["isError"] is True
    assert "could not be serialized" in result["content"][0]["text"]


def test_unserializable_return_value_is_a_tool_error() -> None:
    def f():  # type: ignore[no-untyped-def]
        return {"x": object()}

    result = run(Tool(f), {})
    assert result["isError"] is True


# -- calling ---------------------------------------------------------------------------------------------


def test_validation_failure_names_the_argument() -> None:
    def f(a: int, b: int) -> int:
        return a + b

    result = run(Tool(f), {"a": "x"})
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert "Invalid arguments for tool 'f'" in text
    assert "a: Input should be a valid integer" in text
    assert "b: Field required" in text


def test_lax_coercion_and_extra_arguments_are_ignored() -> None:
    def f(a: int) -> int:
        return a

    assert run(Tool(f), {"a": "5", "unexpected": 1})["structuredContent"] == {"result": 5}


def test_sync_tools_run_in_a_worker_thread_and_async_ones_on_the_loop() -> None:
    seen: dict[str, str] = {}

    def sync_tool() -> str:
        seen["sync"] = threading.current_thread().name
        return "ok"

    async def async_tool() -> str:
        seen["async"] = threading.current_thread().name
        return "ok"

    run(Tool(sync_tool), {})
    run(Tool(async_tool), {})
    assert seen["sync"].startswith("agentcore-mcp-tool")
    assert seen["async"] == threading.current_thread().name


def test_sync_to_thread_false_runs_a_sync_tool_on_the_loop_with_its_errors_handled() -> None:
    seen: dict[str, Any] = {}

    @tool(sync_to_thread=False)
    def inline(a: int) -> int:
        seen["thread"] = threading.current_thread().name
        if a < 0:
            raise ToolError("negative")
        return a * 2

    app = AgentCoreMCP("t")
    app.add_tool(inline)
    compiled = app.get_tool("inline")
    assert compiled is not None
    assert run(compiled, {"a": 4})["structuredContent"] == {"result": 8}
    assert seen["thread"] == threading.current_thread().name
    failed = run(compiled, {"a": -1})
    assert failed["isError"]
    assert failed["content"][0]["text"] == "negative"
    # The option given at registration wins over the decorator's.
    app.add_tool(inline, name="threaded", sync_to_thread=True)
    threaded = app.get_tool("threaded")
    assert threaded is not None
    run(threaded, {"a": 1})
    assert seen["thread"].startswith("agentcore-mcp-tool")


def test_a_timeout_cannot_bound_a_sync_tool_on_the_loop() -> None:
    def slow() -> str:
        return "ok"

    with pytest.raises(RegistrationError, match="timeout needs the function to run in a thread"):
        Tool(tool(timeout=1, sync_to_thread=False)(slow))

    async def slow_async() -> str:
        return "ok"

    # Async functions always run on the loop and can be bounded: the option changes nothing for them.
    assert run(Tool(tool(timeout=1, sync_to_thread=False)(slow_async)), {})["content"][0]["text"] == "ok"


def test_tool_error_message_reaches_the_caller() -> None:
    def f() -> str:
        raise ToolError("the widget is out of stock")

    assert run(Tool(f), {}) == {
        "content": [{"type": "text", "text": "the widget is out of stock"}],
        "isError": True,
    }


def test_other_exceptions_are_generic_unless_exposed(caplog: pytest.LogCaptureFixture) -> None:
    def f() -> str:
        raise RuntimeError("secret database password in message")

    t = Tool(f)
    result = run(t, {})
    assert result["isError"] is True
    assert "secret" not in result["content"][0]["text"]
    assert "Traceback" in caplog.text
    assert "secret database password" in caplog.text
    t.expose_errors = True
    assert "secret database password" in run(t, {})["content"][0]["text"]


@pytest.mark.parametrize("is_async", [True, False])
def test_timeouts_become_tool_errors(is_async: bool) -> None:
    if is_async:

        @tool(timeout=0.05)
        async def slow() -> str:
            await asyncio.sleep(5)
            return "late"
    else:
        release = threading.Event()

        @tool(timeout=0.05)
        def slow() -> str:
            release.wait(5)
            return "late"

    result = run(Tool(slow), {})
    assert result["isError"] is True
    assert "timed out after 0.05 seconds" in result["content"][0]["text"]
    if not is_async:
        release.set()


def test_contextvars_reach_sync_tools() -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    def f() -> str:
        return var.get()

    async def main() -> dict[str, Any]:
        var.set("request-scoped")
        return await Tool(f).run({}, None)

    assert asyncio.run(main())["content"][0]["text"] == "request-scoped"


def test_blocking_sync_tools_run_side_by_side_in_the_pool() -> None:
    import time

    def slow(i: int) -> int:
        time.sleep(0.3)
        return i

    t = Tool(slow)

    async def main() -> list[dict[str, Any]]:
        return await asyncio.gather(*(t.run({"i": i}, None) for i in range(12)))

    started = time.perf_counter()
    results = asyncio.run(main())
    assert [r["structuredContent"]["result"] for r in results] == list(range(12))
    assert time.perf_counter() - started < 2.0  # not 12 x 0.3 s: one thread per waiting call


def test_excluded_args_are_left_to_the_wrapper_that_supplies_them() -> None:
    import functools

    def inject_token(fn: Any) -> Any:  # shaped like bedrock-agentcore's @requires_access_token
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs["access_token"] = "token-from-identity"
            return await fn(*args, **kwargs)

        return wrapper

    @tool(exclude_args=["access_token"])
    @inject_token
    async def call_api(query: str, *, access_token: str) -> str:
        return f"{query} with {access_token}"

    t = Tool(call_api)
    assert set(t.definition["inputSchema"]["properties"]) == {"query"}
    assert t.definition["inputSchema"]["required"] == ["query"]
    assert (
        run(t, {"query": "q", "access_token": "forged"})["content"][0]["text"] == "q with token-from-identity"
    )
    with pytest.raises(RegistrationError, match="exclude_args"):
        Tool(tool(exclude_args=["nope"])(lambda query: query), ToolOptions(name="x", exclude_args=("nope",)))


OPTIONS: dict[str, Any] = {
    "name": "opt",
    "title": "Opt",
    "description": "described",
    "annotations": {"readOnlyHint": True},
    "icons": [{"src": "https://example.com/i.png", "mimeType": "image/png"}],
    "meta": {"example.com/k": 1},
    "input_schema": {"type": "object", "properties": {"x": {"type": "integer"}}},
    "output_schema": {"type": "object", "properties": {"y": {"type": "integer"}}},
    "exclude_args": ["token"],
}


def _opt(x: int, token: str = "") -> dict[str, int]:
    return {"y": x}


def test_decorator_app_tool_and_add_tool_take_the_same_options_with_the_same_result() -> None:
    via_add, via_method, via_decorator = AgentCoreMCP("a"), AgentCoreMCP("b"), AgentCoreMCP("c")
    via_add.add_tool(_opt, **OPTIONS)
    via_method.tool(**OPTIONS)(_opt)
    via_decorator.add_tool(tool(**OPTIONS)(lambda x, token="": {"y": x}))
    definitions = [app.tool_definitions()[0] for app in (via_add, via_method, via_decorator)]
    assert definitions[0] == definitions[1] == definitions[2]
    assert definitions[0]["icons"] == OPTIONS["icons"]
    assert definitions[0]["_meta"] == OPTIONS["meta"]
    assert definitions[0]["inputSchema"] == OPTIONS["input_schema"]
    assert definitions[0]["outputSchema"] == OPTIONS["output_schema"]


def test_add_tool_options_override_what_the_decorator_recorded() -> None:
    app = AgentCoreMCP("o")
    app.add_tool(tool(name="first", title="T")(_opt), name="second")
    (definition,) = app.tool_definitions()
    assert definition["name"] == "second"
    assert definition["title"] == "T"


def test_an_unknown_or_invalid_option_fails_at_registration() -> None:
    app = AgentCoreMCP("o")
    with pytest.raises(TypeError, match="colour"):
        app.add_tool(_opt, colour="red")  # type: ignore[call-arg]
    with pytest.raises(RegistrationError, match="timeout"):
        app.tool(timeout=0)(_opt)
    with pytest.raises(RegistrationError, match="task"):
        app.add_tool(_opt, task="sometimes")  # type: ignore[typeddict-item]


def test_health_probes_are_answered_within_a_second_while_a_sync_tool_runs_for_ten() -> None:
    """Runtime V2's pitfall: a sync tool must not block the probes (it runs in a worker thread)."""
    import time

    import httpx

    from agentcore_mcp.server._local import serve_in_thread

    started = threading.Event()

    @tool
    def crunch(seconds: float) -> str:
        """Block for a while, as a CPU-bound or blocking call would."""
        started.set()
        time.sleep(seconds)
        return "done"

    app = AgentCoreMCP("busy", tools=[crunch])
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "crunch", "arguments": {"seconds": 10}},
    }
    with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        result: dict[str, Any] = {}
        caller = threading.Thread(
            target=lambda: result.update(answer=client.post("/mcp", json=call, headers=headers))
        )
        began = time.perf_counter()
        caller.start()
        assert started.wait(5)
        slowest = 0.0
        while caller.is_alive() and time.perf_counter() - began < 9:
            for probe in (
                lambda: client.get("/ping"),
                lambda: client.post(
                    "/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "ping"}, headers=headers
                ),
            ):
                sent = time.perf_counter()
                assert probe().status_code == 200
                slowest = max(slowest, time.perf_counter() - sent)
            time.sleep(0.5)
        caller.join(20)
        assert slowest < 1.0, slowest
        assert time.perf_counter() - began >= 10
        assert result["answer"].json()["result"]["content"][0]["text"] == "done"
