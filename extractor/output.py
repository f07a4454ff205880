"""Batch output on disk: whole lines and whole files, whatever happens mid-write.

``facts.jsonl`` and ``errors.jsonl`` get one complete line per record, flushed and
synced; a line that cannot be written whole (a full disk, a file-size limit) is cut
back off before the error is raised. Per-article JSON files are written to a temporary
name and renamed. A torn last line (the process was killed mid-write) is cut off when
the folder is reopened. One run at a time owns a folder (``FolderLock``).
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

from ._exceptions import OutputBusy, OutputError

FACTS = "facts.jsonl"
ERRORS = "errors.jsonl"
SUMMARY = "summary.json"
ARTICLES = "articles"
LOCK = ".lock"


class FolderLock:
    """An exclusive ``flock`` on ``<folder>/.lock``, which holds the owner's pid.

    The kernel drops the lock when its process ends, however it ends, so a killed run
    never leaves a stale lock. The lock belongs to the open file, not the process: a
    second claim on the same folder fails even from the same process.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise OutputBusy(self.folder, int(holder) if holder.isdigit() else None) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the only descriptor releases the lock
            self._fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


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
    """Appends one whole line per record and makes it durable before returning.

    Unbuffered: a line is either on disk whole or, when writing it fails part-way, cut
    back off before ``OutputError`` is raised, so no bytes of it linger to be written
    later and the file never ends in a torn line.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            repair_jsonl(path)
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as error:
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from error
        self._size = os.fstat(self._fd).st_size
        self._lock = threading.Lock()  # writers may run in worker threads
        self.written = 0  # lines made durable by this writer

    def write(self, record: dict[str, Any]) -> None:
        self.write_line(json.dumps(record, ensure_ascii=False, separators=(",", ":")))

    def write_line(self, line: str) -> None:
        """One record already serialised as JSON on one line."""
        data = memoryview((line + "\n").encode("utf-8"))
        with self._lock:
            if self._fd is None:
                raise OutputError(f"{self.path} is closed")
            try:
                while data:
                    data = data[os.write(self._fd, data) :]
                os.fsync(self._fd)
            except OSError as error:
                with suppress(OSError):
                    os.ftruncate(self._fd, self._size)
                raise OutputError(f"cannot write {self.path}: {error.strerror or error}") from error
            self._size = os.fstat(self._fd).st_size
            self.written += 1

    def close(self) -> None:
        with self._lock:  # never under a write that is still syncing
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
