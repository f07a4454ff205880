"""parse_period, parse_date and period_before, from the contract's period rules."""

from __future__ import annotations

import datetime

import pytest

from extractor.periods import parse_date, parse_period, period_before

PUBLISHED = "2025-12-28T22:50"

# (phrase, point?, start, end)
CASES = [
    ("2024年", False, "2024-01-01", "2024-12-31"),
    ("2024年度", False, "2024-01-01", "2024-12-31"),
    ("2018年", True, "2018-12-31", "2018-12-31"),
    ("2024年末", False, "2024-12-31", "2024-12-31"),
    ("2024年底", False, "2024-12-31", "2024-12-31"),
    ("截至2024年末", False, "2024-12-31", "2024-12-31"),
    ("2025年上半年", False, "2025-01-01", "2025-06-30"),
    ("2025年上半年", True, "2025-06-30", "2025-06-30"),
    ("2025年下半年", False, "2025-07-01", "2025-12-31"),
    ("2025年前三季度", False, "2025-01-01", "2025-09-30"),
    ("前三季度", False, "2025-01-01", "2025-09-30"),
    ("一季度", False, "2025-01-01", "2025-03-31"),
    ("2025年一季度", False, "2025-01-01", "2025-03-31"),
    ("2025年第三季度", False, "2025-07-01", "2025-09-30"),
    ("2025年Q2", False, "2025-04-01", "2025-06-30"),
    ("截至2025年6月末", False, "2025-06-30", "2025-06-30"),
    ("2024年6月末", False, "2024-06-30", "2024-06-30"),
    ("6月底", False, "2025-06-30", "2025-06-30"),
    ("9月", False, "2025-09-01", "2025-09-30"),
    ("2025年10月", False, "2025-10-01", "2025-10-31"),
    ("2025年10月", True, "2025-10-31", "2025-10-31"),
    ("今年", False, "2025-01-01", "2025-12-31"),
    ("去年", False, "2024-01-01", "2024-12-31"),
    ("今年上半年", False, "2025-01-01", "2025-06-30"),
    ("去年末", False, "2024-12-31", "2024-12-31"),
    ("去年底", False, "2024-12-31", "2024-12-31"),
    ("自2020年至今", False, "2020-01-01", "2025-12-28"),
    ("2024年11月11日", False, "2024-11-11", "2024-11-11"),
    ("年初", False, "2025-01-01", "2025-01-01"),
    ("前10个月", False, "2025-01-01", "2025-10-31"),
    ("1-9月", False, "2025-01-01", "2025-09-30"),
    ("2025年8月至10月", False, "2025-08-01", "2025-10-31"),
    ("２０２４年", False, "2024-01-01", "2024-12-31"),
]


@pytest.mark.parametrize(("phrase", "point", "start", "end"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_parse_period(phrase: str, point: bool, start: str, end: str) -> None:
    assert parse_period(phrase, PUBLISHED, point=point) == (start, end)


@pytest.mark.parametrize("phrase", [None, "", "目前", "近年来", "未来"])
def test_unknown_periods(phrase: str | None) -> None:
    assert parse_period(phrase, PUBLISHED) == (None, None)


def test_relative_without_publication_date_is_unknown() -> None:
    assert parse_period("今年", None) == (None, None)
    assert parse_period("9月", None) == (None, None)


def test_month_after_publication_is_last_year() -> None:
    assert parse_period("12月", "2026-01-05T15:07") == ("2025-12-01", "2025-12-31")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("2024年", "2024"),
        ("2025年10月", "2025-10"),
        ("2025年10月1日", "2025-10-01"),
        ("10月1日", "2025-10-01"),
        ("去年", "2024"),
        ("2025-10-01", "2025-10-01"),
        ("目前", None),
        (None, None),
    ],
)
def test_parse_date(phrase: str | None, expected: str | None) -> None:
    assert parse_date(phrase, PUBLISHED) == expected


def test_period_before_reads_the_nearest_phrase_in_the_sentence() -> None:
    text = "奇富科技2021年净利润27亿,2022年44亿,2024年净赚62.64亿。该产品自2015年上线以来 已服务超千万用户"
    assert period_before(text, text.index("27亿")) == "2021年"
    assert period_before(text, text.index("44亿")) == "2022年"
    assert period_before(text, text.index("62.64亿")) == "2024年"
    assert period_before(text, text.index("超千万")) is None


