"""Quotes to offsets: exact first, then punctuation/width-insensitive, mapped back."""

from __future__ import annotations

import pytest

from extractor.grounding import Grounder
from extractor.segmentation import sentence_start

TEXT = (
    "在黑猫投诉平台上,关于微粒贷的投诉量超2.6万条 涉及暴力催收 [6][14] - 暴力催收手段包括“假律师”上门堵门。ＡＢＣ银行"
)


def test_exact_quote() -> None:
    evidence = Grounder(TEXT).locate("关于微粒贷的投诉量超2.6万条")
    assert evidence is not None
    assert TEXT[evidence.start : evidence.end] == evidence.text == "关于微粒贷的投诉量超2.6万条"


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("在黑猫投诉平台上，关于微粒贷的投诉量超2.6万条", "在黑猫投诉平台上,关于微粒贷的投诉量超2.6万条"),
        ("暴力催收手段包括‘假律师’上门", "暴力催收手段包括“假律师”上门"),
        ("涉及暴力催收[6][14]", "涉及暴力催收 [6][14]"),
        ("ABC银行", "ＡＢＣ银行"),
        ("  关于微粒贷  ", "关于微粒贷"),
    ],
)
def test_rewritten_punctuation_and_width_map_back(quote: str, expected: str) -> None:
    evidence = Grounder(TEXT).locate(quote)
    assert evidence is not None
    assert evidence.text == expected
    assert TEXT[evidence.start : evidence.end] == evidence.text


@pytest.mark.parametrize("quote", ["微众银行罚款", "", "。", "投诉量超3万条"])
def test_missing_quotes_are_none(quote: str) -> None:
    assert Grounder(TEXT).locate(quote) is None


def test_offsets_are_code_points_not_bytes() -> None:
    text = "😀前缀 微粒贷"
    evidence = Grounder(text).locate("微粒贷")
    assert evidence is not None and (evidence.start, evidence.end) == (4, 7)


def test_sentence_around_stops_at_bullets_and_references() -> None:
    grounder = Grounder(TEXT)
    at = TEXT.index("假律师")
    clause = grounder.sentence_around(at, at + 3)
    assert clause.text == "暴力催收手段包括“假律师”上门堵门"
    assert TEXT[clause.start : clause.end] == clause.text


@pytest.mark.parametrize(
    ("text", "figure", "clause"),
    [
        ("微众银行2024年营收398亿元。不良率1.5%。", "398亿元", "微众银行2024年营收398亿元"),
        ("首句；第二句净利润10亿元！第三句", "10亿元", "第二句净利润10亿元"),
        ("概况 - 活动于12月举办 - 吸引12.3万人次", "12.3万人次", "吸引12.3万人次"),
        ("投诉量超2.6万条 [6] 其他", "2.6万条", "投诉量超2.6万条"),
        ("第一行\n  第二行有50亿元  \n第三行", "50亿元", "第二行有50亿元"),
        ("没有任何标点的一句话里有3亿元", "3亿元", "没有任何标点的一句话里有3亿元"),
    ],
)
def test_sentence_around_cuts_at_stops(text: str, figure: str, clause: str) -> None:
    at = text.index(figure)
    evidence = Grounder(text).sentence_around(at, at + len(figure))
    assert evidence.text == clause
    assert text[evidence.start : evidence.end] == clause


@pytest.mark.parametrize(
    ("text", "figure", "options", "start"),
    [
        ("首句。第二句有10亿", "10亿", {}, 3),
        ("概况 - 吸引12万人次", "12万", {}, 5),
        ("概况 - - 吸引12万人次", "12万", {}, 7),  # overlapping bullets: the later one
        ("[6] 微粒贷放款12亿", "12亿", {}, 4),
        ("[6] 微粒贷放款12亿", "12亿", {"brackets": False}, 0),
        ("没有标点的很长一句话里有12亿", "12亿", {"window": 4}, 8),
        ("甲乙 - 丙丁戊己12", "12", {"window": 6}, 3),  # a bullet that starts before the window
        ("ab - cdef12", "12", {"window": 6}, 5),  # no Chinese: the window is three times as long
    ],
)
def test_sentence_start(text: str, figure: str, options: dict[str, int], start: int) -> None:
    assert sentence_start(text, text.index(figure), **options) == start
