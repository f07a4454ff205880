"""Entity resolution on synthetic runs: each merge rule, each refusal, ownership, conflicts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from extractor.export import Tables, export_run
from extractor.models import (
    Article,
    ArticleFacts,
    Evidence,
    FinancialMetric,
    Institution,
    Meta,
    Product,
    RegulatoryAction,
    article_id,
)


def _evidence(text: str, quote: str) -> list[Evidence]:
    at = text.index(quote)
    return [Evidence(text=quote, start=at, end=at + len(quote))]


def make_facts(
    text: str,
    *,
    institutions: Iterable[dict[str, Any]] = (),
    products: Iterable[dict[str, Any]] = (),
    metrics: Iterable[dict[str, Any]] = (),
    actions: Iterable[dict[str, Any]] = (),
    published_at: str = "2025-12-01",
) -> ArticleFacts:
    """An ArticleFacts record whose evidence is located in ``text`` (``quote`` or the name)."""
    article = Article(
        id=article_id(text), title=text[:10], source="测试", published_at=published_at, language="zh", text=text
    )
    return ArticleFacts(
        article=article,
        institutions=[
            Institution(
                **{k: v for k, v in i.items() if k != "quote"}, evidence=_evidence(text, i.get("quote", i["name"]))
            )
            for i in institutions
        ],
        products=[
            Product(**{k: v for k, v in p.items() if k != "quote"}, evidence=_evidence(text, p.get("quote", p["name"])))
            for p in products
        ],
        metrics=[
            FinancialMetric(**{k: v for k, v in m.items() if k != "quote"}, evidence=_evidence(text, m["quote"]))
            for m in metrics
        ],
        regulatory_actions=[
            RegulatoryAction(**{k: v for k, v in a.items() if k != "quote"}, evidence=_evidence(text, a["quote"]))
            for a in actions
        ],
        meta=Meta(
            model="synthetic",
            provider="test",
            prompt_version="v1",
            prompt_hash="0",
            extracted_at="2025-12-01T00:00:00+00:00",
        ),
    )


def write_run(folder: Path, records: Iterable[ArticleFacts]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(record.model_dump_json() + "\n" for record in records)
    (folder / "facts.jsonl").write_text(lines, encoding="utf-8")
    return folder


def bank(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "bank", "country": "CN", **extra}


def entity_named(tables: Tables, name: str) -> dict[str, Any]:
    rows = [row for row in tables.entities.to_pylist() if row["name"] == name]
    assert len(rows) == 1, f"{name}: {[r['name'] for r in tables.entities.to_pylist()]}"
    return rows[0]


def entity_of_mention(tables: Tables, name: str, article: str | None = None) -> str | None:
    ids = {
        row["entity_id"]
        for row in tables.mentions.to_pylist()
        if row["name"] == name and (article is None or row["article_id"] == article)
    }
    assert len(ids) <= 1, f"{name} resolves to several entities: {ids}"
    return next(iter(ids), None)


def alias_row(tables: Tables, alias: str, scope: str = "all") -> dict[str, Any]:
    rows = [row for row in tables.aliases.to_pylist() if row["alias"] == alias and row["scope"] == scope]
    assert len(rows) == 1, rows
    return rows[0]


def run(tmp_path: Path, *records: ArticleFacts, seed: bool = True) -> Tables:
    return export_run(write_run(tmp_path / "run", records), seed=seed)


# -- merge rules ----------------------------------------------------------------------


def test_normalised_forms_are_one_name(tmp_path: Path) -> None:
    """Traditional characters, full-width letters and a legal form compare equal."""
    tables = run(
        tmp_path,
        make_facts("新网银行2024年净利润增长。", institutions=[bank("新网银行", type="internet_bank")]),
        make_facts("新網銀行發布年報。", institutions=[bank("新網銀行", type="internet_bank")]),
        make_facts("ＸＷ金融科技有限公司获批。", institutions=[{"name": "ＸＷ金融科技有限公司"}]),
        make_facts("XW金融科技获批。", institutions=[{"name": "XW金融科技"}]),
    )
    assert entity_of_mention(tables, "新网银行") == entity_of_mention(tables, "新網銀行")
    assert alias_row(tables, "新網銀行")["merged_by"] == "normalised"
    assert entity_of_mention(tables, "ＸＷ金融科技有限公司") == entity_of_mention(tables, "XW金融科技")
    assert entity_named(tables, "新网银行")["articles"] == 2


def test_declared_alias_merges_and_holds_elsewhere_when_unambiguous(tmp_path: Path) -> None:
    first = make_facts(
        "重庆富民银行股份有限公司（以下简称“富民”）发布年报。富民表示将继续服务小微。",
        institutions=[bank("重庆富民银行股份有限公司")],
        metrics=[],
    )
    second = make_facts("富民当日回应称业务正常。", institutions=[bank("富民")])
    tables = run(tmp_path, first, second)
    entity = entity_of_mention(tables, "重庆富民银行股份有限公司")
    assert entity_of_mention(tables, "富民") == entity
    row = alias_row(tables, "富民")
    assert row["merged_by"] == "declared_alias" and "以下简称" in row["detail"]


def test_former_name(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts("度小满(原百度金融)发布报告。", institutions=[{"name": "度小满", "type": "fintech_platform"}]),
        make_facts("百度金融曾推出多款产品。", institutions=[{"name": "百度金融", "type": "fintech_platform"}]),
    )
    assert entity_of_mention(tables, "百度金融") == entity_of_mention(tables, "度小满")
    assert alias_row(tables, "百度金融")["merged_by"] == "former_name"
    assert entity_named(tables, "度小满")["articles"] == 2


def test_aliases_field_found_in_text(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts(
            "苏宁消费金融（苏宁消金）上调额度。",
            institutions=[
                {"name": "苏宁消费金融", "type": "consumer_finance_company", "aliases": ["苏宁消金", "Suning CF"]}
            ],
        ),
        make_facts("苏宁消金回应投诉。", institutions=[{"name": "苏宁消金", "type": "consumer_finance_company"}]),
    )
    assert entity_of_mention(tables, "苏宁消金") == entity_of_mention(tables, "苏宁消费金融")
    assert alias_row(tables, "苏宁消金")["merged_by"] == "aliases_field"
    problems = tables.problems.to_pylist()
    assert any("Suning CF" in p["message"] and "not in the text" in p["message"] for p in problems)


def test_containment_when_unambiguous(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts("新网银行发布年报。", institutions=[bank("新网银行", type="internet_bank")]),
        make_facts("新网表示将加大投入。", institutions=[bank("新网", type="internet_bank")]),
    )
    assert entity_of_mention(tables, "新网") == entity_of_mention(tables, "新网银行")
    row = alias_row(tables, "新网")
    assert row["merged_by"] == "containment" and row["via"] == "新网银行"
    assert entity_named(tables, "新网银行")["aliases"] == ["新网", "新网银行"]


def test_containment_refused_when_another_name_starts_with_it(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts("新网银行发布年报。", institutions=[bank("新网银行", type="internet_bank")]),
        make_facts("新网科技发布新品。", institutions=[{"name": "新网科技", "type": "tech_company"}]),
        make_facts("新网表示将加大投入。", institutions=[{"name": "新网"}]),
    )
    assert len({entity_of_mention(tables, n) for n in ("新网", "新网银行", "新网科技")}) == 3
    refusal = [r for r in tables.merge_refusals.to_pylist() if r["name"] == "新网"]
    assert refusal and refusal[0]["rule"] == "containment" and "ambiguous" in refusal[0]["reason"]


def test_generic_words_never_become_entities(tmp_path: Path) -> None:
    """银行 → anything is never a merge, and 银行 is no entity of its own."""
    tables = run(
        tmp_path,
        make_facts(
            "银行业整体不良率为1.5%。天津银行发布年报。",
            institutions=[bank("银行"), bank("天津银行")],
            metrics=[
                {
                    "subject": "银行",
                    "metric": "npl_ratio",
                    "name": "不良率",
                    "value": 1.5,
                    "unit": "%",
                    "raw": "1.5%",
                    "quote": "不良率为1.5%",
                    "period_start": "2025-06-30",
                    "period_end": "2025-06-30",
                }
            ],
            actions=[
                {"regulator": "监管", "target": "天津银行", "action": "fine", "summary": "罚款", "quote": "天津银行"}
            ],
        ),
    )
    assert [e["name"] for e in tables.entities.to_pylist()] == ["天津银行"]
    assert tables.metrics.column("entity_id").to_pylist() == [None]
    action = tables.regulatory_actions.to_pylist()[0]
    assert action["regulator_id"] is None and action["target_id"] == entity_named(tables, "天津银行")["entity_id"]


def test_two_different_banks_never_merge(tmp_path: Path) -> None:
    """Even when the model lists one as the other's alias, or one name ends the other."""
    tables = run(
        tmp_path,
        make_facts("天津银行与天府银行签约。", institutions=[bank("天津银行", aliases=["天府银行"])]),
        make_facts("天府银行发布公告。", institutions=[bank("天府银行")]),
        make_facts("重庆银行和重庆农村商业银行均发布年报。", institutions=[bank("重庆银行"), bank("重庆农村商业银行")]),
        make_facts("中国银行与中国农业银行合作。", institutions=[bank("中国银行"), bank("中国农业银行")]),
    )
    names = ["天津银行", "天府银行", "重庆银行", "重庆农村商业银行", "中国银行", "中国农业银行"]
    assert len({entity_of_mention(tables, name) for name in names}) == len(names)
    refusals = tables.merge_refusals.to_pylist()
    assert any(r["name"] == "天府银行" and r["rule"] == "aliases_field" and "licence" in r["reason"] for r in refusals)


