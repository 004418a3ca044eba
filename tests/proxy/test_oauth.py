"""OAuth through the proxy, against the emulator's issuer and a JWT runtime.

The browser login is the real path: the proxy opens ``$BROWSER`` (tests/proxy/browser.py, which follows
the issuer's redirect to the proxy's loopback callback), exchanges the code with its PKCE verifier, keeps
the refresh token in a 0600 file; the client's BearerAuth calls the source again shortly before a token
expires and after a 401.
"""

from __future__ import annotations

import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentcore_mcp.client import TokenCache

from .conftest import CLIENT, Emulated
from .raw import RawProxy, call
from .test_sdk_clients import proxied, text

pytestmark = pytest.mark.mcp1
BROWSER = f"{sys.executable} {Path(__file__).with_name('browser.py')} %s"


@pytest.fixture
def issuer(emulated: Emulated) -> Iterator[Any]:
    issuer = emulated.emulator.issuer
    lifetime = issuer.access_token_lifetime
    yield issuer
    issuer.access_token_lifetime = lifetime


def login_args(emulated: Emulated, cache: Path, *extra: str) -> list[str]:
    return [
        emulated.url(emulated.jwt),
        "--oauth",
        "login",
        "--client-id",
        CLIENT,
        "--discovery-url",
        emulated.emulator.issuer.discovery_url,
        "--token-cache",
        str(cache),
        "--log-level",
        "INFO",
        *extra,
    ]


def with_browser(emulated: Emulated, browser: str) -> Emulated:
    return Emulated(
        emulated.emulator,
        emulated.endpoint_url,
        emulated.sigv4,
        emulated.jwt,
        emulated.open,
        emulated.stateful,
        {**emulated.env, "BROWSER": browser},
    )


def grants(issuer: Any) -> dict[str, int]:
    return dict(issuer.grants)


async def test_a_browser_login_with_pkce_then_the_cached_refresh_token(
    emulated: Emulated, issuer: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "tokens.json"
    before = grants(issuer)
    with anyio.fail_after(60):
        async with proxied(with_browser(emulated, BROWSER), login_args(emulated, cache)) as session:
            assert text(await session.call_tool("add_numbers", {"a": 2, "b": 3})) == "5"
    assert grants(issuer).get("authorization_code", 0) == before.get("authorization_code", 0) + 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    [(key, refresh_token)] = __import__("json").loads(cache.read_text()).items()
    assert key.endswith(f" {CLIENT}")
    assert refresh_token

    # The next run needs no browser: a browser that fails would fail the login.
    with anyio.fail_after(60):
        async with proxied(with_browser(emulated, "false %s"), login_args(emulated, cache)) as session:
            assert text(await session.call_tool("add_numbers", {"a": 1, "b": 1})) == "2"
    after = grants(issuer)
    assert after.get("authorization_code", 0) == before.get("authorization_code", 0) + 1
    assert after.get("refresh_token", 0) == before.get("refresh_token", 0) + 1
    assert __import__("json").loads(cache.read_text())[key] != refresh_token  # rotated, and kept


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The emulator's log lines for invocations it refused with 401."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "agentcore_mcp.emulator" and "→ 401" in r.getMessage()
    ]


