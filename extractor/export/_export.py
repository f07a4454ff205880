"""``export`` and ``export_run``: a run's facts.jsonl → the knowledge tables."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ._build import TABLES, build_tables, colisted, drop_superseded, links, load_resolution, name_statistics, table_rows
from ._reader import Problem, facts_path, read_facts
from ._resolve import Resolver
from ._scan import Scanner
from ._seed import seed_entries
from ._store import Store
from ._write import FORMATS, check_destination, default_destination, write

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: where, how many rows per table, what it could not take."""

    dest: Path
    format: str
    rows: dict[str, int]
    articles_read: int
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Tables:
    """The export's tables as Arrow tables (``pyarrow.Table``), one attribute each."""

    entities: pa.Table
    aliases: pa.Table
    mentions: pa.Table
    metrics: pa.Table
    regulatory_actions: pa.Table
    products: pa.Table
    articles: pa.Table
    conflicts: pa.Table
    series: pa.Table
    merge_refusals: pa.Table
    problems: pa.Table

    def __getitem__(self, name: str) -> pa.Table:
        if name not in TABLES:
            raise KeyError(name)
        table: pa.Table = getattr(self, name)
        return table


@dataclass
class _Built:
    store: Store
    source: Path
    articles: int


@contextmanager
def _built(run: str | Path, work: Path, *, seed: bool = True) -> Iterator[_Built]:
    """Scan, resolve and build every table in a working store under ``work``."""
    source = facts_path(run)
    entries = seed_entries() if seed else ()
    store = Store(work, memory_limit=f"{working_memory_mb(source)}MB")
    try:
        scanner = Scanner(store, [name for entry in entries for name in entry.names])
        articles = 0
        for line, record in read_facts(source):
            if isinstance(record, Problem):
                store.add("stg_problems", (record.line, record.article_id, record.location, record.message))
            else:
                articles += 1
                scanner.scan(line, record)
        store.flush()
        drop_superseded(store)
        resolution = Resolver(
            name_statistics(store), links(store), entries, lambda keys: colisted(store, keys)
        ).resolve()
        load_resolution(store, resolution)
        resolution.names.clear()  # in the store now; only the entities are needed from here
        resolution.nodes.clear()
        build_tables(store, resolution)
        store.finish()
        yield _Built(store, source, articles)
    finally:
        store.close()


def working_memory_mb(facts: Path) -> int:
    """DuckDB's memory cap: a quarter of facts.jsonl's size, at least 96 MB, at most 1 GB.

    Beyond the cap DuckDB moves its data to disk; some of its operators (the sort of a
    large table with its evidence texts) still need working memory that grows with the
    input, slowly: 10,000 articles (87 MB of facts) run within 96 MB."""
    return max(96, min(1024, facts.stat().st_size // (4 << 20)))


def _problems(store: Store) -> list[Problem]:
    return [Problem(*row) for row in store.con.execute("SELECT * FROM problems").fetchall()]


def export(
    run: str | Path, dest: str | Path | None = None, *, format: str = "parquet", seed: bool = True
) -> ExportReport:
    """Write the tables of the run in ``run`` (its folder or its facts.jsonl) to ``dest``.

    ``format``: ``parquet``, ``csv`` or ``jsonl`` (a folder with one file per table) or
    ``duckdb`` (one file with the tables and the ``series`` view). Default ``dest``:
    ``<run>/facts.duckdb`` or ``<run>/export-<format>/``. Streams the input; the
    working store lives on disk beside ``dest`` and is removed afterwards.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    source = facts_path(run)
    target = Path(dest) if dest is not None else default_destination(source.parent, format)
    check_destination(target, format)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.work-")
    with work, _built(source, Path(work.name), seed=seed) as built:
        rows = table_rows(built.store)
        manifest: dict[str, object] = {
            "exporter": f"finfacts-extractor {__version__}",
            "format": format,
            "source": str(source),
            "source_sha256": _sha256(source),
            "articles": built.articles,
            "seed_table": seed,
            "tables": rows,
        }
        write(built.store, target, format, manifest)
        return ExportReport(target, format, rows, built.articles, _problems(built.store))


def export_run(run: str | Path, *, seed: bool = True) -> Tables:
    """The run's tables in memory as Arrow tables (for a notebook or a pipeline step).

    Builds them exactly as ``export`` does; only the result is held in memory, so for
    very large runs write them with ``export`` and read the files lazily instead."""
    import pyarrow  # noqa: F401 - DuckDB's Arrow results need it; import errors name it here

    with tempfile.TemporaryDirectory(prefix="extractor-export-") as work, _built(run, Path(work), seed=seed) as built:
        con = built.store.con
        return Tables(**{name: con.sql(f"SELECT * FROM {name}").to_arrow_table() for name in TABLES})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
