"""The tables on disk: one ``.duckdb`` file, or a folder of Parquet, CSV or JSONL files.

Written beside the destination under a temporary name and moved into place whole, so
a reader never sees half an export. An existing destination is replaced only when it
is an earlier export (a folder with our ``manifest.json``, a DuckDB file with our
``manifest`` table) or empty.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from .._exceptions import ExtractorError
from ._build import SERIES_SQL, TABLES
from ._store import Store, quote_path

FORMATS = ("parquet", "csv", "duckdb", "jsonl")
MANIFEST = "manifest.json"
# A .duckdb file in the storage format of DuckDB 1.0, which every DuckDB since reads
# (the CLI of 1.x included); the default of the library installed here is newer.
DUCKDB_STORAGE_VERSION = "v1.0.0"


class DestinationError(ExtractorError, ValueError):
    """The destination exists and is not an earlier export: nothing is overwritten."""


def default_destination(run_dir: Path, format: str) -> Path:
    return run_dir / ("facts.duckdb" if format == "duckdb" else f"export-{format}")


def check_destination(dest: Path, format: str) -> None:
    if not dest.exists():
        return
    if format == "duckdb":
        if dest.is_dir() or not _is_our_duckdb(dest):
            raise DestinationError(f"{dest} exists and is not an export of ours: choose another -o")
    elif not dest.is_dir() or (any(dest.iterdir()) and not (dest / MANIFEST).is_file()):
        raise DestinationError(f"{dest} exists and is not an export folder of ours: choose another -o")


def _is_our_duckdb(path: Path) -> bool:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            found = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'manifest'"
            ).fetchone()
    except duckdb.Error:
        return False
    return bool(found and found[0])


def _source(table: str) -> str:
    return f"({SERIES_SQL})" if table == "series" else table


def write(store: Store, dest: Path, format: str, manifest: dict[str, object]) -> None:
    """All tables of ``store`` to ``dest`` in ``format``, replacing an earlier export."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    _remove(staging)
    # the store's one thread reads each table in its stored (sorted) order, so the writers
    # need not buffer batches to restore that order (which the memory limit would not allow)
    store.con.execute("SET preserve_insertion_order = false")
    try:
        if format == "duckdb":
            _duckdb(store, staging, manifest)
        else:
            staging.mkdir()
            for table in TABLES:
                {"parquet": _parquet, "csv": _csv, "jsonl": _jsonl}[format](store, table, staging)
            (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        _remove(dest)
        os.replace(staging, dest)
    finally:
        _remove(staging)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.unlink()


def _duckdb(store: Store, path: Path, manifest: dict[str, object]) -> None:
    con = store.con
    con.execute(f"ATTACH '{quote_path(path)}' AS export_out (STORAGE_VERSION '{DUCKDB_STORAGE_VERSION}')")
    try:
        for table in TABLES:
            if table != "series":
                con.execute(f"CREATE TABLE export_out.{table} AS SELECT * FROM {table}")
        con.execute(
            "CREATE TABLE export_out.manifest AS SELECT * FROM (VALUES "
            + ", ".join("(?, ?)" for _ in manifest)
            + ") AS m(key, value)",
            [item for key, value in manifest.items() for item in (key, json.dumps(value, ensure_ascii=False))],
        )
        con.execute("USE export_out")
        con.execute(f"CREATE VIEW series AS {SERIES_SQL}")
    finally:
        con.execute("USE memory")
        con.execute("DETACH export_out")


def _parquet(store: Store, table: str, folder: Path) -> None:
    # row groups small enough to be buffered within the store's memory limit (articles
    # carry their text: about 10 KB a row)
    rows = 1024 if table == "articles" else 16384
    store.con.execute(
        f"COPY (SELECT * FROM {_source(table)}) TO '{quote_path(folder / (table + '.parquet'))}' "
        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {rows})"
    )


def _jsonl(store: Store, table: str, folder: Path) -> None:
    store.con.execute(
        f"COPY (SELECT * FROM {_source(table)}) TO '{quote_path(folder / (table + '.jsonl'))}' (FORMAT json)"
    )


def _csv(store: Store, table: str, folder: Path) -> None:
    """UTF-8 with a byte-order mark (how Excel knows it is UTF-8); lists as JSON arrays."""
    columns = store.con.execute(f"SELECT * FROM {_source(table)} LIMIT 0").description
    listed = {name for name, type_, *_ in columns if str(type_).endswith("[]") or str(type_).upper().startswith("LIST")}
    select = ", ".join(f'to_json("{name}") AS "{name}"' if name in listed else f'"{name}"' for name, *_ in columns)
    body = folder / f".{table}.body.csv"
    store.con.execute(f"COPY (SELECT {select} FROM {_source(table)}) TO '{quote_path(body)}' (FORMAT csv, HEADER)")
    with (folder / f"{table}.csv").open("wb") as out, body.open("rb") as source:
        out.write("\ufeff".encode())
        shutil.copyfileobj(source, out, 1 << 20)
    body.unlink()
