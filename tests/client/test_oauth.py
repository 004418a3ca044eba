"""The OAuth client's secrets stay on this machine's user: the token cache file and the login redirect.

The token cache holds refresh tokens: it is written through a fresh ``mkstemp`` name (never a predictable
one a local attacker could plant a symlink at) and refused in folders others can write. The PKCE login's
loopback listener can be reached by any local process: a callback without the login's ``state`` is
answered 400 and does not end the login.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import httpx
import pytest

from agentcore_mcp.client import TokenCache
from agentcore_mcp.client._oauth import OAuthError, _LoopbackRedirect


def test_a_symlink_planted_at_the_temporary_or_the_cache_path_never_receives_the_token(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    cache = TokenCache(folder / "tokens.json", use_keyring=False)
    # The names an attacker could guess: the old writer's ".tokens.json.<pid>" and the cache path itself.
    os.symlink(victim, folder / f".tokens.json.{os.getpid()}")
    os.symlink(victim, cache.path)
    cache.put("issuer client", "refresh-secret")
    assert victim.read_text() == "untouched"
    assert not cache.path.is_symlink()  # the symlink itself was replaced, not followed
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert json.loads(cache.path.read_text()) == {"issuer client": "refresh-secret"}
    assert cache.get("issuer client") == "refresh-secret"
    leftovers = {p.name for p in folder.iterdir()} - {"tokens.json", f".tokens.json.{os.getpid()}"}
    assert leftovers == set()  # the temporary file was moved into place, none left behind


def test_a_symlink_at_the_cache_path_is_not_read_through(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    planted = tmp_path / "planted.json"
    planted.write_text(json.dumps({"issuer client": "attacker-token"}))
    planted.chmod(0o600)
    os.symlink(planted, folder / "tokens.json")
    assert TokenCache(folder / "tokens.json", use_keyring=False).get("issuer client") is None


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722])
def test_a_cache_folder_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(mode)
    cache = TokenCache(folder / "tokens.json", use_keyring=False)
    with pytest.raises(OAuthError, match="other users can write") as refused:
        cache.put("issuer client", "refresh-secret")
    assert str(folder) in str(refused.value)
    assert list(folder.iterdir()) == []  # nothing written
    with pytest.raises(OAuthError, match="other users can write"):
        cache.get("issuer client")


def test_a_sticky_folder_of_this_user_is_accepted(tmp_path: Path) -> None:
    folder = tmp_path / "sticky"
    folder.mkdir()
    folder.chmod(0o1777)  # like /tmp: nobody else may rename or remove this user's files there
    cache = TokenCache(folder / "tokens.json", use_keyring=False)
    cache.put("issuer client", "r1")
    assert cache.get("issuer client") == "r1"


async def test_a_callback_with_a_wrong_or_missing_state_is_400_and_the_login_goes_on() -> None:
    async with _LoopbackRedirect(0, "the-right-state") as redirect:
        waiting = asyncio.ensure_future(redirect.wait())
        async with httpx.AsyncClient(timeout=10) as client:
            for query in (
                {"code": "forged", "state": "wrong"},
                {"code": "forged"},
                {"error": "access_denied"},
            ):
                answer = await client.get(redirect.uri, params=query)
                assert answer.status_code == 400
                assert "wrong state" in answer.text
            await asyncio.sleep(0.05)
            assert not waiting.done()  # none of them ended the login
            answer = await client.get(redirect.uri, params={"code": "real", "state": "the-right-state"})
            assert answer.status_code == 200
        assert await asyncio.wait_for(waiting, 5) == {"code": "real", "state": "the-right-state"}
