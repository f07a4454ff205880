"""parse_period, parse_date, period_before and period_after on English periods.

The phrases are the periods as public results releases, filings and wire stories write
them (Qifu Technology and Yatsen quarterly results, Bank of China and Hang Seng Bank
annual and interim results, ICBC's highlights table, FCA notices, an SEC 20-F, RBI
penalties, Xinhua on the PBOC).
"""

from __future__ import annotations

import pytest

from extractor.numbers import find_figures
from extractor.periods import english_periods, first_period, parse_date, parse_period, period_after, period_before

PUBLISHED = "2025-12-28T22:50"

# (phrase, point?, start, end)
CASES = [
    # the issue's own list
    ("2023", False, "2023-01-01", "2023-12-31"),
    ("2023", True, "2023-12-31", "2023-12-31"),
    ("FY2023", False, "2023-01-01", "2023-12-31"),
    ("fiscal 2023", False, "2023-01-01", "2023-12-31"),
    ("fiscal year ended March 31, 2024", False, "2023-04-01", "2024-03-31"),
    ("Q2 2024", False, "2024-04-01", "2024-06-30"),
    ("2Q24", False, "2024-04-01", "2024-06-30"),
    ("second quarter of 2024", False, "2024-04-01", "2024-06-30"),
    ("first half of 2023", False, "2023-01-01", "2023-06-30"),
    ("H1 2024", False, "2024-01-01", "2024-06-30"),
    ("H2 2024", False, "2024-07-01", "2024-12-31"),
    ("nine months to September", False, "2025-01-01", "2025-09-30"),
    ("nine months ended September 30", False, "2025-01-01", "2025-09-30"),
    ("as of March 31, 2024", False, "2024-03-31", "2024-03-31"),
    ("end of 2023", False, "2023-12-31", "2023-12-31"),
    ("year-end 2023", False, "2023-12-31", "2023-12-31"),
    ("end of March 2025", False, "2025-03-31", "2025-03-31"),
    ("last year", False, "2024-01-01", "2024-12-31"),
    ("this year", False, "2025-01-01", "2025-12-31"),
    ("last quarter", False, "2025-07-01", "2025-09-30"),
    # results releases
    ("the third quarter ended September 30, 2023", False, "2023-07-01", "2023-09-30"),
    ("the first quarter ended March 31, 2024", False, "2024-01-01", "2024-03-31"),
    ("the third quarter of 2023", False, "2023-07-01", "2023-09-30"),
    ("the second quarter of 2024", True, "2024-06-30", "2024-06-30"),
    ("the half year ended 30 June 2024", False, "2024-01-01", "2024-06-30"),
    ("the six months ended June 30, 2024", False, "2024-01-01", "2024-06-30"),
    ("the nine months ended September 30, 2024", False, "2024-01-01", "2024-09-30"),
    ("the year ending December 31, 2023", False, "2023-01-01", "2023-12-31"),
    ("the year ended December 31, 2023", True, "2023-12-31", "2023-12-31"),
    ("12 Months Ended Dec. 31, 2022", False, "2022-01-01", "2022-12-31"),
    ("twelve months ended June 30, 2024", False, "2023-07-01", "2024-06-30"),
    ("the first half of 2024", False, "2024-01-01", "2024-06-30"),
    ("2023 1H", False, "2023-01-01", "2023-06-30"),
    ("1H24", False, "2024-01-01", "2024-06-30"),
    ("3Q24", False, "2024-07-01", "2024-09-30"),
    ("Q3 2024", False, "2024-07-01", "2024-09-30"),
    ("Q4'23", False, "2023-10-01", "2023-12-31"),
    ("2024Q1", False, "2024-01-01", "2024-03-31"),
    ("fourth-quarter", False, "2025-10-01", "2025-12-31"),
    ("the fourth quarter of last year", False, "2024-10-01", "2024-12-31"),
    ("the last quarter of 2023", False, "2023-10-01", "2023-12-31"),
    ("first nine months of 2024", False, "2024-01-01", "2024-09-30"),
    ("the first three quarters of 2024", False, "2024-01-01", "2024-09-30"),
    ("9M24", False, "2024-01-01", "2024-09-30"),
    ("FY2023/24", False, "2023-04-01", "2024-03-31"),
    ("FY2023-24", False, "2023-04-01", "2024-03-31"),
    ("2016/2017 financial year", False, "2016-04-01", "2017-03-31"),
    ("financial year 2022", False, "2022-01-01", "2022-12-31"),
    ("FY24", False, "2024-01-01", "2024-12-31"),
    # points: stocks and ratios at a day
    ("as of September 30, 2023", False, "2023-09-30", "2023-09-30"),
    ("as at 30 June 2024", False, "2024-06-30", "2024-06-30"),
    ("as on March 31, 2021", False, "2021-03-31", "2021-03-31"),
    ("at the end of June 2023", False, "2023-06-30", "2023-06-30"),
    ("end-June 2024", False, "2024-06-30", "2024-06-30"),
    ("end-2023", False, "2023-12-31", "2023-12-31"),
    ("June-end", False, "2025-06-30", "2025-06-30"),
    ("the end of the second quarter", False, "2025-06-30", "2025-06-30"),
    ("at year-end", True, None, None),  # which year's end is not written
    ("the beginning of 2024", False, "2024-01-01", "2024-01-01"),
    ("December 31, 2023", False, "2023-12-31", "2023-12-31"),
    ("Dec. 31, 2022", False, "2022-12-31", "2022-12-31"),
    ("31 March 2024", False, "2024-03-31", "2024-03-31"),
    ("31-Dec-08", False, "2008-12-31", "2008-12-31"),
    ("30/6/2024", False, "2024-06-30", "2024-06-30"),
    ("12/31/2023", False, "2023-12-31", "2023-12-31"),
    ("2023.06.30", False, "2023-06-30", "2023-06-30"),
    ("2024-11-11", False, "2024-11-11", "2024-11-11"),
    # months and relative words
    ("March 2024", False, "2024-03-01", "2024-03-31"),
    ("October", False, "2025-10-01", "2025-10-31"),
    ("the previous year", False, "2024-01-01", "2024-12-31"),
    ("year-to-date", False, "2025-01-01", "2025-12-28"),
    ("this quarter", False, "2025-10-01", "2025-12-31"),
    ("Q1", False, "2025-01-01", "2025-03-31"),
]


