"""Export benchmark: ``extractor export`` over a generated run of 10,000 articles.

    python bench/export.py [--articles 10000] [--formats duckdb,parquet,csv,jsonl] [--write-readme]

The run is made as the memory benchmark makes its inputs: the ten seed articles go
through the real pipeline (answers recorded from the embedded model, served by the
local stub endpoint), and each of the N articles is one of them with a figure-free
batch tag, plus one generated sentence about a generated bank (``甲乙丙丁戊银行``, two
articles per bank with the same or a different NPL ratio, every seventh also naming
another bank by its short form), so that resolution meets N/2 distinct institutions, containment
candidates and conflicts, not ten names repeated. Each export runs as its own
``extractor export`` process; time is its wall time, memory its peak RSS (ru_maxrss).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.readme_table import report
from extractor.articles import load
from extractor.backends import StaticBackend
from extractor.backends.weights import MODEL_NAME
from extractor.config import Config
from extractor.llm import Endpoint
from extractor.models import Article, ArticleFacts, Evidence, FinancialMetric, Institution, article_id
from extractor.pipeline import Extractor
from extractor.testing import StubEndpoint
from tests.support.recorded import answer_from_recordings

TAGS = "甲乙丙丁戊己庚辛壬癸"
TARGET_S, TARGET_MB = 30.0, 300.0


def seed_facts() -> list[ArticleFacts]:
    """The ten seed articles through the pipeline, against recorded answers."""
    seeds = [a for a in load([ROOT / "tests" / "fixtures" / "weilidai-digest.txt"]) if isinstance(a, Article)]

    async def go() -> list[ArticleFacts]:
        with StubEndpoint(answer_from_recordings) as stub:
            endpoint = Endpoint(base_url=stub.base_url, model=MODEL_NAME, identity="bench", provider="stub")
            extractor = Extractor(
                Config(mode="llama_json", cache=False, max_attempts=1), backend=StaticBackend(endpoint)
            )
            try:
                return [await extractor.extract(seed) for seed in seeds]
            finally:
                await extractor.aclose()

    return asyncio.run(go())


def variation(seed: ArticleFacts, n: int) -> ArticleFacts:
    """Seed ``n % 10`` with a batch tag and one sentence about bank ``n // 2`` (offsets
    of the seed's facts are unchanged: the addition comes after the body)."""
    tag = "".join(TAGS[int(d)] for d in f"{n:05d}")
    short = "".join(TAGS[int(d)] for d in f"{n // 2:05d}")
    bank = f"{short}银行"
    npl = "1.5" if n % 4 != 3 else "1.7"  # every second bank: two articles that disagree
    sentence = f"截至2025年6月末,{bank}不良贷款率为{npl}%。"
    other = "".join(TAGS[int(d)] for d in f"{n // 2 + 1:05d}")  # the next bank, by its short form
    if n % 7 == 0:
        sentence += f"{other}表示将加强风控。"
    text = f"{seed.article.text}\n（批次{tag}）{sentence}"
    base = len(seed.article.text) + len(f"\n（批次{tag}）")

    def span(quote: str) -> list[Evidence]:
        at = text.index(quote, base)
        return [Evidence(text=quote, start=at, end=at + len(quote))]

    institutions = [*seed.institutions, Institution(name=bank, type="bank", country="CN", evidence=span(bank))]
    if n % 7 == 0:
        institutions.append(Institution(name=other, type="bank", country="CN", evidence=span(f"{other}表示")))
    metric = FinancialMetric(
        subject=bank,
        metric="npl_ratio",
        name="不良贷款率",
        value=float(npl),
        unit="%",
        raw=f"{npl}%",
        period_start="2025-06-30",
        period_end="2025-06-30",
        period_text="截至2025年6月末",
        evidence=span(f"{bank}不良贷款率为{npl}%"),
    )
    article = seed.article.model_copy(
        update={"id": article_id(text), "title": f"{seed.article.title}·{tag}", "text": text}
    )
    return seed.model_copy(
        update={"article": article, "institutions": institutions, "metrics": [*seed.metrics, metric]}
    )


