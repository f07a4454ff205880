"""The Ray engine on a local Ray instance (2 CPUs) against the fault-injecting stub endpoint.

The stub runs in a thread of this process on 127.0.0.1; Ray's actors are separate
processes that reach it over loopback, as they would reach a hosted endpoint.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extractor import OutputBusy
from extractor.articles import Article, load
from extractor.backends.weights import MODEL_NAME
from extractor.cli import app
from extractor.config import Config
from extractor.models import ArticleFacts
from extractor.output import FolderLock

from .conftest import FIXTURES
from .support.openai_stub import StubEndpoint
from .support.recorded import answer_from_recordings, answer_with_fallback, seed_variations

if os.environ.get("CI") == "true":
    import ray  # CI installs the ray extra: its absence is a failure there, not a skip
else:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install '.[ray]')")

from extractor.engines import BatchJob  # noqa: E402
from extractor.engines._ray_dataset import PoolPlan, plan_pool  # noqa: E402  (needs ray)
from extractor.engines.ray import RayEngine  # noqa: E402

SEED = [a for a in load([FIXTURES / "weilidai-digest.txt"]) if isinstance(a, Article)]

PLANTED_KEY = "sk-planted-0123456789abcdefSECRET"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray instance for the module, as the engine would start it (2 CPUs here)."""
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        yield
    finally:
        ray.shutdown()


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]  # a torn line raises


def fact_ids(out: Path) -> list[str]:
    return [record["article"]["id"] for record in lines(out / "facts.jsonl")]


def error_ids(out: Path) -> list[str]:
    return [record["id"] for record in lines(out / "errors.jsonl")]


CUT_NOTE = "answer cut at max_tokens"


def facts_by_id(out: Path) -> dict[str, dict[str, Any]]:
    """Each article's facts without ``meta`` (timings, cache flags and token counts differ
    from run to run; what was extracted must not) and without the note that an answer
    came with ``finish_reason: "length"``: the stub's ``length`` fault marks a whole
    answer as cut, which the pipeline keeps (every item is complete) with that note."""
    facts = {}
    for record in lines(out / "facts.jsonl"):
        kept = {k: v for k, v in record.items() if k != "meta"}
        kept["warnings"] = [w for w in record["warnings"] if CUT_NOTE not in w]
        facts[record["article"]["id"]] = kept
    return facts


def cut_notes(out: Path) -> int:
    return sum(any(CUT_NOTE in w for w in record["warnings"]) for record in lines(out / "facts.jsonl"))


def cli_env(tmp_path: Path, cache: str = "cache") -> dict[str, str]:
    return {
        "EXTRACTOR_CACHE_DIR": str(tmp_path / cache),
        "EXTRACTOR_API_KEY": PLANTED_KEY,
        "EXTRACTOR_TIMEOUT_S": "1",
        "EXTRACTOR_MAX_ATTEMPTS": "4",
    }


def run_args(inputs: Path, out: Path, url: str, *more: str) -> list[str]:
    return ["run", str(inputs), "-o", str(out), "--base-url", url, "--model", MODEL_NAME, "--mode", "llama_json", *more]


@pytest.mark.parametrize(
    ("actors", "concurrency", "cpus", "nodes", "node_servers"),
    [
        (None, 16, 2, 1, False),
        (None, 64, 2, 1, False),
        (3, 64, 2, 1, False),
        (8, 4, 2, 1, False),
        (None, 1, 2, 1, False),
        (None, None, 4, 2, False),
        (None, 3, 2, 2, True),
        (None, None, 2, 3, True),
    ],
)
def test_the_pool_never_holds_more_requests_than_the_concurrency(
    actors: int | None, concurrency: int | None, cpus: float, nodes: int, node_servers: bool
) -> None:
    plan = plan_pool(actors=actors, concurrency=concurrency, cluster_cpus=cpus, nodes=nodes, node_servers=node_servers)
    assert isinstance(plan, PoolPlan) and plan.actors >= 1 and plan.requests_per_actor >= 1
    if concurrency is not None:
        assert plan.concurrency <= concurrency
        assert plan.concurrency > concurrency - plan.actors  # the bound is used, not wasted
    if node_servers and actors is None:
        assert plan.actors == min(nodes, concurrency or nodes)  # one actor per node's server
    assert plan.batch_rows * 8 >= 2 * plan.requests_per_actor  # articles at hand: twice the requests


