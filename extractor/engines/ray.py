"""The Ray engine: a batch on a Ray Data actor pool, written to disk as results stream back.

The driver (this process) holds the output folder's lock, reads the inputs (repeated
bodies become one article listing all their origins), puts the articles not yet in
``facts.jsonl`` into Ray's object store in blocks of a few rows, runs them through the
actor pool of ``_ray_dataset`` and writes every row the moment its block comes back,
through the batch's ``Ledger`` as the local engine does: a killed driver loses nothing
that was written, an article whose own file cannot be written is that article's error,
and a rerun skips what is done. Every article ends in exactly one of ``facts.jsonl`` or ``errors.jsonl``: an
article that Ray itself loses (a block that errors) is sent again in a further round, and
after the last round it is recorded as an ``engine`` error.

Without an address the driver starts a local Ray instance (dashboard off, sized to the
machine) and stops it at the end; with one it connects to that cluster and leaves it up.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, cast

import pyarrow as pa
import ray
import ray.data

from .._exceptions import OutputError
from ..articles import LoadError
from ..backends import Backend
from ..batch import (
    BatchResult,
    Inventory,
    Ledger,
    Progress,
    claim_output,
    distinct_reads,
    done_ids,
    error_record,
    survey,
)
from ..config import forwarded_environment
from ..models import Article, ArticleFacts, Usage
from . import BatchJob
from ._ray_dataset import (
    INPUT_SCHEMA,
    PoolPlan,
    RunMonitor,
    alive_nodes,
    map_articles,
    plan_pool,
    start_node_servers,
)

log = logging.getLogger(__name__)

Block = tuple[Any, list[str]]  # (object ref of an Arrow table, the article ids in it)


class RayLedger:
    """The driver's bookkeeping over the batch's ``Ledger``: which articles have ended
    (a block that Ray ran twice is counted once), what each node did, and the writes.

    Rows are written by a few threads (each line and file is synced to disk, ~5-10 ms
    here), so that one driver keeps up with a cluster; the ``Ledger`` writes and counts
    as it does for the local engine, one outcome at a time under a lock. An article is
    counted once its writes are durable, and ``close`` waits for every write that has
    started. Progress is shown from the driver's thread.
    """

    WRITERS = 8
    PENDING = 256  # rows handed to the writers and not yet written, at most

    def __init__(self, ledger: Ledger, on_progress: Callable[[Progress], None]) -> None:
        self.ledger = ledger
        self.on_progress = on_progress
        self.finished: set[str] = set()  # ended in this run, either way (or being written)
        self.nodes: Counter[str] = Counter()
        self.workers: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._writers = ThreadPoolExecutor(self.WRITERS, thread_name_prefix="ray-ledger")
        self._pending: set[Future[None]] = set()

    @property
    def progress(self) -> Progress:
        return self.ledger.progress

    def skip(self) -> None:
        with self._lock:
            self.ledger.skipped()
        self.on_progress(self.progress)

    def fail(self, record: dict[str, Any]) -> None:
        """A failed article, recorded by the calling thread."""
        if self._claim(str(record["id"])):
            with self._lock:
                self.ledger.failed(record)
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
        """Collect the writes finished so far; shows progress."""
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
            spent = record.pop("usage", None)
            with self._lock:
                self.ledger.failed(record, Usage.model_validate(spent) if spent else None)
            return
        facts = ArticleFacts.model_validate_json(row["facts"])
        unwritten = self.ledger.write_facts(facts, row["facts"])  # OutputError: the batch stops
        with self._lock:
            if unwritten is None:
                self.ledger.succeeded(facts)
            else:  # its file could not be written: that article's error, not the batch's
                self.ledger.failed(unwritten, facts.meta.usage)

    def close(
        self, done: set[str], wall_s: float, stopped: BaseException | None, engine: dict[str, Any]
    ) -> BatchResult:
        """Every started write finished, errors deduplicated, the summary written."""
        self._writers.shutdown(wait=True)
        failure = next((f.exception() for f in self._pending if f.exception() is not None), None)
        self._pending.clear()
        if isinstance(failure, OutputError) and stopped is None:
            self.ledger.result.stopped = str(failure)
        result = self.ledger.finish(done, wall_s, stopped or failure, extra={"engine": engine})
        if failure is not None and stopped is None:
            raise failure
        return result


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
        "origins": [origin.model_dump() for origin in article.origins],
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
        """The batch on Ray. The output folder is this run's alone from before anything is
        read until its summary is written (``OutputBusy`` when another run holds it), as
        for the local engine."""
        began, began_wall = time.perf_counter(), time.time()
        lock = claim_output(job.outdir, force=job.force)
        try:
            return self._run(job, on_progress or (lambda _: None), began, began_wall)
        finally:
            lock.release()

    def _run(
        self, job: BatchJob, on_progress: Callable[[Progress], None], began: float, began_wall: float
    ) -> BatchResult:
        done = set() if job.force else done_ids(job.outdir)
        inventory = survey(job.inputs, done, job.limit)
        # progress is shown by the driver's thread (RayLedger), not by the writers
        ledger = RayLedger(Ledger(job.outdir, Progress(total=inventory.total), lambda _: None), on_progress)
        result = ledger.ledger.result
        result.duplicates = inventory.duplicates
        engine: dict[str, Any] = {"name": "ray", "address": self.address or "local"}
        context = ray.data.DataContext.get_current()
        saved = (context.enable_progress_bars, context.print_on_execution_start, context.max_errored_blocks)
        servers: dict[str, Any] = {}
        started_ray = False
        stopped: BaseException | None = None
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
                servers = start_node_servers(config, forwarded_environment(), self.node_backend)
            blocks, sent = self._stage(job, ledger, plan, inventory, done)
            self._rounds(job, ledger, plan, blocks, sent, servers)
        except BaseException as error:
            stopped = error
            if isinstance(error, KeyboardInterrupt):
                result.interrupted = True
            elif isinstance(error, OutputError):  # facts.jsonl or errors.jsonl cannot be written
                result.stopped = str(error)
            raise
        finally:
            context.enable_progress_bars, context.print_on_execution_start, context.max_errored_blocks = saved
            engine.update(self._report(ledger, servers, began_wall))
            self._stop(servers, started_ray)
            ledger.close(done, time.perf_counter() - began, stopped, engine)
        return result

    # -- the run ---------------------------------------------------------------------

    def _connect(self) -> bool:
        """Connect to Ray; True when this call started it (and so stops it)."""
        if ray.is_initialized():
            return False
        # ray.init puts in its own SIGTERM handler (sys.exit(15)) in the main thread: the
        # run's own one is put back, so SIGTERM ends a Ray batch as Ctrl-C does
        main = threading.current_thread() is threading.main_thread()
        before = signal.getsignal(signal.SIGTERM) if main else None
        try:
            if self.address:
                ray.init(address=self.address, logging_level=logging.WARNING)
            else:
                ray.init(address="local", include_dashboard=False, logging_level=logging.WARNING)
        finally:
            if main and before is not None:
                signal.signal(signal.SIGTERM, before)
        return True

    def _stage(
        self, job: BatchJob, ledger: RayLedger, plan: PoolPlan, inventory: Inventory, done: set[str]
    ) -> tuple[list[Block], dict[str, Article]]:
        """Inputs into the object store in blocks of ``plan.batch_rows``, each article with
        every input it was read from; what cannot be read is recorded and what is done is
        skipped here, in the driver. Returns the blocks and, for the articles sent, what
        an error record names (the articles without their texts)."""
        blocks: list[Block] = []
        sent: dict[str, Article] = {}
        rows: list[dict[str, Any]] = []

        def flush() -> None:
            if rows:
                table = pa.Table.from_pylist(rows, schema=INPUT_SCHEMA)
                blocks.append((ray.put(table), [r["id"] for r in rows]))
                rows.clear()

        for key, item, fresh in distinct_reads(job.inputs, job.limit):
            if not fresh:
                continue  # a repeated body: counted and listed by the survey
            if key in done:
                ledger.skip()
                continue
            if isinstance(item, LoadError):
                ledger.fail(error_record(item, item.stage, "LoadError", item.reason))
                continue
            if key in inventory.origins:
                item = item.model_copy(update={"origins": inventory.origins[key]})
            sent[item.id] = item.model_copy(update={"text": ""})
            rows.append(_input_row(item))
            if len(rows) >= plan.batch_rows:
                flush()
        flush()
        ledger.flush()
        return blocks, sent

    def _rounds(
        self,
        job: BatchJob,
        ledger: RayLedger,
        plan: PoolPlan,
        blocks: list[Block],
        sent: dict[str, Article],
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
                    message = f"Ray returned no result after {self.rounds} rounds ({last_error})"
                    ledger.fail(error_record(sent[article_id], "engine", "ArticleLost", message))

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
