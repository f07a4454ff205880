"""parse_figure and find_figures on English figures, phrase by phrase.

The phrases are the figures as they stand in public press releases and filings (Qifu
Technology and Yatsen quarterly results, Hang Seng Bank and Bank of China results, FCA,
SEC and RBI enforcement notices, Xinhua and China Daily on PBOC rate cuts), cut to the
figure and the words it needs.
"""

from __future__ import annotations

import pytest

from extractor.numbers import FigureError, find_figures, parse_figure, yen_currency

# (raw as written, value, value_max, unit, qualifier)
CASES = [
    # the issue's own examples
    ("$3.7 billion", 3.7e9, None, "USD", "exact"),
    ("USD 4.1 million", 4.1e6, None, "USD", "exact"),
    ("RMB 9.85 billion", 9.85e9, None, "CNY", "exact"),
    ("HK$2.2 million", 2.2e6, None, "HKD", "exact"),
    ("2.6 trillion yuan", 2.6e12, None, "CNY", "exact"),
    ("50 basis points", 50, None, "bp", "exact"),
    # quarterly results (Qifu Technology, Yatsen, Bank of China)
    ("RMB123,148 million", 123148e6, None, "CNY", "exact"),
    ("RMB189,100 million", 189100e6, None, "CNY", "exact"),
    ("227.9 million", 227.9e6, None, None, "exact"),
    ("18,504,320", 18504320, None, None, "exact"),
    ("US$450 million", 450e6, None, "USD", "exact"),
    ("RMB794.5 million", 794.5e6, None, "CNY", "exact"),
    ("US$11.8million", 11.8e6, None, "USD", "exact"),
    ("RMB 586,461 million", 586461e6, None, "CNY", "exact"),
    ("12.0%", 12.0, None, "%", "exact"),
    ("-0.29%", -0.29, None, "%", "exact"),
    ("approximately 11.23", 11.23, None, None, "approx"),
    # Hong Kong banks
    ("HK$2,111 million", 2111e6, None, "HKD", "exact"),
    ("HK$ 2,111 million", 2111e6, None, "HKD", "exact"),
    ("HKD 11.307 billion", 11.307e9, None, "HKD", "exact"),
    ("20 basis points", 20, None, "bp", "exact"),
    ("HKD 9,888 million", 9888e6, None, "HKD", "exact"),
    # FCA fines
    ("£7.67m", 7.67e6, None, "GBP", "exact"),
    ("£3,250,600", 3250600, None, "GBP", "exact"),
    ("more than £11.5 million", 11.5e6, None, "GBP", "over"),
    ("more than £107.7 million", 107.7e6, None, "GBP", "over"),
    ("nearly £154 million", 154e6, None, "GBP", "under"),
    ("£42m", 42e6, None, "GBP", "exact"),
    ("£896,100", 896100, None, "GBP", "exact"),
    # SEC settlements
    ("$3 billion", 3e9, None, "USD", "exact"),
    ("$500 million", 500e6, None, "USD", "exact"),
    ("$1,750,000", 1750000, None, "USD", "exact"),
    ("approximately $40 million", 40e6, None, "USD", "approx"),
    ("over $26.8 million", 26.8e6, None, "USD", "over"),
    ("$174,202.81", 174202.81, None, "USD", "exact"),
    # RBI penalties: crore and lakh, and the Indian grouping of thousands
    ("Rs 1 crore", 1e7, None, "INR", "exact"),
    ("₹2 crore", 2e7, None, "INR", "exact"),
    ("₹1.05 crore", 1.05e7, None, "INR", "exact"),
    ("Rs 5 lakh", 5e5, None, "INR", "exact"),
    ("Rs36.50 lakh", 36.5e5, None, "INR", "exact"),
    ("₹ 1,00,000", 100000, None, "INR", "exact"),
    ("15 percent", 15, None, "%", "exact"),
    # PBOC rate cuts as the wires write them
    ("0.5 percentage points", 0.5, None, "pp", "exact"),
    ("1 percentage point", 1, None, "pp", "exact"),
    ("0.5 percentage-point", 0.5, None, "pp", "exact"),
    ("5-percent", 5, None, "%", "exact"),
    ("25-basis-point", 25, None, "bp", "exact"),
    ("25bp", 25, None, "bp", "exact"),
    ("100 bps", 100, None, "bp", "exact"),
    ("50-100bps", 50, 100, "bp", "range"),
    ("about 1 trillion yuan", 1e12, None, "CNY", "approx"),
    ("about 138.9 billion U.S. dollars", 138.9e9, None, "USD", "approx"),
    ("around 530 bn yuan", 530e9, None, "CNY", "approx"),
    ("CNY 550B", 550e9, None, "CNY", "exact"),
    ("about 7.4 percent", 7.4, None, "%", "approx"),
    ("0.35 percent", 0.35, None, "%", "exact"),
    # the other scale words, symbols and codes
    ("€1.2bn", 1.2e9, None, "EUR", "exact"),
    ("$20k", 20e3, None, "USD", "exact"),
    ("$5B", 5e9, None, "USD", "exact"),
    ("5 mln", 5e6, None, None, "exact"),
    ("RMB 3.5 thousand", 3500, None, "CNY", "exact"),
    ("500 million euros", 500e6, None, "EUR", "exact"),
    ("2 billion Hong Kong dollars", 2e9, None, "HKD", "exact"),
    ("1.2 billion RMB", 1.2e9, None, "CNY", "exact"),
    ("two million", 2e6, None, None, "exact"),
    ("a billion yuan", 1e9, None, "CNY", "exact"),
    ("1.5 times", 1.5, None, "times", "exact"),
    ("2.5x", 2.5, None, "times", "exact"),
    ("5.5 per cent", 5.5, None, "%", "exact"),
    ("5 %", 5, None, "%", "exact"),
    # qualifiers
    ("about 5%", 5, None, "%", "approx"),
    ("around $2 billion", 2e9, None, "USD", "approx"),
    ("roughly 30%", 30, None, "%", "approx"),
    ("almost 20%", 20, None, "%", "under"),
    ("less than 1%", 1, None, "%", "under"),
    ("under $1 million", 1e6, None, "USD", "under"),
    ("up to $1 billion", 1e9, None, "USD", "under"),
    ("above 10%", 10, None, "%", "over"),
    ("at least RMB 1 billion", 1e9, None, "CNY", "over"),
    ("10% or more", 10, None, "%", "over"),
    ("500+", 500, None, None, "over"),
    # ranges
    ("2% to 4%", 2, 4, "%", "range"),
    ("2 to 4 per cent", 2, 4, "%", "range"),
    ("2-4%", 2, 4, "%", "range"),
    ("2–4%", 2, 4, "%", "range"),
    ("between $500 million and $1 billion", 500e6, 1e9, "USD", "range"),
    ("between 2% and 4%", 2, 4, "%", "range"),
    ("$500-700 million", 500e6, 700e6, "USD", "range"),
    ("$500 million to $1 billion", 500e6, 1e9, "USD", "range"),
    ("25 to 50 bps", 25, 50, "bp", "range"),
    ("-2% to 3%", -2, 3, "%", "range"),
    # losses as accounts write them
    ("(1,234)", -1234, None, None, "exact"),
    ("(3.5)", -3.5, None, None, "exact"),
    ("$(3.5) million", -3.5e6, None, "USD", "exact"),
    ("-5.2%", -5.2, None, "%", "exact"),
    ("−5.2%", -5.2, None, "%", "exact"),
    ("-$3.5 million", -3.5e6, None, "USD", "exact"),
    # bilingual text: either grammar's words around one number
    ("US$1.2亿", 1.2e8, None, "USD", "exact"),
    ("HK$3.5亿", 3.5e8, None, "HKD", "exact"),
    ("1,234,567,890.12元", 1234567890.12, None, "CNY", "exact"),
    ("¥100元", 100, None, "CNY", "exact"),
    ("RMB1.2亿元", 1.2e8, None, "CNY", "exact"),
]


