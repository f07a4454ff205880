"""The report in a real browser: Debian's Chromium, headless, driven by Playwright.

The report is loaded from disk (``file://``), as an analyst opens it, and the DOM is read
back: each highlight's text against the article's own slice (computed in Python), the
article opened by ``#<id>``, the fact card, the facts table's jump, the index's filters,
and a 1,000-article report that holds one article's highlights at a time.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extractor.llm import Endpoint
from extractor.models import ArticleFacts
from extractor.view import render_report

from .test_view import KINDS, SeedRun, expected_highlights, make_seed_run, tricky_article

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
if not HAVE_CHROMIUM and os.environ.get("CI"):
    raise RuntimeError("CI must run the browser tests: .ci/run installs Debian's chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: make setup")

# Flags for a root user on a machine without a network or GPU (see the machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

READ_HIGHLIGHTS = """() => {
  const page = document.querySelector("#article > .page");
  return {
    id: page.dataset.id,
    marks: Array.from(document.querySelectorAll("mark.hl"), (m) => ({
      start: Number(m.dataset.start), end: Number(m.dataset.end), kind: m.dataset.kind,
      fact: m.dataset.fact, text: m.textContent, inArticle: page.contains(m),
    })),
    lanes: Array.from(page.querySelectorAll(".lane"), (lane) => lane.textContent),
    indexHidden: document.getElementById("index").hidden,
  };
}"""


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory, model_endpoint: Endpoint) -> SeedRun:
    return make_seed_run(tmp_path_factory.mktemp("seed"), model_endpoint)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Tab:
    """A browser page that records console errors and uncaught exceptions."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open_article(self, article_id: str) -> dict[str, Any]:
        self.page.evaluate("(id) => { location.hash = id; }", article_id)
        self.page.wait_for_selector(f'#article > .page[data-id="{article_id}"]')
        result: dict[str, Any] = self.page.evaluate(READ_HIGHLIGHTS)
        return result


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    tab = Tab(browser)
    yield tab
    tab.page.close()
    assert tab.errors == [], "the report logged errors in the browser"


def write_report(path: Path, facts: list[ArticleFacts], errors: list[dict[str, Any]]) -> str:
    path.write_text(render_report(facts, errors), encoding="utf-8")
    return path.as_uri()


def check_highlights_in_dom(facts: ArticleFacts, shown: dict[str, Any]) -> None:
    text = facts.article.text
    assert shown["id"] == facts.article.id and shown["indexHidden"]
    marks = shown["marks"]
    assert all(m["inArticle"] for m in marks), "only the open article's highlights are in the document"
    assert Counter((m["kind"], m["fact"], m["start"], m["end"]) for m in marks) == expected_highlights(facts)
    for mark in marks:
        assert mark["text"] == text[mark["start"] : mark["end"]]  # offsets in code points, sliced in Python
    assert shown["lanes"] and all(lane == text for lane in shown["lanes"])


def test_every_highlight_in_chromium_quotes_its_slice(seed_run: SeedRun, tab: Tab, tmp_path: Path) -> None:
    facts = [*seed_run.facts, tricky_article()]
    url = write_report(tmp_path / "report.html", facts, seed_run.errors)
    tab.page.goto(url)
    assert tab.page.locator("#articles tbody tr").count() == len(facts) + len(seed_run.errors)
    assert tab.page.locator("mark").count() == 0, "no article body is rendered on the index"
    for item in facts:
        check_highlights_in_dom(item, tab.open_article(item.article.id))
    error = seed_run.errors[0]
    tab.page.evaluate("(id) => { location.hash = id; }", error["id"])
    tab.page.wait_for_selector("#article > .page.failed")
    assert error["message"] in tab.page.inner_text("#article")
    tab.page.evaluate("() => { location.hash = ''; }")
    tab.page.wait_for_selector("#index", state="visible")
    assert tab.page.locator("mark").count() == 0


def test_a_link_to_one_article_opens_it(seed_run: SeedRun, tab: Tab, tmp_path: Path) -> None:
    url = write_report(tmp_path / "report.html", seed_run.facts, seed_run.errors)
    wanted = seed_run.facts[4]
    tab.page.goto(f"{url}#{wanted.article.id}")
    tab.page.wait_for_selector("#article > .page")
    check_highlights_in_dom(wanted, tab.page.evaluate(READ_HIGHLIGHTS))
    assert tab.page.title().startswith(wanted.article.title or "")
    assert tab.page.inner_text("#article h1") == wanted.article.title
    tab.page.goto(f"{url}#no-such-article")
    assert tab.page.is_visible("#missing") and "no-such-article" in tab.page.inner_text("#missing")


