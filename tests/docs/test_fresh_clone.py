"""On a fresh clone with a non-editable install, every README step works exactly as written.

The clone is of the committed tree (``git clone`` of this repository); its wheel is built offline (hatchling
from this environment, as tests/examples/test_dockerfiles.py does) and installed with ``pip install
--target`` (no editable link back to any source tree); the README's blocks then run with that
installation's ``agentcore-mcp`` first on PATH and its ``agentcore_mcp`` first on the import path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.runner import REPO, RUN_LANGUAGES, fenced_blocks, page_environment, run_page


def _run(*argv: str, cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh clone, and the site directory its wheel was installed into (non-editable)."""
    base = tmp_path_factory.mktemp("fresh")
    clone = base / "clone"
    _run("git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone), cwd=base)
    wheels = base / "wheels"
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet")
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), str(clone), cwd=base)
    (wheel,) = wheels.glob("agentcore_mcp-*.whl")
    site = base / "site"
    _run(*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel), cwd=base)
    return clone, site


def test_every_readme_step_works_as_written_from_a_non_editable_install(installed: tuple[Path, Path]) -> None:
    clone, site = installed
    with page_environment(site / "bin", root=clone, pythonpath=str(site)) as state:
        where = subprocess.run(
            [sys.executable, "-c", "import agentcore_mcp; print(agentcore_mcp.__file__)"],
            env=state.env,
            cwd=state.cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert Path(where).is_relative_to(site), where
        script = (site / "bin" / "agentcore-mcp").read_text()
        assert script.startswith(f"#!{sys.executable}")
        run_page(clone / "README.md", state)
    runnable = [language for language in fenced_blocks(clone / "README.md") if language in RUN_LANGUAGES]
    assert len(state.executed) + len(state.parsed) == len(runnable), (state.executed, state.parsed)
    assert len(state.executed) >= 5, state.executed
    assert os.path.samefile(state.root, clone)
