"""Extraction quality on the dev gold: the pipeline vs. a one-call baseline, same model.

    python bench/quality.py [--gold ../shared/gold/dev] [--write-readme]

Runs the embedded model (or EXTRACTOR_BASE_URL) over the seed articles that have gold,
scores both with ``extractor eval``'s scorer, prints precision/recall/F1 per fact type
(strict and lenient) with seconds and tokens per article, and with ``--write-readme``
replaces the quality table in bench/README.md (micro rows in README.md). Model answers are cached, so a rerun after a
code-only change costs seconds; ``--no-cache`` measures fresh.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.readme_table import report
from extractor.articles import load
from extractor.config import Config, cache_root
from extractor.evaluate import FACT_TYPES, evaluate
from extractor.llm import ExtractionError, ModelCaller
from extractor.models import (
    Article,
    ArticleFacts,
    FinancialMetric,
    Institution,
    Product,
    RegulatoryAction,
)
from extractor.pipeline import Extractor

SEED = ROOT / "tests" / "fixtures" / "weilidai-digest.txt"


class Quote(BaseModel):
    text: str


# The contract's fact models, with evidence as quotes only (no model can count offsets).
class BaselineInstitution(Institution):
    evidence: list[Quote] = Field(default_factory=list)  # type: ignore[assignment]


class BaselineMetric(FinancialMetric):
    evidence: list[Quote] = Field(default_factory=list)  # type: ignore[assignment]


class BaselineAction(RegulatoryAction):
    evidence: list[Quote] = Field(default_factory=list)  # type: ignore[assignment]


class BaselineProduct(Product):
    evidence: list[Quote] = Field(default_factory=list)  # type: ignore[assignment]


class BaselineFacts(BaseModel):
    """What a plain instructor user would ask for: the contract's facts in one call."""

    institutions: list[BaselineInstitution] = Field(default_factory=list)
    metrics: list[BaselineMetric] = Field(default_factory=list)
    regulatory_actions: list[BaselineAction] = Field(default_factory=list)
    products: list[BaselineProduct] = Field(default_factory=list)


def _fold(title: str | None) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", title or "") if c.isalnum())


def gold_articles(gold_dir: Path) -> tuple[list[dict[str, Any]], list[Article]]:
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(gold_dir.glob("*.json"))]
    wanted = {_fold(g["article"]["title"]) for g in golds}
    articles = [a for a in load([SEED]) if isinstance(a, Article) and _fold(a.title) in wanted]
    return golds, articles


COSTS = cache_root() / "quality-costs.json"


def _cost_key(facts: ArticleFacts) -> str:
    meta = facts.meta
    return f"{meta.model}|{meta.mode}|{meta.prompt_hash}|{facts.article.id}"


async def run_pipeline(config: Config, articles: list[Article]) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The pipeline over the gold articles. Seconds and tokens come from fresh calls: an
    article answered from the cache is costed by its last fresh run with the same model,
    mode and prompts (kept in ``COSTS``), else extracted once more without the cache."""
    costs = json.loads(COSTS.read_text(encoding="utf-8")) if COSTS.exists() else {}
    extractor = Extractor(config)
    timer = Extractor(config.with_(cache=False))
    predictions, spent = [], []
    try:
        for article in articles:
            began = time.perf_counter()
            facts = await extractor.extract(article)
            if not facts.meta.cached:
                costs[_cost_key(facts)] = [time.perf_counter() - began, facts.meta.usage.total_tokens]
            elif _cost_key(facts) not in costs:
                began = time.perf_counter()
                fresh = await timer.extract(article)
                costs[_cost_key(facts)] = [time.perf_counter() - began, fresh.meta.usage.total_tokens]
            spent.append(costs[_cost_key(facts)])
            predictions.append(facts.model_dump(mode="json"))
    finally:
        await extractor.aclose()
        await timer.aclose()
    COSTS.parent.mkdir(parents=True, exist_ok=True)
    COSTS.write_text(json.dumps(costs, indent=1), encoding="utf-8")
    n = max(1, len(spent))
    return predictions, {
        "s_per_article": sum(s for s, _ in spent) / n,
        "tokens_per_article": sum(t for _, t in spent) / n,
    }


def from_output(folder: Path, articles: list[Article]) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The records a batch run wrote for these articles, costed from their own meta."""
    wanted = {a.id for a in articles}
    records = [json.loads(line) for line in (folder / "facts.jsonl").read_text(encoding="utf-8").splitlines()]
    chosen = [r for r in records if r["article"]["id"] in wanted]
    fresh = [r for r in chosen if not r["meta"]["cached"]]
    if not fresh:
        raise SystemExit(f"{folder} holds no fresh (uncached) records for the gold articles: cannot cost them")
    return chosen, {
        "s_per_article": sum(r["meta"]["latency_s"] for r in fresh) / len(fresh),
        "tokens_per_article": sum(r["meta"]["usage"]["total_tokens"] for r in fresh) / len(fresh),
    }


