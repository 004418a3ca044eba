"""AgentCore Gateway targets: gateway ARNs and URLs, and the region a gateway URL is signed for.

A gateway ARN looks like ``arn:aws:bedrock-agentcore:us-west-2:123456789012:gateway/mygateway-abcdefghij``;
its MCP endpoint is ``https://{gatewayId}.gateway.bedrock-agentcore.{region}.amazonaws.com/mcp`` (AWS
devguide, "Call a tool in a AgentCore gateway"). The local emulator serves a gateway at
``{endpoint_url}/gateways/{gatewayId}/mcp``, the ``gatewayUrl`` its ``GetGateway`` returns. An ``AWS_IAM``
gateway takes SigV4 under the signing name ``bedrock-agentcore`` (the gateway is part of the service whose
callers need ``bedrock-agentcore:InvokeGateway``); a ``CUSTOM_JWT`` gateway takes a bearer token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["GatewayArn", "gateway_region", "gateway_url", "is_gateway_arn", "is_gateway_url"]

_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):bedrock-agentcore:(?P<region>[a-z]{2}(-[a-z]+)+-\d{1,2}):"
    r"(?P<account>\d{12}):gateway/(?P<id>[0-9a-zA-Z][0-9a-zA-Z-]{0,99})"
)
_AWS_HOST = re.compile(
    r"(?P<id>[^.]+)\.gateway\.bedrock-agentcore\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?"
)
_LOCAL_PATH = re.compile(r"/gateways/[^/]+/mcp/?")
_SUFFIXES = {"aws-cn": "amazonaws.com.cn"}


@dataclass(frozen=True)
class GatewayArn:
    """A parsed AgentCore gateway ARN. ``str(arn)`` gives the ARN back."""

    partition: str
    region: str
    account: str
    gateway_id: str

    @classmethod
    def parse(cls, value: str) -> GatewayArn:
        """Parse ``value`` (ValueError naming the expected shape)."""
        match = _ARN.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise ValueError(
                f"not an AgentCore gateway ARN: {value!r}; expected "
                "arn:aws:bedrock-agentcore:REGION:ACCOUNT:gateway/GATEWAY_ID"
            )
        return cls(match["partition"], match["region"], match["account"], match["id"])

    def __str__(self) -> str:
        return (
            f"arn:{self.partition}:bedrock-agentcore:{self.region}:{self.account}:gateway/{self.gateway_id}"
        )


def is_gateway_arn(value: str) -> bool:
    """True when ``value`` is shaped like a gateway ARN."""
    return isinstance(value, str) and _ARN.fullmatch(value.strip()) is not None


def gateway_url(arn: GatewayArn | str, *, endpoint_url: str | None = None) -> str:
    """The gateway's MCP URL: AWS's, or the one an emulator at ``endpoint_url`` serves it at."""
    parsed = arn if isinstance(arn, GatewayArn) else GatewayArn.parse(arn)
    if endpoint_url is not None:
        return f"{endpoint_url.rstrip('/')}/gateways/{parsed.gateway_id}/mcp"
    suffix = _SUFFIXES.get(parsed.partition, "amazonaws.com")
    return f"https://{parsed.gateway_id}.gateway.bedrock-agentcore.{parsed.region}.{suffix}/mcp"


def is_gateway_url(url: str) -> bool:
    """True for a gateway's MCP URL: AWS's host shape, or the emulator's ``/gateways/{id}/mcp`` path."""
    parts = urlsplit(url)
    return (
        _AWS_HOST.fullmatch(parts.hostname or "") is not None or _LOCAL_PATH.fullmatch(parts.path) is not None
    )


def gateway_region(url: str) -> str | None:
    """The region in an AWS gateway URL's host, or None (a local URL names none)."""
    match = _AWS_HOST.fullmatch(urlsplit(url).hostname or "")
    return match["region"] if match else None
