"""The export's tables, built by SQL over the working store once names are resolved.

Order of work: scan (``_scan``) → drop superseded lines → read name statistics →
resolve (``_resolve``) → load the name map → the tables below. Every table is ordered
by its content (never by line order), so the same facts give the same tables.
"""

from __future__ import annotations

from ._resolve import Link, Node, Resolution
from ._store import Store

TABLES = (
    "entities",
    "aliases",
    "mentions",
    "metrics",
    "regulatory_actions",
    "products",
    "articles",
    "conflicts",
    "series",
    "merge_refusals",
    "problems",
)


def drop_superseded(store: Store) -> int:
    """An article that appears on several lines (runs appended by hand) keeps its last line."""
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE latest AS SELECT article_id, max(line) AS line FROM stg_articles GROUP BY 1"
    )
    superseded = con.execute(
        "SELECT a.line, a.article_id, l.line FROM stg_articles a JOIN latest l USING (article_id) "
        "WHERE a.line <> l.line ORDER BY a.line"
    ).fetchall()
    for line, article, kept in superseded:
        store.add(
            "stg_problems", (line, article, "line", f"article appears again at line {kept}: this line is replaced")
        )
    store.flush("stg_problems")
    if superseded:
        for table in ("stg_articles", "stg_names", "stg_links", "stg_metrics", "stg_actions", "stg_products"):
            con.execute(f"DELETE FROM {table} WHERE line NOT IN (SELECT line FROM latest)")
    return len(superseded)


def name_statistics(store: Store) -> dict[str, Node]:
    """One ``Node`` per distinct key: forms, kinds, types, countries, article counts.

    Distinct rows first, then plain counts: DuckDB spills both to disk, where
    ``count(DISTINCT …)`` per group would keep a set per group in memory."""
    nodes: dict[str, Node] = {}
    for key, articles, primary in store.con.execute(
        "SELECT key, count(*), count(*) FILTER (WHERE listed) FROM ("
        "  SELECT key, article_id, bool_or(role IN ('institution', 'product')) AS listed "
        "  FROM stg_names GROUP BY key, article_id) GROUP BY key"
    ).fetchall():
        nodes[key] = Node(key, articles=articles, primary=primary)
    for key, form, kind, type_, country, articles in store.con.execute(
        "SELECT key, form, kind, type, country, count(*) FROM ("
        "  SELECT DISTINCT key, form, kind, type, country, article_id FROM stg_names) GROUP BY ALL"
    ).fetchall():
        node = nodes[key]
        node.forms[form] += articles
        if kind:
            node.kinds[kind] += articles
        if type_:
            node.types[type_] += articles
        if country:
            node.countries[country] += articles
    return nodes


def links(store: Store) -> list[Link]:
    """Alias links with every article that states them (a declaration can hold in its
    article only); ownership links with how many articles state them."""
    rows = store.con.execute(
        "SELECT rule, a_key, b_key, list(article_id ORDER BY article_id), min(evidence_text) FROM ("
        "  SELECT DISTINCT rule, a_key, b_key, article_id, evidence_text FROM stg_links "
        "  WHERE rule IN ('declared_alias', 'former_name', 'aliases_field')) GROUP BY rule, a_key, b_key"
    ).fetchall()
    found = [
        Link(rule, a, b, tuple(dict.fromkeys(articles)), evidence or "") for rule, a, b, articles, evidence in rows
    ]
    rows = store.con.execute(
        "SELECT rule, a_key, b_key, count(*), min(evidence_text) FROM ("
        "  SELECT rule, a_key, b_key, article_id, min(evidence_text) AS evidence_text FROM stg_links "
        "  WHERE rule NOT IN ('declared_alias', 'former_name', 'aliases_field') GROUP BY ALL) GROUP BY ALL"
    ).fetchall()
    found += [Link(rule, a, b, (), evidence or "", count) for rule, a, b, count, evidence in rows]
    return found


