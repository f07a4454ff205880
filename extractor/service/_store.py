"""Jobs and their articles in SQLite: what survives a kill -9.

Each article of a job is one row keyed by (job, position) that moves once from
``pending`` to ``ok``, ``failed`` or ``cancelled``; the move is conditional on the row
still being ``pending``, so a result can be written at most once whatever runs twice.
A row is finished only once its transaction is committed (WAL, ``synchronous=FULL``):
after a crash, every ``pending`` row is done again and nothing else is.

All access goes through one thread that owns the connection; the event loop only
awaits it. Outcomes that arrive while a transaction is being written are committed
together in the next one (group commit), so durability costs one fsync per batch.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

FINAL_STATES = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    total INTEGER NOT NULL,
    ok INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS items (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    article TEXT NOT NULL,
    result TEXT,
    error TEXT,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_by_state ON items (job_id, state, seq);
"""


@dataclass(frozen=True)
class JobRow:
    id: str
    kind: str
    state: str
    total: int
    ok: int
    failed: int
    cancelled: int
    created_at: float
    started_at: float | None
    finished_at: float | None

    @property
    def pending(self) -> int:
        return self.total - self.ok - self.failed - self.cancelled


@dataclass(frozen=True)
class Outcome:
    """One article finished: its ``ArticleFacts`` JSON, or its error record.

    ``started_at`` is when its job started (written with the job's first outcome);
    ``last`` says it is the job's last article, so the same transaction closes the job.
    """

    job_id: str
    seq: int
    result: str | None = None
    error: dict[str, Any] | None = None
    started_at: float | None = None
    last: bool = False

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass(frozen=True)
class Recorded:
    """What writing an outcome did: nothing (its item was no longer pending: the job was
    cancelled), or recorded it, and closed its job when it was the last."""

    applied: bool
    closed: JobRow | None = None


_JOB_COLUMNS = "id, kind, state, total, ok, failed, cancelled, created_at, started_at, finished_at"


