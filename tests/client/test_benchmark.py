"""The client benchmark (``python -m benchmarks.client``) still runs end to end: a tiny smoke run."""

from __future__ import annotations

from benchmarks.client import main


def test_the_client_benchmark_measures_every_client() -> None:
    report = main(["--calls", "8", "--repeat", "1", "--concurrency", "1", "2", "--no-write"])
    rows = {row["client"]: row for row in report["rows"]}
    assert set(rows) == {
        "sdk-direct",
        "ours-direct",
        "ours-httpx-direct",
        "ours-aiohttp-direct",
        "sdk-emulator",
        "ours-bearer-emulator",
        "ours-arn-emulator",
        "ours-sigv4-emulator",
        "ours-boto3-emulator",
    }
    assert all(row["c1"] > 0 and row["c2"] > 0 for row in rows.values())
    assert set(report["ratios"]) == {"c1", "c2"}
