"""Deterministic periods: ``2025年上半年`` → (2025-01-01, 2025-06-30), ``the nine months
ended September 30, 2024`` → (2024-01-01, 2024-09-30).

Relative words (今年, 去年, last year, last quarter) resolve against the article's
``published_at``. A figure that is a stock or a ratio sits at a point, so ``point=True``
collapses a span to its last day (``2018年的0.51%`` → 2018-12-31 … 2018-12-31). A phrase
with no Chinese in it is read by the English grammar first (``FY2023``, ``Q2 2024``,
``H1 2024``, ``as of March 31, 2024``, ``year-end 2023``); what that grammar cannot read
goes to the Chinese one (``2024-11-11``, ``Q1``). A fiscal year is the calendar year
unless written split (``FY2023/24``: April 2023 to March 2024), or ended at a date.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime, timedelta

from .chars import CJK_RANGE, has_latin
from .lexicon import CHINESE_DIGITS, ENGLISH_NUMBERS, MONTHS
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


_CJK = re.compile(f"[{CJK_RANGE}]")


def parse_period(
    text: str | None, published_at: str | date | None = None, *, point: bool = False, anchor: str | None = None
) -> Period:
    """Resolve a period phrase into ISO dates, or (None, None) when it cannot.

    ``published_at`` (a ``date``, ``datetime`` or ISO string) anchors relative words.
    A phrase that names the end of a span (二季度末, 上半年末, 6月底, year-end 2023, as of
    June 30) is that day. ``anchor`` is the period a sentence is about, for phrases that
    name theirs by it: "the same period of 2022", "a year earlier"."""
    if not text:
        return _NONE
    today = published_date(published_at)
    if not _CJK.search(text):
        english = _english_period(text, today, point, anchor)
        if english is not None:
            return english
    text = unicodedata.normalize("NFKC", text).replace(" ", "")

    # "自2020年至今": from a start to the publication date
    since = re.search(r"(?:自|从)(\d{4})年(?:起)?(?:至今|以来|到现在)", text)
    if since and today:
        return _span(date(int(since[1]), 1, 1), today, point)

    # full dates: 2024年11月11日, 2024-11-11
    full = re.search(r"(\d{4})(?:年|-|/|\.)(\d{1,2})(?:月|-|/|\.)(\d{1,2})(?:日|号)?", text)
    if full:
        try:
            day = date(int(full[1]), int(full[2]), int(full[3]))
        except ValueError:  # 4月31日: a day past its month's end is that month's end
            if not 1 <= int(full[2]) <= 12 or not 28 < int(full[3]) <= 31:
                return _NONE
            day = _month_end(int(full[1]), int(full[2]))
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

    # halves: 上半年, 下半年, 前半年; 半年末 and 半年度 (a half-year report's) are the first
    half = re.search(r"(上|下|前|后)半年(末|底)?|(?<![近多个])半年(末|底|度)", rest)
    if half:
        first_half = half[1] is None or half[1] in "上前"
        if year is None:
            if today is None:
                return _NONE
            year = today.year if first_half or today.month == 12 else today.year - 1
        at_end = point or bool(half[2]) or half[3] in ("末", "底")
        if first_half:
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
    today = published_date(published_at)
    if not _CJK.search(text):
        english = _english_date(text, today)
        if english is not None:
            return english
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
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
    r"(?=[截\d今去前上本第一二三四下年半])"  # every character a phrase can start with: skip the rest fast
    r"(?:截至|截止|截止到)?"
    r"(?:(?:\d{4}年|今年|去年|前年|上年|本年)(?:度)?"
    r"(?:前三季度|第?[一二三四1-4]季度|[上下]半年|半年[末底度]|\d{1,2}月\d{1,2}[日号]|\d{1,2}月(?:末|底|份)?|末|底|初)?"
    r"|前三季度|第?[一二三四]季度|[上下]半年|半年[末底]|\d{1,2}月(?:末|底)|年末|年底|年初)"
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
    phrases = [match for match in _PERIOD_PHRASE.finditer(text, lo, position) if _names_the_period(text, match)]
    english = english_periods(text, lo, position)
    if english:
        phrases = sorted(phrases + english, key=lambda match: match.start())
    for match in reversed(phrases):
        if not _DECIMAL.search(text, match.end(), position):
            return match.group()
    # 截至2025年6月末,不良率由2024年末的1.44%升至1.57%: the nearer period belongs to the
    # other figure, and the one that opens the sentence covers the rest
    return phrases[0].group() if phrases else None


def first_period(text: str) -> str | None:
    """The first period phrase in a sentence (2024年收到…罚单 → 2024年; On December 5, the
    RBI imposed … → December 5)."""
    chinese = next((match for match in _PERIOD_PHRASE.finditer(text) if _names_the_period(text, match)), None)
    english = next(iter(english_periods(text, 0, len(text))), None)
    if chinese is None or (english is not None and english.start() < chinese.start()):
        return english.group() if english is not None else None
    return chinese.group()


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


# --- English periods --------------------------------------------------------------------
# 2023, FY2023, fiscal year ended March 31, 2024, Q2 2024, 2Q24, second quarter of 2024,
# first half of 2023, H1 2024, nine months to September, as of March 31, 2024, end of
# 2023, year-end 2023, last year, last quarter.

_EN_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "final": 4}
_EN_COUNTS = {word: n for word, n in ENGLISH_NUMBERS.items() if n <= 12}  # months in a span
_MONTH_NUMBER = {name.casefold(): number for name, number in MONTHS.items()}
_MONTHS_RE = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))  # lower case: phrases are folded
_Y4 = r"(?:19|20)\d{2}"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# the forms of a date, in a folded phrase: march 31, 2024; 31 march 2024; 31-dec-08; 2024-03-31
_EN_DATE_FORMS = (
    rf"(?P<m1>{_MONTHS_RE})\.? (?P<d1>{_DAY}),? (?P<y1>{_Y4})",
    rf"(?P<d2>{_DAY}) (?:of )?(?P<m2>{_MONTHS_RE})\.?,? (?P<y2>{_Y4})",
    rf"(?P<d3>\d{{1,2}})-(?P<m3>{_MONTHS_RE})-(?P<y3>\d{{2}}|{_Y4})",
    rf"(?P<y4>{_Y4})[-/.](?P<m4>\d{{1,2}})[-/.](?P<d4>\d{{1,2}})",
    r"(?P<a5>\d{1,2})/(?P<b5>\d{1,2})/(?P<y5>(?:19|20)\d{2})",
    rf"(?P<m6>{_MONTHS_RE})\.? (?P<d6>{_DAY})(?![\d,]* ?\d)",
    rf"(?P<d7>{_DAY}) (?:of )?(?P<m7>{_MONTHS_RE})\b",
)
_EN_DATE = re.compile(rf"\b(?:{'|'.join(_EN_DATE_FORMS)})")
_EN_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTHS_RE})\.?(?:[ ,-]+(?P<y>{_Y4}))?\b")
_EN_RELATIVE_YEAR = re.compile(
    r"\b(?:(?P<this>this|current) year|(?P<last>last|previous|prior) year|the year before|(?P<next>next) year)\b"
)


def _two_digit_year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def _en_full_date(text: str, today: date | None) -> date | None:
    """The first date written in a folded phrase (with its year, or the latest such day
    up to publication); None when there is none or it is no day of the calendar."""
    match = _EN_DATE.search(text)
    return _date_of(match, today) if match else None


def _date_of(match: re.Match[str], today: date | None) -> date | None:
    groups = match.groupdict()
    try:
        for i in (1, 2, 3):
            if groups[f"m{i}"]:
                month, day = _MONTH_NUMBER[groups[f"m{i}"]], int(re.sub(r"\D", "", groups[f"d{i}"]))
                return date(_two_digit_year(groups[f"y{i}"]), month, day)
        if groups["y4"]:
            return date(int(groups["y4"]), int(groups["m4"]), int(groups["d4"]))
        if groups["y5"]:  # 30/6/2024 or 6/30/2024: whichever reading the numbers allow
            a, b = int(groups["a5"]), int(groups["b5"])
            if a > 12 >= b:
                return date(int(groups["y5"]), b, a)
            if b > 12 >= a:
                return date(int(groups["y5"]), a, b)
            return None  # 6/3/2024: the writer's convention decides, and it is not written
        for i in (6, 7):
            if groups[f"m{i}"]:
                month, day = _MONTH_NUMBER[groups[f"m{i}"]], int(re.sub(r"\D", "", groups[f"d{i}"]))
                year = _implicit_year(month, today)
                return date(year, month, day) if year is not None else None
    except ValueError:
        return None
    return None


def _en_year(text: str, today: date | None) -> int | None:
    """The year a folded phrase names: written (2023), or relative (last year)."""
    match = re.search(rf"(?<!\d){_Y4}(?!\d)", text)
    if match:
        return int(match.group())
    relative = _EN_RELATIVE_YEAR.search(text)
    if relative and today is not None:
        return today.year + (-1 if relative["last"] or "before" in relative.group() else 1 if relative["next"] else 0)
    return None


def _months_back(end: date, months: int) -> date:
    """The first day of the span of ``months`` months that ends on ``end``."""
    after = end + timedelta(days=1)
    index = after.year * 12 + after.month - 1 - months
    year, month = divmod(index, 12)
    day = min(after.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


_EN_SPAN_ENDED = re.compile(
    r"\b(?:(?P<n>\d{1,2}|" + "|".join(_EN_COUNTS) + r") months?|(?P<year>(?:fiscal |financial )?year|twelve months)"
    r"|(?P<half>half[- ]year|half|interim period)|(?P<quarter>quarter))"
    r" (?:ended|ending|to|through|until|up to) (?P<rest>.+)"
)
_EN_FIRST_MONTHS = re.compile(
    r"\b(?:first (?P<n>\d{1,2}|" + "|".join(_EN_COUNTS) + r") months|(?P<q>first (?:two|three) quarters)"
    r"|(?P<m>[1-9]|1[0-2])m ?'?(?P<y>\d{2}(?!\d)|" + _Y4 + r"))\b"
)
_EN_QUARTER = re.compile(
    r"\b(?:(?P<ord>" + "|".join(_EN_ORDINALS) + r")[- ]quarter"
    r"|q(?P<q>[1-4])(?: ?(?:fy)? ?'?(?P<y>" + _Y4 + r"|\d{2}(?!\d)))?"
    r"|(?P<q2>[1-4])q ?'?(?P<y2>" + _Y4 + r"|\d{2}(?!\d))"
    r"|(?P<y3>" + _Y4 + r") ?q(?P<q3>[1-4])"
    r"|(?P<rel>last|previous|prior|this|current) quarter)\b"
)
_EN_HALF = re.compile(
    r"\b(?:(?P<ord>first|1st|second|2nd)[- ]half"
    r"|h(?P<h>[12])(?: ?(?:fy)? ?'?(?P<y>" + _Y4 + r"|\d{2}(?!\d)))?"
    r"|(?P<h2>[12])h ?'?(?P<y2>" + _Y4 + r"|\d{2}(?!\d))"
    r"|(?P<y3>" + _Y4 + r") ?(?:(?P<h3>[12])h|h(?P<h4>[12])))\b"
)
_EN_FISCAL = re.compile(
    r"\b(?:fy|fiscal year|financial year|fiscal) ?'?(?P<y>" + _Y4 + r"|\d{2}(?!\d))"
    r"(?:[-/](?P<y2>\d{2}|" + _Y4 + r"))?\b"
    r"|\b(?P<y3>" + _Y4 + r")/(?P<y4>" + _Y4 + r"|\d{2})\b"
)
_EN_SAME_PERIOD = re.compile(
    r"\b(?:(?:same|corresponding|comparable|prior[- ]year|previous[- ]year) period"
    r"|a year (?:ago|earlier|before)|year[- ](?:ago|earlier)|(?:the )?(?:previous|prior) year)\b"
)


def _english_span(text: str, today: date | None, anchor: tuple[date, date] | None) -> tuple[date, date] | None:
    """The span a folded English phrase names, or None."""
    if re.search(r"\b(?:year[- ]to[- ]date|ytd|so far this year)\b", text):
        return (date(today.year, 1, 1), today) if today else None

    same = _EN_SAME_PERIOD.search(text)
    if same:  # the same period a year before the sentence's own (anchor), or of the year written
        if anchor is None:
            return None if not same.group().endswith("year") else _year_span(_en_year("last year", today))
        year = _en_year(text.replace(same.group(), ""), None)
        shift = (year - anchor[1].year) if year is not None else -1
        return _shift_years(anchor[0], shift), _shift_years(anchor[1], shift)

    ended = _EN_SPAN_ENDED.search(text)
    if ended:  # the nine months ended September 30, 2024; fiscal year ended March 31, 2024
        end = _en_full_date(ended["rest"], today) or _en_month_end(ended["rest"], today)
        if end is None:
            return None
        n = ended["n"]
        months = (int(n) if n.isdigit() else _EN_COUNTS[n]) if n else 12 if ended["year"] else 6 if ended["half"] else 3
        return _months_back(end, months), end

    first = _EN_FIRST_MONTHS.search(text)
    if first:  # first nine months of 2024, 9M24, first three quarters
        if first["m"]:
            months, year = int(first["m"]), _two_digit_year(first["y"])
        else:
            n = first["n"]
            months = (int(n) if n.isdigit() else _EN_COUNTS[n]) if n else 3 * (2 if "two" in first["q"] else 3)
            year = _en_year(text, today)
            if year is None:
                year = _implicit_year(months, today)
        if year is None or not 1 <= months <= 12:
            return None
        return date(year, 1, 1), _month_end(year, months)

    quarter = _EN_QUARTER.search(text)
    if quarter:
        if quarter["rel"] and quarter["rel"] in ("last", "final") and _en_year(text, None) is not None:
            year, q = _en_year(text, None), 4  # the last quarter of 2023
        elif quarter["rel"]:
            if today is None:
                return None
            index = today.year * 4 + (today.month - 1) // 3 - (0 if quarter["rel"] in ("this", "current") else 1)
            year, q = index // 4, index % 4 + 1
        else:
            q = int(quarter["q"] or quarter["q2"] or quarter["q3"] or _EN_ORDINALS.get(quarter["ord"] or "", 0))
            written = quarter["y"] or quarter["y2"] or quarter["y3"]
            year_of = _two_digit_year(written) if written else _en_year(text, today)
            year = year_of if year_of is not None else _implicit_year(3 * q, today)
        if year is None:
            return None
        return date(year, 3 * q - 2, 1), _month_end(year, 3 * q)

    half = _EN_HALF.search(text)
    if half:
        h = int(half["h"] or half["h2"] or half["h3"] or half["h4"] or (1 if half["ord"] in ("first", "1st") else 2))
        written = half["y"] or half["y2"] or half["y3"]
        year_of = _two_digit_year(written) if written else _en_year(text, today)
        if year_of is None and today is not None:  # as 上半年/下半年 without a year
            year_of = today.year if h == 1 or today.month == 12 else today.year - 1
        if year_of is None:
            return None
        return (date(year_of, 1, 1), date(year_of, 6, 30)) if h == 1 else (date(year_of, 7, 1), date(year_of, 12, 31))

    written = _EN_DATE.search(text)
    if written:  # a day; or none, when the date cannot be read (6/3/2024, 31 February)
        day = _date_of(written, today)
        return (day, day) if day is not None else None

    fiscal = _EN_FISCAL.search(text)
    if fiscal:  # FY2023 is the calendar year; FY2023/24 and 2023/24 run April to March
        first_year = _two_digit_year(fiscal["y"] or fiscal["y3"])
        second = fiscal["y2"] or fiscal["y4"]
        if second:
            if _two_digit_year(second) % 100 != (first_year + 1) % 100:
                return None
            return date(first_year, 4, 1), date(first_year + 1, 3, 31)
        return _year_span(first_year)

    month = _EN_MONTH_YEAR.search(text)
    if month:
        m = _MONTH_NUMBER[month["m"]]
        year = int(month["y"]) if month["y"] else _en_year(text, today)
        year = _year_of_month(m, year, today)
        return (date(year, m, 1), _month_end(year, m)) if year is not None else None

    return _year_span(_en_year(text, today))


def _year_span(year: int | None) -> tuple[date, date] | None:
    return (date(year, 1, 1), date(year, 12, 31)) if year is not None else None


def _shift_years(day: date, years: int) -> date:
    """The same day ``years`` years away (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _en_month_end(text: str, today: date | None) -> date | None:
    """The last day of the month a folded phrase names (september, june 2024)."""
    month = _EN_MONTH_YEAR.search(text)
    if not month:
        return None
    m = _MONTH_NUMBER[month["m"]]
    year = _year_of_month(m, int(month["y"]) if month["y"] else _en_year(text, today), today)
    return _month_end(year, m) if year is not None else None


_EN_AT_END = re.compile(r"\b(?:end|year[- ]end|[a-z]+-end|end-[a-z0-9]+|as (?:of|at|on))\b")
_EN_AT_START = re.compile(r"\b(?:beginning|start)\b")


def _fold_english(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).replace("’", "'")).strip().casefold()