def test_colisted_names_do_not_merge_by_containment(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts("新网银行和新网均被点名。", institutions=[bank("新网银行"), bank("新网")]),
    )
    assert entity_of_mention(tables, "新网") != entity_of_mention(tables, "新网银行")
    assert any("lists" in r["reason"] for r in tables.merge_refusals.to_pylist())


def test_declared_alias_wins_over_the_seed_table_in_its_article(tmp_path: Path) -> None:
    """The seed table says 蚂蚁 is 蚂蚁集团; an article that declares 蚂蚁 for 重庆蚂蚁消费金融
    gets its own reading, and every other article keeps the seed table's."""
    declaring = make_facts(
        "重庆蚂蚁消费金融有限公司（以下简称“蚂蚁”）获批增资。蚂蚁表示资本金将用于业务发展。",
        institutions=[
            {"name": "重庆蚂蚁消费金融有限公司", "type": "consumer_finance_company"},
            {"name": "蚂蚁", "type": "consumer_finance_company", "quote": "蚂蚁表示"},
        ],
    )
    other = make_facts("蚂蚁发布可持续发展报告。", institutions=[{"name": "蚂蚁", "type": "fintech_platform"}])
    tables = run(tmp_path, declaring, other)
    consumer_finance = entity_named(tables, "重庆蚂蚁消费金融有限公司")["entity_id"]
    assert entity_of_mention(tables, "蚂蚁", declaring.article.id) == consumer_finance
    assert entity_of_mention(tables, "蚂蚁", other.article.id) == entity_named(tables, "蚂蚁集团")["entity_id"]
    local = alias_row(tables, "蚂蚁", scope="article")
    assert local["merged_by"] == "declared_alias" and local["entity_id"] == consumer_finance
    assert alias_row(tables, "蚂蚁")["merged_by"] == "seed_table"


