"""The task record and the in-memory task store: wire shapes, conditional writes, bounds, TTL expiry."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from agentcore_mcp.server._tasks._store import (
    Conflict,
    MemoryTaskStore,
    StoreFull,
    TaskRecord,
    iso8601,
    new_task_id,
)


def record(task_id: str | None = None, *, status: str = "working", ttl_ms: int | None = 60_000) -> TaskRecord:
    now = time.time()
    return TaskRecord(
        task_id=task_id or new_task_id(),
        owner=None,
        status=status,  # type: ignore[arg-type]
        created_at=now,
        updated_at=now,
        ttl_ms=ttl_ms,
        poll_interval_ms=500,
    )


def test_task_ids_carry_192_random_bits_in_a_header_safe_alphabet() -> None:
    ids = {new_task_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", i) for i in ids)  # 32 base64 chars = 192 bits


def test_the_wire_task_has_the_extension_fields_and_payload_only_where_the_status_allows() -> None:
    r = record()
    r.result = {"content": [{"type": "text", "text": "x"}]}
    task = r.task()
    assert set(task) == {"taskId", "status", "createdAt", "lastUpdatedAt", "ttlMs", "pollIntervalMs"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", task["createdAt"])
    assert "result" not in r.detailed()  # still working: no result even if one were set
    r.status = "completed"
    assert r.detailed()["result"] == r.result
    r.status, r.error = "failed", {"code": -32603, "message": "boom"}
    assert r.detailed()["error"] == r.error
    assert "result" not in r.detailed()
    r.status, r.input_requests = "input_required", {"q": {"method": "elicitation/create", "params": {}}}
    assert r.detailed()["inputRequests"] == r.input_requests


def test_iso8601_is_utc_with_milliseconds() -> None:
    assert iso8601(0) == "1970-01-01T00:00:00.000Z"
    assert iso8601(1.2345) == "1970-01-01T00:00:01.234Z"


def test_records_survive_json_and_nan_becomes_null() -> None:
    r = record()
    r.status, r.result = "completed", {"structuredContent": {"x": float("nan")}, "content": []}
    back = TaskRecord.from_json(r.to_json())
    assert back.result == {"structuredContent": {"x": None}, "content": []}
    assert back.task_id == r.task_id
    assert back.ttl_ms == r.ttl_ms


async def test_create_then_get_and_a_second_create_of_the_same_id_conflicts() -> None:
    store = MemoryTaskStore()
    r = record()
    await store.create(r)
    got = await store.get(r.task_id)
    assert got is not None
    assert got.version == 1
    with pytest.raises(Conflict):
        await store.create(record(r.task_id))
    assert await store.get("nope") is None


async def test_a_write_against_a_stale_version_conflicts() -> None:
    store = MemoryTaskStore()
    r = record()
    await store.create(r)
    first = await store.get(r.task_id)
    assert first is not None
    first.status = "completed"
    await store.put(first, 1)
    stale = record(r.task_id, status="cancelled")
    with pytest.raises(Conflict):
        await store.put(stale, 1)
    now = await store.get(r.task_id)
    assert now is not None
    assert now.status == "completed"
    assert now.version == 2


async def test_concurrent_updates_lose_nothing() -> None:
    store = MemoryTaskStore()
    r = record()
    await store.create(r)

    async def add(key: str) -> None:
        def change(current: TaskRecord) -> TaskRecord:
            current.answers[key] = True
            return current

        await asyncio.sleep(0)
        await store.update(r.task_id, change)

    await asyncio.gather(*(add(f"k{i}") for i in range(50)))
    final = await store.get(r.task_id)
    assert final is not None
    assert set(final.answers) == {f"k{i}" for i in range(50)}
    assert final.version == 51


async def test_a_record_past_its_ttl_reads_as_absent() -> None:
    store = MemoryTaskStore()
    r = record(ttl_ms=500)  # a loaded machine can stall a process for tens of milliseconds
    await store.create(r)
    assert await store.get(r.task_id) is not None
    await asyncio.sleep(0.6)
    assert await store.get(r.task_id) is None
    assert len(store) == 0  # and it is gone, bytes too
    assert store.bytes == 0


async def test_the_count_bound_evicts_finished_tasks_oldest_first_never_running_ones() -> None:
    store = MemoryTaskStore(max_tasks=3)
    done_old, done_new, running = record(status="completed"), record(status="completed"), record()
    for r in (done_old, done_new, running):
        await store.create(r)
        await asyncio.sleep(0.002)
    await store.create(record())  # evicts the oldest finished task
    assert await store.get(done_old.task_id) is None
    assert await store.get(done_new.task_id) is not None
    await store.create(record())  # evicts the other finished one
    assert await store.get(done_new.task_id) is None
    assert await store.get(running.task_id) is not None
    with pytest.raises(StoreFull, match="still running"):
        await store.create(record())  # only running tasks left
    assert len(store) == 3


async def test_the_byte_bound_holds_and_a_record_bigger_than_the_store_is_refused() -> None:
    store = MemoryTaskStore(max_bytes=4000)
    finished = []
    for _ in range(20):
        r = record(status="completed")
        r.result = {"content": [{"type": "text", "text": "x" * 500}]}
        await store.create(r)
        finished.append(r.task_id)
        assert store.bytes <= 4000
    assert 0 < len(store) < 20
    assert await store.get(finished[-1]) is not None  # the newest stay
    big = record()
    await store.create(big)
    big.result = {"content": [{"type": "text", "text": "x" * 5000}]}
    with pytest.raises(StoreFull, match="exceeds"):
        await store.put(big, 1)
    kept = await store.get(big.task_id)
    assert kept is not None
    assert kept.result is None


def test_bounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        MemoryTaskStore(max_tasks=0)


async def test_making_room_never_parses_kept_records(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryTaskStore(max_tasks=50)
    for _ in range(50):
        await store.create(record(status="completed"))
    parsed: list[str] = []
    real = TaskRecord.from_json
    monkeypatch.setattr(
        TaskRecord, "from_json", classmethod(lambda cls, text: parsed.append(text) or real(text))
    )
    for _ in range(200):  # every create evicts one finished task
        await store.create(record(status="completed"))
    assert len(store) == 50
    assert (
        parsed == []
    )  # eviction reads its bookkeeping, not the records (it once parsed all 1,000 per write)
