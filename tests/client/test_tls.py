"""HTTPS: both direct HTTP backends verify the server certificate (against SSL_CERT_FILE here)."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession
from mcp.shared import exceptions

from agentcore_mcp.client import AgentCoreTransport
from agentcore_mcp.server._local import serve_in_thread
from examples.demo_server import app as demo_app

# Every test runs on both transports of the HTTPS backend (the http_transport fixture).
pytestmark = [pytest.mark.mcp1, pytest.mark.usefixtures("http_transport")]

MCPError: type[Exception] = getattr(exceptions, "MCPError", None) or exceptions.McpError


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    cert_file, key_file = self_signed(tmp_path_factory.mktemp("tls"))
    with serve_in_thread(demo_app, ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)) as base:
        yield base.replace("http://", "https://") + "/mcp", cert_file


@pytest.mark.parametrize("backend", ["http", "httpx"])
async def test_https_with_a_trusted_certificate(
    tls: tuple[str, Path], backend: str, http_transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert_file = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    transport = AgentCoreTransport(url, backend=backend)  # type: ignore[arg-type]
    with anyio.fail_after(20):
        async with transport as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("add_numbers", {"a": 20, "b": 22})
    assert result.content[0].text == "42"
    assert transport.backend.sends_with == http_transport  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["http", "httpx"])
async def test_https_with_an_untrusted_certificate_is_refused(
    tls: tuple[str, Path], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = tls
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    transport = AgentCoreTransport(url, backend=backend)  # type: ignore[arg-type]
    failure: BaseException | None = None
    with anyio.fail_after(20):
        async with transport as (read, write), ClientSession(read, write) as session:
            try:
                await session.initialize()
            except MCPError as exc:
                failure = exc
    assert failure is not None
    assert "CERTIFICATE_VERIFY_FAILED" in failure.error.message  # type: ignore[attr-defined]
    assert failure.error.message.startswith("TLS with")  # type: ignore[attr-defined]  # not retried


@pytest.fixture
def trust_store_loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every trust store loaded from now on (``ssl.create_default_context``, what httpx's defaults call),
    with the process-wide context forgotten so that its first build counts too."""
    import ssl

    from agentcore_mcp.client import _tls

    loads: list[object] = []
    real = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        loads.append(kwargs.get("cafile") or kwargs.get("capath"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl, "create_default_context", counting)
    monkeypatch.setattr(_tls, "_verifying", {})
    return loads


def test_a_transport_that_only_checks_its_options_loads_no_trust_store(
    trust_store_loads: list[object],
) -> None:
    # what the CLI does before it opens the transport it sends with
    AgentCoreTransport("https://example.com/mcp")
    AgentCoreTransport("http://127.0.0.1:1/mcp")
    assert trust_store_loads == []


async def test_transports_share_one_trust_store_and_plain_http_needs_none(
    tls: tuple[str, Path], trust_store_loads: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert_file = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    for _ in range(3):
        async with AgentCoreTransport(url) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
    assert trust_store_loads == [str(cert_file)]  # loaded once, for all three

    plain = AgentCoreTransport("http://127.0.0.1:1/mcp").backend
    assert plain.client is not None  # type: ignore[attr-defined]  # built now
    assert trust_store_loads == [str(cert_file)]


def test_the_plain_http_context_fails_closed() -> None:
    import ssl

    from agentcore_mcp.client._tls import no_tls_context

    context = no_tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.get_ca_certs() == []  # trusts nothing: a TLS connection with it cannot be verified