def test_alias_declared_for_two_institutions_holds_only_in_each_article(tmp_path: Path) -> None:
    one = make_facts("华夏银行股份有限公司（以下简称“华夏”）发布年报。", institutions=[bank("华夏银行")])
    two = make_facts(
        "华夏基金管理有限公司（以下简称“华夏”）发布公告。", institutions=[{"name": "华夏基金管理有限公司"}]
    )
    tables = run(tmp_path, one, two)
    assert entity_of_mention(tables, "华夏", one.article.id) == entity_named(tables, "华夏银行")["entity_id"]
    assert (
        entity_of_mention(tables, "华夏", two.article.id) == entity_named(tables, "华夏基金管理有限公司")["entity_id"]
    )
    assert any(r["name"] == "华夏" and "different" in r["reason"] for r in tables.merge_refusals.to_pylist())


# -- ownership ------------------------------------------------------------------------


def test_owners_from_fields_text_seed_and_names(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts(
            "星河科技旗下星河小贷获批增资。",
            institutions=[{"name": "星河科技"}, {"name": "星河小贷", "type": "microlender"}],
        ),
        make_facts("月亮金融的股东为太阳集团。", institutions=[{"name": "月亮金融", "parent": "太阳集团"}]),
        make_facts("百度小贷发布公告。", institutions=[{"name": "百度小贷", "type": "microlender"}]),
        make_facts(
            "“星星贷”是星河小贷旗下的产品。",
            products=[{"name": "星星贷", "type": "consumer_loan"}],
            institutions=[{"name": "星河小贷", "type": "microlender"}],
        ),
    )
    xinghe = entity_named(tables, "星河小贷")
    assert (xinghe["parent"], xinghe["parent_by"]) == ("星河科技", "qixia")
    moon = entity_named(tables, "月亮金融")
    assert (moon["parent"], moon["parent_by"]) == ("太阳集团", "parent_field")
    baidu = entity_named(tables, "百度小贷")
    assert (baidu["parent"], baidu["parent_by"]) == ("百度", "name_prefix")
    assert entity_named(tables, "百度")["seed"] is True
    product = entity_named(tables, "星星贷")
    assert (product["parent"], product["parent_by"], product["group_name"]) == ("星河小贷", "qixia", "星河科技")
    assert tables.products.to_pylist()[0]["provider_by"] == "qixia"


