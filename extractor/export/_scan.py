"""One article's facts → rows of the working store, names still unresolved.

Every name an article uses becomes a ``stg_names`` row (its key, the form written, the
role it plays, where it stands in the text); what the article says about two names
(an alias, a former name, an owner) becomes a ``stg_links`` row. A fact whose evidence
does not satisfy ``text[start:end] == evidence.text`` is not exported and is reported.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from ..models import ArticleFacts, Evidence
from ._declarations import declarations
from ._names import is_generic, name_key
from ._store import Store


@lru_cache(maxsize=200_000)
def _key(form: str | None) -> str | None:
    """The comparison key of a name, or None for no name or a generic word (监管, 银行)."""
    if not form or not form.strip():
        return None
    key = name_key(form)
    return None if is_generic(key) else key


def _locate(text: str, form: str, evidence: Evidence | None) -> tuple[int | None, int | None]:
    """Where ``form`` stands: inside the fact's evidence first, else its first occurrence."""
    at = text.find(form, evidence.start, evidence.end) if evidence is not None else -1
    if at < 0:
        at = text.find(form)
    return (at, at + len(form)) if at >= 0 else (None, None)


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def date_span(value: str | None) -> tuple[date | None, date | None]:
    """``2025-10-01`` → that day; ``2025-10`` → the month; ``2024`` → the year."""
    if not value:
        return None, None
    parts = value.strip()[:10].split("-")
    try:
        numbers = [int(part) for part in parts]
        if len(numbers) == 1:
            return date(numbers[0], 1, 1), date(numbers[0], 12, 31)
        if len(numbers) == 2:
            last = calendar.monthrange(numbers[0], numbers[1])[1]
            return date(numbers[0], numbers[1], 1), date(numbers[0], numbers[1], last)
        day = date(numbers[0], numbers[1], numbers[2])
        return day, day
    except ValueError:
        return None, None


def _finite(fact: BaseModel) -> bool:
    return all(math.isfinite(v) for v in fact.__dict__.values() if isinstance(v, float))


def _grounded(text: str, evidence: list[Evidence]) -> bool:
    return bool(evidence) and all(text[e.start : e.end] == e.text for e in evidence)