@pytest.mark.parametrize(("raw", "value", "value_max", "unit", "qualifier"), CASES, ids=[c[0] for c in CASES])
def test_parse_figure(raw: str, value: float, value_max: float | None, unit: str | None, qualifier: str) -> None:
    figure = parse_figure(raw)
    assert figure.value == pytest.approx(value)
    assert figure.value_max == (pytest.approx(value_max) if value_max is not None else None)
    assert figure.unit == unit
    assert figure.qualifier == qualifier


@pytest.mark.parametrize(
    "raw",
    [
        "million",
        "$",
        "between $5 million",  # a range without its second end
        "5% and 6%",  # "and" joins a range only after "between"
        "4% to 2%",  # backwards
        "5% to RMB 1.2 billion",  # a ratio and money: two figures, not a range
        "$5 million to 6%",
        "$5 million to €6 million",
        "2 bps to 3%",
        "(2)",  # a list mark
        "5m",  # one-letter scales only after a currency
        "3rd",
        "five",  # a number word only before a scale word
    ],
)
def test_not_an_english_figure(raw: str) -> None:
    with pytest.raises(FigureError):
        parse_figure(raw)


def test_the_yen_sign_is_read_from_its_context() -> None:
    """¥ is the yuan or the yen; without context the currency is ``other``."""
    assert parse_figure("¥5 billion").unit == "other"
    assert parse_figure("¥5 billion", yen="JPY").unit == "JPY"
    assert parse_figure("¥100元", yen="JPY").unit == "CNY"  # 元 says so itself
    chinese = "微众银行营收¥100亿"
    assert yen_currency(chinese, 5, len(chinese)) == "CNY"
    japanese = "Mizuho, Japan's second-largest lender, earned ¥680 billion."
    at = japanese.index("¥")
    assert yen_currency(japanese, at, at + 13) == "JPY"
    beside = "Revenue was ¥5 billion (RMB) in Tokyo-listed units."
    at = beside.index("¥")
    assert yen_currency(beside, at, at + 10) == "CNY"  # RMB beside it beats Tokyo in the article
    assert yen_currency("Revenue was ¥5 billion.", 12, 22) == "other"
    (found,) = find_figures(japanese)
    assert (found.raw, found.figure.unit) == ("¥680 billion", "JPY")


