"""Deterministic periods: ``2025年上半年`` → (2025-01-01, 2025-06-30).

Relative words (今年, 去年) resolve against the article's ``published_at``. A figure
that is a stock or a ratio sits at a point, so ``point=True`` collapses a span to its
last day (``2018年的0.51%`` → 2018-12-31 … 2018-12-31).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime

from .lexicon import CHINESE_DIGITS
from .segmentation import sentence_start

Period = tuple[str | None, str | None]
_NONE: Period = (None, None)

_CN_DIGITS = {**CHINESE_DIGITS, "十": 10}  # 十 stands alone in 十月, 前十个月
_RELATIVE_YEARS = {"今年": 0, "本年": 0, "当年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}


def published_date(published_at: str | date | None) -> date | None:
    """The date of a publication time: a ``date``, a ``datetime`` or an ISO 8601 string
    (date or date-time); None when there is none."""
    if published_at is None or published_at == "":
        return None
    if isinstance(published_at, datetime):
        return published_at.date()
    if isinstance(published_at, date):
        return published_at
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(published_at))
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _small_number(token: str) -> int:
    return int(token) if token.isdigit() else _CN_DIGITS[token]


def _span(start: date, end: date, point: bool) -> Period:
    if point:
        return end.isoformat(), end.isoformat()
    return start.isoformat(), end.isoformat()


def _year_of(text: str, today: date | None) -> tuple[int | None, str]:
    """The year a phrase names (explicitly or relatively) and the text after it."""
    match = re.search(r"(\d{4})\s*年(?:度)?", text)
    if match:
        return int(match[1]), text[match.end() :]
    for word, offset in _RELATIVE_YEARS.items():
        if word in text:
            return (today.year + offset if today else None), text[text.index(word) + len(word) :]
    return None, text


def _implicit_year(month: int, today: date | None) -> int | None:
    """A month without a year is the latest such month up to publication."""
    if today is None:
        return None
    return today.year if month <= today.month else today.year - 1


def _year_of_month(month: int, year: int | None, today: date | None) -> int | None:
    """The year a month named in a phrase falls in; None when there is no such month or
    no year is known."""
    if not 1 <= month <= 12:
        return None
    return year if year is not None else _implicit_year(month, today)


def parse_period(text: str | None, published_at: str | date | None = None, *, point: bool = False) -> Period:
    """Resolve a period phrase into ISO dates, or (None, None) when it cannot.

    ``published_at`` (a ``date``, ``datetime`` or ISO string) anchors relative words.
    A phrase that names the end of a span (二季度末, 上半年末, 6月底) is that day."""
    if not text:
        return _NONE
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    today = published_date(published_at)

    # "自2020年至今": from a start to the publication date
    since = re.search(r"(?:自|从)(\d{4})年(?:起)?(?:至今|以来|到现在)", text)
    if since and today:
        return _span(date(int(since[1]), 1, 1), today, point)

    # full dates: 2024年11月11日, 2024-11-11
    full = re.search(r"(\d{4})(?:年|-|/|\.)(\d{1,2})(?:月|-|/|\.)(\d{1,2})(?:日|号)?", text)
    if full:
        try:
            day = date(int(full[1]), int(full[2]), int(full[3]))
        except ValueError:
            return _NONE
        return day.isoformat(), day.isoformat()

    year, rest = _year_of(text, today)

    # quarters: 一季度, 第三季度, 前三季度, Q1
    quarter = re.search(r"(前)?(?:第)?([一二三四1-4])(?:季度|季)(末|底)?|Q([1-4])", rest)
    if quarter:
        n = _small_number(quarter[2] or quarter[4])
        if year is None:
            year = _implicit_year(3 * n, today) if today else None
        if year is None:
            return _NONE
        first_month = 1 if quarter[1] else 3 * n - 2
        return _span(date(year, first_month, 1), _month_end(year, 3 * n), point or bool(quarter[3]))

    # halves: 上半年, 下半年, 前半年
    half = re.search(r"(上|下|前|后)半年(末|底)?", rest)
    if half:
        if year is None:
            if today is None:
                return _NONE
            year = today.year if half[1] in "上前" or today.month == 12 else today.year - 1
        at_end = point or bool(half[2])
        if half[1] in "上前":
            return _span(date(year, 1, 1), date(year, 6, 30), at_end)
        return _span(date(year, 7, 1), date(year, 12, 31), at_end)

    # months: 6月末, 截至2025年6月底, 9月, 前10个月, 1-9月
    months = re.search(
        r"(?:前(\d{1,2}|[一二三四五六七八九十]{1,2})个月)|(?:(\d{1,2})月?(?:-|至|~|到)(\d{1,2})月)", rest
    )
    if months:
        if months[1]:
            last = (
                _small_number(months[1])
                if months[1].isdigit() or len(months[1]) == 1
                else 10 + _CN_DIGITS.get(months[1][-1], 0)
            )
            first = 1
        else:
            first, last = int(months[2]), int(months[3])
        if not 1 <= first <= last <= 12:
            return _NONE
        year = year if year is not None else _implicit_year(last, today)
        if year is None:
            return _NONE
        return _span(date(year, first, 1), _month_end(year, last), point)

    month = re.search(r"(\d{1,2})月(份)?(末|底|初)?", rest)
    if month:
        m = int(month[1])
        year = _year_of_month(m, year, today)
        if year is None:
            return _NONE
        if month[3] in ("末", "底"):
            end = _month_end(year, m)
            return end.isoformat(), end.isoformat()
        if month[3] == "初":
            start = date(year, m, 1)
            return start.isoformat(), start.isoformat()
        return _span(date(year, m, 1), _month_end(year, m), point)

    # year ends and starts: 2024年末, 去年底, 年初
    if re.search(r"(?:年)?(末|底)", rest) and (year is not None or "年末" in text or "年底" in text):
        year = year if year is not None else (today.year if today else None)
        if year is None:
            return _NONE
        end = date(year, 12, 31)
        return end.isoformat(), end.isoformat()
    if re.search(r"年初", text):
        year = year if year is not None else (today.year if today else None)
        if year is None:
            return _NONE
        start = date(year, 1, 1)
        return start.isoformat(), start.isoformat()

    if year is not None:
        return _span(date(year, 1, 1), date(year, 12, 31), point)
    return _NONE


def parse_date(text: str | None, published_at: str | None = None) -> str | None:
    """A point in time at the precision written: 2025-10-01, 2025-10 or 2025."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    today = published_date(published_at)
    full = re.search(r"(\d{4})(?:年|-|/|\.)(\d{1,2})(?:月|-|/|\.)(\d{1,2})", text)
    if full:
        try:
            return date(int(full[1]), int(full[2]), int(full[3])).isoformat()
        except ValueError:
            return None
    year, rest = _year_of(text, today)
    month_day = re.search(r"(\d{1,2})月(?:(\d{1,2})(?:日|号))?", rest)
    if month_day:
        m = int(month_day[1])
        year = _year_of_month(m, year, today)
        if year is None:
            return None
        if month_day[2]:
            try:
                return date(year, m, int(month_day[2])).isoformat()
            except ValueError:
                return None
        return f"{year:04d}-{m:02d}"
    return f"{year:04d}" if year is not None else None


