"""The real LLM path, replayed from cassettes recorded from the embedded model."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from extractor.articles import load
from extractor.backends import StaticBackend
from extractor.config import Config
from extractor.llm import Endpoint, ModelCaller, ValidationFailed
from extractor.models import Article, ArticleFacts, json_schema
from extractor.numbers import find_figures, parse_figure
from extractor.pipeline import Extractor
from extractor.validation import context_of

from .conftest import FIXTURES, cassette_vcr

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


class FigureAlone(BaseModel):
    """A figure exactly as the article writes it, nothing around it."""

    raw: str = Field(description="the figure copied exactly as the article writes it")

    @field_validator("raw")
    @classmethod
    def _a_figure_of_the_article(cls, value: str, info: ValidationInfo) -> str:
        if value not in [c.raw for c in find_figures(context_of(info).get("text", ""))]:
            raise ValueError("raw must be the figure alone, such as 27亿, not a sentence")
        return value


async def test_validation_failure_is_reasked_then_recorded(model_endpoint: Endpoint, replay_config: Config) -> None:
    """An answer that fails validation goes back to the model with the error (a re-ask,
    never a transport retry); when the re-asks are used up the call fails as a
    validation error carrying the usage of every attempt. (The 1.5B model repeats its
    answer when re-asked at temperature 0, which is why grounding repairs quotes in code.)"""
    text = SEED[1].text
    messages = [
        {"role": "system", "content": "文章:\n" + text},
        {"role": "user", "content": "度小满2024年净利润是多少?"},
    ]
    caller = ModelCaller(replay_config.with_(max_reasks=1), model_endpoint)
    try:
        with cassette_vcr().use_cassette("reask.yaml") as cassette, pytest.raises(ValidationFailed) as failure:
            await caller.call(FigureAlone, messages, context={"text": text})
    finally:
        await caller.aclose()
    assert failure.value.stage == "validation"
    assert failure.value.usage.requests == 2 and failure.value.usage.prompt_tokens > 0
    first, second = (json.loads(request.body) for request in cassette.requests)
    assert len(first["messages"]) == 2
    reask = json.dumps(second["messages"], ensure_ascii=False)
    assert "raw must be the figure alone" in reask  # the validation error went back to the model
    assert second["messages"][2]["role"] == "assistant"  # with its own first answer


def test_schema_goes_to_the_grammar_not_the_prompt() -> None:
    """llama_json: the draft schema travels as llama.cpp's response-format grammar (lists
    bounded), while the prompt is only our system text, the article and the task."""
    recorded = yaml.safe_load((Path(__file__).parent / "cassettes" / "seed-digest.yaml").read_text(encoding="utf-8"))
    bodies = [json.loads(i["request"]["body"]) for i in recorded["interactions"]]
    assert bodies
    for body in bodies:
        response_format = body["response_format"]
        assert response_format["type"] == "json_object"
        assert all(node["maxItems"] >= 1 for node in response_format["schema"]["properties"].values())
        prompt = "".join(m["content"] for m in body["messages"])
        assert "json_schema" not in prompt and '"$defs"' not in prompt


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
