"""The control plane in local runs: moto's ``bedrock-agentcore-control``, served beside the data plane.

:class:`ControlPlane` starts moto's threaded server on a loopback port; the emulator forwards to it every
request that is not one of its own data-plane operations (``create_agent_runtime``, ``get_agent_runtime``,
... and anything else moto mocks), so one ``endpoint_url`` serves both planes. Runtimes created there with
``protocolConfiguration.serverProtocol == "MCP"`` can be invoked: :meth:`ControlPlane.resolve` turns moto's
record into a :class:`~agentcore_mcp.emulator._runtimes.Runtime` (authorizer, header allow-list, lifecycle,
environment). moto cannot run the container image, so the image URI is mapped to a local target: an
``http(s)://`` image URI is used as the MCP URL itself, otherwise the emulator's image map decides.

moto is the engine, but what a client sees has AgentCore's shapes (botocore's service model, patterns
``AgentRuntimeId``, ``AgentRuntimeArn``, ``AgentRuntimeEndpointArn``; the developer guide's "AgentCore
Runtime versioning and endpoints"): a runtime id ``<name>-<10 alphanumerics>``, the ARN
``arn:aws:bedrock-agentcore:<region>:<account>:runtime/<id>`` kept across updates, ``agentRuntimeVersion``
counting up from 1, and a ``DEFAULT`` endpoint (``<runtime ARN>/runtime-endpoint/DEFAULT``) created with
the runtime and moved to each new version. :func:`_agentcore_shapes` patches moto's model (the fake of
the remote service) once, never our own code.
"""

from __future__ import annotations

import copy
import logging
import re
import secrets
import shutil
import string
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from agentcore_mcp.emulator._code import CodeBundle
from agentcore_mcp.emulator._hooks import current_request, hook_of, run_warmup
from agentcore_mcp.emulator._runtimes import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_LIFETIME,
    Isolation,
    JWTAuthorizer,
    Runtime,
)

__all__ = ["ControlPlane", "ImageTarget"]

logger = logging.getLogger("agentcore_mcp.emulator")

_MOTO_ARN = re.compile(
    r"arn:[a-z-]+:bedrock-agentcore:([a-z0-9-]+):(\d{12}):(?:agent|runtime)/([^:]+)(?::(\d+))?"
)

ImageTarget = tuple[Any, Isolation]

# The control plane whose build hooks run now (the latest started: moto's state is per process too).
_HOOK_RUNNER: Callable[[Any, str, str, str], None] | None = None


