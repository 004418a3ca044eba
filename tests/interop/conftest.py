"""Interop tests run against whichever major of the ``mcp`` SDK the environment has.

``test_*_mcp2.py`` files (marker ``mcp2``) need mcp 2.x, ``test_*_mcp1.py`` files (marker ``mcp1``) need
mcp 1.x (the ``.venv-mcp1`` environment); the other files run under either. Files for the other major are
not collected at all (never skipped), and asking for ``-m mcp1`` or ``-m mcp2`` in an environment with the
wrong major is a usage error, so a misconfigured CI job fails instead of passing with nothing run.
"""

from __future__ import annotations

import pytest

from agentcore_mcp.interop import sdk_major

MAJOR = sdk_major()

collect_ignore_glob = ["test_*_mcp1.py"] if MAJOR != 1 else ["test_*_mcp2.py"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mcp1: needs the mcp 1.x SDK (run in .venv-mcp1)")
    config.addinivalue_line("markers", "mcp2: needs the mcp 2.x SDK")
    wanted = (config.option.markexpr or "").strip()
    for major in (1, 2):
        if wanted == f"mcp{major}" and major != MAJOR:
            raise pytest.UsageError(
                f"-m mcp{major} needs mcp {major}.x installed; this environment has {MAJOR}.x"
            )