ARTICLES = 200  # three requests each, 30% of them faulty


def test_ray_engine_under_faults_accounts_for_every_article_then_matches_the_local_engine(
    local_ray: None, tmp_path: Path
) -> None:
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(ARTICLES))
    expected = {a.id for a in load([inputs]) if isinstance(a, Article)}
    assert len(expected) == ARTICLES
    out, runner = tmp_path / "ray", CliRunner()
    ray_args = ("--engine", "ray", "--concurrency", "16")
    with StubEndpoint(answer_from_recordings, fault_rate=0.3, seed=7, hang_s=3) as stub:
        first = runner.invoke(app, run_args(inputs, out, stub.base_url, *ray_args), env=cli_env(tmp_path))
        assert sum(stub.stats.faults.values()) > 50
        # a request its client gave up on (timed out, stalled) lingers at the stub until
        # hang_s; the bound itself is pinned without faults below
        assert stub.stats.max_open_connections <= 16 * 2
        done, failed = fact_ids(out), error_ids(out)
        assert len(done) == len(set(done)) and len(failed) == len(set(failed))
        assert not set(done) & set(failed)
        assert set(done) | set(failed) == expected
        assert first.exit_code == (1 if failed else 0), first.output
        assert sorted(p.stem for p in (out / "articles").glob("*.json")) == sorted(done)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["articles"]["ok"] == len(done) and summary["articles"]["failed"] == len(failed)
        assert summary["engine"]["name"] == "ray" and summary["engine"]["workers"] == 2
        assert sum(summary["engine"]["nodes"].values()) == ARTICLES
        stages = {record["stage"] for record in lines(out / "errors.jsonl")}
        assert stages <= {"transport", "validation", "model_output"}
        assert cut_notes(out) <= stub.stats.faults["length"]

        stub.set_fault_rate(0.0)
        before = stub.stats.requests
        second = runner.invoke(app, run_args(inputs, out, stub.base_url, *ray_args), env=cli_env(tmp_path))
        assert second.exit_code == 0, second.output
        # only the failed articles' missing passes are asked again: the actors share the cache
        assert stub.stats.requests - before <= 3 * len(failed)
    done = fact_ids(out)
    assert len(done) == len(set(done)) == ARTICLES and set(done) == expected
    assert error_ids(out) == []
    rerun = json.loads((out / "summary.json").read_text(encoding="utf-8"))["articles"]
    assert rerun["skipped_done"] == ARTICLES - len(failed) and rerun["ok"] == len(failed)

    local_out = tmp_path / "local"
    with StubEndpoint(answer_from_recordings) as stub:
        local = runner.invoke(
            app, run_args(inputs, local_out, stub.base_url, "--concurrency", "16"), env=cli_env(tmp_path, "cache-local")
        )
    assert local.exit_code == 0, local.output
    assert cut_notes(local_out) == 0
    assert facts_by_id(out) == facts_by_id(local_out)  # every fact of every article, as the local engine found it
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PLANTED_KEY.encode() not in path.read_bytes(), f"key leaked into {path}"


def test_the_pool_holds_at_most_concurrency_requests_over_all_its_actors(local_ray: None, tmp_path: Path) -> None:
    """--concurrency 16 over 2 actors; the stub holds each answer until 16 requests are in
    flight (or 1 s), then answers each after 0.2 s, so the pool stays full. Until the
    endpoint has answered an actor once, that actor sends one request at a time (the
    first-answer gate); then the pool fills to 16 in all, never more."""
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(48))
    with StubEndpoint(answer_from_recordings, delay_s=0.2, hold_until_in_flight=16, hold_timeout_s=1.0) as stub:
        config = Config(base_url=stub.base_url, model=MODEL_NAME, mode="llama_json", cache=False, max_attempts=1)
        result = RayEngine().run(BatchJob((inputs,), tmp_path / "out", config, concurrency=16))
    assert result.ok == 48 and result.failed == 0
    assert stub.stats.max_in_flight == 16, stub.stats


