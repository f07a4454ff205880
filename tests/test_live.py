"""The CLI against the real embedded model server (``make test-live``; minutes on 2 cores).

Skipped where the ``local`` extra or the weights are absent (as in CI, where the
cassettes replay the same server's answers); ``make test-live`` sets EXTRACTOR_LIVE=1,
which turns such a skip into a failure. These runs use the user's cache folder for
the weights (``--no-cache`` keeps answers out of it) and write only under tmp_path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from extractor.articles import load
from extractor.backends import weights
from extractor.models import Article, ArticleFacts
from extractor.numbers import parse_figure

from .conftest import FIXTURES
from .support.processes import wait_until

LIVE = importlib.util.find_spec("llama_cpp") is not None and weights.model_path().exists()
pytestmark = [pytest.mark.live, pytest.mark.skipif(not LIVE, reason="needs the local extra and assembled weights")]
SEED = [a for a in load([FIXTURES / "weilidai-digest.txt"]) if isinstance(a, Article)]
SHORTEST = min(SEED, key=lambda a: len(a.text))  # about a minute on 2 cores


def live_env() -> dict[str, str]:
    """The embedded backend, whatever this shell points at."""
    return {**os.environ, "EXTRACTOR_BASE_URL": "", "OPENAI_BASE_URL": "", "EXTRACTOR_MODE": ""}


def extractor(*args: str, **popen: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "extractor.cli", *args],
        env=live_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )


def article_file(tmp_path: Path, article: Article) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(f"{article.title}\n{article.text}", encoding="utf-8")
    return path


def server_children(pid: int) -> list[tuple[int, int]]:
    """(pid, port) of the model servers this process started (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"extractor.backends._serve" in command:
            found.append((int(entry.name), int(command[command.index(b"--port") + 1])))
    return found


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie
    except (ProcessLookupError, FileNotFoundError):
        return True


def test_live_run_extracts_grounded_facts_from_a_seed_article(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = extractor("run", str(article_file(tmp_path, SHORTEST)), "-o", str(out), "--no-cache")
    _, stderr = run.communicate(timeout=1200)
    assert run.returncode == 0, stderr.decode()[-3000:]
    (line,) = (out / "facts.jsonl").read_text(encoding="utf-8").splitlines()
    facts = ArticleFacts.model_validate_json(line)
    assert facts.meta.model == weights.MODEL_NAME and facts.meta.mode == "llama_json"
    assert not facts.meta.cached and facts.meta.usage.requests >= 2 and facts.meta.usage.prompt_tokens > 0
    assert facts.institutions or facts.products
    text = facts.article.text
    for kind in (facts.institutions, facts.metrics, facts.regulatory_actions, facts.products):
        for fact in kind:
            assert all(text[e.start : e.end] == e.text for e in fact.evidence)
    for metric in facts.metrics:
        assert (metric.value, metric.value_max) == (parse_figure(metric.raw).value, parse_figure(metric.raw).value_max)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["articles"]["ok"] == 1 and summary["tokens"]["total_tokens"] > 0
    assert (out / "errors.jsonl").read_text(encoding="utf-8") == ""


def test_live_doctor_starts_checks_and_stops_the_server() -> None:
    run = extractor("doctor")
    stdout, stderr = run.communicate(timeout=600)
    assert run.returncode == 0, (stdout + stderr).decode()[-3000:]
    text = stdout.decode()
    assert "backend: embedded" in text and "healthy=True" in text
    port = int(text.split("server: http://127.0.0.1:", 1)[1].split("/", 1)[0])
    assert not answers(port), "doctor left its model server running"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_live_stop_mid_batch_ends_the_run_and_its_server(tmp_path: Path, stop: signal.Signals) -> None:
    """Stopped while the model is answering the first pass: exit 130, the summary says
    interrupted, and the model server (2 GB, a port) does not outlive the run."""
    out = tmp_path / "out"
    run = extractor("run", str(article_file(tmp_path, SHORTEST)), "-o", str(out), "--no-cache")
    try:
        wait_until(lambda: bool(server_children(run.pid)), timeout_s=300, what="the model server to start")
        ((server, port),) = server_children(run.pid)
        wait_until(lambda: answers(port), timeout_s=300, what="the model server to answer")
        run.send_signal(stop)
        _, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, stderr.decode()[-3000:]
    wait_until(lambda: gone(server), timeout_s=60, what="the model server to stop")
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["interrupted"] is True
