"""A run's ``facts.jsonl``, one validated record at a time, every line accounted for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .._exceptions import ExtractorError
from ..models import ArticleFacts
from ..output import FACTS


class ExportInputError(ExtractorError, ValueError):
    """There is no run to export: no such folder, or no facts.jsonl in it."""


@dataclass(frozen=True)
class Problem:
    """Something in the input that the export could not take as it is."""

    line: int
    article_id: str | None
    location: str  # "line", "metrics[3]", "article.published_at" …
    message: str


def facts_path(run: str | Path) -> Path:
    """``run`` is an output folder of ``extractor run`` or a facts.jsonl itself."""
    path = Path(run)
    if path.is_dir():
        path = path / FACTS
    if not path.is_file():
        raise ExportInputError(f"no {FACTS} at {path}: export reads the output folder of `extractor run`")
    return path


def read_facts(path: Path) -> Iterator[tuple[int, ArticleFacts | Problem]]:
    """(line number, record) per line, a ``Problem`` for a line that is not a valid
    ArticleFacts (a torn last line from a killed run included). Streams: one line in memory."""
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, ArticleFacts.model_validate_json(line)
            except ValidationError as error:
                if not line.endswith("\n"):
                    message = "torn last line (the run was killed mid-write): skipped"
                else:
                    message = f"not an ArticleFacts record: {_short(error)}"
                yield number, Problem(number, _id_of(line), "line", message)


def _id_of(line: str) -> str | None:
    try:
        article = json.loads(line).get("article")
    except (json.JSONDecodeError, AttributeError):
        return None
    return article.get("id") if isinstance(article, dict) and isinstance(article.get("id"), str) else None


def _short(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{error.error_count()} error(s), first at {where or 'top level'}: {first.get('msg')}"