def test_owner_links_never_cycle(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts("甲公司旗下乙公司。", institutions=[{"name": "甲公司"}, {"name": "乙公司"}]),
        make_facts("乙公司旗下甲公司。", institutions=[{"name": "乙公司"}, {"name": "甲公司"}]),
    )
    parents = {row["name"]: row["parent"] for row in tables.entities.to_pylist()}
    assert sorted(parents.values(), key=str) in ([None, "乙公司"], [None, "甲公司"])


def test_regulator_successor_from_the_seed_table(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts(
            "银保监会对某银行罚款。",
            institutions=[{"name": "银保监会", "type": "regulator"}],
            actions=[
                {"regulator": "银保监会", "target": "某银行", "action": "fine", "summary": "罚款", "quote": "罚款"}
            ],
        ),
    )
    old = entity_named(tables, "中国银行保险监督管理委员会")
    assert old["successor"] == "国家金融监督管理总局" and old["aliases"] == ["银保监会"]
    assert entity_named(tables, "国家金融监督管理总局")["articles"] == 0
    action = tables.regulatory_actions.to_pylist()[0]
    assert action["regulator_id"] == old["entity_id"] and action["target_id"] is None


# -- metrics, conflicts, series --------------------------------------------------------


def _npl(value: str, period: str = "2025-06-30") -> dict[str, Any]:
    return {
        "subject": "星河银行",
        "metric": "npl_ratio",
        "name": "不良贷款率",
        "value": float(value),
        "unit": "%",
        "raw": f"{value}%",
        "quote": f"不良贷款率为{value}%",
        "period_start": period,
        "period_end": period,
        "period_text": "截至2025年6月末",
    }