def _english_period(text: str, today: date | None, point: bool, anchor: str | None) -> Period | None:
    """parse_period for a phrase written in English; None when it names no period."""
    folded = _fold_english(text)
    reference = None
    if anchor:  # the anchor as it reads (as of June 30: a day; 2024年末), which a same-period phrase shifts
        first, last = parse_period(anchor, today)
        if first is not None and last is not None:
            reference = date.fromisoformat(first), date.fromisoformat(last)
    span = _english_span(folded, today, reference)
    if span is None:
        return None
    start, end = span
    if _EN_AT_START.search(folded) and not _EN_AT_END.search(folded):
        return start.isoformat(), start.isoformat()
    return _span(start, end, point or bool(_EN_AT_END.search(folded)))


def _english_date(text: str, today: date | None) -> str | None:
    """parse_date for an English phrase: 2025-10-01, 2025-10 or 2025, as written."""
    folded = _fold_english(text)
    day = _en_full_date(folded, today)
    if day is not None:
        return day.isoformat()
    month = _EN_MONTH_YEAR.search(folded)
    if month and (month["y"] or not _en_year(folded, today)):
        m = _MONTH_NUMBER[month["m"]]
        year = _year_of_month(m, int(month["y"]) if month["y"] else None, today)
        return f"{year:04d}-{m:02d}" if year is not None else None
    span = _english_span(folded, today, None)
    return f"{span[1].year:04d}" if span else None


