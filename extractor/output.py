"""Batch output on disk: whole lines and whole files, whatever happens mid-write.

``facts.jsonl`` and ``errors.jsonl`` get one complete line per record, flushed and
synced; per-article JSON files are written to a temporary name and renamed. A torn
last line (the process was killed mid-write) is cut off when the folder is reopened.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FACTS = "facts.jsonl"
ERRORS = "errors.jsonl"
SUMMARY = "summary.json"
ARTICLES = "articles"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def repair_jsonl(path: Path) -> int:
    """Cut a torn last line; returns the number of bytes removed."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    cut = data.rfind(b"\n") + 1
    with path.open("r+b") as handle:
        handle.truncate(cut)
    return len(data) - cut


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Complete, parseable records only."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                return
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record


class JsonlWriter:
    """Appends one whole line per record and makes it durable before returning."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        repair_jsonl(path)
        self.path = path
        self._handle = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()  # writers may run in worker threads
        self.written = 0  # lines made durable by this writer

    def write(self, record: dict[str, Any]) -> None:
        self.write_line(json.dumps(record, ensure_ascii=False, separators=(",", ":")))

    def write_line(self, line: str) -> None:
        """One record already serialised as JSON on one line."""
        line += "\n"
        with self._lock:
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self.written += 1

    def close(self) -> None:
        with self._lock:  # never under a write that is still syncing
            if not self._handle.closed:
                self._handle.close()
