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

    When a buffer fills, every buffer is written as newline-delimited JSON arrays to a
    spool file that DuckDB reads (its JSON reader is C++ and the columns are typed as
    declared) and the batch is committed, so appended rows live on disk, not in a
    transaction held in memory. (PyArrow would do the same job, at 36 MB more resident
    memory for its import alone.)"""

    def __init__(self, work: Path, *, memory_limit: str = "96MB", batch_rows: int = 8192) -> None:
        self.work = work
        self.spool = work / "spool.jsonl"
        # an in-memory database whose blocks DuckDB moves to ``work/spill`` beyond the
        # limit: the same bounded memory as a database file, without a sync per commit
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        # one thread: each thread needs its own buffers within the limit, and the scan in
        # Python, not DuckDB, is what takes the time
        self.con.execute("SET threads = 1")
        self.con.execute(f"SET temp_directory = '{quote_path(work / 'spill')}'")
        # articles carry their text (about 10 KB a row): a smaller batch keeps the buffer small
        self.limits = {name: batch_rows for name in STAGING} | {"stg_articles": max(1, batch_rows // 64)}
        self._buffers: dict[str, list[tuple[Any, ...]]] = {name: [] for name in STAGING}
        self.con.begin()  # one transaction per batch: a commit per statement costs a sync each
        for name, columns in STAGING.items():
            self.con.execute(f"CREATE TABLE {name} ({_ddl(columns)})")

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        buffer = self._buffers[table]
        buffer.append(row)
        if len(buffer) >= self.limits[table]:
            self.flush()

    def flush(self, table: str | None = None) -> None:
        """Write the buffered rows (of one table, or all) and commit them."""
        wrote = False
        for name in [table] if table else list(self._buffers):
            rows = self._buffers[name]
            if rows:
                self._insert(name, STAGING[name], rows)
                rows.clear()
                wrote = True
        if wrote:
            self.commit()

    def load_rows(self, table: str, columns: Columns, rows: list[tuple[Any, ...]]) -> None:
        """A table built in Python (names → entities), replacing any table of that name."""
        self.con.execute(f"CREATE OR REPLACE TABLE {table} ({_ddl(columns)})")
        step = self.limits["stg_names"]
        for at in range(0, len(rows), step):
            self._insert(table, columns, rows[at : at + step])

    def _insert(self, table: str, columns: Columns, rows: list[tuple[Any, ...]]) -> None:
        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
        longest = 0
        with self.spool.open("w", encoding="utf-8") as handle:
            for row in rows:
                line = encode(row)
                longest = max(longest, len(line))
                handle.write(line)
                handle.write("\n")
        # DuckDB's reader buffers a few times this per thread (default 16 MB): as small as the rows allow
        object_size = max(1 << 20, 4 * longest + 1024)
        scalars = [(i, c, t) for i, (c, t) in enumerate(columns) if not t.endswith("[]")]
        lists = [(i, c, t) for i, (c, t) in enumerate(columns) if t.endswith("[]")]
        fields = ", ".join(f"'$[{i}]'" for i, _, _ in scalars)
        parsed = [f"json_extract_string(j, [{fields}]) AS s"]
        if lists:
            paths = ", ".join(f"'$[{i}]'" for i, _, _ in lists)
            parsed.append(f"json_extract(j, [{paths}]) AS l")
        position = {i: n for n, (i, _, _) in enumerate(scalars, start=1)} | {
            i: n for n, (i, _, _) in enumerate(lists, start=1)
        }
        values = [
            f"CAST(l[{position[i]}] AS {t})" if t.endswith("[]") else f"CAST(s[{position[i]}] AS {t})"
            for i, (_, t) in enumerate(columns)
        ]
        self.con.execute(
            f"INSERT INTO {table} SELECT {', '.join(values)} FROM ("
            f"SELECT {', '.join(parsed)} FROM read_json('{quote_path(self.spool)}', "
            f"format = 'newline_delimited', records = false, maximum_object_size = {object_size}, "
            "columns = {'j': 'JSON'}))"
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


def quote_path(path: Path) -> str:
    """A path inside a single-quoted SQL string."""
    return str(path).replace("'", "''")
