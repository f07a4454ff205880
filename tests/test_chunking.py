"""Splitting long articles and marking candidate figures."""

from __future__ import annotations

import pytest

from extractor.chunking import Chunk, split_text
from extractor.numbers import find_figures
from extractor.pipeline import marked_text

SENTENCE = "微众银行2024年净利润109.03亿元。"


def test_short_text_is_one_chunk() -> None:
    assert split_text("短文", max_chars=100, overlap=10) == [Chunk(0, 2)]


@pytest.mark.parametrize(("max_chars", "overlap"), [(50, 0), (50, 10), (120, 30), (400, 100)])
def test_chunks_cover_the_text_at_sentence_ends_within_budget(max_chars: int, overlap: int) -> None:
    text = SENTENCE * 40
    chunks = split_text(text, max_chars=max_chars, overlap=overlap)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start <= before.end  # no gap
        assert before.end - after.start <= overlap  # overlap bounded
    for chunk in chunks:
        assert chunk.end - chunk.start <= max_chars
        assert chunk.end == len(text) or text[chunk.end - 1] == "。"


def test_english_text_is_cut_after_full_stops() -> None:
    sentence = "WeBank reported a net profit of RMB 10.9 billion for 2024. "
    text = sentence * 20
    chunks = split_text(text, max_chars=200, overlap=80)
    assert chunks[-1].end == len(text)
    for chunk in chunks:
        assert text[chunk.start : chunk.end].startswith("WeBank")
        assert chunk.end == len(text) or text[chunk.end - 2 : chunk.end] == ". "


def test_paragraph_boundaries_win() -> None:
    text = "甲" * 30 + "\n\n" + "乙" * 30
    chunks = split_text(text, max_chars=40)
    assert text[chunks[0].start : chunks[0].end].endswith("\n\n")


def test_marked_text_numbers_figures_with_global_ids() -> None:
    text = "公司营收62.64亿。不良率1.57%。"
    candidates = dict(enumerate(find_figures(text), start=1))
    assert marked_text(text, Chunk(0, len(text)), candidates) == "公司营收【#1】62.64亿。不良率【#2】1.57%。"
    assert marked_text(text, Chunk(11, len(text)), candidates) == "不良率【#2】1.57%。"
