"""Interop tests run against whichever major of the ``mcp`` SDK the environment has.

``test_*_mcp2.py`` (marker ``mcp2``) needs mcp 2.x, the main environment; ``test_*_mcp1.py`` (marker
``mcp1``) needs mcp 1.x, the ``.venv-mcp1`` environment that ``make test-mcp1`` runs with ``-m mcp1``;
``test_check.py`` runs under either. Files written for the other major are not collected at all (never
collected-then-skipped); an environment that ends up collecting none of them makes pytest exit with 5.
"""

from __future__ import annotations

import pytest

from agentcore_mcp._interop import sdk_major

collect_ignore_glob = ["test_*_mcp1.py"] if sdk_major() != 1 else ["test_*_mcp2.py"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mcp1: runs with mcp 1.x (make test-mcp1); in tests/interop, only there"
    )
    config.addinivalue_line("markers", "mcp2: needs mcp 2.x (the main environment)")
