"""Every input accounted for exactly once, whatever happens around the batch: two runs
on one folder, repeated bodies, writes that fail, a damaged answer cache.

Real processes and real files: the CLI runs as a child process against the stub
endpoint; file-size limits are the shell's ``ulimit -f``; a read-only folder is a real
``chmod`` (with root's override of it dropped in the child).
"""

from __future__ import annotations

import ctypes
import json
import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extractor.articles import Article, load
from extractor.cli import app

from .conftest import FIXTURES
from .support.openai_stub import StubEndpoint
from .support.processes import (
    cli_env,
    ids_in,
    lines_in,
    records_in,
    run_args,
    start_cli,
    wait_until,
    write_jsonl,
)
from .support.recorded import answer_from_recordings, answer_with_fallback, seed_variations, shown_article

SEED = [a for a in load([FIXTURES / "weilidai-digest.txt"]) if isinstance(a, Article)]


def summary_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def assert_each_once(out: Path, expected: int) -> None:
    """Every article in exactly one of facts and errors, articles/ mirroring facts."""
    done, failed = ids_in(out / "facts.jsonl"), ids_in(out / "errors.jsonl")
    assert len(done) == len(set(done)) and len(failed) == len(set(failed))
    assert not set(done) & set(failed)
    assert len(done) + len(failed) == expected
    assert sorted(p.stem for p in (out / "articles").glob("*.json")) == sorted(done)


# -- one run owns its output folder ------------------------------------------------------


def test_a_second_run_on_the_same_folder_is_refused_naming_the_first(tmp_path: Path) -> None:
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(20))
    out = tmp_path / "out"
    with StubEndpoint(answer_from_recordings) as stub:
        env = cli_env(tmp_path, EXTRACTOR_TIMEOUT_S="300")  # held requests outlast a slow start of the second
        first = start_cli(run_args(inputs, out, stub.base_url, "--concurrency", "2"), env)
        wait_until(lambda: lines_in(out / "facts.jsonl") >= 1, what="the first run to finish an article")
        stub.pause()  # the first run stays mid-batch while the second one starts
        second = start_cli(run_args(inputs, out, stub.base_url, "--concurrency", "2"), env)
        _, second_err = second.communicate(timeout=60)
        stub.resume()
        assert second.returncode == 2, second_err
        assert f"another extractor run (pid {first.pid}) is writing to {out}" in second_err.decode(), second_err
        assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    assert_each_once(out, 20)
    assert len(ids_in(out / "facts.jsonl")) == 20


def test_two_runs_started_together_write_each_article_once(tmp_path: Path) -> None:
    """Whichever claims the folder first works; the other is refused. The stub holds its
    answers until then, so the first cannot finish before the second has looked."""
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(20))
    out = tmp_path / "out"
    with StubEndpoint(answer_from_recordings) as stub:
        stub.pause()
        env = cli_env(tmp_path, EXTRACTOR_TIMEOUT_S="300")  # held requests outlast a slow start of the other
        runs = [start_cli(run_args(inputs, out, stub.base_url, "--concurrency", "4"), env) for _ in "ab"]
        wait_until(lambda: any(run.poll() is not None for run in runs), what="one run to be refused")
        stub.resume()
        codes = sorted(run.wait(timeout=120) for run in runs)
    assert codes == [0, 2]
    assert_each_once(out, 20)
    assert len(ids_in(out / "facts.jsonl")) == 20


# -- identical bodies: one extraction, every input accounted for ----------------------------


