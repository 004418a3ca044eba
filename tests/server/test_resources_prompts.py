"""Resources, resource templates, prompts and completion, over real HTTP and through the official client."""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

import anyio
import pytest
from mcp.client import Client

from agentcore_mcp import (
    AgentCoreMCP,
    Completion,
    CompletionRef,
    Context,
    EmbeddedResource,
    Image,
    PromptMessage,
    RegistrationError,
    prompt,
    resource,
)
from agentcore_mcp.server._local import serve_in_thread

from .helpers import legacy_request, modern_request, post, rpc_error

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


class Tier(enum.Enum):
    FREE = "free"
    PRO = "pro"


@resource("docs://readme", title="Read me", mime_type="text/markdown", size=12)
def readme() -> str:
    """The project's read-me."""
    return "# Hello\n"


@resource("img://logo")
def logo() -> bytes:
    return PNG


@resource("users://{user_id}/profile")
async def profile(user_id: int, ctx: Context) -> dict[str, object]:
    """A user's profile."""
    return {"id": user_id, "era": ctx.era}


@resource("files://{+path}")
def files(path: str) -> list[EmbeddedResource]:
    return [
        EmbeddedResource(f"files://{path}", text="a"),
        EmbeddedResource(f"files://{path}.sig", blob=b"\x00"),
    ]


@resource("boom://x")
def boom() -> str:
    raise RuntimeError("disk on fire at /secret/path")


@prompt(title="Review code")
def review(
    code: str, language: Literal["python", "rust", "go"] = "python", tier: Tier = Tier.FREE
) -> list[PromptMessage]:
    """Ask for a code review.

    Args:
        code: The code to review.
        language: Its language.
    """
    return [
        PromptMessage(f"Review this {language} code ({tier.value}):\n{code}"),
        PromptMessage("Sure.", role="assistant"),
    ]


@prompt
def picture() -> list[object]:
    return [Image(PNG, "image/png"), "What is this?"]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    app = AgentCoreMCP("rp", resources=[readme, logo, profile, files, boom], prompts=[review, picture])
    with serve_in_thread(app) as base:
        yield f"{base}/mcp"


def _legacy(url: str, method: str, params: dict[str, object] | None = None) -> dict[str, object]:
    return post(url, legacy_request(method, params)).json()  # type: ignore[no-any-return]


def test_lists_resources_and_templates_with_their_metadata(url: str) -> None:
    resources = _legacy(url, "resources/list")["result"]["resources"]  # type: ignore[index]
    assert resources[0] == {
        "uri": "docs://readme",
        "name": "readme",
        "title": "Read me",
        "description": "The project's read-me.",
        "mimeType": "text/markdown",
        "size": 12,
    }
    assert [r["uri"] for r in resources] == ["docs://readme", "img://logo", "boom://x"]
    templates = _legacy(url, "resources/templates/list")["result"]["resourceTemplates"]  # type: ignore[index]
    assert [t["uriTemplate"] for t in templates] == ["users://{user_id}/profile", "files://{+path}"]


def test_reads_text_binary_json_and_multiple_contents(url: str) -> None:
    assert _legacy(url, "resources/read", {"uri": "docs://readme"})["result"] == {
        "contents": [{"uri": "docs://readme", "mimeType": "text/markdown", "text": "# Hello\n"}]
    }
    blob = _legacy(url, "resources/read", {"uri": "img://logo"})["result"]["contents"][0]  # type: ignore[index]
    assert base64.b64decode(blob["blob"]) == PNG
    assert blob["mimeType"] == "application/octet-stream"
    profile_read = _legacy(url, "resources/read", {"uri": "users://42/profile"})["result"]["contents"][0]  # type: ignore[index]
    assert profile_read == {
        "uri": "users://42/profile",
        "mimeType": "application/json",
        "text": '{"id":42,"era":"legacy"}',
    }
    many = _legacy(url, "resources/read", {"uri": "files://a/b.txt"})["result"]["contents"]  # type: ignore[index]
    assert [c["uri"] for c in many] == ["files://a/b.txt", "files://a/b.txt.sig"]


def test_template_variables_are_validated(url: str) -> None:
    response = post(url, legacy_request("resources/read", {"uri": "users://abc/profile"}))
    assert rpc_error(response) == (200, -32602)
    assert "user_id" in response.json()["error"]["message"]