def test_conflict_and_agreed_series_value(tmp_path: Path) -> None:
    records = [
        make_facts(
            f"截至2025年6月末,星河银行不良贷款率为{value}%。{tag}",
            institutions=[bank("星河银行")],
            metrics=[_npl(value)],
            published_at=day,
        )
        for value, tag, day in (("1.5", "甲", "2025-08-01"), ("1.5", "乙", "2025-08-02"), ("1.6", "丙", "2025-08-03"))
    ]
    tables = run(tmp_path, *records)
    conflicts = tables.conflicts.to_pylist()
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert (conflict["value_a"], conflict["articles_a"], conflict["value_b"], conflict["articles_b"]) == (
        1.5,
        2,
        1.6,
        1,
    )
    assert conflict["evidence_text_a"] == "不良贷款率为1.5%" and conflict["evidence_text_b"] == "不良贷款率为1.6%"
    assert conflict["article_b"] == records[2].article.id
    (series,) = tables.series.to_pylist()
    assert (series["value"], series["articles"], series["articles_reporting"]) == (1.5, 2, 3)
    assert series["values_reported"] == 2 and series["disputed"] is True


def test_same_value_in_several_articles_is_no_conflict(tmp_path: Path) -> None:
    records = [
        make_facts(f"星河银行不良贷款率为1.5%。{tag}", institutions=[bank("星河银行")], metrics=[_npl("1.5")])
        for tag in "甲乙"
    ]
    tables = run(tmp_path, *records)
    assert tables.conflicts.num_rows == 0
    assert tables.series.to_pylist()[0]["articles"] == 2


def test_metrics_without_period_or_of_kind_other_are_not_compared(tmp_path: Path) -> None:
    undated = {**_npl("1.5"), "period_start": None, "period_end": None}
    records = [
        make_facts("星河银行不良贷款率为1.5%。", institutions=[bank("星河银行")], metrics=[undated]),
        make_facts(
            "星河银行不良贷款率为1.6%。",
            institutions=[bank("星河银行")],
            metrics=[{**_npl("1.6"), "period_start": None, "period_end": None}],
        ),
    ]
    tables = run(tmp_path, *records)
    assert tables.conflicts.num_rows == 0 and tables.series.num_rows == 0
    assert tables.metrics.num_rows == 2


# -- stability --------------------------------------------------------------------------


def test_entity_ids_do_not_depend_on_line_order(tmp_path: Path) -> None:
    records = [
        make_facts("新网银行发布年报。", institutions=[bank("新网银行")]),
        make_facts("新网表示将加大投入。", institutions=[bank("新网")]),
        make_facts("工行与建行合作。", institutions=[bank("工行"), bank("建行")]),
    ]
    forward = export_run(write_run(tmp_path / "a", records))
    backward = export_run(write_run(tmp_path / "b", list(reversed(records))))
    for table in ("entities", "aliases", "mentions", "metrics"):
        assert forward[table].to_pylist() == backward[table].to_pylist(), table


def test_bad_lines_are_reported_and_the_rest_exported(tmp_path: Path) -> None:
    good = make_facts("新网银行发布年报。", institutions=[bank("新网银行")])
    replaced = make_facts("天津银行发布年报。", institutions=[bank("天津银行")])
    again = replaced.model_copy(
        update={
            "institutions": [Institution(**bank("天津银行"), evidence=_evidence(replaced.article.text, "天津银行发布"))]
        }
    )
    infinite = make_facts(
        "星河银行不良贷款率为1.5%。",
        institutions=[bank("星河银行")],
        metrics=[{**_npl("1.5"), "value": float("inf")}],
    )
    broken = json.loads(good.model_dump_json())
    broken["article"]["id"] = "broken"
    broken["institutions"][0]["evidence"][0]["start"] += 1
    broken["institutions"][0]["evidence"][0]["end"] += 1
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "facts.jsonl").write_text(
        good.model_dump_json()
        + "\n"
        + "{not json\n"
        + replaced.model_dump_json()
        + "\n"
        + json.dumps(broken, ensure_ascii=False)
        + "\n"
        + again.model_dump_json()
        + "\n"
        + json.dumps(
            {
                **infinite.model_dump(mode="json"),
                "metrics": [{**infinite.metrics[0].model_dump(mode="json"), "value": float("inf")}],
            },
            ensure_ascii=False,
        )
        + "\n"
        + '{"article": {"te',
        encoding="utf-8",
    )
    tables = export_run(folder)
    problems = {(p["line"], p["location"]): p["message"] for p in tables.problems.to_pylist()}
    assert "not an ArticleFacts record" in problems[(2, "line")]
    assert "appears again at line 5" in problems[(3, "line")]
    assert "does not match" in problems[(4, "institutions[0]")]
    assert "NaN or infinite" in problems[(6, "metrics[0]")]
    assert "torn last line" in problems[(7, "line")]
    assert tables.articles.num_rows == 4
    assert [m["evidence_text"] for m in tables.mentions.to_pylist() if m["name"] == "天津银行"] == ["天津银行发布"]


