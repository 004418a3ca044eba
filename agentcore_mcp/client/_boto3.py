"""The boto3 backend: each POST is one ``bedrock-agentcore`` ``invoke_agent_runtime`` call.

The user's credential chain, profile, region, ``endpoint_url`` and botocore config apply unchanged (pass a
ready client to control them). boto3 is synchronous, so every call runs in a worker thread, and a streamed
(SSE) answer is read chunk by chunk in worker threads as it arrives; a JSON answer is read in the same
thread hop as the call.

MCP headers that the API models travel as its parameters (``mcpSessionId``, ``mcpProtocolVersion``,
``mcpMethod``, ``mcpName``, ``runtimeSessionId``, ``runtimeUserId``, trace context); any other header (the
2026 ``Mcp-Param-*`` headers, allow-listed custom headers) is added to the signed request through a
botocore event hook that is inert for calls this library does not make.

Retries: a client this backend creates makes one attempt per call (botocore's own retries off), so the
transport's retry policy, which knows which MCP calls are safe to resend, is the only one. A client you
pass keeps its own retry configuration; botocore's ``standard`` mode also resends after some 5xx answers.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import AsyncIterator, Mapping
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import anyio
from pydantic_core import to_json

from agentcore_mcp import _wire as rpc
from agentcore_mcp.client._arn import RuntimeArn
from agentcore_mcp.client._backend import BufferedReply, ConnectionFailed, TransportError, TransportTimeout

if TYPE_CHECKING:
    from agentcore_mcp.client._backend import Exchange, Reply

__all__ = ["Boto3Backend"]

# Request headers the InvokeAgentRuntime model carries as parameters.
PARAMETERS = {
    rpc.MCP_SESSION_ID: "mcpSessionId",
    rpc.MCP_PROTOCOL_VERSION: "mcpProtocolVersion",
    rpc.MCP_METHOD: "mcpMethod",
    rpc.MCP_NAME: "mcpName",
    rpc.RUNTIME_SESSION_ID: "runtimeSessionId",
    rpc.RUNTIME_USER_ID: "runtimeUserId",
    "x-amzn-trace-id": "traceId",
    "traceparent": "traceParent",
    "tracestate": "traceState",
    "baggage": "baggage",
}
_CHUNK = 65536
_HOOK_ID = "agentcore-mcp-extra-headers"
_local = threading.local()


def _add_extra_headers(request: Any, **_: Any) -> None:
    """botocore ``before-sign`` hook: add the headers the model has no parameter for (this thread's call only)."""
    extra: Mapping[str, str] | None = getattr(_local, "extra", None)
    if extra:
        for name, value in extra.items():
            request.headers[name] = value


def _keep_error_body(http_response: Any, **_: Any) -> None:
    """botocore ``after-call`` hook: keep the raw body of an error answer (it may be a JSON-RPC error)."""
    if getattr(_local, "active", False) and http_response is not None and http_response.status_code >= 300:
        _local.error_body = http_response.content


class _StreamReply:
    """An invoke response whose body (a botocore ``StreamingBody``) is read in worker threads as it arrives."""

    __slots__ = ("_body", "_read", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self._body = body
        raw = getattr(body, "_raw_stream", None)
        read1 = getattr(raw, "read1", None)
        # urllib3 2's read1 returns what has arrived (up to the size) instead of waiting for the full size.
        self._read = read1 if read1 is not None else body.read

    def _next(self) -> bytes:
        try:
            data: bytes = self._read(_CHUNK)
            return data
        except Exception as exc:
            if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
                raise TransportTimeout(f"the runtime went silent mid-answer ({type(exc).__name__})") from exc
            raise ConnectionFailed(
                f"the connection broke mid-answer: {type(exc).__name__}: {exc}", may_have_run=True
            ) from exc

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await anyio.to_thread.run_sync(self._next, abandon_on_cancel=True)
            if not chunk:
                return
            yield chunk

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes()])

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken stream must not mask the real error
            self._body.close()


