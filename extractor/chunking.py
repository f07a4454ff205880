"""Split long articles at paragraph or sentence boundaries, with overlap.

Offsets are kept relative to the whole article so that facts from any piece ground
against the full text.
"""

from __future__ import annotations

from dataclasses import dataclass

from .segmentation import BULLET, SENTENCE_STOPS


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int


def _last_boundary(window: str, marks: tuple[str, ...]) -> int:
    """The end of the last ``marks`` in ``window`` (0 when there is none)."""
    return max((window.rfind(m) + len(m) for m in marks if m in window), default=0)


# paragraphs, lines, sentences, digest bullets, English sentences, then words and clauses
_BOUNDARIES: tuple[tuple[str, ...], ...] = (
    ("\n\n",),
    ("\n",),
    tuple(SENTENCE_STOPS),
    (BULLET,),
    (". ",),
    (" ", "，", ","),
)


def _cut_point(text: str, lo: int, hi: int) -> int:
    """The best boundary in the second half of ``text[lo:hi]``, coarsest kind first."""
    window = text[lo:hi]
    for marks in _BOUNDARIES:
        best = _last_boundary(window, marks)
        if best > len(window) // 2:
            return lo + best
    return hi


def split_text(text: str, *, max_chars: int, overlap: int = 0) -> list[Chunk]:
    """Pieces no longer than ``max_chars`` that cover the text; each after the first
    starts up to ``overlap`` characters before the previous one ended."""
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    if len(text) <= max_chars:
        return [Chunk(0, len(text))]
    overlap = max(0, min(overlap, max_chars // 2))
    chunks: list[Chunk] = []
    start = 0
    while start < len(text):
        hi = min(len(text), start + max_chars)
        end = hi if hi == len(text) else _cut_point(text, start, hi)
        chunks.append(Chunk(start, end))
        if end >= len(text):
            break
        next_start = end - overlap
        if overlap:
            # begin the overlap at a sentence start when one is near
            back = text.rfind("。", next_start, end)
            if back >= 0:
                next_start = back + 1
            elif (stop := text.rfind(". ", next_start, end)) >= 0:  # English: after the full stop and its space
                next_start = stop + 2
        start = max(next_start, start + 1)
    return chunks
