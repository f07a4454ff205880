"""English articles end to end: two passages written for this test (a results paragraph
and a regulatory fine), the embedded model's answers recorded in ``english.yaml``."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor import StaticBackend
from extractor.articles import load
from extractor.config import Config
from extractor.endpoint import Endpoint
from extractor.models import Article, ArticleFacts, MetricKind
from extractor.pipeline import Extractor

from .conftest import FIXTURES, cassette_vcr
from .test_llm_cassettes import check_contract

PASSAGES = {a.title: a for a in load([FIXTURES / "english"]) if isinstance(a, Article)}


async def _facts(title: str, endpoint: Endpoint, tmp_path: Path) -> ArticleFacts:
    config = Config(mode="llama_json", cache_dir=tmp_path / "cache", max_attempts=1)
    extractor = Extractor(config, backend=StaticBackend(endpoint))
    try:
        with cassette_vcr().use_cassette("english.yaml"):
            return await extractor.extract(PASSAGES[title])
    finally:
        await extractor.aclose()


@pytest.fixture
def results_title() -> str:
    return next(t for t in PASSAGES if t and "profit" in t)


@pytest.fixture
def fine_title() -> str:
    return next(t for t in PASSAGES if t and "fines" in t)


async def test_a_results_paragraph(results_title: str, model_endpoint: Endpoint, tmp_path: Path) -> None:
    facts = await _facts(results_title, model_endpoint, tmp_path)
    check_contract(facts)
    assert facts.article.language == "en"
    assert "Harbor Digital Bank" in {i.name for i in facts.institutions}
    by_raw = {m.raw: m for m in facts.metrics}
    income = by_raw["RMB 10.9 billion"]
    assert (income.subject, income.metric, income.value, income.unit) == (
        "Harbor Digital Bank",
        MetricKind.net_profit,
        10_900_000_000,
        "CNY",
    )
    assert (income.period_start, income.period_end) == ("2024-01-01", "2024-12-31")
    npl = by_raw["1.44%"]
    assert (npl.metric, npl.value, npl.unit, npl.period_end) == (MetricKind.npl_ratio, 1.44, "%", "2024-12-31")
    assert by_raw["1.52%"].period_end == "2023-12-31"
    assert by_raw["RMB 656 billion"].metric is MetricKind.total_assets


async def test_a_regulatory_fine(fine_title: str, model_endpoint: Endpoint, tmp_path: Path) -> None:
    facts = await _facts(fine_title, model_endpoint, tmp_path)
    check_contract(facts)
    assert facts.article.language == "en"
    fines = [a for a in facts.regulatory_actions if a.action.value == "fine"]
    assert fines, facts.warnings  # dropped actions say why
    fine = fines[0]
    assert fine.regulator == "National Financial Regulatory Administration"
    assert fine.target == "Eastcoast Consumer Finance"
    assert (fine.amount, fine.currency, fine.date) == (4_200_000, "CNY", "2025-03-03")
    types = {i.name: i.type.value for i in facts.institutions}
    assert types.get("National Financial Regulatory Administration") == "regulator"
    assert types.get("Eastcoast Consumer Finance") == "consumer_finance_company"