class Boto3Backend:
    """Invokes one runtime through a boto3 ``bedrock-agentcore`` client.

    Args:
        arn: the runtime ARN.
        qualifier: the endpoint name (``DEFAULT``).
        client: a ready ``boto3.client("bedrock-agentcore", ...)``; not closed here.
        session: a ``boto3.Session`` to create the client from (profile, credentials), when no client is given.
        region: the client's region (default: the ARN's).
        endpoint_url: the client's endpoint (e.g. the local emulator).
        connect_timeout / read_timeout: botocore timeouts for a client this backend creates.
        headers: static headers added to every request (signed), e.g. allow-listed custom headers.
    """

    def __init__(
        self,
        arn: str | RuntimeArn,
        *,
        qualifier: str | None = "DEFAULT",
        client: Any = None,
        session: Any = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 300.0,
        max_pool_connections: int = 50,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parsed = arn if isinstance(arn, RuntimeArn) else RuntimeArn.parse(arn)
        self.arn = str(parsed)
        self.qualifier = qualifier
        self.description = f"runtime {self.arn} (boto3 invoke_agent_runtime)"
        self.supports_stop = True
        self._client = client
        self._session = session
        self._region = region or parsed.region
        self._endpoint_url = endpoint_url
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_pool = max_pool_connections
        self._static = {k.lower(): v for k, v in (headers or {}).items()}
        self._lock = threading.Lock()
        self._hooked = False
        if client is not None:
            self._hook(client)

    def _hook(self, client: Any) -> None:
        events = client.meta.events
        events.register_first(
            "before-sign.bedrock-agentcore.InvokeAgentRuntime", _add_extra_headers, unique_id=_HOOK_ID
        )
        events.register_first(
            "after-call.bedrock-agentcore.InvokeAgentRuntime",
            _keep_error_body,
            unique_id=_HOOK_ID + "-errors",
        )
        self._hooked = True

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                config = _module("botocore.config").Config(
                    connect_timeout=self._connect_timeout,
                    read_timeout=self._read_timeout,
                    retries={"mode": "standard", "total_max_attempts": 1},
                    max_pool_connections=self._max_pool,
                    user_agent_extra=f"agentcore-mcp/{version('agentcore-mcp')}",
                )
                session = self._session or _module("boto3").Session()
                self._client = session.client(
                    "bedrock-agentcore",
                    region_name=self._region,
                    endpoint_url=self._endpoint_url,
                    config=config,
                )
            if not self._hooked:
                self._hook(self._client)
            return self._client

    def _invoke(self, exchange: Exchange) -> tuple[int, dict[str, str], bytes | None, Any]:
        errors = _module("botocore.exceptions")
        BotoCoreError, ClientError = errors.BotoCoreError, errors.ClientError
        ConnectionClosedError, HTTPClientError = errors.ConnectionClosedError, errors.HTTPClientError
        ReadTimeoutError, BotocoreConnectionError = errors.ReadTimeoutError, errors.ConnectionError

        client = self._get_client()
        params: dict[str, Any] = {
            "agentRuntimeArn": self.arn,
            "payload": exchange.body,
            "contentType": "application/json",
            "accept": rpc.ACCEPT,
        }
        if self.qualifier:
            params["qualifier"] = self.qualifier
        extra = dict(self._static)
        for name, value in exchange.headers.items():
            parameter = PARAMETERS.get(name)
            if parameter is not None:
                params[parameter] = value
            else:
                extra[name] = value
        _local.extra = extra
        _local.error_body = None
        _local.active = True
        try:
            out = client.invoke_agent_runtime(**params)
        except ClientError as exc:
            return _error_reply(exc, getattr(_local, "error_body", None))
        except BotocoreConnectionError as exc:
            raise ConnectionFailed(f"could not connect to AgentCore: {exc}", may_have_run=False) from exc
        except ReadTimeoutError as exc:
            raise TransportTimeout(f"no answer from {self.arn} in time: {exc}") from exc
        except (ConnectionClosedError, HTTPClientError) as exc:
            raise ConnectionFailed(f"the call to {self.arn} failed: {exc}", may_have_run=True) from exc
        except BotoCoreError as exc:
            # Credentials, parameter validation and the like: nothing was sent, and resending cannot help.
            raise TransportError(f"boto3 could not invoke {self.arn}: {exc}") from exc
        finally:
            _local.extra = None
            _local.active = False
        metadata = out.get("ResponseMetadata", {})
        headers: dict[str, str] = dict(metadata.get("HTTPHeaders", {}))
        status = int(out.get("statusCode") or metadata.get("HTTPStatusCode") or 200)
        body = out["response"]
        content_type = out.get("contentType") or headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            try:
                data: bytes = body.read()
            except Exception as exc:
                raise ConnectionFailed(f"the answer broke off: {exc}", may_have_run=True) from exc
            finally:
                body.close()
            return status, headers, data, None
        return status, headers, None, body

    async def send(self, exchange: Exchange) -> Reply:
        status, headers, data, stream = await anyio.to_thread.run_sync(
            self._invoke, exchange, abandon_on_cancel=True
        )
        if stream is None:
            return BufferedReply(status, headers, data or b"")
        return _StreamReply(status, headers, stream)

    async def stop_session(self, runtime_session_id: str) -> None:
        def stop() -> None:
            errors = _module("botocore.exceptions")
            params: dict[str, Any] = {"agentRuntimeArn": self.arn, "runtimeSessionId": runtime_session_id}
            if self.qualifier:
                params["qualifier"] = self.qualifier
            try:
                self._get_client().stop_runtime_session(**params)
            except errors.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    return  # already gone: stopping is idempotent
                raise TransportError(f"StopRuntimeSession failed: {exc}") from exc
            except errors.BotoCoreError as exc:
                raise TransportError(f"StopRuntimeSession failed: {exc}") from exc

        await anyio.to_thread.run_sync(stop)

    async def aclose(self) -> None:
        return None


def _module(name: str) -> Any:
    """Import a boto3/botocore module (imported by name: they ship no type information)."""
    return importlib.import_module(name)


def _error_reply(exc: Any, raw: bytes | None) -> tuple[int, dict[str, str], bytes, None]:
    """An AWS error answer as the HTTP answer it was (status, headers, body)."""
    response = exc.response
    metadata = response.get("ResponseMetadata", {})
    headers: dict[str, str] = dict(metadata.get("HTTPHeaders", {}))
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    if code:
        headers.setdefault("x-amzn-errortype", code)
    if raw is None:
        raw = to_json({"message": error.get("Message", str(exc)), "__type": code})
        headers["content-type"] = "application/json"
    return int(metadata.get("HTTPStatusCode", 500)), headers, raw, None
