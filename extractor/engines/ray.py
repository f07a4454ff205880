"""The Ray engine: a batch on a Ray Data actor pool, written to disk as results stream back.

The driver (this process) reads the inputs, puts the articles not yet in ``facts.jsonl``
into Ray's object store in blocks of a few rows, runs them through the actor pool of
``_ray_dataset`` and writes every row the moment its block comes back, with the same
writers as the local engine: a killed driver loses nothing that was written, and a rerun
skips it. Every article ends in exactly one of ``facts.jsonl`` or ``errors.jsonl``: an
article that Ray itself loses (a block that errors) is sent again in a further round, and
after the last round it is recorded as an ``engine`` error.

Without an address the driver starts a local Ray instance (dashboard off, sized to the
machine) and stops it at the end; with one it connects to that cluster and leaves it up.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import ray
import ray.data

from ..articles import LoadError, load
from ..backends import Backend
from ..batch import BatchResult, Progress, load_error_id
from ..models import Article, ArticleFacts, Origin
from ..output import ARTICLES, ERRORS, FACTS, SUMMARY, JsonlWriter, read_jsonl, repair_jsonl, write_atomic
from . import BatchJob
from ._ray_dataset import (
    INPUT_SCHEMA,
    PoolPlan,
    RunMonitor,
    alive_nodes,
    error_record,
    forwarded_env,
    map_articles,
    plan_pool,
    start_node_servers,
)

log = logging.getLogger(__name__)

Block = tuple[Any, list[str]]  # (object ref of an Arrow table, the article ids in it)


class RayLedger:
    """The driver's bookkeeping: what is written, what failed, what each node did.

    Rows are written by a few threads (each line and file is synced to disk, ~5-10 ms
    here), so that one driver keeps up with a cluster; an article is counted once its
    writes are durable, and ``close`` waits for every write that has started.
    """

    WRITERS = 8
    PENDING = 256  # rows handed to the writers and not yet written, at most

    def __init__(self, outdir: Path, done: set[str], on_progress: Callable[[Progress], None]) -> None:
        self.outdir = outdir
        self.done = done  # in facts.jsonl before this run
        self.on_progress = on_progress
        self.progress = Progress()
        self.result = BatchResult(outdir=outdir)
        self.usage: Counter[str] = Counter()
        self.finished: set[str] = set()  # ended in this run, either way (or being written)
        self.succeeded: set[str] = set()
        self.failed_now: dict[str, dict[str, Any]] = {}
        self.nodes: Counter[str] = Counter()
        self.workers: Counter[str] = Counter()
        self.facts_out = JsonlWriter(outdir / FACTS)
        self.errors_out = JsonlWriter(outdir / ERRORS)
        self._lock = threading.Lock()
        self._writers = ThreadPoolExecutor(self.WRITERS, thread_name_prefix="ray-ledger")
        self._pending: set[Future[None]] = set()

    def skip(self) -> None:
        with self._lock:
            self.result.skipped += 1
            self.progress.skipped += 1
            self.progress.done += 1
        self.on_progress(self.progress)

    def fail(self, record: dict[str, Any]) -> None:
        """A failed article, recorded by the calling thread."""
        if self._claim(str(record["id"])):
            self._write_error(record)
            self.on_progress(self.progress)

    def take(self, row: dict[str, Any]) -> None:
        """One output row of the actor pool, handed to a writer."""
        if not self._claim(row["id"]):
            return  # a block Ray ran twice (its actor died after answering)
        self.nodes[row["node_id"]] += 1
        self.workers[row["worker_id"]] += 1
        self._settle(block=len(self._pending) >= self.PENDING)
        self._pending.add(self._writers.submit(self._write_row, row))

    def flush(self) -> None:
        """Wait for the writes handed out so far; shows progress."""
        self._settle(block=False)
        self.on_progress(self.progress)

    def _claim(self, article_id: str) -> bool:
        with self._lock:
            if article_id in self.finished:
                return False
            self.finished.add(article_id)
            return True

    def _settle(self, *, block: bool) -> None:
        """Collect finished writes (waiting for one at least when ``block``); a write that
        failed (a full disk) ends the batch, as it does for the local engine."""
        if not self._pending:
            return
        done, self._pending = wait(self._pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for future in done:
            future.result()

    def _write_row(self, row: dict[str, Any]) -> None:
        if row["facts"] is None:
            record = json.loads(row["error"])
            usage = record.pop("usage", None) or {}
            with self._lock:
                for key, value in usage.items():
                    self.usage[key] += value
            self._write_error(record)
            return
        facts = ArticleFacts.model_validate_json(row["facts"])
        write_atomic(self.outdir / ARTICLES / f"{facts.article.id}.json", facts.model_dump_json(indent=2) + "\n")
        self.facts_out.write_line(row["facts"])
        with self._lock:
            self.succeeded.add(row["id"])
            self.result.cached += facts.meta.cached
            self.result.models.add(facts.meta.model)
            self.result.fact_counts.update(facts.fact_counts())
            for key, value in facts.meta.usage.model_dump().items():
                self.usage[key] += value
            self.progress.done += 1
            self.progress.cached += facts.meta.cached
            self.progress.tokens = self.usage["total_tokens"]

    def _write_error(self, record: dict[str, Any]) -> None:
        self.errors_out.write(record)
        with self._lock:
            self.failed_now[str(record["id"])] = record
            self.result.failed += 1
            self.result.errors_by_stage[record["stage"]] += 1
            self.progress.failed += 1
            self.progress.done += 1

    def close(self, wall_s: float, engine: dict[str, Any]) -> BatchResult:
        """Every started write finished, errors deduplicated, the summary written."""
        self._writers.shutdown(wait=True)
        failure = next((f.exception() for f in self._pending if f.exception() is not None), None)
        self._pending.clear()
        self.facts_out.close()
        self.errors_out.close()
        self.result.ok = self.facts_out.written
        self.result.usage = dict(self.usage)
        self.result.wall_s = wall_s
        self._rewrite_errors()
        summary = self.result.summary()
        summary["engine"] = engine
        write_atomic(self.outdir / SUMMARY, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        if failure is not None:
            raise failure
        return self.result

    def _rewrite_errors(self) -> None:
        """One record per article still failing: this run's, else the last run's."""
        kept = {str(r.get("id")): r for r in read_jsonl(self.outdir / ERRORS)}
        kept.update(self.failed_now)
        for article_id in self.done | self.succeeded:
            kept.pop(article_id, None)
        write_atomic(self.outdir / ERRORS, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept.values()))


def _input_row(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "published_at": article.published_at,
        "language": article.language,
        "text": article.text,
        "origin_path": article.origin.path if article.origin else None,
        "origin_index": article.origin.index if article.origin else None,
    }


class RayEngine:
    """``extractor run --engine ray``: the same batch as the local engine, on Ray."""

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        actors: int | None = None,
        node_backend: Callable[[Any], Backend] | None = None,
        rounds: int = 3,
    ) -> None:
        """``node_backend``: the model server each node runs (default: the embedded model
        when the config has no base URL); ``rounds``: how often articles that Ray lost
        are sent again before they are recorded as failed."""
        self.address = address
        self.actors = actors
        self.node_backend = node_backend
        self.rounds = max(1, rounds)
        self.monitor: Any = None  # the run's RunMonitor actor while a batch runs

    def run(self, job: BatchJob, on_progress: Callable[[Progress], None] | None = None) -> BatchResult:
        began, began_wall = time.perf_counter(), time.time()
        outdir = job.outdir
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / ARTICLES).mkdir(exist_ok=True)
        for name in (FACTS, ERRORS):
            if job.force:
                (outdir / name).unlink(missing_ok=True)
            repair_jsonl(outdir / name)
        done = set() if job.force else _done_ids(outdir)
        ledger = RayLedger(outdir, done, on_progress or (lambda _: None))
        engine: dict[str, Any] = {"name": "ray", "address": self.address or "local"}
        context = ray.data.DataContext.get_current()
        saved = (context.enable_progress_bars, context.print_on_execution_start, context.max_errored_blocks)
        servers: dict[str, Any] = {}
        started_ray = False
        try:
            started_ray = self._connect()
            engine["ray_init_s"] = round(time.perf_counter() - began, 3)
            # a block that errors is left out and its articles sent again (see _rounds),
            # never the end of the batch
            context.enable_progress_bars = False
            context.print_on_execution_start = False
            context.max_errored_blocks = -1
            config = job.config
            node_wide = self.node_backend is not None or config.embedded
            nodes = alive_nodes()
            plan = plan_pool(
                actors=self.actors,
                concurrency=job.concurrency,
                cluster_cpus=float(ray.cluster_resources().get("CPU", 1)),
                nodes=len(nodes),
                node_servers=node_wide,
            )
            engine.update(actors=plan.actors, requests_per_actor=plan.requests_per_actor, cluster_nodes=len(nodes))
            self.monitor = ray.remote(RunMonitor).options(num_cpus=0).remote()
            if node_wide:
                servers = start_node_servers(config, forwarded_env(), self.node_backend)
            blocks, titles = self._stage(job, ledger, plan)
            self._rounds(job, ledger, plan, blocks, titles, servers)
        except KeyboardInterrupt:
            ledger.result.interrupted = True
            raise
        finally:
            context.enable_progress_bars, context.print_on_execution_start, context.max_errored_blocks = saved
            engine.update(self._report(ledger, servers, began_wall))
            self._stop(servers, started_ray)
            result = ledger.close(time.perf_counter() - began, engine)
        return result

    # -- the run ---------------------------------------------------------------------

    def _connect(self) -> bool:
        """Connect to Ray; True when this call started it (and so stops it)."""
        if ray.is_initialized():
            return False
        if self.address:
            ray.init(address=self.address, logging_level=logging.WARNING)
        else:
            ray.init(address="local", include_dashboard=False, logging_level=logging.WARNING)
        return True

    def _stage(
        self, job: BatchJob, ledger: RayLedger, plan: PoolPlan
    ) -> tuple[list[Block], dict[str, tuple[Origin | None, str | None]]]:
        """Inputs into the object store in blocks of ``plan.batch_rows``; what cannot be
        read is recorded and what is done is skipped here, in the driver."""
        blocks: list[Block] = []
        titles: dict[str, tuple[Origin | None, str | None]] = {}
        rows: list[dict[str, Any]] = []
        found = 0

        def flush() -> None:
            if rows:
                table = pa.Table.from_pylist(rows, schema=INPUT_SCHEMA)
                blocks.append((ray.put(table), [r["id"] for r in rows]))
                rows.clear()

        for key, item in _unique(job.inputs, job.limit):
            found += 1
            ledger.progress.total = found
            if key in ledger.done:
                ledger.skip()
                continue
            if isinstance(item, LoadError):
                ledger.fail(
                    {
                        "id": key,
                        "source": item.path,
                        "index": item.index,
                        "title": None,
                        "stage": item.stage,
                        "error_type": "LoadError",
                        "message": item.reason,
                    }
                )
                continue
            titles[item.id] = (item.origin, item.title)
            rows.append(_input_row(item))
            if len(rows) >= plan.batch_rows:
                flush()
        flush()
        ledger.progress.total = found
        ledger.on_progress(ledger.progress)
        return blocks, titles

    def _rounds(
        self,
        job: BatchJob,
        ledger: RayLedger,
        plan: PoolPlan,
        blocks: list[Block],
        titles: dict[str, tuple[Origin | None, str | None]],
        servers: dict[str, Any],
    ) -> None:
        last_error = "left out by Ray"
        for round_ in range(self.rounds):
            pending = [block for block in blocks if any(i not in ledger.finished for i in block[1])]
            if not pending:
                return
            if round_:
                missing = sum(i not in ledger.finished for _, ids in pending for i in ids)
                log.warning("sending %d articles again that Ray did not return (%s)", missing, last_error)
            ds = ray.data.from_arrow_refs([ref for ref, _ in pending])
            out = map_articles(
                ds,
                job.config,
                plan,
                rpm=job.rpm,
                node_servers=servers or None,
                node_backend=self.node_backend,
                monitor=self.monitor,
            )
            tables = iter(out.iter_batches(batch_size=None, batch_format="pyarrow"))
            while True:
                try:
                    table = next(tables)
                except StopIteration:
                    break
                except Exception as error:  # Ray gave up on the dataset; what came back is kept
                    last_error = _reason(error)
                    log.warning("the Ray dataset failed: %s", last_error)
                    break
                for row in cast(pa.Table, table).to_pylist():
                    ledger.take(row)
                ledger.flush()
        for _, ids in blocks:
            for article_id in ids:
                if article_id not in ledger.finished:
                    origin, title = titles[article_id]
                    ledger.fail(
                        error_record(
                            article_id,
                            origin,
                            title,
                            "engine",
                            "ArticleLost",
                            f"Ray returned no result after {self.rounds} rounds ({last_error})",
                        )
                    )

    def _report(self, ledger: RayLedger, servers: dict[str, Any], began_wall: float) -> dict[str, Any]:
        """Where the articles ran, what was retried, how long Ray took to start working."""
        report: dict[str, Any] = {
            "nodes": dict(ledger.nodes),
            "workers": len(ledger.workers),
        }
        if self.monitor is not None:
            try:
                seen = ray.get(self.monitor.report.remote(), timeout=30)
            except Exception as error:  # the report is extra; the batch's results are on disk
                log.warning("no report from the run monitor: %s", error)
            else:
                report["retried_articles"] = len(seen["retried"])
                report["actor_restarts"] = sum(seen["restarts"].values())
                if seen["first_started"] is not None:
                    report["startup_s"] = round(seen["first_started"] - began_wall, 3)
        if servers:
            infos = {}
            for node_id, server in servers.items():
                try:
                    infos[node_id] = ray.get(server.info.remote(), timeout=30)
                except Exception as error:
                    infos[node_id] = {"error": str(error)[:200]}
            report["node_servers"] = infos
        return report

    def _stop(self, servers: dict[str, Any], started_ray: bool) -> None:
        for server in servers.values():
            try:
                ray.get(server.stop.remote(), timeout=30)
            except Exception as error:  # killed below all the same
                log.warning("a node's model server did not stop cleanly: %s", error)
            ray.kill(server)
        if self.monitor is not None:
            ray.kill(self.monitor)
            self.monitor = None
        if started_ray:
            ray.shutdown()


def _reason(error: Exception) -> str:
    """Why Ray gave up, in a line: its error's type and the last line of its message,
    which for an error raised in an actor is the original exception."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else ''}"[:300]


def _done_ids(outdir: Path) -> set[str]:
    return {r["article"]["id"] for r in read_jsonl(outdir / FACTS) if isinstance(r.get("article"), dict)}


def _unique(inputs: tuple[Path, ...], limit: int | None) -> Iterator[tuple[str, Article | LoadError]]:
    """(key, item) for each distinct article or read error, up to ``limit`` of them."""
    seen: set[str] = set()
    for item in load(inputs):
        if limit is not None and len(seen) >= limit:
            return
        key = load_error_id(item) if isinstance(item, LoadError) else item.id
        if key not in seen:
            seen.add(key)
            yield key, item
