"""The seed table: well-known institutions' short and English names, kept as data.

``seed_institutions.json`` beside this module; every entry is checked by a test. An
entry joins names that articles use into one entity (``merged_by: seed_table``) and
may state a parent or a successor that is a matter of record (财付通 → 腾讯;
中国银行保险监督管理委员会 → 国家金融监督管理总局). It never adds a name to an entity's
aliases by itself: those are the forms the articles use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .._exceptions import ExtractorError
from ..models import InstitutionType
from ._names import name_key


@dataclass(frozen=True)
class SeedEntry:
    name: str
    type: str
    country: str | None
    aliases: tuple[str, ...]
    parent: str | None
    successor: str | None
    note: str

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class SeedTableError(ExtractorError, ValueError):
    """The seed table contradicts itself (a name in two entries, a parent that is no entry)."""


@lru_cache(maxsize=1)
def seed_entries() -> tuple[SeedEntry, ...]:
    raw = json.loads(resources.files(__package__).joinpath("seed_institutions.json").read_text(encoding="utf-8"))
    entries = tuple(
        SeedEntry(
            name=item["name"],
            type=InstitutionType(item["type"]).value,
            country=item.get("country"),
            aliases=tuple(item.get("aliases", ())),
            parent=item.get("parent"),
            successor=item.get("successor"),
            note=item.get("note", ""),
        )
        for item in raw["entries"]
    )
    check(entries)
    return entries


def check(entries: tuple[SeedEntry, ...]) -> None:
    """Every key belongs to one entry; parents and successors are entries."""
    owner: dict[str, str] = {}
    for entry in entries:
        for name in entry.names:
            key = name_key(name)
            if owner.setdefault(key, entry.name) != entry.name:
                raise SeedTableError(f"{name!r} is in two seed entries: {owner[key]} and {entry.name}")
    names = {entry.name for entry in entries}
    for entry in entries:
        for related in (entry.parent, entry.successor):
            if related is not None and related not in names:
                raise SeedTableError(f"{entry.name}: {related!r} is not a seed entry")
