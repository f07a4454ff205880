"""``extractor export`` on the seed digest: a run made offline from the cassettes (the
embedded model's recorded answers), exported in every format and read back by DuckDB."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

import extractor
from extractor.backends import StaticBackend
from extractor.batch import BatchRunner
from extractor.cli import app
from extractor.config import Config
from extractor.endpoint import Endpoint
from extractor.export import TABLES, Tables, export, export_run
from extractor.export._names import name_key
from extractor.pipeline import Extractor

from .conftest import FIXTURES, cassette_vcr

OFFSET_CHECKED = ("mentions", "metrics", "regulatory_actions", "products")


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory, model_endpoint: Endpoint) -> Path:
    """``extractor run`` over the seed digest, every answer replayed from the cassette."""
    folder = tmp_path_factory.mktemp("seed-run")
    config = Config(mode="llama_json", cache_dir=folder / "cache", max_attempts=1)

    async def go() -> None:
        extractor = Extractor(config, backend=StaticBackend(model_endpoint))
        try:
            with cassette_vcr().use_cassette("seed-digest.yaml"):
                result = await BatchRunner(extractor, folder / "out", concurrency=2).run(
                    [FIXTURES / "weilidai-digest.txt"]
                )
        finally:
            await extractor.aclose()
        assert result.ok == 10 and result.failed == 0

    asyncio.run(go())
    return folder / "out"


@pytest.fixture(scope="module")
def records(seed_run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (seed_run / "facts.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def tables(seed_run: Path) -> Tables:
    return export_run(seed_run)


def _entity(tables: Tables, name: str) -> dict[str, Any]:
    (row,) = [r for r in tables.entities.to_pylist() if r["name"] == name]
    return row


def _names_in(record: dict[str, Any]) -> set[str]:
    """Every name a record's facts use, in any role."""
    names = {i["name"] for i in record["institutions"]} | {a for i in record["institutions"] for a in i["aliases"]}
    names |= {p["name"] for p in record["products"]} | {p["provider"] for p in record["products"] if p["provider"]}
    names |= {m["subject"] for m in record["metrics"]}
    names |= {x for a in record["regulatory_actions"] for x in (a["regulator"], a["target"]) if x}
    return names


def test_webank_is_one_entity_across_the_articles_that_name_it(tables: Tables, records: list[dict[str, Any]]) -> None:
    webank = _entity(tables, "微众银行")
    forms = {"微众银行", "微众", "WeBank", "深圳前海微众银行", "深圳前海微众银行股份有限公司"}
    naming = {r["article"]["id"] for r in records if _names_in(r) & forms}
    assert len(naming) >= 5
    mentioned = {m["article_id"] for m in tables.mentions.to_pylist() if m["entity_id"] == webank["entity_id"]}
    assert mentioned == naming and webank["articles"] == len(naming)
    assert {m["entity_id"] for m in tables.mentions.to_pylist() if m["name"] in forms} == {webank["entity_id"]}
    # aliases are the forms the articles use, no more: 微众 and WeBank only where an article names them so
    used = {name for r in records for name in _names_in(r) if name in forms}
    assert set(webank["aliases"]) == used
    assert ("WeBank" in webank["aliases"]) == any("WeBank" in _names_in(r) for r in records)
    assert webank["type"] == "internet_bank" and webank["seed"] is True
    subjects = [m for m in tables.metrics.to_pylist() if m["subject"] == "微众银行"]
    assert subjects and {m["entity_id"] for m in subjects} == {webank["entity_id"]}


