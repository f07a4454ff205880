"""The HTTP service against the CLI and the library, side by side in one run (a benchmark).

    python bench/service.py [--latency 0.5] [--articles 500] [--levels 16,64] [--clients 64] [--write-readme]

The model endpoint is the load-test stub (tests/support/openai_stub.py) in a thread of
this process: every request answered after a fixed delay with a completion recorded
from the embedded model; it says nothing about extraction quality. ``extractor serve``
runs as a subprocess (tests/support/service_process.py), ``extractor run`` too; neither
uses the answer cache. Rows:

1. a job of N articles through the service vs. ``extractor run`` over the same articles
   at the same concurrency: articles per second from the job's creation to its last
   result (server clock) vs. the batch's ``wall_time_s`` (neither counts start-up), the
   fastest of interleaved runs of each;
2. ``POST /v1/extract`` vs. a direct ``Extractor.extract()`` on the same endpoint, one
   article at a time, the two alternating: median seconds per article;
3. many clients posting ``/v1/extract`` at once: every answer's status, every article
   answered (by id), latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx

from bench.performance import run_cli
from bench.readme_table import report
from extractor.backends.weights import MODEL_NAME
from extractor.config import Config
from extractor.models import Article, article_id
from extractor.pipeline import Extractor
from tests.support.openai_stub import StubEndpoint
from tests.support.recorded import answer_from_recordings, seed_variations
from tests.support.service_process import ServiceProcess


def write_inputs(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def service_env(work: Path) -> dict[str, str]:
    return {"EXTRACTOR_CACHE_DIR": str(work / "cache-service"), "EXTRACTOR_TIMEOUT_S": "30"}


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def job_vs_cli(
    records: list[dict[str, str]], concurrency: int, latency: float, rounds: int, work: Path
) -> dict[str, Any]:
    """The fastest of ``rounds`` interleaved runs of each (this machine's speed drifts)."""
    inputs = write_inputs(work / f"in-{len(records)}.jsonl", records)
    cli: list[tuple[float, int]] = []
    served: list[tuple[float, int]] = []
    each_once = True
    with StubEndpoint(answer_from_recordings, delay_s=latency) as stub:
        for turn in range(rounds):
            summary, _ = run_cli(
                inputs,
                work / f"cli-{concurrency}-{turn}",
                stub.base_url,
                work / "cache-cli",
                "--concurrency",
                str(concurrency),
                "--no-cache",
            )
            cli.append((summary["articles"]["ok"] / summary["wall_time_s"], summary["articles"]["ok"]))
            args = ("--concurrency", str(concurrency), "--no-cache", "--max-queued", str(len(records)))
            server = ServiceProcess(work / f"data-{concurrency}-{turn}", stub.base_url, *args, env=service_env(work))
            with server, server.client(timeout=120) as http:
                job = http.post(
                    "/v1/jobs", content=inputs.read_bytes(), headers={"content-type": "application/x-ndjson"}
                )
                job_id = job.json()["id"]
                while True:
                    status = http.get(f"/v1/jobs/{job_id}", params={"wait": 60}).json()
                    if status["state"] in ("done", "failed", "cancelled"):
                        break
                results = [json.loads(line) for line in http.get(f"/v1/jobs/{job_id}/results").text.splitlines()]
            wall = _stamp(status["finished_at"]) - _stamp(status["created_at"])
            served.append((status["counts"]["ok"] / wall, status["counts"]["ok"]))
            each_once &= [r["article"]["id"] for r in results] == [article_id(r["text"]) for r in records]
    (cli_per_s, cli_ok), (service_per_s, service_ok) = max(cli), max(served)
    return {
        "n": concurrency,
        "articles": len(records),
        "rounds": rounds,
        "cli_ok": cli_ok,
        "cli_per_s": cli_per_s,
        "service_ok": service_ok,
        "service_per_s": service_per_s,
        "each_once": each_once,
    }


async def _direct(extractor: Extractor, record: dict[str, str]) -> float:
    began = time.perf_counter()
    await extractor.extract(Article(**record))
    return time.perf_counter() - began


async def _posted(http: httpx.AsyncClient, record: dict[str, str]) -> float:
    began = time.perf_counter()
    response = await http.post("/v1/extract", json=record)
    response.raise_for_status()
    return time.perf_counter() - began


def sync_latency(records: list[dict[str, str]], latency: float, work: Path) -> dict[str, float]:
    """Median s/article, one at a time, direct and through the service alternating."""
    with StubEndpoint(answer_from_recordings, delay_s=latency) as stub:
        args = ("--concurrency", "4", "--no-cache")
        with ServiceProcess(work / "data-sync", stub.base_url, *args, env=service_env(work)) as server:
            config = Config(base_url=stub.base_url, model=MODEL_NAME, mode="llama_json", cache=False)

            async def measure() -> tuple[list[float], list[float]]:
                extractor = Extractor(config, max_requests=4)
                direct, posted = [], []
                async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                    await _direct(extractor, records[0])  # both warm: clients built, handlers loaded
                    await _posted(http, records[0])
                    for record in records[1:]:
                        direct.append(await _direct(extractor, record))
                        posted.append(await _posted(http, record))
                await extractor.aclose()
                return direct, posted

            direct, posted = asyncio.run(measure())
    return {"direct": statistics.median(direct), "service": statistics.median(posted), "articles": len(direct)}


def many_clients(
    records: list[dict[str, str]], clients: int, concurrency: int, latency: float, work: Path
) -> dict[str, Any]:
    """``clients`` clients at once, each posting its share of ``records`` one after another."""
    with StubEndpoint(answer_from_recordings, delay_s=latency) as stub:
        args = ("--concurrency", str(concurrency), "--no-cache")
        with ServiceProcess(work / "data-clients", stub.base_url, *args, env=service_env(work)) as server:

            async def client(share: list[dict[str, str]], out: list[tuple[int, str | None, float]]) -> None:
                async with httpx.AsyncClient(base_url=server.url, timeout=300) as http:
                    for record in share:
                        began = time.perf_counter()
                        response = await http.post("/v1/extract", json=record)
                        answered = response.json()["article"]["id"] if response.status_code == 200 else None
                        out.append((response.status_code, answered, time.perf_counter() - began))

            async def run() -> tuple[list[tuple[int, str | None, float]], float]:
                out: list[tuple[int, str | None, float]] = []
                began = time.perf_counter()
                await asyncio.gather(*(client(records[i::clients], out) for i in range(clients)))
                return out, time.perf_counter() - began

            answers, wall = asyncio.run(run())
    statuses = Counter(status for status, _, _ in answers)
    seconds = sorted(s for _, _, s in answers)
    answered = {i for _, i, _ in answers if i}
    return {
        "clients": clients,
        "articles": len(records),
        "statuses": dict(statuses),
        "server_errors": sum(n for status, n in statuses.items() if status >= 500),
        "answered": len(answered & {article_id(r["text"]) for r in records}),
        "p50": seconds[len(seconds) // 2],
        "p95": seconds[int(len(seconds) * 0.95)],
        "per_s": len(records) / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5, help="the stub's delay per request, seconds")
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--levels", default="16,64", help="concurrency of the job vs. CLI rows")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved runs of each in the job vs. CLI rows")
    parser.add_argument("--sync-articles", type=int, default=21)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--client-articles", type=int, default=320)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]  # other work on the machine shows as noise in every row
    ms = f"{args.latency * 1000:.0f} ms"
    lines = [
        f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; the stub answers every request after "
        f"{ms}. Printed by `python bench/service.py`.",
        "",
        "| benchmark | measured | target | ratio |",
        "|---|---|---|---|",
    ]
    records = seed_variations(args.articles + args.sync_articles + args.client_articles)
    job_records = records[: args.articles]
    sync_records = records[args.articles : args.articles + args.sync_articles]
    client_records = records[args.articles + args.sync_articles :]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in (int(level) for level in args.levels.split(",")):
            row = job_vs_cli(job_records, n, args.latency, args.rounds, work)
            ratio = row["service_per_s"] / row["cli_per_s"]
            lines.append(
                f"| job of {row['articles']} articles vs. `extractor run`, concurrency {n} "
                f"(fastest of {row['rounds']} interleaved runs each) | "
                f"{row['service_per_s']:.2f} vs. {row['cli_per_s']:.2f} articles/s "
                f"({row['service_ok']} and {row['cli_ok']} ok; results in input order, each once: "
                f"{'yes' if row['each_once'] else 'NO'}) | ≥ 0.95× | {ratio:.3f}× |"
            )
        row = sync_latency(sync_records, args.latency, work)
        lines.append(
            f"| `POST /v1/extract` vs. `extract()`, median s/article of {row['articles']}, one at a time | "
            f"{row['service']:.3f} vs. {row['direct']:.3f} | ≤ 1.05× | {row['service'] / row['direct']:.3f}× |"
        )
        level = int(args.levels.split(",")[0])
        row = many_clients(client_records, args.clients, level, args.latency, work)
        statuses = ", ".join(f"{n}× {status}" for status, n in sorted(row["statuses"].items()))
        lines.append(
            f"| {row['clients']} clients posting {row['articles']} articles to `/v1/extract` at once "
            f"(server concurrency {level}) | {statuses}; {row['answered']} of {row['articles']} answered; "
            f"p50 {row['p50']:.2f} s, p95 {row['p95']:.2f} s; {row['per_s']:.1f} articles/s | "
            f"no 5xx, every article answered | {row['server_errors']} 5xx, "
            f"{row['answered'] / row['articles']:.2f} answered |"
        )
    load_at_end = os.getloadavg()[0]
    lines[0] += f" Load average (1 min) {load_at_start:.1f} at the start, {load_at_end:.1f} at the end."
    report("service", "\n".join(lines), write=args.write_readme)


if __name__ == "__main__":
    main()
