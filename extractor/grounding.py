"""Quotes to offsets: every fact must point at a real span of ``article.text``.

Small models rewrite punctuation and width inside quotes (“” → ‘’, ， → ,), so a
quote that is not found verbatim is matched again with whitespace, punctuation and
width folded away, and the match is mapped back to the original offsets. The
evidence then carries the article's own characters, never the model's.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from functools import cached_property
from itertools import compress

from .chars import fold
from .models import Evidence
from .segmentation import clause_bounds


def _is_skippable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PZ" or char in "·•|"


class _FoldedChars(dict[str, str]):
    """What each character becomes in folded text ("" for spaces and punctuation),
    worked out on first sight; a plain dict lookup after that (bounded by the characters
    that exist)."""

    def __missing__(self, char: str) -> str:
        kept = "" if _is_skippable(char) else fold(char)
        folded = self[char] = "".join(piece for piece in kept if not _is_skippable(piece))
        return folded


_FOLDED = _FoldedChars()


class FoldedText:
    """A text with punctuation and spaces removed, and where each kept char came from.

    ``origin`` is worked out on first use: a quote that reaches the folded text is often
    not in it either (the model paraphrased), and then only ``folded`` is needed.
    """

    def __init__(self, text: str) -> None:
        self._pieces = list(map(_FOLDED.__getitem__, text))
        self.folded = "".join(self._pieces)

    @cached_property
    def origin(self) -> tuple[int, ...]:
        pieces = self._pieces
        if len(self.folded) == len(pieces) - pieces.count(""):  # every kept char folds to one char
            return tuple(compress(range(len(pieces)), pieces))
        origin: list[int] = []
        for index, piece in enumerate(pieces):  # NFKC can make several chars of one (㈠ → (一))
            origin.extend([index] * len(piece))
        return tuple(origin)


class Grounder:
    """Locates quotes in one article; folds the article once for many quotes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded: FoldedText | None = None
        self._bounds: tuple[list[int], list[int]] | None = None

    @property
    def folded(self) -> FoldedText:
        if self._folded is None:
            self._folded = FoldedText(self.text)
        return self._folded

    def locate(self, quote: str, *, near: int = 0) -> Evidence | None:
        """The span of ``quote`` (the first at or after ``near``, else the first at all)."""
        quote = quote.strip()
        needle = FoldedText(quote).folded
        if len(needle) < 2:
            return None
        start = self.text.find(quote, near)
        if start < 0:
            start = self.text.find(quote)
        if start >= 0:
            return Evidence(text=quote, start=start, end=start + len(quote))
        hay = self.folded
        at = hay.folded.find(needle)
        if at < 0:
            return None
        begin = hay.origin[at]
        end = hay.origin[at + len(needle) - 1] + 1
        end = self._extend_punctuation(quote, end)
        return Evidence(text=self.text[begin:end], start=begin, end=end)

    def _extend_punctuation(self, quote: str, end: int) -> int:
        """Keep closing marks the quote ends with (】, ”, ]) when the text has them too."""
        trailing = len(quote) - len(quote.rstrip("".join(c for c in set(quote) if _is_skippable(c))))
        while trailing and end < len(self.text) and _is_skippable(self.text[end]) and not self.text[end].isspace():
            end += 1
            trailing -= 1
        return end

    def sentence_around(self, start: int, end: int) -> Evidence:
        """The clause holding ``text[start:end]``, cut at sentence punctuation or bullets."""
        left, right = self._clause(start, end)
        return Evidence(text=self.text[left:right], start=left, end=right)

    def _clause(self, start: int, end: int) -> tuple[int, int]:
        if self._bounds is None:
            self._bounds = clause_bounds(self.text)
        lefts, rights = self._bounds
        text = self.text
        after = bisect_right(lefts, start)
        left = lefts[after - 1] if after else 0
        at = bisect_left(rights, end)
        right = rights[at] if at < len(rights) else len(text)
        while left < start and text[left].isspace():
            left += 1
        while right > end and text[right - 1].isspace():
            right -= 1
        return left, right