def test_unknown_resource_is_32002_legacy_and_32602_modern_with_the_uri(url: str) -> None:
    legacy = post(url, legacy_request("resources/read", {"uri": "nope://x"}))
    assert rpc_error(legacy) == (200, -32002)
    assert legacy.json()["error"]["data"] == {"uri": "nope://x"}
    body, headers = modern_request("resources/read", {"uri": "nope://x"})
    modern = post(url, body, headers=headers)
    assert rpc_error(modern) == (400, -32602)
    assert modern.json()["error"]["data"] == {"uri": "nope://x"}


@pytest.mark.parametrize("escaped", ["%2e%2e%2fSECRET.txt", "%2E%2E%2FSECRET.txt", "..%2fSECRET.txt"])
def test_a_template_value_cannot_read_a_file_outside_its_folder(escaped: str, tmp_path: Path) -> None:
    base = tmp_path / "public"
    base.mkdir()
    (base / "hello.txt").write_text("hello")
    (tmp_path / "SECRET.txt").write_text("the-secret")

    @resource("file:///{name}")
    def read_file(name: str) -> str:
        return (base / name).read_text()  # the naive handler: the template alone must keep it in base

    with serve_in_thread(AgentCoreMCP("files", resources=[read_file])) as root:
        served = f"{root}/mcp"
        assert _legacy(served, "resources/read", {"uri": "file:///hello.txt"})["result"]["contents"][0][
            "text"
        ] == ("hello")
        legacy = post(served, legacy_request("resources/read", {"uri": f"file:///{escaped}"}))
        assert rpc_error(legacy) == (200, -32002)
        body, headers = modern_request("resources/read", {"uri": f"file:///{escaped}"})
        modern = post(served, body, headers=headers)
        assert rpc_error(modern) == (400, -32602)
        assert "the-secret" not in legacy.text + modern.text


def test_a_failing_reader_is_an_internal_error_without_detail(url: str) -> None:
    response = post(url, legacy_request("resources/read", {"uri": "boom://x"}))
    assert rpc_error(response) == (200, -32603)
    assert "secret" not in response.text


def test_modern_read_carries_cache_hints(url: str) -> None:
    body, headers = modern_request("resources/read", {"uri": "docs://readme"})
    result = post(url, body, headers=headers).json()["result"]
    assert (result["resultType"], result["ttlMs"], result["cacheScope"]) == ("complete", 0, "private")


def test_prompts_list_and_get(url: str) -> None:
    prompts = _legacy(url, "prompts/list")["result"]["prompts"]  # type: ignore[index]
    assert prompts[0] == {
        "name": "review",
        "title": "Review code",
        "description": "Ask for a code review.",
        "arguments": [
            {"name": "code", "required": True, "description": "The code to review."},
            {"name": "language", "required": False, "description": "Its language."},
            {"name": "tier", "required": False},
        ],
    }
    got = _legacy(url, "prompts/get", {"name": "review", "arguments": {"code": "x=1", "tier": "pro"}})[
        "result"
    ]
    assert got == {
        "description": "Ask for a code review.",
        "messages": [
            {"role": "user", "content": {"type": "text", "text": "Review this python code (pro):\nx=1"}},
            {"role": "assistant", "content": {"type": "text", "text": "Sure."}},
        ],
    }
    picture_result = _legacy(url, "prompts/get", {"name": "picture"})["result"]["messages"]  # type: ignore[index]
    assert picture_result[0]["content"]["type"] == "image"
    assert picture_result[1]["content"] == {"type": "text", "text": "What is this?"}


def test_prompt_errors(url: str) -> None:
    assert rpc_error(post(url, legacy_request("prompts/get", {"name": "review", "arguments": {}}))) == (
        200,
        -32602,
    )
    assert rpc_error(post(url, legacy_request("prompts/get", {"name": "nope"}))) == (200, -32602)
    assert rpc_error(post(url, legacy_request("prompts/get", {"name": "review", "arguments": [1]}))) == (
        200,
        -32602,
    )


