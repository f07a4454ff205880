"""How characters are compared: one fold for names and quotes, one test for CJK.

``fold`` is what "the same text" means wherever a model's spelling is matched against
the article's (grounding, entity names, evaluation): full-width and compatibility forms
to their plain ones (NFKC), then case folded.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The CJK Unified Ideographs block, as a regular-expression character range.
CJK_RANGE = "\u4e00-\u9fff"


def fold(text: str) -> str:
    """NFKC, then casefold: ＷｅＢａｎｋ and webank fold alike; ㈠ becomes (一)."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_cjk(char: str) -> bool:
    """A Chinese character (a CJK Unified Ideograph); False for "" and everything else."""
    return "\u4e00" <= char <= "\u9fff"


def count_cjk(text: str) -> int:
    """How many of the characters are Chinese."""
    return sum(map(is_cjk, text))


_LATIN = re.compile("[A-Za-z]")


@lru_cache(maxsize=64)
def has_latin(text: str) -> bool:
    """Whether ``text`` has a Latin letter, once per text: where it has none, nothing
    English needs looking for (a str caches its hash, so a lookup costs next to nothing)."""
    return _LATIN.search(text) is not None
