"""Many articles through one extractor: bounded concurrency, resume, nothing lost.

Every article ends in exactly one of ``facts.jsonl`` (done) or ``errors.jsonl``
(failed, with stage and reason). A rerun skips what is done and retries the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._exceptions import ExtractionError
from .articles import LoadError, load
from .models import Article, ArticleFacts
from .output import ARTICLES, ERRORS, FACTS, SUMMARY, JsonlWriter, read_jsonl, repair_jsonl, write_atomic
from .pipeline import Extractor


def load_error_id(error: LoadError) -> str:
    """A stable id for something that never became an article."""
    digest = hashlib.sha256(f"{error.path}|{error.index}".encode()).hexdigest()[:16]
    return f"unreadable-{digest}"


def estimate_tokens(article: Article) -> int:
    """Rough prompt size: CJK characters are about one token each, other text 1/4."""
    cjk = sum(1 for c in article.text if "\u4e00" <= c <= "\u9fff")
    return cjk + (len(article.text) - cjk) // 4


@dataclass
class Progress:
    """What a progress display needs; updated as articles finish."""

    total: int = 0
    done: int = 0
    failed: int = 0
    cached: int = 0
    skipped: int = 0
    tokens: int = 0


@dataclass
class BatchResult:
    outdir: Path
    ok: int = 0
    failed: int = 0
    cached: int = 0
    skipped: int = 0
    interrupted: bool = False
    wall_s: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)
    fact_counts: Counter[str] = field(default_factory=Counter)
    models: set[str] = field(default_factory=set)
    errors_by_stage: Counter[str] = field(default_factory=Counter)
    loop_lag: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "articles": {
                "ok": self.ok,
                "failed": self.failed,
                "cached": self.cached,
                "skipped_done": self.skipped,
            },
            "facts": dict(self.fact_counts),
            "errors_by_stage": dict(self.errors_by_stage),
            "tokens": self.usage,
            "wall_time_s": round(self.wall_s, 3),
            "event_loop_lag": self.loop_lag,
            "models": sorted(self.models),
            "interrupted": self.interrupted,
        }


class LoopLag:
    """How late the event loop wakes a sleeper: CPU work on the loop shows up as lag,
    and lag delays every request in flight (reported in summary.json)."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self.max_s = 0.0
        self.total_s = 0.0
        self.samples = 0

    async def watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            await asyncio.sleep(self.interval_s)
            lag = max(0.0, loop.time() - began - self.interval_s)
            self.max_s = max(self.max_s, lag)
            self.total_s += lag
            self.samples += 1

    def summary(self) -> dict[str, float]:
        mean = self.total_s / self.samples if self.samples else 0.0
        return {"max_ms": round(self.max_s * 1000, 1), "mean_ms": round(mean * 1000, 2)}


class RateLimiter:
    """At most ``rpm`` article starts per minute, spread evenly."""

    def __init__(self, rpm: float | None) -> None:
        self.interval = 60.0 / rpm if rpm else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