class JobStore:
    """The service's one SQLite database, used from one private thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job-store")
        self._db: sqlite3.Connection | None = None
        self._unwritten: list[tuple[Outcome, asyncio.Future[Recorded]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(_SCHEMA)
        self._db = db

    async def close(self) -> None:
        if self._flushing is not None:
            await self._flushing
        await self._run(self._close)
        self._thread.shutdown(wait=True)

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "JobStore.open() first"
        return self._db

    # -- jobs ------------------------------------------------------------------------

    async def create_job(
        self, job_id: str, kind: str, articles: Sequence[str], created_at: float | None = None
    ) -> JobRow:
        """A new queued job whose items are ``articles`` (JSON), in order, in one transaction.

        Written before anything asked of the store after this call (one thread, in order)."""
        return await self._run(self._create_job, job_id, kind, articles, created_at or time.time())

    def _create_job(self, job_id: str, kind: str, articles: Sequence[str], now: float) -> JobRow:
        with _transaction(self.db):
            self.db.execute(
                "INSERT INTO jobs (id, kind, state, total, created_at) VALUES (?, ?, 'queued', ?, ?)",
                (job_id, kind, len(articles), now),
            )
            self.db.executemany(
                "INSERT INTO items (job_id, seq, state, article) VALUES (?, ?, 'pending', ?)",
                ((job_id, seq, article) for seq, article in enumerate(articles)),
            )
        return JobRow(job_id, kind, "queued", len(articles), 0, 0, 0, now, None, None)

    async def job(self, job_id: str) -> JobRow | None:
        return await self._run(self._job, job_id)

    def _job(self, job_id: str) -> JobRow | None:
        row = self.db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return JobRow(*row) if row else None

    async def jobs(self, *, limit: int, state: str | None = None) -> list[JobRow]:
        """Newest first."""
        return await self._run(self._jobs, limit, state)

    def _jobs(self, limit: int, state: str | None) -> list[JobRow]:
        where, args = ("WHERE state = ?", (state, limit)) if state else ("", (limit,))
        rows = self.db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs {where} ORDER BY number DESC LIMIT ?", args)
        return [JobRow(*row) for row in rows]

    async def unfinished_jobs(self) -> list[JobRow]:
        """Jobs to resume after a restart, oldest first, with counts read from their items."""
        return await self._run(self._unfinished_jobs)

    def _unfinished_jobs(self) -> list[JobRow]:
        rows = self.db.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'running') ORDER BY number"
        ).fetchall()
        jobs = []
        for row in rows:
            job = JobRow(*row)
            counts = dict(
                self.db.execute("SELECT state, count(*) FROM items WHERE job_id = ? GROUP BY state", (job.id,))
            )
            jobs.append(
                replace(
                    job, ok=counts.get("ok", 0), failed=counts.get("failed", 0), cancelled=counts.get("cancelled", 0)
                )
            )
        return jobs

    async def count_jobs_by_state(self) -> dict[str, int]:
        return await self._run(lambda: dict(self.db.execute("SELECT state, count(*) FROM jobs GROUP BY state")))

    async def finish(self, job_id: str) -> JobRow | None:
        """Close a job whose items are all finished: ``failed`` when none succeeded, else ``done``."""
        return await self._run(self._in_transaction, self._finish, job_id, None)

    async def cancel(self, job_id: str) -> JobRow | None:
        """Every pending item cancelled and the job marked so, in one transaction."""
        return await self._run(self._in_transaction, self._finish, job_id, "cancelled")

    def _in_transaction(self, fn: Callable[..., T], *args: Any) -> T:
        with _transaction(self.db):
            return fn(*args)

    def _finish(self, job_id: str, state: str | None) -> JobRow | None:
        if state == "cancelled":
            self.db.execute("UPDATE items SET state = 'cancelled' WHERE job_id = ? AND state = 'pending'", (job_id,))
        counts = dict(self.db.execute("SELECT state, count(*) FROM items WHERE job_id = ? GROUP BY state", (job_id,)))
        ok, failed = counts.get("ok", 0), counts.get("failed", 0)
        if state is None:
            state = "failed" if failed and not ok else "done"
        self.db.execute(
            "UPDATE jobs SET state = ?, ok = ?, failed = ?, cancelled = ?, finished_at = ? WHERE id = ?",
            (state, ok, failed, counts.get("cancelled", 0), time.time(), job_id),
        )
        return self._job(job_id)

    async def purge(self, finished_before: float) -> dict[str, int]:
        """Forget jobs finished before ``finished_before`` (epoch s); how many, by state."""
        return await self._run(self._in_transaction, self._purge, finished_before)

    def _purge(self, finished_before: float) -> dict[str, int]:
        old = "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?"
        purged = dict(
            self.db.execute(f"SELECT state, count(*) FROM jobs WHERE id IN ({old}) GROUP BY state", (finished_before,))
        )
        self.db.execute(f"DELETE FROM items WHERE job_id IN ({old})", (finished_before,))
        self.db.execute(f"DELETE FROM jobs WHERE id IN ({old})", (finished_before,))
        return purged

    # -- items -----------------------------------------------------------------------

    async def pending_items(self, job_id: str, *, after: int, limit: int) -> list[tuple[int, str]]:
        """(position, article JSON) of pending items after ``after``, in order."""
        return await self._run(self._pending_items, job_id, after, limit)

    def _pending_items(self, job_id: str, after: int, limit: int) -> list[tuple[int, str]]:
        rows = self.db.execute(
            "SELECT seq, article FROM items WHERE job_id = ? AND state = 'pending' AND seq > ? ORDER BY seq LIMIT ?",
            (job_id, after, limit),
        )
        return [(int(seq), str(article)) for seq, article in rows]

    async def results(self, job_id: str, *, after: int, limit: int) -> list[tuple[int, str]]:
        """(position, ArticleFacts JSON) of finished articles after ``after``, in input order."""
        return await self._run(self._finished_column, "result", "ok", job_id, after, limit)

    async def errors(self, job_id: str, *, after: int, limit: int) -> list[tuple[int, str]]:
        """(position, error record JSON) of failed articles after ``after``, in input order."""
        return await self._run(self._finished_column, "error", "failed", job_id, after, limit)

    def _finished_column(self, column: str, state: str, job_id: str, after: int, limit: int) -> list[tuple[int, str]]:
        rows = self.db.execute(
            f"SELECT seq, {column} FROM items WHERE job_id = ? AND state = ? AND seq > ? ORDER BY seq LIMIT ?",
            (job_id, state, after, limit),
        )
        return [(int(seq), str(value)) for seq, value in rows]

    async def record(self, outcome: Outcome) -> Recorded:
        """Make ``outcome`` durable (and close its job when it is the last)."""
        future: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._unwritten.append((outcome, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        # the write goes on even if the waiter is cancelled: it was finished work
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        try:
            while self._unwritten:
                batch, self._unwritten = self._unwritten, []
                try:
                    applied = await self._run(self._write_outcomes, [outcome for outcome, _ in batch])
                except Exception as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), done in zip(batch, applied, strict=True):
                    if not future.done():
                        future.set_result(done)
        finally:
            self._flushing = None

    def _write_outcomes(self, outcomes: list[Outcome]) -> list[Recorded]:
        recorded = []
        with _transaction(self.db):
            for outcome in outcomes:
                cursor = self.db.execute(
                    "UPDATE items SET state = ?, result = ?, error = ?"
                    " WHERE job_id = ? AND seq = ? AND state = 'pending'",
                    (
                        "ok" if outcome.ok else "failed",
                        outcome.result,
                        json.dumps(outcome.error, ensure_ascii=False) if outcome.error is not None else None,
                        outcome.job_id,
                        outcome.seq,
                    ),
                )
                if cursor.rowcount != 1:
                    recorded.append(Recorded(applied=False))
                    continue
                self.db.execute(
                    "UPDATE jobs SET state = 'running', started_at = coalesce(started_at, ?)"
                    " WHERE id = ? AND state = 'queued'",
                    (outcome.started_at or time.time(), outcome.job_id),
                )
                closed = self._finish(outcome.job_id, None) if outcome.last else None
                recorded.append(Recorded(applied=True, closed=closed))
        return recorded


class _transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error (autocommit connection)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
