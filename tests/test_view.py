"""The HTML report (``extractor view``) read back as a DOM, and ``show``/the batch summary at 80 columns.

The seed digest's facts come from ``extractor run`` replaying the cassette; hand-made
articles add what the seed lacks (markup in the text, characters outside the BMP).
The browser half of these checks is in ``test_view_browser.py``.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from extractor.cli import app
from extractor.llm import Endpoint
from extractor.models import (
    Article,
    ArticleFacts,
    Evidence,
    FinancialMetric,
    Institution,
    InstitutionType,
    Meta,
    MetricKind,
    Product,
    ProductType,
    Qualifier,
)
from extractor.view import read_run, render_report
from extractor.view._spans import Span, deal_into_lanes, levels, render_lane

from .conftest import FIXTURES, cassette_vcr

DIGEST = FIXTURES / "weilidai-digest.txt"
KINDS = ("institutions", "metrics", "regulatory_actions", "products")


# -- a seed run, as the CLI writes it --------------------------------------------------------


@dataclass
class SeedRun:
    outdir: Path
    output: str  # what `extractor run` printed at COLUMNS=80
    facts: list[ArticleFacts]
    errors: list[dict[str, Any]]


def make_seed_run(root: Path, endpoint: Endpoint) -> SeedRun:
    """The seed digest through `extractor run` (cassette replay), plus one unreadable input."""
    broken = root / "inputs" / "broken.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"title": "半截', encoding="utf-8")
    outdir = root / "out"
    env = {
        "EXTRACTOR_CACHE_DIR": str(root / "cache"),
        "EXTRACTOR_BASE_URL": "",
        "OPENAI_BASE_URL": "",
        "COLUMNS": "80",
    }
    args = ["run", str(DIGEST), str(broken), "-o", str(outdir), "--base-url", endpoint.base_url]
    args += ["--model", endpoint.model, "--mode", "llama_json"]
    with cassette_vcr().use_cassette("seed-digest.yaml"):
        result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 1, result.output  # the broken input failed, the ten articles did not
    run = read_run(outdir)
    assert len(run.facts) == 10 and len(run.errors) == 1 and not run.notices
    return SeedRun(outdir, result.output, run.facts, run.errors)


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory, model_endpoint: Endpoint) -> SeedRun:
    return make_seed_run(tmp_path_factory.mktemp("seed"), model_endpoint)


# -- hand-made articles: markup, astral characters, crossing, nested and identical spans -----

META = Meta(model="hand-made", provider="test", prompt_version="v1", prompt_hash="0", extracted_at="2026-01-01")


def evidence(text: str, quote: str, occurrence: int = 0) -> Evidence:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    return Evidence(text=quote, start=start, end=start + len(quote))


def tricky_article() -> ArticleFacts:
    text = (
        "𠀀𠀁微众银行</div><script>alert('x')</script>发布公告:😀2024年净利润62.64亿元,"
        "不良贷款率1.57%。\n第二段 A&B <b>粗体</b> &amp; 𝟘𝟙 微粒贷余额超2.6万亿。"
    )
    article = Article(id="tricky-article", title="<i>标题</i> & 𠀀", source="手工", language="zh", text=text)
    bank = evidence(text, "𠀀𠀁微众银行")
    sentence = evidence(text, "发布公告:😀2024年净利润62.64亿元,不良贷款率1.57%。")
    crossing = evidence(text, "<script>alert('x')</script>发布公告")  # crosses `sentence`
    profit = evidence(text, "62.64亿元")
    ratio = evidence(text, "1.57%")
    loans = evidence(text, "微粒贷余额超2.6万亿")
    product = evidence(text, "微粒贷")
    return ArticleFacts(
        article=article,
        institutions=[
            Institution(name="微众银行", type=InstitutionType.internet_bank, evidence=[bank, crossing]),
            Institution(name="𠀀𠀁微众银行", evidence=[bank]),  # the same span as the one above
        ],
        metrics=[
            FinancialMetric(
                subject="微众银行",
                metric=MetricKind.net_profit,
                name="净利润",
                value=6264000000,
                unit="CNY",
                raw="62.64亿元",
                period_start="2024-01-01",
                period_end="2024-12-31",
                period_text="2024年",
                evidence=[profit, sentence],
            ),
            FinancialMetric(
                subject="微众银行",
                metric=MetricKind.npl_ratio,
                name="不良贷款率",
                value=1.57,
                unit="%",
                raw="1.57%",
                evidence=[ratio],
            ),
            FinancialMetric(
                subject="微粒贷",
                metric=MetricKind.loan_balance,
                name="余额",
                value=2.6e12,
                unit="CNY",
                raw="超2.6万亿",
                qualifier=Qualifier.over,
                evidence=[loans],
            ),
        ],
        products=[Product(name="微粒贷", provider="微众银行", type=ProductType.consumer_loan, evidence=[product])],
        meta=META,
        warnings=["fact dropped: <script>quote</script> not found"],
    )


# -- reading the report back: a small DOM from the standard library's HTML parser ------------

VOID = {"meta", "input", "br", "img", "hr", "link", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def walk(self) -> list[Node]:
        found = [self]
        for child in self.children:
            if isinstance(child, Node):
                found += child.walk()
        return found

    def find(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [n for n in self.walk() if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def pages_of(document: Node) -> dict[str, str]:
    """article id → its pre-rendered page markup."""
    return {
        s.attrs["id"].removeprefix("page-"): s.text
        for s in document.find("script")
        if s.attrs.get("type") == "text/html"
    }


def expected_highlights(facts: ArticleFacts) -> Counter[tuple[str, str, int, int]]:
    prefix = {"institutions": "i", "metrics": "m", "regulatory_actions": "a", "products": "p"}
    expected: Counter[tuple[str, str, int, int]] = Counter()
    for kind in KINDS:
        for n, fact in enumerate(getattr(facts, kind)):
            for e in fact.evidence:
                expected[(kind, f"{prefix[kind]}{n}", e.start, e.end)] += 1
    return expected


def check_article_page(facts: ArticleFacts, page_html: str) -> Node:
    """Every evidence exactly one highlight with the text it quotes; every lane the article unchanged."""
    page = parse(page_html)
    text = facts.article.text
    marks = page.find("mark", "hl")
    seen: Counter[tuple[str, str, int, int]] = Counter()
    for mark in marks:
        start, end = int(mark.attrs["data-start"]), int(mark.attrs["data-end"])
        assert mark.text == text[start:end]
        assert mark.attrs["data-kind"] in KINDS and f"k-{mark.attrs['data-kind']}" in mark.classes
        seen[(mark.attrs["data-kind"], mark.attrs["data-fact"], start, end)] += 1
    assert seen == expected_highlights(facts)
    lanes = page.find("div", "lane")
    assert lanes and "lane-main" in lanes[0].classes
    for lane in lanes:
        assert lane.text == text  # text outside highlights is the article, as written
    for lane in lanes[1:]:
        assert lane.attrs.get("aria-hidden") == "true"
    return page


# -- the report of the seed run --------------------------------------------------------------


def test_every_seed_evidence_is_one_highlight_quoting_the_text(seed_run: SeedRun) -> None:
    result = CliRunner().invoke(app, ["view", str(seed_run.outdir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = (seed_run.outdir / "report.html").read_text(encoding="utf-8")
    document = parse(html)
    pages = pages_of(document)
    assert set(pages) == {f.article.id for f in seed_run.facts} | {e["id"] for e in seed_run.errors}
    evidence_total = sum(sum(expected_highlights(f).values()) for f in seed_run.facts)
    for facts in seed_run.facts:
        page = check_article_page(facts, pages[facts.article.id])
        spans = {(start, end) for _, _, start, end in expected_highlights(facts)}
        crossing = any(a < c < b < d for a, b in spans for c, d in spans)
        assert bool(page.find("div", "lane-over")) == crossing  # a second lane only for crossing spans
        if facts.warnings:  # listed on the page, not hidden
            assert [li.text for li in page.find("section", "warnings")[0].find("li")] == facts.warnings
    assert f"{evidence_total} highlighted evidence spans" in result.output
    # nothing is highlighted outside the pages: the index holds no highlight at all
    index = [n for n in document.find("main") if n.attrs.get("id") == "index"][0]
    assert not index.find("mark")


def test_index_lists_every_article_and_every_failure_with_its_error(seed_run: SeedRun) -> None:
    document = parse(render_report(seed_run.facts, seed_run.errors))
    rows = {tr.attrs["data-id"]: tr for tr in document.find("tr") if "data-id" in tr.attrs}
    assert len(rows) == 11
    for facts in seed_run.facts:
        row = rows[facts.article.id]
        assert (facts.article.title or "") in row.text and (facts.article.source or "") in row.text
        cells = [td.text for td in row.find("td")]
        counts = facts.fact_counts()
        assert cells[4:8] == [str(counts[k]) if counts[k] else "" for k in KINDS]
    error = seed_run.errors[0]
    failed = rows[error["id"]]
    assert "failed" in failed.classes and error["message"] in failed.text and error["stage"] in failed.text
    data = json.loads([s for s in document.find("script") if s.attrs.get("id") == "report-data"][0].text)
    filters = {row["id"]: row for row in data["rows"]}
    for facts in seed_run.facts:
        row = filters[facts.article.id]
        assert {i.name for i in facts.institutions} <= set(row["inst"])
        assert row["metric"] == sorted({m.metric.value for m in facts.metrics})
        assert row["kind"] == [k for k in KINDS if facts.fact_counts()[k]]
    assert filters[error["id"]]["status"] == "failed"


def test_report_is_self_contained(seed_run: SeedRun) -> None:
    html = render_report(seed_run.facts, seed_run.errors)
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html[:200]
    assert not re.search(r"<link\b|\bsrc=|@import|url\(", html), "nothing is fetched: no link, src, import or url()"
    assert "http://" not in html and "https://" not in html


# -- hand-made articles ----------------------------------------------------------------------


def test_markup_in_an_article_is_text_and_astral_and_crossing_spans_are_exact() -> None:
    facts = tricky_article()
    document = parse(render_report([facts]))
    page_html = pages_of(document)["tricky-article"]
    page = check_article_page(facts, page_html)
    assert "<script>" not in page_html and "&lt;script&gt;alert" in page_html
    assert "</div><script>" not in page_html and "&lt;b&gt;粗体" in page_html and "&amp;amp;" in page_html
    assert len(page.find("div", "lane-over")) == 1  # the crossing span needs one more lane, no more
    h1 = page.find("h1")[0]
    assert h1.text == "<i>标题</i> & 𠀀" and not h1.find("i")
    warnings = page.find("section", "warnings")[0]
    assert "fact dropped: <script>quote</script> not found" in warnings.text and not warnings.find("script")
    # the astral characters before a span do not shift it (JavaScript's UTF-16 indices would)
    astral = [m for m in page.find("mark", "hl") if m.text == "62.64亿元"][0]
    assert int(astral.attrs["data-start"]) == facts.article.text.index("62.64亿元")
    # the facts table (and with it the highlight's card) shows the normalised figure
    rows = {tr.attrs["data-fact"]: tr.text for tr in page.find("tr") if "data-fact" in tr.attrs}
    assert "6,264,000,000" in rows[astral.attrs["data-fact"]] and "2024-01-01/2024-12-31" in rows["m0"]


def test_evidence_that_does_not_match_the_text_is_listed_not_highlighted() -> None:
    facts = tricky_article()
    wrong = Evidence(text="不存在", start=3, end=6)
    outside = Evidence(text="x" * 5, start=len(facts.article.text), end=len(facts.article.text) + 5)
    facts.products[0].evidence = [wrong, outside]
    document = parse(render_report([facts]))
    page = parse(pages_of(document)["tricky-article"])
    assert not [m for m in page.find("mark", "hl") if m.attrs["data-fact"] == "p0"]
    unplaced = page.find("section", "unplaced")[0]
    assert "不存在" in unplaced.text and "beyond the text" in unplaced.text and unplaced.find("li")[1]
    product_row = [tr for tr in page.find("tr") if tr.attrs.get("data-fact") == "p0"][0]
    assert "微粒贷" in product_row.text  # the fact is still in the table


def test_article_twice_and_error_of_a_done_article_are_named_not_shown_twice(seed_run: SeedRun) -> None:
    facts = seed_run.facts[0]
    stale_error = {"id": facts.article.id, "stage": "model_output", "message": "old failure"}
    document = parse(render_report([facts, facts], [stale_error]))
    assert list(pages_of(document)) == [facts.article.id]
    notices = document.find("section", "notices")[0].text
    assert "appears more than once" in notices and "error record" in notices


# -- span placement itself -------------------------------------------------------------------


def test_lanes_hold_every_span_once_and_never_a_crossing() -> None:
    for seed in range(300):
        _check_random_spans(random.Random(seed))


def _check_random_spans(rng: random.Random) -> None:
    text = "".join(rng.choice("ab𠀀<&>\n😀") for _ in range(rng.randint(1, 40)))
    spans = []
    for n in range(rng.randint(0, 12)):
        start = rng.randrange(len(text))
        spans.append(Span(start, rng.randint(start + 1, len(text)), rng.choice(KINDS), f"f{n}", f"h{n}"))
    lanes = deal_into_lanes(spans)
    assert sorted(s.id for lane in lanes for s in lane) == sorted(s.id for s in spans)
    for lane in lanes:
        for a in lane:
            for b in lane:
                assert not (a.start < b.start < a.end < b.end), f"{a} and {b} cross in one lane"
    level_of = levels(spans)
    for a in spans:
        for b in spans:
            if a.id != b.id and a.start < b.end and b.start < a.end:
                assert level_of[a.id] != level_of[b.id]
    for lane in lanes:
        root = parse(render_lane(text, lane, level_of))
        assert root.text == text
        marks = root.find("mark")
        assert sorted(m.attrs["id"] for m in marks) == sorted(s.id for s in lane)
        for mark in marks:
            assert mark.text == text[int(mark.attrs["data-start"]) : int(mark.attrs["data-end"])]


def test_a_crossing_pair_needs_two_lanes_and_a_nested_pair_one() -> None:
    a, b = Span(0, 10, "metrics", "m0", "h0"), Span(5, 15, "metrics", "m1", "h1")
    assert deal_into_lanes([a, b]) == [[a], [b]]
    inner = Span(2, 4, "institutions", "i0", "h2")
    same = Span(0, 10, "products", "p0", "h3")
    assert deal_into_lanes([inner, a, same]) == [[a, same, inner]]
    with pytest.raises(ValueError, match="cross"):
        render_lane("x" * 20, [a, b], {})


# -- reading runs ----------------------------------------------------------------------------


def test_view_reads_a_facts_file_one_article_file_and_counts_what_it_cannot_read(
    seed_run: SeedRun, tmp_path: Path
) -> None:
    runner = CliRunner()
    lines = (seed_run.outdir / "facts.jsonl").read_text(encoding="utf-8").splitlines()
    folder = tmp_path / "copy"
    folder.mkdir()
    facts_file = folder / "facts.jsonl"
    facts_file.write_text(
        "\n".join([lines[0], "not json", json.dumps({"article": {"text": "x"}}), lines[1]]) + "\n" + lines[2][:50],
        encoding="utf-8",
    )
    (folder / "errors.jsonl").write_text((seed_run.outdir / "errors.jsonl").read_text(encoding="utf-8"))
    result = runner.invoke(app, ["view", str(facts_file), "-o", str(tmp_path / "r.html")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 articles, 1 failed" in result.output
    assert "record 2 is not an article's facts" in result.output and "2 line(s)" in result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "record 2 is not an article" in parse(html).find("section", "notices")[0].text

    one = next((seed_run.outdir / "articles").glob("*.json"))
    result = runner.invoke(app, ["view", str(one)], catch_exceptions=False)
    assert result.exit_code == 0 and "1 articles, 0 failed" in result.output
    assert (seed_run.outdir / "articles" / "report.html").exists()

    for missing in (tmp_path / "nothing-here", tmp_path):
        result = runner.invoke(app, ["view", str(missing)])
        assert result.exit_code == 2 and "error" in result.output


# -- the terminal at 80 columns --------------------------------------------------------------

_BOX = re.compile(r"[\s\u2500-\u257f]")


def _squeezed(value: str) -> str:
    return _BOX.sub("", value)


def _assert_fits(output: str, width: int) -> None:
    """Nothing cut, and every table line within the width (a path on a line of its own
    may run on: the terminal wraps it, and it copies whole)."""
    assert "…" not in output
    for line in output.splitlines():
        if not line.startswith(("results: ", "report: ", "failures: ")):
            assert cell_len(line) <= width, line


def test_show_keeps_every_value_whole_at_80_columns(seed_run: SeedRun) -> None:
    facts = max(seed_run.facts, key=lambda f: len(f.metrics))
    path = seed_run.outdir / "articles" / f"{facts.article.id}.json"
    result = CliRunner().invoke(app, ["show", str(path)], env={"COLUMNS": "80"}, catch_exceptions=False)
    assert result.exit_code == 0
    _assert_fits(result.output, 80)
    shown = _squeezed(result.output)
    for kind in KINDS:
        for fact in getattr(facts, kind):
            for e in fact.evidence:
                assert _squeezed(e.text) in shown
    for m in facts.metrics:
        assert _squeezed(f"{m.subject}") in shown and m.metric.value in shown and _squeezed(m.raw) in shown
    for a in facts.regulatory_actions:
        assert _squeezed(a.summary) in shown
    for warning in facts.warnings:
        assert _squeezed(warning) in shown


def test_show_prints_a_table_where_it_fits_and_markup_in_values_as_text(tmp_path: Path) -> None:
    facts = tricky_article()
    path = tmp_path / "tricky.json"
    path.write_text(facts.model_dump_json(), encoding="utf-8")
    wide = CliRunner().invoke(app, ["show", str(path)], env={"COLUMNS": "250"}, catch_exceptions=False)
    assert wide.exit_code == 0
    _assert_fits(wide.output, 250)
    assert re.search(r"subject\s*┃\s*metric", wide.output), "one table per fact type when it fits"
    assert "<script>alert('x')</script>" in wide.output and "[/]" not in wide.output
    narrow = CliRunner().invoke(app, ["show", str(path)], env={"COLUMNS": "80"}, catch_exceptions=False)
    _assert_fits(narrow.output, 80)
    assert "metrics 3/3" in narrow.output


def test_batch_summary_is_readable_at_80_columns(seed_run: SeedRun) -> None:
    output = seed_run.output
    _assert_fits(output, 80)
    summary = json.loads((seed_run.outdir / "summary.json").read_text(encoding="utf-8"))
    for label in ("ok", "failed", "cached", "skipped (done)", "tokens", "wall time", *summary["facts"]):
        assert label in output
    assert re.search(r"ok\s*│\s*10\b", output) and re.search(r"failed\s*│\s*1\b", output)
    assert "read 1" in output  # the failure's stage
    assert f"extractor view {seed_run.outdir}" in output
