"""Each option of ``extractor run`` and ``extractor doctor`` does what its help says,
as the stub endpoint sees it (SIGINT/SIGTERM: test_reliability.py)."""

from __future__ import annotations

import importlib.util
import json
import statistics
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.rules import numbered_figures

from .support.openai_stub import StubEndpoint
from .support.processes import PLANTED_KEY, cli_env, ids_in, records_in, run_args, write_jsonl
from .support.recorded import answer_from_recordings, recorded_answers, seed_variations, shown_article

runner = CliRunner()


def invoke(args: list[str], env: dict[str, str]) -> Any:
    return runner.invoke(app, args, env=env, catch_exceptions=False)


def summary_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "in.jsonl", seed_variations(10))


def test_rpm_bounds_requests_per_minute(tmp_path: Path) -> None:
    """--rpm 300 over two articles at --concurrency 4: six requests that would go out
    together arrive 0.2 s apart (on the stub's clock: the median gap and the whole span,
    since a request that the stub, a thread of this busy process, reads late looks
    closer to the next one)."""
    records = seed_variations(3)[1:]  # seed articles with figures: three passes each
    assert all(numbered_figures(r["text"]) for r in records)
    inputs = write_jsonl(tmp_path / "in.jsonl", records)
    recorded_answers()  # read the cassette now, not while the stub's loop should be reading requests
    with StubEndpoint(answer_from_recordings) as stub:
        args = run_args(inputs, tmp_path / "out", stub.base_url, "--concurrency", "4", "--rpm", "300")
        result = invoke(args, cli_env(tmp_path))
    assert result.exit_code == 0, result.output
    arrivals = [r.at for r in stub.received]
    assert len(arrivals) == 6
    assert statistics.median(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) >= 0.2 * 0.95
    assert arrivals[-1] - arrivals[0] >= 5 * 0.2 * 0.9


def test_no_cache_neither_reads_nor_fills_the_cache(tmp_path: Path, inputs: Path) -> None:
    out = tmp_path / "out"
    database = tmp_path / "cache" / "results" / "cache.db"
    with StubEndpoint(answer_from_recordings) as stub:
        assert invoke(run_args(inputs, out, stub.base_url, "--no-cache"), cli_env(tmp_path)).exit_code == 0
        assert not database.exists(), "--no-cache wrote a cache"
        cold = stub.stats.requests
        assert invoke(run_args(inputs, out, stub.base_url, "--force"), cli_env(tmp_path)).exit_code == 0
        assert stub.stats.requests == 2 * cold and database.exists()  # cached now
        assert invoke(run_args(inputs, out, stub.base_url, "--force", "--no-cache"), cli_env(tmp_path)).exit_code == 0
        assert stub.stats.requests == 3 * cold, "--no-cache answered from the cache"
    assert not any(record["meta"]["cached"] for record in records_in(out / "facts.jsonl"))


def test_force_redoes_finished_articles_and_keeps_each_once(tmp_path: Path, inputs: Path) -> None:
    out = tmp_path / "out"
    with StubEndpoint(answer_from_recordings) as stub:
        assert invoke(run_args(inputs, out, stub.base_url), cli_env(tmp_path)).exit_code == 0
        first = ids_in(out / "facts.jsonl")
        assert invoke(run_args(inputs, out, stub.base_url), cli_env(tmp_path)).exit_code == 0
        assert summary_of(out)["articles"]["skipped_done"] == 10
        assert invoke(run_args(inputs, out, stub.base_url, "--force"), cli_env(tmp_path)).exit_code == 0
    articles = summary_of(out)["articles"]
    assert (articles["ok"], articles["skipped_done"], articles["cached"]) == (10, 0, 10)  # redone, from the cache
    assert sorted(ids_in(out / "facts.jsonl")) == sorted(first)


def test_limit_takes_the_first_articles_then_a_full_run_does_the_rest(tmp_path: Path, inputs: Path) -> None:
    out = tmp_path / "out"
    records = [json.loads(line) for line in inputs.read_text(encoding="utf-8").splitlines()]
    expected = [r["title"] for r in records]
    tags = [r["text"].rsplit("\n", 1)[-1] for r in records]  # each variation's own last line

    def asked_about() -> set[int]:
        return {n for r in stub.received for n, tag in enumerate(tags) if tag in shown_article(r.body)}

    with StubEndpoint(answer_from_recordings) as stub:
        assert invoke(run_args(inputs, out, stub.base_url, "--limit", "3"), cli_env(tmp_path)).exit_code == 0
        assert [r["article"]["title"] for r in records_in(out / "facts.jsonl")] == expected[:3]
        assert asked_about() == {0, 1, 2}
        assert invoke(run_args(inputs, out, stub.base_url), cli_env(tmp_path)).exit_code == 0
        assert asked_about() == set(range(10))
    summary = summary_of(out)["articles"]
    assert (summary["ok"], summary["skipped_done"]) == (7, 3)
    assert [r["article"]["title"] for r in records_in(out / "facts.jsonl")] == expected


