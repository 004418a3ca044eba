"""Wire literals live in ``agentcore_mcp/_wire.py``: a new one spelled anywhere else fails this test.

A wire literal is a JSON-RPC error code (``-32000`` … ``-32099``, ``-32600`` … ``-32603``, ``-32700``), an MCP
or AgentCore header name, or an MCP extension name, written as a constant in code (docstrings and comments
are prose and do not count). The modules that still spell some are listed with how many: the allowance may
only shrink, so a module that drops one must lower its entry (an allowance above the count fails too),
and a module not listed may spell none.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "agentcore_mcp"
WIRE = PACKAGE / "_wire.py"

_HEADER = re.compile(
    r"(x-amzn?-bedrock-agentcore-[a-z-]+|mcp-session-id|mcp-protocol-version|mcp-method|mcp-name"
    r"|mcp-param-|last-event-id)",
    re.I,
)
_EXTENSION = re.compile(r"io\.modelcontextprotocol/[a-z-]+$")

# What each module still spells, counted by this test's rule; lower an entry when you move literals to _wire.
ALLOWANCE: dict[str, int] = {}


def _prose(tree: ast.AST) -> set[int]:
    """The ids of constants that are prose: docstrings, and the text of f-strings (messages)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.update(id(part) for part in node.values if isinstance(part, ast.Constant))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _is_code(value: int) -> bool:
    return -32099 <= value <= -32000 or -32603 <= value <= -32600 or value == -32700


def literals(path: Path) -> list[str]:
    """The wire literals written as constants in ``path``'s code, as source text."""
    tree = ast.parse(path.read_text(), filename=str(path))
    prose = _prose(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = node.operand
            if isinstance(operand, ast.Constant) and type(operand.value) is int and _is_code(-operand.value):
                found.append(str(-operand.value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str | bytes) and id(node) not in prose:
            value = node.value
            text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
            if _HEADER.fullmatch(text) or _EXTENSION.fullmatch(text):
                found.append(text)
    return found


def counts() -> dict[str, int]:
    result = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == WIRE or "_scaffold" in path.parts:
            continue
        found = literals(path)
        if found:
            result[str(path.relative_to(PACKAGE.parent))] = len(found)
    return result


def test_no_module_spells_more_wire_literals_than_it_is_allowed() -> None:
    actual = counts()
    over = {name: (n, ALLOWANCE.get(name, 0)) for name, n in actual.items() if n > ALLOWANCE.get(name, 0)}
    assert not over, (
        f"wire literals outside agentcore_mcp/_wire.py (found, allowed): {over}; import them from _wire"
    )


def test_the_allowances_are_not_stale() -> None:
    actual = counts()
    stale = {name: (actual.get(name, 0), n) for name, n in ALLOWANCE.items() if actual.get(name, 0) < n}
    assert not stale, f"lower these allowances to what the modules spell now (found, allowed): {stale}"


def test_the_rule_sees_literals_and_ignores_prose(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Mentions mcp-session-id and -32601 in prose."""\n'
        'HEADER = "Mcp-Session-Id"\n'
        "CODE = -32601\n"
        'EXT = "io.modelcontextprotocol/tasks"\n'
        "NOT_A_CODE = -32100\n"
        "# -32700 in a comment\n"
        'MESSAGE = f"Mcp-Param-{1} header is required"\n'
        'RAW = b"x-amzn-bedrock-agentcore-runtime-session-id"\n'
    )
    assert sorted(literals(sample)) == sorted(
        [
            "Mcp-Session-Id",
            "-32601",
            "io.modelcontextprotocol/tasks",
            "x-amzn-bedrock-agentcore-runtime-session-id",
        ]
    )
