"""Evidence spans placed in an article's text, in Python, from code-point offsets.

A DOM tree can hold spans that nest or sit apart, not spans that cross (``[0, 10)`` and
``[5, 15)``): one of them would have to be cut in two. So the spans are dealt into
*lanes*, each a set of spans that only nest or sit apart. Lane 0 is the visible text;
every further lane is the same text again, transparent and laid exactly over it, holding
the spans that cross one in a lane before it. Every span is then one element whose text
is exactly ``text[start:end]``, and every lane's text is the article unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ._html import attr, text_html

MAX_LEVEL = 5  # underline offsets beyond this would leave the line


@dataclass(frozen=True)
class Span:
    """One evidence of one fact, to be highlighted."""

    start: int
    end: int
    kind: str  # the fact list it belongs to: institutions, metrics, regulatory_actions, products
    fact: str  # the fact's key within its article, e.g. ``m3``
    id: str  # the highlight element's id, e.g. ``h12``


def _reading_order(spans: Iterable[Span]) -> list[Span]:
    """By start, the longer of two spans that start together first (it encloses the other)."""
    return sorted(spans, key=lambda s: (s.start, -s.end))


def deal_into_lanes(spans: Iterable[Span]) -> list[list[Span]]:
    """Spans into as few lanes as greedily found, each lane free of crossing spans.

    Within a lane the spans still open at a span's start form a stack, innermost last;
    the span fits when the innermost one encloses it (then all of them do).
    """
    lanes: list[list[Span]] = []
    open_spans: list[list[Span]] = []
    for span in _reading_order(spans):
        for lane, stack in zip(lanes, open_spans, strict=True):
            while stack and stack[-1].end <= span.start:
                stack.pop()
            if not stack or stack[-1].end >= span.end:
                lane.append(span)
                stack.append(span)
                break
        else:
            lanes.append([span])
            open_spans.append([span])
    return lanes


def levels(spans: Iterable[Span]) -> dict[str, int]:
    """A level per span such that spans sharing any character get different levels.

    Each highlight draws its underline at its level's offset, so nested, crossing and
    identical spans each stay visible (interval colouring, lowest free level first).
    """
    level_of: dict[str, int] = {}
    active: list[tuple[int, int]] = []  # (end, level) of spans still open
    for span in _reading_order(spans):
        active = [(end, level) for end, level in active if end > span.start]
        taken = {level for _, level in active}
        level = next(n for n in range(len(taken) + 1) if n not in taken)
        level_of[span.id] = level
        active.append((span.end, level))
    return level_of


def render_lane(text: str, lane: Sequence[Span], level_of: dict[str, int]) -> str:
    """The text as HTML with the lane's spans as ``<mark>`` elements, everything escaped."""
    parts: list[str] = []
    position = 0
    stack: list[Span] = []

    def close_through(limit: int) -> None:
        nonlocal position
        while stack and stack[-1].end <= limit:
            inner = stack.pop()
            parts.append(text_html(text[position : inner.end]))
            parts.append("</mark>")
            position = inner.end

    for span in _reading_order(lane):
        close_through(span.start)
        if stack and stack[-1].end < span.end:
            raise ValueError(f"spans cross within one lane: {stack[-1]} and {span}")
        parts.append(text_html(text[position : span.start]))
        position = span.start
        level = min(level_of.get(span.id, 0), MAX_LEVEL)
        parts.append(
            f'<mark class="hl k-{span.kind} d{level}" id="{attr(span.id)}" data-start="{span.start}"'
            f' data-end="{span.end}" data-kind="{attr(span.kind)}" data-fact="{attr(span.fact)}">'
        )
        stack.append(span)
    close_through(len(text))
    parts.append(text_html(text[position:]))
    return "".join(parts)


def render_text(text: str, spans: Iterable[Span]) -> str:
    """The article body: the visible lane, then the transparent lanes laid over it."""
    spans = list(spans)
    level_of = levels(spans)
    lanes = deal_into_lanes(spans) or [[]]
    html = [f'<div class="lane lane-main">{render_lane(text, lanes[0], level_of)}</div>']
    html += [
        f'<div class="lane lane-over" aria-hidden="true" data-lane="{n}">{render_lane(text, lane, level_of)}</div>'
        for n, lane in enumerate(lanes[1:], start=1)
    ]
    return f'<div class="text">{"".join(html)}</div>'
