"""Runtime ARNs parse with errors that name the wrong part; URLs are built the way botocore builds them."""

from __future__ import annotations

import pytest

from agentcore_mcp.client._arn import RuntimeArn, data_plane_url, invocations_url, stop_session_url

pytestmark = pytest.mark.mcp1

ARN = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/demo_server-AbCdE12345"


def test_a_runtime_arn_parses_into_its_parts_and_back() -> None:
    arn = RuntimeArn.parse(ARN)
    assert (arn.partition, arn.region, arn.account, arn.runtime_id) == (
        "aws",
        "us-west-2",
        "123456789012",
        "demo_server-AbCdE12345",
    )
    assert str(arn) == ARN


def test_motos_control_plane_arns_are_accepted() -> None:
    arn = RuntimeArn.parse("arn:aws:bedrock-agentcore:us-east-1:123456789012:agent/ed0628d7-1188-4a28:1")
    assert arn.resource_type == "agent"
    assert arn.runtime_id == "ed0628d7-1188-4a28:1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://example.com/mcp", "not an ARN"),
        ("arn:aws:bedrock:us-west-2:123456789012:runtime/x", "service is 'bedrock'"),
        ("arn:aws:bedrock-agentcore-control:us-west-2:123456789012:runtime/x", "service is"),
        ("arn:aws:bedrock-agentcore:uswest2:123456789012:runtime/x", "no valid region"),
        ("arn:aws:bedrock-agentcore:us-west-2:12345:runtime/x", "12 digits"),
        ("arn:aws:bedrock-agentcore:us-west-2:123456789012:gateway/x", "'gateway' resource"),
        ("arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/", "runtime id"),
        (
            "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/x-1/runtime-endpoint/prod",
            "qualifier",
        ),
        ("arn:azure:bedrock-agentcore:us-west-2:123456789012:runtime/x", "partition"),
    ],
)
def test_a_wrong_arn_is_refused_with_a_reason(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuntimeArn.parse(value)


def test_a_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        RuntimeArn.parse(42)  # type: ignore[arg-type]


def test_the_invocations_url_percent_encodes_the_arn_as_botocore_does() -> None:
    assert invocations_url(ARN) == (
        "https://bedrock-agentcore.us-west-2.amazonaws.com/runtimes/"
        "arn%3Aaws%3Abedrock-agentcore%3Aus-west-2%3A123456789012%3Aruntime%2Fdemo_server-AbCdE12345"
        "/invocations?qualifier=DEFAULT"
    )


def test_botocore_sends_invoke_agent_runtime_to_the_same_url() -> None:
    import boto3

    client = boto3.client(
        "bedrock-agentcore", region_name="us-west-2", aws_access_key_id="a", aws_secret_access_key="b"
    )
    seen: list[str] = []

    def capture(request: object, **_: object) -> object:
        from botocore.awsrequest import AWSResponse

        seen.append(request.url)  # type: ignore[attr-defined]
        return AWSResponse(seen[-1], 200, {}, None)

    client.meta.events.register("before-send", capture)
    client.invoke_agent_runtime(agentRuntimeArn=ARN, payload=b"{}", qualifier="DEFAULT")
    assert seen == [invocations_url(ARN)]


def test_urls_follow_the_endpoint_override_qualifier_and_partition() -> None:
    local = invocations_url(ARN, qualifier="prod", endpoint_url="http://127.0.0.1:9000/")
    assert local.startswith("http://127.0.0.1:9000/runtimes/arn%3Aaws")
    assert local.endswith("/invocations?qualifier=prod")
    assert invocations_url(ARN, qualifier=None).endswith("/invocations")
    assert stop_session_url(ARN).endswith("/stopruntimesession?qualifier=DEFAULT")
    china = ARN.replace("aws:", "aws-cn:", 1).replace("us-west-2", "cn-north-1")
    assert data_plane_url(china) == "https://bedrock-agentcore.cn-north-1.amazonaws.com.cn"


def test_an_unknown_partition_needs_an_endpoint_url() -> None:
    iso = ARN.replace("aws:", "aws-iso:", 1)
    with pytest.raises(ValueError, match="endpoint_url"):
        data_plane_url(iso)
    assert data_plane_url(iso, endpoint_url="https://vpce.example") == "https://vpce.example"


def test_the_default_arn_path_sends_where_boto3_would(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentcore_mcp.client import AgentCoreTransport

    arn = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/demo-AbCdE12345"
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert AgentCoreTransport(arn).backend.url == invocations_url(arn)  # type: ignore[attr-defined]
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "http://127.0.0.1:9/")
    expected = invocations_url(arn, endpoint_url="http://127.0.0.1:9")
    assert AgentCoreTransport(arn).backend.url == expected  # type: ignore[attr-defined]
    assert AgentCoreTransport(arn, bearer_token="t").backend.url == expected  # type: ignore[attr-defined]
    given = "http://127.0.0.1:7"
    assert AgentCoreTransport(arn, endpoint_url=given).backend.url.startswith(given)  # type: ignore[attr-defined]