def write_run(folder: Path, count: int) -> tuple[Path, int]:
    seeds = seed_facts()
    folder.mkdir(parents=True, exist_ok=True)
    metrics = 0
    with (folder / "facts.jsonl").open("w", encoding="utf-8") as handle:
        for n in range(count):
            record = variation(seeds[n % len(seeds)], n)
            metrics += len(record.metrics)
            handle.write(record.model_dump_json() + "\n")
    return folder, metrics


def export_once(run: Path, dest: Path, format: str) -> dict[str, Any]:
    script = (
        "import resource, sys; sys.argv = sys.argv[1:]\n"
        "import extractor.cli as c\ncode = 0\ntry:\n    c.main()\nexcept SystemExit as e:\n    code = e.code\n"
        "u = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(u.ru_maxrss, u.ru_utime + u.ru_stime, code, file=sys.stderr)"
    )
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, "extractor", "export", str(run), "--format", format, "-o", str(dest)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - began
    last = done.stderr.strip().splitlines()[-1:] or [""]
    if len(last[0].split()) != 3:
        raise SystemExit(f"export did not finish (exit {done.returncode}): {done.stderr[-2000:]}")
    peak_kb, cpu, code = last[0].split()
    if code not in ("0", "None"):
        raise SystemExit(f"export failed ({code}): {done.stderr[-2000:]}")
    return {"format": format, "wall_s": wall, "cpu_s": float(cpu), "peak_rss_mb": int(peak_kb) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--formats", default="duckdb,parquet,csv,jsonl")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        began = time.perf_counter()
        run, metrics = write_run(work / "run", args.articles)
        made = time.perf_counter() - began
        size = (run / "facts.jsonl").stat().st_size / 1e6
        lines = [
            f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}. Printed by `python bench/export.py`.",
            "",
            f"Input: {args.articles:,} generated articles, {metrics:,} metrics, facts.jsonl {size:.0f} MB "
            f"(generated in {made:.0f} s, not timed below).",
            "",
            "| export | wall time (CPU time) | target | peak RSS | target | ratio (time, memory) |",
            "|---|---|---|---|---|---|",
        ]
        empty = work / "empty"
        empty.mkdir()
        (empty / "facts.jsonl").write_text("", encoding="utf-8")
        base = export_once(empty, work / "empty.duckdb", "duckdb")
        lines.append(
            f"| `extractor export --format duckdb`: an empty run (the process before any row: imports, DuckDB) | "
            f"{base['wall_s']:.1f} s ({base['cpu_s']:.1f} s) |  | {base['peak_rss_mb']:.0f} MB |  |  |"
        )
        for format in args.formats.split(","):
            dest = work / ("facts.duckdb" if format == "duckdb" else f"out-{format}")
            row = export_once(run, dest, format)
            rows = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))["tables"] if dest.is_dir() else None
            entities = f", {rows['entities']:,} entities, {rows['conflicts']:,} conflicts" if rows else ""
            lines.append(
                f"| `extractor export --format {format}`: {args.articles:,} articles{entities} | "
                f"{row['wall_s']:.1f} s ({row['cpu_s']:.1f} s) | < {TARGET_S:.0f} s | {row['peak_rss_mb']:.0f} MB | < {TARGET_MB:.0f} MB | "
                f"{row['wall_s'] / TARGET_S:.2f}×, {row['peak_rss_mb'] / TARGET_MB:.2f}× |"
            )
        load = os.getloadavg()
        lines += [
            "",
            f"Load average over the runs (1, 5, 15 min): {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on {os.cpu_count()} cores.",
        ]
    report("export", "\n".join(lines), write=args.write_readme)


if __name__ == "__main__":
    main()
