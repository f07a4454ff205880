"""The on-disk working store: a DuckDB database that the scan appends to in batches.

Nothing of a run is held in Python beyond one batch of rows per table; resolution reads
back only what it needs per distinct name, and the tables are built by SQL over the
store, so 100,000 articles cost disk, not memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

Columns = list[tuple[str, str]]  # (name, DuckDB type)
_STR, _INT, _DBL, _DATE, _TS, _LIST = "VARCHAR", "INTEGER", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR[]"
_EVIDENCE: Columns = [("evidence_text", _STR), ("evidence_start", _INT), ("evidence_end", _INT)]

STAGING: dict[str, Columns] = {
    "stg_articles": [
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
    ],
    # every name an article uses, with the role it plays there
    "stg_names": [
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
    ],
    # what an article says about two names: same institution, or owner and owned
    "stg_links": [
        ("line", _INT),
        ("article_id", _STR),
        ("rule", _STR),
        ("a_key", _STR),
        ("a_form", _STR),
        ("b_key", _STR),
        ("b_form", _STR),
        *_EVIDENCE,
    ],
    "stg_metrics": [
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
    ],
    "stg_actions": [
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
    ],
    "stg_products": [
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
    ],
    "stg_problems": [("line", _INT), ("article_id", _STR), ("location", _STR), ("message", _STR)],
}


class Store:
    """A DuckDB working database with one row buffer per staging table.

    A full buffer is written as newline-delimited JSON to a spool file that DuckDB
    reads (its JSON reader is C++ and types the columns as declared), then committed,
    so appended rows live on disk, not in a transaction held in memory. (Arrow would
    do the same job, at 36 MB more resident memory for its import alone.)"""

    def __init__(self, path: Path, *, memory_limit: str = "64MB", batch_rows: int = 4096) -> None:
        self.path = path
        self.spool = path.parent / "spool.jsonl"
        self.con = duckdb.connect(str(path))
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute("SET threads = 2")
        self.con.execute(f"SET temp_directory = '{_quote(path.parent / 'spill')}'")
        self.batch_rows = batch_rows
        self._buffers: dict[str, list[tuple[Any, ...]]] = {name: [] for name in STAGING}
        self.con.begin()  # one transaction per batch: a commit per statement costs a sync each
        for name, columns in STAGING.items():
            self.con.execute(f"CREATE TABLE {name} ({_ddl(columns)})")

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        buffer = self._buffers[table]
        buffer.append(row)
        if len(buffer) >= self.batch_rows:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self._buffers):
            rows = self._buffers[name]
            if rows:
                self._insert(name, STAGING[name], rows)
                rows.clear()
                self.commit()

    def load_rows(self, table: str, columns: Columns, rows: list[tuple[Any, ...]]) -> None:
        """A table built in Python (names → entities), replacing any table of that name."""
        self.con.execute(f"CREATE OR REPLACE TABLE {table} ({_ddl(columns)})")
        for at in range(0, len(rows), self.batch_rows * 4):
            self._insert(table, columns, rows[at : at + self.batch_rows * 4])

    def _insert(self, table: str, columns: Columns, rows: list[tuple[Any, ...]]) -> None:
        names = [c for c, _ in columns]
        with self.spool.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, default=str))
                handle.write("\n")
        types = ", ".join(f"'{c}': '{t}'" for c, t in columns)
        selected = ", ".join(f'"{n}"' for n in names)
        self.con.execute(
            f"INSERT INTO {table} SELECT {selected} FROM read_json('{_quote(self.spool)}', "
            f"format = 'newline_delimited', columns = {{{types}}})"
        )
        self.spool.unlink()

    def commit(self) -> None:
        """End the open transaction and start the next one."""
        self.con.commit()
        self.con.begin()

    def finish(self) -> None:
        """Commit the last transaction; statements from here on commit one by one."""
        self.con.commit()

    def close(self) -> None:
        self.con.close()


def _ddl(columns: Columns) -> str:
    return ", ".join(f'"{name}" {type_}' for name, type_ in columns)


def _quote(path: Path) -> str:
    """A path inside a single-quoted SQL string."""
    return str(path).replace("'", "''")