class Scanner:
    """Writes each article's rows to the store. ``seed_names``: every name the seed table
    lists, which an ``X旗下Y`` or a ``（以下简称…）`` may name as the owner or full name."""

    def __init__(self, store: Store, seed_names: list[str]) -> None:
        self.store = store
        self.seed_names = seed_names

    def problem(self, line: int, article_id: str | None, where: str, message: str) -> None:
        self.store.add("stg_problems", (line, article_id, where, message))

    def scan(self, line: int, facts: ArticleFacts) -> None:
        article, text = facts.article, facts.article.text
        aid = article.id
        add = self.store.add
        kept: dict[str, list[tuple[int, Any]]] = {}
        for kind in ("institutions", "metrics", "regulatory_actions", "products"):
            kept[kind] = []
            for index, fact in enumerate(getattr(facts, kind)):
                if not _finite(fact):
                    self.problem(line, aid, f"{kind}[{index}]", "a number is NaN or infinite: not exported")
                elif _grounded(text, fact.evidence):
                    kept[kind].append((index, fact))
                else:
                    self.problem(
                        line, aid, f"{kind}[{index}]", "evidence does not match the article text: not exported"
                    )

        names: dict[str, None] = {}  # the article's own name forms, in order
        seen: set[tuple[str, str]] = set()

        def name(
            index: int,
            role: str,
            form: str | None,
            kind: str | None,
            type_: str | None,
            country: str | None,
            evidence: Evidence | None,
        ) -> str | None:
            key = _key(form)
            if key is None or form is None:
                return None
            names.setdefault(form, None)
            if (form, role) in seen:
                return key  # one row per article, name and role: its first fact
            seen.add((form, role))
            start, end = _locate(text, form, evidence)
            ev = (evidence.text, evidence.start, evidence.end) if evidence is not None else (None, None, None)
            add("stg_names", (line, aid, index, role, key, form, kind, type_, country, start, end, *ev))
            return key

        def link(rule: str, a: str, b: str, evidence: tuple[str | None, int | None, int | None]) -> None:
            a_key, b_key = _key(a), _key(b)
            if a_key is not None and b_key is not None and a_key != b_key:
                add("stg_links", (line, aid, rule, a_key, a, b_key, b, *evidence))

        for index, inst in kept["institutions"]:
            ev = inst.evidence[0]
            name(index, "institution", inst.name, "institution", inst.type.value, inst.country, ev)
            for alias in inst.aliases:
                if alias and alias in text:
                    # the model's alias says nothing of what the name is on its own (微粒贷
                    # listed as 微众银行's alias is still a product): the link carries it
                    name(index, "alias", alias, None, None, None, ev)
                    link("aliases_field", alias, inst.name, (ev.text, ev.start, ev.end))
                elif alias:
                    self.problem(line, aid, f"institutions[{index}].aliases", f"{alias!r} is not in the text: ignored")
            if inst.parent:
                name(index, "parent", inst.parent, "institution", None, None, ev)
                link("parent_field", inst.name, inst.parent, (ev.text, ev.start, ev.end))
        for index, product in kept["products"]:
            ev = product.evidence[0]
            name(index, "product", product.name, "product", product.type.value, None, ev)
            if product.provider:
                name(index, "provider", product.provider, "institution", None, None, ev)
                link("provider_field", product.name, product.provider, (ev.text, ev.start, ev.end))
        for index, metric in kept["metrics"]:
            name(index, "metric_subject", metric.subject, None, None, None, metric.evidence[0])
        for index, action in kept["regulatory_actions"]:
            ev = action.evidence[0]
            name(index, "regulator", action.regulator, "institution", None, None, ev)
            name(index, "target", action.target, "institution", None, None, ev)

        own = list(names)
        for number, found in enumerate(declarations(text, own, own + self.seed_names)):
            span_text = text[found.start : found.end]
            ev_row = (span_text, found.start, found.end)
            ev = Evidence(text=span_text, start=found.start, end=found.end)
            if found.rule == "qixia":
                name(number, "owner", found.second, "institution", None, None, ev)
                link("qixia", found.first, found.second, ev_row)
            else:
                role = "declared_alias" if found.rule == "declared_alias" else "former_name"
                name(number, role, found.first, "institution", None, None, ev)
                name(number, "declared_full", found.second, "institution", None, None, ev)
                link(found.rule, found.first, found.second, ev_row)

        for index, metric in kept["metrics"]:
            ev = metric.evidence[0]
            period_start, period_end = _day(metric.period_start), _day(metric.period_end)
            for label, raw, parsed in (
                ("period_start", metric.period_start, period_start),
                ("period_end", metric.period_end, period_end),
            ):
                if raw and parsed is None:
                    self.problem(line, aid, f"metrics[{index}].{label}", f"{raw!r} is not an ISO date: left empty")
            add(
                "stg_metrics",
                (
                    line,
                    aid,
                    index,
                    metric.subject,
                    _key(metric.subject),
                    metric.metric.value,
                    metric.name,
                    metric.value,
                    metric.value_max,
                    metric.unit,
                    metric.raw,
                    metric.qualifier.value,
                    period_start,
                    period_end,
                    metric.period_text,
                    ev.text,
                    ev.start,
                    ev.end,
                    len(metric.evidence),
                ),
            )
        for index, action in kept["regulatory_actions"]:
            ev = action.evidence[0]
            start, end = date_span(action.date)
            add(
                "stg_actions",
                (
                    line,
                    aid,
                    index,
                    action.regulator,
                    _key(action.regulator),
                    action.target,
                    _key(action.target),
                    action.action.value,
                    action.summary,
                    action.amount,
                    action.currency,
                    action.date,
                    start,
                    end,
                    list(action.reasons),
                    ev.text,
                    ev.start,
                    ev.end,
                    len(action.evidence),
                ),
            )
        for index, product in kept["products"]:
            ev = product.evidence[0]
            add(
                "stg_products",
                (
                    line,
                    aid,
                    index,
                    product.name,
                    _key(product.name),
                    product.provider,
                    _key(product.provider),
                    product.type.value,
                    product.launched,
                    date_span(product.launched)[0],
                    product.annual_rate_min,
                    product.annual_rate_max,
                    product.credit_limit_min,
                    product.credit_limit_max,
                    product.max_term_months,
                    list(product.features),
                    ev.text,
                    ev.start,
                    ev.end,
                    len(product.evidence),
                ),
            )

        meta = facts.meta
        extra = meta.model_extra or {}
        version = extra.get("extractor_version") or extra.get("version")
        published = _timestamp(article.published_at)
        if article.published_at and published is None:
            self.problem(line, aid, "article.published_at", f"{article.published_at!r} is not ISO 8601: left empty")
        origin = article.origin
        add(
            "stg_articles",
            (
                line,
                aid,
                article.title,
                article.source,
                published,
                article.published_at,
                article.language,
                origin.path if origin else None,
                origin.index if origin else None,
                text,
                meta.model,
                meta.provider,
                meta.prompt_version,
                str(version) if version is not None else None,
                _timestamp(meta.extracted_at),
                list(facts.warnings),
                len(kept["institutions"]),
                len(kept["metrics"]),
                len(kept["regulatory_actions"]),
                len(kept["products"]),
            ),
        )
