"""The schema file matches the models (the public surface is pinned in test_exported_members.py)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from extractor.models import ArticleFacts, Evidence, json_schema

ROOT = Path(__file__).parent.parent
SCHEMA_FILE = ROOT / "schemas" / "article-facts.v1.schema.json"


def test_schema_file_is_current() -> None:
    expected = json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == expected, "stale schema: run `extractor schema`"


def test_gold_files_have_the_contract_shape() -> None:
    """The contract's enums and fields accept the hand-made gold (which has no offsets or meta)."""
    gold_dir = ROOT.parent / "shared" / "gold" / "dev"
    if not gold_dir.is_dir():
        pytest.skip("shared gold not present")
    schema = json_schema()
    for path in sorted(gold_dir.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        for kind in ("institutions", "metrics", "regulatory_actions", "products"):
            definition = schema["$defs"][
                {
                    "institutions": "Institution",
                    "metrics": "FinancialMetric",
                    "regulatory_actions": "RegulatoryAction",
                    "products": "Product",
                }[kind]
            ]
            for fact in gold[kind]:
                fact = {k: v for k, v in fact.items() if k != "note"}
                fact["evidence"] = [{"text": e["text"], "start": 0, "end": len(e["text"])} for e in fact["evidence"]]
                jsonschema.validate(fact, {**definition, "$defs": schema["$defs"]})


def test_evidence_offsets_must_match_length() -> None:
    with pytest.raises(ValueError):
        Evidence(text="abc", start=0, end=2)


def test_article_facts_validate_against_schema() -> None:
    facts = ArticleFacts.model_validate(
        {
            "article": {"id": "x", "text": "微众银行", "language": "zh"},
            "institutions": [
                {"name": "微众银行", "type": "internet_bank", "evidence": [{"text": "微众银行", "start": 0, "end": 4}]}
            ],
            "meta": {"model": "m", "provider": "p", "prompt_version": "v1", "prompt_hash": "h", "extracted_at": "t"},
        }
    )
    jsonschema.validate(facts.model_dump(mode="json"), json_schema())


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("截至2025年6月末,微众银行不良贷款率由2024年末的1.44%升至1.57%。", "zh"),
        ("微众银行(WeBank)2024年净利润为US$1.2 billion，同比增长，GAAP口径下营收398亿元", "zh"),
        ("WeBank (微众银行) reported a net profit of RMB 10.9 billion for 2024, up 8% from a year earlier.", "en"),
        ("The FCA fined Guaranty Trust Bank £7.67m.", "en"),
        ("2024-12-31 1.57%", "zh"),  # neither script: the Chinese default
    ],
)
def test_the_language_is_what_the_text_is_mostly_written_in(text: str, language: str) -> None:
    """A Chinese character against an English word: mixed text that is mostly Chinese is
    zh; a language the caller gives is kept."""
    from extractor.models import Article, as_article

    assert as_article(text).language == language
    assert as_article(Article(text=text, language="en")).language == "en"