def test_completion_from_literal_and_enum_parameters(url: str) -> None:
    def complete(arg: str, value: str) -> dict[str, object]:
        params = {"ref": {"type": "ref/prompt", "name": "review"}, "argument": {"name": arg, "value": value}}
        return _legacy(url, "completion/complete", params)["result"]["completion"]  # type: ignore[index, return-value]

    assert complete("language", "r") == {"values": ["rust"]}
    assert complete("language", "") == {"values": ["python", "rust", "go"]}
    assert complete("tier", "p") == {"values": ["pro"]}
    assert complete("code", "x") == {"values": []}
    bad = {"ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "a", "value": ""}}
    assert rpc_error(post(url, legacy_request("completion/complete", bad))) == (200, -32602)


def test_custom_completion_handler_with_context_and_fallback() -> None:
    app = AgentCoreMCP("c", resources=[profile], prompts=[review])

    @app.completion
    async def complete(
        ref: CompletionRef, argument: str, value: str, others: Mapping[str, str]
    ) -> Completion | None:
        if ref.type == "ref/resource":
            return Completion([f"{value}{i}" for i in range(150)])
        if argument == "code":
            return Completion([f"{others.get('language', '?')}:{value}"])
        return None

    with serve_in_thread(app) as base:
        url = f"{base}/mcp"
        res = {
            "ref": {"type": "ref/resource", "uri": "users://{user_id}/profile"},
            "argument": {"name": "user_id", "value": "7"},
        }
        answer = _legacy(url, "completion/complete", res)["result"]["completion"]  # type: ignore[index]
        assert len(answer["values"]) == 100
        assert (answer["total"], answer["hasMore"]) == (150, True)
        code = {
            "ref": {"type": "ref/prompt", "name": "review"},
            "argument": {"name": "code", "value": "x"},
            "context": {"arguments": {"language": "go"}},
        }
        assert _legacy(url, "completion/complete", code)["result"]["completion"] == {"values": ["go:x"]}  # type: ignore[index]
        lang = {
            "ref": {"type": "ref/prompt", "name": "review"},
            "argument": {"name": "language", "value": "g"},
        }
        assert _legacy(url, "completion/complete", lang)["result"]["completion"] == {"values": ["go"]}  # type: ignore[index]


def test_capabilities_follow_what_is_registered(url: str) -> None:
    init = _legacy(
        url,
        "initialize",
        {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    )["result"]
    assert init["capabilities"] == {
        "logging": {},
        "resources": {"listChanged": False, "subscribe": False},  # type: ignore[index]
        "prompts": {"listChanged": False},
        "completions": {},
    }


def test_registration_errors() -> None:
    app = AgentCoreMCP("r", resources=[readme])
    with pytest.raises(RegistrationError, match="already registered"):
        app.add_resource(readme)
    with pytest.raises(RegistrationError, match="needs a URI"):
        app.add_resource(lambda: "x")
    with pytest.raises(RegistrationError, match="no matching parameter"):
        app.add_resource(lambda: "x", "a://{x}", name="t")
    with pytest.raises(RegistrationError, match="not variables"):
        app.add_resource(lambda y: "x", "a://{x}/b", name="t2")
    with pytest.raises(RegistrationError, match="absolute URI"):
        resource("relative/path")
    app.add_prompt(review)
    with pytest.raises(RegistrationError, match="already registered"):
        app.add_prompt(review)


async def test_official_client_reads_resources_and_gets_prompts_in_both_eras(url: str) -> None:
    for mode in ("legacy", "2026-07-28"):
        with anyio.fail_after(20):
            async with Client(url, mode=mode) as client:  # type: ignore[arg-type]
                listed = await client.list_resources()
                assert [str(r.uri) for r in listed.resources][:2] == ["docs://readme", "img://logo"]
                read = await client.read_resource("users://5/profile")
                assert (
                    read.contents[0].text
                    == f'{{"id":5,"era":"{"legacy" if mode == "legacy" else "modern"}"}}'
                )  # type: ignore[union-attr]
                got = await client.get_prompt("review", {"code": "pass", "language": "go"})
                assert got.messages[0].content.text == "Review this go code (free):\npass"  # type: ignore[union-attr]
                done = await client.complete(
                    {"type": "ref/prompt", "name": "review"}, {"name": "language", "value": "py"}
                )  # type: ignore[arg-type]
                assert done.completion.values == ["python"]
