"""The gateway's ``x_amz_bedrock_agentcore_search`` tool: its definition, the query and a local word ranking.

AgentCore's search (gateways with ``protocolConfiguration.mcp.searchType: SEMANTIC``) is semantic
(embeddings); this one ranks the catalogued tools by the words of the query found in their names (twice
the weight) and descriptions.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic_core import to_json

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator._platform_errors import jsonrpc_error

__all__ = ["SEARCH_DEFINITION", "SEARCH_TOOL", "rank", "search_enabled", "search_query", "search_result"]

SEARCH_TOOL = "x_amz_bedrock_agentcore_search"
SEARCH_DEFINITION = {
    "name": SEARCH_TOOL,
    "description": "A special tool that returns a trimmed down list of tools given a context. Use this tool "
    "only when there are many tools available and you want to get a subset that matches the provided context.",
    "inputSchema": {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "search query"}},
        "required": ["query"],
    },
}
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("_", " "))


def rank(tools: list[dict[str, Any]], query: str, limit: int = 10) -> list[dict[str, Any]]:
    """The tools whose name or description share words with ``query``, most shared words first."""
    wanted = set(_words(query))
    scored = []
    for position, tool in enumerate(tools):
        name_words = set(_words(str(tool.get("name", ""))))
        text_words = set(_words(str(tool.get("description") or "")))
        score = 2 * len(wanted & name_words) + len(wanted & text_words)
        if score:
            scored.append((-score, position, tool))
    return [tool for _, _, tool in sorted(scored, key=lambda item: item[:2])[:limit]]


def search_enabled(gateway: Any) -> bool:
    """True when the gateway (moto's record) lists and answers the search tool."""
    mcp = (gateway.protocol_configuration or {}).get("mcp") or {}
    return mcp.get("searchType") == "SEMANTIC"


def search_query(params: dict[str, Any], request_id: Any) -> str:
    """The query of a search ``tools/call`` (its ``params``); JSON-RPC -32602 when there is none."""
    arguments = params.get("arguments")
    query = arguments.get("query") if isinstance(arguments, dict) else None
    if not isinstance(query, str) or not query.strip():
        raise jsonrpc_error(request_id, wire.INVALID_PARAMS, "query is required")
    return query


def search_result(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """The search tool's ``tools/call`` result listing ``tools``."""
    found = {"tools": tools}
    return {
        "content": [{"type": "text", "text": to_json(found).decode()}],
        "structuredContent": found,
        "isError": False,
    }
