"""Entity resolution: which names are one institution or product, and who owns whom.

Deterministic and explained. Names are nodes (one per comparison key, see ``_names``);
merges are applied strongest first, each recorded with its rule:

1. ``seed_table``: the curated table (``_seed``) joins its names; always applied.
2. ``declared_alias`` (``（以下简称“X”）``) and ``former_name`` (``X(原Y)``): the article
   says so. The merge holds in that article whatever else is true; it holds everywhere
   when it is unambiguous (the alias is declared for one institution only, the seed
   table does not give it to another, and no other name starts or ends with it).
3. ``aliases_field``: the model's ``aliases`` (only forms found in the text), like 2 but
   also refused when the two sides cannot be one institution (below).
4. ``containment``: 微众 → 微众银行 when 微众银行 is the only name that starts or ends with
   微众, the longer name is the shorter plus a word for the institution itself (银行,
   集团 …) or a prefix (中国工商银行 ⊃ 工商银行; 京东白条 ⊃ 白条), and the two can be one.

Two groups of names cannot be one when: one is an institution and the other a product;
their types are of different families (a bank and a regulator); they hold two different
names of the same licence (天津银行 and 天府银行: two different 某某银行 never merge
unless one contains the other or the seed table says so); or an article lists them as
two institutions. Every refusal is recorded too.

Ownership (``parent``) comes, in this order, from the facts' ``parent``/``provider``
fields, the text's ``X旗下Y``, the seed table, and names made of an owner's name and a
licence (财付通小贷 = 财付通 + 小贷; 重庆蚂蚁消费金融 = 重庆 + 蚂蚁 + 消费金融).
"""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ._names import REGIONS, is_generic, is_plain, name_key, strip_region
from ._seed import SeedEntry

# the institution itself: 微众 + 银行 is 微众银行, 蚂蚁 + 集团 is 蚂蚁集团
ALIAS_SUFFIXES = ("银行", "集团", "控股", "股份", "公司")
# a licensed subsidiary: 财付通 + 小贷 is owned by 财付通 (longest first)
SUBSIDIARY_SUFFIXES = (
    "网络小额贷款",
    "小额贷款",
    "金融租赁",
    "消费金融",
    "网络小贷",
    "理财子公司",
    "分公司",
    "营业部",
    "小贷",
    "消金",
    "理财",
    "证券",
    "基金",
    "保险",
    "信托",
    "分行",
    "支行",
)
# two different names ending in the same one of these are two institutions
LICENCE_WORDS = (
    "银行",
    "小贷",
    "小额贷款",
    "消费金融",
    "证券",
    "保险",
    "基金",
    "信托",
    "监督管理委员会",
    "监督管理总局",
)
_FAMILIES = {
    "bank": "bank",
    "internet_bank": "bank",
    "consumer_finance_company": "consumer_finance",
    "microlender": "microlender",
    "fintech_platform": "platform",
    "tech_company": "platform",
    "payment_company": "platform",
    "regulator": "state",
    "central_bank": "state",
    "government_agency": "state",
    "court": "court",
    "collection_agency": "collection_agency",
    "law_firm": "law_firm",
    "media": "media",
    "rating_agency": "rating_agency",
}
_PARENT_PRIORITY = {"parent_field": 1, "provider_field": 1, "qixia": 2, "seed_table": 3, "name_prefix": 4}
ALIAS_RULES = ("declared_alias", "former_name", "aliases_field")


@dataclass(slots=True)
class Node:
    """One comparison key and what the articles say about it."""

    key: str
    forms: Counter[str] = field(default_factory=Counter)  # form → articles using it
    kinds: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    countries: Counter[str] = field(default_factory=Counter)
    articles: int = 0  # distinct articles naming it, any role
    primary: int = 0  # distinct articles listing it as an institution or product
    seed: SeedEntry | None = None
    label: str | None = None  # how the seed table writes it, for a key no article uses

    @property
    def observed(self) -> bool:
        return self.articles > 0

    @property
    def display(self) -> str:
        if self.forms:
            return min(self.forms, key=lambda form: (-self.forms[form], not is_plain(form), len(form), form))
        return self.label or self.key


