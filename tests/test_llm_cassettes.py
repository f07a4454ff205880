"""The real LLM path, replayed from cassettes recorded from the embedded model."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from extractor.articles import load
from extractor.config import Config
from extractor.llm import Endpoint, ModelCaller
from extractor.models import Article, ArticleFacts, json_schema
from extractor.numbers import parse_figure
from extractor.pipeline import Extractor

from .conftest import FIXTURES, StaticBackend, cassette_vcr

SEED = [a for a in load([FIXTURES / "weilidai-digest.txt"]) if isinstance(a, Article)]


def check_contract(facts: ArticleFacts) -> None:
    """What every result promises: schema-valid, grounded, numbers from code."""
    jsonschema.validate(facts.model_dump(mode="json"), json_schema())
    text = facts.article.text
    for kind in (facts.institutions, facts.metrics, facts.regulatory_actions, facts.products):
        for fact in kind:
            assert fact.evidence
            for evidence in fact.evidence:
                assert text[evidence.start : evidence.end] == evidence.text
    for metric in facts.metrics:
        figure = parse_figure(metric.raw)
        assert (metric.value, metric.value_max) == (figure.value, figure.value_max)
        assert metric.raw in text


@pytest.mark.parametrize("index", range(len(SEED)), ids=[f"seed-{i + 1:02d}" for i in range(len(SEED))])
async def test_seed_article_end_to_end(index: int, model_endpoint: Endpoint, seed_config: Config) -> None:
    extractor = Extractor(seed_config, backend=StaticBackend(model_endpoint))
    try:
        with cassette_vcr().use_cassette("seed-digest.yaml"):
            facts = await extractor.extract(SEED[index])
    finally:
        await extractor.aclose()
    check_contract(facts)
    assert facts.article.title == SEED[index].title
    assert facts.meta.model == model_endpoint.model
    if not facts.meta.cached:
        assert facts.meta.usage.requests >= 2 and facts.meta.usage.prompt_tokens > 0
    assert facts.institutions or facts.products, "every seed article names at least one institution or product"


async def test_cache_hit_makes_no_request(model_endpoint: Endpoint, replay_config: Config) -> None:
    extractor = Extractor(replay_config, backend=StaticBackend(model_endpoint))
    try:
        with cassette_vcr().use_cassette("seed-digest.yaml") as cassette:
            first = await extractor.extract(SEED[3])
            plays, recorded = cassette.play_count, len(cassette.data)
            second = await extractor.extract(SEED[3])
            assert (cassette.play_count, len(cassette.data)) == (plays, recorded)
    finally:
        await extractor.aclose()
    assert not first.meta.cached and second.meta.cached
    assert second.meta.usage.requests == 0
    assert second.model_dump(exclude={"meta"}) == first.model_dump(exclude={"meta"})


class QuotedProfit(BaseModel):
    """Asks for a figure as written; a rewritten number fails and is re-asked."""

    raw: str = Field(description="the figure copied exactly as the article writes it")

    @field_validator("raw")
    @classmethod
    def _written_in_article(cls, value: str, info: ValidationInfo) -> str:
        text = (info.context or {}).get("text", "")
        if value not in text:
            raise ValueError(
                f"{value!r} is not written in the article: copy the figure exactly as written there, e.g. 62.64亿"
            )
        parse_figure(value)
        return value


async def test_validation_failure_is_reasked(model_endpoint: Endpoint, replay_config: Config) -> None:
    text = SEED[1].text
    messages = [
        {"role": "system", "content": "文章:\n" + text},
        {"role": "user", "content": "度小满2024年净利润是多少元? 请换算成以元为单位的阿拉伯数字, 写在 raw 里。"},
    ]
    caller = ModelCaller(replay_config.with_(max_reasks=2), model_endpoint)
    try:
        with cassette_vcr().use_cassette("reask.yaml"):
            result = await caller.call(QuotedProfit, messages, context={"text": text})
    finally:
        await caller.aclose()
    assert isinstance(result.value, QuotedProfit)
    assert result.value.raw in text
    assert result.usage.requests >= 2, "the first answer should have failed validation and been re-asked"
    assert result.usage.prompt_tokens > 0


def test_cassettes_hold_no_secrets() -> None:
    for path in (Path(__file__).parent / "cassettes").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "authorization" not in text.lower()
        assert "sk-" not in text
        assert json.dumps("Bearer")[1:-1] not in text


def test_public_extract_sync_api(model_endpoint: Endpoint, tmp_path: Path) -> None:
    """``extractor.extract`` (sync, any endpoint by base URL) gives the same facts."""
    import extractor

    config = extractor.Config(
        base_url=model_endpoint.base_url,
        model=model_endpoint.model,
        mode="llama_json",
        cache_dir=tmp_path / "cache",
        max_attempts=1,
    )
    with cassette_vcr().use_cassette("seed-digest.yaml"):
        facts = extractor.extract(SEED[5], config=config)
    check_contract(facts)
    assert facts.meta.provider == "openai-compatible"
    assert facts.article.title == SEED[5].title