@pytest.mark.parametrize(
    "published",
    [datetime.date(2026, 5, 20), datetime.datetime(2026, 5, 20, 8, 30), "2026-05-20", "2026-05-20T08:30:00+08:00"],
    ids=["date", "datetime", "iso-date", "iso-datetime"],
)
def test_publication_time_as_date_datetime_or_iso_text(published: object) -> None:
    assert parse_period("今年一季度", published) == ("2026-01-01", "2026-03-31")  # type: ignore[arg-type]
    assert parse_period("去年", published) == ("2025-01-01", "2025-12-31")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("2021年二季度末", ("2021-06-30", "2021-06-30")),
        ("2021年第三季度末", ("2021-09-30", "2021-09-30")),
        ("2021年二季度", ("2021-04-01", "2021-06-30")),
        ("2023年上半年末", ("2023-06-30", "2023-06-30")),
        ("2023年下半年末", ("2023-12-31", "2023-12-31")),
        ("2023年6月末", ("2023-06-30", "2023-06-30")),
        ("2023年6月底", ("2023-06-30", "2023-06-30")),
        ("2025年前三季度末", ("2025-09-30", "2025-09-30")),
        ("2021年半年末", ("2021-06-30", "2021-06-30")),  # a half-year end is June's, not December's
        ("2021年半年底", ("2021-06-30", "2021-06-30")),
    ],
)
def test_the_end_of_a_quarter_half_or_month_is_a_point(phrase: str, expected: tuple[str, str]) -> None:
    assert parse_period(phrase) == expected


def test_article_keeps_a_publication_time_as_iso_text() -> None:
    from extractor.models import Article

    assert Article(text="x", published_at=datetime.date(2026, 5, 20)).published_at == "2026-05-20"
    assert Article(text="x", published_at=datetime.datetime(2026, 5, 20, 8, 30)).published_at == "2026-05-20T08:30"


def test_a_period_carries_to_the_figures_after_it_in_its_sentence() -> None:
    from extractor.periods import period_carried

    text = (
        "2020年，常熟银行的营业收入为65.82亿元，同比增长2.13%；归属于母公司股东的净利润为18.03亿元。"
        "股东情况方面，截至2020年末，前十大股东持股比例情况为：甲公司持股比例为9.01%，乙公司持股比例为3.84%，"
        "丙公司持股比例为3.08%。 - 累计服务个人客户超4.3亿"
    )
    assert period_carried(text, text.index("18.03亿元")) == "2020年"
    for raw in ("9.01%", "3.84%", "3.08%"):
        assert period_carried(text, text.index(raw)) == "截至2020年末"
    assert period_carried(text, text.index("超4.3亿")) is None  # a digest bullet is a new statement


def test_a_phrase_without_its_year_takes_the_articles_last_year() -> None:
    from extractor.models import Article, as_article
    from extractor.normalise import ArticleText

    text = ArticleText(as_article(Article(text="中信银行发布2021年上半年业绩。上半年，百信银行总资产679.32亿元。")))
    assert text.period("上半年", point=True, position=20) == ("2021-06-30", "2021-06-30")
    assert text.period("上半年", point=False, position=20) == ("2021-01-01", "2021-06-30")
    assert text.period("上半年", point=False) == (None, None)  # without a place in the text, no year to take


def test_a_half_year_report_is_the_first_half_and_a_recent_half_year_no_period() -> None:
    assert parse_period("2021年半年度") == ("2021-01-01", "2021-06-30")
    assert parse_period("近半年") == (None, None)  # the last six months, not a calendar half


def test_a_half_year_end_before_a_figure_is_its_period() -> None:
    from extractor.periods import period_carried

    text = "截至2021年半年末，该行总资产达1000亿元"
    assert period_carried(text, text.index("1000")) == "截至2021年半年末"


def test_a_day_past_its_months_end_is_the_months_end() -> None:
    assert parse_period("截至2019年4月31日") == ("2019-04-30", "2019-04-30")
    assert parse_period("2019年13月40日") == (None, None)


def test_a_full_date_before_a_figure_is_its_period() -> None:
    from extractor.periods import period_carried

    text = "中国人民银行于2019年6月27日开展了央行票据互换操作，操作量25亿元"
    assert parse_period(period_carried(text, text.index("25亿"))) == ("2019-06-27", "2019-06-27")


def test_figures_listed_over_a_span_of_years_take_one_year_each() -> None:
    from extractor.periods import year_in_series

    text = "2017年~2019年，净利润分别为13.46亿元、11.38亿元、5.73亿元。2020年首季亏损6.47亿元。"
    assert [year_in_series(text, text.index(f)) for f in ("13.46", "11.38", "5.73", "6.47")] == [
        "2017年",
        "2018年",
        "2019年",
        None,
    ]
