"""Every client configuration in docs/proxy.md, parsed, and its exact command line run against the emulator.

The emulator serves runtimes at the page's ARNs (SigV4, and a JWT one for the browser-login example) and
the page's AWS profile ``dev`` exists (its own keys, which only the emulator accepts, so the profile is
what signs). ``agentcore-mcp`` is found on ``PATH`` as a desktop client finds it. The one substitution: the
OAuth example's Cognito discovery URL becomes the emulator issuer's.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from .conftest import ROOT

PAGE = ROOT / "docs" / "proxy.md"
BROWSER = f"{sys.executable} {Path(__file__).with_name('browser.py')} %s"
COGNITO = re.compile(r"https://cognito-idp\.[^\"' ]+/\.well-known/openid-configuration")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(), re.S)


def configurations() -> list[tuple[str, dict[str, Any]]]:
    """(name, server entry) for every server in the page's JSON blocks and its `claude mcp add` line."""
    found = []
    for text in blocks("json"):
        document = json.loads(text)
        servers = document.get("mcpServers") or document.get("servers")  # VS Code says "servers"
        assert servers, text
        for name, entry in servers.items():
            assert entry.get("type", "stdio") == "stdio"
            found.append((name, entry))
    for text in blocks("text"):
        for line in text.splitlines():
            if line.startswith("claude mcp add"):
                words = shlex.split(line)
                command = words[words.index("--") + 1 :]
                found.append(
                    (
                        f"claude mcp add {words[words.index('--') - 1]}",
                        {"command": command[0], "args": command[1:]},
                    )
                )
    return found


def test_the_page_has_a_configuration_for_each_client() -> None:
    text = PAGE.read_text()
    for heading in ("## Claude Desktop", "## Claude Code", "## VS Code", "## Cursor"):
        assert heading in text
    assert len(configurations()) == 6  # four clients, `claude mcp add`, and the OAuth example


@pytest.fixture(scope="module")
def page_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    from agentcore_mcp.emulator import Emulator
    from tests.proxy.app import app

    emulator = Emulator(credentials={"DEVKEY": "devsecret"}, control_plane=False, region="us-west-2")
    arns = set(re.findall(r"arn:aws:bedrock-agentcore:us-west-2:\d{12}:runtime/[\w-]+", PAGE.read_text()))
    for arn in sorted(arns):
        if "oauth" in arn:
            emulator.add_runtime(app, arn=arn, auth="jwt", allowed_clients=["my-app-client-id"])
        else:
            emulator.add_runtime(app, arn=arn, auth="sigv4")
    aws = tmp_path_factory.mktemp("aws")
    (aws / "config").write_text("[profile dev]\nregion = us-west-2\n")
    (aws / "credentials").write_text("[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = devsecret\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    bin_dir = Path(sys.executable).parent
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        AWS_CONFIG_FILE=str(aws / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"),
        BROWSER=BROWSER,
        XDG_CACHE_HOME=str(tmp_path_factory.mktemp("cache")),
    )
    with emulator.serve() as endpoint_url:
        env["AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"] = endpoint_url
        yield emulator, env


@pytest.mark.parametrize(("name", "entry"), configurations(), ids=[name for name, _ in configurations()])
async def test_each_configuration_runs_as_written(
    page_emulator: tuple[Any, dict[str, str]], name: str, entry: dict[str, Any]
) -> None:
    emulator, env = page_emulator
    args = [COGNITO.sub(emulator.issuer.discovery_url, arg) for arg in entry.get("args", [])]
    assert entry["command"] == "agentcore-mcp"
    params = StdioServerParameters(command=entry["command"], args=args, env={**env, **entry.get("env", {})})
    with anyio.fail_after(60):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            names = {tool.name for tool in (await session.list_tools()).tools}
            if "--read-only" in args:
                assert names == {"look_up"}
                result = await session.call_tool("look_up", {"key": "k"})
            else:
                assert "add_numbers" in names
                result = await session.call_tool("add_numbers", {"a": 2, "b": 3})
            assert result.model_dump(by_alias=True)["isError"] is False, result
