"""Every page of the documentation runs: README.md and docs/*.md, block by block (see runner.py).

Run one page: ``.venv/bin/pytest tests/docs -k quickstart`` (the test id is the page's file name).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.runner import REPO, RUN_LANGUAGES, fenced_blocks, page_environment, pages, run_page


@pytest.mark.parametrize("page", pages(), ids=lambda path: str(path.relative_to(REPO)))
def test_every_block_of_the_page_runs(page: Path) -> None:
    with page_environment() as state:
        run_page(page, state)
    runnable = [language for language in fenced_blocks(page) if language in RUN_LANGUAGES]
    assert len(state.executed) + len(state.parsed) == len(runnable), (state.executed, state.parsed)
    print(f"{page.name}: {len(state.executed)} blocks executed, {len(state.parsed)} parsed")


def test_a_page_gets_no_aws_settings_from_the_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    # What this test process has (CI's or a developer's AWS variables) must not reach a page: a block that
    # needs an endpoint or credentials shows them, as the pages' offline setup blocks do.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-test-run")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "http://127.0.0.1:1")
    monkeypatch.setenv("AGENTCORE_MCP_TARGET", "http://127.0.0.1:1/mcp")
    with page_environment() as state:
        assert not [key for key in state.env if key.startswith(("AWS_", "AGENTCORE_MCP_", "BOTO_"))]
        assert state.env["HOME"] == str(state.cwd)  # no ~/.aws of the machine either
        assert not state.servers  # and no AgentCore started behind the page's back
