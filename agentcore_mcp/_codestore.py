"""Where code zips live: an S3 bucket, one object per zip content (its key holds the zip's SHA-256).

:func:`upload_code_zip` puts a zip at ``agentcore-mcp/<runtime name>/<sha256>.zip`` unless that object is
already there (same key, same content: an unchanged project is not uploaded again); :func:`ensure_bucket`
creates the bucket :func:`default_bucket` names (``agentcore-mcp-code-<account>-<region>``) when it is
missing. Errors are one-line :class:`~agentcore_mcp.errors.DeployError` s naming the S3 call.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentcore_mcp.errors import DeployError

__all__ = ["Upload", "default_bucket", "ensure_bucket", "object_key", "upload_code_zip"]

KEY_PREFIX = "agentcore-mcp"


@dataclass(frozen=True)
class Upload:
    """Where a code zip is in S3, and whether this call put it there (False: it was already there)."""

    bucket: str
    key: str
    version_id: str | None
    uploaded: bool


def default_bucket(account_id: str, region: str) -> str:
    """The bucket ``deploy`` creates and uses when none is given: ``agentcore-mcp-code-<account>-<region>``."""
    return f"agentcore-mcp-code-{account_id}-{region}"


def object_key(runtime_name: str, sha256: str) -> str:
    """``agentcore-mcp/<runtime name>/<sha256>.zip``: the key names the content."""
    return f"{KEY_PREFIX}/{runtime_name}/{sha256}.zip"


def ensure_bucket(s3: Any, bucket: str, region: str, *, create: bool) -> bool:
    """Check that ``bucket`` exists; with ``create``, create it when missing. True when it was created.

    Raises:
        DeployError: the bucket is missing (and ``create`` is False), or belongs to someone else, or a
            call failed.
    """
    exceptions = importlib.import_module("botocore.exceptions")
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("403", "AccessDenied"):
            raise DeployError(
                f"head_bucket failed: access denied to s3://{bucket} (another account's bucket, or no "
                "s3:ListBucket permission)"
            ) from None
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise _error("head_bucket", exc) from None
    except exceptions.BotoCoreError as exc:
        raise DeployError(f"head_bucket failed: {exc}") from None
    if not create:
        raise DeployError(f"no S3 bucket {bucket} (create it, or leave --bucket out to let deploy make one)")
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    _call(s3, "create_bucket", **kwargs)
    return True


def upload_code_zip(s3: Any, path: Path, *, sha256: str, bucket: str, key: str) -> Upload:
    """Put the zip at ``path`` into ``bucket`` under ``key``, unless an object with its hash is there.

    Raises:
        DeployError: an S3 call failed (the message names it and the permission it needs).
    """
    exceptions = importlib.import_module("botocore.exceptions")
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except exceptions.ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) not in ("404", "NoSuchKey", "NotFound"):
            raise _error("head_object", exc) from None
    else:
        if head.get("Metadata", {}).get("sha256") == sha256:
            return Upload(bucket, key, _version(head), uploaded=False)
    put = _call(
        s3,
        "put_object",
        Bucket=bucket,
        Key=key,
        Body=path.read_bytes(),
        ContentType="application/zip",
        Metadata={"sha256": sha256},
    )
    return Upload(bucket, key, _version(put), uploaded=True)


def _version(answer: dict[str, Any]) -> str | None:
    version = answer.get("VersionId")
    return str(version) if version and version != "null" else None


def _call(s3: Any, operation: str, **kwargs: Any) -> Any:
    exceptions = importlib.import_module("botocore.exceptions")
    try:
        return getattr(s3, operation)(**kwargs)
    except exceptions.ClientError as exc:
        raise _error(operation, exc) from None
    except exceptions.NoCredentialsError:
        raise DeployError(f"{operation}: no AWS credentials found") from None
    except exceptions.BotoCoreError as exc:
        raise DeployError(f"{operation} failed: {exc}") from None


def _error(operation: str, exc: Any) -> DeployError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "Error")
    text = f"{operation} failed: {code}: {error.get('Message') or exc}"
    if code in ("AccessDenied", "403"):
        text += " (deploying a code zip needs s3:PutObject and s3:GetObject on the bucket)"
    return DeployError(text)
