"""Fixtures for the reliability tests: the hostile-tools app, driven in process on one event loop."""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings

from agentcore_mcp import AgentCoreMCP

from .apps import build_app

T = TypeVar("T")

# Derandomized by default so CI sees the same examples every run; RELIABILITY_RANDOM=1 explores.
_RANDOM = os.environ.get("RELIABILITY_RANDOM") == "1"
# Long runs (benchmarks/fuzz_surfaces.py) scale every budget; CI runs the budgets as written.
_SCALE = float(os.environ.get("RELIABILITY_SCALE", "1"))


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * _SCALE)),
        deadline=None,
        derandomize=not _RANDOM,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


class Runner:
    """Runs coroutines on one event loop in a background thread (cheap per hypothesis example)."""

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal

    def __call__(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        return self._portal.call(functools.partial(fn, *args, **kwargs))


@pytest.fixture(scope="module")
def run() -> Iterator[Runner]:
    with start_blocking_portal() as portal:
        yield Runner(portal)


@pytest.fixture(scope="module")
def app() -> AgentCoreMCP:
    return build_app()


def write_tally(surface: str, requests: int, outcomes: dict[str, int], failures: int = 0) -> None:
    """Write a surface's outcome counts to ``$RELIABILITY_TALLY_DIR/<surface>.json`` (long runs only)."""
    folder = os.environ.get("RELIABILITY_TALLY_DIR")
    if not folder:
        return
    import json
    from pathlib import Path

    path = Path(folder) / f"{surface}.json"
    path.write_text(json.dumps({"requests": requests, "outcomes": outcomes, "failures": failures}, indent=2))
