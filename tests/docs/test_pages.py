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
