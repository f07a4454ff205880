"""Articles through a Ray Data actor pool: one ``Extractor`` per actor, failures per article.

Each actor (``ArticleWorker``) holds one ``Extractor`` (one HTTP client pool and answer
cache) and runs its articles as coroutines on the actor's event loop, at most
``requests_per_actor`` at a time. The pool's total is ``--concurrency``, however many
actors and nodes it is spread over. An article that fails is an error row, never an
exception: a block of articles is never lost for one of them. An actor that dies is
restarted by Ray and its unfinished batches are sent again (Ray Data's actor defaults,
``max_restarts=-1`` and ``max_task_retries=-1``).

With the embedded model, each node runs one model server (``NodeModelServer``, an
actor pinned to the node) that every actor on the node sends its requests to: the model
is loaded once per node, however many actors run there.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import ray
import ray.data
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from .. import ExtractionError
from ..backends import Backend, StaticBackend, choose_backend
from ..batch import error_record
from ..config import Config, adopt_environment, forwarded_environment
from ..endpoint import Endpoint
from ..models import Article, Origin, as_article
from ..pipeline import Extractor

# what every output row holds: the ArticleFacts JSON (one facts.jsonl line) or the error
# record, and where the article ran
OUTPUT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("facts", pa.string()),
        ("error", pa.string()),
        ("node_id", pa.string()),
        ("worker_id", pa.string()),
    ]
)
# the rows the batch driver builds from its inputs (a user's dataset needs only ``text``)
INPUT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("title", pa.string()),
        ("source", pa.string()),
        ("published_at", pa.string()),
        ("language", pa.string()),
        ("text", pa.string()),
        ("origin_path", pa.string()),
        ("origin_index", pa.int64()),
        # every input the article was read from (a body repeated in several files)
        ("origins", pa.list_(pa.struct([("path", pa.string()), ("index", pa.int64())]))),
    ]
)
# Ray tasks (batches) an actor holds at once. With ``batch_rows`` of a quarter of the
# actor's requests, the actor always has twice its requests' worth of articles at hand, so
# a batch held up by one slow article never leaves a request slot idle.
TASKS_PER_ACTOR = 8
CPUS_PER_ACTOR = 0.25  # the work is waiting on requests (or the node's model server)
REQUESTS_PER_ACTOR = 16  # without --concurrency, for an endpoint


@dataclass(frozen=True)
class PoolPlan:
    """How a batch is spread: actors, requests in flight per actor, rows per Ray task."""

    actors: int
    requests_per_actor: int
    batch_rows: int
    node_servers: bool  # one model server per node (the embedded model)

    @property
    def concurrency(self) -> int:
        return self.actors * self.requests_per_actor


def plan_pool(
    *,
    actors: int | None,
    concurrency: int | None,
    cluster_cpus: float,
    nodes: int,
    node_servers: bool,
) -> PoolPlan:
    """Never more than ``concurrency`` requests in flight over all actors.

    An endpoint gets an actor per CPU of the cluster (the actors are light; more
    processes spread the per-request client work over the cores); the embedded model gets
    one actor per node, since its server answers one request at a time.
    """
    if actors is None:
        actors = nodes if node_servers else int(cluster_cpus)
    if concurrency is not None:
        actors = min(actors, concurrency)
    actors = max(1, actors)
    per_actor = max(1, concurrency // actors) if concurrency else (1 if node_servers else REQUESTS_PER_ACTOR)
    return PoolPlan(
        actors=actors,
        requests_per_actor=per_actor,
        batch_rows=max(1, -(-per_actor // 4)),
        node_servers=node_servers,
    )


def alive_nodes() -> list[dict[str, Any]]:
    return [node for node in ray.nodes() if node.get("Alive")]


# -- rows in, rows out -------------------------------------------------------------------


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def article_from_row(row: dict[str, Any]) -> Article:
    """A dataset row as an ``Article``; ``ValueError`` says what is wrong with it."""
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("row has no text")
    origin = None
    if isinstance(row.get("origin_path"), str):
        index = row.get("origin_index")
        origin = Origin(path=row["origin_path"], index=int(index) if index is not None else None)
    language = row.get("language")
    try:
        article = Article(
            id=_text_or_none(row.get("id")) or "",
            title=_text_or_none(row.get("title")),
            source=_text_or_none(row.get("source")),
            published_at=row.get("published_at") or None,
            language=language if language in ("zh", "en") else "",
            text=text,
            origin=origin,
            origins=[Origin.model_validate(o) for o in row.get("origins") or []],
        )
    except ValueError as error:  # pydantic's ValidationError is one
        raise ValueError(f"row is no article: {error}") from None
    return as_article(article)


def row_id(row: dict[str, Any]) -> str:
    """The id a row's article gets (its own, else the hash of its text), even for a bad row."""
    given = _text_or_none(row.get("id"))
    if given:
        return given
    text = row.get("text")
    if isinstance(text, str) and text.strip():
        return as_article(Article(text=text)).id
    digest = hashlib.sha256(repr(sorted(row.items(), key=lambda item: item[0])).encode()).hexdigest()[:16]
    return f"unreadable-{digest}"


