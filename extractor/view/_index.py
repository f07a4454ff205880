"""The report's first page: every article of the run, with what to search and filter by."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..models import ArticleFacts
from ._facts import KIND_LABELS, KINDS, names_in
from ._html import attr, text_html

# A row's search text includes the article's body up to this many characters: enough
# to find an article by what it says, without making a 1,000-article report twice as big.
SEARCH_TEXT_CHARS = 20_000


@dataclass
class IndexRow:
    """One article (or failed article) in the index, with the values the filters test."""

    html: str
    filters: dict[str, Any]


@dataclass
class Totals:
    articles: int = 0
    failed: int = 0
    warnings: int = 0
    facts: Counter[str] = field(default_factory=Counter)
    institutions: Counter[str] = field(default_factory=Counter)  # name → articles naming it
    metrics: Counter[str] = field(default_factory=Counter)  # metric kind → articles with it


def _cells(values: list[tuple[str, str]]) -> str:
    return "".join(f'<td class="{cls}">{text_html(value)}</td>' for cls, value in values)


def article_row(number: int, facts: ArticleFacts, totals: Totals) -> IndexRow:
    article = facts.article
    counts = facts.fact_counts()
    names = sorted(names_in(facts))
    metric_kinds = sorted({m.metric.value for m in facts.metrics})
    totals.articles += 1
    totals.warnings += bool(facts.warnings)
    totals.facts.update(counts)
    totals.institutions.update({i.name for i in facts.institutions})
    totals.metrics.update(metric_kinds)
    title = article.title or article.id
    html = (
        f'<tr data-id="{attr(article.id)}" class="ok{" warn" if facts.warnings else ""}">'
        f'<td class="num">{number}</td>'
        f'<td class="title"><a href="#{attr(article.id)}">{text_html(title)}</a></td>'
        + _cells([("src", article.source or ""), ("date", (article.published_at or "").replace("T", " "))])
        + _cells([("num", str(counts[kind]) if counts[kind] else "") for kind in KINDS])
        + _cells([("num w", str(len(facts.warnings)) if facts.warnings else "")])
        + "</tr>"
    )
    searchable = [title, article.source or "", article.published_at or "", article.id, *names]
    searchable += [m.name for m in facts.metrics] + [p.name for p in facts.products]
    searchable += [a.summary for a in facts.regulatory_actions] + facts.warnings + [article.text[:SEARCH_TEXT_CHARS]]
    filters = {
        "id": article.id,
        "q": "\n".join(searchable).lower(),
        "inst": names,
        "metric": metric_kinds,
        "kind": [kind for kind in KINDS if counts[kind]],
        "status": "ok",
        "warn": len(facts.warnings),
        "sort": {
            "n": number,
            "title": title,
            "source": article.source or "",
            "date": article.published_at or "",
            **counts,
            "warnings": len(facts.warnings),
        },
    }
    return IndexRow(html, filters)


def failed_row(number: int, error: Mapping[str, Any], totals: Totals) -> IndexRow:
    totals.failed += 1
    error_id = str(error.get("id"))
    title = str(error.get("title") or error.get("source") or error_id)
    reason = " · ".join(str(error[k]) for k in ("stage", "error_type") if error.get(k))
    message = str(error.get("message") or "")
    html = (
        f'<tr data-id="{attr(error_id)}" class="failed">'
        f'<td class="num">{number}</td>'
        f'<td class="title"><a href="#{attr(error_id)}">{text_html(title)}</a> <span class="badge failed">failed</span>'
        f'<div class="err"><b>{text_html(reason)}</b> {text_html(message)}</div></td>'
        + _cells([("src", str(error.get("source") or "")), ("date", "")])
        + '<td class="num"></td>' * (len(KINDS) + 1)
        + "</tr>"
    )
    searchable = [title, str(error.get("source") or ""), error_id, reason, message]
    filters = {
        "id": error_id,
        "q": "\n".join(searchable).lower(),
        "inst": [],
        "metric": [],
        "kind": [],
        "status": "failed",
        "warn": 0,
        "sort": {"n": number, "title": title, "source": str(error.get("source") or ""), "date": "", "warnings": 0},
    }
    return IndexRow(html, filters)


def _options(label: str, element_id: str, values: list[tuple[str, str]]) -> str:
    options = "".join(f'<option value="{attr(value)}">{text_html(text)}</option>' for value, text in values)
    return (
        f'<label class="filter">{text_html(label)} <select id="{element_id}">'
        f'<option value="">any</option>{options}</select></label>'
    )


def _header_cell(key: str, label: str, numeric: bool = False) -> str:
    button = f'<button type="button" data-sort="{key}">{text_html(label)}</button>'
    return f'<th class="num">{button}</th>' if numeric else f"<th>{button}</th>"


def _most_first(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def index_page(title: str, rows: list[IndexRow], totals: Totals, notices: list[str]) -> str:
    facts = " · ".join(f"{totals.facts[kind]} {KIND_LABELS[kind]}s" for kind in KINDS)
    summary = f"{totals.articles} articles · {totals.failed} failed · {totals.warnings} with warnings · facts: {facts}"
    notice_html = ""
    if notices:
        items = "".join(f"<li>{text_html(n)}</li>" for n in notices)
        notice_html = f'<section class="warnings notices"><h2>read with problems</h2><ul>{items}</ul></section>'
    institutions = [(name, f"{name} ({n})") for name, n in _most_first(totals.institutions)]
    metrics = [(kind, f"{kind} ({n})") for kind, n in _most_first(totals.metrics)]
    kinds = [(kind, f"{KIND_LABELS[kind]} ({totals.facts[kind]})") for kind in KINDS]
    status = [("ok", "extracted"), ("warn", "with warnings"), ("failed", "failed")]
    filters = (
        '<div class="filters" role="search">'
        '<input type="search" id="q" placeholder="search titles, text, names, errors…" aria-label="search">'
        + _options("institution", "f-inst", institutions)
        + _options("metric", "f-metric", metrics)
        + _options("fact type", "f-kind", kinds)
        + _options("status", "f-status", status)
        + f'<span id="shown" aria-live="polite">{len(rows)} of {len(rows)}</span></div>'
    )
    head = (
        _header_cell("n", "#", True)
        + _header_cell("title", "title")
        + _header_cell("source", "source")
        + _header_cell("date", "date")
        + "".join(_header_cell(kind, KIND_LABELS[kind] + "s", True) for kind in KINDS)
        + _header_cell("warnings", "warnings", True)
    )
    body = "".join(row.html for row in rows)
    empty = "" if rows else '<p class="none">This report has no articles.</p>'
    return (
        f'<main id="index"><header class="top"><h1>{text_html(title)}</h1><p class="meta">{text_html(summary)}</p>'
        f"</header>{notice_html}{filters}"
        '<p id="missing" class="warnings" hidden>No article <code></code> in this report.</p>'
        f'<div class="scroll"><table id="articles"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        f"{empty}</main>"
    )
