"""One article's page: the text with every evidence highlighted, its facts, its warnings.

Pages are rendered here ahead of time and kept inert in the report until opened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..models import ArticleFacts, Evidence
from ._facts import COLUMNS, KIND_LABELS, KINDS, SHORT, ShownFact, shown_facts
from ._html import attr, text_html
from ._spans import Span, render_text


@dataclass
class Placement:
    """Which evidences became highlights, and why the others could not."""

    spans: list[Span] = field(default_factory=list)
    highlight_of: dict[int, str] = field(default_factory=dict)  # id(evidence) → highlight id
    unplaced: list[tuple[ShownFact, Evidence, str]] = field(default_factory=list)


def why_unplaceable(text: str, evidence: Evidence) -> str | None:
    """None when ``text[start:end]`` is the quote, else what is wrong."""
    if evidence.start >= evidence.end:
        return "the quote is empty"
    if evidence.end > len(text):
        return f"offsets {evidence.start}–{evidence.end} lie beyond the text ({len(text)} characters)"
    found = text[evidence.start : evidence.end]
    if found != evidence.text:
        return f"the text at {evidence.start}–{evidence.end} reads “{found}”, not the quote"
    return None


def place(text: str, facts: list[ShownFact]) -> Placement:
    placement = Placement()
    for fact in facts:
        for evidence in fact.evidence:
            reason = why_unplaceable(text, evidence)
            if reason is not None:
                placement.unplaced.append((fact, evidence, reason))
                continue
            span = Span(evidence.start, evidence.end, fact.kind, fact.key, f"h{len(placement.spans)}")
            placement.spans.append(span)
            placement.highlight_of[id(evidence)] = span.id
    return placement


def _meta_line(facts: ArticleFacts) -> str:
    article, meta = facts.article, facts.meta
    origin = ""
    if article.origin is not None:
        origin = article.origin.path + (f" #{article.origin.index}" if article.origin.index is not None else "")
    items = [
        ("source", article.source or ""),
        ("published", article.published_at or ""),
        ("language", article.language),
        ("id", article.id),
        ("from", origin),
        ("model", meta.model),
        ("prompts", meta.prompt_version),
        ("answer", "from cache" if meta.cached else ""),
    ]
    return "".join(
        f'<span class="m"><span class="mk">{text_html(k)}</span> {text_html(v)}</span>' for k, v in items if v
    )


def _nav(previous_id: str | None, next_id: str | None) -> str:
    links = ['<a href="#">← all articles</a>']
    for target, rel, label in ((previous_id, "prev", "‹ previous"), (next_id, "next", "next ›")):
        links.append(f'<a href="#{attr(target)}" rel="{rel}">{label}</a>' if target else f"<span>{label}</span>")
    return f'<nav class="pager">{"".join(links)}</nav>'


def _legend(counts: Counter[str]) -> str:
    """A colour per fact type, with the article's number of facts of that type; its
    boxes hide and show that type's highlights."""
    items = "".join(
        f'<label class="key"><input type="checkbox" checked data-show-kind="{kind}">'
        f'<span class="chip k-{kind}"></span>{text_html(KIND_LABELS[kind])} '
        f'<span class="n">{counts[kind]}</span></label>'
        for kind in KINDS
    )
    return f'<div class="legend" role="group" aria-label="highlights by fact type">{items}</div>'


def _warnings(warnings: list[str], unplaced: list[tuple[ShownFact, Evidence, str]]) -> str:
    html = ""
    if warnings:
        items = "".join(f"<li>{text_html(w)}</li>" for w in warnings)
        html += (
            f'<section class="warnings"><h2>warnings <span class="n">{len(warnings)}</span></h2>'
            f"<ul>{items}</ul></section>"
        )
    if unplaced:
        items = "".join(
            f"<li><b>{text_html(KIND_LABELS[fact.kind])} {text_html(fact.headline)}</b>: "
            f"“{text_html(evidence.text)}” not highlighted: {text_html(reason)}</li>"
            for fact, evidence, reason in unplaced
        )
        html += (
            f'<section class="warnings unplaced"><h2>evidence not highlighted <span class="n">{len(unplaced)}</span>'
            f"</h2><ul>{items}</ul></section>"
        )
    return html


