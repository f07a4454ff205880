"""The on-disk working store: a DuckDB database that the scan appends to in batches.

Nothing of a run is held in Python beyond one batch of rows per table; resolution reads
back only what it needs per distinct name, and the tables are built by SQL over the
store, so 100,000 articles cost disk, not memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

_STR, _INT, _DBL, _DATE = pa.string(), pa.int32(), pa.float64(), pa.date32()
_TS, _LIST = pa.timestamp("us"), pa.list_(pa.string())
_EVIDENCE = [("evidence_text", _STR), ("evidence_start", _INT), ("evidence_end", _INT)]

STAGING: dict[str, pa.Schema] = {
    "stg_articles": pa.schema(
        [
            ("line", _INT),
            ("article_id", _STR),
            ("title", _STR),
            ("source", _STR),
            ("published_at", _TS),
            ("published_at_text", _STR),
            ("language", _STR),
            ("origin_path", _STR),
            ("origin_index", _INT),
            ("text", _STR),
            ("model", _STR),
            ("provider", _STR),
            ("prompt_version", _STR),
            ("extractor_version", _STR),
            ("extracted_at", _TS),
            ("warnings", _LIST),
            ("institutions", _INT),
            ("metrics", _INT),
            ("regulatory_actions", _INT),
            ("products", _INT),
        ]
    ),
    # every name an article uses, with the role it plays there
    "stg_names": pa.schema(
        [
            ("line", _INT),
            ("article_id", _STR),
            ("fact_index", _INT),
            ("role", _STR),
            ("key", _STR),
            ("form", _STR),
            ("kind", _STR),
            ("type", _STR),
            ("country", _STR),
            ("name_start", _INT),
            ("name_end", _INT),
            *_EVIDENCE,
        ]
    ),
    # what an article says about two names: same institution, or owner and owned
    "stg_links": pa.schema(
        [
            ("line", _INT),
            ("article_id", _STR),
            ("rule", _STR),
            ("a_key", _STR),
            ("a_form", _STR),
            ("b_key", _STR),
            ("b_form", _STR),
            *_EVIDENCE,
        ]
    ),
    "stg_metrics": pa.schema(
        [
            ("line", _INT),
            ("article_id", _STR),
            ("fact_index", _INT),
            ("subject", _STR),
            ("subject_key", _STR),
            ("metric", _STR),
            ("name", _STR),
            ("value", _DBL),
            ("value_max", _DBL),
            ("unit", _STR),
            ("raw", _STR),
            ("qualifier", _STR),
            ("period_start", _DATE),
            ("period_end", _DATE),
            ("period_text", _STR),
            *_EVIDENCE,
            ("evidence_count", _INT),
        ]
    ),
    "stg_actions": pa.schema(
        [
            ("line", _INT),
            ("article_id", _STR),
            ("fact_index", _INT),
            ("regulator", _STR),
            ("regulator_key", _STR),
            ("target", _STR),
            ("target_key", _STR),
            ("action", _STR),
            ("summary", _STR),
            ("amount", _DBL),
            ("currency", _STR),
            ("date", _STR),
            ("date_start", _DATE),
            ("date_end", _DATE),
            ("reasons", _LIST),
            *_EVIDENCE,
            ("evidence_count", _INT),
        ]
    ),
    "stg_products": pa.schema(
        [
            ("line", _INT),
            ("article_id", _STR),
            ("fact_index", _INT),
            ("name", _STR),
            ("key", _STR),
            ("provider", _STR),
            ("provider_key", _STR),
            ("type", _STR),
            ("launched", _STR),
            ("launched_start", _DATE),
            ("annual_rate_min", _DBL),
            ("annual_rate_max", _DBL),
            ("credit_limit_min", _DBL),
            ("credit_limit_max", _DBL),
            ("max_term_months", _INT),
            ("features", _LIST),
            *_EVIDENCE,
            ("evidence_count", _INT),
        ]
    ),
    "stg_problems": pa.schema([("line", _INT), ("article_id", _STR), ("location", _STR), ("message", _STR)]),
}


class Store:
    """A DuckDB working database with one row buffer per staging table."""

    def __init__(self, path: Path | None, *, memory_limit: str = "256MB", batch_rows: int = 8192) -> None:
        self.path = path
        self.con = duckdb.connect(str(path) if path is not None else ":memory:")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute("SET threads = 2")
        if path is not None:
            self.con.execute(f"SET temp_directory = '{path.parent / 'spill'}'")
        self.batch_rows = batch_rows
        self._buffers: dict[str, list[tuple[Any, ...]]] = {name: [] for name in STAGING}
        # one transaction for the whole build: a commit per statement costs a sync each
        self.con.begin()
        for name, schema in STAGING.items():
            self.load_arrow(name, schema.empty_table())

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        buffer = self._buffers[table]
        buffer.append(row)
        if len(buffer) >= self.batch_rows:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self._buffers):
            rows = self._buffers[name]
            if not rows:
                continue
            schema = STAGING[name]
            columns = list(zip(*rows, strict=True))
            batch = pa.Table.from_arrays(
                [pa.array(column, type=field.type) for column, field in zip(columns, schema, strict=True)],
                schema=schema,
            )
            self.insert_arrow(name, batch)
            rows.clear()

    def insert_arrow(self, table: str, batch: pa.Table) -> None:
        self.con.register("_batch", batch)
        try:
            self.con.execute(f"INSERT INTO {table} SELECT * FROM _batch")
        finally:
            self.con.unregister("_batch")

    def load_arrow(self, table: str, data: pa.Table) -> None:
        """A table built in Python (names → entities), replacing any table of that name."""
        self.con.register("_data", data)
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _data")
        finally:
            self.con.unregister("_data")

    def commit(self) -> None:
        self.con.commit()

    def close(self) -> None:
        self.con.close()
