"""The client's public surface, and what importing it costs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import agentcore_mcp.client

pytestmark = pytest.mark.mcp1

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "client.md"


def documented_names() -> set[str]:
    """The names in the first column of the "Reference" table of docs/client.md."""
    text = GUIDE.read_text()
    section = text.split("\n## Reference\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))


def test_the_module_exports_exactly_what_the_guide_documents() -> None:
    documented = documented_names()
    assert len(documented) >= 10  # the table was found and read
    assert set(agentcore_mcp.client.__all__) == documented
    assert agentcore_mcp.client.__all__ == sorted(agentcore_mcp.client.__all__)
    for name in agentcore_mcp.client.__all__:
        assert getattr(agentcore_mcp.client, name) is not None


def test_nothing_public_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(agentcore_mcp.client).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("agentcore_mcp")
    }
    assert public <= set(agentcore_mcp.client.__all__)


def test_importing_the_client_imports_neither_the_sdk_nor_boto3() -> None:
    code = (
        "import sys, agentcore_mcp.client, agentcore_mcp._session\n"
        "loaded = [m for m in ('mcp', 'mcp_types', 'boto3', 'botocore') if m in sys.modules]\n"
        "print(','.join(loaded))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_the_serving_path_does_not_import_the_client() -> None:
    code = "import sys, agentcore_mcp\nprint('agentcore_mcp.client' in sys.modules, 'httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False False"