@dataclass(frozen=True, slots=True)
class Link:
    """What articles say about two names (``a`` is the alias, or the owned one)."""

    rule: str
    a: str
    b: str
    articles: tuple[str, ...]  # the articles that say it (alias rules)
    evidence: str  # one of the texts it was read from
    count: int = 0  # how many articles say it (ownership rules)

    @property
    def weight(self) -> int:
        return self.count or len(self.articles)


@dataclass(slots=True)
class Entity:
    entity_id: str
    name: str
    kind: str
    type: str
    country: str | None
    seed: bool
    keys: list[str]
    parent_id: str | None = None
    parent_by: str | None = None
    parent_detail: str | None = None
    successor_id: str | None = None


@dataclass(frozen=True, slots=True)
class NameRow:
    """How a key resolves: to which entity, by which rule, via which other name."""

    key: str
    entity_id: str
    merged_by: str
    via: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class Override:
    """In ``article_id`` only, ``key`` is ``entity_id`` (a declaration wins in its article)."""

    article_id: str
    key: str
    entity_id: str
    merged_by: str
    detail: str


@dataclass(frozen=True, slots=True)
class Refusal:
    name: str
    candidate: str
    rule: str
    reason: str


@dataclass(slots=True)
class Resolution:
    entities: dict[str, Entity]
    names: dict[str, NameRow]
    overrides: list[Override]
    refusals: list[Refusal]
    nodes: dict[str, Node]


def entity_id(canonical_key: str) -> str:
    """Stable: a hash of the canonical name's key, nothing that depends on input order."""
    return "E" + hashlib.sha256(canonical_key.encode("utf-8")).hexdigest()[:12]


