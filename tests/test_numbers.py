"""parse_figure and find_figures, case by case from the contract's rules."""

from __future__ import annotations

import pytest

from extractor.numbers import FigureError, chinese_numeral, find_figures, parse_figure

# (raw as written, value, value_max, unit, qualifier)
CASES = [
    ("62.64亿", 6264000000, None, None, "exact"),
    ("超2.6万条", 26000, None, "条", "over"),
    ("1.57%", 1.57, None, "%", "exact"),
    ("3%-23.76%", 3, 23.76, "%", "range"),
    ("0.0083%—0.066%", 0.0083, 0.066, "%", "range"),
    ("500元至20万元", 500, 200000, "CNY", "range"),
    ("1000亿至1500亿元", 100000000000, 150000000000, "CNY", "range"),
    ("1000至1500亿元", 100000000000, 150000000000, "CNY", "range"),
    ("5%到8%", 5, 8, "%", "range"),
    ("三百余家", 300, None, "家", "over"),
    ("一千二百万", 12000000, None, None, "exact"),
    ("超千万", 10000000, None, None, "over"),
    ("10.04个百分点", 10.04, None, "pp", "exact"),
    ("50倍", 50, None, "times", "exact"),
    ("约为129亿元", 12900000000, None, "CNY", "approx"),
    ("约30%", 30, None, "%", "approx"),
    ("18.5万+", 185000, None, None, "over"),
    ("8500+", 8500, None, None, "over"),
    ("近18%", 18, None, "%", "under"),
    ("超1300万元", 13000000, None, "CNY", "over"),
    ("１，２３４．５万元", 12345000, None, "CNY", "exact"),
    ("1,234.5万元", 12345000, None, "CNY", "exact"),
    ("4.3亿", 430000000, None, None, "exact"),
    ("超4.3亿", 430000000, None, None, "over"),
    ("14.02亿", 1402000000, None, None, "exact"),
    ("100亿美元", 10000000000, None, "USD", "exact"),
    ("超过100亿美元", 10000000000, None, "USD", "over"),
    ("2万亿元", 2000000000000, None, "CNY", "exact"),
    ("1.7万亿元", 1700000000000, None, "CNY", "exact"),
    ("12.3万人次", 123000, None, "人次", "exact"),
    ("16.8万次", 168000, None, "次", "exact"),
    ("超7000条", 7000, None, "条", "over"),
    ("3000多万元", 30000000, None, "CNY", "over"),
    ("292.86%", 292.86, None, "%", "exact"),
    ("45亿元", 4500000000, None, "CNY", "exact"),
    ("150亿元", 15000000000, None, "CNY", "exact"),
    ("109.03亿元", 10903000000, None, "CNY", "exact"),
    ("1686.17亿元", 168617000000, None, "CNY", "exact"),
    ("6.25亿元", 625000000, None, "CNY", "exact"),
    ("0.04%", 0.04, None, "%", "exact"),
    ("24期", 24, None, "期", "exact"),
    ("20笔", 20, None, "笔", "exact"),
    ("281家", 281, None, "家", "exact"),
    ("逾百家", 100, None, "家", "over"),
    ("不足1%", 1, None, "%", "under"),
    ("不到5000元", 5000, None, "CNY", "under"),
    ("1000万元左右", 10000000, None, "CNY", "approx"),
    ("50万元以上", 500000, None, "CNY", "over"),
    ("5亿港元", 500000000, None, "HKD", "exact"),
    ("300亿卢比", 30000000000, None, "INR", "exact"),
    ("两千万", 20000000, None, None, "exact"),
    ("十万", 100000, None, None, "exact"),
    ("三十五家", 35, None, "家", "exact"),
    ("百亿", 10000000000, None, None, "exact"),
    ("1.2万户", 12000, None, "户", "exact"),
    ("7000万", 70000000, None, None, "exact"),
    ("93万笔", 930000, None, "笔", "exact"),
    ("120万元", 1200000, None, "CNY", "exact"),
    # at most / at least: 不超过10% is under 10%, never read as 超过 (over)
    ("不超过10%", 10, None, "%", "under"),
    ("不低于30%", 30, None, "%", "over"),
    ("不少于5家", 5, None, "家", "over"),
    ("至少3家", 3, None, "家", "over"),
    ("不超过约6786.02万份", 67860200, None, "份", "under"),
    # a currency between the qualifier and the number belongs to the figure
    ("约人民币12.3亿元", 1230000000, None, "CNY", "approx"),
    ("约为人民币4.5亿", 450000000, None, "CNY", "approx"),
    # shares and per-share values
    ("12.5亿股", 1250000000, None, "股", "exact"),
    ("不超过678,602,334股", 678602334, None, "股", "under"),
    ("6.30元/股", 6.3, None, "CNY", "exact"),  # raw keeps /股; the value is in yuan
    ("7.69元／股", 7.69, None, "CNY", "exact"),
]