def colisted(store: Store, keys: set[str]) -> set[frozenset[str]]:
    """Pairs of ``keys`` that one article lists as two institutions or two products."""
    if not keys:
        return set()
    store.load_rows("candidate_keys", [("key", "VARCHAR")], [(key,) for key in sorted(keys)])
    rows = store.con.execute(
        "WITH listed AS (SELECT DISTINCT article_id, key FROM stg_names "
        "  WHERE role IN ('institution', 'product') AND key IN (SELECT key FROM candidate_keys)) "
        "SELECT DISTINCT a.key, b.key FROM listed a JOIN listed b ON a.article_id = b.article_id AND a.key < b.key"
    ).fetchall()
    return {frozenset(row) for row in rows}


def load_resolution(store: Store, resolution: Resolution) -> None:
    text = "VARCHAR"
    store.load_rows(
        "name_map",
        [("key", text), ("entity_id", text), ("merged_by", text), ("via", text), ("detail", text)],
        [
            (r.key, r.entity_id, r.merged_by, r.via, r.detail)
            for r in sorted(resolution.names.values(), key=lambda r: r.key)
        ],
    )
    store.load_rows(
        "overrides",
        [("article_id", text), ("key", text), ("entity_id", text), ("merged_by", text), ("detail", text)],
        [(o.article_id, o.key, o.entity_id, o.merged_by, o.detail) for o in resolution.overrides],
    )
    store.load_rows(
        "resolved",
        [("entity_id", text), ("name", text)],
        [(e.entity_id, e.name) for e in sorted(resolution.entities.values(), key=lambda e: e.entity_id)],
    )
    refusals = sorted(set(resolution.refusals), key=lambda r: (r.name, r.candidate, r.rule, r.reason))
    store.load_rows(
        "merge_refusals",
        [("name", text), ("candidate", text), ("rule", text), ("reason", text)],
        [(r.name, r.candidate, r.rule, r.reason) for r in refusals],
    )


def _resolved(alias: str, key: str, article: str = "t.article_id") -> str:
    """SQL joins that resolve ``key`` in an article: its override there, else the name map."""
    return (
        f"LEFT JOIN overrides o_{alias} ON o_{alias}.article_id = {article} AND o_{alias}.key = {key} "
        f"LEFT JOIN name_map n_{alias} ON n_{alias}.key = {key} "
    )


def _id(alias: str) -> str:
    return f"coalesce(o_{alias}.entity_id, n_{alias}.entity_id)"


MERGED_BY = (
    "CASE WHEN o_x.entity_id IS NOT NULL THEN o_x.merged_by "
    "WHEN n_x.merged_by = 'canonical' AND t.form <> r.name THEN 'normalised' ELSE n_x.merged_by END"
)


