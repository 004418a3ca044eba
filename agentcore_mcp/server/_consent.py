"""AgentCore Identity's user consent, sent to the user by URL-mode elicitation.

A tool that acts for a user on a third-party service gets the user's token from AgentCore Identity with
bedrock-agentcore's ``requires_access_token(..., auth_flow="USER_FEDERATION")``. When the token vault holds
none, Identity answers an authorization URL the user must open; the decorator hands it to ``on_auth_url``
(awaited when it is a coroutine function) and then polls the vault until the user has consented.
:func:`elicit_auth_url` makes that callback: it asks the MCP client to show the URL
(:meth:`Context.elicit_url <agentcore_mcp.Context.elicit_url>`), so the person at the client is reached in
both protocol eras, and a client that cannot be asked in-band gets -32042 with the URL, retrying once the
user is done (the vault then answers the token at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from agentcore_mcp.errors import ToolError
from agentcore_mcp.server._context import current
from agentcore_mcp.server._input import redact_url

__all__ = ["elicit_auth_url"]

# bedrock-agentcore's default token poller logs the authorization URL, whose query is the consent session's
# secret, at INFO on a stream handler of its own: its records lose the query string before any handler.
_SDK_POLLER_LOGGER = "bedrock_agentcore.default_token_poller"


class _RedactURLs(logging.Filter):
    """Strips the query string and fragment from every URL among a record's arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        return True


def _redacted(value: object) -> object:
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return redact_url(value)
    return value


def _redact_sdk_logs() -> None:
    sdk = logging.getLogger(_SDK_POLLER_LOGGER)
    if not any(isinstance(f, _RedactURLs) for f in sdk.filters):
        sdk.addFilter(_RedactURLs())


def elicit_auth_url(
    message: str = "Authorize access to your account to continue",
) -> Callable[[str], Coroutine[Any, Any, None]]:
    """An ``on_auth_url`` callback for ``requires_access_token`` that sends the URL by URL elicitation.

    ``requires_access_token(provider_name=..., scopes=..., auth_flow="USER_FEDERATION",
    on_auth_url=elicit_auth_url("Connect your calendar"))``: when AgentCore Identity answers an
    authorization URL, the callback asks the client to show it with ``message`` and returns once the user
    agreed to open it; the decorator then polls the token vault (bedrock-agentcore polls every 5 s, for at
    most 600 s) and calls the function with the token.

    The decorated function is ``async def`` and runs inside a tool that takes a :class:`Context` (any
    parameter annotated with it), which is how the callback reaches the request. In the handshake era a
    client that did not declare ``elicitation.url`` (or any client of a server without sessions) gets
    -32042 with the URL in ``data.elicitations``; in 2026-07-28 the URL travels in an ``input_required``
    round. Either way the client's retry finds the token in the vault once the user has consented.

    The URL is never logged with its query string: not by the server, nor by bedrock-agentcore's poller
    (its log records are redacted from the first call of this function). The callback raises what fails
    the tool call:

    Raises:
        ToolError: the user declined or cancelled; the function is not ``async def`` or its tool takes no
            Context.
        URLElicitationRequired: -32042, the client cannot be asked in-band (handshake era).
    """
    _redact_sdk_logs()

    async def on_auth_url(url: str) -> None:
        found = current.get(None)
        if found is None:
            raise ToolError(
                "elicit_auth_url() sends the authorization URL through the request's Context: "
                "give the tool a parameter annotated Context"
            )
        ctx, loop = found
        if asyncio.get_running_loop() is not loop:
            raise ToolError(
                "elicit_auth_url() works in async functions: make the function that requires_access_token "
                "decorates `async def` (bedrock-agentcore runs a sync one on an event loop of its own)"
            )
        answer = await ctx.elicit_url(url, message)
        if not answer.accepted:
            raise ToolError(f"Authorization was not given (the user chose {answer.action!r})")

    return on_auth_url
