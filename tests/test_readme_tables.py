"""The benchmark tables' markers: the whole table in bench/README.md, headline rows in README.md."""

from __future__ import annotations

import pytest

from bench.readme_table import BENCH_README, README, headline, write_table

SECTIONS = ("quality", "performance", "embedded-speed")
TABLE = "Printed by a script.\n\n| a | b |\n|---|---|\n| one | 1 |\n| **micro** | 2 |\n\nVerdict."


@pytest.mark.parametrize("readme", [README, BENCH_README], ids=["README.md", "bench/README.md"])
@pytest.mark.parametrize("section", SECTIONS)
def test_every_table_has_its_markers_in_both_readmes(readme, section: str) -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(f"<!-- {section}:start -->"), text.find(f"<!-- {section}:end -->")
    assert 0 <= start < end, f"{readme.name}: no {section} markers"


def test_headline_keeps_the_caption_header_verdict_and_chosen_rows() -> None:
    assert headline(TABLE, lambda row: "**micro**" in row) == (
        "Printed by a script.\n\n| a | b |\n|---|---|\n| **micro** | 2 |\n\nVerdict."
    )
    assert headline(TABLE, None) == TABLE


def test_write_table_replaces_only_between_the_markers(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- quality:start -->\nold\n<!-- quality:end -->\nafter\n", encoding="utf-8")
    write_table("quality", "new", readme)
    assert readme.read_text(encoding="utf-8") == "before\n<!-- quality:start -->\nnew\n<!-- quality:end -->\nafter\n"
