"""The Tasks extension (``io.modelcontextprotocol/tasks``): a tool call that outlives its request.

:class:`Tasks` is the extension (``_extension.py``: the methods, the take-over of ``tools/call``, the
runs); :class:`TaskStore` is where task records live (``_store.py``: the protocol, ids, the in-memory
store) and :class:`DynamoDBTaskStore` the one replicas share (``_dynamodb.py``). docs/long-running.md
says what the extension does on the wire and why.
"""

from __future__ import annotations

from agentcore_mcp.server._tasks._dynamodb import DynamoDBTaskStore
from agentcore_mcp.server._tasks._extension import Tasks
from agentcore_mcp.server._tasks._store import MemoryTaskStore, TaskRecord, TaskStore

__all__ = ["DynamoDBTaskStore", "MemoryTaskStore", "TaskRecord", "TaskStore", "Tasks"]
