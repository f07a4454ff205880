"""The seed table, entry by entry: every name it lists resolves to its entity."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.export import SeedEntry, export_run, seed_entries
from extractor.export._names import is_generic, name_key
from extractor.export._seed import SeedTableError, check

from .test_export_resolution import make_facts, write_run

ENTRIES = seed_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_every_name_of_the_entry_is_one_entity(entry: SeedEntry, tmp_path: Path) -> None:
    """One article per name, each naming the institution only by that name."""
    records = [
        make_facts(f"{name}发布2025年度报告。", institutions=[{"name": name, "type": entry.type}])
        for name in entry.names
    ]
    tables = export_run(write_run(tmp_path / "run", records))
    named = [row for row in tables.entities.to_pylist() if row["name"] == entry.name]
    assert len(named) == 1
    entity = named[0]
    assert entity["seed"] is True and entity["type"] == entry.type and entity["country"] == entry.country
    assert entity["articles"] == len(entry.names)
    assert sorted(entity["aliases"]) == sorted(entry.names)
    merged_by = {row["alias"]: row["merged_by"] for row in tables.aliases.to_pylist() if row["scope"] == "all"}
    for name in entry.aliases:
        assert merged_by[name] in ("seed_table", "normalised"), name
    assert merged_by[entry.name] == "canonical"
    by_id = {row["entity_id"]: row for row in tables.entities.to_pylist()}
    if entry.parent:
        assert (by_id[entity["parent_id"]]["name"], entity["parent_by"]) == (entry.parent, "seed_table")
    if entry.successor:
        assert by_id[entity["successor_id"]]["name"] == entry.successor


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry_names_are_specific(entry: SeedEntry) -> None:
    """No generic word (银行, 央行) and no name another entry also claims."""
    for name in entry.names:
        assert not is_generic(name_key(name)), name
    others = {name_key(n) for other in ENTRIES if other != entry for n in other.names}
    assert not {name_key(n) for n in entry.names} & others


def test_the_table_rejects_a_name_in_two_entries() -> None:
    first = SeedEntry("甲银行", "bank", "CN", ("甲行",), None, None, "")
    second = SeedEntry("乙银行", "bank", "CN", ("甲行",), None, None, "")
    with pytest.raises(SeedTableError, match="two seed entries"):
        check((first, second))
    orphan = SeedEntry("丙公司", "tech_company", "CN", (), "丁集团", None, "")
    with pytest.raises(SeedTableError, match="not a seed entry"):
        check((orphan,))
