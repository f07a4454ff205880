"""The job store on a real SQLite file: each article's outcome is written at most once."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the service needs the serve extra")

from extractor.service._store import JobStore, Outcome  # noqa: E402


async def test_an_outcome_is_written_once_and_the_last_closes_its_job(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    await store.open()
    try:
        await store.create_job("j", "batch", [json.dumps({"text": f"正文{n}"}) for n in range(3)])
        first = await store.record(Outcome("j", 0, result='{"n": 0}', started_at=time.time()))
        again = await store.record(Outcome("j", 0, result='{"n": "again"}'))
        assert first.applied and not again.applied
        failed = await store.record(Outcome("j", 1, error={"id": "x", "stage": "validation"}))
        assert failed.applied and failed.closed is None
        closing = await store.record(Outcome("j", 2, result='{"n": 2}', last=True))
        assert closing.closed is not None and (closing.closed.state, closing.closed.ok, closing.closed.failed) == (
            "done",
            2,
            1,
        )
        assert await store.results("j", after=-1, limit=10) == [(0, '{"n": 0}'), (2, '{"n": 2}')]
        assert [seq for seq, _ in await store.errors("j", after=-1, limit=10)] == [1]
        assert await store.unfinished_jobs() == []
    finally:
        await store.close()


async def test_cancelled_items_take_no_late_result_and_reopening_resumes_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path)
    await store.open()
    await store.create_job("a", "batch", ["{}", "{}"])
    await store.create_job("b", "batch", ["{}", "{}", "{}"])
    await store.record(Outcome("a", 0, result="{}"))
    cancelled = await store.cancel("a")
    assert cancelled is not None and (cancelled.state, cancelled.ok, cancelled.cancelled) == ("cancelled", 1, 1)
    assert not (await store.record(Outcome("a", 1, result="{}"))).applied
    await store.record(Outcome("b", 1, result="{}"))
    await store.close()

    reopened = JobStore(path)  # as after a restart
    await reopened.open()
    try:
        (left,) = await reopened.unfinished_jobs()
        assert (left.id, left.ok, left.pending) == ("b", 1, 2)
        assert [seq for seq, _ in await reopened.pending_items("b", after=-1, limit=10)] == [0, 2]
        assert await reopened.purge(time.time() + 1) == {"cancelled": 1}
        assert await reopened.job("a") is None and await reopened.job("b") is not None
    finally:
        await reopened.close()
