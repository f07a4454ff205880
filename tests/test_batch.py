"""Batch bookkeeping that needs no model: the event-loop lag probe."""

from __future__ import annotations

import asyncio
import time

from extractor.batch import LoopLag


async def test_loop_lag_sees_a_blocking_call() -> None:
    lag = LoopLag(interval_s=0.01)
    watcher = asyncio.create_task(lag.watch())
    await asyncio.sleep(0.05)
    time.sleep(0.2)  # CPU work on the loop: every sleeper wakes late
    await asyncio.sleep(0.05)
    watcher.cancel()
    summary = lag.summary()
    assert summary["max_ms"] >= 150
    assert 0 < summary["mean_ms"] < summary["max_ms"]


def test_idle_loop_summary_is_zero() -> None:
    assert LoopLag().summary() == {"max_ms": 0.0, "mean_ms": 0.0}
