"""OAuth token providers for :class:`~agentcore_mcp.client.BearerAuth` (and ``bearer_token=``).

Each source is a zero-argument async callable returning an access token, the ``TokenProvider`` shape
``BearerAuth`` takes; ``BearerAuth`` decides when to call it (first use, shortly before a JWT's ``exp``, once
after a 401) and shares one call between concurrent requests. The sources only know how to get a token:

* :class:`CommandToken`: the output of a command (``--token-command``).
* :class:`ClientCredentials`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) at the token endpoint
  named by an OpenID discovery document (or given directly).
* :class:`AuthorizationCode`: a person at a desktop. The authorization-code grant with PKCE (RFC 7636, S256)
  through a loopback redirect (RFC 8252 §7.3: ``http://127.0.0.1:PORT/callback``, served by uvicorn for the one
  request), the browser opened with :mod:`webbrowser` (which honours ``$BROWSER``); the refresh token kept in
  a :class:`TokenCache` so later calls, and later runs, use it instead of the browser.

:class:`TokenCache` stores refresh tokens in the OS keyring when the ``keyring`` package is installed and
has a usable backend, else in a JSON file only the user can read and write (mode 0600).

Usage: ``AgentCoreTransport(url, bearer_token=ClientCredentials(client_id, secret, discovery_url=...))``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import importlib
import json
import logging
import os
import secrets
import shlex
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx

__all__ = ["AuthorizationCode", "ClientCredentials", "CommandToken", "OAuthError", "TokenCache"]

from agentcore_mcp.client._tls import verifying_context
from agentcore_mcp.errors import OAuthError

logger = logging.getLogger("agentcore_mcp.client.oauth")


@dataclass(frozen=True)
class _Grant:
    """A token endpoint's answer: the access token, and the refresh token when one came."""

    access_token: str
    refresh_token: str | None = None