@pytest.mark.parametrize(("phrase", "point", "start", "end"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_parse_period(phrase: str, point: bool, start: str | None, end: str | None) -> None:
    assert parse_period(phrase, PUBLISHED, point=point) == (start, end)


@pytest.mark.parametrize(
    "phrase",
    ["a year ago", "the same period", "6/3/2024", "February 30, 2024", "recently", "in recent years", "FY2023/25"],
)
def test_unknown_english_periods(phrase: str) -> None:
    """A date the writer's convention decides (6/3/2024), a day that does not exist, a
    split fiscal year that is not one year long, and a period named only by another."""
    assert parse_period(phrase, PUBLISHED) == (None, None)


def test_relative_english_periods_need_a_publication_date() -> None:
    assert parse_period("last year", None) == (None, None)
    assert parse_period("nine months to September", None) == (None, None)
    assert parse_period("last quarter", "2026-01-05") == ("2025-10-01", "2025-12-31")


@pytest.mark.parametrize(
    ("phrase", "anchor", "expected"),
    [
        ("the same period of 2022", "the third quarter of 2023", ("2022-07-01", "2022-09-30")),
        ("the same period last year", "the first half of 2024", ("2023-01-01", "2023-06-30")),
        ("a year ago", "As of September 30, 2023", ("2022-09-30", "2022-09-30")),
        ("a year earlier", "end of 2024", ("2023-12-31", "2023-12-31")),
        ("the prior year period", "the nine months ended September 30, 2024", ("2023-01-01", "2023-09-30")),
        ("a year earlier", "截至2025年6月末", ("2024-06-30", "2024-06-30")),  # bilingual: a Chinese anchor
    ],
)
def test_a_period_named_by_the_sentence_s_own(phrase: str, anchor: str, expected: tuple[str, str]) -> None:
    """ "RMB110,675 million in the same period of 2022" after "In the third quarter of 2023"
    is the third quarter of 2022."""
    assert parse_period(phrase, PUBLISHED, anchor=anchor) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("September 30, 2023", "2023-09-30"),
        ("December 5", "2025-12-05"),
        ("October 2025", "2025-10"),
        ("2024", "2024"),
        ("last year", "2024"),
        ("fiscal 2023", "2023"),
        ("Q2 2024", "2024"),
        ("recently", None),
    ],
)
def test_parse_date(phrase: str, expected: str | None) -> None:
    assert parse_date(phrase, PUBLISHED) == expected


