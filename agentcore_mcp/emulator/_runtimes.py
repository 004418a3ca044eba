"""Runtimes: what an ARN (or a runtime id plus account id) resolves to, and how that runtime is configured.

A :class:`Runtime` is the emulator's view of one AgentCore MCP runtime: where its MCP server lives (a URL, an
in-process ASGI app, or an app spec started once per session), how callers authenticate, which request
headers reach the server, and its session lifecycle limits. Runtimes come from
:meth:`~agentcore_mcp.emulator.Emulator.add_runtime` or from moto's control plane
(:mod:`agentcore_mcp.emulator._control_plane`).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from agentcore_mcp.emulator._code import CodeBundle

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION",
    "AuthScheme",
    "Isolation",
    "JWTAuthorizer",
    "Runtime",
    "RuntimeRegistry",
    "invocations_path",
    "parse_arn",
    "runtime_arn",
]

AuthScheme = Literal["none", "sigv4", "jwt"]
Isolation = Literal["shared", "process", "snapshot"]

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"

# AgentCore's limits and defaults (lifecycleConfiguration, InvokeAgentRuntime model, developer guide).
DEFAULT_IDLE_TIMEOUT = 900.0
DEFAULT_MAX_LIFETIME = 28_800.0
DEFAULT_START_TIMEOUT = 30.0
MAX_ALLOWLISTED_HEADERS = 20

_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}")
_ARN = re.compile(r"arn:(aws[a-z-]*):bedrock-agentcore:([a-z0-9-]+):(\d{12}):(.+)")
_SUFFIX_ALPHABET = string.ascii_letters + string.digits


def runtime_arn(
    name: str,
    *,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    suffix: str | None = None,
) -> str:
    """A well-formed runtime ARN, ``arn:aws:bedrock-agentcore:<region>:<account>:runtime/<name>-<10 chars>``.

    Raises:
        ValueError: ``name`` is not a valid runtime name (``[a-zA-Z][a-zA-Z0-9_]{0,47}``).
    """
    if not _NAME.fullmatch(name):
        raise ValueError(f"a runtime name must match [a-zA-Z][a-zA-Z0-9_]{{0,47}}, got {name!r}")
    suffix = suffix or "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(10))
    return f"arn:aws:bedrock-agentcore:{region}:{account_id}:runtime/{name}-{suffix}"


def parse_arn(arn: str) -> tuple[str, str, str] | None:
    """``(region, account_id, resource)`` of a bedrock-agentcore ARN, or None when it is not one."""
    match = _ARN.fullmatch(arn)
    return (match.group(2), match.group(3), match.group(4)) if match else None


def invocations_path(arn: str, qualifier: str | None = "DEFAULT") -> str:
    """``/runtimes/<percent-encoded ARN>/invocations?qualifier=...`` (botocore encodes ``:`` and ``/``)."""
    path = f"/runtimes/{quote(arn, safe='')}/invocations"
    return f"{path}?qualifier={quote(qualifier, safe='')}" if qualifier else path


@dataclass(frozen=True)
class JWTAuthorizer:
    """A runtime's custom JWT authorizer (``customJWTAuthorizer`` on AgentCore).

    Attributes:
        discovery_url: the issuer's OpenID discovery document; None means the emulator's own issuer.
        allowed_audience: accepted ``aud`` values (empty: ``aud`` is not checked).
        allowed_clients: accepted ``client_id`` claims (``azp`` or ``aud`` for ID tokens; empty: not checked).
        allowed_scopes: scopes of which the token must carry at least one (empty: not checked).
    """

    discovery_url: str | None = None
    allowed_audience: tuple[str, ...] = ()
    allowed_clients: tuple[str, ...] = ()
    allowed_scopes: tuple[str, ...] = ()


@dataclass
class Runtime:
    """One invocable MCP runtime.

    Attributes:
        arn: the runtime ARN callers put in the invocations URL.
        target: the MCP server: an ``http(s)://.../mcp`` URL, an ASGI app, or (``isolation="process"``) an
            app spec such as ``examples/demo_server.py`` or ``package.module:app``.
        isolation: ``"shared"`` (every session reaches the same target), ``"process"`` (each runtime
            session gets its own server process, like a microVM) or ``"snapshot"`` (each session's process
            is forked from one that imported the app once, as Runtime V2 restores a snapshot).
        auth: ``"none"``, ``"sigv4"`` or ``"jwt"``; a runtime takes one scheme, never both.
        jwt: the JWT authorizer when ``auth == "jwt"``.
        header_allowlist: request headers forwarded to the server besides the platform's own (at most 20;
            ``Authorization`` only on JWT runtimes).
        idle_timeout: seconds without a request after which a session's microVM is gone.
        max_lifetime: seconds after which a session's microVM is gone, busy or not.
        start_timeout: seconds a new microVM may take to become ready (424 beyond it).
        rate_limit: invocations per second allowed on this runtime (None: unlimited), with bursts of
            ``burst``; past it an invocation is throttled (JSON-RPC -32003).
        environment: environment variables for process-isolated servers.
        qualifiers: endpoint names accepted in ``?qualifier=`` (``DEFAULT`` always).
        mcp_path: the server's MCP path when the target is an app spec (``/mcp``).
        source: ``"local"`` (added in process or by the CLI) or ``"control-plane"`` (moto).
        stateful: the server keeps MCP sessions (``stateless_http=False``, our ``sessions=True``): it
            issues the ``Mcp-Session-Id``, which the platform passes back to the caller and routes to that
            session's process by; none is made up for it.
        code: a direct code deployment's zip (a control-plane runtime with ``codeConfiguration``): each
            session runs the zip's entry point in a process of its own, and ``target`` is the zip's
            ``s3://`` location.
    """

    arn: str
    target: Any
    isolation: Isolation = "shared"
    auth: AuthScheme = "none"
    jwt: JWTAuthorizer | None = None
    header_allowlist: tuple[str, ...] = ()
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    max_lifetime: float = DEFAULT_MAX_LIFETIME
    start_timeout: float = DEFAULT_START_TIMEOUT
    rate_limit: float | None = None
    burst: int | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    qualifiers: frozenset[str] = frozenset({"DEFAULT"})
    mcp_path: str = "/mcp"
    source: Literal["local", "control-plane"] = "local"
    protocol: str = "MCP"
    problem: str | None = None  # set when the runtime exists but cannot be invoked locally (-> 424)
    runtime_id: str = ""
    name: str = ""
    stateful: bool = False
    code: CodeBundle | None = None

    def __post_init__(self) -> None:
        parsed = parse_arn(self.arn)
        if parsed is None:
            raise ValueError(f"not a bedrock-agentcore ARN: {self.arn!r}")
        if self.auth not in ("none", "sigv4", "jwt"):
            raise ValueError(f"auth must be 'none', 'sigv4' or 'jwt', got {self.auth!r}")
        if self.isolation not in ("shared", "process", "snapshot"):
            raise ValueError(f"isolation must be 'shared', 'process' or 'snapshot', got {self.isolation!r}")
        if self.auth == "jwt" and self.jwt is None:
            self.jwt = JWTAuthorizer()
        if len(self.header_allowlist) > MAX_ALLOWLISTED_HEADERS:
            raise ValueError(
                f"at most {MAX_ALLOWLISTED_HEADERS} allow-listed headers, got {len(self.header_allowlist)}"
            )
        if self.auth != "jwt" and any(h.lower() == "authorization" for h in self.header_allowlist):
            raise ValueError("Authorization can be allow-listed on JWT runtimes only")
        for name, value in (("idle_timeout", self.idle_timeout), ("max_lifetime", self.max_lifetime)):
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError(f"rate_limit must be positive, got {self.rate_limit!r}")
        if self.isolation in ("process", "snapshot") and not isinstance(self.target, str):
            raise ValueError(
                f"{self.isolation} isolation needs an app spec (a file path or module:attr), not an object"
            )
        self.region, self.account_id, resource = parsed
        self.runtime_id = self.runtime_id or resource.split("/", 1)[-1]
        self.name = self.name or (
            self.runtime_id.rsplit("-", 1)[0] if "-" in self.runtime_id else self.runtime_id
        )
        self.qualifiers = frozenset({"DEFAULT", *self.qualifiers})
        self.allowlist = frozenset(h.lower() for h in self.header_allowlist)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary (the emulator's ``GET /`` lists these)."""
        return {
            "arn": self.arn,
            "runtimeId": self.runtime_id,
            "target": self.target if isinstance(self.target, str) else type(self.target).__name__,
            "isolation": self.isolation,
            "auth": self.auth,
            "source": self.source,
            "idleTimeout": self.idle_timeout,
            "maxLifetime": self.max_lifetime,
            "rateLimit": self.rate_limit,
            "stateful": self.stateful,
            "code": self.code is not None,
        }