async def run_baseline(
    config: Config, articles: list[Article], mode: str
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """One plain call per article: contract models, one-line instruction, same model."""
    extractor = Extractor(config)  # only for its backend and cache
    endpoint = await extractor.endpoint()
    caller = ModelCaller(config.with_(max_tokens=1536, mode=mode), endpoint)
    predictions, seconds, tokens = [], 0.0, 0
    try:
        for article in articles:
            messages = [
                {"role": "user", "content": f"Extract the financial facts from this article:\n\n{article.text}"}
            ]
            began = time.perf_counter()
            try:
                result = await caller.call(BaselineFacts, messages)
                facts = result.value.model_dump(mode="json")
                tokens += result.usage.total_tokens
            except ExtractionError as error:
                facts = {kind: [] for kind in FACT_TYPES}
                tokens += error.usage.total_tokens
                print(f"baseline failed on {article.title}: {error}", file=sys.stderr)
            seconds += time.perf_counter() - began
            predictions.append({"article": article.model_dump(mode="json"), **facts})
    finally:
        await caller.aclose()
        await extractor.aclose()
    n = max(1, len(articles))
    return predictions, {"s_per_article": seconds / n, "tokens_per_article": tokens / n}


def table(rows: list[tuple[str, dict[str, Any], dict[str, float]]], model: str, articles: int) -> str:
    lines = [
        f"Dev gold ({articles} seed articles), model `{model}`, 2 cores. Printed by `python bench/quality.py`.",
        "",
        "| run | fact type | lenient P | lenient R | lenient F1 | strict F1 | s/article | tokens/article |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, scores, cost in rows:
        for kind in (*FACT_TYPES, "micro"):
            le, st = scores["lenient"][kind], scores["strict"][kind]
            time_cells = f"{cost['s_per_article']:.0f} | {cost['tokens_per_article']:.0f}" if kind == "micro" else " | "
            label = f"**{kind}**" if kind == "micro" else kind
            lines.append(
                f"| {name} | {label} | {le['precision']:.2f} | {le['recall']:.2f} | {le['f1']:.2f} | {st['f1']:.2f} | {time_cells} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=ROOT.parent / "shared" / "gold" / "dev")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument(
        "--baseline-file", type=Path, help="keep the baseline's answers here and reuse them on later runs"
    )
    parser.add_argument(
        "--baseline-mode",
        default="tools",
        choices=["tools", "json", "llama_json"],
        help="instructor mode of the baseline call (tools: instructor's default, a forced function call)",
    )
    parser.add_argument("--save", type=Path, help="write the pipeline's predictions here (JSONL)")
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="score the pipeline's records in this output folder (e.g. out/ of `make demo`) instead of running it",
    )
    args = parser.parse_args()
    config = Config.from_env(cache=False if args.no_cache else None)
    golds, articles = gold_articles(args.gold)
    if args.source:
        predictions, cost = from_output(args.source, articles)
    else:
        predictions, cost = asyncio.run(run_pipeline(config, articles))
    if args.save:
        args.save.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions), encoding="utf-8")
    rows = [("pipeline", evaluate(golds, predictions), cost)]
    if not args.skip_baseline:
        saved = args.baseline_file
        stored = json.loads(saved.read_text(encoding="utf-8")) if saved and saved.exists() else {}
        if stored.get("mode") == args.baseline_mode:  # the baseline does not change with our code
            base_predictions, base_cost = stored["predictions"], stored["cost"]
        else:
            base_predictions, base_cost = asyncio.run(run_baseline(config, articles, args.baseline_mode))
            if saved:
                record = {"mode": args.baseline_mode, "predictions": base_predictions, "cost": base_cost}
                saved.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        rows.append((f"baseline ({args.baseline_mode})", evaluate(golds, base_predictions), base_cost))
    model = predictions[0]["meta"]["model"] if predictions else "?"
    text = table(rows, model, len(articles))
    if len(rows) == 2:
        ours, base = rows[0][1]["lenient"]["micro"]["f1"], rows[1][1]["lenient"]["micro"]["f1"]
        ratio = f"{ours / base:.1f}×" if base else "∞ (baseline scored 0)"
        text += f"\n\nLenient micro-F1: pipeline {ours:.2f} vs. baseline {base:.2f}, ratio {ratio}."
    report("quality", text, write=args.write_readme, headline_rows=lambda row: "**micro**" in row)


if __name__ == "__main__":
    main()
