"""A task store on Amazon DynamoDB: results outlive the microVM that produced them.

On AgentCore Runtime each session runs in its own microVM, which the platform stops after the idle timeout
(15 minutes by default) or the maximum lifetime (8 hours); a task kept in process memory dies with it. With
this store every session of a runtime (and every replica of a server elsewhere) reads and writes the same
records, so a client can fetch a task's result by id from any session, later.

Table layout (one item per task): partition key ``taskId`` (string); ``doc`` holds the record as JSON;
``version`` (number) is the optimistic-concurrency counter every write is conditioned on; ``expiresAt``
(number, epoch seconds) is the table's TTL attribute. DynamoDB deletes expired items lazily (typically within
a few days), so reads treat an item past ``expiresAt`` as absent. Reads are strongly consistent.

boto3 is imported when the store is made, never when ``agentcore_mcp`` is imported (the serving path stays
light); install it with the ``dynamodb`` extra. Calls run in worker threads so the event loop never blocks.
The server's execution role needs ``dynamodb:GetItem`` and ``dynamodb:PutItem`` on the table.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from typing import Any

from agentcore_mcp.server._tasks._store import Conflict, StoreFull, TaskRecord, TaskStore

__all__ = ["DynamoDBTaskStore"]

# DynamoDB's item size limit is 400 KB (names and values together); leave room for the other attributes.
MAX_DOC_BYTES = 390 * 1024


class DynamoDBTaskStore(TaskStore):
    """Task records in a DynamoDB table, shared by every process pointed at it.

    Args:
        table_name: the table (partition key ``taskId``, a string; TTL on ``expiresAt``). See
            :meth:`create_table`.
        client: a boto3 DynamoDB client to use (its region, credentials and endpoint); by default one is made
            from the environment (``AWS_REGION``/``AWS_DEFAULT_REGION``, the credential chain).
        region_name, endpoint_url: used when no client is given.
    """

    def __init__(
        self,
        table_name: str,
        *,
        client: Any = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        if not table_name:
            raise ValueError("table_name must be a DynamoDB table name")
        self.table_name = table_name
        if client is None:
            # By name: boto3 ships no type information, and only this store needs it (the dynamodb extra).
            boto3 = importlib.import_module("boto3")
            region = region_name or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
        self._client = client
        self._conditional_failed: type[Exception] = client.exceptions.ConditionalCheckFailedException

    def create_table(self, *, wait: bool = True) -> None:
        """Create the table (on-demand billing) and turn on its TTL; for set-up scripts and tests.

        Production tables are better made by infrastructure code; this is the same layout.
        """
        self._client.create_table(
            TableName=self.table_name,
            KeySchema=[{"AttributeName": "taskId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "taskId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        if wait:
            self._client.get_waiter("table_exists").wait(TableName=self.table_name)
        self._client.update_time_to_live(
            TableName=self.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"},
        )

    def _item(self, record: TaskRecord) -> dict[str, Any]:
        doc = record.to_json()
        if len(doc.encode()) > MAX_DOC_BYTES:
            raise StoreFull(
                f"a task record of {len(doc.encode())} bytes exceeds what one DynamoDB item holds "
                f"({MAX_DOC_BYTES} bytes)"
            )
        item: dict[str, Any] = {
            "taskId": {"S": record.task_id},
            "doc": {"S": doc},
            "version": {"N": str(record.version)},
        }
        expires = record.expires_at
        if expires is not None:
            item["expiresAt"] = {"N": str(int(expires) + 1)}
        return item

    async def create(self, record: TaskRecord) -> None:
        record.version = 1
        item = self._item(record)

        def write() -> None:
            try:
                self._client.put_item(
                    TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(taskId)"
                )
            except self._conditional_failed:
                raise Conflict(f"task {record.task_id} exists") from None

        await asyncio.to_thread(write)

    async def get(self, task_id: str) -> TaskRecord | None:
        def read() -> dict[str, Any] | None:
            answer = self._client.get_item(
                TableName=self.table_name, Key={"taskId": {"S": task_id}}, ConsistentRead=True
            )
            item: dict[str, Any] | None = answer.get("Item")
            return item

        item = await asyncio.to_thread(read)
        if item is None:
            return None
        record = TaskRecord.from_json(item["doc"]["S"])
        record.version = int(item["version"]["N"])
        if record.expired(time.time()):
            return None
        return record

    async def put(self, record: TaskRecord, expected_version: int) -> None:
        record.version = expected_version + 1
        item = self._item(record)

        def write() -> None:
            try:
                self._client.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression="version = :expected",
                    ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
                )
            except self._conditional_failed:
                raise Conflict(f"task {record.task_id} changed") from None

        try:
            await asyncio.to_thread(write)
        except BaseException:
            record.version = expected_version
            raise

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if callable(close):
            close()
