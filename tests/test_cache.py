"""The answer cache only ever saves time: damage found mid-run switches it off, said once."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from extractor.cache import DATABASE, ResultCache


def filled(directory: Path, count: int = 3000) -> ResultCache:
    cache = ResultCache(directory)
    for n in range(count):
        cache.put(f"key-{n}", {"n": n, "answer": "微众银行" * 40})
    return cache


def test_damage_found_mid_run_switches_the_cache_off_and_is_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The file is overwritten while the cache is open (a second program, a bad disk):
    the first read that meets the damage reports it and moves the file aside; every
    later call is a miss or a no-op, and nothing more is said."""
    filled(tmp_path).close()
    cache = ResultCache(tmp_path)
    assert cache.get("key-0") == {"n": 0, "answer": "微众银行" * 40} and cache.problem is None
    database = tmp_path / DATABASE
    size = database.stat().st_size
    with database.open("r+b") as handle:  # keep SQLite's header page, ruin the rest
        handle.seek(4096)
        handle.write(os.urandom(size - 4096))
    with caplog.at_level(logging.WARNING, logger="extractor.cache"):
        answers = [cache.get(f"key-{n}") for n in range(0, 3000, 7)]
        cache.put("key-new", {"n": -1})
    assert cache.problem is not None and "is damaged" in cache.problem
    assert [r.levelname for r in caplog.records if r.name == "extractor.cache"] == ["WARNING"]
    assert all(a is None or a["answer"] == "微众银行" * 40 for a in answers)  # a miss, never a wrong answer
    assert not database.exists() and list(tmp_path.glob(f"{DATABASE}.damaged-*"))
    assert cache.get("key-1") is None


def test_a_cache_folder_that_cannot_be_made_means_no_cache(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="extractor.cache"):
        cache = ResultCache(blocker / "results")
    assert cache.problem is not None and "cannot be used" in cache.problem
    assert cache.get("k") is None
    cache.put("k", {"v": 1})  # a no-op, not an error
    assert blocker.read_text() == "not a folder", "nothing was moved aside"


def test_another_programs_database_is_left_whole_and_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache.db that is a sound SQLite file of someone else's (a wrong --cache-dir):
    diskcache would add its tables to it; it is moved aside unchanged instead."""
    import sqlite3

    database = tmp_path / DATABASE
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount REAL)")
        db.execute("INSERT INTO ledger (amount) VALUES (62.64)")
    before = database.read_bytes()
    with caplog.at_level(logging.WARNING, logger="extractor.cache"):
        cache = ResultCache(tmp_path)
    assert cache.problem is not None and "another program's database (tables ledger)" in cache.problem
    (moved,) = tmp_path.glob(f"{DATABASE}.damaged-*")
    assert moved.read_bytes() == before and not database.exists()
    assert cache.get("k") is None
    fresh = ResultCache(tmp_path)  # the next run starts a cache of its own
    fresh.put("k", {"v": 1})
    assert fresh.get("k") == {"v": 1} and fresh.problem is None