def build_tables(store: Store, resolution: Resolution) -> None:
    con = store.con
    # the scan keeps one row per article, name and role (its first fact)
    con.execute(
        "CREATE OR REPLACE TABLE mentions AS "
        f"SELECT {_id('x')} AS entity_id, t.article_id, t.form AS name, t.role, {MERGED_BY} AS merged_by, "
        "t.name_start, t.name_end, t.evidence_text, t.evidence_start, t.evidence_end "
        f"FROM stg_names t {_resolved('x', 't.key')} "
        f"JOIN resolved r ON r.entity_id = {_id('x')} "
        "ORDER BY entity_id, t.article_id, t.name_start NULLS LAST, t.role, name"
    )
    con.execute(
        "CREATE OR REPLACE TABLE aliases AS "
        f"SELECT {_id('x')} AS entity_id, t.form AS alias, {MERGED_BY} AS merged_by, "
        "CASE WHEN o_x.entity_id IS NULL THEN n_x.via END AS via, coalesce(o_x.detail, n_x.detail) AS detail, "
        "CASE WHEN o_x.entity_id IS NULL THEN 'all' ELSE 'article' END AS scope, "
        "count(*)::INTEGER AS articles "
        "FROM (SELECT DISTINCT article_id, key, form FROM stg_names) t "
        f"{_resolved('x', 't.key')} JOIN resolved r ON r.entity_id = {_id('x')} "
        "GROUP BY ALL ORDER BY entity_id, alias, scope"
    )
    _entities(store, resolution)
    con.execute(
        "CREATE OR REPLACE TABLE metrics AS "
        f"SELECT {_id('s')} AS entity_id, r.name AS entity, t.subject, t.metric, t.name, t.value, t.value_max, "
        "t.unit, t.raw, t.qualifier, t.period_start, t.period_end, t.period_text, t.article_id, a.source, "
        "a.published_at, "
        "t.evidence_text, t.evidence_start, t.evidence_end, t.evidence_count, t.fact_index, "
        "a.model, a.prompt_version, a.extractor_version "
        f"FROM stg_metrics t JOIN stg_articles a USING (article_id) {_resolved('s', 't.subject_key')} "
        f"LEFT JOIN resolved r ON r.entity_id = {_id('s')} "
        "ORDER BY a.published_at NULLS LAST, t.article_id, t.fact_index"
    )
    con.execute(
        "CREATE OR REPLACE TABLE regulatory_actions AS "
        f"SELECT t.regulator, {_id('r')} AS regulator_id, t.target, {_id('g')} AS target_id, t.action, t.summary, "
        "t.amount, t.currency, t.date, t.date_start, t.date_end, t.reasons, t.article_id, a.source, "
        "a.published_at, t.evidence_text, t.evidence_start, t.evidence_end, t.evidence_count, t.fact_index "
        "FROM stg_actions t JOIN stg_articles a USING (article_id) "
        f"{_resolved('r', 't.regulator_key')} {_resolved('g', 't.target_key')} "
        "ORDER BY a.published_at NULLS LAST, t.article_id, t.fact_index"
    )
    con.execute(
        "CREATE OR REPLACE TABLE products AS "
        "WITH owners AS (SELECT article_id, a_key AS key, min(b_key) AS owner_key FROM stg_links "
        "  WHERE rule = 'qixia' GROUP BY ALL) "
        f"SELECT {_id('p')} AS entity_id, t.name, t.provider, coalesce({_id('v')}, {_id('q')}) AS provider_id, "
        f"CASE WHEN {_id('v')} IS NOT NULL THEN 'provider_field' WHEN {_id('q')} IS NOT NULL THEN 'qixia' END "
        "AS provider_by, t.type, t.launched, t.launched_start, t.annual_rate_min, t.annual_rate_max, "
        "t.credit_limit_min, t.credit_limit_max, t.max_term_months, t.features, t.article_id, a.source, "
        "a.published_at, t.evidence_text, t.evidence_start, t.evidence_end, t.evidence_count, t.fact_index "
        "FROM stg_products t JOIN stg_articles a USING (article_id) "
        "LEFT JOIN owners w ON w.article_id = t.article_id AND w.key = t.key "
        f"{_resolved('p', 't.key')} {_resolved('v', 't.provider_key')} {_resolved('q', 'w.owner_key')} "
        "ORDER BY a.published_at NULLS LAST, t.article_id, t.fact_index"
    )
    # in the order of facts.jsonl (the store's one thread keeps insertion order): sorting
    # the texts along with the rows is the one sort that outgrows the memory cap
    con.execute(
        "CREATE OR REPLACE TABLE articles AS "
        "SELECT article_id, title, source, published_at, published_at_text, language, origin_path, origin_index, "
        "model, provider, prompt_version, extractor_version, extracted_at, institutions, metrics, "
        "regulatory_actions, products, warnings, text, line "
        "FROM stg_articles"
    )
    con.execute(f"CREATE OR REPLACE TABLE conflicts AS {CONFLICTS_SQL}")
    con.execute(f"CREATE OR REPLACE VIEW series AS {SERIES_SQL}")
    con.execute("CREATE OR REPLACE TABLE problems AS SELECT * FROM stg_problems ORDER BY line, location, message")


