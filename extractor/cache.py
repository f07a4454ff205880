"""Validated model answers on disk, keyed by everything that could change them.

What is cached is each call's validated draft, not the final facts: a hit skips the
call, and grounding and normalisation (cheap, deterministic) run again, so a fix in
that code reaches cached articles without paying for the model twice.

The cache only ever saves time: when it cannot be used (a damaged or foreign
``cache.db``, a full disk, no permission) the run goes on without it and says so once.
A damaged database is moved aside, so the next run starts a fresh one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import diskcache

from .models import SCHEMA_VERSION

log = logging.getLogger(__name__)

# 2: messages reach the model verbatim (instructor used to render the metric pass's
# messages as Jinja templates, which dropped their final newline; see validation.py)
KEY_VERSION = 2
DATABASE = "cache.db"  # diskcache's file in the cache directory
# SQLite's verdicts on a file that is not (or no longer) a sound cache database; other
# errors (busy, full, read-only, I/O) say nothing about the file and leave it in place
_DAMAGE = {"SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_ERROR"}


def cache_key(
    *,
    model: str,
    endpoint: str,
    prompt_hash: str,
    schema: str,
    messages: list[dict[str, str]],
    request: dict[str, Any] | None = None,
) -> str:
    """(model, endpoint, prompt hash, schema version, hash of the text as sent, and how
    it was asked: ``request`` holds the mode, the draft's JSON schema, the temperature)."""
    parts = {
        "key": KEY_VERSION,
        "model": model,
        "endpoint": endpoint,
        "prompt": prompt_hash,
        "schema": f"{SCHEMA_VERSION}/{schema}",
        "request": request or {},
        "text": hashlib.sha256(json.dumps(messages, ensure_ascii=False).encode("utf-8")).hexdigest(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _is_damage(error: BaseException) -> bool:
    """A failure that says the database file itself is unsound (garbage, truncated,
    another program's schema), or a stored value that no longer decodes."""
    if isinstance(error, sqlite3.DatabaseError):
        name = getattr(error, "sqlite_errorname", None)
        if name is None:  # Python < 3.11: only the message tells
            return not isinstance(error, sqlite3.OperationalError) or "no such" in str(error)
        return name in _DAMAGE
    return not isinstance(error, OSError)  # a value that does not unpickle


_OWN_TABLES = {"Settings", "Cache"}  # what diskcache creates


def _foreign_tables(database: Path) -> set[str]:
    """The tables of an existing ``cache.db`` that diskcache did not make (read-only;
    a file SQLite cannot read is left for diskcache to fail on)."""
    if not database.exists():
        return set()
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:
        return set()
    return {name for name in names if name not in _OWN_TABLES and not name.startswith("sqlite_")}


class ResultCache:
    """A thin, process-safe wrapper over diskcache (SQLite underneath) that never fails
    a call: when the cache breaks it is switched off for the rest of the process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problem: str | None = None  # why the cache is off, once it is
        self._cache: diskcache.Cache | None = None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            foreign = _foreign_tables(directory / DATABASE)
            if foreign:  # diskcache would add its tables to another program's database
                raise sqlite3.DatabaseError(f"another program's database (tables {', '.join(sorted(foreign))})")
            self._cache = diskcache.Cache(str(directory), size_limit=2**32)
            self._cache.get("extractor:probe")  # reads the table: a foreign schema fails here
        except Exception as error:  # noqa: BLE001 - anything diskcache raises switches it off
            self._give_up(error)

    def get(self, key: str) -> dict[str, Any] | None:
        if self._cache is None:
            return None
        try:
            value = self._cache.get(key)
        except Exception as error:  # noqa: BLE001
            self._give_up(error)
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        if self._cache is None:
            return
        try:
            self._cache.set(key, value)
        except Exception as error:  # noqa: BLE001
            self._give_up(error)

    def close(self) -> None:
        if self._cache is not None:
            with suppress(Exception):
                self._cache.close()
            self._cache = None

    def _give_up(self, error: BaseException) -> None:
        """Off for the rest of this process, said once; a damaged file is moved aside."""
        self.close()
        reason = f"{type(error).__name__}: {error}"
        if _is_damage(error):
            moved = self._move_aside()
            where = f"moved it to {moved}" if moved else "could not move it aside"
            self.problem = f"the answer cache {self.directory / DATABASE} is damaged ({reason}); {where}"
        else:
            self.problem = f"the answer cache in {self.directory} cannot be used ({reason})"
        log.warning("%s; this run continues without a cache", self.problem)

    def _move_aside(self) -> Path | None:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        database = self.directory / DATABASE
        target = database.with_name(f"{DATABASE}.damaged-{stamp}-{os.getpid()}")
        try:
            database.rename(target)
        except OSError:
            return None
        for suffix in ("-wal", "-shm"):  # SQLite's journal files belong to the moved database
            with suppress(OSError):
                database.with_name(DATABASE + suffix).rename(target.with_name(target.name + suffix))
        return target
