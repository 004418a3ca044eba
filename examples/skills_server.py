"""A tool server that also ships the instructions for using it: one Agent Skill (the Skills extension, SEP-2640).

``skills/release-notes`` (a ``SKILL.md`` and a template) tells an agent how to turn the ``list_changes``
tool's answer into release notes. The server publishes it with ``skills/list``: the skill's frontmatter and a
manifest of its files with ``sha256`` digests and sizes, computed once at start-up. The files are resources
(``skill://release-notes/SKILL.md``, ``skill://release-notes/templates/release-notes.md``) that a client
reads with ``resources/read`` when it loads the skill, and checks against that manifest
(``agentcore_mcp.client.SkillsClient``). The server never runs anything in a skill.

The skill folder sits next to this module, so it ships inside a code zip or a container image with it (for a
package's data, pass ``importlib.resources.files("mypackage") / "skills"`` instead). Run it with ``python examples/skills_server.py`` (0.0.0.0:8000/mcp) or ``agentcore-mcp serve
examples/skills_server.py``; it needs PyYAML (``pip install "agentcore-mcp[skills]"``).
"""

from pathlib import Path

from agentcore_mcp import AgentCoreMCP, Skills, tool

SKILLS = Path(__file__).resolve().with_name("skills")  # skills/release-notes/SKILL.md and its template


@tool
def list_changes(since: str) -> list[str]:
    """The changes merged since a release tag, one line each (a fixed list in this example).

    Args:
        since: The previous release's tag, e.g. ``v1.2.0``.
    """
    return [f"Add CSV export (merged after {since})", "Fix the date picker on Safari", "Test: cover export"]


app = AgentCoreMCP(
    "release-tools",
    instructions="Write release notes with the release-notes skill (skill://release-notes/SKILL.md).",
    tools=[list_changes],
    extensions=[Skills(SKILLS)],
)

if __name__ == "__main__":
    app.run()