# -- English period phrases in running text --

_CAP_MONTH = "|".join(sorted({*MONTHS, *(m.upper() for m in MONTHS)}, key=len, reverse=True))
_SM = rf"(?-i:{_CAP_MONTH})"  # a month name as dates write it: capitalised ("may" is a verb)
_COUNT_WORDS = "|".join(_EN_COUNTS)
_ORDINAL_WORDS = "|".join(_EN_ORDINALS)
_YEAR_OR_RELATIVE = rf"(?:{_Y4}|(?:this|last|next) year)"
_SCAN_DATE = (
    rf"(?:{_SM}\.? {_DAY},? {_Y4}|{_DAY} (?:of )?{_SM}\.?,? {_Y4}|\d{{1,2}}-{_SM}-(?:{_Y4}|\d{{2}})"
    rf"|{_SM}\.? {_DAY}(?![\d,]* ?\d)|{_DAY} (?:of )?{_SM}\b)"
)
_SCAN_MONTH = rf"{_SM}\.?(?:,? {_Y4})?"
_SCAN_ENDED = rf"(?:ended|ending|to|through|until) (?:{_SCAN_DATE}|{_SCAN_MONTH})"
_SCAN_QUARTER = (
    rf"(?:{_ORDINAL_WORDS})[- ]quarter(?: of)?(?: (?:fiscal|FY) ?)?(?: ?{_YEAR_OR_RELATIVE})?(?: {_SCAN_ENDED})?"
    rf"|(?:first|second|1st|2nd)[- ]half(?:[- ]year)?(?: of)?(?: (?:fiscal|FY) ?)?(?: ?{_YEAR_OR_RELATIVE})?"
    rf"(?: {_SCAN_ENDED})?"
    rf"|first (?:\d{{1,2}}|{_COUNT_WORDS}) months(?: of {_YEAR_OR_RELATIVE})?"
    rf"|first (?:two|three) quarters(?: of {_YEAR_OR_RELATIVE})?"
    rf"|Q[1-4](?: ?(?:FY)? ?'?(?:{_Y4}|\d{{2}}(?!\d)))?|[1-4]Q ?'?(?:{_Y4}|\d{{2}})|{_Y4} ?Q[1-4]"
    rf"|H[12](?: ?(?:FY)? ?'?(?:{_Y4}|\d{{2}}(?!\d)))?|[12]H ?'?(?:{_Y4}|\d{{2}})|{_Y4} ?(?:[12]H|H[12])"
    rf"|[1-9]M ?'?(?:{_Y4}|\d{{2}})"
)
_SCAN_FISCAL = (
    rf"(?:FY|fiscal year|financial year|fiscal) ?'?(?:{_Y4}|\d{{2}}(?!\d))(?:[-/](?:{_Y4}|\d{{2}}))?"
    rf"|{_Y4}/(?:{_Y4}|\d{{2}})"
)
_SCAN_SPAN = (
    rf"(?:\d{{1,2}}|{_COUNT_WORDS}) months? {_SCAN_ENDED}"
    rf"|(?:(?:fiscal |financial )?year|half[- ]year|quarter) {_SCAN_ENDED}"
)
_SCAN_INNER = rf"(?:{_SCAN_SPAN}|{_SCAN_QUARTER}|{_SCAN_FISCAL}|{_SCAN_DATE}|{_SCAN_MONTH}|{_Y4}|the (?:year|quarter))"
_EN_PHRASE = re.compile(
    r"(?<![\w$€£¥])(?:"
    r"(?:as (?:of|at|on) |(?:(?:at|by) )?(?:the )?end(?: of |-)|year[- ]end "
    r"|(?:at |by )?(?:the )?(?:beginning|start) of )"
    rf"(?:the )?{_SCAN_INNER}"
    rf"|{_Y4} year[- ]end|{_SM}-end(?: {_Y4})?"
    rf"|{_SCAN_SPAN}|{_SCAN_QUARTER}|{_SCAN_FISCAL}|{_SCAN_DATE}|{_SM}\.?,? {_Y4}"
    r"|(?:this|last|next|current|previous|prior) (?:year|quarter)|year[- ]to[- ]date|YTD|so far this year"
    rf"|(?:the )?(?:same|corresponding|comparable) period(?: (?:of|in) {_YEAR_OR_RELATIVE}| last year)?"
    r"|(?:the )?(?:prior|previous)[- ]year(?: period)?|a year (?:ago|earlier|before)"
    rf"|(?:(?<=\bin )|(?<=\bfor )|(?<=\bduring )|(?<=\bof )|(?<=\bthrough )|(?<=\bthroughout )){_Y4}"
    r")(?![\w%])",
    re.IGNORECASE,
)
_SINCE = re.compile(r"\b(?:since|from)\s$", re.IGNORECASE)
# what may stand between a figure and the English period after it: RMB 1.2 billion in 2023
_AFTER_FIGURE = re.compile(
    r"[ \u00a0]+(?:(?:in|for|during|at|on|by|over|through|throughout|of)[ \u00a0]+)?(?:the[ \u00a0]+)?", re.IGNORECASE
)
_BOUND_WITHOUT_PREPOSITION = re.compile(r"(?:as |at |by |end|year|a year|the |same|prior|previous|corresponding)", re.I)