def test_extract_dataset_maps_rows_to_facts_or_error_rows_ready_for_parquet(local_ray: None, tmp_path: Path) -> None:
    import datetime

    import pyarrow.parquet as pq

    from extractor.ray import extract_dataset

    seeds = seed_variations(6)[1:]  # seed articles with figures (the first has none left after its noise)
    rows: list[dict[str, Any]] = [
        {"text": seeds[0]["text"]},
        {"text": seeds[1]["text"], "title": seeds[1]["title"], "id": "given-id"},
        {"text": seeds[2]["text"], "source": "某报", "published_at": datetime.datetime(2025, 8, 1, 9, 30)},
        {"text": "   ", "title": "空的"},
        {"text": seeds[3]["text"], "title": None, "source": None},
    ]
    ds = ray.data.from_items(rows)
    with StubEndpoint(answer_from_recordings) as stub:
        config = Config(base_url=stub.base_url, model=MODEL_NAME, mode="llama_json", cache=False, max_attempts=1)
        facts = extract_dataset(ds, config=config, actors=1, concurrency=4)
        facts.write_parquet(str(tmp_path / "parquet"))
    table = pq.read_table(tmp_path / "parquet")
    assert table.num_rows == len(rows)
    assert set(table.column_names) == {"id", "facts", "error", "node_id", "worker_id"}
    by_id = {row["id"]: row for row in table.to_pylist()}
    assert "given-id" in by_id
    ok = [ArticleFacts.model_validate_json(row["facts"]) for row in by_id.values() if row["facts"] is not None]
    assert len(ok) == 4 and all(f.metrics for f in ok)
    assert {f.article.published_at for f in ok} >= {"2025-08-01T09:30"}
    [bad] = [row for row in by_id.values() if row["facts"] is None]
    record = json.loads(bad["error"])
    assert record["stage"] == "read" and record["title"] == "空的" and "no text" in record["message"]


def test_engine_options_are_checked_before_anything_runs(tmp_path: Path) -> None:
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(1))
    runner = CliRunner()
    for more in (("--engine", "spark"), ("--actors", "2"), ("--engine", "local", "--actors", "3")):
        result = runner.invoke(app, run_args(inputs, tmp_path / "out", "http://127.0.0.1:9/v1", *more))
        assert result.exit_code == 2, (more, result.output)
    assert not (tmp_path / "out").exists()


class BrokenServer:
    """A node's model server that cannot start (as the embedded model without its weights)."""

    name = "broken"

    def __init__(self, config: Config) -> None:
        self.config = config

    def start(self) -> Any:
        from extractor.backends import BackendError

        raise BackendError("no weights on this node")

    def stop(self) -> None:
        return None


def test_articles_ray_cannot_run_end_as_engine_errors_not_lost(local_ray: None, tmp_path: Path) -> None:
    """When Ray gives up on the whole dataset (here: no actor can start), every article
    still ends in errors.jsonl, saying why, and the batch reports them as failed."""
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(3))
    out = tmp_path / "out"
    job = BatchJob((inputs,), out, Config(mode="llama_json", cache_dir=tmp_path / "cache"), concurrency=1)
    result = RayEngine(actors=1, node_backend=BrokenServer, rounds=1).run(job)
    assert result.failed == 3 and result.ok == 0
    records = lines(out / "errors.jsonl")
    assert len(records) == 3 and {r["stage"] for r in records} == {"engine"}
    assert all("no weights on this node" in r["message"] for r in records), records[0]["message"]
    assert [r["origins"] for r in records] == [[{"path": str(inputs), "index": i}] for i in range(3)]
    assert fact_ids(out) == []


