"""Whole lines and whole files: what a killed process leaves is always readable."""

from __future__ import annotations

import json
from pathlib import Path

from extractor.output import JsonlWriter, read_jsonl, repair_jsonl, write_atomic


def test_torn_last_line_is_cut_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "facts.jsonl"
    path.write_text('{"id": 1}\n{"id": 2}\n{"id": 3, "tor', encoding="utf-8")
    assert [r["id"] for r in read_jsonl(path)] == [1, 2]
    writer = JsonlWriter(path)
    writer.write({"id": 4})
    writer.close()
    assert [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()] == [1, 2, 4]
    assert repair_jsonl(path) == 0


def test_atomic_write_replaces_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "articles" / "a.json"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert [p.name for p in target.parent.iterdir()] == ["a.json"]


def test_a_folder_is_owned_by_one_claim_at_a_time(tmp_path: Path) -> None:
    """The lock belongs to the open file, so even a second claim from this process fails,
    naming the holder's pid; once released, the folder can be claimed again."""
    import os

    import pytest

    from extractor import OutputBusy
    from extractor.output import FolderLock

    with FolderLock(tmp_path):
        assert (tmp_path / ".lock").read_text() == f"{os.getpid()}\n"
        with pytest.raises(OutputBusy, match=f"pid {os.getpid()}") as busy:
            FolderLock(tmp_path).acquire()
        assert busy.value.pid == os.getpid()
    with FolderLock(tmp_path):
        pass


def test_a_line_that_cannot_be_written_whole_is_cut_back(tmp_path: Path) -> None:
    """A file-size limit stops a line part-way: the part is removed and the error says
    which file and why; the lines before stay whole."""
    import subprocess
    import sys

    script = f"""
import resource
from pathlib import Path
from extractor import OutputError
from extractor.output import JsonlWriter
writer = JsonlWriter(Path({str(tmp_path / "facts.jsonl")!r}))
writer.write({{"n": 1, "pad": "x" * 500}})
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY))
try:
    writer.write({{"n": 2, "pad": "x" * 2000}})
except OutputError as error:
    print(error)
writer.close()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "facts.jsonl: File too large" in done.stdout, done.stderr
    assert [r["n"] for r in read_jsonl(tmp_path / "facts.jsonl")] == [1]
    assert (tmp_path / "facts.jsonl").read_bytes().endswith(b"\n")
