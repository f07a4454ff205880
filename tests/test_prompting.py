"""The prompt layout: what a prefix-caching server can reuse, and what each pass adds."""

from __future__ import annotations

import os

from extractor.prompting import PASSES, build_messages, load_prompts


def _rendered(task: str, text: str, title: str = "标题") -> str:
    """The messages as one string, in order, as a chat template lays them out."""
    messages = build_messages(load_prompts(), task, text=text, title=title, source="来源", published_at="2025-01-01")
    return "".join(f"<{m['role']}>{m['content']}" for m in messages)


def _common_prefix(a: str, b: str) -> int:
    return len(os.path.commonprefix([a, b]))


def test_the_passes_of_one_article_differ_only_after_the_article() -> None:
    text = "微众银行2024年净利润【#1】109.03亿元。" * 20
    rendered = [_rendered(task, text) for task in PASSES]
    article_end = rendered[0].index(text) + len(text)
    for other in rendered[1:]:
        assert _common_prefix(rendered[0], other) >= article_end
        assert len(other) - article_end < 80  # the pass adds one short line


def test_every_article_starts_with_the_same_instructions() -> None:
    first = _rendered("entities", "甲银行罚款【#1】100万元。")
    second = _rendered("entities", "乙公司营收【#1】5亿。", "别的标题")
    system = load_prompts().system
    assert _common_prefix(first, second) >= len(system)
    for task in PASSES:  # every task's instructions and example are in the shared part
        assert f"任务 {task}:" in system and f"示例 {task}" in system


def test_the_task_line_names_its_task() -> None:
    prompts = load_prompts()
    for task in PASSES:
        assert prompts.tasks[task].startswith(f"任务 {task}:")
        assert "\n" not in prompts.tasks[task]
