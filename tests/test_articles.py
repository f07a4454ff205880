"""Reading every input kind and encoding; digests split into their articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.articles import LoadError, load, split_digest
from extractor.models import Article, article_id

FIXTURES = Path(__file__).parent / "fixtures"
BODY = "微众银行2024年净利润109.03亿元,不良贷款率1.44%。"

SEED_TITLES = [
    ("无声世界·有爱守护 微众银行消保专场直播吸引12.3万人次观看", "财富在线", "2026-01-05T15:07"),
    ("中国网贷公司进军印度,怎么全军覆没了?", "商业洞察", "2025-12-30T17:23"),
    ("微众银行的大考:一边喊普惠,一边靠违规催收续命", "新浪财经", "2025-12-28T22:50"),
    ("深圳正规个人小额贷款指南:安全透明、灵活便捷的四大选择要点", "搜狐网", "2025-12-24T10:14"),
    ("违规催收?微粒贷2.6万条投诉背后:微众银行合作超280家催收机构", "凤凰网财经", "2025-12-18T22:38"),
    ("腾讯给“分付”备了百亿“弹药”", "36氪", "2025-12-15T12:03"),
    ("微众银行不改普惠初心 探索高质量发展新路", "深圳商报", "2025-12-15T06:44"),
    ("“微粒贷”逾期遭“假律师”堵门!微众银行:不便接受采访", "新浪财经", "2025-12-10T20:25"),
    ("演员杜淳妻子没开通过花呗却遭频繁催收 平台回应", "犀牛财经", "2025-12-03T09:56"),
    ("YiwealthSMI|AI与节日成10月创作热点,情感共鸣仍是抖音“流量密码”", "第一财经", "2025-12-02T10:59"),
]


def _articles(*paths: Path) -> list[Article]:
    items = list(load(paths))
    assert all(isinstance(i, Article) for i in items), items
    return [i for i in items if isinstance(i, Article)]


def test_seed_digest_is_ten_articles_with_titles_sources_and_times() -> None:
    articles = _articles(FIXTURES / "weilidai-digest.txt")
    assert [(a.title, a.source, a.published_at) for a in articles] == SEED_TITLES
    assert all(a.text and "·" not in a.text.split("\n")[0][-20:] for a in articles)
    assert [a.origin.index for a in articles if a.origin] == list(range(10))
    assert articles[2].text.startswith("公司经营与财务表现")
    assert articles[9].text.endswith("华夏银行重阳节红包活动等 [17][18][19]")


def test_ids_are_stable_and_depend_on_text_only() -> None:
    first = _articles(FIXTURES / "weilidai-digest.txt")
    again = _articles(FIXTURES / "weilidai-digest.txt")
    assert [a.id for a in first] == [a.id for a in again]
    assert len({a.id for a in first}) == 10
    assert first[0].id == article_id(first[0].text)


def test_digest_split_ignores_the_export_header() -> None:
    text = "微粒贷\n搜索文档\n标题一\n新浪财经· 2025-12-28 22:50\n正文一\n标题二\n36氪· 2025-12-15\n正文二"
    articles = split_digest(text)
    assert articles is not None
    assert [(a.title, a.source, a.published_at, a.text) for a in articles] == [
        ("标题一", "新浪财经", "2025-12-28T22:50", "正文一"),
        ("标题二", "36氪", "2025-12-15", "正文二"),
    ]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("utf8.txt", ("标题\n" + BODY).encode("utf-8")),
        ("bom.txt", ("标题\n" + BODY).encode("utf-8-sig")),
        ("utf16.txt", ("标题\n" + BODY).encode("utf-16")),
        ("gbk.txt", ("标题\n" + BODY * 3).encode("gbk")),
        ("gb18030.txt", ("标题\n" + BODY * 3).encode("gb18030")),
        ("crlf.md", ("标题\r\n" + BODY).encode("utf-8")),
    ],
)
def test_encodings(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    (article,) = _articles(tmp_path / name)
    assert article.title == "标题"
    assert article.text.startswith(BODY)
    assert "\r" not in article.text


def test_html_drops_scripts_and_styles(tmp_path: Path) -> None:
    page = (
        "<html><head><title>微众银行年报</title><style>p{color:red}</style></head>"
        f"<body><script>var x='忽略';</script><h1>微众银行年报</h1><p>{BODY}</p></body></html>"
    )
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    (article,) = _articles(tmp_path / "a.html")
    assert article.title == "微众银行年报"
    assert BODY in article.text
    assert "var x" not in article.text and "color" not in article.text


def test_json_object_list_and_jsonl(tmp_path: Path) -> None:
    record = {"title": "T", "source": "S", "published_at": "2025-01-02", "body": BODY}
    (tmp_path / "one.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "many.json").write_text(
        json.dumps([record, {**record, "content": "另一篇", "body": None}]), encoding="utf-8"
    )
    lines = [json.dumps({"text": BODY}), "{broken", json.dumps({"title": "x", "text": "第三篇"})]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(load([tmp_path]))
    articles = [i for i in items if isinstance(i, Article)]
    errors = [i for i in items if isinstance(i, LoadError)]
    assert [a.text for a in articles] == [BODY, "第三篇", BODY, "另一篇", BODY]
    assert [(e.path.endswith("feed.jsonl"), e.index) for e in errors] == [(True, 1)]
    assert articles[2].origin is not None and articles[2].origin.index == 0


def test_a_record_without_a_language_has_it_detected(tmp_path: Path) -> None:
    english = {"title": "Results", "text": "WeBank reported a net profit of RMB 10.9 billion for 2024."}
    records = [english, {**english, "language": "zh"}, {"text": BODY}]
    (tmp_path / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert [a.language for a in load([tmp_path]) if isinstance(a, Article)] == ["en", "zh", "zh"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\t\n", "empty"),
        ("binary.txt", bytes(range(256)) * 4, "binary"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "binary"),
        ("list.json", b"[1, 2]", "expected an article object"),
        ("bad.json", b"{not json", "invalid JSON"),
    ],
)
def test_bad_files_become_one_error_each(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(data)
    items = list(load([tmp_path / name]))
    assert all(isinstance(i, LoadError) for i in items) and items
    assert reason in items[0].reason  # type: ignore[union-attr]


def test_folders_are_recursive_sorted_and_skip_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "二.txt").write_text("第二篇正文", encoding="utf-8")
    (tmp_path / "a 一.txt").write_text("第一篇正文", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("隐藏", encoding="utf-8")
    (tmp_path / ".git" / "x.txt").write_text("隐藏", encoding="utf-8")
    (tmp_path / "notes.bin").write_bytes(b"\x00")
    assert [a.text for a in _articles(tmp_path)] == ["第一篇正文", "第二篇正文"]


def test_missing_path_and_symlink_loop_are_errors(tmp_path: Path) -> None:
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    items = list(load([tmp_path / "nope", tmp_path / "loop.txt"]))
    assert [type(i) for i in items] == [LoadError, LoadError]


def test_plain_text_first_short_line_is_title(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("微众银行发布年报\n" + BODY, encoding="utf-8")
    (tmp_path / "b.txt").write_text(BODY + "\n" + BODY, encoding="utf-8")
    first, second = _articles(tmp_path / "a.txt", tmp_path / "b.txt")
    assert (first.title, first.text) == ("微众银行发布年报", BODY)
    assert second.title is None and second.text == BODY + "\n" + BODY
