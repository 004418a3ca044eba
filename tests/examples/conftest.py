"""Example tests that need an optional client stack are collected only where it is installed.

``test_strands_example.py`` needs Strands Agents, which supports mcp 1.x: it runs in the ``.venv-mcp1``
environment (``make test-mcp1``) and is not collected in the main one.
"""

from __future__ import annotations

import importlib.util

collect_ignore: list[str] = []
if importlib.util.find_spec("strands") is None:
    collect_ignore.append("test_strands_example.py")
