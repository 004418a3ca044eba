"""RFC 6570 template matching."""

from __future__ import annotations

import pytest

from agentcore_mcp.server._uritemplate import UriTemplate


@pytest.mark.parametrize(
    ("template", "uri", "expected"),
    [
        ("test://template/{id}/data", "test://template/123/data", {"id": "123"}),
        ("test://template/{id}/data", "test://template/a%20b/data", {"id": "a b"}),
        ("test://template/{id}/data", "test://template/1/2/data", None),
        ("file:///{+path}", "file:///etc/hosts", {"path": "etc/hosts"}),
        ("doc://a{#section}", "doc://a#intro", {"section": "intro"}),
        ("api://v1{/id}", "api://v1/42", {"id": "42"}),
        ("file://a{.ext}", "file://a.txt", {"ext": "txt"}),
        ("map://{x,y}", "map://3,4", {"x": "3", "y": "4"}),
        ("search://q{?term,page}", "search://q?page=2&term=mcp", {"term": "mcp", "page": "2"}),
        ("search://q{?term,page}", "search://q", {}),
        ("search://q{?term}", "search://q?other=1", None),
        ("search://q?a=1{&page}", "search://q?a=1&page=3", {"page": "3"}),
        ("plain://x", "plain://x", {}),
        ("plain://x", "plain://y", None),
    ],
)
def test_match(template: str, uri: str, expected: dict[str, str] | None) -> None:
    assert UriTemplate(template).match(uri) == expected


@pytest.mark.parametrize("template", ["a://{x", "a://x}", "a://{x}{x}", "a://{bad-name}"])
def test_malformed_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match=r"template|variable"):
        UriTemplate(template)


@pytest.mark.parametrize(
    "uri",
    [
        "file:///%2e%2e%2fSECRET.txt",  # ../SECRET.txt, lower-case escapes
        "file:///%2E%2E%2FSECRET.txt",  # upper-case
        "file:///..%2fSECRET.txt",  # dots plain, the slash escaped
        "file:///..%5cSECRET.txt",  # a backslash, a separator on Windows
        "file:///%2e%2e",  # exactly ..
        "file:///..",
        "file:///.",
        "file:///a%2Fb",
    ],
)
def test_a_one_segment_value_never_decodes_to_a_path_step(uri: str) -> None:
    assert UriTemplate("file:///{name}").match(uri) is None
    assert UriTemplate("api://v1{/name}").match(uri.replace("file:///", "api://v1/")) is None
    assert UriTemplate("file://a{.ext}").match(uri.replace("file:///", "file://a.")) is None


def test_a_one_segment_value_may_hold_dots_inside_a_name() -> None:
    assert UriTemplate("file:///{name}").match("file:///notes..txt") == {"name": "notes..txt"}
    assert UriTemplate("file:///{name}").match("file:///%2e%2eprofile") == {"name": "..profile"}


def test_reserved_expansion_keeps_slashes_and_dots_for_the_handler_to_confine() -> None:
    assert UriTemplate("file:///{+path}").match("file:///a/%2e%2e/b") == {"path": "a/../b"}


def test_regex_special_characters_in_literals_are_literal() -> None:
    assert UriTemplate("a://x.y+z/{id}").match("a://xAy+z/1") is None
    assert UriTemplate("a://x.y+z/{id}").match("a://x.y+z/1") == {"id": "1"}
