"""examples/skills_server.py: a tool and the skill that says how to use it, served and loaded verified."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from agentcore_mcp._loader import load_app
from agentcore_mcp.client import AgentCoreTransport, SkillsClient
from agentcore_mcp.server._local import serve_in_thread

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "skills_server.py"
SKILL_DIR = EXAMPLE.parent / "skills" / "release-notes"

pytestmark = pytest.mark.mcp2


async def test_the_example_serves_its_tool_and_its_skill_and_a_client_loads_it_verified() -> None:
    with serve_in_thread(load_app(str(EXAMPLE))) as base:
        async with Client(AgentCoreTransport(f"{base}/mcp", auth="none")) as client:
            tools = await client.list_tools()
            skills = SkillsClient(client)
            (entry,) = await skills.list()
            text = await skills.load(entry)
            template = await skills.read(entry, "templates/release-notes.md")
            called = await client.call_tool("list_changes", {"since": "v1.0.0"})
    assert [t.name for t in tools.tools] == ["list_changes"]
    assert (entry.uri, entry.description) == (
        "skill://release-notes/SKILL.md",
        "Write release notes for a new version from the merged changes, in the team's format",
    )
    assert "list_changes" in text  # the skill names the tool it is about
    assert text.encode() == (SKILL_DIR / "SKILL.md").read_bytes()
    assert template == (SKILL_DIR / "templates" / "release-notes.md").read_bytes()
    assert not called.is_error
