"""Answers cut at max_tokens keep their complete items."""

from __future__ import annotations

import json

import pytest

from extractor.salvage import close_truncated_json


def test_cut_inside_an_item_keeps_the_items_before() -> None:
    text = '{"institutions": [{"name": "a", "quote": "x}\\" ]y"}, {"name": "b", "aliases": ["q"]}, {"name": "c", "quo'
    closed = close_truncated_json(text)
    assert closed is not None
    assert [i["name"] for i in json.loads(closed)["institutions"]] == ["a", "b"]


@pytest.mark.parametrize("text", ['{"a": 1', '{"institutions": [{"name": "a"', "", "not json"])
def test_nothing_complete_is_none(text: str) -> None:
    assert close_truncated_json(text) is None
