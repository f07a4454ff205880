"""Where sentences and clauses begin and end, for every reader of an article's text.

One set of marks: sentence stops (。！？!?；; and line ends; in English, a full stop before
the next sentence's capital, not after Mr, Inc or U.S.), the bullets of a digest export
(`` - ``), reference marks (``[3] ``) and clause commas. Three readers cut at them, each
for what it needs:

- ``sentence_start``: where the sentence holding a position begins (metric keywords,
  subjects and period phrases are looked for only in their own sentence);
- ``sentences``: every statement's span (rules that read one statement at a time);
- ``clause_bounds``: where the clause that a fact's evidence quotes begins and ends
  (``Grounder.sentence_around``).

``chunking`` cuts long articles at the same stops. Windows are counted in Chinese
characters; over text with no Chinese in it they are three times as long (an English word
says about what a Chinese character says, in about three times the characters).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache

from .chars import CJK_RANGE, has_latin, is_cjk
from .lexicon import ABBREVIATIONS

SENTENCE_STOPS = "。！？!?；;\n"
BULLET = " - "  # a digest export's bullet between statements
CLAUSE_MARKS = ",，;；"  # inside a sentence

_STOP = re.compile(rf"[{re.escape(SENTENCE_STOPS)}]")
# a full stop after a word, a number or a closing mark, before what starts a sentence
_FULL_STOP = re.compile(r"\.(?<=[A-Za-z0-9%)\]\"”’']\.)(?=[ \u00a0]+[A-Z0-9\"“‘(\[]|[ \u00a0]*$)")  # dot first: fast
_WORD_BEFORE = re.compile(r"(?:[A-Za-z]+\.)*[A-Za-z]+$")
_ABBREVIATIONS = frozenset(a.casefold() for a in ABBREVIATIONS)
_CJK = re.compile(f"[{CJK_RANGE}]")
ENGLISH_WINDOW = 3  # how many times longer a window is over text with no Chinese in it
# one character each and the rest a lookahead: overlapping occurrences count, as with
# rfind; a literal first character lets the regex engine skip straight to it
_DASH = re.compile(r" (?=- )")
_BRACKET = re.compile(r"\](?= )")
_SPACE_BEFORE_MARK = re.compile(r" (?=[-\[])")  # " -" (a digest bullet) or " [" (a reference)


def sentence_start(text: str, position: int, *, window: int = 80, brackets: bool = True) -> int:
    """Where the sentence (or digest bullet) holding ``position`` begins, looking back at
    most ``window`` characters; with ``brackets``, a reference mark "] " ends one too."""
    lo = max(0, position - window)
    if has_latin(text) and not (position and is_cjk(text[position - 1])) and not _CJK.search(text, lo, position):
        lo = max(0, position - ENGLISH_WINDOW * window)
    ends, starts = _sentence_marks(text)[1 if brackets else 0]
    at = bisect_right(ends, position) - 1  # the last mark that ends by the position
    return ends[at] if at >= 0 and starts[at] >= lo else lo


def sentence_end(text: str, position: int) -> int:
    """Where the sentence (or digest bullet) holding ``position`` ends: at the next stop or
    bullet, or the text's end."""
    ends, starts = _sentence_marks(text)[0]
    at = bisect_left(starts, position)  # marks never nest: by start is by end
    return starts[at] if at < len(starts) else len(text)


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
    stops = [(match.end(), match.start()) for match in _stops(text)]
    dashes = [(match.start() + 3, match.start()) for match in _DASH.finditer(text)]
    brackets = [(match.start() + 2, match.start()) for match in _BRACKET.finditer(text)]
    return _by_end(stops + dashes), _by_end(stops + dashes + brackets)


def _stops(text: str) -> list[re.Match[str]]:
    """The sentence stops of ``text`` in order: the marks, and English full stops."""
    stops = list(_STOP.finditer(text))
    if "." in text:
        stops += [match for match in _FULL_STOP.finditer(text) if not _abbreviation_before(text, match.start())]
        stops.sort(key=lambda match: match.start())
    return stops


def _abbreviation_before(text: str, at: int) -> bool:
    """Whether the dot at ``at`` ends an abbreviation (Mr., Inc., U.S., No.), not a sentence."""
    word = _WORD_BEFORE.search(text, max(0, at - 12), at)
    if word is None:
        return False
    written = word.group()
    return "." in written or written.casefold() in _ABBREVIATIONS or (len(written) == 1 and written.isupper())


def _by_end(marks: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    marks.sort()
    return [end for end, _ in marks], [start for _, start in marks]


def clause_bounds(text: str) -> tuple[list[int], list[int]]:
    """Where clauses may begin (after a stop or a digest bullet) and where they end (at a
    stop, a bullet or a reference mark), each sorted."""
    stops = [match.start() for match in _stops(text)]
    marks = [match.start() for match in _SPACE_BEFORE_MARK.finditer(text)]
    lefts = sorted([at + 1 for at in stops] + [at + 2 for at in marks if text[at + 1] == "-"])
    return lefts, sorted(stops + marks)
