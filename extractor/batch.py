"""Many articles through one extractor: bounded concurrency, resume, nothing lost.

Every input ends in exactly one place: its article's line in ``facts.jsonl`` (done,
listing every input it was read from in ``article.origins``), a record in
``errors.jsonl`` (failed, with stage and reason), or, when it repeats a body read
before, the ``duplicates`` count in ``summary.json`` and that article's origins. A
rerun skips what is done and retries the rest. One run at a time owns the output folder.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._exceptions import ExtractionError, OutputError
from .articles import LoadError, load
from .models import Article, ArticleFacts, Origin, Usage
from .output import (
    ARTICLES,
    ERRORS,
    FACTS,
    SUMMARY,
    FolderLock,
    JsonlWriter,
    read_jsonl,
    repair_jsonl,
    write_atomic,
)
from .pipeline import Extractor


def load_error_id(error: LoadError) -> str:
    """A stable id for something that never became an article."""
    digest = hashlib.sha256(f"{error.path}|{error.index}".encode()).hexdigest()[:16]
    return f"unreadable-{digest}"


def estimate_tokens(article: Article) -> int:
    """Rough prompt size: CJK characters are about one token each, other text 1/4."""
    cjk = sum(1 for c in article.text if "\u4e00" <= c <= "\u9fff")
    return cjk + (len(article.text) - cjk) // 4


def error_record(item: Article | LoadError, stage: str, error_type: str, message: str) -> dict[str, Any]:
    """The one shape of an ``errors.jsonl`` record, for an article or an unreadable input."""
    if isinstance(item, LoadError):
        return {
            "id": load_error_id(item),
            "source": item.path,
            "index": item.index,
            "title": None,
            "stage": stage,
            "error_type": error_type,
            "message": message,
            "origins": [{"path": item.path, "index": item.index}],
        }
    origin = item.origin
    return {
        "id": item.id,
        "source": origin.path if origin else None,
        "index": origin.index if origin else None,
        "title": item.title,
        "stage": stage,
        "error_type": error_type,
        "message": message,
        "origins": [o.model_dump() for o in item.origins],
    }


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
    duplicates: int = 0
    interrupted: bool = False
    stopped: str | None = None  # why the batch stopped early: its output could not be written
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
                "duplicates": self.duplicates,
            },
            "facts": dict(self.fact_counts),
            "errors_by_stage": dict(self.errors_by_stage),
            "tokens": self.usage,
            "wall_time_s": round(self.wall_s, 3),
            "event_loop_lag": self.loop_lag,
            "models": sorted(self.models),
            "interrupted": self.interrupted,
            "stopped": self.stopped,
        }


@dataclass
class Inventory:
    """The inputs, read through once before the run: distinct articles (and unreadable
    inputs), how many of them are done, how many inputs repeat a body read before, and
    every origin of each body that was read more than once."""

    total: int = 0
    already_done: int = 0
    duplicates: int = 0
    origins: dict[str, list[Origin]] = field(default_factory=dict)


_Item = Article | LoadError


def done_ids(outdir: Path) -> set[str]:
    """The ids of the articles already in ``outdir/facts.jsonl``."""
    return {r["article"]["id"] for r in read_jsonl(outdir / FACTS) if isinstance(r.get("article"), dict)}


def distinct_reads(inputs: Iterable[str | Path], limit: int | None = None) -> Iterator[tuple[str, _Item, bool]]:
    """(key, item, first read of this key) for every input, up to ``limit`` distinct keys."""
    seen: set[str] = set()
    for item in load(inputs):
        if limit is not None and len(seen) >= limit:
            return
        key = load_error_id(item) if isinstance(item, LoadError) else item.id
        fresh = key not in seen
        seen.add(key)
        yield key, item, fresh


def survey(inputs: Iterable[str | Path], done: set[str], limit: int | None = None) -> Inventory:
    """Count the inputs and find every origin of a repeated body, keeping no texts."""
    inventory = Inventory()
    first: dict[str, tuple[str, int | None]] = {}  # compact: one entry per distinct article
    for key, item, fresh in distinct_reads(inputs, limit):
        if fresh:
            inventory.total += 1
            inventory.already_done += key in done
            if isinstance(item, Article) and item.origin is not None:
                first[key] = (sys.intern(item.origin.path), item.origin.index)
            continue
        inventory.duplicates += 1
        if isinstance(item, LoadError):
            continue  # the same unreadable input named twice
        if key not in inventory.origins:
            path, index = first.get(key, ("", None))
            inventory.origins[key] = [Origin(path=path, index=index)] if path else []
        listed = inventory.origins[key]
        if item.origin is not None and item.origin not in listed:
            listed.append(item.origin)
    return inventory


def claim_output(outdir: Path, *, force: bool = False) -> FolderLock:
    """Own the output folder (OutputBusy when another run does) and make it ready: its
    ``articles/`` made, torn last lines cut, and with ``force`` the old records gone."""
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        lock = FolderLock(outdir)
        lock.acquire()
    except OSError as error:
        raise OutputError(f"cannot use {outdir} as the output folder: {error.strerror or error}") from error
    try:
        (outdir / ARTICLES).mkdir(exist_ok=True)
        repair_jsonl(outdir / FACTS)
        repair_jsonl(outdir / ERRORS)
        if force:
            for name in (FACTS, ERRORS):
                (outdir / name).unlink(missing_ok=True)
    except OSError as error:
        lock.release()
        raise OutputError(f"cannot write to {outdir}: {error.strerror or error}") from error
    except BaseException:
        lock.release()
        raise
    return lock


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


class Ledger:
    """One run's accounting: every outcome is written and counted here, and only here
    (the result, the progress display, this run's failures and successes)."""

    def __init__(self, outdir: Path, progress: Progress, on_progress: Callable[[Progress], None]) -> None:
        self.outdir = outdir
        self.result = BatchResult(outdir=outdir)
        self.progress = progress
        self.on_progress = on_progress
        self.usage: Counter[str] = Counter()
        self.failed_now: dict[str, dict[str, Any]] = {}  # id -> this run's error record
        self.succeeded_now: set[str] = set()
        self.facts = JsonlWriter(outdir / FACTS)
        try:
            self.errors = JsonlWriter(outdir / ERRORS)
        except OutputError:
            self.facts.close()
            raise

    def skipped(self) -> None:
        self.result.skipped += 1
        self.progress.skipped += 1
        self._advance()

    def failed(self, record: dict[str, Any], usage: Usage | None = None) -> None:
        self.errors.write(record)  # OutputError when errors.jsonl cannot be written: the batch stops
        self.failed_now[record["id"]] = record
        self.result.failed += 1
        self.result.errors_by_stage[record["stage"]] += 1
        self._spent(usage)
        self.progress.failed += 1
        self._advance()

    def succeeded(self, facts: ArticleFacts) -> None:
        self.succeeded_now.add(facts.article.id)
        self.result.cached += facts.meta.cached
        self.result.models.add(facts.meta.model)
        self.result.fact_counts.update(facts.fact_counts())
        self._spent(facts.meta.usage)
        self.progress.cached += facts.meta.cached
        self._advance()

    def write_facts(self, facts: ArticleFacts, line: str | None = None) -> dict[str, Any] | None:
        """The article's file, then its line in facts.jsonl (``line``: the facts already
        serialised); safe from any thread, counts nothing. Returns the article's ``write``
        error record when its file cannot be written; OutputError when facts.jsonl cannot
        (the batch stops)."""
        path = self.outdir / ARTICLES / f"{facts.article.id}.json"
        # pydantic's own serialiser: in a thread it still holds the GIL, so its time is
        # time the event loop waits
        try:
            write_atomic(path, facts.model_dump_json(indent=2) + "\n")
        except OSError as error:
            message = f"cannot write {path}: {error.strerror or error}"
            return error_record(facts.article, "write", type(error).__name__, message)
        try:
            self.facts.write_line(facts.model_dump_json() if line is None else line)
        except OutputError:
            with suppress(OSError):
                path.unlink()  # articles/ holds what facts.jsonl lists
            raise
        return None

    def close(self) -> BatchResult:
        self.facts.close()
        self.errors.close()
        self.result.ok = self.facts.written  # what is on disk: the one count of finished articles
        self.result.usage = dict(self.usage)
        return self.result

    def finish(
        self, done: set[str], wall_s: float, stopped: BaseException | None = None, extra: dict[str, Any] | None = None
    ) -> BatchResult:
        """Close the writers and leave errors.jsonl (one record per still-failing article:
        this run's, else the last run's) and summary.json (with ``extra`` added) as the
        run ends. When the batch is already stopping, its first error is the one raised."""
        result = self.close()
        result.wall_s = wall_s
        try:
            self._rewrite_errors(done | self.succeeded_now)
            summary = {**result.summary(), **(extra or {})}
            write_atomic(self.outdir / SUMMARY, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        except OSError as error:
            if stopped is None:
                raise OutputError(f"cannot write to {self.outdir}: {error.strerror or error}") from error
        return result

    def _rewrite_errors(self, settled: set[str]) -> None:
        path = self.outdir / ERRORS
        kept: dict[str, dict[str, Any]] = {}
        for record in read_jsonl(path):
            kept[str(record.get("id"))] = record
        kept.update(self.failed_now)
        for article_id in settled:
            kept.pop(article_id, None)
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept.values())
        write_atomic(path, lines)

    def _spent(self, usage: Usage | None) -> None:
        if usage is not None:
            for key, value in usage.model_dump().items():
                self.usage[key] += value
        self.progress.tokens = self.usage["total_tokens"]

    def _advance(self) -> None:
        self.progress.done += 1
        self.on_progress(self.progress)


class BatchRunner:
    """Runs ``extractor`` over inputs into ``outdir``."""

    def __init__(
        self,
        extractor: Extractor,
        outdir: Path,
        *,
        concurrency: int = 1,
        force: bool = False,
        limit: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.extractor = extractor
        self.outdir = outdir
        self.concurrency = max(1, concurrency)
        self.force = force
        self.limit = limit
        self.on_progress = on_progress or (lambda _: None)
        self.progress = Progress()

    def survey(self, inputs: Iterable[str | Path], done: set[str] | None = None) -> Inventory:
        """Count the inputs and find every origin of a repeated body, keeping no texts."""
        return survey(inputs, self._done() if done is None else done, self.limit)

    def _done(self) -> set[str]:
        return set() if self.force else done_ids(self.outdir)

    # -- the run ----------------------------------------------------------------------

    async def run(self, inputs: list[str | Path]) -> BatchResult:
        began = time.perf_counter()
        lock = claim_output(self.outdir, force=self.force)
        try:
            done = self._done()
            inventory = self.survey(inputs, done)
            self.progress.total = inventory.total
            ledger = Ledger(self.outdir, self.progress, self.on_progress)
            ledger.result.duplicates = inventory.duplicates
            lag = LoopLag()
            watcher = asyncio.create_task(lag.watch())
            stopped: BaseException | None = None
            try:
                await self._work(inputs, inventory, done, ledger)
            except BaseException as error:
                stopped = error
                raise
            finally:
                watcher.cancel()
                ledger.result.loop_lag = lag.summary()
                ledger.finish(done, time.perf_counter() - began, stopped)
        finally:
            lock.release()
        return ledger.result

    async def _work(self, inputs: list[str | Path], inventory: Inventory, done: set[str], ledger: Ledger) -> None:
        queue: asyncio.Queue[_Item | None] = asyncio.Queue(maxsize=self.concurrency * 2)
        tasks = [asyncio.ensure_future(self._produce(inputs, inventory, done, queue, ledger))]
        tasks += [asyncio.ensure_future(self._worker(queue, ledger)) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            ledger.result.interrupted = True
            # gather has cancelled the workers; a worker in the middle of a write finishes
            # it before the writers close and the count is taken (cancelling again would
            # cut that wait short)
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        except BaseException as error:  # the output cannot be written: stop the others
            if isinstance(error, OutputError):
                ledger.result.stopped = str(error)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _produce(
        self,
        inputs: list[str | Path],
        inventory: Inventory,
        done: set[str],
        queue: asyncio.Queue[_Item | None],
        ledger: Ledger,
    ) -> None:
        for key, item, fresh in distinct_reads(inputs, self.limit):
            if not fresh:
                continue  # a repeated body: counted and listed by the survey
            if key in done:
                ledger.skipped()
                continue
            if isinstance(item, Article) and key in inventory.origins:
                item = item.model_copy(update={"origins": inventory.origins[key]})
            await queue.put(item)
            # one article at a time: the loop sends what a slot has prepared before the
            # next slot starts preparing. Otherwise every slot prepares its first request
            # before any goes out, and the slots then move in step, each answer waiting
            # for its whole wave to be handled
            await asyncio.sleep(0)
        for _ in range(self.concurrency):
            await queue.put(None)

    async def _worker(self, queue: asyncio.Queue[_Item | None], ledger: Ledger) -> None:
        while (item := await queue.get()) is not None:
            await self._handle(item, ledger)

    async def _handle(self, item: _Item, ledger: Ledger) -> None:
        if isinstance(item, LoadError):
            ledger.failed(error_record(item, item.stage, "LoadError", item.reason))
            return
        try:
            facts = await self.extractor.extract(item)
        except ExtractionError as error:
            ledger.failed(error_record(item, error.stage, type(error).__name__, str(error)), error.usage)
            return
        except Exception as error:  # a bug must not end the batch; it is recorded
            ledger.failed(error_record(item, "internal", type(error).__name__, str(error)[:500]))
            return
        await self._keep(item, facts, ledger)

    async def _keep(self, article: Article, facts: ArticleFacts, ledger: Ledger) -> None:
        """Write the facts off the event loop (fsync), so other articles keep flowing, and
        count the outcome. A write that has started is finished and counted even when
        the run is cancelled."""
        write = asyncio.ensure_future(asyncio.to_thread(ledger.write_facts, facts))
        cancelled = False
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            cancelled = True
            await asyncio.wait([write])
        except Exception:  # noqa: BLE001 - told apart below
            pass
        error = write.exception()
        if error is None:
            record = write.result()
            if record is None:
                ledger.succeeded(facts)
            else:  # its file could not be written: that article's error, not the batch's
                ledger.failed(record, facts.meta.usage)
        elif isinstance(error, OutputError):
            raise error
        else:  # a bug must not end the batch; it is recorded
            ledger.failed(error_record(article, "internal", type(error).__name__, str(error)[:500]), facts.meta.usage)
        if cancelled:
            raise asyncio.CancelledError
