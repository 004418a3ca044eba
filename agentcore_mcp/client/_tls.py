"""The TLS contexts of the HTTP clients this package creates: the trust store loaded once per process.

Building httpx's default context loads a whole CA bundle (certifi's, or ``SSL_CERT_FILE`` /
``SSL_CERT_DIR``), 0.05-0.15 s each time, and every ``httpx.AsyncClient`` built without ``verify=`` builds
its own (one per proxy mount more). The clients this package creates share :func:`verifying_context`
instead, and a client that only ever speaks plain HTTP gets :func:`no_tls_context`, which loads nothing.
Clients passed in by the user are never touched.
"""

from __future__ import annotations

import os
import ssl
import threading

__all__ = ["no_tls_context", "verifying_context"]

_lock = threading.Lock()
_verifying: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def verifying_context() -> ssl.SSLContext:
    """httpx's default context (certifi, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), shared process-wide.

    Built on first use, again only when those variables change. httpx's own defaults apply (hostname
    checks, certificates required); the HTTP/1.1-only clients sharing it agree on its ALPN setting.
    """
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _lock:  # one load even when transports are first used from several threads at once
        context = _verifying.get(key)
        if context is None:
            import httpx

            context = _verifying[key] = httpx.create_ssl_context()
        return context


def no_tls_context() -> ssl.SSLContext:
    """A context for a client whose every request is plain ``http://``: it trusts no certificate.

    Such a client never opens TLS; were one attempted anyway, it would fail verification (fail closed)
    rather than connect unverified. Costs well under a millisecond: no CA bundle is loaded.
    """
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED are its defaults
