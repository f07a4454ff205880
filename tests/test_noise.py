"""Figures that are no fact: stock quotes and codes, made-up examples, like counts."""

from __future__ import annotations

import pytest

from extractor.numbers import find_figures
from extractor.rules import numbered_figures, real_figures


def _kept(text: str) -> list[str]:
    return [c.raw for c in real_figures(text, find_figures(text))]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("后，民生银行(5.600,0.01,0.18%)又将迎来净利润5亿元", ["5亿元"]),
        ("中国长城(9.840,-0.11,-1.11%)资产转让", []),
        ("*ST步森（12.250，-0.05，-0.41%）（维权）", []),
        ("江苏常熟农村商业银行（常熟银行，601128.SH）2020年营收65.8亿元", ["65.8亿元"]),
        ("暂缓上市对阿里(9988.HK)影响有限", []),
        ("股票代码：600036，招商银行净利润1466亿元", ["1466亿元"]),
        ("比如借1000块钱，日利率万分之五", []),
        ("假设用户借款1万元，年化利率18%", []),
        ("该视频获得点赞3.2万次", []),
        ("此次直播共吸引12.3万人次在线观看，评论超7000条", []),  # views and comments count attention
        ("像黄思思一样的农户千千万万个", []),
        ("新华社记者张千千报道", []),
        ("中国银联目前共有5名执行副总裁,其中3名来自内部提拔", []),
        ("公司员工3000名,服务客户超千万", ["3000名", "超千万"]),
        ("微众银行2024年营收达到392亿元，同比增长12%", ["392亿元", "12%"]),
        ("不良贷款率为1.57%，拨备覆盖率(263.5%)保持稳定", ["1.57%", "263.5%"]),  # one figure in brackets is no quote
    ],
)
def test_noise_is_not_kept(text: str, kept: list[str]) -> None:
    assert _kept(text) == kept


def test_numbers_run_over_the_kept_figures_only() -> None:
    text = "民生银行(5.600,0.01,0.18%)净利润5亿元，营收20亿元"
    numbered = numbered_figures(text)
    assert list(numbered) == [1, 2]
    assert [c.raw for c in numbered.values()] == ["5亿元", "20亿元"]
    assert all(text[c.start : c.end] == c.raw for c in numbered.values())


@pytest.mark.parametrize(
    ("text", "raws"),
    [
        ("95%的股票都在涨！百亿资金抢筹，牛市来了你还在等什么？【点击立即开户\n江苏证监局罚款70万元。", ["70万元"]),
        ("官方客服电话：400-178-5558，平台累计交易额4.42亿元", ["4.42亿元"]),
    ],
)
def test_an_advertisement_line_and_a_phone_number_hold_no_figure(text: str, raws: list[str]) -> None:
    assert [c.raw for c in numbered_figures(text).values()] == raws
