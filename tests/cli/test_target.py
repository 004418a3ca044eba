"""The CLI's target options: ``--token-command`` runs a command for a bearer token, and never echoes it."""

from __future__ import annotations

import pytest

from agentcore_mcp.cli._base import Failed
from agentcore_mcp.cli._target import _token_provider

SECRET = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln"


@pytest.mark.parametrize(
    ("command", "detail"),
    [
        (f"echo {SECRET}; exit 3", "3 (no stderr)"),
        (f"echo {SECRET}; echo 'vault: session expired' >&2; exit 1", "1: vault: session expired"),
    ],
)
def test_a_failing_token_command_never_prints_its_stdout(command: str, detail: str) -> None:
    with pytest.raises(Failed) as failed:
        _token_provider(command, timeout=10)
    assert SECRET not in str(failed.value)
    assert str(failed.value) == f"--token-command exited with status {detail}"


def test_a_token_command_that_succeeds_gives_its_token() -> None:
    provider = _token_provider(f"echo {SECRET}", timeout=10)
    assert provider() == SECRET
    assert provider() == SECRET  # run again on each refresh