def test_weizhong_by_containment_alone_unless_another_weizhong_name_exists(tmp_path: Path) -> None:
    """The issue's example without the seed table: 微众 → 微众银行 when no other 微众… name exists."""
    bank_article = make_facts("微众银行发布年报。", institutions=[bank("微众银行", type="internet_bank")])
    short_article = make_facts("微众表示将继续服务小微。", institutions=[bank("微众", type="internet_bank")])
    alone = run(tmp_path / "alone", bank_article, short_article, seed=False)
    assert entity_of_mention(alone, "微众") == entity_of_mention(alone, "微众银行")
    assert alias_row(alone, "微众")["merged_by"] == "containment"
    tech = make_facts("微众科技立足香港。", institutions=[{"name": "微众科技", "type": "tech_company"}])
    crowded = run(tmp_path / "crowded", bank_article, short_article, tech, seed=False)
    assert entity_of_mention(crowded, "微众") != entity_of_mention(crowded, "微众银行")
    (refusal,) = [r for r in crowded.merge_refusals.to_pylist() if r["name"] == "微众"]
    assert "微众科技" in refusal["reason"]


# -- each refusal to merge, with its reason ---------------------------------------------------


def _refusals(tables: Tables, name: str) -> list[dict[str, Any]]:
    return [r for r in tables.merge_refusals.to_pylist() if r["name"] == name]


def test_an_institution_and_a_product_never_merge(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts("微众银行(微粒贷)发布公告。", institutions=[bank("微众银行", aliases=["微粒贷"])]),
        make_facts("微粒贷额度上调。", products=[{"name": "微粒贷", "type": "consumer_loan"}]),
    )
    assert entity_of_mention(tables, "微粒贷") != entity_of_mention(tables, "微众银行")
    assert any("product" in r["reason"] for r in _refusals(tables, "微粒贷")), tables.merge_refusals.to_pylist()


def test_types_of_different_families_never_merge(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts("长安银行(长安监管局)发布公告。", institutions=[bank("长安银行", aliases=["长安监管局"])]),
        make_facts("长安监管局发布通知。", institutions=[{"name": "长安监管局", "type": "regulator"}]),
    )
    assert entity_of_mention(tables, "长安监管局") != entity_of_mention(tables, "长安银行")
    assert any("different families" in r["reason"] for r in _refusals(tables, "长安监管局"))


def test_what_the_seed_table_holds_as_two_never_merges(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts(
            "腾讯与蚂蚁集团均回应。",
            institutions=[{"name": "腾讯", "type": "tech_company", "aliases": ["蚂蚁集团"]}],
        ),
    )
    assert entity_of_mention(tables, "蚂蚁集团") != entity_of_mention(tables, "腾讯")
    assert any("seed table" in r["reason"] for r in _refusals(tables, "蚂蚁集团"))


def test_a_declared_short_name_other_names_start_with_holds_only_in_its_article(tmp_path: Path) -> None:
    tables = run(
        tmp_path,
        make_facts(
            "四川新网银行股份有限公司（以下简称“新网”）发布年报。新网表示将继续服务小微。",
            institutions=[bank("四川新网银行股份有限公司")],
        ),
        make_facts("新网科技发布新品。", institutions=[{"name": "新网科技", "type": "tech_company"}]),
        make_facts("新网当日回应称业务正常。", institutions=[bank("新网")]),
    )
    assert entity_of_mention(tables, "新网科技") != entity_of_mention(tables, "四川新网银行股份有限公司")
    assert any("start or end with it" in r["reason"] for r in _refusals(tables, "新网")), (
        tables.merge_refusals.to_pylist()
    )
