"""Local OAuth2 credential providers for the emulator's AgentCore Identity: consent on loopback, a token vault.

On AgentCore, a ``USER_FEDERATION`` ``GetResourceOauth2Token`` for which the token vault holds nothing
starts a consent session: it answers an ``authorizationUrl`` and a ``sessionUri``; the user opens the URL
and consents at the provider, AgentCore fetches the provider's token and keeps it in the vault for the
workload and user; the next call (polling with the ``sessionUri``, or a fresh one) gets ``accessToken``.
With a ``resourceOauth2ReturnUrl`` the user's browser is sent there afterwards, and the token is released
only once the application confirms the user with ``CompleteResourceTokenAuth`` (session binding).

Here the provider is ours: its consent page (``GET <endpoint>/identities/oauth2/consent?request_uri=…``)
approves on visit, without a login, and its tokens are signed by the emulator's local issuer. The
``request_uri`` in the URL is the session's only secret, so nothing logs it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, urlencode, urlsplit

__all__ = ["CONSENT_PATH", "SESSION_URI_PREFIX", "ConsentSession", "LocalProviders"]

SESSION_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
CONSENT_PATH = "/identities/oauth2/consent"
SESSION_LIFETIME = 600.0  # seconds a consent session waits for its visit (the SDK polls for 600 s)
TOKEN_LIFETIME = 3600.0

Status = Literal["IN_PROGRESS", "AWAITING_BINDING", "COMPLETE", "FAILED"]
VaultKey = tuple[str, str, str, tuple[str, ...]]  # workload, user, provider, scopes (sorted)


@dataclass
class ConsentSession:
    """One three-legged authorization in flight: who asked, for what, and how far it got."""

    uri: str
    workload: str
    user: str
    provider: str
    scopes: tuple[str, ...]
    return_url: str | None
    custom_state: str | None
    expires: float
    status: Status = "IN_PROGRESS"
    token: str | None = field(default=None, repr=False)

    @property
    def key(self) -> VaultKey:
        return (self.workload, self.user, self.provider, self.scopes)


class LocalProviders:
    """The OAuth2 credential providers the emulator knows, their consent sessions and the token vault.

    Thread-safe enough for tests that read it from another thread: every change is one dict assignment.
    """

    def __init__(self, mint: Callable[..., str], names: Iterable[str] = ()) -> None:
        self._mint = mint
        self.names: set[str] = set(names)
        self.sessions: dict[str, ConsentSession] = {}
        self.vault: dict[VaultKey, tuple[str, float]] = {}
        self.visits = 0  # consent pages approved (for tests)

    def add(self, name: str) -> None:
        """Register an OAuth2 credential provider named ``name`` (CreateOauth2CredentialProvider's role)."""
        self.names.add(name)

    def mint(self, user: str, provider: str, scopes: tuple[str, ...]) -> str:
        """A provider access token for ``user`` (the local issuer signs it; ``client_id`` is the provider)."""
        return self._mint(
            subject=user,
            client_id=provider,
            scopes=list(scopes),
            expires_in=TOKEN_LIFETIME,
            claims={"token_use": "access", "credential_provider": provider},
        )

    def stored(self, key: VaultKey) -> str | None:
        """The vault's unexpired token for ``key``, or None."""
        entry = self.vault.get(key)
        if entry is None or entry[1] < time.time() + 60:
            return None
        return entry[0]

    def start(
        self,
        *,
        workload: str,
        user: str,
        provider: str,
        scopes: tuple[str, ...],
        return_url: str | None,
        custom_state: str | None,
    ) -> ConsentSession:
        """Open a consent session (``sessionUri`` = ``urn:ietf:params:oauth:request_uri:`` + a secret)."""
        uri = SESSION_URI_PREFIX + secrets.token_urlsafe(32)
        session = ConsentSession(
            uri,
            workload,
            user,
            provider,
            scopes,
            return_url,
            custom_state,
            time.monotonic() + SESSION_LIFETIME,
        )
        self.sessions[uri] = session
        return session

    def find(self, uri: str) -> ConsentSession | None:
        session = self.sessions.get(uri)
        if session is not None and session.status == "IN_PROGRESS" and session.expires < time.monotonic():
            session.status = "FAILED"
        return session

    @staticmethod
    def authorization_url(base_url: str, session: ConsentSession) -> str:
        return f"{base_url}{CONSENT_PATH}?{urlencode({'request_uri': session.uri})}"

    def visit(self, query: Mapping[str, str]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """``GET`` the consent page: approve the session at once; the HTTP answer (status, headers, body).

        Without a return URL the token goes to the vault now. With one, the browser is redirected there
        with ``session_id`` (and ``state`` when the request had a ``customState``), and the token waits
        for :meth:`complete`.
        """
        session = self.find(query.get("request_uri", ""))
        if session is None or session.status != "IN_PROGRESS":
            why = "expired or already used" if session is not None else "unknown"
            return 400, _HTML, _page("Authorization failed", f"This authorization request is {why}.")
        session.token = self.mint(session.user, session.provider, session.scopes)
        self.visits += 1
        if session.return_url is None:
            self._store(session)
            return (
                200,
                _HTML,
                _page("Connected", f"{session.provider} is connected. You can close this page."),
            )
        session.status = "AWAITING_BINDING"
        params = {"session_id": session.uri}
        if session.custom_state is not None:
            params["state"] = session.custom_state
        separator = "&" if urlsplit(session.return_url).query else "?"
        location = f"{session.return_url}{separator}{urlencode(params, quote_via=quote)}"
        return 302, [(b"location", location.encode("latin-1"))], b""

    def complete(self, uri: str, user: str) -> str | None:
        """``CompleteResourceTokenAuth``: release a visited session's token to the vault; else why not."""
        session = self.find(uri)
        if session is None:
            return "not found"
        if session.user != user:
            return "mismatch"
        if session.status == "COMPLETE":
            return None
        if session.status != "AWAITING_BINDING":
            return "not authorized yet"
        self._store(session)
        return None

    def _store(self, session: ConsentSession) -> None:
        assert session.token is not None
        session.status = "COMPLETE"
        self.vault[session.key] = (session.token, time.time() + TOKEN_LIFETIME)


_HTML = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store")]


def _page(title: str, text: str) -> bytes:
    from html import escape

    return (
        f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(text)}</p>"
    ).encode()
