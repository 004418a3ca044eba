"""AgentCore runtime ARNs: parsing with clear errors, and the data-plane URLs built from them.

A runtime ARN looks like ``arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/my_server-AbCdE12345``.
The data plane is ``https://bedrock-agentcore.{region}.{dns suffix}``; an invocation is a POST to
``/runtimes/{percent-encoded ARN}/invocations?qualifier=...`` there.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

__all__ = [
    "RuntimeArn",
    "configured_endpoint",
    "data_plane_url",
    "invocations_url",
    "is_runtime_arn",
    "stop_session_url",
]

SERVICE = "bedrock-agentcore"
DNS_SUFFIXES = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}
# "runtime" is what AWS issues; moto's local control plane issues "agent/<uuid>:<version>" ARNs.
RESOURCE_TYPES = ("runtime", "agent")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_ACCOUNT = re.compile(r"\d{12}")
_RUNTIME_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.-]{0,127}")


@dataclass(frozen=True)
class RuntimeArn:
    """A parsed AgentCore runtime ARN. ``str(arn)`` gives the ARN back unchanged."""

    partition: str
    region: str
    account: str
    resource_type: str
    runtime_id: str

    @classmethod
    def parse(cls, value: str) -> RuntimeArn:
        """Parse ``value``, or raise ``ValueError`` naming the part that is wrong and what was expected."""
        if not isinstance(value, str):
            raise TypeError(f"a runtime ARN must be a str, got {type(value).__name__}: {value!r}")
        text = value.strip()
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ValueError(
                f"not an ARN: {value!r}; expected arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/RUNTIME_ID"
            )
        _, partition, service, region, account, resource = parts
        if service != SERVICE:
            hint = " (that is a control-plane or other service ARN)" if service else ""
            raise ValueError(
                f"not an AgentCore runtime ARN: service is {service!r}, expected {SERVICE!r}{hint}: {value!r}"
            )
        if not partition.startswith("aws"):
            raise ValueError(
                f"unknown partition {partition!r} in {value!r}; expected aws, aws-cn or aws-us-gov"
            )
        if _REGION.fullmatch(region) is None:
            raise ValueError(f"the ARN has no valid region (got {region!r}), e.g. us-west-2: {value!r}")
        if _ACCOUNT.fullmatch(account) is None:
            raise ValueError(f"the ARN's account must be 12 digits, got {account!r}: {value!r}")
        resource_type, slash, runtime_id = resource.partition("/")
        if not slash or resource_type not in RESOURCE_TYPES:
            raise ValueError(
                f"the ARN names a {resource_type!r} resource, not a runtime; expected 'runtime/RUNTIME_ID': {value!r}"
            )
        if "/runtime-endpoint/" in runtime_id:
            raise ValueError(
                "this is a runtime endpoint ARN; pass the runtime ARN and the endpoint name as the qualifier: "
                f"{value!r}"
            )
        if _RUNTIME_ID.fullmatch(runtime_id) is None:
            raise ValueError(
                f"the ARN's runtime id {runtime_id!r} is empty or has unexpected characters: {value!r}"
            )
        return cls(partition, region, account, resource_type, runtime_id)

    def __str__(self) -> str:
        return f"arn:{self.partition}:{SERVICE}:{self.region}:{self.account}:{self.resource_type}/{self.runtime_id}"


def is_runtime_arn(value: str) -> bool:
    """True when ``value`` looks like an ARN (``arn:...``) rather than a URL; it may still fail to parse."""
    return value.strip().startswith("arn:")


def data_plane_url(arn: RuntimeArn | str, *, endpoint_url: str | None = None) -> str:
    """The AgentCore data-plane base URL for ``arn``'s region, or ``endpoint_url`` (without a trailing ``/``)."""
    if endpoint_url:
        return endpoint_url.rstrip("/")
    parsed = arn if isinstance(arn, RuntimeArn) else RuntimeArn.parse(arn)
    suffix = DNS_SUFFIXES.get(parsed.partition)
    if suffix is None:
        raise ValueError(f"no known endpoint for partition {parsed.partition!r}; pass endpoint_url=")
    return f"https://{SERVICE}.{parsed.region}.{suffix}"


def configured_endpoint(region: str, session: Any = None) -> str:
    """The data-plane URL botocore would call for ``region``, with the user's configuration applied.

    That is ``AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`` / ``AWS_ENDPOINT_URL``, the shared config file's
    ``endpoint_url`` settings of the profile of ``session`` (a ``boto3.Session``; default: a new one), and
    otherwise the regional endpoint. A botocore client is created to ask (unsigned: no credential lookup).
    """
    # imported by name: boto3 and botocore ship no type information
    unsigned = importlib.import_module("botocore").UNSIGNED
    config = importlib.import_module("botocore.config").Config(signature_version=unsigned)
    if session is None:
        session = importlib.import_module("boto3").Session()
    client = session.client(SERVICE, region_name=region, config=config)
    return str(client.meta.endpoint_url).rstrip("/")


def _runtime_path(arn: RuntimeArn | str, action: str, qualifier: str | None, endpoint_url: str | None) -> str:
    parsed = arn if isinstance(arn, RuntimeArn) else RuntimeArn.parse(arn)
    url = (
        f"{data_plane_url(parsed, endpoint_url=endpoint_url)}/runtimes/{quote(str(parsed), safe='')}/{action}"
    )
    if qualifier:
        url += f"?qualifier={quote(qualifier, safe='')}"
    return url


def invocations_url(
    arn: RuntimeArn | str, *, qualifier: str | None = "DEFAULT", endpoint_url: str | None = None
) -> str:
    """The InvokeAgentRuntime URL: the MCP endpoint of a deployed runtime, for bearer-token or SigV4 HTTPS.

    >>> invocations_url("arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/demo-AbCdE12345")
    'https://bedrock-agentcore.us-west-2.amazonaws.com/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-west-2%3A123456789012%3Aruntime%2Fdemo-AbCdE12345/invocations?qualifier=DEFAULT'
    """
    return _runtime_path(arn, "invocations", qualifier, endpoint_url)


def stop_session_url(
    arn: RuntimeArn | str, *, qualifier: str | None = "DEFAULT", endpoint_url: str | None = None
) -> str:
    """The StopRuntimeSession URL for ``arn``."""
    return _runtime_path(arn, "stopruntimesession", qualifier, endpoint_url)
