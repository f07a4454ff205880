"""Extraction quality on the gold sets: the pipeline vs. a one-call baseline, same model.

    python bench/quality.py [--gold DIR ...] [--skip-baseline] [--explain] [--write-readme]

Runs the embedded model (or EXTRACTOR_BASE_URL) over the articles of each gold set
(default: ``../shared/gold/dev``, the seed articles with gold, and ``dev-corpus``, public
corpus articles named by their gold's ``file``), scores them with ``extractor eval``'s
scorer and prints precision/recall/F1 per fact type (strict and lenient) with seconds and
tokens per article; ``--explain`` lists each article's extra, missed and not-strict
facts; ``--write-readme`` replaces the quality table in the READMEs. Model answers are
cached, so a rerun after a code-only change costs seconds; ``--no-cache`` measures fresh.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

# QUALITY_ROOT: score another checkout's code with this script (embedded_speed.py
# --layout-against compares two checkouts so).
HERE = Path(__file__).resolve().parent.parent
ROOT = Path(os.environ.get("QUALITY_ROOT") or HERE).resolve()
sys.path.insert(0, str(HERE))
from bench.readme_table import report  # this tree's, whichever checkout is scored

sys.path.insert(0, str(ROOT))
from extractor import ExtractionError
from extractor.articles import load
from extractor.config import Config, cache_root
from extractor.evaluate import FACT_TYPES, evaluate
from extractor.llm import ModelCaller
from extractor.models import (
    Article,
    ArticleFacts,
    FinancialMetric,
    Institution,
    Product,
    RegulatoryAction,
)
from extractor.numbers import parse_figure
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


CORPUS = ROOT.parent / "shared" / "corpus"
GOLD = ROOT.parent / "shared" / "gold"


def gold_articles(gold_dir: Path) -> tuple[list[dict[str, Any]], list[Article]]:
    """Gold files and the articles they describe, in the same order.

    A gold file with a ``file`` names its article in the public corpora
    (``corpus/<file>``); one without is a seed article, found by its title in the digest.
    The article's title is set to the gold's, which is how the scorer pairs them (a
    corpus file without a title line has its first line as the gold title).
    """
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(gold_dir.glob("*.json"))]
    seeds = {_fold(a.title): a for a in load([SEED]) if isinstance(a, Article)}
    articles: list[Article] = []
    for gold in golds:
        title = gold["article"].get("title")
        if gold.get("file"):
            found = [a for a in load([CORPUS / gold["file"]]) if isinstance(a, Article)]
            if not found:
                raise SystemExit(f"cannot read {CORPUS / gold['file']}")
            article = found[0]
            if _fold(article.title) != _fold(title):
                article = article.model_copy(update={"title": title})
        else:
            if _fold(title) not in seeds:
                raise SystemExit(f"no seed article titled {title!r}")
            article = seeds[_fold(title)]
        articles.append(article)
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


def _line(kind: str, fact: dict[str, Any]) -> str:
    if kind == "metrics":
        return (
            f"{fact.get('subject')} | {fact.get('metric')} {fact.get('name')!r} | {fact.get('raw')} = {fact.get('value')}"
            f" {fact.get('unit')} | {fact.get('period_start')}..{fact.get('period_end')}"
        )
    if kind == "regulatory_actions":
        return f"{fact.get('action')} | {fact.get('regulator')} -> {fact.get('target')} | {fact.get('date')}"
    if kind == "products":
        return f"{fact.get('name')} | {fact.get('type')} | by {fact.get('provider')}"
    return f"{fact.get('name')} {fact.get('aliases') or ''} | {fact.get('type')} | parent {fact.get('parent')}"


def explain(golds: list[dict[str, Any]], predictions: list[dict[str, Any]]) -> str:
    """Per article: what was extracted that no gold fact matches (+), what gold facts
    were missed (-), leniently; and (~) what matched leniently but not strictly."""
    # imported here: embedded_speed.py runs this script on older checkouts without it
    from extractor.evaluate import unmatched
    by_title = {_fold(p["article"].get("title")): p for p in predictions}
    out = []
    for gold in golds:
        title = gold["article"].get("title") or ""
        pred = by_title.get(_fold(title), {})
        out.append(f"## {gold.get('file') or title[:40]}")
        lenient = unmatched(pred, gold, strict=False)
        strict = unmatched(pred, gold, strict=True)
        for kind in FACT_TYPES:
            extra, missed = lenient[kind]
            for fact in extra:
                out.append(f"  + {kind[:4]} {_line(kind, fact)}")
            for fact in missed:
                out.append(f"  - {kind[:4]} {_line(kind, fact)}")
            for fact in strict[kind][1]:
                if fact not in missed:
                    out.append(f"  ~ {kind[:4]} {_line(kind, fact)}")
    return "\n".join(out)


def invariants(predictions: list[dict[str, Any]]) -> str:
    """The two promises every fact keeps, counted over the pipeline's predictions: each
    evidence span is the article's text at its offsets, each metric value is
    ``parse_figure(raw)``."""
    spans = exact = metrics = computed = 0
    for prediction in predictions:
        text = prediction["article"]["text"]
        for kind in FACT_TYPES:
            for fact in prediction.get(kind) or []:
                for evidence in fact.get("evidence") or []:
                    spans += 1
                    exact += text[evidence["start"] : evidence["end"]] == evidence["text"]
        for metric in prediction.get("metrics") or []:
            metrics += 1
            figure = parse_figure(metric["raw"])
            computed += (figure.value, figure.value_max) == (metric["value"], metric.get("value_max"))
    return f"evidence spans exact: {exact}/{spans}; metric values = parse_figure(raw): {computed}/{metrics}"


def table(rows: list[tuple[str, str, int, dict[str, Any], dict[str, float]]], model: str) -> str:
    lines = [
        f"Model `{model}`, 2 cores. Printed by `python bench/quality.py`.",
        "",
        "| gold | run | fact type | lenient P | lenient R | lenient F1 | strict P | strict R | strict F1 | s/article | tokens/article |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for gold, name, articles, scores, cost in rows:
        for kind in (*FACT_TYPES, "micro"):
            le, st = scores["lenient"][kind], scores["strict"][kind]
            time_cells = f"{cost['s_per_article']:.0f} | {cost['tokens_per_article']:.0f}" if kind == "micro" else " | "
            label = f"**{kind}**" if kind == "micro" else kind
            lines.append(
                f"| {gold} ({articles}) | {name} | {label} | {le['precision']:.2f} | {le['recall']:.2f} | {le['f1']:.2f} "
                f"| {st['precision']:.2f} | {st['recall']:.2f} | {st['f1']:.2f} | {time_cells} |"
            )
    return "\n".join(lines)


def _baseline(
    args: argparse.Namespace, config: Config, gold_name: str, articles: list[Article]
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    saved = args.baseline_file.with_name(f"{args.baseline_file.stem}-{gold_name}{args.baseline_file.suffix}") if args.baseline_file else None
    stored = json.loads(saved.read_text(encoding="utf-8")) if saved and saved.exists() else {}
    if stored.get("mode") == args.baseline_mode:  # the baseline does not change with our code
        return stored["predictions"], stored["cost"]
    predictions, cost = asyncio.run(run_baseline(config, articles, args.baseline_mode))
    if saved:
        record = {"mode": args.baseline_mode, "predictions": predictions, "cost": cost}
        saved.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return predictions, cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gold",
        type=Path,
        action="append",
        help="a folder of gold files; repeat for several (default: ../shared/gold/dev and dev-corpus)",
    )
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument(
        "--baseline-file", type=Path, help="keep the baseline's answers here (one file per gold set) and reuse them"
    )
    parser.add_argument(
        "--baseline-mode",
        default="tools",
        choices=["tools", "json", "llama_json"],
        help="instructor mode of the baseline call (tools: instructor's default, a forced function call)",
    )
    parser.add_argument("--save", type=Path, help="write the pipeline's predictions here (JSONL, every gold set)")
    parser.add_argument("--json", dest="as_json", type=Path, help="write every score here as JSON")
    parser.add_argument("--explain", action="store_true", help="print each article's extra, missed and not-strict facts")
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="score the pipeline's records in this output folder (e.g. out/ of `make demo`) instead of running it",
    )
    args = parser.parse_args()
    config = Config.from_env(cache=False if args.no_cache else None)
    gold_dirs = args.gold or [GOLD / "dev", GOLD / "dev-corpus"]
    rows: list[tuple[str, str, int, dict[str, Any], dict[str, float]]] = []
    saved_predictions: list[dict[str, Any]] = []
    model = "?"
    for gold_dir in gold_dirs:
        golds, articles = gold_articles(gold_dir)
        if args.source:
            predictions, cost = from_output(args.source, articles)
        else:
            predictions, cost = asyncio.run(run_pipeline(config, articles))
        titles = {a.id: a.title for a in articles}
        for prediction in predictions:  # the gold's title: how the scorer pairs them
            prediction["article"]["title"] = titles.get(prediction["article"]["id"], prediction["article"]["title"])
        saved_predictions += predictions
        model = predictions[0]["meta"]["model"] if predictions else model
        rows.append((gold_dir.name, "pipeline", len(articles), evaluate(golds, predictions), cost))
        if args.explain:
            print(explain(golds, predictions))
        if not args.skip_baseline:
            base_predictions, base_cost = _baseline(args, config, gold_dir.name, articles)
            rows.append((gold_dir.name, f"baseline ({args.baseline_mode})", len(articles), evaluate(golds, base_predictions), base_cost))
    if args.save:
        args.save.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in saved_predictions), encoding="utf-8")
    if args.as_json:
        args.as_json.write_text(json.dumps([{"gold": g, "run": r, "articles": n, "scores": s, "cost": c} for g, r, n, s, c in rows], ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"pipeline, every gold set: {invariants(saved_predictions)}")
    report("quality", table(rows, model), write=args.write_readme, headline_rows=lambda row: "**micro**" in row)


if __name__ == "__main__":
    main()