def row_error(row: dict[str, Any], message: str) -> dict[str, Any]:
    """The error record of a row that is no article, in the shape of every other record
    (``batch.error_record``), from what the row does give: its id, title and origin."""
    path = row.get("origin_path")
    origin = Origin(path=path, index=row.get("origin_index")) if isinstance(path, str) else None
    title = _text_or_none(row.get("title"))
    origins = [origin] if origin else []
    unread = Article.model_construct(id=row_id(row), title=title, text="", origin=origin, origins=origins)
    return error_record(unread, "read", "InvalidRow", message)


# -- actors --------------------------------------------------------------------------------


class NodeModelServer:
    """The one model server of a node (an actor pinned to it), started on first request.

    Calls run one at a time, so the actors of a node that ask together get the same
    server. The server is a child of this actor's process and exits with it.
    """

    def __init__(self, config: Config, env: dict[str, str], node_backend: Callable[[Config], Backend] | None) -> None:
        adopt_environment(env)
        self.backend = (node_backend or choose_backend)(config)
        self._endpoint: Endpoint | None = None
        self.starts = 0

    def endpoint(self) -> Endpoint:
        if self._endpoint is None:
            self._endpoint = self.backend.start()
            self.starts += 1
        return self._endpoint

    def info(self) -> dict[str, Any]:
        return {
            "starts": self.starts,
            "base_url": self._endpoint.base_url if self._endpoint else None,
            "node_id": ray.get_runtime_context().get_node_id(),
            "pid": os.getpid(),
        }

    def stop(self) -> None:
        self.backend.stop()
        if self.backend.name == "embedded":
            from ..backends.embedded import stop_all

            stop_all()


def start_node_servers(
    config: Config, env: dict[str, str], node_backend: Callable[[Config], Backend] | None
) -> dict[str, Any]:
    """One ``NodeModelServer`` actor per alive node (its model loads when first asked),
    owned by the caller: they end when the caller's handles go (with the dataset) or the
    caller dies, and their servers with them."""
    server = ray.remote(NodeModelServer)
    servers = {}
    for node in alive_nodes():
        node_id = node["NodeID"]
        servers[node_id] = server.options(
            num_cpus=0,
            max_restarts=-1,
            max_task_retries=-1,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node_id, soft=False),
        ).remote(config, env, node_backend)
    return servers