def test_timeout_option_wins_over_the_environment_and_ends_a_silent_request(tmp_path: Path) -> None:
    """--timeout 1 with EXTRACTOR_TIMEOUT_S=60: a request the stub never answers ends
    as a timeout after 1 s (with 60 s it would end when the stub hangs up, at 20 s, as
    a disconnect instead)."""
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(1))
    env = cli_env(tmp_path, EXTRACTOR_TIMEOUT_S="60", EXTRACTOR_MAX_ATTEMPTS="1")
    with StubEndpoint(answer_from_recordings, script=["timeout"] * 3, hang_s=20) as stub:
        result = invoke(run_args(inputs, tmp_path / "out", stub.base_url, "--timeout", "1"), env)
    assert result.exit_code == 1
    (error,) = records_in(tmp_path / "out" / "errors.jsonl")
    assert error["stage"] == "transport" and "timed out" in error["message"].lower()


def probe_answer(request: dict[str, Any]) -> dict[str, Any]:
    """What a working endpoint answers doctor's one-field probe, in the mode it was asked
    (a forced function call for tools, JSON content otherwise)."""
    message: dict[str, Any] = {"role": "assistant", "content": '{"ok": true}'}
    if request.get("tools"):
        name = request["tools"][0]["function"]["name"]
        call = {"id": "call_0", "type": "function", "function": {"name": name, "arguments": '{"ok": true}'}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return {
        "id": "probe",
        "object": "chat.completion",
        "created": 0,
        "model": request["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 5, "total_tokens": 35},
    }


def test_doctor_checks_a_remote_endpoint_with_its_key(tmp_path: Path) -> None:
    """Health (GET /models) and one probe in the chosen mode, both with the key the batch
    would send; the key is never printed."""
    with StubEndpoint(probe_answer) as stub:
        env = {"EXTRACTOR_BASE_URL": stub.base_url, "EXTRACTOR_API_KEY": PLANTED_KEY, "EXTRACTOR_MODEL": "m"}
        result = invoke(["doctor"], {**env, "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 0, result.output
    assert "backend: remote" in result.output and "healthy=True" in result.output
    assert "api key: set" in result.output and PLANTED_KEY not in result.output
    assert "timeout_s=600" in result.output and "stall_timeout_s=30" in result.output
    assert "mode tools (chosen): works" in result.output
    health, chosen = stub.received
    assert (health.method, health.path) == ("GET", "/v1/models")
    assert (chosen.method, chosen.path) == ("POST", "/v1/chat/completions")
    assert chosen.body["model"] == "m" and chosen.body["tools"]
    for request in (health, chosen):
        assert request.headers.get("authorization") == f"Bearer {PLANTED_KEY}"


def test_doctor_tries_the_other_modes_when_the_chosen_one_fails(tmp_path: Path) -> None:
    with StubEndpoint(probe_answer, script=["500"]) as stub:
        env = {"EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")}
        result = invoke(["doctor", "--base-url", stub.base_url, "--model", "m", "--mode", "tools"], env)
    assert result.exit_code == 1, result.output
    assert "mode tools (chosen): fails" in result.output
    (suggested,) = [line for line in result.output.splitlines() if line.startswith("use  --mode ")]
    tried = [r for r in stub.received if r.method == "POST"]
    assert len(tried) == 4, "the chosen mode once (never retried by doctor), then each other mode"
    assert f"mode {suggested.split()[2]}: works" in result.output


def test_doctor_reports_an_endpoint_that_does_not_answer(tmp_path: Path) -> None:
    env = {"EXTRACTOR_BASE_URL": "http://127.0.0.1:9/v1", "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")}
    result = invoke(["doctor"], env)
    assert result.exit_code == 1
    assert "health check failed" in result.output and "healthy=False" in result.output
    assert "mode tools" not in result.output, "an unreachable endpoint gets no probes"


def test_doctor_rejects_a_bad_option(tmp_path: Path) -> None:
    result = invoke(["doctor", "--mode", "yaml"], {"EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 2
    assert "--mode" in result.output and "llama_json" in result.output


def test_doctor_rejects_a_bad_setting(tmp_path: Path) -> None:
    result = invoke(["doctor"], {"EXTRACTOR_MODE": "yaml", "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 2
    assert "EXTRACTOR_MODE" in result.output and "llama_json" in result.output


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is not None, reason="the local extra is installed here")
def test_doctor_without_any_backend_says_how_to_get_one(tmp_path: Path) -> None:
    env = {"EXTRACTOR_BASE_URL": "", "OPENAI_BASE_URL": "", "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")}
    result = invoke(["doctor", "--no-start"], env)
    assert result.exit_code == 1
    assert "no backend" in result.output and "EXTRACTOR_BASE_URL" in result.output
