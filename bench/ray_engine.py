"""The Ray engine vs. the local engine, side by side, against the load-test endpoint.

    python bench/ray_engine.py [--articles 1000] [--levels 16,64] [--latency 0.5] [--write-readme]

Each level runs ``extractor run`` twice on the same 1,000 articles (three requests each,
the endpoint answering after a fixed 500 ms), once per engine, at the same total
concurrency, each a fresh process without cache. The Ray run starts its own local Ray
instance (dashboard off, sized to the machine), as a user's first run would.

Both runs are measured alike, from the endpoint's side (sampled every 50 ms): the
throughput is the requests answered while the engine held at least 90% of its
concurrency in flight (from the first moment it got there to the last: the steady state,
without start-up and the drain at the end), and the start-up is the time from launching
the process to that first moment (for Ray: starting Ray, whose share is printed too, and
then its actors). The endpoint (tests/support/openai_stub.py) runs in a thread of this
process and says nothing about extraction quality.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.readme_table import report
from extractor.backends.weights import MODEL_NAME
from tests.support.openai_stub import StubEndpoint
from tests.support.recorded import answer_from_recordings, seed_variations


def write_inputs(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in seed_variations(count):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def run(engine: str, n: int, inputs: Path, work: Path, latency: float) -> dict[str, Any]:
    """One batch through the CLI in a fresh process; its summary and the endpoint's counts."""
    out = work / f"{engine}-{n}"
    with StubEndpoint(answer_from_recordings, delay_s=latency) as stub:
        env = {**os.environ, "EXTRACTOR_CACHE_DIR": str(work / f"cache-{engine}-{n}"), "EXTRACTOR_TIMEOUT_S": "30"}
        command = [
            sys.executable, "-m", "extractor.cli", "run", str(inputs), "-o", str(out),
            "--base-url", stub.base_url, "--model", MODEL_NAME, "--mode", "llama_json",
            "--concurrency", str(n), "--no-cache", "--engine", engine,
        ]  # fmt: skip
        samples: list[tuple[float, int, int]] = []  # (seconds since launch, answered, in flight)
        finished = threading.Event()

        def sample() -> None:
            while not finished.wait(0.05):
                in_flight = stub.stats.in_flight
                samples.append((time.perf_counter() - began, stub.stats.requests - in_flight, in_flight))

        began = time.perf_counter()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        process_s = time.perf_counter() - began
        finished.set()
        sampler.join()
        requests, most_in_flight = stub.stats.requests, stub.stats.max_in_flight
    if done.returncode != 0:
        raise SystemExit(f"{engine} at {n} exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    full = [(t, answered) for t, answered, in_flight in samples if in_flight >= 0.9 * n]
    if len(full) < 2:
        raise SystemExit(f"{engine} at {n} never held 90% of its concurrency in flight: too few articles?")
    (t0, a0), (t1, a1) = full[0], full[-1]
    return {
        "engine": engine,
        "n": n,
        "ok": summary["articles"]["ok"],
        "requests": requests,
        "max_in_flight": most_in_flight,
        "process_s": process_s,
        "startup_s": t0,
        "steady_s": t1 - t0,
        "ray_init_s": summary.get("engine", {}).get("ray_init_s", 0.0),
        "req_per_s": (a1 - a0) / (t1 - t0),
        "req_per_s_overall": requests / process_s,
        "actors": summary.get("engine", {}).get("actors", 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--levels", default="16,64")
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    rows = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs = write_inputs(work / "in.jsonl", args.articles)
        for n in (int(level) for level in args.levels.split(",")):
            local = run("local", n, inputs, work, args.latency)
            ray = run("ray", n, inputs, work, args.latency)
            rows.append((n, local, ray))
    lines = [
        f"Machine: {os.cpu_count()} cores (load average {load:.1f} at the start), Python {sys.version.split()[0]}; "
        f"endpoint at {args.latency * 1000:.0f} ms in the bench process; {args.articles} articles, no cache. "
        "Printed by `python bench/ray_engine.py`.",
        "",
        "| concurrency | local engine, steady | ray engine, steady (actors) | ray / local, steady (target ≥ 0.9) | "
        "start-up: local | start-up: ray (of it: Ray itself) | whole process: local, ray | ray / local, whole process |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, local, ray in rows:
        lines.append(
            f"| {n} | {local['req_per_s']:.1f} req/s | {ray['req_per_s']:.1f} req/s ({ray['actors']}) | "
            f"{ray['req_per_s'] / local['req_per_s']:.2f}× | {local['startup_s']:.1f} s | "
            f"{ray['startup_s']:.1f} s ({ray['ray_init_s']:.1f} s) | {local['process_s']:.0f} s, {ray['process_s']:.0f} s | "
            f"{ray['req_per_s_overall'] / local['req_per_s_overall']:.2f}× |"
        )
    report("ray-engine", "\n".join(lines), write=args.write_readme)


if __name__ == "__main__":
    main()