class RuntimeRegistry:
    """Runtimes by ARN and by runtime id, plus an optional fallback lookup (the moto control plane)."""

    def __init__(self) -> None:
        self._by_arn: dict[str, Runtime] = {}
        self._by_id: dict[tuple[str, str], Runtime] = {}
        self.fallback: Callable[[str, str | None, str, str], Runtime | None] | None = None

    def add(self, runtime: Runtime) -> Runtime:
        if runtime.arn in self._by_arn:
            raise ValueError(f"a runtime with ARN {runtime.arn} is already registered")
        self._by_arn[runtime.arn] = runtime
        self._by_id[(runtime.account_id, runtime.runtime_id)] = runtime
        return runtime

    def remove(self, arn: str) -> None:
        runtime = self._by_arn.pop(arn)
        self._by_id.pop((runtime.account_id, runtime.runtime_id), None)

    def __iter__(self) -> Any:
        return iter(list(self._by_arn.values()))

    def __len__(self) -> int:
        return len(self._by_arn)

    def resolve(
        self, identifier: str, account_id: str | None, region: str, qualifier: str = "DEFAULT"
    ) -> Runtime | None:
        """The runtime an invocation names: a full ARN, or a runtime id (with ``accountId``).

        ``qualifier`` (an endpoint name or a version) picks a control-plane runtime's version.
        """
        if identifier.startswith("arn:"):
            found = self._by_arn.get(identifier)
        else:
            found = next(
                (
                    r
                    for (acct, rid), r in self._by_id.items()
                    if rid == identifier and account_id in (None, acct)
                ),
                None,
            )
        if found is None and self.fallback is not None:
            found = self.fallback(identifier, account_id, region, qualifier)
        return found


def allowlist_from(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if v.strip())
