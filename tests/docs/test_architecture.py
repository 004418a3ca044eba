"""docs/architecture.md points only at files that exist, and its parts table covers every part of the package."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text()
PACKAGE = ROOT / "agentcore_mcp"

_PATH = re.compile(r"(?<![\w/.<])((?:agentcore_mcp/|tests/|benchmarks/)[\w/.]*|_?[a-z_]+\.py)\b/?")


def test_every_file_the_page_names_exists() -> None:
    names = {path.name for path in PACKAGE.rglob("*.py")} | {"pyproject.toml"}
    missing = []
    for match in _PATH.finditer(PAGE):
        named = match.group(1).rstrip(".")
        if PAGE[match.end(1) : match.end(1) + 1] == "<":
            continue  # a pattern such as tests/cli/test_<name>.py, not a file
        if "/" in named:
            if not (ROOT / named).exists():
                missing.append(named)
        elif named not in names:
            missing.append(named)
    assert not missing, f"docs/architecture.md names files that do not exist: {sorted(set(missing))}"


def test_the_parts_table_covers_every_part() -> None:
    table = PAGE[PAGE.index("## The parts") : PAGE.index("## The server's layers")]
    parts = [p for p in PACKAGE.iterdir() if not p.name.startswith("__") and p.name != "py.typed"]
    uncovered = [
        p.name
        for p in parts
        if (p.is_dir() and f"agentcore_mcp/{p.name}/" not in table)
        or (p.is_file() and p.suffix == ".py" and p.name not in table)
    ]
    assert not uncovered, f"the parts table of docs/architecture.md does not name: {sorted(uncovered)}"
