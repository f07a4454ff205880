"""Reading a run for the report: an output folder, a facts JSONL file or one article's JSON.

Nothing read is dropped without a word: lines that are not whole JSON records and
records that are not ``ArticleFacts`` are counted and named in the report's notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .._exceptions import ExtractorError
from ..models import ArticleFacts
from ..output import ERRORS, FACTS, read_jsonl


class RunNotFound(ExtractorError, FileNotFoundError):
    """The path holds nothing the report can show."""


@dataclass
class Run:
    facts: list[ArticleFacts] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    default_output: Path = Path("report.html")


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    return f"{where}: {first['msg']}"


def _lines_in(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def _read_facts(path: Path, run: Run) -> None:
    records = 0
    for n, record in enumerate(read_jsonl(path), start=1):
        records += 1
        try:
            run.facts.append(ArticleFacts.model_validate(record))
        except ValidationError as error:
            run.notices.append(f"{path.name} record {n} is not an article's facts ({_first_error(error)}); not shown")
    unreadable = _lines_in(path) - records
    if unreadable:
        run.notices.append(f"{path.name}: {unreadable} line(s) are not whole JSON objects (torn or corrupt); not shown")


def _read_errors(path: Path, run: Run) -> None:
    records = 0
    for record in read_jsonl(path):
        records += 1
        run.errors.append(record)
    unreadable = _lines_in(path) - records
    if unreadable:
        run.notices.append(f"{path.name}: {unreadable} line(s) are not whole JSON objects (torn or corrupt); not shown")


def read_run(path: Path) -> Run:
    """``OUTDIR`` (its facts.jsonl and errors.jsonl), a ``.jsonl`` of facts (with an
    ``errors.jsonl`` beside it, if there is one) or one ``articles/<id>.json``."""
    if path.is_dir():
        facts, errors = path / FACTS, path / ERRORS
        if not facts.exists() and not errors.exists():
            raise RunNotFound(f"{path} has neither {FACTS} nor {ERRORS}: is it an output folder of `extractor run`?")
        run = Run(default_output=path / "report.html")
    elif path.is_file():
        facts, errors = path, path.parent / ERRORS
        run = Run(default_output=path.parent / "report.html")
        if path.suffix == ".json":
            try:
                run.facts.append(ArticleFacts.model_validate_json(path.read_bytes()))
            except ValidationError as error:
                raise RunNotFound(f"{path} is not an article's facts: {_first_error(error)}") from None
            return run
    else:
        raise RunNotFound(f"{path} does not exist")
    if facts.exists():
        _read_facts(facts, run)
    if errors.exists() and errors != facts:
        _read_errors(errors, run)
    return run
