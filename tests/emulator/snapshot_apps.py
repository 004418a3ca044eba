"""A deliberately snapshot-unsafe MCP server: values made at import time, reported by a tool.

Under ``isolation="snapshot"`` every session is forked from one process that imported this module, so
``IMPORT_TOKEN`` and ``IMPORT_DRAW`` are the same in every session, as on AgentCore Runtime V2; under
``isolation="process"`` each session imports it afresh. ``state_key_id`` reports which requestState key
the server seals with (a digest, never the key). With ``SNAPSHOT_TEST_EAGER_SEALER=1`` the sealer (and its
ephemeral key) is made at import, before the snapshot.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets

from agentcore_mcp import AgentCoreMCP, tool

IMPORT_TOKEN = secrets.token_hex(16)
IMPORT_DRAW = random.random()
IMPORT_PID = os.getpid()


@tool
def import_state() -> dict[str, object]:
    """What this process made at import, and what it makes now."""
    return {
        "token": IMPORT_TOKEN,
        "draw": IMPORT_DRAW,
        "import_pid": IMPORT_PID,
        "pid": os.getpid(),
        "fresh_token": secrets.token_hex(16),
    }


@tool
def state_key_id() -> str:
    """A digest of the key this server seals MRTR requestState with."""
    key: bytes = app.state_sealer._keys[0]
    return hashlib.sha256(b"test:" + key).hexdigest()[:16]


app = AgentCoreMCP("snapshot-unsafe", tools=[import_state, state_key_id])

if os.environ.get("SNAPSHOT_TEST_EAGER_SEALER"):
    app.state_sealer  # noqa: B018 (made at import, before the snapshot, on purpose)
