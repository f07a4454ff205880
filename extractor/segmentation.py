"""Where sentences and clauses begin and end, for every reader of an article's text.

One set of marks: sentence stops (。！？!?；; and line ends), the bullets of a digest
export (`` - ``), reference marks (``[3] ``) and clause commas. Three readers cut at them,
each for what it needs:

- ``sentence_start``: where the sentence holding a position begins (metric keywords,
  subjects and period phrases are looked for only in their own sentence);
- ``sentences``: every statement's span (rules that read one statement at a time);
- ``clause_bounds``: where the clause that a fact's evidence quotes begins and ends
  (``Grounder.sentence_around``).

``chunking`` cuts long articles at the same stops.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

SENTENCE_STOPS = "。！？!?；;\n"
BULLET = " - "  # a digest export's bullet between statements
CLAUSE_MARKS = ",，;；"  # inside a sentence

_STOP = re.compile(rf"[{re.escape(SENTENCE_STOPS)}]")
# one character each and the rest a lookahead: overlapping occurrences count, as with
# rfind; a literal first character lets the regex engine skip straight to it
_DASH = re.compile(r" (?=- )")
_BRACKET = re.compile(r"\](?= )")
_SPACE_BEFORE_MARK = re.compile(r" (?=[-\[])")  # " -" (a digest bullet) or " [" (a reference)


def sentence_start(text: str, position: int, *, window: int = 80, brackets: bool = True) -> int:
    """Where the sentence (or digest bullet) holding ``position`` begins, looking back at
    most ``window`` characters; with ``brackets``, a reference mark "] " ends one too."""
    lo = max(0, position - window)
    ends, starts = _sentence_marks(text)[1 if brackets else 0]
    at = bisect_right(ends, position) - 1  # the last mark that ends by the position
    return ends[at] if at >= 0 and starts[at] >= lo else lo


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence or digest bullet, the marks between them left out.

    Marks are taken left to right; a bullet that overlaps the one before (" - - ") is
    part of it."""
    ends, starts = _sentence_marks(text)[0]
    spans, at = [], 0
    for start, end in zip(starts, ends, strict=True):  # by end is by start: stops and bullets never nest
        if start < at:
            continue
        if start > at:
            spans.append((at, start))
        at = end
    if at < len(text):
        spans.append((at, len(text)))
    return spans


@lru_cache(maxsize=8)
def _sentence_marks(text: str) -> tuple[tuple[list[int], list[int]], tuple[list[int], list[int]]]:
    """(ends, starts) of the marks a sentence begins after, by end, once per article:
    stops and " - " bullets; then the same with "] ". Marks never nest, so the last one to
    end by a position is the nearest; it counts when it starts inside the window."""
    stops = [(match.end(), match.start()) for match in _STOP.finditer(text)]
    dashes = [(match.start() + 3, match.start()) for match in _DASH.finditer(text)]
    brackets = [(match.start() + 2, match.start()) for match in _BRACKET.finditer(text)]
    return _by_end(stops + dashes), _by_end(stops + dashes + brackets)


def _by_end(marks: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    marks.sort()
    return [end for end, _ in marks], [start for _, start in marks]


def clause_bounds(text: str) -> tuple[list[int], list[int]]:
    """Where clauses may begin (after a stop or a digest bullet) and where they end (at a
    stop, a bullet or a reference mark), each sorted."""
    stops = [match.start() for match in _STOP.finditer(text)]
    marks = [match.start() for match in _SPACE_BEFORE_MARK.finditer(text)]
    lefts = sorted([at + 1 for at in stops] + [at + 2 for at in marks if text[at + 1] == "-"])
    return lefts, sorted(stops + marks)
