"""What a runtime is made of: :class:`RuntimeSpec` and its parts, checked against the service's limits.

:meth:`RuntimeSpec.validate` checks everything a spec can get wrong before any API call (the limits below
are the ``bedrock-agentcore-control`` service model's), and builds the create and update requests.
:mod:`agentcore_mcp.deploy` sends them; this module calls nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from agentcore_mcp.errors import InvalidRuntimeSpec

__all__ = ["CodeArtifact", "JWTAuthorizerConfig", "NetworkMode", "RuntimeSpec", "WarmupHook", "is_loopback"]

NetworkMode = Literal["PUBLIC", "VPC"]

NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}")
IMAGE = re.compile(
    r"(([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?|public\.ecr\.aws)/"
    r"((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::([^:@]{1,300}))?(?:@(.+))?"
)
ROLE = re.compile(r"arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+")
DISCOVERY = re.compile(r"[^\s?#]+/\.well-known/(openid-configuration|oauth-authorization-server)(/[^\s?#]+)?")
HEADER = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,255}")
SCOPE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]{1,255}")
SUBNET = re.compile(r"subnet-[0-9a-zA-Z]{8,17}")
SECURITY_GROUP = re.compile(r"sg-[0-9a-zA-Z]{8,17}")
HOOK_PATH = re.compile(r"/[A-Za-z0-9._~/-]{0,31}")
PORT_RANGE = (8000, 12000)
RESERVED_PORT = 8443
PLATFORM_VERSIONS = ("V1", "V2")
# The platform's own rules, quoted in the refusals (botocore's model and the developer guide's
# "Configure lifecycle hooks for AgentCore Runtime").
V2_HOOKS_RULE = (
    '"Lifecycle hooks are available for agent runtimes that use platform version V2 on microVMs." '
    "(On V1, the request fails with a ValidationException.)"
)
V2_X86_RULE = '"The X86_64 architecture is supported only with Runtime platform version V2."'
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
CODE_RUNTIMES = ("PYTHON_3_10", "PYTHON_3_11", "PYTHON_3_12", "PYTHON_3_13", "PYTHON_3_14", "NODE_22")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
LIFECYCLE_RANGE = (60, 1_209_600)
MAX_HEADERS = 20
MAX_ENV = 50
MAX_ENV_VALUE = 5000
MAX_DESCRIPTION = 4096


@dataclass(frozen=True)
class JWTAuthorizerConfig:
    """A custom JWT (OAuth) authorizer: callers send ``Authorization: Bearer <token>`` instead of SigV4.

    Args:
        discovery_url: the issuer's OpenID discovery document, ending in ``/.well-known/openid-configuration``
            (for Cognito: ``https://cognito-idp.REGION.amazonaws.com/POOL_ID/.well-known/openid-configuration``).
        allowed_clients: accepted ``client_id`` claims (Cognito access tokens carry ``client_id``).
        allowed_audience: accepted ``aud`` claims.
        allowed_scopes: scopes a token must carry.
    """

    discovery_url: str
    allowed_clients: tuple[str, ...] = ()
    allowed_audience: tuple[str, ...] = ()
    allowed_scopes: tuple[str, ...] = ()

    def validate(self, *, local: bool = False) -> None:
        """Raise :class:`InvalidRuntimeSpec` for a discovery URL or claim list the service would refuse."""
        url = self.discovery_url.strip()
        if DISCOVERY.fullmatch(url) is None:
            hint = ""
            if url and "/.well-known/" not in url:
                hint = f"; did you mean {url.rstrip('/')}/.well-known/openid-configuration?"
            raise InvalidRuntimeSpec(
                "the discovery URL must be the issuer's OpenID discovery document, ending in "
                f"/.well-known/openid-configuration, got {self.discovery_url!r}{hint}"
            )
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and local and is_loopback(url)):
            raise InvalidRuntimeSpec(
                f"the discovery URL must use https:// (http:// only for a local issuer), got {url!r}"
            )
        if not (self.allowed_clients or self.allowed_audience or self.allowed_scopes):
            raise InvalidRuntimeSpec(
                "a JWT authorizer needs allowed clients, an allowed audience or allowed scopes; "
                "without them any token from the issuer would be accepted"
            )
        for kind, values in (("client", self.allowed_clients), ("audience", self.allowed_audience)):
            for value in values:
                if not value or value != value.strip():
                    raise InvalidRuntimeSpec(f"an allowed {kind} must be a non-empty string, got {value!r}")
        for scope in self.allowed_scopes:
            if SCOPE.fullmatch(scope) is None:
                raise InvalidRuntimeSpec(f"an allowed scope is 1-255 printable characters, got {scope!r}")

    def request(self) -> dict[str, Any]:
        """The ``authorizerConfiguration`` value of a create/update request."""
        config: dict[str, Any] = {"discoveryUrl": self.discovery_url.strip()}
        if self.allowed_clients:
            config["allowedClients"] = list(self.allowed_clients)
        if self.allowed_audience:
            config["allowedAudience"] = list(self.allowed_audience)
        if self.allowed_scopes:
            config["allowedScopes"] = list(self.allowed_scopes)
        return {"customJWTAuthorizer": config}


@dataclass(frozen=True)
class WarmupHook:
    """Runtime V2's build-time warm-up hook: one ``POST`` to the container, before any session exists.

    The platform calls it once per create or update (120 s limit, no retry); a failure fails the operation.
    :meth:`agentcore_mcp.AgentCoreMCP.warmup` serves it (``POST /warmup`` by default).

    Args:
        path: the hook's path (``/`` then up to 31 of ``A-Za-z0-9._~/-``); not the MCP path or ``/ping``.
        port: the container port (8000-12000, not 8443); None: the server's port.
    """

    path: str = "/warmup"
    port: int | None = None

    def validate(self) -> None:
        """Raise :class:`InvalidRuntimeSpec` for a path or port the service would refuse."""
        if HOOK_PATH.fullmatch(self.path) is None:
            raise InvalidRuntimeSpec(
                "a hook path begins with / and has up to 32 characters of letters, digits and . _ ~ / -, "
                f"got {self.path!r}"
            )
        if self.path.rstrip("/") in ("/mcp", "/ping"):
            raise InvalidRuntimeSpec(f"the hook path cannot be one the server already serves ({self.path})")
        if self.port is not None:
            low, high = PORT_RANGE
            if not low <= self.port <= high or self.port == RESERVED_PORT:
                raise InvalidRuntimeSpec(
                    f"a hook port is {low}-{high} and not {RESERVED_PORT} (reserved), got {self.port}"
                )

    def request(self) -> dict[str, Any]:
        """The ``hooksConfiguration`` value of a create/update request."""
        action: dict[str, Any] = {"path": self.path}
        if self.port is not None:
            action["port"] = self.port
        return {"build": {"warmup": {"action": {"httpPost": action}}}}


@dataclass(frozen=True)
class CodeArtifact:
    """A code zip in S3 (direct code deployment): what ``agentRuntimeArtifact.codeConfiguration`` names.

    Args:
        bucket: the S3 bucket (the runtime's role needs ``s3:GetObject`` on the object, and ``kms:Decrypt``
            when the bucket encrypts with a customer-managed KMS key).
        key: the object key (``code.s3.prefix`` in the service model).
        entry_point: what the runtime runs, one or two items (``("main.py",)``).
        runtime: the managed runtime (``PYTHON_3_10`` … ``PYTHON_3_14``, ``NODE_22``).
        version_id: the object version (versioned buckets); None: the latest.
    """

    bucket: str
    key: str
    entry_point: tuple[str, ...] = ("main.py",)
    runtime: str = "PYTHON_3_13"
    version_id: str | None = None

    def validate(self) -> None:
        """Raise :class:`InvalidRuntimeSpec` for a location or entry point the service would refuse."""
        if BUCKET.fullmatch(self.bucket) is None:
            raise InvalidRuntimeSpec(f"not an S3 bucket name: {self.bucket!r}")
        if not 1 <= len(self.key) <= 1024:
            raise InvalidRuntimeSpec("an S3 key is 1-1024 characters long")
        if self.runtime not in CODE_RUNTIMES:
            raise InvalidRuntimeSpec(
                f"the runtime is one of {', '.join(CODE_RUNTIMES)}, got {self.runtime!r}"
            )
        if not 1 <= len(self.entry_point) <= 2 or not all(1 <= len(p) <= 128 for p in self.entry_point):
            raise InvalidRuntimeSpec("the entry point is one or two items of 1-128 characters each")
        if self.version_id is not None and not 3 <= len(self.version_id) <= 1024:
            raise InvalidRuntimeSpec("an S3 version id is 3-1024 characters long")

    def request(self) -> dict[str, Any]:
        """The ``codeConfiguration`` value of a create/update request."""
        location: dict[str, Any] = {"bucket": self.bucket, "prefix": self.key}
        if self.version_id:
            location["versionId"] = self.version_id
        return {"code": {"s3": location}, "runtime": self.runtime, "entryPoint": list(self.entry_point)}

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key} ({self.runtime}, {' '.join(self.entry_point)})"


@dataclass(frozen=True)
class RuntimeSpec:
    """Everything :func:`deploy` sends: one MCP runtime (``serverProtocol`` ``MCP``), described in full.

    A deploy of an existing runtime sends the whole spec again, so describe the runtime completely each
    time (a script or a Makefile target is the natural home for the command line).

    Args:
        name: the runtime name, ``[a-zA-Z][a-zA-Z0-9_]{0,47}`` (no hyphens).
        image: the container image in ECR (``ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG`` or ``@sha256:``),
            built for ``linux/arm64``. A local control plane (the emulator) also takes an ``http://`` MCP URL.
            None (or empty) with ``code``.
        role_arn: the execution role the runtime assumes (``arn:aws:iam::ACCOUNT:role/NAME``).
        network_mode: ``PUBLIC`` or ``VPC`` (then ``subnets`` and ``security_groups`` are required).
        authorizer: a JWT authorizer; without one, callers sign with SigV4.
        environment: environment variables for the container (at most 50).
        header_allowlist: request headers passed through to the container (at most 20), e.g.
            ``Authorization`` (JWT runtimes) or ``X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant``.
        idle_timeout: seconds of inactivity before a session's microVM stops (default 900 on the service).
        max_lifetime: seconds a session may live (default 28800 on the service).
        description: free text.
        tags: tags for a new runtime (not changed by an update).
        code: a code zip in S3 instead of an image (direct code deployment); exactly one of the two.
        platform_version: ``V1`` or ``V2`` (Runtime V2 restores sessions from a snapshot); None: the
            service's default, or ``V2`` when the spec needs it (a warm-up hook, x86_64).
        warmup: Runtime V2's warm-up hook (:class:`WarmupHook`).
        architecture: ``ARM64`` or ``X86_64`` (``cpuConfigurations``, set at creation; x86_64 needs V2);
            None: the service's default, ARM64.
    """

    name: str
    image: str | None
    role_arn: str
    network_mode: NetworkMode = "PUBLIC"
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    authorizer: JWTAuthorizerConfig | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    header_allowlist: tuple[str, ...] = ()
    idle_timeout: int | None = None
    max_lifetime: int | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    code: CodeArtifact | None = None
    platform_version: str | None = None
    warmup: WarmupHook | None = None
    architecture: Literal["ARM64", "X86_64"] | None = None

    def artifact(self) -> str:
        """The image URI or the code zip's location, for messages."""
        return str(self.code) if self.code is not None else (self.image or "").strip()

    def validate(self, *, local: bool = False) -> None:
        """Raise :class:`InvalidRuntimeSpec` naming the first thing the service would refuse.

        ``local``: the control plane is a local one (loopback endpoint), which also accepts ``http://``
        images and discovery URLs on loopback.
        """
        if not isinstance(self.name, str) or NAME.fullmatch(self.name) is None:
            hint = ""
            if isinstance(self.name, str) and NAME.fullmatch(self.name.replace("-", "_")):
                hint = f"; try {self.name.replace('-', '_')!r}"
            raise InvalidRuntimeSpec(
                "a runtime name is a letter followed by up to 47 letters, digits or underscores "
                f"(no hyphens), got {self.name!r}{hint}"
            )
        image = self.image.strip() if isinstance(self.image, str) else ""
        if self.code is not None:
            if image:
                raise InvalidRuntimeSpec("a runtime runs a container image or a code zip, not both")
            self.code.validate()
        elif not image:
            raise InvalidRuntimeSpec("a container image (an ECR image URI) or a code zip in S3 is required")
        elif IMAGE.fullmatch(image) is None and not (
            local and image.startswith(("http://", "https://")) and is_loopback(image)
        ):
            raise InvalidRuntimeSpec(
                "the image must be in Amazon ECR, e.g. 123456789012.dkr.ecr.us-west-2.amazonaws.com/repo:tag "
                f"(push it there first), got {self.image!r}"
            )
        if not self.role_arn:
            raise InvalidRuntimeSpec(
                "an execution role is required (the IAM role ARN the runtime assumes, "
                "arn:aws:iam::ACCOUNT:role/NAME)"
            )
        if ROLE.fullmatch(self.role_arn) is None:
            raise InvalidRuntimeSpec(
                f"the role must be an IAM role ARN like arn:aws:iam::123456789012:role/NAME, got {self.role_arn!r}"
            )
        self._validate_network()
        if self.authorizer is not None:
            self.authorizer.validate(local=local)
        self._validate_environment()
        self._validate_headers()
        self._validate_lifecycle()
        self._validate_platform()
        if self.description is not None and not 1 <= len(self.description) <= MAX_DESCRIPTION:
            raise InvalidRuntimeSpec(f"a description is 1-{MAX_DESCRIPTION} characters long")

    def _validate_network(self) -> None:
        if self.network_mode not in ("PUBLIC", "VPC"):
            raise InvalidRuntimeSpec(f"the network mode is PUBLIC or VPC, got {self.network_mode!r}")
        if self.network_mode == "PUBLIC":
            if self.subnets or self.security_groups:
                raise InvalidRuntimeSpec("subnets and security groups need the VPC network mode")
            return
        if not self.subnets or not self.security_groups:
            raise InvalidRuntimeSpec("the VPC network mode needs at least one subnet and one security group")
        for kind, values, pattern in (
            ("subnet", self.subnets, SUBNET),
            ("security group", self.security_groups, SECURITY_GROUP),
        ):
            if len(values) > 16:
                raise InvalidRuntimeSpec(f"at most 16 {kind}s, got {len(values)}")
            for value in values:
                if pattern.fullmatch(value) is None:
                    raise InvalidRuntimeSpec(f"not a {kind} id: {value!r}")

    def _validate_environment(self) -> None:
        if len(self.environment) > MAX_ENV:
            raise InvalidRuntimeSpec(f"at most {MAX_ENV} environment variables, got {len(self.environment)}")
        for key, value in self.environment.items():
            if ENV_NAME.fullmatch(key) is None:
                raise InvalidRuntimeSpec(f"not an environment variable name: {key!r}")
            if len(value) > MAX_ENV_VALUE:
                raise InvalidRuntimeSpec(
                    f"the value of {key} is {len(value)} characters; the limit is {MAX_ENV_VALUE}"
                )

    def _validate_headers(self) -> None:
        if len(self.header_allowlist) > MAX_HEADERS:
            raise InvalidRuntimeSpec(
                f"at most {MAX_HEADERS} allow-listed headers, got {len(self.header_allowlist)}"
            )
        seen: set[str] = set()
        for name in self.header_allowlist:
            if HEADER.fullmatch(name) is None:
                raise InvalidRuntimeSpec(f"not a header name: {name!r}")
            if name.lower() in seen:
                raise InvalidRuntimeSpec(f"the header {name!r} is allow-listed twice")
            seen.add(name.lower())
        if "authorization" in seen and self.authorizer is None:
            raise InvalidRuntimeSpec(
                "the Authorization header reaches the container only on a runtime with a JWT authorizer "
                "(a SigV4 runtime consumes it)"
            )

    def _validate_lifecycle(self) -> None:
        low, high = LIFECYCLE_RANGE
        for label, value in (("idle timeout", self.idle_timeout), ("max lifetime", self.max_lifetime)):
            if value is not None and not low <= value <= high:
                raise InvalidRuntimeSpec(f"the {label} is {low}-{high} seconds, got {value}")
        if (
            self.idle_timeout is not None
            and self.max_lifetime is not None
            and self.idle_timeout > self.max_lifetime
        ):
            raise InvalidRuntimeSpec(
                f"the idle timeout ({self.idle_timeout} s) cannot exceed the max lifetime ({self.max_lifetime} s)"
            )

    def _validate_platform(self) -> None:
        version = self.platform_version
        if version is not None and version not in PLATFORM_VERSIONS:
            raise InvalidRuntimeSpec(f"the platform version is V1 or V2, got {version!r}")
        if self.warmup is not None:
            self.warmup.validate()
            if version == "V1":
                raise InvalidRuntimeSpec(f"a warm-up hook needs platform version V2, not V1: {V2_HOOKS_RULE}")
        if self.architecture not in (None, "ARM64", "X86_64"):
            raise InvalidRuntimeSpec(f"the architecture is ARM64 or X86_64, got {self.architecture!r}")
        if self.architecture == "X86_64" and version == "V1":
            raise InvalidRuntimeSpec(f"x86_64 needs platform version V2, not V1: {V2_X86_RULE}")

    def effective_platform_version(self) -> str | None:
        """The platform version sent: the one given, else V2 when a hook or x86_64 needs it, else None."""
        if self.platform_version is not None:
            return self.platform_version
        if self.warmup is not None or self.architecture == "X86_64":
            return "V2"
        return None

    def update_request(self) -> dict[str, Any]:
        """The keyword arguments of ``update_agent_runtime`` (without ``agentRuntimeId``)."""
        network: dict[str, Any] = {"networkMode": self.network_mode}
        if self.network_mode == "VPC":
            network["networkModeConfig"] = {
                "subnets": list(self.subnets),
                "securityGroups": list(self.security_groups),
            }
        artifact: dict[str, Any] = (
            {"codeConfiguration": self.code.request()}
            if self.code is not None
            else {"containerConfiguration": {"containerUri": (self.image or "").strip()}}
        )
        request: dict[str, Any] = {
            "agentRuntimeArtifact": artifact,
            "roleArn": self.role_arn,
            "networkConfiguration": network,
            "protocolConfiguration": {"serverProtocol": "MCP"},
        }
        if self.description:
            request["description"] = self.description
        if self.authorizer is not None:
            request["authorizerConfiguration"] = self.authorizer.request()
        if self.environment:
            request["environmentVariables"] = dict(self.environment)
        if self.header_allowlist:
            request["requestHeaderConfiguration"] = {"requestHeaderAllowlist": list(self.header_allowlist)}
        lifecycle: dict[str, int] = {}
        if self.idle_timeout is not None:
            lifecycle["idleRuntimeSessionTimeout"] = self.idle_timeout
        if self.max_lifetime is not None:
            lifecycle["maxLifetime"] = self.max_lifetime
        if lifecycle:
            request["lifecycleConfiguration"] = lifecycle
        version = self.effective_platform_version()
        if version is not None:
            request["platformVersion"] = version
        if self.warmup is not None:
            request["hooksConfiguration"] = self.warmup.request()
        return request

    def create_request(self) -> dict[str, Any]:
        """The keyword arguments of ``create_agent_runtime``."""
        request = {"agentRuntimeName": self.name, **self.update_request()}
        if self.architecture is not None:  # immutable after creation: not part of an update
            request["cpuConfigurations"] = [{"architecture": self.architecture}]
        if self.tags:
            request["tags"] = dict(self.tags)
        return request


def is_loopback(url: str) -> bool:
    """True for a URL whose host is on this machine (a local control plane or issuer)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