def test_identical_bodies_are_extracted_once_and_every_input_is_listed(tmp_path: Path) -> None:
    failing = SEED[7].text + "\n（此篇的回答不合规）"

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        completion = answer_with_fallback(request)
        if "此篇的回答不合规" in shown_article(request):
            completion = json.loads(json.dumps(completion))
            completion["choices"][0]["message"]["content"] = json.dumps({"institutions": "not a list"})
        return completion

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(f"{SEED[0].title}\n{SEED[0].text}", encoding="utf-8")
    (folder / "b.txt").write_text(f"另一家媒体的标题\n{SEED[0].text}", encoding="utf-8")  # same body, other title
    write_jsonl(
        folder / "feed.jsonl",
        [
            {"title": "转载", "text": SEED[0].text},
            {"title": SEED[1].title, "text": SEED[1].text},
            {"title": "再转载", "text": SEED[0].text.replace("\n", "\r\n")},  # the same once normalised
        ],
    )
    (folder / "c.txt").write_text(f"{SEED[2].title}\n{SEED[2].text}", encoding="utf-8")
    (folder / "w1.txt").write_text(f"标题一\n{failing}", encoding="utf-8")
    (folder / "w2.txt").write_text(f"标题二\n{failing}", encoding="utf-8")
    out = tmp_path / "out"
    env = cli_env(tmp_path, EXTRACTOR_MAX_ATTEMPTS="1")
    with StubEndpoint(answer) as stub:
        # a.txt is also named on its own: read twice, listed once
        args = run_args(folder, out, stub.base_url, "--concurrency", "2")
        first = CliRunner().invoke(app, [*args[:2], str(folder / "a.txt"), *args[2:]], env=env)
        assert first.exit_code == 1, first.output
        again = CliRunner().invoke(app, [*args[:2], str(folder / "a.txt"), *args[2:]], env=env)
    facts = {r["article"]["id"]: r for r in records_in(out / "facts.jsonl")}
    errors = records_in(out / "errors.jsonl")
    assert len(facts) == 3 and len(errors) == 1
    shared = facts[SEED[0].id]["article"]
    assert shared["title"] == SEED[0].title and shared["origin"] == {"path": str(folder / "a.txt"), "index": None}
    assert shared["origins"] == [
        {"path": str(folder / "a.txt"), "index": None},
        {"path": str(folder / "b.txt"), "index": None},
        {"path": str(folder / "feed.jsonl"), "index": 0},
        {"path": str(folder / "feed.jsonl"), "index": 2},
    ]
    on_disk = json.loads((out / "articles" / f"{SEED[0].id}.json").read_text(encoding="utf-8"))
    assert on_disk["article"]["origins"] == shared["origins"]
    assert facts[SEED[1].id]["article"]["origins"] == [{"path": str(folder / "feed.jsonl"), "index": 1}]
    (error,) = errors
    assert error["stage"] == "validation"
    assert error["origins"] == [
        {"path": str(folder / "w1.txt"), "index": None},
        {"path": str(folder / "w2.txt"), "index": None},
    ]
    # 9 inputs read (8 records, a.txt twice): 3 in facts + 1 in errors + 5 repeats, and
    # every record listed once as an origin
    summary = summary_of(out)
    assert summary["articles"]["duplicates"] == 5
    assert summary["articles"]["skipped_done"] == 3 and summary["articles"]["failed"] == 1
    assert again.exit_code == 1
    assert sum(len(f["article"]["origins"]) for f in facts.values()) + len(error["origins"]) == 8


# -- writes that fail ---------------------------------------------------------------------


