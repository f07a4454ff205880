"""Scores against gold files in the contract's shape, paired by article title.

Strict: a fact's type fields, unit and period end agree too. Lenient: subject and
value for metrics, name for institutions and products, target (or regulator) and
action for regulatory actions. Gold facts whose ``note`` starts with OPTIONAL count
neither as hits nor as misses.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .chars import fold

FACT_TYPES = ("institutions", "metrics", "regulatory_actions", "products")
Fact = dict[str, Any]


def _fold(text: object) -> str:
    if text is None:
        return ""
    folded = fold(str(text))
    return "".join(c for c in folded if not (c.isspace() or unicodedata.category(c)[0] in "PZS"))


def _same_name(a: object, b: object, *, strict: bool) -> bool:
    x, y = _fold(a), _fold(b)
    if not x or not y:
        return x == y
    return x == y if strict else (x in y or y in x)


def _same_value(a: Any, b: Any) -> bool:  # JSON numbers, or strings of them
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)


def _names(fact: Fact) -> list[str]:
    return [fact.get("name", ""), *fact.get("aliases", [])]


def _match(kind: str, strict: bool) -> Callable[[Fact, Fact], bool]:
    if kind == "metrics":

        def metric(p: Fact, g: Fact) -> bool:
            ok = _same_name(p.get("subject"), g.get("subject"), strict=False) and _same_value(
                p.get("value"), g.get("value")
            )
            if ok and strict:
                ok = (
                    p.get("metric") == g.get("metric")
                    and p.get("unit") == g.get("unit")
                    and (p.get("period_end") or None) == (g.get("period_end") or None)
                )
            return ok

        return metric
    if kind in ("institutions", "products"):

        def entity(p: Fact, g: Fact) -> bool:
            ok = any(_same_name(n, m, strict=strict) for n in _names(p) for m in _names(g))
            return ok and (not strict or p.get("type") == g.get("type"))

        return entity

    def action(p: Fact, g: Fact) -> bool:
        p_who, g_who = p.get("target") or p.get("regulator"), g.get("target") or g.get("regulator")
        ok = p.get("action") == g.get("action") and _same_name(p_who, g_who, strict=False)
        if ok and strict:
            ok = str(p.get("date") or "")[:4] == str(g.get("date") or "")[:4]
        return ok

    return action


def unmatched(pred: dict[str, Any], gold: dict[str, Any], *, strict: bool) -> dict[str, tuple[list[Fact], list[Fact]]]:
    """Per fact type: the predictions no gold fact matched (false positives) and the
    required gold facts no prediction matched (misses), by greedy one-to-one matching."""
    found: dict[str, tuple[list[Fact], list[Fact]]] = {}
    for kind in FACT_TYPES:
        same = _match(kind, strict)
        gold_facts = list(gold.get(kind) or [])
        required = [g for g in gold_facts if not str(g.get("note", "")).startswith("OPTIONAL")]
        optional = [g for g in gold_facts if str(g.get("note", "")).startswith("OPTIONAL")]
        left = list(pred.get(kind) or [])
        missed = []
        for g in required:
            hit = next((p for p in left if same(p, g)), None)
            if hit is None:
                missed.append(g)
            else:
                left.remove(hit)
        for g in optional:
            hit = next((p for p in left if same(p, g)), None)
            if hit is not None:
                left.remove(hit)
        found[kind] = (left, missed)
    return found


def score_article(pred: dict[str, Any], gold: dict[str, Any], *, strict: bool) -> dict[str, dict[str, int]]:
    """tp/fp/fn per fact type for one article (greedy one-to-one matching)."""
    counts: dict[str, dict[str, int]] = {}
    for kind, (extra, missed) in unmatched(pred, gold, strict=strict).items():
        required = sum(1 for g in gold.get(kind) or [] if not str(g.get("note", "")).startswith("OPTIONAL"))
        counts[kind] = {"tp": required - len(missed), "fp": len(extra), "fn": len(missed)}
    return counts


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def _load_predictions(path: Path) -> list[dict[str, Any]]:
    if path.is_dir():
        facts = path / "facts.jsonl"
        if facts.exists():
            path = facts
        else:
            return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(path.glob("*.json"))]
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, list) else [loaded]


def evaluate(golds: list[dict[str, Any]], preds: list[dict[str, Any]]) -> dict[str, Any]:
    by_title = {_fold(p.get("article", {}).get("title")): p for p in preds}
    result: dict[str, Any] = {"articles": {"gold": len(golds), "paired": 0, "missing": []}}
    for strict in (False, True):
        totals = {kind: {"tp": 0, "fp": 0, "fn": 0} for kind in FACT_TYPES}
        for gold in golds:
            title = gold.get("article", {}).get("title")
            pred = by_title.get(_fold(title))
            if pred is None:
                if not strict:
                    result["articles"]["missing"].append(title)
                pred = {}
            elif not strict:
                result["articles"]["paired"] += 1
            for kind, counts in score_article(pred, gold, strict=strict).items():
                for key, value in counts.items():
                    totals[kind][key] += value
        label = "strict" if strict else "lenient"
        scores = {kind: _prf(**totals[kind]) for kind in FACT_TYPES}
        micro = {k: sum(totals[kind][k] for kind in FACT_TYPES) for k in ("tp", "fp", "fn")}
        scores["micro"] = _prf(**micro)
        result[label] = scores
    return result


def evaluate_paths(gold_dir: Path, predictions: Path) -> dict[str, Any]:
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(gold_dir.glob("*.json"))]
    return evaluate(golds, _load_predictions(predictions))


def format_scores(scores: dict[str, Any]) -> str:
    lines = [f"articles: {scores['articles']['paired']}/{scores['articles']['gold']} paired"]
    for title in scores["articles"]["missing"]:
        lines.append(f"  no prediction for: {title}")
    lines.append(f"{'type':<20}{'lenient P':>10}{'R':>7}{'F1':>7}{'strict P':>10}{'R':>7}{'F1':>7}")
    for kind in (*FACT_TYPES, "micro"):
        le, st = scores["lenient"][kind], scores["strict"][kind]
        lines.append(
            f"{kind:<20}{le['precision']:>10.2f}{le['recall']:>7.2f}{le['f1']:>7.2f}"
            f"{st['precision']:>10.2f}{st['recall']:>7.2f}{st['f1']:>7.2f}"
        )
    return "\n".join(lines)
