"""Figures that are no financial fact about anyone, by what stands around them.

News sites put advertisements between paragraphs (…【点击立即开户】), a stock quote after a
listed company's name (``民生银行(5.600,0.01,0.18%)``) and phone numbers in articles, write
stock codes (``601128.SH``, ``(9988.HK)``), illustrate with made-up amounts (``比如借
1000块钱``) and count likes and reads. A figure found here is not shown to the model as a
numbered figure and no rule reads a metric from it, so it can never become a fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..numbers import Candidate, find_figures

# A quote: an opening bracket right after a name, the last price, the change and the
# change in percent, comma-separated (half- or full-width), closing bracket.
_QUOTE = re.compile(r"[(（]\s*-?\d+(?:\.\d+)?\s*[,，]\s*[-+]?\d+(?:\.\d+)?\s*[,，]\s*[-+]?\d+(?:\.\d+)?%\s*[)）]")
# Exchange codes: 601128.SH, 000785.SZ, 0933.HK, 9988.HK, 430047.BJ, AAPL.O is not ours.
_CODE = re.compile(r"(?<![\d.])\d{4,6}\s*\.\s*(?:SH|SZ|HK|BJ|SS)\b", re.IGNORECASE)
_CODE_WORDS = ("股票代码", "证券代码", "代码：", "代码:", "电话", "热线", "QQ", "传真")  # and phone numbers
# A clause that sets up an example: its figures are made up.
_EXAMPLE_WORDS = ("比如", "例如", "譬如", "假如", "假设", "举个例子", "举例来说", "打个比方", "如果你", "若你")
# A site's advertisement inside an article (95%的股票都在涨！…【点击立即开户】): its whole
# line is noise.
_AD_WORDS = ("点击", "扫码", "立即开户", "你还在等什么", "长按识别", "免费领取", "戳这里")
# Counts of attention, not of business.
_ATTENTION_WORDS = ("点赞", "转发", "评论", "阅读量", "阅读数", "播放量", "粉丝", "浏览量", "在看", "观看", "收看")
# Chinese numerals that make no number: idioms (千千万万), names (记者张千千), the same
# order word twice (千千, 万万).
_NUMERAL_IDIOM = re.compile(r"^(?:千千|万万|千千万万|成千上万|千万万)")
# People counted by their posts (5名执行副总裁, 3位董事): a company's staffing news, no metric.
_POSTS = (
    "总裁",
    "副总裁",
    "董事",
    "监事",
    "高管",
    "行长",
    "副行长",
    "委员",
    "负责人",
    "干部",
    "经理",
    "总监",
    "合伙人",
)
_PEOPLE_UNITS = ("名", "位")
_CLAUSE_END = re.compile(r"[，,。；;！!？?\n]")
_SENTENCE_END = re.compile(r"[。；;！!？?\n]")


def _before(text: str, position: int, ends: re.Pattern[str], reach: int) -> str:
    """The words before ``position`` back to the last mark of ``ends`` (at most ``reach``)."""
    window = text[max(0, position - reach) : position]
    marks = list(ends.finditer(window))
    return window[marks[-1].end() :] if marks else window


def without_quotes(text: str) -> str:
    """The text with the stock quotes news sites put inside names taken out (中国长城(9.170,
    0.05,0.55%)资产管理股份 → 中国长城资产管理股份)."""
    return _QUOTE.sub("", text) if "%" in text else text


def find_interrupted(text: str, name: str) -> tuple[int, int] | None:
    """Where ``name`` stands in ``text`` with a stock quote inside it (中国长城(9.170,0.05,
    0.55%)资产管理股份 for 中国长城资产管理股份); None when it does not."""
    if "%" not in text or len(name) < 2:
        return None
    pattern = f"(?:{_QUOTE.pattern})?".join(re.escape(c) for c in name)
    found = re.search(pattern, text)
    return found.span() if found else None


def noise_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the text that hold no financial figure: stock quotes, codes and
    advertisement lines."""
    spans = [(m.start(), m.end()) for m in _QUOTE.finditer(text)]
    spans += [(m.start(), m.end()) for m in _CODE.finditer(text)]
    if any(word in text for word in _AD_WORDS):
        at = 0
        for line in text.split("\n"):
            if any(word in line for word in _AD_WORDS):
                spans.append((at, at + len(line)))
            at += len(line) + 1
    return spans


def is_noise(text: str, candidate: Candidate, spans: Iterable[tuple[int, int]] = ()) -> bool:
    """Whether a figure found in ``text`` is a quote, a code, an advertisement's, an
    example, a like count, a numeral idiom or a count of people by their posts (``spans``:
    ``noise_spans(text)``)."""
    if any(start <= candidate.start and candidate.end <= end for start, end in spans):
        return True
    if _NUMERAL_IDIOM.match(candidate.raw):
        return True
    if candidate.raw.endswith(_PEOPLE_UNITS) and any(
        post in text[max(0, candidate.start - 12) : candidate.end + 8] for post in _POSTS
    ):
        return True
    before = _before(text, candidate.start, _CLAUSE_END, 30)
    if any(word in before for word in _CODE_WORDS):
        return True
    sentence = _before(text, candidate.start, _SENTENCE_END, 60)
    if any(word in sentence for word in _EXAMPLE_WORDS):
        return True  # an example holds for its whole sentence
    near = before[-6:] + text[candidate.end : candidate.end + 4]
    return any(word in near for word in _ATTENTION_WORDS)


def real_figures(text: str, candidates: Iterable[Candidate]) -> list[Candidate]:
    """The candidates that are not noise, in their order."""
    spans = noise_spans(text)
    return [c for c in candidates if not is_noise(text, c, spans)]


def numbered_figures(text: str) -> dict[int, Candidate]:
    """The article's figures worth labelling, numbered from 1 in reading order: the
    numbers the model sees as 【#n】."""
    return dict(enumerate(real_figures(text, find_figures(text)), start=1))