def _without_root_override() -> Callable[[], None] | None:
    """For a child process of root: drop CAP_DAC_OVERRIDE so that file modes apply to it
    (skips the test where this machine does not allow dropping it)."""
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def drop() -> None:
        if libc.prctl(24, 1, 0, 0, 0) != 0:  # PR_CAPBSET_DROP, CAP_DAC_OVERRIDE
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")

    try:
        subprocess.run(["true"], preexec_fn=drop, check=True)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("running as root and cannot drop root's override of file modes here")
    return drop


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    made: list[Path] = []

    def make(path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
        made.append(path)

    yield make
    for path in made:
        path.chmod(0o755)


def test_a_read_only_articles_folder_fails_each_article_and_the_batch_goes_on(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(6))
    out = tmp_path / "out"
    read_only(out / "articles")
    with StubEndpoint(answer_from_recordings) as stub:
        run = start_cli(
            run_args(inputs, out, stub.base_url, "--concurrency", "2"),
            cli_env(tmp_path),
            preexec_fn=_without_root_override(),
        )
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 1, stderr
        assert b"Traceback" not in stderr
        errors = records_in(out / "errors.jsonl")
        assert len(errors) == 6 and ids_in(out / "facts.jsonl") == []
        assert {e["stage"] for e in errors} == {"write"} and {e["error_type"] for e in errors} == {"PermissionError"}
        assert all("articles" in e["message"] and "Permission denied" in e["message"] for e in errors)
        assert summary_of(out)["errors_by_stage"] == {"write": 6}

        (out / "articles").chmod(0o755)
        asked = stub.stats.requests
        rerun = CliRunner().invoke(app, run_args(inputs, out, stub.base_url), env=cli_env(tmp_path))
        assert rerun.exit_code == 0, rerun.output
        assert stub.stats.requests == asked, "the failed writes' answers were cached: no model call again"
    assert_each_once(out, 6)
    assert ids_in(out / "errors.jsonl") == []


def test_an_article_too_big_for_the_file_size_limit_is_its_own_error(tmp_path: Path) -> None:
    """``ulimit -f 24``: the long article's file cannot be written, the others can."""
    variations = seed_variations(10)
    long = {**SEED[3].model_dump(include={"title", "source"}), "text": SEED[3].text + "长文填充。" * 3000}
    records = [variations[0], variations[3], variations[7], long]  # the short ones: about 15 KB of facts
    inputs = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    with StubEndpoint(answer_with_fallback) as stub:
        run = start_cli(
            run_args(inputs, out, stub.base_url, "--no-cache"), cli_env(tmp_path), shell_prefix="ulimit -f 24"
        )
        _, stderr = run.communicate(timeout=120)
    assert run.returncode == 1, stderr
    assert b"Traceback" not in stderr
    (error,) = records_in(out / "errors.jsonl")
    assert error["stage"] == "write" and "File too large" in error["message"] and error["title"] == SEED[3].title
    assert len(ids_in(out / "facts.jsonl")) == 3
    assert_each_once(out, 4)


def test_an_output_that_cannot_grow_stops_the_batch_cleanly_and_resumes(tmp_path: Path) -> None:
    """``ulimit -f 16``: facts.jsonl hits the limit after a few articles. The batch stops
    with a message (no traceback), facts.jsonl holds whole lines only, and the same
    command without the limit finishes the rest, each article once."""
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(10))
    out = tmp_path / "out"
    with StubEndpoint(answer_from_recordings) as stub:
        args = run_args(inputs, out, stub.base_url, "--concurrency", "2", "--no-cache")
        run = start_cli(args, cli_env(tmp_path), shell_prefix="ulimit -f 16")
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 1, stderr
        message = stderr.decode()
        assert "Traceback" not in message and "facts.jsonl" in message and "File too large" in message
        stopped = ids_in(out / "facts.jsonl")  # every line parses: nothing torn
        assert 0 < len(stopped) < 10
        assert (out / "facts.jsonl").read_bytes().endswith(b"\n")
        assert sorted(p.stem for p in (out / "articles").glob("*.json")) == sorted(stopped)
        assert "File too large" in (summary_of(out)["stopped"] or "")
        resumed = CliRunner().invoke(app, run_args(inputs, out, stub.base_url), env=cli_env(tmp_path))
        assert resumed.exit_code == 0, resumed.output
    assert_each_once(out, 10)
    assert ids_in(out / "facts.jsonl")[: len(stopped)] == stopped


def test_an_output_folder_that_cannot_be_made_is_a_clear_error(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    parent = tmp_path / "locked"
    read_only(parent)
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(1))
    run = start_cli(
        run_args(inputs, parent / "out", "http://127.0.0.1:9/v1"),
        cli_env(tmp_path),
        preexec_fn=_without_root_override(),
    )
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 1
    assert b"Traceback" not in stderr and b"cannot use" in stderr and b"Permission denied" in stderr


# -- a damaged answer cache -----------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_cache_is_reported_once_moved_aside_and_the_run_goes_on(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    inputs = write_jsonl(tmp_path / "in.jsonl", seed_variations(10))
    out = tmp_path / "out"
    database = tmp_path / "cache" / "results" / "cache.db"
    runner = CliRunner()
    with StubEndpoint(answer_from_recordings) as stub:
        filled = runner.invoke(app, run_args(inputs, out, stub.base_url, "--concurrency", "2"), env=cli_env(tmp_path))
        assert filled.exit_code == 0, filled.output
        assert stub.stats.requests > 0 and database.stat().st_size > 0
        if damage == "garbage":
            database.write_bytes(os.urandom(4096) * 8)
        else:
            with database.open("r+b") as handle:
                handle.truncate(database.stat().st_size // 2)
        asked = stub.stats.requests
        damaged = start_cli(run_args(inputs, out, stub.base_url, "--concurrency", "2", "--force"), cli_env(tmp_path))
        _, stderr = damaged.communicate(timeout=120)
        assert damaged.returncode == 0, stderr
        assert stderr.decode().count("is damaged") == 1, stderr
        assert b"Traceback" not in stderr
        assert list(database.parent.glob("cache.db.damaged-*")), "the damaged file is kept aside"
        assert stub.stats.requests > asked, "answers were asked again, not served from the damaged file"

        caplog.clear()
        fresh = runner.invoke(app, run_args(inputs, out, stub.base_url, "--force"), env=cli_env(tmp_path))
        assert fresh.exit_code == 0, fresh.output
        assert not [r for r in caplog.records if r.name == "extractor.cache"]
        assert database.exists(), "a fresh cache took its place"
    assert_each_once(out, 10)
    assert len(ids_in(out / "facts.jsonl")) == 10