class RunMonitor:
    """What the batch driver knows about its actors: which articles each has in hand,
    which were started more than once (retried after an actor died), when work began.

    Workers report to it without waiting for an answer; it decides nothing.
    """

    def __init__(self) -> None:
        self.in_flight: dict[str, set[str]] = {}
        self.handles: dict[str, Any] = {}
        self.nodes: dict[str, str] = {}
        self.joins: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.first_started: float | None = None

    def joined(self, worker: str, node: str, handle: Any) -> None:
        """A worker (re)started: whatever it had in hand is gone and will be sent again."""
        self.in_flight[worker] = set()
        self.handles[worker] = handle
        self.nodes[worker] = node
        self.joins[worker] += 1

    def started(self, worker: str, ids: list[str]) -> None:
        if self.first_started is None:
            self.first_started = time.time()
        self.in_flight.setdefault(worker, set()).update(ids)
        self.attempts.update(ids)

    def finished(self, worker: str, ids: list[str]) -> None:
        self.in_flight.get(worker, set()).difference_update(ids)

    def busy(self) -> list[dict[str, Any]]:
        """Workers with articles in hand right now, with their actor handles."""
        return [
            {"worker": w, "node": self.nodes.get(w), "ids": sorted(ids), "handle": self.handles.get(w)}
            for w, ids in self.in_flight.items()
            if ids
        ]

    def report(self) -> dict[str, Any]:
        return {
            "retried": sorted(i for i, n in self.attempts.items() if n > 1),
            "restarts": {w: n - 1 for w, n in self.joins.items() if n > 1},
            "first_started": self.first_started,
        }


class ArticleWorker:
    """The callable class of the actor pool: a batch of rows in, one output row per row."""

    def __init__(
        self,
        config: Config,
        plan: PoolPlan,
        *,
        env: dict[str, str] | None = None,
        node_servers: dict[str, Any] | None = None,
        node_backend: Callable[[Config], Backend] | None = None,
        monitor: Any = None,
    ) -> None:
        adopt_environment(env or {})
        # a failed call is recorded with its article; instructor's own log line for it
        # would reach the driver's terminal once per retry (the CLI silences it too)
        logging.getLogger("instructor").setLevel(logging.CRITICAL)
        context = ray.get_runtime_context()
        self.node_id = context.get_node_id()
        self.worker_id = context.get_actor_id() or f"pid-{os.getpid()}"
        backend: Backend | None = None
        if plan.node_servers:
            server: Any = (node_servers or {}).get(self.node_id)
            if server is None:  # a node that joined after the batch started
                server = ray.remote(NodeModelServer).options(num_cpus=0).remote(config, env or {}, node_backend)
                self._own_server = server
            backend = StaticBackend(ray.get(server.endpoint.remote()))  # the node's server, already up
        if config.rpm is not None:  # the batch's requests per minute, shared out among the actors
            config = config.with_(rpm=config.rpm / plan.actors)
        self.extractor = Extractor(config, backend=backend, max_requests=plan.requests_per_actor)
        self.slots = asyncio.Semaphore(plan.requests_per_actor)
        self.monitor = monitor
        if monitor is not None:
            monitor.joined.remote(self.worker_id, self.node_id, context.current_actor)

    async def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        items: list[Article | dict[str, Any]] = []
        for row in rows:
            try:
                items.append(article_from_row(row))
            except ValueError as error:
                items.append(row_error(row, str(error)))
        ids = [item.id if isinstance(item, Article) else str(item["id"]) for item in items]
        if self.monitor is not None:
            self.monitor.started.remote(self.worker_id, ids)
        results = await asyncio.gather(*(self._one(item) for item in items))
        if self.monitor is not None:
            self.monitor.finished.remote(self.worker_id, ids)
        return pa.Table.from_pylist(results, schema=OUTPUT_SCHEMA)

    async def _one(self, item: Article | dict[str, Any]) -> dict[str, Any]:
        if not isinstance(item, Article):
            return self._row(str(item["id"]), error=item)
        async with self.slots:
            try:
                facts = await self.extractor.extract(item)
            except ExtractionError as error:
                record = error_record(item, error.stage, type(error).__name__, str(error))
                return self._row(item.id, error={**record, "usage": error.usage.model_dump()})
            except Exception as error:  # a bug must not end the batch; it is recorded
                record = error_record(item, "internal", type(error).__name__, str(error)[:500])
                return self._row(item.id, error=record)
        return self._row(item.id, facts=facts.model_dump_json())

    def _row(self, article_id: str, *, facts: str | None = None, error: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "id": article_id,
            "facts": facts,
            "error": json.dumps(error, ensure_ascii=False) if error is not None else None,
            "node_id": self.node_id,
            "worker_id": self.worker_id,
        }


