"""Sentence and clause marks, shared by grounding, rules, periods and chunking."""

from __future__ import annotations

import random
import re

from extractor.chars import count_cjk, fold, is_cjk
from extractor.segmentation import SENTENCE_STOPS, clause_bounds, sentence_start, sentences


def _scanned(text: str) -> list[tuple[int, int]]:
    """Sentences as a left-to-right scan for stops and bullets finds them."""
    spans, start = [], 0
    for match in re.finditer(f"[{re.escape(SENTENCE_STOPS)}]| - ", text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def test_sentences_split_at_stops_and_digest_bullets() -> None:
    text = "罚单落地。新规实施 - 监管收紧\n下一段"
    assert [text[a:b] for a, b in sentences(text)] == ["罚单落地", "新规实施", "监管收紧", "下一段"]


def test_sentences_are_what_a_left_to_right_scan_finds() -> None:
    """Overlapping bullets (" - - ") and stops inside them: the index of sentence marks
    (shared with sentence_start) cuts where a scan of the text does."""
    rng = random.Random(15)
    alphabet = "ab -。\n]["
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert sentences(text) == _scanned(text), repr(text)


def test_sentence_start_and_clause_bounds() -> None:
    text = "截至6月末。微众银行 - 不良率1.57% [3] 分付"
    assert text[sentence_start(text, text.index("1.57%")) :].startswith("不良率")
    assert text[sentence_start(text, text.index("分付")) :].startswith("分付")  # after "] "
    assert text[sentence_start(text, text.index("分付"), brackets=False) :].startswith("不良率")
    lefts, rights = clause_bounds(text)
    assert text.index("微众") in lefts and text.index(" -") in rights and text.index(" [") in rights


def test_one_fold_and_one_cjk_test() -> None:
    assert fold("ＷｅＢａｎｋ") == fold("webank") == "webank"
    assert [is_cjk(c) for c in ("微", "a", "", "【")] == [True, False, False, False]
    assert count_cjk("微众银行 WeBank") == 4
