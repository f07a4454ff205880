"""Metrics and their subjects, read from the words around a figure.

Chinese financial writing names the metric right before its figure (不良贷款率由…升至
1.57%) and the subject before that; a 1.5B model often mislabels both. These rules
read what is written instead, and the model's label is kept only when they are silent.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ..chars import count_cjk, has_latin
from ..lexicon import (
    BOUND_WORDS,
    CHANGE_WORDS,
    COUNT_METRICS,
    METRIC_KEYWORDS,
    MONEY_METRICS,
    MONEY_UNITS,
    NOT_IN_NAMES,
    OWNER_WORDS,
    RATIO_METRICS,
    RATIO_UNITS,
    REQUIREMENT_WORDS,
    WORDS_AFTER_FIGURE,
    WORDS_NEAR_AFTER_FIGURE,
)
from ..models import MetricKind
from ..numbers import find_figures
from ..segmentation import CLAUSE_MARKS, sentence_start


def unit_fits(metric: MetricKind, unit: str | None) -> bool:
    """Whether a figure's unit can carry this metric (1.57% is no customer count)."""
    if metric in RATIO_METRICS:
        return unit in RATIO_UNITS
    if metric in MONEY_METRICS:
        return unit is None or unit in MONEY_UNITS
    if metric in COUNT_METRICS:
        if unit in _NOT_PEOPLE and metric is not MetricKind.complaint_count:
            return False  # 93万笔 counts loans, not customers
        return unit is None or unit not in MONEY_UNITS | RATIO_UNITS | {"times"}
    return True


_NOT_PEOPLE = frozenset({"笔", "条", "次", "件", "期", "张", "单", "项", "款", "股", "份", "个"})


def _is_english(word: str) -> bool:
    return word.isascii()


