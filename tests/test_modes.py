"""Every instructor mode against a server nobody here wrote: llama-cpp-python's stock
``llama_cpp.server`` with the pinned GGUF, recorded once (``make record``) and replayed.

The extractor reaches it as any remote endpoint (``Config(base_url=...)``), so these are
the requests a hosted endpoint gets: a forced function call in ``tools`` (the server
turns the tool's parameters into a grammar), the schema in the prompt in ``json``, and
``json_schema``, which this server refuses with a 500: a clear error with a hint, sent
once, never retried.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.config import Config
from extractor.llm import Endpoint, ModeNotSupported
from extractor.models import ArticleFacts
from extractor.pipeline import Extractor

from .conftest import FIXTURES, RECORDING, cassette_vcr
from .test_llm_cassettes import SEED, check_contract

# Seed articles 3, 4 and 6: the ones with dev gold, short enough to record in minutes.
MODE_ARTICLES = (2, 3, 5)


def remote_config(endpoint: Endpoint, mode: str, tmp_path: Path) -> Config:
    """What a user with a remote endpoint writes: base URL, model, mode."""
    return Config(
        base_url=endpoint.base_url,
        model=endpoint.model,
        mode=mode,  # type: ignore[arg-type]
        cache_dir=tmp_path / "cache",
        max_attempts=4 if RECORDING else 1,
        timeout_s=1800 if RECORDING else 30,  # three passes queue on a one-slot CPU server
    )


async def _extract(config: Config, index: int, cassette: str) -> tuple[ArticleFacts, int]:
    extractor = Extractor(config)
    try:
        with cassette_vcr().use_cassette(cassette) as recorded:
            facts = await extractor.extract(SEED[index])
            return facts, recorded.play_count
    finally:
        await extractor.aclose()


@pytest.mark.parametrize("mode", ["tools", "json"])
@pytest.mark.parametrize("index", MODE_ARTICLES, ids=[f"seed-{i + 1:02d}" for i in MODE_ARTICLES])
async def test_mode_extracts_grounded_facts(mode: str, index: int, stock_endpoint: Endpoint, tmp_path: Path) -> None:
    facts, _ = await _extract(remote_config(stock_endpoint, mode, tmp_path), index, f"mode-{mode}.yaml")
    check_contract(facts)  # same validation, grounding and normalisation as the default mode
    assert facts.meta.mode == mode and facts.meta.provider == "openai-compatible"
    assert facts.institutions or facts.products
    assert facts.meta.usage.requests >= 3 and facts.meta.usage.prompt_tokens > 0
    assert facts.meta.usage.completion_tokens > 0


def _bodies(cassette: str) -> list[dict[str, object]]:
    import yaml

    data = yaml.safe_load((Path(__file__).parent / "cassettes" / cassette).read_text(encoding="utf-8"))
    return [json.loads(i["request"]["body"]) for i in data["interactions"]]


def test_tools_mode_forces_one_function_per_pass() -> None:
    bodies = _bodies("mode-tools.yaml")
    assert bodies
    for body in bodies:
        tools = body["tools"]
        forced = {"type": "function", "function": {"name": tools[0]["function"]["name"]}}
        assert len(tools) == 1 and body["tool_choice"] == forced
        assert tools[0]["function"]["name"] in ("EntitiesDraft", "MetricLabels", "ActionsDraft")
        assert "response_format" not in body


def test_json_mode_puts_the_schema_in_the_prompt() -> None:
    bodies = _bodies("mode-json.yaml")
    assert bodies
    for body in bodies:
        assert body["response_format"] == {"type": "json_object"}
        system = body["messages"][0]["content"]  # type: ignore[index]
        assert '"properties"' in system and "tools" not in body


def _sent(recorded: Any, before: int) -> int:
    """Requests sent inside a cassette: those replayed, and (recording) those it added."""
    return int(recorded.play_count) + len(recorded.data) - before


async def test_refused_mode_is_one_request_and_a_hint(stock_endpoint: Endpoint, tmp_path: Path) -> None:
    """llama-cpp-python answers ``json_schema`` with a 500: that is the mode refused, not a
    transient failure, so it is sent once, and the error names the modes to use."""
    config = remote_config(stock_endpoint, "json_schema", tmp_path).with_(max_attempts=4)
    extractor = Extractor(config)
    try:
        with cassette_vcr().use_cassette("mode-json_schema.yaml") as recorded:
            before = len(recorded.data)
            with pytest.raises(ModeNotSupported) as refused:
                await extractor.extract(SEED[3])
            sent = _sent(recorded, before)
            with pytest.raises(ModeNotSupported):  # the next article: nothing sent at all
                await extractor.extract(SEED[2])
            assert _sent(recorded, before) == sent
    finally:
        await extractor.aclose()
    assert sent == 1
    assert refused.value.stage == "request" and refused.value.mode == "json_schema"
    assert "--mode" in str(refused.value) and refused.value.suggestions[0] in ("tools", "json", "llama_json")


def test_refused_mode_in_a_batch_is_one_error_per_article(stock_endpoint: Endpoint, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {"EXTRACTOR_CACHE_DIR": str(tmp_path / "cache"), "EXTRACTOR_MODE": "", "EXTRACTOR_BASE_URL": ""}
    args = ["run", str(FIXTURES / "weilidai-digest.txt"), "-o", str(out), "--limit", "3"]
    args += ["--base-url", stock_endpoint.base_url, "--model", stock_endpoint.model, "--mode", "json_schema"]
    with cassette_vcr().use_cassette("mode-json_schema.yaml") as recorded:
        before = len(recorded.data)
        result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
        sent = _sent(recorded, before)
    assert result.exit_code == 1, result.output
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(errors) == 3 and {e["stage"] for e in errors} == {"request"}
    assert all("--mode" in e["message"] for e in errors)
    assert sent == 1


@pytest.mark.parametrize(
    ("mode", "works"), [("tools", True), ("json", True), ("llama_json", True), ("json_schema", False)]
)
def test_doctor_probes_the_endpoint(mode: str, works: bool, stock_endpoint: Endpoint, tmp_path: Path) -> None:
    env = {"EXTRACTOR_CACHE_DIR": str(tmp_path / "cache"), "EXTRACTOR_MODE": "", "EXTRACTOR_API_KEY": ""}
    args = ["doctor", "--base-url", stock_endpoint.base_url, "--model", stock_endpoint.model, "--mode", mode]
    with cassette_vcr().use_cassette("doctor.yaml"):
        result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == (0 if works else 1), result.output
    assert f"mode {mode} (chosen): {'works' if works else 'fails'}" in result.output
    if not works:
        assert "use  --mode" in result.output  # another mode was tried and worked