@pytest.fixture(scope="module")
def unowned_run(seed_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed run with the owner the model gave 财付通小贷 taken away: what export must
    earn from names and the seed table alone."""
    folder = tmp_path_factory.mktemp("unowned") / "out"
    shutil.copytree(seed_run, folder)
    lines = []
    for line in (seed_run / "facts.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for institution in record["institutions"]:
            if institution["name"] == "财付通小贷":
                institution["parent"] = None
        lines.append(json.dumps(record, ensure_ascii=False))
    (folder / "facts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_an_owner_the_article_gives_is_kept(tables: Tables, records: list[dict[str, Any]]) -> None:
    given = {i["parent"] for r in records for i in r["institutions"] if i["name"] == "财付通小贷"}
    lender = _entity(tables, "财付通小贷")
    if given == {None}:
        pytest.skip("the replayed facts give 财付通小贷 no owner")
    (owner,) = given - {None}
    assert (lender["parent"], lender["parent_by"]) == (owner, "parent_field")
    assert lender["group_id"] == _entity(tables, owner)["group_id"]


def test_tencent_owns_tenpay_and_its_microlender(unowned_run: Path) -> None:
    """With no owner in the facts (and no article writing 腾讯旗下财付通…), the link is
    earned by the naming rule (财付通小贷 = 财付通 + 小贷) and the seed table's record
    that 财付通 is 腾讯's."""
    records = [json.loads(line) for line in (unowned_run / "facts.jsonl").read_text(encoding="utf-8").splitlines()]
    tables = export_run(unowned_run)
    tencent, tenpay, lender = _entity(tables, "腾讯"), _entity(tables, "财付通"), _entity(tables, "财付通小贷")
    assert (lender["parent_id"], lender["parent_by"]) == (tenpay["entity_id"], "name_prefix")
    assert lender["parent_detail"] == "财付通小贷 = 财付通 + 小贷"
    assert (tenpay["parent_id"], tenpay["parent_by"]) == (tencent["entity_id"], "seed_table")
    assert lender["group_id"] == tenpay["group_id"] == tencent["entity_id"]
    assert tenpay["articles"] == 0, "财付通 is there as the owner, no article names it alone"
    fenfu = _entity(tables, "分付")
    assert (fenfu["parent"], fenfu["group_name"]) == ("财付通小贷", "腾讯")
    assert fenfu["parent_by"] in ("provider_field", "qixia")  # its provider, or 财付通小贷旗下…“分付”
    assert tencent["articles"] == sum(
        1 for r in records if "腾讯" in {i["name"] for i in r["institutions"]} | _names_in(r)
    )


def test_without_the_seed_table_the_owner_is_not_invented(unowned_run: Path) -> None:
    bare = export_run(unowned_run, seed=False)
    lender = _entity(bare, "财付通小贷")
    assert lender["parent_id"] is None
    assert "财付通" not in {row["name"] for row in bare.entities.to_pylist()}


def test_owners_read_from_the_text(tables: Tables) -> None:
    """字节跳动旗下中融小贷, 微众银行旗下核心信贷产品“微粒贷”, 花呗是重庆蚂蚁消费金融有限公司旗下的…"""
    assert (_entity(tables, "中融小贷")["parent"], _entity(tables, "中融小贷")["parent_by"]) == ("字节跳动", "qixia")
    assert (_entity(tables, "微粒贷")["parent"], _entity(tables, "微粒贷")["parent_by"]) == ("微众银行", "qixia")
    huabei = _entity(tables, "花呗")
    assert (huabei["parent"], huabei["parent_by"], huabei["group_name"]) == (
        "重庆蚂蚁消费金融有限公司",
        "qixia",
        "蚂蚁集团",
    )
    assert _entity(tables, "奇富科技")["aliases"] == ["360数科", "奇富科技"]


def test_metric_rows_are_the_metrics_of_the_run(tables: Tables, records: list[dict[str, Any]]) -> None:
    assert tables.metrics.num_rows == sum(len(r["metrics"]) for r in records)
    assert tables.articles.num_rows == len(records)
    assert tables.regulatory_actions.num_rows == sum(len(r["regulatory_actions"]) for r in records)
    assert tables.products.num_rows == sum(len(r["products"]) for r in records)
    assert tables.problems.num_rows == 0
    exported = sorted((m["article_id"], m["fact_index"], m["raw"], m["value"]) for m in tables.metrics.to_pylist())
    expected = sorted(
        (r["article"]["id"], i, m["raw"], m["value"]) for r in records for i, m in enumerate(r["metrics"])
    )
    assert exported == expected
    assert {m["extractor_version"] for m in tables.metrics.to_pylist()} == {extractor.__version__}


def test_every_row_satisfies_the_offset_rule(tables: Tables, records: list[dict[str, Any]]) -> None:
    texts = {r["article"]["id"]: r["article"]["text"] for r in records}
    for name in OFFSET_CHECKED:
        rows = tables[name].to_pylist()
        assert rows, name
        for row in rows:
            text = texts[row["article_id"]]
            assert text[row["evidence_start"] : row["evidence_end"]] == row["evidence_text"], (name, row)
    for mention in tables.mentions.to_pylist():
        if mention["name_start"] is not None:
            assert texts[mention["article_id"]][mention["name_start"] : mention["name_end"]] == mention["name"]


@pytest.fixture(scope="module")
def exported(seed_run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exported")
    paths = {
        "duckdb": folder / "facts.duckdb",
        "parquet": folder / "parquet",
        "csv": folder / "csv",
        "jsonl": folder / "jsonl",
    }
    for format, dest in paths.items():
        report = export(seed_run, dest, format=format)
        assert report.dest == dest and report.problems == []
    return paths


def test_duckdb_reads_the_parquet_with_proper_types(exported: dict[str, Path], tables: Tables) -> None:
    con = duckdb.connect()
    folder = exported["parquet"]
    types = dict(
        con.execute(f"DESCRIBE SELECT * FROM read_parquet('{folder / 'metrics.parquet'}')").fetchall()[i][:2]
        for i in range(tables.metrics.num_columns)
    )
    assert types["value"] == "DOUBLE" and types["period_end"] == "DATE" and types["published_at"] == "TIMESTAMP"
    entity_types = {
        row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM '{folder / 'entities.parquet'}'").fetchall()
    }
    assert entity_types["aliases"] == "VARCHAR[]" and entity_types["seed"] == "BOOLEAN"
    action_types = {
        row[0]: row[1]
        for row in con.execute(f"DESCRIBE SELECT * FROM '{folder / 'regulatory_actions.parquet'}'").fetchall()
    }
    assert action_types["reasons"] == "VARCHAR[]" and action_types["date_start"] == "DATE"
    for name in TABLES:
        assert (
            con.execute(f"SELECT count(*) FROM '{folder / (name + '.parquet')}'").fetchone()[0] == tables[name].num_rows
        )
    # the evidence offset rule, checked by DuckDB (its substring counts code points, as Python does)
    for name in OFFSET_CHECKED:
        broken = con.execute(
            f"SELECT count(*) FROM '{folder / (name + '.parquet')}' t JOIN '{folder / 'articles.parquet'}' a "
            "USING (article_id) WHERE substring(a.text, t.evidence_start + 1, t.evidence_end - t.evidence_start) "
            "<> t.evidence_text"
        ).fetchone()[0]
        assert broken == 0, name
    npl = con.execute(
        f"SELECT s.period_end, s.value, s.articles FROM '{folder / 'series.parquet'}' s "
        f"JOIN '{folder / 'entities.parquet'}' e USING (entity_id) "
        "WHERE e.name = '微众银行' AND s.metric = 'npl_ratio' ORDER BY s.period_end"
    ).fetchall()
    assert [(str(day), value) for day, value, _ in npl] == [
        ("2018-12-31", 0.51),
        ("2024-12-31", 1.44),
        ("2025-06-30", 1.57),
    ]


def test_the_duckdb_file_has_the_tables_and_the_series_view(
    exported: dict[str, Path], tables: Tables, records: list[dict[str, Any]]
) -> None:
    with duckdb.connect(str(exported["duckdb"]), read_only=True) as con:
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert kinds["series"] == "VIEW"
        assert {name for name in TABLES if name != "series"} <= {n for n, k in kinds.items() if k == "BASE TABLE"}
        for name in TABLES:
            assert con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == tables[name].num_rows
        fines = con.execute(
            "SELECT e.name, count(*) FROM regulatory_actions r JOIN entities e ON e.entity_id = r.target_id "
            "WHERE r.action = 'fine' GROUP BY 1"
        ).fetchall()
        webank = {"微众银行", "微众", "WeBank"}
        fined = sum(
            1 for r in records for x in r["regulatory_actions"] if x["action"] == "fine" and x["target"] in webank
        )
        assert fined >= 1 and fines == [("微众银行", fined)]


def test_the_duckdb_command_line_queries_the_file(exported: dict[str, Path]) -> None:
    """``duckdb facts.duckdb "select ..."`` with the DuckDB CLI (a release older than the
    library that wrote the file: the file is written in a storage format it reads)."""
    cli = shutil.which("duckdb") or str(Path(__import__("sys").executable).parent / "duckdb")
    if not Path(cli).exists():
        pytest.fail("the duckdb command line is missing: `make setup` installs it (duckdb-cli, test extra)")
    done = subprocess.run(
        [
            cli,
            "-json",
            str(exported["duckdb"]),
            "SELECT entity, metric, value, articles FROM series WHERE entity = '微众银行' AND metric = 'npl_ratio' "
            "AND period_end = DATE '2025-06-30'",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"entity": "微众银行", "metric": "npl_ratio", "value": 1.57, "articles": 2}]


def test_csv_has_a_bom_and_opens_in_csv_readers(exported: dict[str, Path], tables: Tables) -> None:
    folder = exported["csv"]
    for name in TABLES:
        raw = (folder / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        with (folder / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == tables[name].num_rows
        assert list(rows[0]) == tables[name].column_names if rows else True
    entities = {row["name"]: row for row in csv.DictReader((folder / "entities.csv").open(encoding="utf-8-sig"))}
    assert json.loads(entities["奇富科技"]["aliases"]) == ["360数科", "奇富科技"]
    read = duckdb.connect().execute(f"SELECT count(*) FROM read_csv('{folder / 'metrics.csv'}')").fetchone()[0]
    assert read == tables.metrics.num_rows


def test_jsonl_has_one_object_per_row(exported: dict[str, Path], tables: Tables) -> None:
    for name in TABLES:
        lines = (exported["jsonl"] / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == tables[name].num_rows
    first = json.loads((exported["jsonl"] / "metrics.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert isinstance(first["value"], float) and first["article_id"]
    manifest = json.loads((exported["jsonl"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["metrics"] == tables.metrics.num_rows and len(manifest["source_sha256"]) == 64


def test_reexport_is_identical_and_replaces_only_an_export(seed_run: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    export(seed_run, first, format="parquet")
    export(seed_run, second, format="parquet")
    export(seed_run, second, format="parquet")  # over an earlier export: replaced
    for name in TABLES:
        assert (first / f"{name}.parquet").read_bytes() == (second / f"{name}.parquet").read_bytes(), name
    stranger = tmp_path / "mine"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("keep me", encoding="utf-8")
    from extractor.export import DestinationError

    with pytest.raises(DestinationError):
        export(seed_run, stranger, format="csv")
    assert (stranger / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_cli_export(seed_run: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    dest = tmp_path / "facts.duckdb"
    result = runner.invoke(app, ["export", str(seed_run), "--format", "duckdb", "-o", str(dest)])
    assert result.exit_code == 0, result.output
    assert "metrics" in result.output and dest.is_file()
    bad = runner.invoke(app, ["export", str(tmp_path / "nowhere"), "--format", "csv"])
    assert bad.exit_code == 2 and "facts.jsonl" in bad.output
    wrong = runner.invoke(app, ["export", str(seed_run), "--format", "xlsx"])
    assert wrong.exit_code == 2


def test_cli_export_exits_1_and_names_the_problems(seed_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    lines = (seed_run / "facts.jsonl").read_text(encoding="utf-8")
    (run / "facts.jsonl").write_text(lines + "{broken\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["export", str(run), "--format", "jsonl"])
    assert result.exit_code == 1
    assert "line 11" in result.output
    assert (run / "export-jsonl" / "metrics.jsonl").is_file()


def test_name_keys_fold_width_script_and_legal_form() -> None:
    assert name_key("微眾銀行") == name_key("微众银行") == name_key("微众银行股份有限公司")
    assert name_key("ＷｅＢａｎｋ") == name_key("webank")
    assert name_key("“微粒贷”") == name_key("微粒贷")


def test_exported_names_are_pinned() -> None:
    import extractor.export as module

    assert sorted(module.__all__) == sorted(
        [
            "FORMATS",
            "TABLES",
            "DestinationError",
            "ExportInputError",
            "ExportReport",
            "Problem",
            "SeedEntry",
            "SeedTableError",
            "Tables",
            "export",
            "export_run",
            "seed_entries",
        ]
    )
    assert module.FORMATS == ("parquet", "csv", "duckdb", "jsonl")
