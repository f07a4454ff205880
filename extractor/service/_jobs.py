"""One queue for every article the service is given, sync or not (docling-serve's pattern).

``POST /v1/extract`` is a job of one article whose caller waits; ``POST /v1/jobs`` is a
job of many whose caller comes back. Workers take articles from the jobs in turn
(round-robin), so a one-article request waits for at most one article of each other
job, never for a whole batch. On an endpoint that serves one request at a time (the
embedded model) one worker feeds it, and the turn order is the order it serves.

Only a job's next few articles are held in memory; the rest stay in the store until
their turn. An article counts as finished once its outcome is committed; after a crash
the store's pending rows are the work left, and nothing finished is done again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import ExtractionError
from ..batch import error_record
from ..models import Article
from ..pipeline import Extractor
from ._metrics import Metrics
from ._store import JobRow, JobStore, Outcome

log = logging.getLogger("extractor.service")

_PAGE = 32  # articles of one job read from the store at a time


class QueueFull(Exception):
    """More articles are waiting than ``max_queued`` allows; try again later."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class JobTooLarge(Exception):
    """A job bigger than the whole queue may hold: it can never be accepted."""


class NotAccepting(Exception):
    """The service is shutting down and takes no new work."""


def new_job_id() -> str:
    return uuid.uuid4().hex


@dataclass(eq=False)
class ActiveJob:
    """A job that still has articles to do, as the queue tracks it."""

    id: str
    kind: str
    total: int
    created_at: float
    undispatched: int  # pending in the store and not yet given to a worker
    state: str = "queued"
    started_at: float | None = None
    ok: int = 0
    failed: int = 0
    cursor: int = -1  # the last position read from the store
    buffer: deque[tuple[int, str]] = field(default_factory=deque)
    running: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    finished: asyncio.Future[JobRow] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    last_outcome: Outcome | None = None  # what a sync caller is answered with
    closing: bool = False  # being finished or cancelled

    def row(self) -> JobRow:
        return JobRow(
            id=self.id,
            kind=self.kind,
            state=self.state,
            total=self.total,
            ok=self.ok,
            failed=self.failed,
            cancelled=0,
            created_at=self.created_at,
            started_at=self.started_at,
            finished_at=None,
        )


@dataclass(frozen=True)
class JobView:
    """A job as a client sees it: its counts, where it stands in the turns, what runs."""

    row: JobRow
    position: int | None
    running: int


class CompletionRate:
    """Articles finished per second over the last ones (for Retry-After)."""

    def __init__(self, window: int = 200) -> None:
        self._times: deque[float] = deque(maxlen=window)

    def tick(self) -> None:
        self._times.append(time.monotonic())

    def per_second(self) -> float | None:
        if len(self._times) < 2:
            return None
        span = time.monotonic() - self._times[0]
        return len(self._times) / span if span > 0 else None


