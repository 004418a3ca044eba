"""Findings of the second reliability round (R2, R3), each kept fixed by its regression test.

R1 (the client transport dropped a request it could not encode and left the caller waiting) is fixed too;
its tests are in tests/client/test_unencodable.py, beside the client they exercise.
"""

from __future__ import annotations


# R2: the emulator copies an Mcp-Session-Id it was given into its answer's headers (and the runtime session id
# header) unchecked: a value with NUL (or CR/LF, through an ASGI server that passes them) makes an answer
# header no HTTP server may send (h11 refuses it: the caller's connection breaks instead of an answer).
# Found by benchmarks/fuzz_atheris.py --surface emulator.
def test_r2_the_emulator_never_echoes_a_session_id_it_could_not_send() -> None:
    from urllib.parse import quote

    import anyio

    from agentcore_mcp.emulator import Emulator
    from tests.reliability import harness
    from tests.reliability.apps import build_app

    emulator = Emulator(control_plane=False)
    emulator.bind("http://127.0.0.1:8999")
    runtime = emulator.add_runtime(build_app(), name="r2")
    path = f"/runtimes/{quote(runtime.arn, safe='')}/invocations"
    for bad in ("abc\x00def", "abc\x01", "x\x7f"):
        scope = harness.http_scope(
            "POST",
            path,
            [
                ("host", "127.0.0.1:8999"),
                ("accept", harness.ACCEPT),
                ("content-type", "application/json"),
                ("mcp-session-id", bad),
            ],
        )
        answer = anyio.run(harness.call, emulator, scope, harness.dumps(harness.legacy("ping")))
        assert answer.raised is None, answer.raised  # the harness refuses a header with NUL: it was sent
        assert answer.status in (200, 400), answer.status  # served under a clean id, or a ValidationException
    anyio.run(emulator.shutdown)


# R3: a signed request whose Host header does not parse as a URL authority ("[", "a]b") makes the emulator's
# SigV4 verifier raise ValueError("Invalid IPv6 URL") out of botocore's urlsplit: HTTP 500 instead of AWS's
# 403 (IncompleteSignature/InvalidSignature). Reachable over real HTTP (h11 accepts any Host value).
# Found by benchmarks/fuzz_surfaces.py (test_fuzz_emulator.py, scaled).
def test_r3_a_signed_request_with_an_unparsable_host_is_refused_not_a_500() -> None:
    from urllib.parse import quote

    import anyio
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
    from botocore.credentials import Credentials  # type: ignore[import-untyped]

    from agentcore_mcp.emulator import Emulator
    from tests.reliability import harness
    from tests.reliability.apps import build_app

    emulator = Emulator(credentials={"AKIDR3": "r3-secret"}, control_plane=False)
    emulator.bind("http://127.0.0.1:8999")
    runtime = emulator.add_runtime(build_app(), name="r3", auth="sigv4")
    path = f"/runtimes/{quote(runtime.arn, safe='')}/invocations"
    body = harness.dumps(harness.legacy("ping"))
    request = AWSRequest(method="POST", url="http://127.0.0.1:8999" + path, data=body, headers={})
    SigV4Auth(Credentials("AKIDR3", "r3-secret"), "bedrock-agentcore", "us-east-1").add_auth(request)
    for host in ("[", "a]b", "[::1"):
        headers = [(k, v) for k, v in request.headers.items()] + [("host", host)]
        headers += [("accept", harness.ACCEPT), ("content-type", "application/json")]
        scope = harness.http_scope("POST", path, headers)
        answer = anyio.run(harness.call, emulator, scope, body)
        assert answer.raised is None, repr(answer.raised)
        assert answer.status in (400, 403), answer.status
        assert answer.header("x-amzn-errortype") is not None
    anyio.run(emulator.shutdown)