def test_a_folder_another_run_holds_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(2))
    out = tmp_path / "out"
    out.mkdir()
    job = BatchJob((inputs,), out, Config(base_url="http://127.0.0.1:9/v1", model=MODEL_NAME), concurrency=1)
    with FolderLock(out), pytest.raises(OutputBusy, match=str(out)):
        RayEngine().run(job)
    assert sorted(p.name for p in out.iterdir()) == [".lock"], "nothing read or written"


def test_repeated_bodies_are_one_article_with_every_origin_and_a_file_that_cannot_be_written_is_its_error(
    local_ray: None, tmp_path: Path
) -> None:
    """The driver's accounting is the local engine's: one article per body listing every
    input it was read from, repeats counted, and an article whose own file cannot be
    written (here a folder stands where it goes) failing alone at stage ``write``."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(f"{SEED[0].title}\n{SEED[0].text}", encoding="utf-8")
    (folder / "b.txt").write_text(f"另一家媒体的标题\n{SEED[0].text}", encoding="utf-8")
    write_jsonl(folder / "feed.jsonl", [{"title": SEED[1].title, "text": SEED[1].text}, {"text": SEED[0].text}])
    (folder / "c.txt").write_text(f"{SEED[2].title}\n{SEED[2].text}", encoding="utf-8")
    out = tmp_path / "out"
    (out / "articles" / f"{SEED[2].id}.json").mkdir(parents=True)
    with StubEndpoint(answer_with_fallback) as stub:
        config = Config(base_url=stub.base_url, model=MODEL_NAME, mode="llama_json", cache_dir=tmp_path / "cache")
        result = RayEngine().run(BatchJob((folder,), out, config, concurrency=4))
    assert result.ok == 2 and result.failed == 1 and result.duplicates == 2
    facts = {r["article"]["id"]: r["article"] for r in lines(out / "facts.jsonl")}
    assert set(facts) == {SEED[0].id, SEED[1].id}
    assert facts[SEED[0].id]["origins"] == [
        {"path": str(folder / "a.txt"), "index": None},
        {"path": str(folder / "b.txt"), "index": None},
        {"path": str(folder / "feed.jsonl"), "index": 1},
    ]
    assert facts[SEED[1].id]["origins"] == [{"path": str(folder / "feed.jsonl"), "index": 0}]
    on_disk = json.loads((out / "articles" / f"{SEED[0].id}.json").read_text(encoding="utf-8"))
    assert on_disk["article"]["origins"] == facts[SEED[0].id]["origins"]
    (error,) = lines(out / "errors.jsonl")
    assert error["id"] == SEED[2].id and error["stage"] == "write" and error["error_type"] == "IsADirectoryError"
    assert error["origins"] == [{"path": str(folder / "c.txt"), "index": None}]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["articles"]["duplicates"] == 2 and summary["errors_by_stage"] == {"write": 1}
    assert summary["engine"]["name"] == "ray"


def test_sigterm_ends_a_ray_batch_as_ctrl_c_does(tmp_path: Path) -> None:
    """ray.init puts in its own SIGTERM handler (exit 15, summary not written as
    interrupted); the engine puts the run's back. A real ``extractor run --engine ray``
    with ``--actors 2`` (and so 2 in flight), killed with SIGTERM once articles have landed."""
    import signal
    import subprocess
    import sys
    import time

    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(400))
    out = tmp_path / "out"
    env = {**os.environ, "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache"), "EXTRACTOR_MAX_ATTEMPTS": "1"}
    with StubEndpoint(answer_with_fallback, delay_s=0.2) as stub:
        args = run_args(inputs, out, stub.base_url, "--engine", "ray", "--actors", "2")
        command = [sys.executable, "-c", "from extractor.cli import main; main()", *args]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            facts = out / "facts.jsonl"
            while not (facts.exists() and facts.read_text(encoding="utf-8").count("\n") >= 2):
                assert process.poll() is None, process.communicate()[0].decode()
                assert time.monotonic() < deadline, "no article finished"
                time.sleep(0.2)
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=300)[0].decode()  # Ray's shutdown, on a busy machine
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 130, output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["interrupted"] is True
    assert 2 <= summary["articles"]["ok"] < 400, "the kill landed mid-batch"
    assert summary["engine"]["actors"] == 2
