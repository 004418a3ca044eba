"""The proxy launched the way agent frameworks launch stdio servers: with most of the environment stripped.

The MCP SDK's ``stdio_client`` (and MCPServerStdio and the other launchers built on it) passes the child
only HOME, PATH, SHELL, TERM, USER and LOGNAME, plus the ``env`` it is given: AWS variables set in the
parent do not reach the proxy.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from .conftest import KEYS, ROOT, Emulated

pytestmark = pytest.mark.mcp1

# No instance metadata lookup (a request off this machine) when the chain finds nothing else.
BARE = {"PYTHONPATH": str(ROOT), "AWS_EC2_METADATA_DISABLED": "true"}


async def tools_through(emulated: Emulated, env: dict[str, str], *extra: str) -> set[str]:
    command = emulated.command(*emulated.sigv4_args(*extra))
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {tool.name for tool in (await session.list_tools()).tools}
        result = await session.call_tool("add_numbers", {"a": 2, "b": 3})
        assert result.content[0].text == "5"  # type: ignore[union-attr]
        return tools


async def test_without_credentials_it_exits_at_start_saying_why(emulated: Emulated) -> None:
    home = tempfile.mkdtemp()
    command = emulated.command(*emulated.sigv4_args())
    params = StdioServerParameters(command=command[0], args=command[1:], env={**BARE, "HOME": home})
    with tempfile.TemporaryFile("w+") as errlog:
        with pytest.raises(Exception):  # noqa: B017, PT011 - the SDK reports the closed pipe its own way
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
        errlog.seek(0)
        stderr = errlog.read()
    assert "no AWS credentials to sign with" in stderr
    assert "launcher's env" in stderr
    assert "Traceback" not in stderr


async def test_the_aws_variables_given_in_env_reach_it(emulated: Emulated) -> None:
    home = tempfile.mkdtemp()
    assert "add_numbers" in await tools_through(emulated, {**BARE, "HOME": home, **KEYS})


async def test_a_profile_from_home_needs_no_variables(emulated: Emulated) -> None:
    home = Path(tempfile.mkdtemp())
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(
        "[agentcore]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    assert "add_numbers" in await tools_through(
        emulated, {**BARE, "HOME": str(home)}, "--profile", "agentcore"
    )