_LATIN = re.compile("[A-Za-z]")


def english_periods(text: str, lo: int, hi: int) -> list[re.Match[str]]:
    """English period phrases in ``text[lo:hi]`` (not one that a period starts from: since
    2015). Every one has a Latin letter in it or before it (in 2023): where ``text[lo:hi]``
    has none, there is none."""
    if not has_latin(text) or not _LATIN.search(text, lo, hi):
        return []
    return [m for m in _EN_PHRASE.finditer(text, lo, hi) if not _SINCE.search(text, max(0, m.start() - 6), m.start())]


def period_after(text: str, end: int) -> str | None:
    """The English period written right after a figure: "RMB 1.2 billion in 2023",
    "RMB189,100 million as of September 30, 2023", "from 203.5 million a year ago"."""
    if not has_latin(text) or not _LATIN.search(text, end, end + 24):
        return None  # every phrase, or the word before it, has a Latin letter
    gap = _AFTER_FIGURE.match(text, end)
    at = gap.end() if gap else end
    match = _EN_PHRASE.match(text, at)
    if match is None or (gap is None and end != at):
        return None
    preposition = gap is not None and gap.group().strip() != "" and gap.group().strip().casefold() != "the"
    if not preposition and not _BOUND_WITHOUT_PREPOSITION.match(match.group()):
        return None
    return match.group()


# 2017年~2019年，净利润分别为13.46亿元、11.38亿元、5.73亿元: one year per figure, in order
_YEAR_SPAN = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:~|～|至|到|-|—|－)\s*((?:19|20)\d{2})\s*年")
_IN_TURN = re.compile(r"分别为|分别是|分别达到?|依次为")


def year_in_series(text: str, position: int, window: int = 120) -> str | None:
    """The year a figure at ``position`` stands for in a list of figures over a span of
    years (2017年~2019年…分别为A、B、C: B is 2018年); None when it is in no such list."""
    lo = max(0, position - window)
    in_turn = list(_IN_TURN.finditer(text, lo, position))
    if not in_turn:
        return None
    at = in_turn[-1].end()
    spans = list(_YEAR_SPAN.finditer(text, lo, in_turn[-1].start()))
    if not spans or any(mark in text[at:position] for mark in "。；;"):
        return None
    first, last = int(spans[-1][1]), int(spans[-1][2])
    year = first + text[at:position].count("、")
    return f"{year}年" if first < last and year <= last else None
