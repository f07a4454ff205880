"""Knowledge tables from a run: one entity per institution, metric series, conflicts.

    from extractor.export import export, export_run
    export("out", "out/facts.duckdb", format="duckdb")   # or parquet / csv / jsonl folders
    tables = export_run("out")                           # the same tables as pyarrow.Table
    tables.metrics.filter(...)

Needs the ``export`` extra (``pip install 'finfacts-extractor[export]'``: DuckDB, OpenCC,
and PyArrow for ``export_run``'s Arrow tables). The README describes the tables and the
entity-resolution rules.
"""

from __future__ import annotations

try:
    import duckdb as _duckdb  # noqa: F401
    import opencc as _opencc  # noqa: F401
except ImportError as missing:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        f"extractor.export needs the export extra ({missing.name} is missing): pip install 'finfacts-extractor[export]'"
    ) from missing

from ._build import TABLES
from ._export import ExportReport, Tables, export, export_run
from ._reader import ExportInputError, Problem
from ._seed import SeedEntry, SeedTableError, seed_entries
from ._write import FORMATS, DestinationError

__all__ = [
    "FORMATS",
    "TABLES",
    "DestinationError",
    "ExportInputError",
    "ExportReport",
    "Problem",
    "SeedEntry",
    "SeedTableError",
    "Tables",
    "export",
    "export_run",
    "seed_entries",
]