# -- the dataset ---------------------------------------------------------------------------


def map_articles(
    ds: ray.data.Dataset,
    config: Config,
    plan: PoolPlan,
    *,
    node_servers: dict[str, Any] | None = None,
    node_backend: Callable[[Config], Backend] | None = None,
    monitor: Any = None,
) -> ray.data.Dataset:
    """``ds`` through the actor pool that ``plan`` describes."""
    env = forwarded_environment()
    return ds.map_batches(
        ArticleWorker,
        fn_constructor_args=(config, plan),
        fn_constructor_kwargs={
            "env": env,
            "node_servers": node_servers,
            "node_backend": node_backend,
            "monitor": monitor,
        },
        batch_size=plan.batch_rows,
        batch_format="pyarrow",
        compute=_actor_pool(plan.actors),
        num_cpus=CPUS_PER_ACTOR,
        **_concurrent_calls(),
    )


def _actor_pool(size: int) -> ray.data.ActorPoolStrategy:
    """A fixed pool whose actors each hold ``TASKS_PER_ACTOR`` batches and run them
    together on their event loop (newer Ray says so in the strategy, older as the
    actor's ``max_concurrency``)."""
    if "max_concurrent_calls_per_actor" in inspect.signature(ray.data.ActorPoolStrategy).parameters:
        return ray.data.ActorPoolStrategy(
            size=size,
            max_tasks_in_flight_per_actor=TASKS_PER_ACTOR,
            max_concurrent_calls_per_actor=TASKS_PER_ACTOR,
        )
    return ray.data.ActorPoolStrategy(size=size, max_tasks_in_flight_per_actor=TASKS_PER_ACTOR)


def _concurrent_calls() -> dict[str, Any]:
    if "max_concurrent_calls_per_actor" in inspect.signature(ray.data.ActorPoolStrategy).parameters:
        return {}
    return {"max_concurrency": TASKS_PER_ACTOR}


def extract_dataset(
    ds: ray.data.Dataset,
    *,
    config: Config | None = None,
    actors: int | None = None,
    concurrency: int | None = None,
    node_backend: Callable[[Config], Backend] | None = None,
) -> ray.data.Dataset:
    """Facts for every row of ``ds`` (``text``, optional ``title``, ``source``,
    ``published_at``, ``id``), one output row per input row: ``id``, ``facts`` (the
    ``ArticleFacts`` JSON, as a ``facts.jsonl`` line) or ``error`` (the error record as
    JSON), and the ``node_id`` and ``worker_id`` it ran on. Ready for ``write_json`` or
    ``write_parquet``; nothing runs until the dataset is consumed.

    A block's results come back when its last article is done: blocks of a few hundred
    rows at most (``ds.repartition(target_num_rows_per_block=...)``) stream results and
    spread the work over the actors best.

    ``concurrency`` bounds the requests in flight over the whole pool (default: 16 per
    actor for an endpoint, one for the embedded model); ``actors`` defaults to one per CPU
    of the cluster for an endpoint and one per node for the embedded model, which runs one
    server per node; ``config.rpm`` bounds the requests per minute over the whole pool.
    ``node_backend`` builds the model server each node runs instead of
    the embedded model (called once per node, on that node).
    """
    config = config or Config.from_env()
    node_wide = node_backend is not None or config.embedded
    nodes = alive_nodes()
    plan = plan_pool(
        actors=actors,
        concurrency=concurrency,
        cluster_cpus=float(ray.cluster_resources().get("CPU", 1)),
        nodes=len(nodes),
        node_servers=node_wide,
    )
    servers = start_node_servers(config, forwarded_environment(), node_backend) if node_wide else None
    return map_articles(ds, config, plan, node_servers=servers, node_backend=node_backend)