# Period phrases as they stand before a figure: 2024年末, 截至2025年6月末, 前三季度 …
_PERIOD_PHRASE = re.compile(
    r"(?=[截\d今去前上本第一二三四下年])"  # every character a phrase can start with: skip the rest fast
    r"(?:截至|截止|截止到)?"
    r"(?:(?:\d{4}年|今年|去年|前年|上年|本年)(?:度)?"
    r"(?:前三季度|第?[一二三四1-4]季度|[上下]半年|\d{1,2}月(?:末|底|份)?|末|底|初)?"
    r"|前三季度|第?[一二三四]季度|[上下]半年|\d{1,2}月(?:末|底)|年末|年底|年初)"
)
_DECIMAL = re.compile(r"\d")  # str.isdecimal's characters (Unicode Nd)


def _names_the_period(text: str, match: re.Match[str]) -> bool:
    """A period phrase that says when, not a start (自2015年上线以来) or a comparison
    (与去年同期持平, 较上年同期)."""
    after = text[match.end() : match.end() + 8]
    return "以来" not in after and not after.startswith("同期")


def period_before(text: str, position: int, *, window: int = 60) -> str | None:
    """The last period phrase before ``position`` in the same sentence, or None."""
    lo = sentence_start(text, position, window=window, brackets=False)
    phrases = [
        match
        for match in _PERIOD_PHRASE.finditer(text, lo, position)
        if _names_the_period(text, match)
    ]
    for match in reversed(phrases):
        if not _DECIMAL.search(text, match.end(), position):
            return match.group()
    # 截至2025年6月末,不良率由2024年末的1.44%升至1.57%: the nearer period belongs to the
    # other figure, and the one that opens the sentence covers the rest
    return phrases[0].group() if phrases else None


def first_period(text: str) -> str | None:
    """The first period phrase in a sentence (2024年收到…罚单 → 2024年)."""
    for match in _PERIOD_PHRASE.finditer(text):
        if _names_the_period(text, match):
            return match.group()
    return None


# where a sentence ends for a period to carry: a full stop, a paragraph's run of spaces,
# a digest bullet or a reference mark
_FULL_STOP = re.compile(r"[。！？!?\n]|\s{3,}| - |\] ")


def period_carried(text: str, position: int, *, reach: int = 400) -> str | None:
    """The period a figure is reported for: the phrase before it in its clause, else the
    last one earlier in its sentence, across semicolons (2020年，营收为65.82亿元；净利润为
    18.03亿元: the year opens the sentence and holds for the figures after it). A phrase
    found without its year (年末) that is the end of one with a year in the sentence
    (截至2020年末) is that one."""
    lo = max(0, position - reach)
    stops = list(_FULL_STOP.finditer(text, lo, position))
    start = stops[-1].end() if stops else lo
    found = period_before(text, position)
    if found is not None and re.search(r"\d{4}", found):
        return found
    phrases = [
        match.group() for match in _PERIOD_PHRASE.finditer(text, start, position) if _names_the_period(text, match)
    ]
    if found is not None:
        longer = [p for p in phrases if p != found and p.endswith(found) and re.search(r"\d{4}", p)]
        return longer[-1] if longer else found
    return phrases[-1] if phrases else None
