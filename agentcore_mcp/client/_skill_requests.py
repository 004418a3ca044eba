"""The Skills extension's requests as mcp 2.x models (imported by :mod:`._skills` on its first request).

Kept apart so that importing :class:`~agentcore_mcp.client.SkillsClient` imports no SDK.
"""

from __future__ import annotations

from typing import Literal

from mcp_types import PaginatedRequestParams, Request, RequestParams, Result
from pydantic import ConfigDict

__all__ = ["Answer", "GetSkill", "ListSkills"]


class ListSkills(Request[PaginatedRequestParams, Literal["skills/list"]]):
    method: Literal["skills/list"] = "skills/list"

    @classmethod
    def make(cls, cursor: str | None) -> ListSkills:
        return cls(params=PaginatedRequestParams(cursor=cursor))


class UriParams(RequestParams):
    uri: str


class GetSkill(Request[UriParams, Literal["skills/get"]]):
    method: Literal["skills/get"] = "skills/get"

    @classmethod
    def make(cls, uri: str) -> GetSkill:
        return cls(params=UriParams(uri=uri))


class Answer(Result):
    """A ``skills/*`` answer, every field kept as sent."""

    model_config = ConfigDict(extra="allow")