class CommandToken:
    """The stripped standard output of ``command`` (run by the shell, as git's credential helpers are).

    Its standard input is the null device and its standard error is passed through (for prompts and
    errors). A command that fails, times out or prints other than one line raises :class:`OAuthError`.
    """

    def __init__(self, command: str | Sequence[str], *, timeout: float = 120.0) -> None:
        self.command = command
        self.timeout = timeout

    async def __call__(self) -> str:
        shell = isinstance(self.command, str)
        shown = self.command if isinstance(self.command, str) else shlex.join(self.command)
        try:
            done = await anyio.to_thread.run_sync(
                lambda: subprocess.run(
                    self.command,
                    shell=shell,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=sys.stderr,
                    timeout=self.timeout,
                    check=False,
                )
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OAuthError(f"the token command {shown!r} failed: {exc}") from exc
        token = done.stdout.decode(errors="replace").strip()
        if done.returncode != 0 or not token or "\n" in token:
            raise OAuthError(
                f"the token command {shown!r} exited with {done.returncode} and printed "
                f"{'nothing' if not token else 'more than one line'}; it must print one token"
            )
        return token

    async def aclose(self) -> None:
        """Nothing to release (the same interface as the other sources)."""


class _Endpoints:
    """An issuer's endpoints, from its discovery document (fetched once) or given directly."""

    def __init__(self, discovery_url: str | None, token_url: str | None, http: httpx.AsyncClient) -> None:
        if discovery_url is None and token_url is None:
            raise ValueError("pass a discovery URL (…/.well-known/openid-configuration) or a token URL")
        self.discovery_url = discovery_url
        self._token_url = token_url
        self._document: dict[str, Any] | None = None
        self._http = http

    async def document(self) -> dict[str, Any]:
        if self._document is None:
            if self.discovery_url is None:
                self._document = {"token_endpoint": self._token_url}
            else:
                try:
                    response = await self._http.get(self.discovery_url)
                    response.raise_for_status()
                    document = response.json()
                except (httpx.HTTPError, ValueError) as exc:
                    raise OAuthError(
                        f"could not read the discovery document {self.discovery_url}: {exc}"
                    ) from exc
                if not isinstance(document, dict) or not isinstance(document.get("token_endpoint"), str):
                    raise OAuthError(f"the discovery document {self.discovery_url} names no token_endpoint")
                self._document = document
        return self._document

    async def token_url(self) -> str:
        return self._token_url or str((await self.document())["token_endpoint"])

    async def authorization_url(self) -> str:
        url = (await self.document()).get("authorization_endpoint")
        if not isinstance(url, str):
            raise OAuthError(f"the discovery document {self.discovery_url} names no authorization_endpoint")
        return url

    @property
    def key(self) -> str:
        return self.discovery_url or self._token_url or ""


async def _token_request(
    http: httpx.AsyncClient, url: str, form: Mapping[str, str], auth: tuple[str, str] | None = None
) -> _Grant:
    try:
        response = await http.post(url, data=dict(form), auth=auth or httpx.USE_CLIENT_DEFAULT)
    except httpx.HTTPError as exc:
        raise OAuthError(f"the token endpoint {url} is unreachable: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code != 200 or not isinstance(answer, dict) or not answer.get("access_token"):
        detail = answer if isinstance(answer, dict) else response.text[:300]
        raise OAuthError(f"the token endpoint {url} answered HTTP {response.status_code}: {detail}")
    # expires_in is not kept: BearerAuth renews by the JWT's own exp (Cognito's and most issuers' access
    # tokens are JWTs); an opaque token is renewed after the 401 it earns.
    refresh = answer.get("refresh_token")
    return _Grant(str(answer["access_token"]), refresh if isinstance(refresh, str) else None)


class ClientCredentials:
    """The client-credentials grant: ``client_id``/``client_secret`` for a token (HTTP Basic, RFC 6749 §2.3.1)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        discovery_url: str | None = None,
        token_url: str | None = None,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.scopes = tuple(scopes)
        self.audience = audience
        self._http = http_client or httpx.AsyncClient(timeout=30, verify=verifying_context())
        self._owns_http = http_client is None
        self._endpoints = _Endpoints(discovery_url, token_url, self._http)

    async def __call__(self) -> str:
        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        if self.audience:
            form["audience"] = self.audience
        url = await self._endpoints.token_url()
        return (await _token_request(self._http, url, form, (self.client_id, self._secret))).access_token

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


class TokenCache:
    """Refresh tokens by (issuer, client id): the OS keyring when usable, else a 0600 JSON file.

    ``path`` defaults to ``$XDG_CACHE_HOME/agentcore-mcp/tokens.json`` (``~/.cache/...``).
    ``use_keyring=False`` always uses the file.

    The file is written to a fresh ``mkstemp`` name in the same folder (``O_EXCL``, 0600 from the start)
    and moved into place with ``os.replace``; it is read with ``O_NOFOLLOW`` and ignored unless it is
    this user's and private. A folder others can write (group or world, without the sticky bit) is
    refused with :class:`OAuthError` naming it.
    """

    SERVICE = "agentcore-mcp"

    def __init__(self, path: str | os.PathLike[str] | None = None, *, use_keyring: bool = True) -> None:
        if path is None:
            base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
            path = os.path.join(base, "agentcore-mcp", "tokens.json")
        self.path = Path(path)
        self._keyring = _usable_keyring() if use_keyring else None

    @property
    def where(self) -> str:
        return "the OS keyring" if self._keyring is not None else str(self.path)

    def get(self, key: str) -> str | None:
        if self._keyring is not None:
            try:
                value: str | None = self._keyring.get_password(self.SERVICE, key)
                return value
            except Exception as exc:
                logger.warning("could not read the keyring: %s", exc)
                return None
        value = self._read().get(key)
        return value if isinstance(value, str) else None

    def put(self, key: str, refresh_token: str | None) -> None:
        if self._keyring is not None:
            try:
                if refresh_token is None:
                    self._keyring.delete_password(self.SERVICE, key)
                else:
                    self._keyring.set_password(self.SERVICE, key, refresh_token)
            except Exception as exc:
                logger.warning("could not write the keyring: %s", exc)
            return
        entries = self._read()
        if refresh_token is None:
            entries.pop(key, None)
        else:
            entries[key] = refresh_token
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._check_folder()
        # mkstemp: a fresh, unpredictable name opened with O_CREAT | O_EXCL and mode 0600, so a symlink or
        # file planted in the folder is never written through; os.replace then swaps the name itself
        # (a symlink at the cache path is replaced, not followed). Nothing is chmod-ed by path.
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # already 0600 from mkstemp; said on the descriptor for clarity
            with os.fdopen(fd, "w") as file:
                json.dump(entries, file)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _check_folder(self) -> None:
        """Refuse (:class:`OAuthError`) a cache folder others may write, as ssh refuses such a ``~/.ssh``.

        A folder writable by its group or by others is refused unless it has the sticky bit and belongs
        to this user or to root (``/tmp``): there nobody else can rename or remove this user's files.
        A missing folder passes (it is made 0700 on the first write).
        """
        folder = self.path.parent
        try:
            info = folder.stat()
        except FileNotFoundError:
            return
        shared = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        owners = {0, os.getuid()} if hasattr(os, "getuid") else set()
        if shared and not (info.st_mode & stat.S_ISVTX and info.st_uid in owners):
            raise OAuthError(
                f"refusing the token cache folder {folder}: other users can write to it "
                f"(mode {stat.S_IMODE(info.st_mode):o}); use a private folder (chmod go-w, or 0700)"
            )

    def _read(self) -> dict[str, Any]:
        self._check_folder()
        try:
            # O_NOFOLLOW: a symlink planted at the cache path is not read through (ELOOP, ignored below)
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            logger.warning("ignoring the token cache %s: %s", self.path, exc)
            return {}
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if info.st_mode & 0o077:
                logger.warning(
                    "ignoring %s: readable by other users (mode %o)", self.path, stat.S_IMODE(info.st_mode)
                )
                return {}
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                logger.warning("ignoring %s: owned by another user (uid %d)", self.path, info.st_uid)
                return {}
            try:
                data = json.loads(file.read())
            except (OSError, ValueError) as exc:
                logger.warning("ignoring the token cache %s: %s", self.path, exc)
                return {}
        return data if isinstance(data, dict) else {}


def _usable_keyring() -> Any:
    try:
        keyring: Any = importlib.import_module("keyring")  # optional, untyped
        backend = keyring.get_keyring()
    except Exception:  # not installed, or no backend can load
        return None
    if type(backend).__module__.startswith("keyring.backends.fail") or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


class AuthorizationCode:
    """The authorization-code grant with PKCE through a loopback redirect, for a person at a desktop.

    A cached refresh token is tried first; when there is none, or the issuer refuses it, the browser is
    opened at the authorization endpoint (``open_browser(url)``, default :func:`webbrowser.open`; the URL is
    also logged) and the redirect is awaited on ``http://127.0.0.1:PORT/callback`` (``redirect_port=0``: a
    free port, which RFC 8252 §7.3 allows; register a fixed one with issuers that match ports exactly) for
    at most ``login_timeout`` seconds. Public clients send no secret; pass ``client_secret`` for confidential
    ones.
    """

    def __init__(
        self,
        client_id: str,
        *,
        discovery_url: str,
        scopes: Sequence[str] = (),
        client_secret: str | None = None,
        redirect_port: int = 0,
        cache: TokenCache | None = None,
        open_browser: Callable[[str], Any] | None = None,
        login_timeout: float = 300.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.client_id = client_id
        self.scopes = tuple(scopes)
        self._secret = client_secret
        self.redirect_port = redirect_port
        self.cache = cache if cache is not None else TokenCache()
        self._open_browser = open_browser
        self.login_timeout = login_timeout
        self._http = http_client or httpx.AsyncClient(timeout=30, verify=verifying_context())
        self._owns_http = http_client is None
        self._endpoints = _Endpoints(discovery_url, None, self._http)
        self._refresh_token: str | None = None
        self.logins = 0  # browser logins done (for tests and logs)

    @property
    def _cache_key(self) -> str:
        return f"{self._endpoints.key} {self.client_id}"

    def _auth(self) -> tuple[str, str] | None:
        return (self.client_id, self._secret) if self._secret else None

    async def __call__(self) -> str:
        """A fresh access token: from the refresh token when there is one, else from a browser login."""
        refresh_token = self._refresh_token or self.cache.get(self._cache_key)
        if refresh_token:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.client_id,
            }
            try:
                token = await _token_request(
                    self._http, await self._endpoints.token_url(), form, self._auth()
                )
            except OAuthError as exc:
                logger.info("the refresh token was refused (%s); logging in again", exc)
            else:
                self._keep(token.refresh_token or refresh_token)
                return token.access_token
        token = await self.login()
        self._keep(token.refresh_token)
        return token.access_token

    def _keep(self, refresh_token: str | None) -> None:
        if refresh_token != self._refresh_token:
            self._refresh_token = refresh_token
            self.cache.put(self._cache_key, refresh_token)

    async def login(self) -> _Grant:
        """Run the browser login once; the tokens it yields."""
        authorization_url = await self._endpoints.authorization_url()
        token_url = await self._endpoints.token_url()
        verifier = secrets.token_urlsafe(64)  # 86 characters of the unreserved set (RFC 7636 §4.1)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(24)
        async with _LoopbackRedirect(self.redirect_port, state) as redirect:
            query = {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect.uri,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "state": state,
            }
            if self.scopes:
                query["scope"] = " ".join(self.scopes)
            separator = "&" if urlsplit(authorization_url).query else "?"
            url = f"{authorization_url}{separator}{urlencode(query)}"
            logger.warning(
                "log in at %s (waiting %g s for the redirect to %s)", url, self.login_timeout, redirect.uri
            )
            await anyio.to_thread.run_sync(self._open, url)
            try:
                with anyio.fail_after(self.login_timeout):
                    params = await redirect.wait()
            except TimeoutError:
                raise OAuthError(f"no login within {self.login_timeout:g} s") from None
        if "error" in params:
            raise OAuthError(
                f"the login was refused: {params['error']} {params.get('error_description', '')}".strip()
            )
        code = params.get("code")
        if not code:
            raise OAuthError("the login redirect carried no code")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect.uri,
            "client_id": self.client_id,
            "code_verifier": verifier,
        }
        token = await _token_request(self._http, token_url, form, self._auth())
        self.logins += 1
        logger.info("logged in; refresh token kept in %s", self.cache.where)
        return token

    def _open(self, url: str) -> None:
        if self._open_browser is not None:
            self._open_browser(url)
            return
        import webbrowser

        if not webbrowser.open(url):
            logger.warning("could not open a browser: open the URL above yourself")

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


_PAGE = b"<!doctype html><meta charset=utf-8><title>agentcore-mcp</title><p>%s You can close this window.</p>"


class _LoopbackRedirect:
    """uvicorn on ``127.0.0.1:port`` for the one redirect of a login (RFC 8252 §7.3).

    Only a ``GET /callback`` carrying ``state`` ends the wait. Any other local process can reach the port,
    so a callback with a wrong or missing state is answered 400 and ignored: it can neither end the login
    nor inject a code; the wait goes on for the right one (bounded by the caller's login timeout).
    """

    def __init__(self, port: int, state: str) -> None:
        self._state = state
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", port))
        self.uri = f"http://127.0.0.1:{self._socket.getsockname()[1]}/callback"
        self._result: asyncio.Future[dict[str, str]] | None = None
        self._server: Any = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _LoopbackRedirect:
        import uvicorn

        self._result = asyncio.get_running_loop().create_future()
        config = uvicorn.Config(
            self._app, interface="asgi3", log_level="warning", lifespan="off", access_log=False, ws="none"
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # the proxy owns SIGINT/SIGTERM
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[self._socket]))
        return self

    async def wait(self) -> dict[str, str]:
        assert self._result is not None
        return await self._result

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with anyio.CancelScope(shield=True):
                await self._task
        self._socket.close()

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] != "/callback" or scope["method"] != "GET":
            await self._answer(send, 404, b"Not the login redirect.")
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        params = {k: v[0] for k, v in query.items()}
        assert self._result is not None
        if not secrets.compare_digest(params.get("state", "").encode(), self._state.encode()):
            await self._answer(send, 400, b"Not this login (wrong state): ignored.", plain=True)
            return
        if self._result.done():
            await self._answer(send, 409, b"This login has already completed.")
            return
        self._result.set_result(params)
        await self._answer(send, 200, b"Login failed." if "error" in params else b"Logged in.")

    async def _answer(self, send: Any, status: int, text: bytes, *, plain: bool = False) -> None:
        body = text + b"\n" if plain else _PAGE % text
        headers = [
            (b"content-type", b"text/plain; charset=utf-8" if plain else b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
