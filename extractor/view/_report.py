"""The whole report: one HTML document with its styles, script and every page inside.

The index is markup from the start; each article's page is pre-rendered markup kept
inert in a ``<script type="text/html">`` and put into the document only when it is
opened, so a report of 1,000 articles holds one article's highlights at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ..models import ArticleFacts
from ._article import article_page, failed_page
from ._html import attr, script_html, script_json, text_html
from ._index import IndexRow, Totals, article_row, failed_row, index_page

FactsRecord = ArticleFacts | Mapping[str, Any]


@dataclass
class Report:
    html: str
    articles: int = 0
    failed: int = 0
    highlights: int = 0
    unplaced: int = 0  # evidence whose offsets do not match the text: listed, not highlighted
    notices: list[str] = field(default_factory=list)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def build_report(
    facts: Iterable[FactsRecord],
    errors: Iterable[Mapping[str, Any]] = (),
    *,
    title: str = "Extracted facts",
    notices: Iterable[str] = (),
) -> Report:
    """The report of a run and what went into it.

    ``facts`` are ``ArticleFacts`` (or their JSON objects), ``errors`` the records of
    ``errors.jsonl``. ``notices`` (problems met while reading them) is read after both,
    so a reader may fill it as it goes. An article that appears twice is shown once
    (the first record), and an error record for an article that has facts is not shown
    as a failure; both are named in the notices.
    """
    pages: list[tuple[str, ArticleFacts | Mapping[str, Any]]] = []
    seen: set[str] = set()
    problems: list[str] = []
    for record in facts:
        parsed = record if isinstance(record, ArticleFacts) else ArticleFacts.model_validate(record)
        if parsed.article.id in seen:
            problems.append(f"article {parsed.article.id} appears more than once; the first record is shown")
            continue
        seen.add(parsed.article.id)
        pages.append((parsed.article.id, parsed))
    for n, error in enumerate(errors):
        error_id = str(error.get("id") or f"failed-{n + 1}")
        if error_id in seen:
            problems.append(f"error record for {error_id} ignored: the article has facts")
            continue
        seen.add(error_id)
        pages.append((error_id, {**error, "id": error_id}))

    report = Report(html="")
    totals = Totals()
    rows: list[IndexRow] = []
    scripts: list[str] = []
    for n, (page_id, item) in enumerate(pages):
        previous_id = pages[n - 1][0] if n else None
        next_id = pages[n + 1][0] if n + 1 < len(pages) else None
        if isinstance(item, ArticleFacts):
            html, placement = article_page(item, previous_id, next_id)
            rows.append(article_row(n + 1, item, totals))
            report.highlights += len(placement.spans)
            report.unplaced += len(placement.unplaced)
        else:
            html = failed_page(item, previous_id, next_id)
            rows.append(failed_row(n + 1, item, totals))
        scripts.append(f'<script type="text/html" id="page-{attr(page_id)}">{script_html(html)}</script>')
    report.articles, report.failed = totals.articles, totals.failed
    report.notices = [*notices, *problems]

    data = {"rows": [row.filters for row in rows]}
    report.html = "".join(
        [
            "<!DOCTYPE html>\n",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="finfacts-extractor">',
            f"<title>{text_html(title)}</title>",
            f"<style>{_asset('report.css')}</style></head><body>",
            index_page(title, rows, totals, report.notices),
            '<main id="article" hidden></main>',
            '<div id="pop" role="tooltip" hidden></div>',
            f'<script type="application/json" id="report-data">{script_json(data)}</script>',
            *scripts,
            f"<script>{_asset('report.js')}</script>",
            "</body></html>\n",
        ]
    )
    return report


def render_report(
    facts: Iterable[FactsRecord],
    errors: Iterable[Mapping[str, Any]] = (),
    *,
    title: str = "Extracted facts",
    notices: Iterable[str] = (),
) -> str:
    """One self-contained HTML document for the articles' facts and the failed articles."""
    return build_report(facts, errors, title=title, notices=notices).html
