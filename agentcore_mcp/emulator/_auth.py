"""The caller's authentication, as the runtime is configured: SigV4, a JWT bearer token, or none.

``Authentication._authorize`` resolves the runtime a request names and checks its caller: a SigV4
runtime's signature against the emulator's credentials (403 with AWS's error code), a JWT runtime's bearer
token against its authorizer (401 with JSON-RPC -32001 and a ``WWW-Authenticate`` challenge pointing at the
protected-resource document), the wrong scheme for the runtime (403 AccessDeniedException). It also decides
who the request is for (the runtime user id the server sees and the workload token is minted for).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator._base import EmulatorBase, Scope, header, jsonrpc_id
from agentcore_mcp.emulator._issuer import TokenRejected
from agentcore_mcp.emulator._oauth import protected_resource_url
from agentcore_mcp.emulator._platform_errors import api_error, jsonrpc_error
from agentcore_mcp.emulator._runtimes import Runtime
from agentcore_mcp.emulator._sigv4 import SignatureRejected, signed_header_names, signing_scope

__all__ = ["Authentication"]

_MISMATCH = (
    "Authorization method mismatch. The agent is configured for a different authorization method than "
    "what was used in your request."
)
_USER_ID = wire.RUNTIME_USER_ID.encode()
_FOR_USER = "bedrock-agentcore:InvokeAgentRuntimeForUser"


class Authentication(EmulatorBase):
    """The runtime a request names, once its caller is authenticated (InvokeAgentRuntime, StopRuntimeSession)."""

    async def _authorize(self, scope: Scope, body: bytes, identifier: str) -> tuple[Runtime, str | None]:
        """The runtime the request names once its caller is authenticated, and the caller's user.

        The user is who the platform says the request is for (what the server sees as
        ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id`` and what the workload token is minted for): on a JWT
        runtime the verified token's ``sub``, whatever header was sent; on a SigV4 runtime the header,
        from a caller allowed to act for users (:meth:`_check_user`); on an open runtime the header.
        """
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        qualifier = (query.get("qualifier") or ["DEFAULT"])[0]
        account_id = (query.get("accountId") or [None])[0]
        authorization = header(raw, b"authorization") or ""
        signed = signing_scope(authorization)
        region = signed[2] if signed else self.region
        runtime = self.registry.resolve(identifier, account_id, region, qualifier)
        if runtime is None:
            if signed is not None:
                self._check_signature(scope, body, region)
            raise api_error(
                "ResourceNotFoundException",
                f"No endpoint or agent found with qualifier '{qualifier}' for agent '{identifier}'",
                404,
            )
        user = (header(raw, _USER_ID) or "").strip(" \t") or None
        access_key = None
        if runtime.auth == "sigv4":
            if authorization.lower().startswith("bearer "):
                raise api_error("AccessDeniedException", _MISMATCH, 403)
            access_key = self._check_signature(scope, body, runtime.region)
        elif runtime.auth == "jwt":
            if signed is not None:
                raise api_error("AccessDeniedException", _MISMATCH, 403)
            claims = await self._check_token(authorization, runtime, qualifier, body)
            # The platform exchanges the validated token (its iss and sub) for the workload token
            # ("Get workload access token", devguide: GetWorkloadAccessTokenForJWT); a header naming
            # someone else is ignored, never believed (inferred: AWS does not say whether it refuses it).
            subject = claims.get("sub")
            user = subject if isinstance(subject, str) and subject else None
        if qualifier not in runtime.qualifiers:
            raise api_error(
                "ResourceNotFoundException",
                f"No endpoint or agent found with qualifier '{qualifier}' for agent '{identifier}'",
                404,
            )
        if access_key is not None and user is not None:
            self._check_user(access_key, authorization, runtime)
        return runtime, user

    def _check_user(self, access_key: str, authorization: str, runtime: Runtime) -> None:
        """A SigV4 caller names a user only with InvokeAgentRuntimeForUser, and only in a signed header.

        "Authenticate and authorize with Inbound Auth and Outbound Auth" (devguide): invoking with
        ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id`` requires ``bedrock-agentcore:InvokeAgentRuntimeForUser``
        besides ``InvokeAgentRuntime``, and only trusted principals should set it. IAM's denial is a 403
        AccessDeniedException (its wording here is AWS's usual one; the caller's ARN is not known
        locally). An unsigned header could have been added by anyone on the way, so it names no one.
        """
        creds = self.sigv4.credentials[access_key]
        if not (self.invoke_for_user or creds.invoke_for_user):
            raise api_error(
                "AccessDeniedException",
                f"User with access key {access_key} is not authorized to perform: {_FOR_USER} on resource: "
                f"{runtime.arn} because no identity-based policy allows the {_FOR_USER} action",
                403,
            )
        if wire.RUNTIME_USER_ID not in signed_header_names(authorization):
            raise api_error(
                "AccessDeniedException",
                f"{wire.RUNTIME_USER_ID} must be one of the request's SignedHeaders to name a user",
                403,
            )

    def _check_signature(self, scope: Scope, body: bytes, region: str) -> str:
        """The access key that signed the request (403 with AWS's error code when the signature fails)."""
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        try:
            return self.sigv4.verify(
                method=scope["method"],
                host=header(raw, b"host") or "",
                raw_path=scope.get("raw_path") or scope["path"].encode(),
                query=scope.get("query_string", b""),
                headers=raw,
                body=body,
                region=region,
            )
        except SignatureRejected as exc:
            raise api_error(exc.code, exc.message, 403) from None

    async def _check_token(
        self, authorization: str, runtime: Runtime, qualifier: str, body: bytes
    ) -> dict[str, Any]:
        """The claims of the request's bearer token, verified against the runtime's authorizer (else 401)."""
        metadata = protected_resource_url(self.base_url, runtime.arn, qualifier)
        if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            challenge = f'Bearer resource_metadata="{metadata}"'
            raise jsonrpc_error(
                jsonrpc_id(body),
                wire.AC_UNAUTHORIZED,
                "Missing Bearer token",
                status=401,
                headers=[(b"www-authenticate", challenge.encode())],
            )
        assert runtime.jwt is not None
        try:
            return await self.jwt.verify(authorization[7:].strip(), runtime.jwt, self._client)
        except TokenRejected as exc:
            reason = str(exc).replace('"', "'")
            challenge = (
                f'Bearer error="invalid_token", error_description="{reason}", resource_metadata="{metadata}"'
            )
            raise jsonrpc_error(
                jsonrpc_id(body),
                wire.AC_UNAUTHORIZED,
                str(exc),
                status=401,
                headers=[(b"www-authenticate", challenge.encode())],
            ) from None