def test_fact_card_table_jump_legend_and_screenshot(tab: Tab, tmp_path: Path) -> None:
    facts = tricky_article()
    url = write_report(tmp_path / "report.html", [facts], [])
    tab.page.goto(f"{url}#{facts.article.id}")
    # 1.57% (m1) lies inside the sentence quoted by m0, which crosses another span and so
    # sits in the lane over the text: the card lists every fact under the pointer
    ratio = tab.page.locator('mark.hl[data-fact="m1"]')
    box = ratio.bounding_box()
    assert box is not None
    tab.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tab.page.wait_for_selector("#pop:not([hidden])")
    cards = tab.page.locator("#pop .card").all_inner_texts()
    assert len(cards) == 2
    ratio_card, profit_card = sorted(cards, key=lambda c: "npl_ratio" not in c)
    assert "npl_ratio" in ratio_card and "1.57" in ratio_card and "%" in ratio_card
    assert "6,264,000,000" in profit_card and "CNY" in profit_card and "2024-01-01/2024-12-31" in profit_card
    assert "微众银行" in profit_card
    tab.page.mouse.move(5, 5)
    tab.page.wait_for_selector("#pop", state="hidden")

    row = tab.page.locator('tr[data-fact="m2"]')
    row.scroll_into_view_if_needed()
    row.click()
    target = tab.page.locator('mark.hl[data-fact="m2"]')
    tab.page.wait_for_function(
        """() => { const m = document.querySelector('mark.hl[data-fact="m2"]');
                   const r = m.getBoundingClientRect();
                   return m.classList.contains("flash") && r.top >= 0 && r.bottom <= innerHeight; }"""
    )
    assert target.count() == 1

    tab.page.locator('input[data-show-kind="metrics"]').uncheck()
    assert "hide-metrics" in (tab.page.get_attribute("#article > .page", "class") or "")
    tab.page.locator('input[data-show-kind="metrics"]').check()
    tab.page.evaluate("() => window.scrollTo(0, 0)")
    tab.page.locator('mark.hl[data-fact="i0"]').first.click()
    tab.page.wait_for_selector("#pop:not([hidden])")
    shot = tmp_path / "article.png"
    tab.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_index_search_and_filters(seed_run: SeedRun, tab: Tab, tmp_path: Path) -> None:
    url = write_report(tmp_path / "report.html", seed_run.facts, seed_run.errors)
    tab.page.goto(url)
    visible = "() => Array.from(document.querySelectorAll('#articles tbody tr:not([hidden])'), r => r.dataset.id)"
    total = len(seed_run.facts) + len(seed_run.errors)
    assert tab.page.inner_text("#shown") == f"{total} of {total}"

    with_actions = [f.article.id for f in seed_run.facts if f.regulatory_actions]
    tab.page.select_option("#f-kind", "regulatory_actions")
    assert sorted(tab.page.evaluate(visible)) == sorted(with_actions)
    tab.page.select_option("#f-kind", "")

    tab.page.select_option("#f-status", "failed")
    assert tab.page.evaluate(visible) == [seed_run.errors[0]["id"]]
    tab.page.select_option("#f-status", "")

    name = "财付通小贷"
    naming = [f.article.id for f in seed_run.facts if name in {i.name for i in f.institutions}]
    assert naming
    tab.page.select_option("#f-inst", name)
    assert set(naming) <= set(tab.page.evaluate(visible))
    tab.page.select_option("#f-inst", "")

    tab.page.select_option("#f-metric", "npl_ratio")
    assert sorted(tab.page.evaluate(visible)) == sorted(
        f.article.id for f in seed_run.facts if any(m.metric.value == "npl_ratio" for m in f.metrics)
    )
    tab.page.select_option("#f-metric", "")

    title = seed_run.facts[2].article.title or ""
    tab.page.fill("#q", title[:6])
    assert seed_run.facts[2].article.id in tab.page.evaluate(visible)
    tab.page.fill("#q", "没有这样的文章 zzz")
    assert tab.page.evaluate(visible) == [] and tab.page.inner_text("#shown") == f"0 of {total}"
    tab.page.fill("#q", "")

    tab.page.click('#articles th button[data-sort="metrics"]')
    tab.page.click('#articles th button[data-sort="metrics"]')  # descending
    first = tab.page.evaluate(visible)[0]
    assert first == max(seed_run.facts, key=lambda f: len(f.metrics)).article.id


def test_a_thousand_articles_hold_one_page_at_a_time(seed_run: SeedRun, tab: Tab, tmp_path: Path) -> None:
    facts = []
    for n in range(1000):
        seed = seed_run.facts[n % len(seed_run.facts)]
        copy = {"id": f"{seed.article.id}-{n:04d}", "title": f"{seed.article.title} #{n}"}
        article = seed.article.model_copy(update=copy)
        facts.append(seed.model_copy(update={"article": article}))
    url = write_report(tmp_path / "report.html", facts, seed_run.errors)
    tab.page.goto(url)
    assert tab.page.locator("#articles tbody tr").count() == 1001
    assert tab.page.locator("mark").count() == 0
    elements = tab.page.evaluate("() => document.getElementsByTagName('*').length")
    assert elements < 20 * 1001, "the index is about a dozen elements a row; article bodies are not in the DOM"
    last = facts[-1]
    shown = tab.open_article(last.article.id)
    assert len(shown["marks"]) == sum(expected_highlights(last).values())
    assert {m["kind"] for m in shown["marks"]} <= set(KINDS)
