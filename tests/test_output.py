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