class _Clusters:
    """Union-find over keys that remembers the edge (and rule) of every union."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {key: key for key in keys}
        self.members: dict[str, list[str]] = {key: [key] for key in self.parent}
        self.edges: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # key → (other, rule, detail)

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str, rule: str, detail: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if (len(self.members[ra]), ra) < (len(self.members[rb]), rb):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        self.edges[a].append((b, rule, detail))
        self.edges[b].append((a, rule, detail))


class Resolver:
    """Builds a ``Resolution`` from name statistics, links and the seed table.

    ``colisted(keys)`` answers which pairs of those keys some article lists as two
    separate institutions or products (the store answers it with one query)."""

    def __init__(
        self,
        nodes: dict[str, Node],
        links: list[Link],
        seed: tuple[SeedEntry, ...],
        colisted: Callable[[set[str]], set[frozenset[str]]],
    ) -> None:
        self.nodes = nodes
        self.links = sorted(links, key=lambda link: (link.rule, link.a, link.b))
        self.seed = seed
        self.colisted_query = colisted
        self.refusals: list[Refusal] = []
        self.overrides: list[tuple[str, str, str, str, str]] = []  # article, key, target key, rule, detail
        for entry in seed:
            for name in entry.names:
                key = name_key(name)
                node = nodes.setdefault(key, Node(key))
                node.seed = entry
                node.label = node.label or name
        self.clusters = _Clusters(sorted(nodes))
        self._colisted: set[frozenset[str]] = set()
        self._alias_side: set[str] = set()  # keys merged as someone's declared short or former name

    # -- constraints -------------------------------------------------------------------

    def _members(self, key: str) -> list[str]:
        return self.clusters.members[self.clusters.find(key)]

    def _kind(self, keys: list[str]) -> str | None:
        kinds: Counter[str] = Counter()
        for key in keys:
            kinds.update(self.nodes[key].kinds)
        return kinds.most_common(1)[0][0] if kinds else None

    def _family(self, keys: list[str]) -> str | None:
        types: Counter[str] = Counter()
        for key in keys:
            node = self.nodes[key]
            if node.seed is not None:
                return _FAMILIES.get(node.seed.type)
            types.update({t: n for t, n in node.types.items() if t != "other"})
        if not types:
            return None
        best = min(types, key=lambda t: (-types[t], t))
        return _FAMILIES.get(best, best)

    def _seeded(self, keys: list[str]) -> SeedEntry | None:
        return next((self.nodes[k].seed for k in keys if self.nodes[k].seed is not None), None)

    def can_join(self, a: str, b: str) -> str | None:
        """Why the groups of ``a`` and ``b`` cannot be one institution, or None."""
        left, right = self._members(a), self._members(b)
        seed_left, seed_right = self._seeded(left), self._seeded(right)
        if seed_left is not None and seed_right is not None and seed_left != seed_right:
            return f"the seed table has them as two institutions ({seed_left.name}, {seed_right.name})"
        kind_left, kind_right = self._kind(left), self._kind(right)
        if kind_left and kind_right and kind_left != kind_right:
            return f"one is an {kind_left}, the other a {kind_right}"
        family_left, family_right = self._family(left), self._family(right)
        if family_left and family_right and family_left != family_right:
            return f"types of different families ({family_left}, {family_right})"
        for x in left:
            for y in right:
                if frozenset((x, y)) in self._colisted:
                    return f"an article lists {self._show(x)} and {self._show(y)} as two"
                if x in y or y in x:
                    continue
                for word in LICENCE_WORDS:
                    if x.endswith(word) and y.endswith(word):
                        return f"two different names of the same licence ({self._show(x)}, {self._show(y)})"
        return None

    def _show(self, key: str) -> str:
        return self.nodes[key].display

    # -- merges ------------------------------------------------------------------------

    def resolve(self) -> Resolution:
        self._index()
        self._merge_seed()
        self._colisted = self.colisted_query(self._constraint_keys())
        for rule in ALIAS_RULES:
            self._merge_declared(rule)
        self._merge_contained()
        return self._finish()

    def _merge_seed(self) -> None:
        for entry in self.seed:
            canonical = name_key(entry.name)
            for name in entry.aliases:
                self.clusters.union(canonical, name_key(name), "seed_table", f"seed table: {name} is {entry.name}")

    def _constraint_keys(self) -> set[str]:
        """Keys that a link or a containment could merge: the only ones whose co-listing matters."""
        keys = {k for link in self.links if link.rule in ALIAS_RULES for k in (link.a, link.b)}
        for short, candidates in self._containment_candidates():
            keys.add(short)
            keys.update(candidates)
        return keys

    def _merge_declared(self, rule: str) -> None:
        by_alias: dict[str, list[Link]] = defaultdict(list)
        for link in self.links:
            if link.rule == rule:
                by_alias[link.a].append(link)
        for alias, links in sorted(by_alias.items()):
            targets = sorted({self.clusters.find(link.b) for link in links})
            alias_root = self.clusters.find(alias)
            reason = None
            if len(targets) > 1:
                reason = "declared for different institutions: " + ", ".join(self._show(t) for t in targets)
            elif (seeded := self._seeded(self._members(alias))) is not None and alias_root != targets[0]:
                reason = f"the seed table gives it to {seeded.name}"
            else:
                others = self._containing(alias) - {targets[0], alias_root}
                if others:
                    reason = "other names start or end with it: " + ", ".join(sorted(self._show(k) for k in others))
                elif rule == "aliases_field":
                    reason = self.can_join(alias, links[0].b)
            for link in links:
                detail = f"{rule} in {len(link.articles)} article(s): {link.evidence}"
                if reason is None:
                    self.clusters.union(link.a, link.b, rule, detail)
                    self._alias_side.add(link.a)
                elif rule != "aliases_field" or self.can_join(link.a, link.b) is None:
                    for article in link.articles:
                        self.overrides.append((article, link.a, link.b, rule, f"{detail} (this article only)"))
            if reason is not None:
                self.refusals.append(Refusal(self._show(alias), self._show(targets[0]), rule, reason))

    def _containing(self, key: str) -> set[str]:
        """Roots of the other groups with a name that starts or ends with ``key``."""
        return {self.clusters.find(k) for k in self._starting(key) + self._ending(key) if k != key}

    def _index(self) -> None:
        observed = [k for k, node in self.nodes.items() if node.observed]
        self._sorted = sorted(observed)
        self._reversed = sorted(k[::-1] for k in observed)

    def _starting(self, key: str) -> list[str]:
        at = bisect.bisect_left(self._sorted, key)
        found = []
        while at < len(self._sorted) and self._sorted[at].startswith(key):
            found.append(self._sorted[at])
            at += 1
        return found

    def _ending(self, key: str) -> list[str]:
        reverse = key[::-1]
        at = bisect.bisect_left(self._reversed, reverse)
        found = []
        while at < len(self._reversed) and self._reversed[at].startswith(reverse):
            found.append(self._reversed[at][::-1])
            at += 1
        return found

    def _containment_candidates(self) -> list[tuple[str, list[str]]]:
        """(short key, longer keys that start or end with it) for every observed key."""
        pairs = []
        for key in sorted(self._sorted, key=lambda k: (len(k), k)):
            if is_generic(key):
                continue
            longer = [k for k in self._starting(key) + self._ending(key) if k != key]
            if longer:
                pairs.append((key, sorted(set(longer))))
        return pairs

    def _merge_contained(self) -> None:
        for short, longer in self._containment_candidates():
            if self._seeded(self._members(short)) is not None:
                continue  # the seed table already says what it is
            root = self.clusters.find(short)
            groups = sorted({self.clusters.find(k) for k in longer} - {root})
            if not groups:
                continue
            at_boundary = [k for k in longer if self.clusters.find(k) in groups and _boundary(short, k)]
            if len(groups) > 1:
                if at_boundary:
                    names = ", ".join(sorted(self._show(k) for k in longer if self.clusters.find(k) != root))
                    self.refusals.append(
                        Refusal(self._show(short), self._show(at_boundary[0]), "containment", f"ambiguous: {names}")
                    )
                continue
            if not at_boundary:
                continue
            target = min(at_boundary, key=lambda k: (len(k), k))
            reason = self.can_join(short, target)
            if reason is not None:
                self.refusals.append(Refusal(self._show(short), self._show(target), "containment", reason))
                continue
            detail = (
                f"{self._show(short)} ⊂ {self._show(target)}; no other name starts or ends with {self._show(short)}"
            )
            self.clusters.union(short, target, "containment", detail)

    # -- entities ----------------------------------------------------------------------

    def _finish(self) -> Resolution:
        entities: dict[str, Entity] = {}
        root_entity: dict[str, Entity] = {}
        names: dict[str, NameRow] = {}
        for root, members in sorted(self.clusters.members.items()):
            entity = self._entity(members)
            entities[entity.entity_id] = entity
            root_entity[root] = entity
            canonical = name_key(entity.name) if name_key(entity.name) in members else entity.keys[0]
            for key, (merged_by, via, detail) in self._explain(canonical, members).items():
                names[key] = NameRow(key, entity.entity_id, merged_by, via, detail)
        self._parents(root_entity)
        for entry in self.seed:
            if entry.successor:
                entity = root_entity[self.clusters.find(name_key(entry.name))]
                entity.successor_id = root_entity[self.clusters.find(name_key(entry.successor))].entity_id
        overrides = [
            Override(article, key, root_entity[self.clusters.find(target)].entity_id, rule, detail)
            for article, key, target, rule, detail in sorted(set(self.overrides))
        ]
        return Resolution(entities, names, overrides, self.refusals, self.nodes)

    def _entity(self, members: list[str]) -> Entity:
        nodes = [self.nodes[k] for k in members]
        seed = self._seeded(members)
        if seed is not None:
            name, kind, type_, country = seed.name, "institution", seed.type, seed.country
        else:
            kind = self._kind(members) or "institution"
            best = min(nodes, key=lambda n: self._rank(n, kind))
            name = best.display
            types: Counter[str] = Counter()
            countries: Counter[str] = Counter()
            for node in nodes:
                types.update(node.types)
                countries.update(node.countries)
            specific = {t: n for t, n in types.items() if t != "other"} or dict(types)
            type_ = min(specific, key=lambda t: (-specific[t], t)) if specific else "other"
            country = min(countries, key=lambda c: (-countries[c], c)) if countries else None
        return Entity(entity_id(name_key(name)), name, kind, type_, country, seed is not None, sorted(members))

    def _rank(self, node: Node, kind: str) -> tuple[bool, bool, int, int, int, str]:
        """Which name of a group is the entity's: not a declared short or former name, one
        that an article lists, then the fullest for an institution (中国工商银行 over
        工商银行) and the shortest for a product (its brand), then the most used."""
        length = -len(node.display) if kind == "institution" else len(node.display)
        return (node.key in self._alias_side, node.primary == 0, length, -node.primary, -node.articles, node.key)

    def _explain(self, canonical: str, members: list[str]) -> dict[str, tuple[str, str | None, str]]:
        """Each member's rule: the edge by which a walk from the canonical name reaches it."""
        explained: dict[str, tuple[str, str | None, str]] = {canonical: ("canonical", None, "the entity's name")}
        queue = [canonical]
        while queue:
            key = queue.pop(0)
            for other, rule, detail in sorted(self.clusters.edges.get(key, ())):
                if other not in explained:
                    explained[other] = (rule, self._show(key), detail)
                    queue.append(other)
        for key in members:  # the canonical name of a seed entry that no article uses
            explained.setdefault(key, ("seed_table", None, "seed table"))
        return explained

    def _parents(self, root_entity: dict[str, Entity]) -> None:
        find = self.clusters.find
        candidates: dict[str, list[tuple[int, int, str, str, str]]] = defaultdict(list)
        for link in self.links:
            if link.rule in _PARENT_PRIORITY and find(link.a) != find(link.b):
                candidates[find(link.a)].append(
                    (_PARENT_PRIORITY[link.rule], -link.weight, find(link.b), link.rule, link.evidence)
                )
        for entry in self.seed:
            if entry.parent:
                child, owner = find(name_key(entry.name)), find(name_key(entry.parent))
                candidates[child].append((3, 0, owner, "seed_table", f"seed table: {entry.parent} owns {entry.name}"))
        for key, node in sorted(self.nodes.items()):
            if node.observed and node.kinds.get("product", 0) <= node.kinds.get("institution", 0):
                owner_key, detail = _owner_by_name(key, self.nodes)
                if owner_key is not None and find(owner_key) != find(key):
                    candidates[find(key)].append((4, 0, find(owner_key), "name_prefix", detail))
        owner_of: dict[str, str] = {}
        for child in sorted(candidates):
            for _, _, owner, rule, detail in sorted(candidates[child]):
                walk, seen = owner, {child}
                while walk in owner_of and walk not in seen:
                    seen.add(walk)
                    walk = owner_of[walk]
                if walk in seen or walk == child:
                    continue  # would make a cycle
                owner_of[child] = owner
                entity = root_entity[child]
                entity.parent_id, entity.parent_by, entity.parent_detail = root_entity[owner].entity_id, rule, detail
                break


def _boundary(short: str, long: str) -> bool:
    """``long`` is ``short`` plus a word for the institution itself, or a prefix plus ``short``."""
    if long.startswith(short):
        return long[len(short) :] in ALIAS_SUFFIXES
    return long.endswith(short) and len(short) >= 2


def _owner_by_name(key: str, nodes: dict[str, Node]) -> tuple[str | None, str]:
    """财付通小贷 → 财付通 (a known name + a licence word), 中国银行深圳分行 → 中国银行."""
    core = strip_region(key)
    for suffix in SUBSIDIARY_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix) + 1:
            base = core[: -len(suffix)]
            for region in REGIONS:
                if base.endswith(region) and len(base) > len(region) + 1:
                    base = base[: -len(region)]
                    break
            if base in nodes and not is_generic(base) and base != key:
                owner = nodes[base]
                return base, f"{nodes[key].display} = {owner.display} + {suffix}"
            return None, ""
    return None, ""