def _entities(store: Store, resolution: Resolution) -> None:
    """Entities that some article names, and those they point to (owners, successors)."""
    con = store.con
    counts = {
        entity: (articles, mentions, sorted(forms))
        for entity, articles, mentions, forms in con.execute(
            "WITH per_article AS (SELECT entity_id, article_id, count(*) AS n FROM mentions GROUP BY ALL), "
            "counts AS (SELECT entity_id, count(*) AS articles, sum(n) AS mentions FROM per_article GROUP BY 1), "
            "forms AS (SELECT entity_id, list(name ORDER BY name) AS forms FROM "
            "  (SELECT DISTINCT entity_id, name FROM mentions) GROUP BY 1) "
            "SELECT entity_id, articles, mentions, forms FROM counts JOIN forms USING (entity_id)"
        ).fetchall()
    }
    entities = resolution.entities
    keep = set(counts)
    todo = list(keep)
    while todo:
        entity = entities[todo.pop()]
        for related in (entity.parent_id, entity.successor_id):
            if related is not None and related not in keep:
                keep.add(related)
                todo.append(related)
    rows = sorted((entities[e] for e in keep), key=lambda e: e.entity_id)

    def top(entity_id: str) -> str:
        seen = {entity_id}
        while (parent := entities[entity_id].parent_id) is not None and parent not in seen:
            seen.add(parent)
            entity_id = parent
        return entity_id

    def name(entity_id: str | None) -> str | None:
        return entities[entity_id].name if entity_id is not None else None

    columns = [
        ("entity_id", "VARCHAR"),
        ("name", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("type", "VARCHAR"),
        ("aliases", "VARCHAR[]"),
        ("parent_id", "VARCHAR"),
        ("parent", "VARCHAR"),
        ("parent_by", "VARCHAR"),
        ("parent_detail", "VARCHAR"),
        ("group_id", "VARCHAR"),
        ("group_name", "VARCHAR"),
        ("successor_id", "VARCHAR"),
        ("successor", "VARCHAR"),
        ("country", "VARCHAR"),
        ("seed", "BOOLEAN"),
        ("articles", "INTEGER"),
        ("mentions", "INTEGER"),
    ]
    table = []
    for e in rows:
        articles, mentions, forms = counts.get(e.entity_id, (0, 0, []))
        group = top(e.entity_id)
        table.append(
            (
                e.entity_id,
                e.name,
                e.kind,
                e.type,
                forms,
                e.parent_id,
                name(e.parent_id),
                e.parent_by,
                e.parent_detail,
                group,
                name(group),
                e.successor_id,
                name(e.successor_id),
                e.country,
                e.seed,
                articles,
                mentions,
            )
        )
    store.load_rows("entities", columns, table)


# Both queries below use distinct rows and fixed-size aggregates only (no window
# functions, no per-group sets or lists), which DuckDB spills to disk at any size.
# Figures of kind ``other`` and figures without a period are not comparable: left out.
_REPORTED = """
comparable AS (
    SELECT * FROM metrics WHERE entity_id IS NOT NULL AND metric <> 'other' AND period_end IS NOT NULL
), reported AS (
    SELECT entity_id, metric, period_start, period_end, unit, value, value_max,
           count(*) AS articles, max(published_at) AS latest
    FROM (SELECT DISTINCT entity_id, metric, period_start, period_end, unit, value, value_max, article_id,
                 published_at FROM comparable)
    GROUP BY entity_id, metric, period_start, period_end, unit, value, value_max
)"""

_SAME_KEY = """{a}.entity_id = {b}.entity_id AND {a}.metric = {b}.metric AND {a}.unit = {b}.unit
 AND {a}.period_end = {b}.period_end AND {a}.period_start IS NOT DISTINCT FROM {b}.period_start"""

# Figures about the same entity, metric, period and unit that differ: one row per pair
# of values, each with how many articles report it and the first report's evidence.
CONFLICTS_SQL = f"""
WITH {_REPORTED}, disputed AS (
    SELECT entity_id, metric, period_start, period_end, unit FROM reported GROUP BY ALL HAVING count(*) > 1
), firsts AS (
    SELECT c.entity_id, c.metric, c.period_start, c.period_end, c.unit, c.value, c.value_max,
           arg_min(struct_pack(article_id := c.article_id, raw := c.raw, qualifier := c.qualifier,
                               evidence_text := c.evidence_text, evidence_start := c.evidence_start,
                               evidence_end := c.evidence_end),
                   struct_pack(p := coalesce(c.published_at, TIMESTAMP '9999-12-31'), a := c.article_id,
                               i := c.fact_index)) AS first
    FROM comparable c JOIN disputed d ON {_SAME_KEY.format(a="c", b="d")}
    GROUP BY c.entity_id, c.metric, c.period_start, c.period_end, c.unit, c.value, c.value_max
), reported_values AS (
    SELECT f.*, r.articles FROM firsts f JOIN reported r ON {_SAME_KEY.format(a="f", b="r")}
     AND f.value = r.value AND f.value_max IS NOT DISTINCT FROM r.value_max
)
SELECT a.entity_id, e.name AS entity, a.metric, a.period_start, a.period_end, a.unit,
       a.value AS value_a, a.value_max AS value_max_a, a.articles::INTEGER AS articles_a,
       a.first.article_id AS article_a, a.first.raw AS raw_a, a.first.qualifier AS qualifier_a,
       a.first.evidence_text AS evidence_text_a, a.first.evidence_start AS evidence_start_a,
       a.first.evidence_end AS evidence_end_a,
       b.value AS value_b, b.value_max AS value_max_b, b.articles::INTEGER AS articles_b,
       b.first.article_id AS article_b, b.first.raw AS raw_b, b.first.qualifier AS qualifier_b,
       b.first.evidence_text AS evidence_text_b, b.first.evidence_start AS evidence_start_b,
       b.first.evidence_end AS evidence_end_b
FROM reported_values a
JOIN reported_values b ON {_SAME_KEY.format(a="a", b="b")}
 AND (a.value < b.value OR (a.value = b.value AND coalesce(a.value_max, -1e308) < coalesce(b.value_max, -1e308)))
JOIN entities e ON e.entity_id = a.entity_id
ORDER BY a.entity_id, a.metric, a.period_end, a.period_start, a.unit, a.value, a.value_max, b.value, b.value_max
"""

# One row per entity, metric, period and unit: the value most articles report (ties:
# the most recently published, then the smaller value), how many report it, how many
# report any value, and whether others disagree (see ``conflicts``).
SERIES_SQL = f"""
WITH {_REPORTED}, agreed AS (
    SELECT entity_id, metric, period_start, period_end, unit,
           arg_max(struct_pack(value := value, value_max := value_max, articles := articles),
                   struct_pack(n := articles, t := coalesce(latest, TIMESTAMP '0001-01-01'), v := -value,
                               m := -coalesce(value_max, -1e308))) AS pick,
           count(*) AS values_reported
    FROM reported
    GROUP BY entity_id, metric, period_start, period_end, unit
), reporting AS (
    SELECT entity_id, metric, period_start, period_end, unit, count(*) AS articles_reporting
    FROM (SELECT DISTINCT entity_id, metric, period_start, period_end, unit, article_id FROM comparable)
    GROUP BY entity_id, metric, period_start, period_end, unit
)
SELECT g.entity_id, e.name AS entity, g.metric, g.period_start, g.period_end, g.unit,
       g.pick.value AS value, g.pick.value_max AS value_max, g.pick.articles::INTEGER AS articles,
       p.articles_reporting::INTEGER AS articles_reporting, g.values_reported::INTEGER AS values_reported,
       g.values_reported > 1 AS disputed
FROM agreed g
JOIN reporting p ON {_SAME_KEY.format(a="p", b="g")}
JOIN entities e ON e.entity_id = g.entity_id
ORDER BY g.entity_id, g.metric, g.period_end, g.period_start, g.unit
"""


def table_rows(store: Store) -> dict[str, int]:
    rows = {}
    for table in TABLES:
        rows[table] = store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
    return rows
