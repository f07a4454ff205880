"""The seed digest's facts, replayed from the cassette, against a reviewed snapshot.

Shapes are checked elsewhere; this pins the facts themselves: a normaliser or rule
change that drops, adds or changes a fact shows up as a readable diff of
``snapshots/seed-digest.facts.txt``, one line per fact. When a change is meant (new
rules, re-recorded cassettes), rewrite the snapshot deliberately and review the diff:

    EXTRACTOR_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_seed_snapshot.py
    git diff tests/snapshots/
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from extractor.articles import load
from extractor.backends import StaticBackend
from extractor.config import Config
from extractor.endpoint import Endpoint
from extractor.models import Article, ArticleFacts
from extractor.pipeline import Extractor

from .conftest import FIXTURES, cassette_vcr

SNAPSHOT = Path(__file__).parent / "snapshots" / "seed-digest.facts.txt"
UPDATE = os.environ.get("EXTRACTOR_UPDATE_SNAPSHOTS") == "1"
SEED = [a for a in load([FIXTURES / "weilidai-digest.txt"]) if isinstance(a, Article)]
HEADER = """\
# The seed digest's facts as the pipeline makes them from tests/cassettes/seed-digest.yaml,
# pinned by tests/test_seed_snapshot.py. Wrong facts are pinned too, as they are today:
# this file catches changes; how good the facts are is `extractor eval`'s job.
# Rewrite deliberately (EXTRACTOR_UPDATE_SNAPSHOTS=1) and review the diff.
"""


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, str):
        return value if value and not any(c.isspace() for c in value) else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def render(number: int, facts: ArticleFacts) -> list[str]:
    """One line per fact: its fields (empty ones left out), then its evidence as
    ``@start "quote"``; then the article's warnings."""
    lines = [f"## {number:02d} {facts.article.title} ({facts.article.id})"]
    kinds = (
        ("institution", facts.institutions),
        ("metric", facts.metrics),
        ("action", facts.regulatory_actions),
        ("product", facts.products),
    )
    for kind, items in kinds:
        for item in items:
            fields = item.model_dump(mode="json", exclude={"evidence"})
            shown = " ".join(f"{k}={_value(v)}" for k, v in fields.items() if v not in (None, [], ""))
            quotes = " ".join(f"@{e.start} {json.dumps(e.text, ensure_ascii=False)}" for e in item.evidence)
            lines.append(f"{kind:<11} {shown}  {quotes}")
    lines += [f"warning     {warning}" for warning in facts.warnings]
    return lines


async def test_seed_digest_facts_match_the_reviewed_snapshot(model_endpoint: Endpoint, replay_config: Config) -> None:
    extractor = Extractor(replay_config, backend=StaticBackend(model_endpoint))
    lines: list[str] = []
    try:
        with cassette_vcr().use_cassette("seed-digest.yaml"):
            for number, article in enumerate(SEED, start=1):
                lines += render(number, await extractor.extract(article))
    finally:
        await extractor.aclose()
    got = HEADER + "\n".join(lines) + "\n"
    if UPDATE:
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(got, encoding="utf-8")
        pytest.skip(f"rewrote {SNAPSHOT.name}: review `git diff tests/snapshots/` before committing it")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if got != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True), got.splitlines(keepends=True), "snapshot", "now", n=1
            )
        )
        pytest.fail(
            "the seed digest's facts changed (if that is meant: EXTRACTOR_UPDATE_SNAPSHOTS=1, then review):\n" + diff,
            pytrace=False,
        )