def test_tokens_are_renewed_before_they_expire(
    emulated: Emulated, issuer: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # AgentCore refuses tokens expiring within a minute; the proxy renews a JWT 90 s before its exp, so a
    # 93 s token is due for renewal 2-3 s after it was issued (exp is whole seconds), half a minute before
    # the runtime would refuse it.
    caplog.set_level("INFO", logger="agentcore_mcp.emulator")
    issuer.access_token_lifetime = 93
    proxy = RawProxy(
        emulated.command(*login_args(emulated, tmp_path / "t.json")), {**emulated.env, "BROWSER": BROWSER}
    )
    try:
        proxy.handshake()
        proxy.send(call(0, "add_numbers", {"a": 0, "b": 0}))  # initialized has been posted too
        assert "result" in proxy.answer(0)
        before = grants(issuer)
        anyio.run(anyio.sleep, 3.2)
        proxy.send(call(1, "add_numbers", {"a": 1, "b": 2}))
        assert proxy.answer(1)["result"]["structuredContent"] == {"result": 3}
        assert grants(issuer).get("refresh_token", 0) > before.get("refresh_token", 0)
        proxy.close_stdin()
        assert proxy.wait() == 0
    finally:
        proxy.kill()
    assert refusals(caplog) == []  # renewed ahead, never refused
    assert "Traceback" not in proxy.stderr


def test_a_401_mid_session_renews_the_token_and_resends(
    emulated: Emulated, issuer: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="agentcore_mcp.emulator")
    proxy = RawProxy(
        emulated.command(*login_args(emulated, tmp_path / "t.json")), {**emulated.env, "BROWSER": BROWSER}
    )
    try:
        proxy.handshake()
        proxy.send(call(1, "add_numbers", {"a": 1, "b": 2}))
        assert "result" in proxy.answer(1)
        before = grants(issuer)
        issuer.rotate_key()  # every token issued so far stops verifying: the runtime answers 401
        proxy.send(call(2, "add_numbers", {"a": 2, "b": 2}))
        assert proxy.answer(2)["result"]["structuredContent"] == {"result": 4}
        assert grants(issuer).get("refresh_token", 0) == before.get("refresh_token", 0) + 1
    finally:
        proxy.kill()
    assert len(refusals(caplog)) == 1  # the old token once, then the renewed one was accepted


def test_client_credentials_from_the_discovery_document(emulated: Emulated, issuer: Any) -> None:
    before = grants(issuer)
    args = [
        emulated.url(emulated.jwt),
        "--oauth",
        "client-credentials",
        "--client-id",
        CLIENT,
        "--discovery-url",
        issuer.discovery_url,
        "--scope",
        "mcp/invoke",
    ]
    proxy = RawProxy(emulated.command(*args), {**emulated.env, "AGENTCORE_MCP_CLIENT_SECRET": "s3cret"})
    try:
        proxy.handshake()
        proxy.send(call(1, "greet_user", {"name": "Cy"}))
        assert proxy.answer(1)["result"]["content"][0]["text"] == "Hello, Cy! Nice to meet you."
    finally:
        proxy.kill()
    assert grants(issuer).get("client_credentials", 0) == before.get("client_credentials", 0) + 1


def test_a_token_command_is_run_again_after_a_401(emulated: Emulated, issuer: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(emulated.token() + "\n")
    proxy = RawProxy(
        emulated.command(emulated.url(emulated.jwt), "--token-command", f"cat {token_file}"), emulated.env
    )
    try:
        proxy.handshake()
        issuer.rotate_key()
        token_file.write_text(emulated.token() + "\n")  # what the command prints now verifies again
        proxy.send(call(1, "add_numbers", {"a": 5, "b": 5}))
        assert proxy.answer(1)["result"]["structuredContent"] == {"result": 10}
    finally:
        proxy.kill()


def test_a_static_token_refused_is_a_clear_jsonrpc_error(emulated: Emulated) -> None:
    proxy = RawProxy(
        emulated.command(emulated.url(emulated.jwt), "--bearer-token", "not-a-jwt"), emulated.env
    )
    try:
        proxy.send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            }
        )
        error = proxy.answer(1)["error"]
        assert error["code"] == -32001
        assert "HTTP 401" in error["message"]
    finally:
        proxy.kill()


def test_the_token_cache_file_is_private_and_ignored_when_it_is_not(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "sub" / "tokens.json", use_keyring=False)
    cache.put("issuer client", "r1")
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.path.parent.stat().st_mode) == 0o700
    assert cache.get("issuer client") == "r1"
    cache.path.chmod(0o644)  # someone made it readable by others: it is not trusted
    assert cache.get("issuer client") is None
    cache.path.chmod(0o600)
    cache.put("issuer client", None)
    assert cache.get("issuer client") is None