# (sentence, figure, the period before it, the period after it)
SENTENCES = [
    (
        "As of September 30, 2023, our platform has connected 155 financial institutional partners and"
        " 227.9 million consumers, an increase of 12.0% from 203.5 million a year ago.",
        [
            ("227.9 million", "As of September 30, 2023", None),
            ("203.5 million", "As of September 30, 2023", "a year ago"),
        ],
    ),
    (
        "In the third quarter of 2023, total loan volume reached RMB123,148 million, an increase of 11.3% from"
        " RMB110,675 million in the same period of 2022.",
        [
            ("RMB123,148 million", "third quarter of 2023", None),
            ("RMB110,675 million", "third quarter of 2023", "same period of 2022"),
        ],
    ),
    (
        "Total outstanding loan balance was RMB189,100 million as of September 30, 2023.",
        [("RMB189,100 million", None, "as of September 30, 2023")],
    ),
    (
        "The bank's net profit rose to RMB 1.2 billion in 2023, up from RMB 1.0 billion in 2022. Since 2015 it"
        " has served 10 million users.",
        [("RMB 1.2 billion", None, "2023"), ("RMB 1.0 billion", "2023", "2022"), ("10 million", None, None)],
    ),
    (
        "For the nine months ended September 30, 2024, revenue was $5.2 billion. Its NPL ratio was 1.5% at"
        " end-June 2024 and 1.6% at the end of 2023.",
        [
            ("$5.2 billion", "nine months ended September 30, 2024", None),
            ("1.5%", None, "end-June 2024"),
            ("1.6%", "at end-June 2024", "end of 2023"),
        ],
    ),
    (
        "Mr. Li said Ping An Bank Co. Ltd. earned RMB 5 billion in 2023. The U.S. unit lost $2 million.",
        [("RMB 5 billion", None, "2023"), ("$2 million", None, None)],
    ),
    (
        "Q2 2024 revenue was $3 billion; in FY2023 it was $2 billion and the CET1 ratio was 13.2% at year-end 2023.",
        [("$3 billion", "Q2 2024", None), ("$2 billion", "FY2023", None), ("13.2%", "FY2023", "year-end 2023")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), SENTENCES, ids=[s[0][:40] for s in SENTENCES])
def test_period_before_and_after_a_figure(text: str, expected: list[tuple[str, str | None, str | None]]) -> None:
    by_raw = {c.raw: c for c in find_figures(text)}
    for raw, before, after in expected:
        candidate = by_raw[raw]
        assert (period_before(text, candidate.start), period_after(text, candidate.end)) == (before, after), raw


def test_english_phrases_never_glue_to_chinese() -> None:
    """Chinese text keeps its own reading: 2025年Q3 and Q3营收 are no English periods, and
    a year in brackets (〔2019〕2号) is none."""
    text = "2025年Q3营收增长，处罚决定书（〔2019〕2号）显示罚款10万元，2023 年为8万元"
    assert english_periods(text, 0, len(text)) == []
    assert period_before(text, text.index("10万元")) == "2025年"


def test_first_period_reads_english_sentences() -> None:
    assert first_period("On December 5, the RBI imposed a monetary penalty of Rs 5 lakh") == "December 5"
    assert first_period("The FCA fined the bank £7.67m in 2023 for failings between 2014 and 2019") == "2023"
    assert first_period("2024年收到超1300万元巨额罚单") == "2024年"