# (sentence, the figures find_figures returns, in order)
SENTENCES = [
    (
        "As of September 30, 2023, our platform has connected 155 financial institutional partners and"
        " 227.9 million consumers, an increase of 12.0% from 203.5 million a year ago.",
        ["155", "227.9 million", "12.0%", "203.5 million"],
    ),
    (
        "Total outstanding loan balance was RMB189,100 million as of September 30, 2023, an increase of"
        " 18.2% from RMB160,020 million as of September 30, 2022.",
        ["RMB189,100 million", "18.2%", "RMB160,020 million"],
    ),
    ("Qifu Technology, Inc. (NASDAQ: QFIN; HKEx: 3660) reported results for the third quarter of 2023.", []),
    (
        "The NPL ratio rose from 1.44% to 1.57%, while net profit rose 5.2% to RMB 1.3 billion.",
        ["1.44%", "1.57%", "5.2%", "RMB 1.3 billion"],
    ),
    ("The FCA fined Guaranty Trust Bank £7.67m for weaknesses between October 2014 and July 2019.", ["£7.67m"]),
    ("On December 5, the RBI imposed a penalty of Rs 5 lakh on the bank at 10 a.m. on Monday.", ["Rs 5 lakh"]),
    ("Form 20-F, COVID-19, No. 1217 Dongfang Road, Exhibit 99.1, Section 47 A (1) (c), Stage 2 loans.", []),
    ("The weighted average tenor was more than 20 years; the 90 day+ delinquency rate fell.", []),
    ("Shares 1398.HK and 0700 rose; 2Q24, 1H 2024, FY2023, Q3 and the 3rd quarter are periods.", []),
    (
        "Net interest margin widened by 20 basis points to 2.29%; banks cut by 25 to 50 bps.",
        ["20 basis points", "2.29%", "25 to 50 bps"],
    ),
    (
        "Guidance: loan growth of 2% to 4% and a charge of between $500 million and $1 billion.",
        ["2% to 4%", "between $500 million and $1 billion"],
    ),
    # years are no range; "5 to 10" names no unit, so only the count next to its noun stays
    ("Loans grew 12% in 2023 to 2025 and between 2020 and 2023 the bank opened 5 to 10 branches.", ["12%", "10"]),
    (
        "A loss of $(3.5) million, (1,234) in the table, -5.2% growth, about 5%, nearly £154 million.",
        ["$(3.5) million", "(1,234)", "-5.2%", "about 5%", "nearly £154 million"],
    ),
    ("1. Revenue\n12. Net income rose 5% to 31 March 2024 from 30/6/2023 and 31-Dec-08.", ["5%"]),
    # "up to" is a limit, except after a verb that "up" goes with
    (
        "The NPL ratio edged up to 1.5%; fines of up to £1 million; it went up to $2bn.",
        ["1.5%", "up to £1 million", "$2bn"],
    ),
    # bilingual: the English reading covers the Chinese one
    ("净利润为US$1.2 billion，微众银行(WeBank)营收HK$3.5亿，增长约5%", ["US$1.2 billion", "HK$3.5亿", "约5%"]),
    ("居然小贷2019年的净利润为-945万元", ["-945万元"]),
]


@pytest.mark.parametrize(("text", "raws"), SENTENCES, ids=[s[0][:40] for s in SENTENCES])
def test_find_figures_in_english_sentences(text: str, raws: list[str]) -> None:
    found = list(find_figures(text))
    assert [c.raw for c in found] == raws
    for candidate in found:
        assert text[candidate.start : candidate.end] == candidate.raw
        assert candidate.figure == parse_figure(candidate.raw)


def test_a_change_from_one_figure_to_another_is_two_figures() -> None:
    """ "from 4.20% to 3.95%" is where a rate went, not a range; "2% to 4%" is a range."""
    text = "cut the five-year LPR by 25 basis points (bps) from 4.20% to 3.95%, within 2% to 4%"
    assert [(c.raw, c.figure.qualifier) for c in find_figures(text)] == [
        ("25 basis points", "exact"),
        ("4.20%", "exact"),
        ("3.95%", "exact"),
        ("2% to 4%", "range"),
    ]


def test_a_range_that_is_none_gives_its_figures_one_by_one() -> None:
    text = "Net profit rose 5.2% to RMB 1.3 billion; a ratio of 5% to $2 million is no range."
    assert [c.raw for c in find_figures(text)] == ["5.2%", "RMB 1.3 billion", "5%", "$2 million"]


def test_english_figures_keep_offsets_in_text_that_nfkc_changes() -> None:
    """A ligature (ﬁ → fi) changes lengths under NFKC: the original text is scanned."""
    text = "The ﬁne was £7.67m, about 5%."
    found = list(find_figures(text))
    assert [c.raw for c in found] == ["£7.67m", "about 5%"]
    assert all(text[c.start : c.end] == c.raw for c in found)
