"""A local AgentCore Runtime: InvokeAgentRuntime and StopRuntimeSession for MCP runtimes, on loopback.

Real boto3 and plain HTTPS MCP clients talk to it as they would to AgentCore: SigV4 or JWT bearer auth,
session ids generated and echoed, one "microVM" per session (a process of its own when asked), idle
timeout and max lifetime, the platform's header rules and error mapping, SSE streamed as produced. The
control plane is moto's, on the same URL.

Usage in tests (everything here is the stable in-process API)::

    import boto3
    from agentcore_mcp.emulator import Emulator

    emulator = Emulator()                      # region us-east-1, account 123456789012
    runtime = emulator.add_runtime(            # -> Runtime; runtime.arn names it
        "http://127.0.0.1:8000/mcp",           # or an ASGI app, or "examples/demo_server.py"
        auth="sigv4",                          # "none" | "sigv4" | "jwt"
    )
    with emulator.serve() as endpoint_url:     # uvicorn on a free loopback port, in a thread
        client = boto3.client(
            "bedrock-agentcore", endpoint_url=endpoint_url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        client.invoke_agent_runtime(agentRuntimeArn=runtime.arn, payload=b"...",
                                    accept="application/json, text/event-stream", ...)

        # bearer-token clients: a JWT runtime, a token from the local issuer, the invocations URL
        jwt_runtime = emulator.add_runtime(app, name="oauth_mcp", auth="jwt", allowed_clients=["me"])
        token = emulator.mint_token(client_id="me")          # expires_in=-60 -> an expired token
        url = emulator.invocations_url(jwt_runtime)          # .../runtimes/<encoded ARN>/invocations?qualifier=DEFAULT

        # platform behaviour on demand
        emulator.faults.throttle(2)            # next 2 invocations: HTTP 200, JSON-RPC -32003
        emulator.faults.runtime_error()        # next invocation: 424 RuntimeClientError
        emulator.faults.api_error("ThrottlingException", 429)
        emulator.expire_session(session_id)    # next request with that id gets a fresh microVM
        emulator.session(session_id).pid       # the session's server process (isolation="process")

Each session's server is health-probed as the platform does (``health_probe=HealthProbe(...)``, None: off);
a session that fails answers -32010. ``limits=RequestLimits(sync=900, stream=3600)`` are the platform's
request limits. Pass ``clock=`` (monotonic seconds) to drive idle timeouts, lifetimes and rate limits from a test.
``emulator.issuer`` is the local OpenID provider (``discovery_url`` for a runtime's
``customJWTAuthorizer``, ``token_url`` for the client-credentials grant). With the control plane on (the
default), ``boto3.client("bedrock-agentcore-control", endpoint_url=endpoint_url)`` creates runtimes that
are invocable at once; :meth:`Emulator.map_image` says which local target serves a container image.
The CLI is ``agentcore-mcp emulator`` and ``agentcore-mcp dev``; see docs/emulator.md.
"""

from agentcore_mcp._extras import require as _require

_require(
    "agentcore_mcp.emulator",
    "emulator",
    "httpx",
    "botocore",
    "boto3",
    "jwt",
    "cryptography",
    "moto",
    "flask",
    "flask_cors",  # moto's threaded server (the control plane), which moto itself does not require
)

from agentcore_mcp._loader import load_app
from agentcore_mcp.emulator._emulator import LOCAL_CREDENTIALS, Emulator
from agentcore_mcp.emulator._faults import Faults
from agentcore_mcp.emulator._issuer import LocalIssuer
from agentcore_mcp.emulator._limits import RequestLimits
from agentcore_mcp.emulator._microvms import Session
from agentcore_mcp.emulator._probes import HealthProbe
from agentcore_mcp.emulator._runtimes import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    JWTAuthorizer,
    Runtime,
    invocations_path,
    runtime_arn,
)
from agentcore_mcp.emulator._sigv4 import Credentials

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION",
    "LOCAL_CREDENTIALS",
    "Credentials",
    "Emulator",
    "Faults",
    "HealthProbe",
    "JWTAuthorizer",
    "LocalIssuer",
    "RequestLimits",
    "Runtime",
    "Session",
    "invocations_path",
    "load_app",
    "runtime_arn",
]