def _evidence_cell(fact: ShownFact, placement: Placement) -> str:
    parts = []
    for evidence in fact.evidence:
        highlight = placement.highlight_of.get(id(evidence))
        quote = text_html(evidence.text)
        if highlight is None:
            parts.append(f'<span class="ev missing" title="not highlighted">“{quote}”</span>')
        else:
            parts.append(
                f'<button type="button" class="ev" data-goto="{highlight}" title="{evidence.start}–{evidence.end}">'
                f"“{quote}”</button>"
            )
    return "".join(parts)


def _cell(value: str, short: bool) -> str:
    return f'<td class="nw">{text_html(value)}</td>' if short else f"<td>{text_html(value)}</td>"


def _tables(facts: list[ShownFact], placement: Placement) -> str:
    html = []
    for kind in KINDS:
        of_kind = [f for f in facts if f.kind == kind]
        if not of_kind:
            continue
        head = "".join(f"<th>{text_html(c)}</th>" for c in COLUMNS[kind])
        rows = "".join(
            f'<tr data-fact="{fact.key}" data-headline="{attr(fact.headline)}" tabindex="0">'
            + "".join(_cell(fact.fields[c], c in SHORT) for c in COLUMNS[kind])
            + f'<td class="evs">{_evidence_cell(fact, placement)}</td></tr>'
            for fact in of_kind
        )
        html.append(
            f'<h3><span class="chip k-{kind}"></span>{text_html(KIND_LABELS[kind])} '
            f'<span class="n">{len(of_kind)}</span></h3>'
            f'<div class="scroll"><table class="facts k-{kind}" data-label="{attr(KIND_LABELS[kind])}">'
            f"<thead><tr>{head}<th>evidence</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )
    if not html:
        html.append('<p class="none">No facts were extracted from this article.</p>')
    return f'<section class="facts"><h2>facts</h2>{"".join(html)}</section>'


def article_page(facts: ArticleFacts, previous_id: str | None, next_id: str | None) -> tuple[str, Placement]:
    """The page's HTML, and where its evidence went (for the report's counts)."""
    shown = shown_facts(facts)
    text = facts.article.text
    placement = place(text, shown)
    counts = Counter(fact.kind for fact in shown)
    title = facts.article.title or facts.article.id
    html = (
        f'<article class="page" data-id="{attr(facts.article.id)}" data-title="{attr(title)}">'
        f"{_nav(previous_id, next_id)}"
        f'<header><h1>{text_html(title)}</h1><p class="meta">{_meta_line(facts)}</p></header>'
        f"{_warnings(facts.warnings, placement.unplaced)}"
        f"{_legend(counts)}"
        f'<div class="body" lang="{attr(facts.article.language or "und")}">{render_text(text, placement.spans)}</div>'
        f"{_tables(shown, placement)}"
        "</article>"
    )
    return html, placement


def failed_page(error: Mapping[str, Any], previous_id: str | None, next_id: str | None) -> str:
    """A failed article: where it came from and why it failed, from its errors.jsonl record."""
    title = str(error.get("title") or error.get("source") or error.get("id") or "failed article")
    fields = [
        ("source", error.get("source")),
        ("index in source", error.get("index")),
        ("stage", error.get("stage")),
        ("error", error.get("error_type")),
        ("message", error.get("message")),
        ("id", error.get("id")),
    ]
    rows = "".join(
        f"<dt>{text_html(name)}</dt><dd>{text_html(str(value))}</dd>" for name, value in fields if value is not None
    )
    return (
        f'<article class="page failed" data-id="{attr(error.get("id", ""))}" data-title="{attr(title)}">'
        f"{_nav(previous_id, next_id)}"
        f'<header><h1>{text_html(title)}</h1><p class="meta"><span class="badge failed">failed</span></p></header>'
        f'<section class="error"><p>This article has no facts: extraction failed.</p><dl>{rows}</dl></section>'
        "</article>"
    )
