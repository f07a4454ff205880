"""The ``extractor`` command as a real process, and what tests read from its output folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from extractor.backends.weights import MODEL_NAME

PLANTED_KEY = "sk-planted-0123456789abcdefSECRET"


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A private cache, a planted key (that must never leak) and generous timeouts: the
    stub runs on the same busy machine; stalls are caught by the short stall timeout."""
    return {
        "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache"),
        "EXTRACTOR_API_KEY": PLANTED_KEY,
        "EXTRACTOR_TIMEOUT_S": "30",
        "EXTRACTOR_STALL_TIMEOUT_S": "1",
        "EXTRACTOR_MAX_ATTEMPTS": "4",
        **extra,
    }


def run_args(inputs: Path, out: Path, url: str, *more: str) -> list[str]:
    return ["run", str(inputs), "-o", str(out), "--base-url", url, "--model", MODEL_NAME, "--mode", "llama_json", *more]


def start_cli(
    args: Sequence[str], env: dict[str, str], *, shell_prefix: str = "", **popen: Any
) -> subprocess.Popen[bytes]:
    """``python -m extractor.cli ARGS`` in its own process; ``shell_prefix`` runs first in
    a shell that then execs it (``ulimit -f 64`` …)."""
    command = [sys.executable, "-m", "extractor.cli", *args]
    if shell_prefix:
        command = ["bash", "-c", f'{shell_prefix} && exec "$@"', "extractor", *command]
    popen.setdefault("preexec_fn", _default_signals)
    return subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def _default_signals() -> None:
    """In the child before it runs: Ctrl-C and SIGTERM as a terminal gives them. A
    process inherits an ignored SIGINT (a parent started in the background, or a library
    in the test process that ignores it), and Python then never turns it into
    KeyboardInterrupt: the run would go on as if no one had asked it to stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def records_in(path: Path) -> list[dict[str, Any]]:
    """Every line as JSON: a torn line fails the test here."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def ids_in(path: Path) -> list[str]:
    return [r["article"]["id"] if "article" in r else r["id"] for r in records_in(path)]


def lines_in(path: Path) -> int:
    """Complete lines so far (the file may be mid-write)."""
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def wait_until(condition: Callable[[], bool], *, timeout_s: float = 60.0, what: str = "a condition") -> None:
    """Poll for an event on disk or in a process, however slow the machine is today."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g}s waiting for {what}")
        time.sleep(0.01)