# counted things right after a figure: 超千万用户 (within 6 characters), 227.9 million consumers
_AFTER_WORD = re.compile(rf"\s*({'|'.join(w for w in WORDS_AFTER_FIGURE if not _is_english(w))})")
_AFTER_WORD_EN = re.compile(
    rf"[ \u00a0]+({'|'.join(sorted((w for w in WORDS_AFTER_FIGURE if _is_english(w)), key=len, reverse=True))})\b",
    re.IGNORECASE,
)
# written a word or two after the figure: 超1300万元巨额罚单 (6 characters), a $500 million civil penalty
_NEAR_AFTER = [(word, metric) for word, metric in WORDS_NEAR_AFTER_FIGURE if not _is_english(word)]
_NEAR_AFTER_EN = [
    (re.compile(rf"(?<![A-Za-z]){re.escape(word)}", re.IGNORECASE), metric)
    for word, metric in WORDS_NEAR_AFTER_FIGURE
    if _is_english(word)
]
_EN_WINDOW = 24  # characters after a figure that English words are looked for in
_LATIN = re.compile("[A-Za-z]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # keeps every offset


@lru_cache(maxsize=64)
def _ranks_fitting(unit: str | None) -> frozenset[int]:
    return frozenset(rank for rank, (_, metric) in enumerate(METRIC_KEYWORDS) if unit_fits(metric, unit))


@lru_cache(maxsize=8)
def _keyword_hits(text: str) -> list[tuple[int, int, int]]:
    """Every occurrence of every metric keyword in ``text``: (start, end, rank), by start.

    Built once per article, so each of its figures looks only at the few hits in its
    own sentence instead of searching for every keyword again. One regex search per
    position where a keyword starts (the longest there; the keywords it begins with are
    known), not one scan of the text per keyword. English keywords are searched apart, in
    the text with its Latin letters lowered (a search of plain words is many times faster
    than one in any case) and only where it has Latin letters; each ends where its words
    do ("NPL" reads "NPLs", "non-performing loans (“NPLs”) ratio").
    """
    hits = []
    search = _ANY_KEYWORD.search
    found = search(text)
    while found is not None:
        at = found.start()
        for keyword, rank in _STARTING[found.group()]:
            hits.append((at, at + len(keyword), rank))
        found = search(text, at + 1)
    if has_latin(text):
        lowered = text.lower()  # offsets kept where the length is; else only A-Z lowered
        if len(lowered) != len(text):
            lowered = text.translate(_ASCII_LOWER)
        search = _ANY_ENGLISH_KEYWORD.search
        found = search(lowered)
        while found is not None:
            at = found.start()
            if not (at and lowered[at - 1].isascii() and lowered[at - 1].isalpha()):  # from a word's start
                for keyword, rank in _STARTING_ENGLISH[found.group()]:
                    tail = _NAME_TAIL.match(text, at + len(keyword))
                    assert tail is not None  # every part of it is optional
                    hits.append((at, tail.end(), rank))
            found = search(lowered, at + 1)
    hits.sort()
    return hits


def _starting(keywords: dict[str, int]) -> dict[str, list[tuple[str, int]]]:
    """A keyword → every keyword it starts with (itself included): 净利润 → 净利润, 净利."""
    return {longer: [(k, rank) for k, rank in keywords.items() if longer.startswith(k)] for longer in keywords}


def _alternation(keywords: Iterable[str]) -> re.Pattern[str]:
    """Longest first, so that a search reports the longest keyword that starts where it stops."""
    return re.compile("|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True)))


_RANK = {k: rank for rank, (k, _) in enumerate(METRIC_KEYWORDS) if not _is_english(k)}
_RANK_ENGLISH = {k.lower(): rank for rank, (k, _) in enumerate(METRIC_KEYWORDS) if _is_english(k)}
_ANY_KEYWORD = _alternation(_RANK)
_ANY_ENGLISH_KEYWORD = _alternation(_RANK_ENGLISH)
_STARTING = _starting(_RANK)
_STARTING_ENGLISH = _starting(_RANK_ENGLISH)


def metric_from_context(
    text: str, start: int, end: int, unit: str | None, *, figures: Sequence[tuple[int, int]] | None = None
) -> tuple[MetricKind, str] | None:
    """The metric that the words around a figure name, if they name one that fits.

    ``figures`` are the (start, end) spans of all figures in ``text``, sorted, when the
    caller has them already; otherwise the figures before this one are found again.
    """
    english = has_latin(text) and _LATIN.search(text, end, end + _EN_WINDOW) is not None
    word_after = _AFTER_WORD.match(text, end, end + 6)
    if word_after is None and english:
        word_after = _AFTER_WORD_EN.match(text, end, end + _EN_WINDOW)
    if word_after is not None:
        word = word_after[1]
        metric = WORDS_AFTER_FIGURE.get(word) or WORDS_AFTER_FIGURE[word.casefold()]
        if unit_fits(metric, unit):
            return metric, word
    after = text[end : end + 6]
    for word, metric in _NEAR_AFTER:
        if word in after and unit_fits(metric, unit):
            return metric, word
    for pattern, metric in _NEAR_AFTER_EN if english else ():
        near = pattern.search(text, end, end + _EN_WINDOW)
        if near is not None and unit_fits(metric, unit):
            return metric, near.group()
    lo = sentence_start(text, start)
    hits = _keyword_hits(text)
    fitting = _ranks_fitting(unit)
    before = [  # fitting keywords in the sentence, before the figure
        hit
        for hit in hits[bisect_left(hits, (lo, -1, -1)) : bisect_left(hits, (start, -1, -1))]
        if hit[1] <= start and hit[2] in fitting
    ]
    if not before:
        return None
    if figures is None:
        figures = [(c.start + lo, c.end + lo) for c in find_figures(text[lo:start])]
    else:
        first, last = bisect_left(figures, (lo, -1)), bisect_left(figures, (start, -1))
        figures = [(a, b) for a, b in figures[first:last] if b <= start]
    attached = {end for _, end in figures}  # 150亿注册资本…750亿: 注册资本 belongs to 150亿
    since_last = figures[-1][1] if figures else lo
    latest: dict[int, tuple[int, int]] = {}  # keyword rank → its last (start, end) before the figure
    for at, stop, rank in before:
        if at not in attached:
            latest[rank] = (at, stop)
    for floor in (since_last, lo):  # words since the previous figure first, then the sentence
        # the mention ending last wins; on a tie, the keyword listed first
        best = max(((stop, -rank) for rank, (at, stop) in latest.items() if at >= floor), default=None)
        if best is not None:
            metric = METRIC_KEYWORDS[-best[1]][1]
            at, stop = latest[-best[1]]
            return metric, text[at:stop]  # as written: 不良贷款率, Net profit, non-performing loan ratio
    return None


# what an English metric name goes on with after its keyword: the rest of the word, and a
# "ratio" or "rate" a gloss in parentheses may stand before
_NAME_TAIL = re.compile(r"[A-Za-z-]*(?:[ -](?:\([^()\d]{1,12}\) )?(?:ratio|rate)\b)?", re.IGNORECASE)


def nearest_name(text: str, start: int, names: Iterable[str]) -> str | None:
    """Who a figure is about: the first entity named in its clause (split at commas),
    else the last one that opens a clause of its sentence (中信银行发布报告，报告显示，百信银行
    上半年总资产…, 同比增长24.98%: 百信银行), else the first in its sentence; an owner before
    旗下 gives way to what it owns."""
    sentence_lo = sentence_start(text, start, window=120)
    clause_lo = sentence_lo
    for mark in CLAUSE_MARKS:
        cut = text.rfind(mark, clause_lo, start)
        if cut >= 0:
            clause_lo = cut + 1
    in_clause, in_sentence = [], []
    for name in names:
        at = _first_mention(text, name, sentence_lo, start) if name else -1
        if at >= 0 and at < clause_lo:  # in the sentence; is it named again in the clause?
            in_sentence.append((at, -len(name), name))
            at = _first_mention(text, name, clause_lo, start)
        if at >= 0:
            in_clause.append((at, -len(name), name))
    if in_clause:
        return min(in_clause)[2]
    opening = [m for m in in_sentence if _opens_a_clause(text, m[0], sentence_lo)]
    if opening:
        return max(opening, key=lambda m: (m[0], m[1]))[2]
    return min(in_sentence)[2] if in_sentence else None


def _opens_a_clause(text: str, at: int, sentence_lo: int) -> bool:
    """Whether the name at ``at`` is the first thing in its clause (after a comma or the
    sentence's start): where Chinese puts the subject."""
    before = text[sentence_lo:at].rstrip()
    return not before or before[-1] in CLAUSE_MARKS


def _first_mention(text: str, name: str, lo: int, hi: int) -> int:
    """Where ``name`` first stands in ``text[lo:hi]``, not as an owner before 旗下 or 关联公司
    (哈啰出行关联公司上海钧正…注册资本: 上海钧正's); or -1."""
    at = text.find(name, lo, hi)
    while at >= 0 and text.startswith(OWNER_WORDS, at + len(name), hi):
        at = text.find(name, at + 1, hi)
    return at


_NAME_STOPS = " ,，。;；:：、()（）[]【】“”\"'-—"
# words that lead into a figure (不低于30%, 高达750亿元) or join two names (A及B): not
# part of what the figure counts
_LEADS_INTO_FIGURE = re.compile(r"(?:不低于|不高于|不超过|不少于|超过|高达|达到|约为|约|达|为|共|至|了|是)+$")
_JOINS = "的及和与或、"
_NAME_WINDOW = 8
_UNIT_CHARS = "亿万千百元%人民币美港股"
# measure words right after a number (两千头, 三只): what they count is further on
_MEASURE_WORDS = "头只匹辆台套"
# verbs a metric's name comes after (提供累计贴现交易, 贡献…收入): the name is what follows
_VERBS_BEFORE_NAMES = ("提供", "实现", "完成", "贡献", "获得", "撬动", "带来", "筹得", "作价", "收购", "共有", "已有")


def metric_name_near(text: str, start: int, end: int) -> str:
    """What a figure counts when no keyword names it: the words right after it
    (12.3万人次在线观看 → 在线观看), else the words right before it, without the words
    that lead into the figure (出资比例不低于30% → 出资比例) and, where the window cut a
    word, from the first joining word on (…贷款及合作互联网贷款 → 合作互联网贷款)."""
    after = []
    for char in text[end : end + _NAME_WINDOW]:
        if char in _NAME_STOPS or char.isdigit():
            break
        after.append(char)
    if after and after[0] in "的为是":  # 750亿元的放贷资金池, 约18%为…首贷户: what the figure is of
        after = after[1:]
    counted = "".join(after)
    cut = next((n for n, char in enumerate(counted[:-1]) if n >= 2 and char in NOT_IN_NAMES), len(counted))
    counted = counted[:cut].rstrip("的")  # 逾500家银行等金融机构展开合作: 银行
    if len(counted) >= 2 and counted[0] not in _JOINS and counted[0] not in _MEASURE_WORDS:
        return counted  # 30%及… starts the next item; 两千头的…: 头 counts pigs, it names nothing
    before: list[str] = []
    for char in reversed(text[max(0, start - 2 * _NAME_WINDOW) : start]):
        if char in _NAME_STOPS or (char.isdigit() and not (before and before[-1].isascii() and before[-1].isalpha())):
            break
        before.append(char)
    words = _LEADS_INTO_FIGURE.sub("", "".join(reversed(before))) or "".join(reversed(before))
    if len(words) > _NAME_WINDOW:
        words = words[-_NAME_WINDOW:]
        joint = next((n for n, char in enumerate(words) if char in _JOINS), None)
        if joint is not None and len(words) - joint - 1 >= 2:
            words = words[joint + 1 :]
    words = words.lstrip(_JOINS) or words
    run_start = start - len(before)
    if run_start > 0 and text[run_start - 1].isdigit():  # 3亿元扩张了50倍: 亿元 is the figure before's unit
        words = words.lstrip(_UNIT_CHARS).lstrip(_JOINS) or words
    verb = max((words.rfind(v) + len(v) for v in _VERBS_BEFORE_NAMES if v in words), default=0)
    if len(words) - verb >= 2:
        words = words[verb:]  # 已为2440户企业提供累计贴现交易: 累计贴现交易
    return words


# -- what else stands around a figure --------------------------------------------------

_MOVES = "增加|减少|增长|下降|提升|提高|上升|回落|下滑|多增|少增|扩大|收窄"
# what stands between a figure and its change: ，同比增长 / ，较上年末下降 / ，增幅为
_CHANGE_GAP = re.compile(
    r"\s*[，,]\s*(?P<change>(?:(?:较|比)(?:上年|去年|年初|上年末|去年末|上年同期|去年同期|同期|上季末|上月末?)?"
    rf"(?:同比)?(?:{_MOVES})|同比(?:{_MOVES})|环比(?:{_MOVES})|增幅|降幅|增速|增长率))了?\s*(?:为|达|至)?\s*"
)
_YEAR_WORD = re.compile(r"(?:19|20)\d{2}\s*年")
_CLAUSE_FILLERS = re.compile(r"[年月日季度末底初上下半前后其中同比较约超近逾达为是的仅次于旗下和与及]")


def change_between(text: str, end: int, start: int) -> str | None:
    """The change words between a figure ending at ``end`` and the next one at ``start``
    (营业收入65.82亿元，同比增长2.13%: 同比增长; 净利差2.46%，较上年同期增加0.17个百分点:
    较上年同期增加); None when the words between are no change."""
    found = _CHANGE_GAP.fullmatch(text, end, start)
    return found["change"] if found else None


def names_a_change(name: str) -> bool:
    """Whether a metric's name is itself a change (营业收入同比增长)."""
    return name.endswith(tuple(CHANGE_WORDS)) or _CHANGE_GAP.search(f"，{name}") is not None


def clause_names_its_own(text: str, position: int, names: Iterable[str]) -> bool:
    """Whether the clause before ``position`` has words of its own beyond a period, an
    entity and joining words (累计提交专利申请 does; 2022年 and 仅次于中融小贷的 do not)."""
    lo = max(text.rfind(mark, 0, position) for mark in "，,；;")
    own = _YEAR_WORD.sub("", text[lo + 1 : position]).split("旗下")[-1]  # 字节跳动旗下中融小贷的: the owner too
    for name in sorted((n for n in names if n), key=len, reverse=True):
        own = own.replace(name, "")
    return count_cjk(_CLAUSE_FILLERS.sub("", own)) >= 2


def across_a_clause(text: str, word: str, start: int, end: int) -> bool:
    """Whether the metric word a figure was read with stands in an earlier clause of its
    sentence, not in the words right after the figure (超1300万元巨额罚单)."""
    at = text.rfind(word, max(0, start - 200), start)
    if at < 0 or not any(mark in text[at + len(word) : start] for mark in "，,；;"):
        return False
    after = re.split(r"[，,；;。]", text[end : end + 12], maxsplit=1)[0]
    return word not in after and at >= sentence_start(text, start)


def is_a_rules_bound(text: str, start: int, raw: str) -> bool:
    """Whether the figure ``raw`` at ``start`` is a bound a rule sets (按监管要求的小贷公司出资
    比例不低于30%), no one's result."""
    if not (raw.startswith(BOUND_WORDS) or text[max(0, start - 3) : start].endswith(BOUND_WORDS)):
        return False
    lo = sentence_start(text, start)
    return any(word in text[lo:start] for word in REQUIREMENT_WORDS)


def name_stands_here(text: str, start: int, end: int, name: str) -> bool:
    """Whether a metric name stands in the figure's own clause before it, or just after it
    (累计提交专利申请4000多件 is no 占比 that an earlier clause wrote)."""
    lo = max(text.rfind(mark, 0, start) for mark in "，,；;。！？\n ")
    return name in text[lo + 1 : start] or name in text[end : end + 8]


def without_names(name: str, spellings: Iterable[str]) -> str:
    """A metric's name without the entity it opens with, whole or cut by the name window
    (郑州银行净利差, 州银行成本收入比 → 净利差, 成本收入比): the subject is said apart."""
    head = name[:3]
    for spelling in sorted((s for s in spellings if s and (head in s or s in head)), key=len, reverse=True):
        for size in range(len(spelling), min(len(spelling), 3) - 1, -1):  # a cut part keeps 3 characters
            if name.startswith(spelling[-size:]) and len(name) - size >= 2:
                return name[size:]
    return name