@pytest.mark.parametrize(("raw", "value", "value_max", "unit", "qualifier"), CASES, ids=[c[0] for c in CASES])
def test_parse_figure(raw: str, value: float, value_max: float | None, unit: str | None, qualifier: str) -> None:
    figure = parse_figure(raw)
    assert figure.value == pytest.approx(value)
    assert figure.value_max == (pytest.approx(value_max) if value_max is not None else None)
    assert figure.unit == unit
    assert figure.qualifier == qualifier


@pytest.mark.parametrize("raw", ["", "abc", "年利率", "20%-10%", "元"])
def test_not_a_figure(raw: str) -> None:
    with pytest.raises(FigureError):
        parse_figure(raw)


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("三百", 300),
        ("一千二百万", 12000000),
        ("千万", 10000000),
        ("两亿三千万", 230000000),
        ("十二", 12),
        ("一万零五百", 10500),
    ],
)
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert chinese_numeral(numeral) == value


def test_find_figures_skips_dates_times_ordinals_and_words() -> None:
    text = "2025-12-28 22:50 公司2024年净赚62.64亿 12月26日 排名第二 一毛钱 摆摊38年 1+4杠杆 获18.5万+点赞"
    assert [c.raw for c in find_figures(text)] == ["62.64亿", "18.5万+"]


def test_find_figures_keeps_ranges_whole_and_offsets_exact() -> None:
    text = "年利率(单利)范围一般为3%-23.76% 授信额度范围在500元至20万元之间 合作催收机构数量达三百余家"
    found = list(find_figures(text))
    assert [c.raw for c in found] == ["3%-23.76%", "500元至20万元", "三百余家"]
    for candidate in found:
        assert text[candidate.start : candidate.end] == candidate.raw
        assert candidate.figure == parse_figure(candidate.raw)


def test_find_figures_full_width_digits() -> None:
    text = "贷款余额为１２００亿元"
    (candidate,) = find_figures(text)
    assert candidate.raw == "１２００亿元"
    assert candidate.figure.value == 120000000000


@pytest.mark.parametrize(
    ("text", "raws"),
    [
        ("北京银行(601169)秉承服务理念，发卡突破510万张", ["突破510万张"]),
        ("常熟银行（601128.SH）营业收入为65.82亿元", ["65.82亿元"]),
        ("拍卖光汇石油（0933.HK）持有的1260万股", ["1260万股"]),
        ("蚂蚁集团(06688)暂缓上市", []),
        ("复星国际（００６５６）", []),
        ("腾讯控股 00700 今日收涨", []),  # a code by its leading zeros alone
        ("居然之家（000785.SZ）公告称，作价3.35亿元", ["3.35亿元"]),
        ("金融壹账通（NYSE:OCFT）发布2019年报，股票代码:600036", []),
    ],
)
def test_stock_codes_are_not_figures(text: str, raws: list[str]) -> None:
    """A listed company's code beside its name (601169, 0933.HK, 06688) counts nothing:
    codes written with their leading zeros, with an exchange suffix or after an exchange
    tag, and bare numbers in parentheses are no figures."""
    assert [c.raw for c in find_figures(text)] == raws


def test_a_loss_written_with_a_minus_sign_is_negative() -> None:
    """净利润为-945万元 is a loss of 9.45 million; 4月5日-4月11日 is a span of days, no figure."""
    text = "居然小贷2019年的净利润为-945万元，较上年同期下降-27.50%。上周（4月5日-4月11日）收益率再度下降"
    assert [(c.raw, c.figure.value) for c in find_figures(text)] == [("-945万元", -9450000), ("-27.50%", -27.5)]


@pytest.mark.parametrize(
    ("text", "raws"),
    [
        ("资产总额2086.85亿元", ["2086.85亿元"]),
        ("营收1686.17亿元", ["1686.17亿元"]),
        ("基金份额6786.02万份", ["6786.02万份"]),
        ("贷款2020.12亿元", ["2020.12亿元"]),
        ("2021.3.15发布,收入3亿元", ["3亿元"]),
        ("于2019.10上线", []),
        ("2021-03-15,12:30开盘", []),
    ],
)
def test_four_digits_and_a_decimal_are_a_figure_unless_they_read_as_a_date(text: str, raws: list[str]) -> None:
    assert [text[c.start : c.end] for c in find_figures(text)] == raws


@pytest.mark.parametrize(
    ("text", "raws"),
    [
        ("净亏损约人民币12.3亿元", ["约人民币12.3亿元"]),
        ("截至年末共有10万股东", ["10万"]),  # 股东 are holders, not shares
        ("持有500万股股份", ["500万股"]),
        ("服务千万个体与百万中小微企业", ["千万", "百万"]),  # 个体 are individuals, 个 counts nothing here
        ("每股净资产6.30元/股", ["6.30元/股"]),
        ("联合贷款出资比例不低于30%", ["不低于30%"]),
    ],
)
def test_qualifiers_currencies_and_shares_stay_with_their_figure(text: str, raws: list[str]) -> None:
    assert [c.raw for c in find_figures(text)] == raws
