"""Gateway ARNs and URLs on the client side: parsing, the URL an ARN names, and SigV4 chosen for them."""

from __future__ import annotations

import pytest

from agentcore_mcp.client import (
    AgentCoreTransport,
    GatewayArn,
    SigV4Auth,
    gateway_url,
    is_gateway_arn,
    is_gateway_url,
)

ARN = "arn:aws:bedrock-agentcore:us-west-2:123456789012:gateway/mygateway-abcdefghij"
AWS_URL = "https://mygateway-abcdefghij.gateway.bedrock-agentcore.us-west-2.amazonaws.com/mcp"


def test_a_gateway_arn_parses_and_names_its_url() -> None:
    arn = GatewayArn.parse(ARN)
    assert (arn.region, arn.account, arn.gateway_id) == ("us-west-2", "123456789012", "mygateway-abcdefghij")
    assert str(arn) == ARN
    assert gateway_url(ARN) == AWS_URL
    assert (
        gateway_url(arn, endpoint_url="http://127.0.0.1:9/")
        == "http://127.0.0.1:9/gateways/mygateway-abcdefghij/mcp"
    )


def test_runtime_arns_and_other_urls_are_not_gateways() -> None:
    assert not is_gateway_arn("arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/demo-AbCdE12345")
    assert is_gateway_arn(ARN)
    assert is_gateway_url(AWS_URL)
    assert is_gateway_url("http://127.0.0.1:8080/gateways/abc/mcp")
    assert not is_gateway_url("http://127.0.0.1:8000/mcp")
    with pytest.raises(ValueError, match="gateway/GATEWAY_ID"):
        GatewayArn.parse("arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/x")


@pytest.mark.parametrize("target", [ARN, AWS_URL])
def test_a_gateway_is_signed_with_sigv4_in_its_region_by_default(target: str) -> None:
    transport = AgentCoreTransport(target)
    auth = transport.backend.auth  # type: ignore[attr-defined]
    assert isinstance(auth, SigV4Auth)
    assert (auth.region, auth.service) == ("us-west-2", "bedrock-agentcore")
    assert not transport.agentcore  # a gateway has no runtime session to stop


def test_a_jwt_gateway_gets_the_bearer_token_instead() -> None:
    transport = AgentCoreTransport(AWS_URL, bearer_token="t0ken")
    assert not isinstance(transport.backend.auth, SigV4Auth)  # type: ignore[attr-defined]
