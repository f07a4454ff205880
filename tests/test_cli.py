"""End to end through the ``extractor`` command, the model's answers from cassettes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.llm import Endpoint

from .conftest import FIXTURES, cassette_vcr

runner = CliRunner()
DIGEST = FIXTURES / "weilidai-digest.txt"


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _run(args: list[str], env: dict[str, str]) -> object:
    return runner.invoke(app, args, env=env, catch_exceptions=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"EXTRACTOR_CACHE_DIR": str(tmp_path / "cache"), "EXTRACTOR_BASE_URL": "", "OPENAI_BASE_URL": ""}


def test_seed_digest_run_then_resume(tmp_path: Path, model_endpoint: Endpoint, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    args = [
        "run",
        str(DIGEST),
        "-o",
        str(out),
        "--base-url",
        model_endpoint.base_url,
        "--model",
        model_endpoint.model,
        "--mode",
        "llama_json",
        "--concurrency",
        "2",
    ]
    with cassette_vcr().use_cassette("seed-digest.yaml") as cassette:
        first = _run(args, env)
        assert first.exit_code == 0, first.output
        plays = cassette.play_count
        again = _run(args, env)
        assert again.exit_code == 0, again.output
        assert cassette.play_count == plays, "a finished batch must not call the model again"
    records = _lines(out / "facts.jsonl")
    assert len(records) == 10
    assert len({r["article"]["id"] for r in records}) == 10
    assert sorted(p.stem for p in (out / "articles").glob("*.json")) == sorted(r["article"]["id"] for r in records)
    assert _lines(out / "errors.jsonl") == []
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["articles"] == {"ok": 0, "failed": 0, "cached": 0, "skipped_done": 10, "duplicates": 0}
    assert "results:" in first.output and "facts.jsonl" in first.output

    shown = _run(["show", str(next((out / "articles").glob("*.json")))], env)
    assert shown.exit_code == 0 and "institutions" in shown.output


def test_dry_run_lists_articles_and_calls_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    result = _run(["run", str(DIGEST), "--dry-run", "-o", str(tmp_path / "o")], env)
    assert result.exit_code == 0
    assert "10 articles (0 unreadable)" in result.output
    assert not (tmp_path / "o").exists()


def test_unreadable_inputs_are_recorded_and_exit_1(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)))
    out = tmp_path / "out"
    result = _run(["run", str(folder), "-o", str(out), "--base-url", "http://127.0.0.1:9/v1"], env)
    assert result.exit_code == 1
    errors = _lines(out / "errors.jsonl")
    assert sorted(e["stage"] for e in errors) == ["read", "read"]
    assert all(e["message"] and e["source"] for e in errors)
    assert _lines(out / "facts.jsonl") == []


@pytest.mark.parametrize(
    "args",
    [["run"], ["run", "x", "--mode", "yaml"], ["run", "x", "--concurrency", "0"], ["nope"]],
)
def test_usage_errors_exit_2(args: list[str], env: dict[str, str]) -> None:
    assert runner.invoke(app, args, env=env).exit_code == 2


def test_schema_check(env: dict[str, str]) -> None:
    result = _run(
        ["schema", "--check", "--path", str(Path(__file__).parent.parent / "schemas" / "article-facts.v1.schema.json")],
        env,
    )
    assert result.exit_code == 0


def test_eval_scores_gold_against_itself(tmp_path: Path, env: dict[str, str]) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    record = {
        "article": {"title": "微众银行的大考"},
        "institutions": [
            {"name": "微众银行", "type": "internet_bank"},
            {"name": "腾讯", "type": "tech_company", "note": "OPTIONAL"},
        ],
        "metrics": [
            {"subject": "微众银行", "metric": "npl_ratio", "value": 1.57, "unit": "%", "period_end": "2025-06-30"}
        ],
        "regulatory_actions": [],
        "products": [{"name": "微粒贷", "type": "consumer_loan"}],
    }
    (gold / "a.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    prediction = {**record, "institutions": [{"name": "微众银行", "type": "bank"}], "products": []}
    (tmp_path / "pred.jsonl").write_text(json.dumps(prediction, ensure_ascii=False) + "\n", encoding="utf-8")
    result = _run(["eval", str(gold), str(tmp_path / "pred.jsonl"), "--json"], env)
    assert result.exit_code == 0
    scores = json.loads(result.output)
    assert scores["lenient"]["institutions"]["f1"] == 1.0  # 腾讯 is optional: no miss
    assert scores["strict"]["institutions"]["f1"] == 0.0  # type differs
    assert scores["lenient"]["products"]["recall"] == 0.0
    assert scores["lenient"]["metrics"]["f1"] == 1.0
