"""The Skills extension (SEP-2640) on the server: reading skill folders, and its methods over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore_mcp import AgentCoreMCP, Limits, RegistrationError, Skills, tool
from agentcore_mcp.server._local import serve_in_thread

from .helpers import legacy_request, modern_request, post, rpc_error

EXAMPLE_SKILLS = Path(__file__).resolve().parents[2] / "examples" / "skills"
EXTENSION = "io.modelcontextprotocol/skills"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\0\1"  # not UTF-8 text: served as a blob


def write_skill(root: Path, name: str, frontmatter: str | None = None, **files: bytes | str) -> Path:
    """A skill folder ``root/name`` with a SKILL.md (frontmatter given or a valid one) and ``files``."""
    folder = root / name
    folder.mkdir(parents=True)
    head = frontmatter if frontmatter is not None else f"name: {name}\ndescription: The {name} skill\n"
    (folder / "SKILL.md").write_text(f"---\n{head}---\n\n# {name}\n")
    for path, data in files.items():
        target = folder / path.replace("__", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- reading skill folders ----------------------------------------------------------------------------------


def test_a_folder_of_skills_yields_each_skill_with_digests_and_sizes_of_the_bytes_on_disk(
    tmp_path: Path,
) -> None:
    write_skill(tmp_path, "alpha", **{"references__guide.md": "# Guide\n", "scripts__run.py": "print(1)\n"})
    write_skill(tmp_path, "beta")
    (tmp_path / "not-a-skill").mkdir()  # a folder without SKILL.md is not a skill
    skills = Skills(tmp_path)
    assert list(skills.skills) == ["skill://alpha/SKILL.md", "skill://beta/SKILL.md"]
    alpha = skills.skills["skill://alpha/SKILL.md"].entry
    assert [r["uri"] for r in alpha["resources"]] == [
        "skill://alpha/SKILL.md",
        "skill://alpha/references/guide.md",
        "skill://alpha/scripts/run.py",
    ]
    for resource in alpha["resources"]:
        data = (tmp_path / "alpha" / resource["uri"].removeprefix("skill://alpha/")).read_bytes()
        assert resource == {"uri": resource["uri"], "digest": sha256(data), "size": len(data)}
    assert alpha["frontmatter"] == {"name": "alpha", "description": "The alpha skill"}


def test_one_skill_folder_is_a_source_too_and_a_prefix_nests_its_uris(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "refunds")
    skills = Skills(folder, prefix="acme/billing")
    assert list(skills.skills) == ["skill://acme/billing/refunds/SKILL.md"]


def test_package_data_is_read_through_importlib_resources() -> None:
    skills = Skills(importlib.resources.files("examples") / "skills")
    assert list(skills.skills) == ["skill://release-notes/SKILL.md"]
    entry = skills.skills["skill://release-notes/SKILL.md"].entry
    on_disk = (EXAMPLE_SKILLS / "release-notes" / "SKILL.md").read_bytes()
    assert entry["resources"][0] == {"uri": entry["uri"], "digest": sha256(on_disk), "size": len(on_disk)}


def test_frontmatter_is_published_verbatim_as_yaml_1_2_reads_it(tmp_path: Path) -> None:
    head = (
        "name: dates\ndescription: Keeps dates as text\nreleased: 2026-01-01\nexperimental: yes\n"
        "stable: false\nmetadata:\n  owner: team-a\n  tags: [one, two]\n"
    )
    write_skill(tmp_path, "dates", head)
    entry = Skills(tmp_path).skills["skill://dates/SKILL.md"].entry
    assert entry["frontmatter"] == {
        "name": "dates",
        "description": "Keeps dates as text",
        "released": "2026-01-01",
        "experimental": "yes",
        "stable": False,
        "metadata": {"owner": "team-a", "tags": ["one", "two"]},
    }


def test_hidden_files_and_bytecode_folders_are_not_part_of_a_skill(tmp_path: Path) -> None:
    write_skill(tmp_path, "tidy", **{".DS_Store": b"\0", "__pycache____x.pyc": b"\0", "notes.txt": "n\n"})
    (tmp_path / "tidy" / "__pycache__").mkdir(exist_ok=True)
    entry = Skills(tmp_path).skills["skill://tidy/SKILL.md"].entry
    assert [r["uri"] for r in entry["resources"]] == ["skill://tidy/SKILL.md", "skill://tidy/notes.txt"]


@pytest.mark.parametrize(
    ("frontmatter", "folder", "message"),
    [
        ("", "plain", "does not begin with"),
        ("name: other\ndescription: d\n", "mine", "must equal the folder name"),
        ("name: mine\n", "mine", "no non-empty 'description'"),
        ("name: [unclosed\ndescription: d\n", "mine", "not valid YAML"),
        ("name: Bad_Name\ndescription: d\n", "Bad_Name", "naming rules"),
        ("name: dated\ndescription: d\nwhen: !!timestamp 2026-01-01\n", "dated", "JSON cannot carry"),
    ],
)
def test_a_skill_that_breaks_the_format_is_refused_when_the_extension_is_made(
    tmp_path: Path, frontmatter: str, folder: str, message: str
) -> None:
    target = tmp_path / folder
    target.mkdir()
    text = f"---\n{frontmatter}---\nbody\n" if frontmatter else "# no frontmatter\n"
    (target / "SKILL.md").write_text(text)
    with pytest.raises(RegistrationError, match=message):
        Skills(target)


def test_a_skill_over_the_file_limit_is_refused(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "huge")
    for index in range(512):
        (folder / f"f{index}.txt").write_text("x")
    with pytest.raises(RegistrationError, match="513 files"):
        Skills(folder)


def test_a_source_without_skills_and_two_skills_at_one_uri_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistrationError, match="no skill in"):
        Skills(tmp_path)
    folder = write_skill(tmp_path, "twin")
    with pytest.raises(RegistrationError, match="two skills would be served"):
        Skills(folder, folder)


def test_a_server_without_skills_never_imports_the_extension_or_yaml() -> None:
    code = (
        "import sys\nfrom agentcore_mcp import AgentCoreMCP\nAgentCoreMCP('x').capabilities('modern')\n"
        "print([m for m in ('yaml', 'agentcore_mcp.server._skills', 'agentcore_mcp._skill_format') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


# -- the methods, over HTTP -------------------------------------------------------------------------------


@tool
def ping_tool() -> str:
    return "pong"


@pytest.fixture(scope="module")
def skill_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("skills")
    write_skill(
        root,
        "pdf-processing",
        **{"references__FORMS.md": "# Forms\n", "templates__regional__eu.md": "EU\n", "logo.png": PNG_BYTES},
    )
    write_skill(root, "zeta")
    return root


@pytest.fixture(scope="module")
def url(skill_root: Path) -> Iterator[str]:
    app = AgentCoreMCP(
        "skills", tools=[ping_tool], extensions=[Skills(skill_root)], limits=Limits(page_size=1)
    )
    with serve_in_thread(app) as base:
        yield f"{base}/mcp"


def call(url: str, era: str, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    if era == "modern":
        body, headers = modern_request(method, params)
        response = post(url, body, headers=headers)
    else:
        response = post(url, legacy_request(method, params or {}))
    answer: dict[str, Any] = response.json()
    return answer


ERAS = ["modern", "legacy"]


@pytest.mark.parametrize("era", ERAS)
def test_the_extension_is_declared_with_directory_read_beside_the_resources_capability(
    url: str, era: str
) -> None:
    if era == "modern":
        caps = call(url, era, "server/discover")["result"]["capabilities"]
    else:
        caps = call(url, era, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}})["result"][
            "capabilities"
        ]
    assert caps["extensions"][EXTENSION] == {"directoryRead": True}
    assert "resources" in caps


@pytest.mark.parametrize("era", ERAS)
def test_skills_list_pages_through_whole_entries(url: str, era: str, skill_root: Path) -> None:
    first = call(url, era, "skills/list")["result"]
    assert [s["uri"] for s in first["skills"]] == ["skill://pdf-processing/SKILL.md"]
    assert len(first["skills"][0]["resources"]) == 4  # a page holds whole entries, however many files
    second = call(url, era, "skills/list", {"cursor": first["nextCursor"]})["result"]
    assert [s["uri"] for s in second["skills"]] == ["skill://zeta/SKILL.md"]
    assert "nextCursor" not in second
    if era == "modern":
        assert (first["resultType"], first["ttlMs"], first["cacheScope"]) == ("complete", 0, "private")
    else:
        assert "ttlMs" not in first
        assert "resultType" not in first


@pytest.mark.parametrize("era", ERAS)
def test_skills_get_answers_the_entry_and_minus_32602_for_an_unknown_uri(url: str, era: str) -> None:
    listed = call(url, era, "skills/list")["result"]["skills"][0]
    got = call(url, era, "skills/get", {"uri": listed["uri"]})["result"]
    assert got["skill"] == listed
    assert "nextCursor" not in got
    unknown = call(url, era, "skills/get", {"uri": "skill://nope/SKILL.md"})
    assert unknown["error"]["code"] == -32602
    assert "skill://nope/SKILL.md" in unknown["error"]["message"]


@pytest.mark.parametrize("era", ERAS)
def test_directories_list_their_direct_children_and_a_file_is_not_a_directory(url: str, era: str) -> None:
    root = call(url, era, "resources/directory/read", {"uri": "skill://pdf-processing"})["result"]
    children = list(root["resources"])
    cursor = root.get("nextCursor")
    while cursor:  # page_size=1: one child per page
        page = call(url, era, "resources/directory/read", {"uri": "skill://pdf-processing", "cursor": cursor})
        children += page["result"]["resources"]
        cursor = page["result"].get("nextCursor")
    assert [(c["name"], c["mimeType"]) for c in children] == [
        ("SKILL.md", "text/markdown"),
        ("logo.png", "image/png"),
        ("references", "inode/directory"),
        ("templates", "inode/directory"),
    ]
    nested = call(url, era, "resources/directory/read", {"uri": "skill://pdf-processing/templates"})["result"]
    assert nested["resources"] == [
        {
            "uri": "skill://pdf-processing/templates/regional",
            "name": "regional",
            "mimeType": "inode/directory",
        }
    ]
    for not_a_directory in ("skill://pdf-processing/SKILL.md", "skill://missing"):
        error = call(url, era, "resources/directory/read", {"uri": not_a_directory})["error"]
        assert error["code"] == -32602


@pytest.mark.parametrize("era", ERAS)
def test_skill_files_are_ordinary_resources_with_the_exact_bytes_on_disk(
    url: str, era: str, skill_root: Path
) -> None:
    listed = call(url, era, "resources/list")["result"]
    page = listed["resources"][0]  # page_size=1: the first skill's SKILL.md, named from its frontmatter
    assert page == {
        "uri": "skill://pdf-processing/SKILL.md",
        "name": "pdf-processing",
        "description": "The pdf-processing skill",
        "mimeType": "text/markdown",
        "size": len((skill_root / "pdf-processing" / "SKILL.md").read_bytes()),
    }
    text = call(url, era, "resources/read", {"uri": "skill://pdf-processing/SKILL.md"})["result"]["contents"][
        0
    ]
    assert text["text"].encode() == (skill_root / "pdf-processing" / "SKILL.md").read_bytes()
    blob = call(url, era, "resources/read", {"uri": "skill://pdf-processing/logo.png"})["result"]["contents"][
        0
    ]
    assert (blob["mimeType"], base64.b64decode(blob["blob"])) == ("image/png", PNG_BYTES)


def test_without_directory_read_the_method_is_not_served_and_prefix_levels_are_directories(
    tmp_path: Path,
) -> None:
    folder = write_skill(tmp_path, "refunds")
    plain = AgentCoreMCP("p", extensions=[Skills(folder, prefix="acme/billing", directory_read=False)])
    nested = AgentCoreMCP("n", extensions=[Skills(folder, prefix="acme/billing")])
    assert plain.capabilities("modern")["extensions"] == {EXTENSION: {}}
    with serve_in_thread(plain) as base:
        body, headers = modern_request("resources/directory/read", {"uri": "skill://acme/billing/refunds"})
        assert rpc_error(post(f"{base}/mcp", body, headers=headers)) == (404, -32601)
    with serve_in_thread(nested) as base:
        top = call(f"{base}/mcp", "modern", "resources/directory/read", {"uri": "skill://acme"})["result"]
    assert top["resources"] == [
        {"uri": "skill://acme/billing", "name": "billing", "mimeType": "inode/directory"}
    ]


def test_tools_are_served_beside_skills(url: str) -> None:
    answer = call(url, "legacy", "tools/call", {"name": "ping_tool", "arguments": {}})
    assert answer["result"]["content"][0]["text"] == "pong"
    body, headers = modern_request("skills/nope")
    assert rpc_error(post(url, body, headers=headers)) == (404, -32601)