class ControlPlane:
    """moto's control plane, in this process.

    Args:
        images: container image URI -> (target, isolation); the key ``"*"`` is the fallback.
    """

    def __init__(self, images: dict[str, ImageTarget] | None = None) -> None:
        self.images: dict[str, ImageTarget] = images if images is not None else {}
        self._server: Any = None
        self.url: str | None = None
        self._cache: dict[tuple[str, str, str], Runtime] = {}
        self.on_new_runtime: Callable[[Runtime], None] | None = None
        self._workdir: Path | None = None
        self._lock = threading.Lock()

    def start(self) -> str:
        """Start moto's server on a free loopback port; its base URL."""
        if self.url is not None:
            return self.url
        from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends
        from moto.server import ThreadedMotoServer

        # moto keeps its state per process; a new emulator starts with an empty control plane.
        bedrockagentcorecontrol_backends.reset()
        _settle_updates()
        _agentcore_shapes()
        _v2_settings()
        global _HOOK_RUNNER
        _HOOK_RUNNER = self._warm_version
        self._cache.clear()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.url = f"http://{host}:{port}"
        logger.debug("moto control plane on %s", self.url)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            self.url = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    @staticmethod
    def _backend(account_id: str, region: str) -> Any:
        from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

        return bedrockagentcorecontrol_backends[account_id][region]

    def resolve(
        self, identifier: str, account_id: str | None, region: str, qualifier: str = "DEFAULT"
    ) -> Runtime | None:
        """The invocable runtime moto holds under an ARN (or a runtime id plus account id), or None.

        The ``qualifier`` picks the version: ``DEFAULT`` the latest, an endpoint's name the version it
        points at, a version number that version; anything else resolves to the latest (whose
        qualifiers then do not include it: the caller answers 404).
        """
        match = _MOTO_ARN.fullmatch(identifier)
        record = None
        if match:
            region, account_id, tail, _ = match.groups()
            backend = self._backend(account_id, region)
            for candidate in list(backend.agent_runtimes.values()):
                if tail in (
                    candidate.agent_runtime_id,
                    candidate.agent_runtime_arn.split("/", 1)[1].split(":")[0],
                ):
                    record = candidate
                    break
        elif not identifier.startswith("arn:"):
            account_id = account_id or DEFAULT_ACCOUNT_ID
            record = self._backend(account_id, region).agent_runtimes.get(identifier)
        if record is None or getattr(record, "status", "READY") in ("DELETING", "CREATE_FAILED"):
            return None
        configs: dict[str, Any] = getattr(record, "_agentcore_mcp_versions", {})
        version = str(record.agent_runtime_version)
        names = self._endpoint_names(record)
        if qualifier != "DEFAULT" and qualifier in names:
            endpoints = self._backend(record.account_id, record.region_name).agent_runtime_endpoints
            version = str(endpoints[(record.agent_runtime_id, qualifier)].target_version)
        elif qualifier in configs:
            version = qualifier
        cached = self._version_runtime(record, version)
        served = {name for name in names if self._endpoint_version(record, name) == version}
        if version == str(record.agent_runtime_version):
            served.add("DEFAULT")
        cached.qualifiers = frozenset({*served, version})
        return cached

    def _version_runtime(self, record: Any, version: str) -> Runtime:
        """The Runtime of one version of ``record`` (made once, then shared by its sessions)."""
        configs: dict[str, Any] = getattr(record, "_agentcore_mcp_versions", {})
        key = (record.agent_runtime_id, version, record.agent_runtime_arn)
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = self._runtime_from(record, configs.get(version, record))
                self._cache[key] = cached
                if self.on_new_runtime is not None:
                    self.on_new_runtime(cached)
        return cached

    def _warm_version(self, record: Any, version: str, path: str, failed: str) -> None:
        """Play the platform's build hook for one version: READY once it answered, else ``failed``."""
        runtime = self._version_runtime(record, version)
        reason = runtime.problem or run_warmup(runtime, path)
        if reason:
            logger.warning("runtime %s version %s: %s", record.agent_runtime_name, version, reason)
            record._agentcore_mcp_failure = reason
            record.status = failed
        else:
            record._agentcore_mcp_failure = None
            record.status = "READY"

    def _endpoint_version(self, record: Any, name: str) -> str:
        endpoints = self._backend(record.account_id, record.region_name).agent_runtime_endpoints
        endpoint = endpoints.get((record.agent_runtime_id, name))
        return str(endpoint.target_version) if endpoint is not None else ""

    def _endpoint_names(self, record: Any) -> set[str]:
        endpoints = self._backend(record.account_id, record.region_name).agent_runtime_endpoints
        return {name for (rid, name) in list(endpoints) if rid == record.agent_runtime_id}

    def _runtime_from(self, record: Any, config: Any) -> Runtime:
        """A Runtime for ``record`` (ids, ARN, name) configured as ``config`` (one version's settings)."""
        protocol = (config.protocol_configuration or {}).get("serverProtocol", "HTTP")
        artifact = config.agent_runtime_artifact or {}
        image = (artifact.get("containerConfiguration") or {}).get("containerUri", "")
        code_config = artifact.get("codeConfiguration")
        problem = None
        target: Any = None
        isolation: Isolation = "shared"
        code: CodeBundle | None = None
        if protocol != "MCP":
            problem = (
                f"the local emulator runs MCP runtimes only; this runtime's serverProtocol is {protocol}"
            )
        elif code_config:
            code = self._bundle(code_config, record.region_name)
            target, isolation = code.location, "process"
        elif image.startswith(("http://", "https://")):
            target = image
        elif image in self.images or "*" in self.images:
            target, isolation = self.images.get(image) or self.images["*"]
        else:
            problem = (
                f"no local target for container image {image!r}: map it with Emulator.map_image() or "
                "`agentcore-mcp emulator --image URI=TARGET` (or use an http:// MCP URL as the image URI)"
            )
        jwt_config = (config.authorizer_configuration or {}).get("customJWTAuthorizer")
        lifecycle = config.lifecycle_configuration or {}
        headers = (config.request_header_configuration or {}).get("requestHeaderAllowlist") or []
        endpoint_names = self._endpoint_names(record)
        return Runtime(
            arn=record.agent_runtime_arn,
            target=target if target is not None else "",
            isolation=isolation,
            auth="jwt" if jwt_config else "sigv4",
            jwt=JWTAuthorizer(
                discovery_url=jwt_config.get("discoveryUrl"),
                allowed_audience=tuple(jwt_config.get("allowedAudience") or ()),
                allowed_clients=tuple(jwt_config.get("allowedClients") or ()),
                allowed_scopes=tuple(jwt_config.get("allowedScopes") or ()),
            )
            if jwt_config
            else None,
            header_allowlist=tuple(headers),
            idle_timeout=float(lifecycle.get("idleRuntimeSessionTimeout") or DEFAULT_IDLE_TIMEOUT),
            max_lifetime=float(lifecycle.get("maxLifetime") or DEFAULT_MAX_LIFETIME),
            environment=dict(config.environment_variables or {}),
            qualifiers=frozenset(endpoint_names),
            source="control-plane",
            protocol=protocol,
            problem=problem,
            runtime_id=record.agent_runtime_id,
            name=record.agent_runtime_name,
            code=code,
        )

    def _bundle(self, config: dict[str, Any], region: str) -> CodeBundle:
        location = (config.get("code") or {}).get("s3") or {}
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="agentcore-mcp-code-"))
        return CodeBundle(
            bucket=str(location.get("bucket", "")),
            key=str(location.get("prefix", "")),
            version_id=location.get("versionId"),
            entry_point=tuple(config.get("entryPoint") or ()),
            runtime=str(config.get("runtime", "")),
            fetch=lambda bucket, key, version: self._read_object(bucket, key, version, region),
            workdir=self._workdir,
        )

    def _read_object(self, bucket: str, key: str, version_id: str | None, region: str) -> bytes:
        """The object's bytes, read from moto's S3 through its own API (as the platform reads the zip)."""
        import importlib

        boto3: Any = importlib.import_module("boto3")
        Config: Any = importlib.import_module("botocore.config").Config

        s3 = boto3.client(
            "s3",
            endpoint_url=self.start(),
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(s3={"addressing_style": "path"}),
        )
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            body: bytes = s3.get_object(**kwargs)["Body"].read()
        except s3.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            raise OSError(f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")) from None
        return body


def _settle_updates() -> None:
    """Make moto's runtimes go UPDATING -> READY after an update, as AgentCore's do.

    moto (5.2.5) models only CREATING -> READY, so an updated runtime would stay UPDATING forever and a
    second `agentcore-mcp deploy` against the emulator would wait until its timeout. Patched once, in
    moto's model (the fake of the remote service), never in our own code.
    """
    from moto.bedrockagentcorecontrol.models import AgentRuntime

    # The mark is on the class, not on the function: later patches wrap AgentRuntime.update again, and a
    # second emulator in the process must not put this wrapper outside them (it would undo their statuses).
    if getattr(AgentRuntime, "_agentcore_mcp_settles", False):
        return
    original = AgentRuntime.update

    def update(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if ("UPDATING", "READY") not in self._transitions:
            self._transitions = [*self._transitions, ("UPDATING", "READY")]
        return result

    AgentRuntime.update = update  # type: ignore[method-assign]
    AgentRuntime._agentcore_mcp_settles = True  # type: ignore[attr-defined]


_ALPHANUMERIC = string.ascii_letters + string.digits


def _settings(record: Any) -> SimpleNamespace:
    """What one version of a moto runtime is configured with (moto keeps only the latest)."""
    return SimpleNamespace(
        **{
            name: copy.deepcopy(getattr(record, name, None))
            for name in (
                "protocol_configuration",
                "agent_runtime_artifact",
                "authorizer_configuration",
                "lifecycle_configuration",
                "request_header_configuration",
                "environment_variables",
            )
        }
    )


def _suffix() -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(10))


def _agentcore_shapes() -> None:
    """Give moto's runtimes and endpoints AgentCore's ids and ARNs, and a DEFAULT endpoint that follows.

    moto (5.2.5) issues ``…:agent/<uuid>:<version>`` ARNs that change on every update (so an invocations
    URL would change on every local redeploy) and creates no DEFAULT endpoint. Patched once, in moto's
    model; moto still keeps the records, statuses and version snapshots.
    """
    from moto.bedrockagentcorecontrol import models

    runtime_cls: Any = models.AgentRuntime
    if getattr(runtime_cls, "_agentcore_mcp_shapes", False):
        return
    _runtime_shapes(models)
    _endpoint_shapes(models)
    runtime_cls._agentcore_mcp_shapes = True


def _runtime_shapes(models: Any) -> None:
    """Runtimes get ``<name>-<suffix>`` ids and ``runtime/<id>`` ARNs kept across updates; DEFAULT follows."""
    runtime_cls: Any = models.AgentRuntime
    runtime_init, runtime_update = runtime_cls.__init__, runtime_cls.update

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        runtime_init(self, *args, **kwargs)
        partition = self.agent_runtime_arn.split(":", 2)[1]
        self.agent_runtime_id = f"{self.agent_runtime_name}-{_suffix()}"
        self.agent_runtime_arn = (
            f"arn:{partition}:bedrock-agentcore:{self.region_name}:{self.account_id}"
            f":runtime/{self.agent_runtime_id}"
        )
        identity = self.workload_identity_details["workloadIdentityArn"].rsplit("/", 1)[0]
        self.workload_identity_details = {"workloadIdentityArn": f"{identity}/{self.agent_runtime_id}"}
        self.versions = []
        self._snapshot_version()
        self._agentcore_mcp_versions = {str(self.agent_runtime_version): _settings(self)}

    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        arn = self.agent_runtime_arn
        self.agent_runtime_arn = "arn:aws:bedrock-agentcore:x:0:agent/moto:0"  # the shape moto parses
        try:
            runtime_update(self, *args, **kwargs)
        finally:
            self.agent_runtime_arn = arn
        self.versions[-1]["agentRuntimeArn"] = arn
        self._agentcore_mcp_versions[str(self.agent_runtime_version)] = _settings(self)
        backend = models.bedrockagentcorecontrol_backends[self.account_id][self.region_name]
        default = backend.agent_runtime_endpoints.get((self.agent_runtime_id, "DEFAULT"))
        if default is not None:  # DEFAULT follows the latest version; other endpoints stay put
            default.target_version = default.live_version = self.agent_runtime_version
            default.last_updated_at = self.last_updated_at

    runtime_cls.__init__, runtime_cls.update = init, update


def _endpoint_shapes(models: Any) -> None:
    """Endpoints get AgentCore's ids and ARNs and a live version that follows; a new runtime its DEFAULT."""
    endpoint_cls: Any = models.AgentRuntimeEndpoint
    backend_cls: Any = models.BedrockAgentCoreControlBackend
    endpoint_init, create = endpoint_cls.__init__, backend_cls.create_agent_runtime
    endpoint_update_original = endpoint_cls.update

    def endpoint(self: Any, *args: Any, **kwargs: Any) -> None:
        endpoint_init(self, *args, **kwargs)
        self.endpoint_id = f"{self.name}-{_suffix()}"
        self.agent_runtime_endpoint_arn = f"{self.agent_runtime_arn}/runtime-endpoint/{self.name}"
        self._transitions = [*self._transitions, ("UPDATING", "READY")]

    def endpoint_update(self: Any, *args: Any, **kwargs: Any) -> None:
        endpoint_update_original(self, *args, **kwargs)
        self.live_version = self.target_version  # moto leaves liveVersion behind

    def create_runtime(self: Any, *args: Any, **kwargs: Any) -> Any:
        runtime = create(self, *args, **kwargs)
        default = models.AgentRuntimeEndpoint(
            region_name=self.region_name,
            account_id=self.account_id,
            agent_runtime=runtime,
            name="DEFAULT",
            agent_runtime_version=runtime.agent_runtime_version,
            description="The endpoint that follows the latest version",
        )
        self.agent_runtime_endpoints[(runtime.agent_runtime_id, "DEFAULT")] = default
        return runtime

    endpoint_cls.__init__, endpoint_cls.update = endpoint, endpoint_update
    backend_cls.create_agent_runtime = create_runtime


def _v2_settings() -> None:
    """Keep ``platformVersion`` and ``hooksConfiguration`` on moto's runtimes, return them (and a failure
    reason) from ``get_agent_runtime``, and run a V2 version's warm-up hook before it is READY.

    moto (5.2.6) drops both settings and has no ``failureReason``. Patched once, in moto's model and
    responses (the fake of the remote service), never in our own code.
    """
    from moto.bedrockagentcorecontrol import models, responses

    response_cls: Any = responses.BedrockAgentCoreControlResponse
    if getattr(response_cls, "_agentcore_mcp_v2", False):
        return
    runtime_cls: Any = models.AgentRuntime
    runtime_init, runtime_update = runtime_cls.__init__, runtime_cls.update

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        runtime_init(self, *args, **kwargs)
        _keep_settings_and_hook(self, "CREATING", "CREATE_FAILED")

    def updated(self: Any, *args: Any, **kwargs: Any) -> None:
        runtime_update(self, *args, **kwargs)
        _keep_settings_and_hook(self, "UPDATING", "UPDATE_FAILED")

    response_cls.create_agent_runtime = _with_params(response_cls.create_agent_runtime)
    response_cls.update_agent_runtime = _with_params(response_cls.update_agent_runtime)
    response_cls.get_agent_runtime = _described(response_cls.get_agent_runtime)
    runtime_cls.__init__, runtime_cls.update = init, updated
    response_cls._agentcore_mcp_v2 = True


def _with_params(handler: Any) -> Any:
    """``handler`` (a moto response method) with its request's parameters in ``current_request``."""

    def call(self: Any) -> Any:
        current_request.params = self._get_params()
        try:
            return handler(self)
        finally:
            current_request.params = None

    return call


def _described(get: Any) -> Any:
    """moto's ``get_agent_runtime`` answering the kept V2 settings and, when failed, the failure reason."""

    def described(self: Any) -> Any:
        answer = get(self)
        record = self.backend.get_agent_runtime(self._get_param("agentRuntimeId"))
        result = answer.result
        for key in ("platformVersion", "hooksConfiguration"):
            value = (getattr(record, "_agentcore_mcp_v2", None) or {}).get(key)
            if value:
                result[key] = value
        reason = getattr(record, "_agentcore_mcp_failure", None)
        if reason and str(result.get("status", "")).endswith("_FAILED"):
            result["failureReason"] = reason
        return answer

    return described


def _keep_settings_and_hook(record: Any, changing: str, failed: str) -> None:
    """Keep the request's V2 settings on ``record``; start its warm-up hook (the version waits for it)."""
    params = getattr(current_request, "params", None) or {}
    record._agentcore_mcp_v2 = {
        key: params[key] for key in ("platformVersion", "hooksConfiguration") if key in params
    }
    path = hook_of(params)
    runner = _HOOK_RUNNER
    if path is None or runner is None:
        return
    # The version is not READY before its hook answered.
    record._transitions = [(a, b) for a, b in record._transitions if a != changing]
    record.status = changing  # moto's own reads (a version snapshot) may have moved it on already
    version = str(record.agent_runtime_version)
    threading.Thread(
        target=runner, args=(record, version, path, failed), name=f"warm-up-{version}", daemon=True
    ).start()
