"""The ``AGENTCORE_MCP_*`` variables: named once in ``agentcore_mcp/_settings.py``, read by its readers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from agentcore_mcp import _settings as settings

PACKAGE = Path(__file__).resolve().parents[1] / "agentcore_mcp"
# Status lines the emulator's worker and template processes print on stdout: names, but not variables.
STATUS_LINES = {
    "AGENTCORE_MCP_WORKER_READY",
    "AGENTCORE_MCP_TEMPLATE_READY",
    "AGENTCORE_MCP_FORKED",
    "AGENTCORE_MCP_EXITED",
}


def _spelled_names(path: Path) -> list[str]:
    """``AGENTCORE_MCP_*`` names written as constants in code (docstrings and f-string text are prose)."""
    tree = ast.parse(path.read_text())
    prose: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            prose.update(id(part) for part in node.values)
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            prose.add(id(body[0].value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("AGENTCORE_MCP_")
        and node.value not in STATUS_LINES
        and id(node) not in prose
    ]


def test_every_variable_is_named_only_in_settings() -> None:
    spelled = {
        str(path.relative_to(PACKAGE.parent)): names
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "_settings.py" and "_scaffold" not in path.parts and (names := _spelled_names(path))
    }
    assert not spelled, f"AGENTCORE_MCP_* names outside agentcore_mcp/_settings.py: {spelled}"


def test_text_treats_empty_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.HOST, "  ")
    assert settings.text(settings.HOST) is None
    assert settings.text(settings.HOST, "0.0.0.0") == "0.0.0.0"
    monkeypatch.setenv(settings.HOST, " 127.0.0.1 ")
    assert settings.text(settings.HOST, "0.0.0.0") == "127.0.0.1"


def test_items_split_on_commas_after_the_given_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.ALLOWED_HOSTS, " a.example, ,b.example ")
    assert settings.items(settings.ALLOWED_HOSTS, ["given"]) == ["given", "a.example", "b.example"]
    monkeypatch.delenv(settings.ALLOWED_HOSTS)
    assert settings.items(settings.ALLOWED_HOSTS) == []


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("YES", True), ("on", True), ("0", False), ("Off", False), ("", None)]
)
def test_flags(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool | None) -> None:
    monkeypatch.setenv(settings.TRACING, raw)
    assert settings.flag(settings.TRACING) is expected


def test_a_bad_flag_or_number_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.ALLOW_INSECURE_BEARER, "perhaps")
    with pytest.raises(ValueError, match="AGENTCORE_MCP_ALLOW_INSECURE_BEARER must be one of"):
        settings.flag(settings.ALLOW_INSECURE_BEARER)
    monkeypatch.setenv(settings.PORT, "eighty")
    with pytest.raises(ValueError, match="AGENTCORE_MCP_PORT must be a port number, got 'eighty'"):
        settings.whole_number(settings.PORT, 8000, what="a port number")
    monkeypatch.delenv(settings.PORT)
    assert settings.whole_number(settings.PORT, 8000) == 8000