class BatchRunner:
    """Runs ``extractor`` over inputs into ``outdir``."""

    def __init__(
        self,
        extractor: Extractor,
        outdir: Path,
        *,
        concurrency: int = 1,
        rpm: float | None = None,
        force: bool = False,
        limit: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.extractor = extractor
        self.outdir = outdir
        self.concurrency = max(1, concurrency)
        self.limiter = RateLimiter(rpm)
        self.force = force
        self.limit = limit
        self.on_progress = on_progress or (lambda _: None)
        self.progress = Progress()

    # -- state on disk ---------------------------------------------------------------

    def _done_ids(self) -> set[str]:
        if self.force:
            return set()
        return {r["article"]["id"] for r in read_jsonl(self.outdir / FACTS) if isinstance(r.get("article"), dict)}

    def _rewrite_errors(self, done: set[str], failed_now: dict[str, dict[str, Any]]) -> None:
        """Keep one record per still-failing article: this run's, else the last run's."""
        path = self.outdir / ERRORS
        kept: dict[str, dict[str, Any]] = {}
        for record in read_jsonl(path):
            kept[str(record.get("id"))] = record
        kept.update(failed_now)
        for article_id in done:
            kept.pop(article_id, None)
        for article_id in self._retried_ok:
            kept.pop(article_id, None)
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept.values())
        write_atomic(path, lines)

    # -- the run ---------------------------------------------------------------------

    def _unique(self, inputs: Iterable[str | Path]) -> Iterator[tuple[str, Article | LoadError]]:
        """(key, item) for each distinct article or read error, up to ``limit``."""
        seen: set[str] = set()
        for item in load(inputs):
            if self.limit is not None and len(seen) >= self.limit:
                return
            key = load_error_id(item) if isinstance(item, LoadError) else item.id
            if key not in seen:
                seen.add(key)
                yield key, item

    def plan(self, inputs: Iterable[str | Path], done: set[str] | None = None) -> tuple[int, int]:
        """(articles found, of which already done) without keeping their texts."""
        done = self._done_ids() if done is None else done
        found = already = 0
        for key, _ in self._unique(inputs):
            found += 1
            already += key in done
        return found, already

    async def run(self, inputs: list[str | Path]) -> BatchResult:
        began = time.perf_counter()
        self.outdir.mkdir(parents=True, exist_ok=True)
        (self.outdir / ARTICLES).mkdir(exist_ok=True)
        repair_jsonl(self.outdir / FACTS)
        repair_jsonl(self.outdir / ERRORS)
        if self.force:
            for name in (FACTS, ERRORS):
                (self.outdir / name).unlink(missing_ok=True)
        done = self._done_ids()
        total, _ = self.plan(inputs, done)
        self.progress.total = total
        result = BatchResult(outdir=self.outdir)
        self._retried_ok: set[str] = set()
        failed_now: dict[str, dict[str, Any]] = {}
        usage: Counter[str] = Counter()
        facts_out = JsonlWriter(self.outdir / FACTS)
        errors_out = JsonlWriter(self.outdir / ERRORS)
        queue: asyncio.Queue[Article | LoadError | None] = asyncio.Queue(maxsize=self.concurrency * 2)

        def fail(record: dict[str, Any]) -> None:
            failed_now[record["id"]] = record
            errors_out.write(record)
            result.failed += 1
            result.errors_by_stage[record["stage"]] += 1
            self.progress.failed += 1
            self.progress.done += 1
            self.on_progress(self.progress)

        async def handle(item: Article | LoadError) -> None:
            if isinstance(item, LoadError):
                fail(
                    {
                        "id": load_error_id(item),
                        "source": item.path,
                        "index": item.index,
                        "title": None,
                        "stage": item.stage,
                        "error_type": "LoadError",
                        "message": item.reason,
                    }
                )
                return
            await self.limiter.wait()
            try:
                facts = await self.extractor.extract(item)
            except ExtractionError as error:
                for key, value in error.usage.model_dump().items():
                    usage[key] += value
                fail(_error_record(item, error.stage, type(error).__name__, str(error)))
                return
            except Exception as error:  # a bug must not end the batch; it is recorded
                fail(_error_record(item, "internal", type(error).__name__, str(error)[:500]))
                return
            # disk writes (fsync) off the event loop, so other articles keep flowing; a
            # write that has started is finished and counted even when the run is cancelled
            write = asyncio.ensure_future(asyncio.to_thread(self._write_facts, facts, facts_out))
            try:
                await asyncio.shield(write)
            except asyncio.CancelledError:
                await write
                succeeded(item, facts)
                raise
            succeeded(item, facts)

        def succeeded(item: Article, facts: ArticleFacts) -> None:
            self._retried_ok.add(item.id)
            result.cached += facts.meta.cached
            result.models.add(facts.meta.model)
            result.fact_counts.update(facts.fact_counts())
            for key, value in facts.meta.usage.model_dump().items():
                usage[key] += value
            self.progress.done += 1
            self.progress.cached += facts.meta.cached
            self.progress.tokens = usage["total_tokens"]
            self.on_progress(self.progress)

        async def worker() -> None:
            while (item := await queue.get()) is not None:
                await handle(item)

        async def produce() -> None:
            for key, item in self._unique(inputs):
                if key in done:
                    result.skipped += 1
                    self.progress.skipped += 1
                    self.progress.done += 1
                    self.on_progress(self.progress)
                    continue
                await queue.put(item)
                # one article at a time: the loop sends what a slot has prepared before the
                # next slot starts preparing. Otherwise every slot prepares its first request
                # before any goes out (at 64 in flight the first left 0.38 s after the
                # start, now 0.16 s) and the slots then move in step, each answer waiting
                # for its whole wave to be handled
                await asyncio.sleep(0)
            for _ in range(self.concurrency):
                await queue.put(None)

        workers = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
        lag = LoopLag()
        watcher = asyncio.create_task(lag.watch())
        try:
            await asyncio.gather(produce(), *workers)
        except asyncio.CancelledError:
            result.interrupted = True
            # gather has cancelled the workers; a worker in the middle of a write finishes
            # it before the writers close and the count is taken (cancelling again would
            # cut that wait short)
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            watcher.cancel()
            result.loop_lag = lag.summary()
            facts_out.close()
            errors_out.close()
            result.ok = facts_out.written  # what is on disk: the one count of finished articles
            self._rewrite_errors(done | self._retried_ok, failed_now)
            result.wall_s = time.perf_counter() - began
            result.usage = dict(usage)
            write_atomic(self.outdir / SUMMARY, json.dumps(result.summary(), ensure_ascii=False, indent=2) + "\n")
        return result

    def _write_facts(self, facts: ArticleFacts, writer: JsonlWriter) -> None:
        # pydantic's own serialiser: this runs in a thread but holds the GIL, so its time
        # is time the event loop waits
        write_atomic(self.outdir / ARTICLES / f"{facts.article.id}.json", facts.model_dump_json(indent=2) + "\n")
        writer.write_line(facts.model_dump_json())


def _error_record(article: Article, stage: str, error_type: str, message: str) -> dict[str, Any]:
    origin = article.origin
    return {
        "id": article.id,
        "source": origin.path if origin else None,
        "index": origin.index if origin else None,
        "title": article.title,
        "stage": stage,
        "error_type": error_type,
        "message": message,
    }