class JobQueue:
    """Accepts jobs, hands their articles to workers in turn, records every outcome."""

    def __init__(self, extractor: Extractor, store: JobStore, metrics: Metrics, *, max_queued: int) -> None:
        self.extractor = extractor
        self.store = store
        self.metrics = metrics
        self.max_queued = max_queued
        self._jobs: dict[str, ActiveJob] = {}
        self._turns: deque[ActiveJob] = deque()  # jobs with articles to hand out, next first
        self._changed = asyncio.Condition()
        self._queued = 0  # articles accepted and not yet handed to a worker
        self._accepting = True
        self._paused = True  # until the backend answers
        self._stopping = False
        self.closing = asyncio.Event()  # set when shutdown begins: waiters answer now
        self._workers: list[asyncio.Task[None]] = []
        self._rate = CompletionRate()
        self.job_states: Counter[str] = Counter()

    # -- start and stop --------------------------------------------------------------

    async def resume(self) -> None:
        """Take up the jobs a previous process left unfinished (killed or stopped)."""
        self.job_states.update(await self.store.count_jobs_by_state())
        for row in await self.store.unfinished_jobs():
            job = ActiveJob(
                id=row.id,
                kind=row.kind,
                total=row.total,
                created_at=row.created_at,
                undispatched=row.pending,
                state=row.state,
                started_at=row.started_at,
                ok=row.ok,
                failed=row.failed,
            )
            self._jobs[job.id] = job
            if job.undispatched:
                self._turns.append(job)
                self._queued += job.undispatched
                log.info("resuming job %s: %d of %d articles left", job.id, job.undispatched, job.total)
            else:
                await self._finish(job)

    def start_workers(self, count: int) -> None:
        if not self._workers:
            self._workers = [asyncio.create_task(self._worker(), name=f"worker-{n}") for n in range(count)]

    async def set_paused(self, paused: bool) -> None:
        """Hand out no new articles while paused (the backend is not answering)."""
        async with self._changed:
            self._paused = paused or not self._accepting
            self._changed.notify_all()

    def stop_accepting(self) -> None:
        """Shutdown begins: no new jobs, no new articles to workers, waiters answer."""
        self._accepting = False
        self._paused = True
        self.closing.set()

    async def stop(self, drain_s: float) -> None:
        """Give articles in flight ``drain_s`` to finish, then cancel the rest: they stay
        pending in the store and are done after a restart."""
        self.stop_accepting()
        async with self._changed:
            self._stopping = True
            self._changed.notify_all()
        running = [task for job in self._jobs.values() for task in job.running.values()]
        if running:
            log.info("waiting up to %.0f s for %d articles in flight", drain_s, len(running))
            _, late = await asyncio.wait(running, timeout=drain_s)
            for task in late:
                task.cancel()
            if late:
                log.info("%d articles left pending; they are done after a restart", len(late))
            await asyncio.gather(*late, return_exceptions=True)
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def purge(self, finished_before: float) -> int:
        """Forget finished jobs older than ``finished_before`` (epoch s) and their results."""
        purged = await self.store.purge(finished_before)
        self.job_states.subtract(purged)
        return sum(purged.values())

    # -- jobs ------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        return self._queued

    @property
    def in_flight(self) -> int:
        return sum(len(job.running) for job in self._jobs.values())

    def _retry_after(self, excess: int) -> int:
        rate = self._rate.per_second()
        if rate is None:
            return 5
        return max(1, min(300, math.ceil(excess / rate)))

    async def submit(self, job_id: str, articles: Sequence[str], kind: str) -> ActiveJob:
        """A new job of ``articles`` (Article JSON, in order); a batch job is durable before
        this returns, a sync job's record is written while its article is extracted."""
        if not self._accepting:
            raise NotAccepting("the service is shutting down and takes no new work")
        count = len(articles)
        if count > self.max_queued:
            raise JobTooLarge(f"a job may hold at most {self.max_queued} articles (--max-queued); this one has {count}")
        if self._queued + count > self.max_queued:
            excess = self._queued + count - self.max_queued
            raise QueueFull(
                f"{self._queued} articles are queued and at most {self.max_queued} may wait; retry later",
                self._retry_after(excess),
            )
        self._queued += count  # held while the job is written, so two requests cannot both fit
        created_at = time.time()
        stored = asyncio.ensure_future(self.store.create_job(job_id, kind, articles, created_at))
        job = ActiveJob(id=job_id, kind=kind, total=count, created_at=created_at, undispatched=count)
        if kind == "sync":
            # its caller waits for the answer anyway, so its article goes out while the job
            # is written: the store's one thread writes the job before any outcome of it
            job.buffer.extend(enumerate(articles))
            job.cursor = count - 1
            stored.add_done_callback(lambda done: self._unstored(job, done))
        else:
            try:
                await stored  # durable before the client hears 202
            except BaseException:
                self._queued -= count
                raise
        self.job_states["queued"] += 1
        self._jobs[job.id] = job
        self._turns.append(job)
        async with self._changed:
            self._changed.notify_all()
        return job

    def _unstored(self, job: ActiveJob, stored: asyncio.Future[JobRow]) -> None:
        """A sync job whose record could not be written is dropped; its caller hears why."""
        error = None if stored.cancelled() else stored.exception()
        if error is None or job.closing:
            return
        log.error("could not write job %s to the store: %s", job.id, error)
        job.closing = True
        with contextlib.suppress(ValueError):
            self._turns.remove(job)
        self._queued -= job.undispatched
        job.undispatched = 0
        job.buffer.clear()
        for task in job.running.values():
            task.cancel()
        self._jobs.pop(job.id, None)
        self.job_states[job.state] -= 1
        if not job.finished.done():
            job.finished.set_exception(error)

    def active(self, job_id: str) -> ActiveJob | None:
        return self._jobs.get(job_id)

    def position(self, job: ActiveJob) -> int | None:
        """How many jobs get an article before this one does (0: it is next)."""
        for index, waiting in enumerate(self._turns):
            if waiting is job:
                return index
        return None

    async def status(self, job_id: str) -> JobView | None:
        """Any job, finished or not; None when there is no such job."""
        job = self._jobs.get(job_id)
        if job is not None:
            return JobView(job.row(), self.position(job), len(job.running))
        row = await self.store.job(job_id)
        return JobView(row, None, 0) if row else None

    async def wait(self, job: ActiveJob, timeout_s: float) -> bool:
        """Until the job finishes (True), ``timeout_s`` passes or shutdown begins (False)."""
        closing: asyncio.Future[Any] = asyncio.ensure_future(self.closing.wait())
        try:
            await asyncio.wait({job.finished, closing}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
        return job.finished.done()

    async def cancel(self, job_id: str) -> JobRow | None:
        """Stop a job: nothing more of it is handed out and its articles in flight are
        abandoned. What had finished stays in its results and errors."""
        job = self._jobs.get(job_id)
        if job is None or job.closing:
            return None
        job.closing = True
        async with self._changed:
            with contextlib.suppress(ValueError):
                self._turns.remove(job)
            self._queued -= job.undispatched
            job.undispatched = 0
            job.buffer.clear()
        for task in list(job.running.values()):
            task.cancel()
        await asyncio.gather(*job.running.values(), return_exceptions=True)
        row = await self.store.cancel(job.id)
        assert row is not None
        self._closed(job, row)
        return row

    # -- the work --------------------------------------------------------------------

    async def _next(self) -> tuple[ActiveJob, int, str] | None:
        """The next article in turn: one from the job at the head, which then goes last."""
        async with self._changed:
            while True:
                await self._changed.wait_for(lambda: self._stopping or (not self._paused and bool(self._turns)))
                if self._stopping:
                    return None
                job = self._turns.popleft()
                if not job.buffer:
                    page = await self.store.pending_items(job.id, after=job.cursor, limit=_PAGE)
                    if page:
                        job.cursor = page[-1][0]
                        job.buffer.extend(page)
                if job.closing:
                    continue
                if self._paused or self._stopping:  # changed while the store was read
                    self._turns.appendleft(job)
                    continue
                if not job.buffer:  # the store has no more: the count was ahead of it
                    self._queued -= job.undispatched
                    job.undispatched = 0
                    if not job.running:
                        await self._finish(job)
                    continue
                seq, article = job.buffer.popleft()
                job.undispatched -= 1
                self._queued -= 1
                if job.undispatched:
                    self._turns.append(job)
                if job.state == "queued":  # the store learns it with the job's first outcome
                    job.state, job.started_at = "running", time.time()
                    self.job_states["queued"] -= 1
                    self.job_states["running"] += 1
                return job, seq, article

    async def _worker(self) -> None:
        while (picked := await self._next()) is not None:
            job, seq, article = picked
            task = asyncio.create_task(self._process(job, seq, article))
            job.running[seq] = task
            # a cancelled job cancels the task, not the worker
            await asyncio.wait({task})

    async def _process(self, job: ActiveJob, seq: int, article_json: str) -> None:
        try:
            outcome = await self._extract(job, seq, Article.model_validate_json(article_json))
            # the last article's transaction also closes the job: one commit, not two
            last = not job.undispatched and job.running.keys() == {seq} and not job.closing
            outcome = replace(outcome, started_at=job.started_at, last=last)
            try:
                recorded = await self.store.record(outcome)
            except Exception:
                log.exception("could not record article %d of job %s; it is tried again", seq, job.id)
                await self._put_back(job, seq, article_json)
                return
        finally:
            job.running.pop(seq, None)
        if not recorded.applied:  # the job was cancelled meanwhile
            return
        self._rate.tick()
        job.last_outcome = outcome
        if outcome.ok:
            job.ok += 1
        else:
            job.failed += 1
        if recorded.closed is not None and not job.closing:
            job.closing = True
            self._closed(job, recorded.closed)
        elif not job.undispatched and not job.running and not job.closing:
            await self._finish(job)

    async def _extract(self, job: ActiveJob, seq: int, article: Article) -> Outcome:
        began = time.perf_counter()
        try:
            facts = await self.extractor.extract(article)
        except ExtractionError as error:
            self.metrics.article_failed(time.perf_counter() - began, error.usage)
            record = error_record(article, error.stage, type(error).__name__, str(error))
            return Outcome(job.id, seq, error=record)
        except Exception as error:  # a bug must not take the worker down; it is recorded
            log.exception("article %d of job %s failed inside the extractor", seq, job.id)
            self.metrics.article_failed(time.perf_counter() - began, None)
            record = error_record(article, "internal", type(error).__name__, str(error)[:500])
            return Outcome(job.id, seq, error=record)
        self.metrics.article_done(time.perf_counter() - began, facts)
        return Outcome(job.id, seq, result=facts.model_dump_json())

    async def _put_back(self, job: ActiveJob, seq: int, article_json: str) -> None:
        await asyncio.sleep(1.0)
        async with self._changed:
            if job.closing:
                return
            job.buffer.appendleft((seq, article_json))
            job.undispatched += 1
            self._queued += 1
            if job not in self._turns:
                self._turns.append(job)
            self._changed.notify_all()

    async def _finish(self, job: ActiveJob) -> None:
        if job.closing:
            return
        job.closing = True
        row = await self.store.finish(job.id)
        assert row is not None
        self._closed(job, row)

    def _closed(self, job: ActiveJob, row: JobRow) -> None:
        if row.state != "cancelled":
            log.info("job %s %s: %d ok, %d failed of %d", job.id, row.state, row.ok, row.failed, row.total)
        self._jobs.pop(job.id, None)
        self.job_states[job.state] -= 1
        self.job_states[row.state] += 1
        job.state = row.state
        if not job.finished.done():
            job.finished.set_result(row)
