"""Deterministic figures: ``62.64亿`` → 6264000000, ``3%-23.76%`` → (3, 23.76, "%"),
``US$1.2 billion`` → (1200000000, None, "USD").

The model only quotes figures; this module turns the quoted text into numbers, and
also finds every figure in an article so that the model labels candidates instead
of writing numbers of its own. Two grammars read a figure: the Chinese one (numerals,
万/亿, 约/超/余, 至) first, and where it cannot, the English one (currency symbols and
codes, million/bn/lakh, about/more than/up to, "between … and", (1,234) and -5% for
losses); both give the same ``Figure``. The words of a unit (currencies, 百分点, basis
points, counted things) live in ``lexicon``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from ._exceptions import FigureError
from .chars import count_cjk, is_cjk
from .lexicon import (
    CHINA_WORDS,
    CHINESE_DIGITS,
    COUNT_WORDS,
    CURRENCY_CODE_WORDS,
    CURRENCY_NAMES,
    CURRENCY_PREFIXES,
    CURRENCY_WORDS,
    DURATION_WORDS,
    ENGLISH_NUMBERS,
    ENGLISH_UNIT_WORDS,
    EXCHANGE_SUFFIXES,
    EXCHANGE_TAGS,
    JAPAN_WORDS,
    MONTHS,
    REFERENCE_WORDS,
    UNIT_WORDS,
    UNKNOWN_CURRENCY,
    YEN_SIGN,
    YEN_WORDS,
    YUAN_WORDS,
)

_DIGITS = "零〇一二两三四五六七八九"
_DIGIT_VALUE = CHINESE_DIGITS
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM_CHARS = _DIGITS + "十百千万亿"

# Longest first so that 万亿 wins over 万 and 亿.
_MULTIPLIERS = {
    "万亿": 1e12,
    "千亿": 1e11,
    "百亿": 1e10,
    "十亿": 1e9,
    "亿": 1e8,
    "千万": 1e7,
    "百万": 1e6,
    "十万": 1e5,
    "万": 1e4,
    "千": 1e3,
}
_PREFIX_QUALIFIERS = {
    "不超过": "under",  # before 超过: 不超过10% is at most 10%, not over it
    "不高于": "under",
    "不多于": "under",
    "不低于": "over",
    "不少于": "over",
    "至少": "over",
    "大约": "approx",
    "约为": "approx",
    "约": "approx",
    "近似": "approx",
    "超过": "over",
    "超": "over",
    "逾": "over",
    "突破": "over",
    "高达": "exact",
    "不足": "under",
    "不到": "under",
    "将近": "under",
    "近": "under",
}
_SUFFIX_QUALIFIERS = {"以上": "over", "多": "over", "余": "over", "+": "over", "左右": "approx", "以下": "under"}
_RANGE_SEPARATORS = ("至", "到", "-", "—", "–", "~", "～", "－")

_NUM = rf"(?:\d+(?:\.\d+)?|[{_CN_NUM_CHARS}]+)"
_MULT = "|".join(_MULTIPLIERS)
# a currency, per share when written so (6.30元/股, 每股0.03港元 reads 0.03港元)
_CUR = rf"(?:{'|'.join(sorted(CURRENCY_WORDS, key=len, reverse=True))})(?:/股)?"
_UNIT = "|".join(re.escape(u) for u in UNIT_WORDS)
# counted things; shares (12.5亿股) but not 股东, 股份, 股权, 股票 …
_COUNT = "|".join(w for w in COUNT_WORDS if w != "个") + "|股(?![东份权票本价民市息])|个(?!体)"  # 千万个体: 个体
# a currency written between a qualifier and the number: 约人民币12.3亿元
_CUR_BEFORE = "人民币|美元|港元|港币|欧元|日元|英镑"
_PART = rf"(?P<num{{i}}>{_NUM})(?P<rest{{i}}>(?:余|多)?(?:{_MULT})?(?:余|多)?(?:{_CUR}|{_UNIT}|{_COUNT})?)"
_SEP = "|".join(re.escape(s) for s in _RANGE_SEPARATORS)
# 余/多, a multiplier (alternatives in _MULTIPLIERS' order: 万亿 before 万), 余/多, a unit
_REST_RE = re.compile(rf"(?P<more>[余多])?(?P<mult>{_MULT})?(?P<more_after>[余多])?(?P<unit>.*)", re.S)
_FIGURE_RE = re.compile(
    rf"^(?:(?P<pre>{'|'.join(_PREFIX_QUALIFIERS)})约?(?P<cur>{_CUR_BEFORE})?)?"
    + _PART.format(i=1)
    + rf"(?:(?:{_SEP})"
    + _PART.format(i=2)
    + r")?(?P<post>以上|左右|以下|\+)?$"
)


class Figure(NamedTuple):
    """A figure's reading (a tuple: built ~80 times per article, at under half the cost of
    a frozen dataclass)."""

    value: float
    value_max: float | None
    unit: str | None
    qualifier: str


_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3})")


def normalise_digits(text: str) -> str:
    """Full-width digits, signs and commas to ASCII; thousands separators dropped."""
    return _THOUSANDS_COMMA.sub("", unicodedata.normalize("NFKC", text))


def chinese_numeral(text: str) -> float:
    """一千二百万 → 12000000; 三百 → 300; 千万 → 10000000 (an implicit 一)."""
    if not text or any(c not in _CN_NUM_CHARS for c in text):
        raise FigureError(f"not a Chinese numeral: {text!r}")
    total = 0.0
    section = 0.0
    digit: float | None = None
    for char in text:
        if char in _DIGIT_VALUE:
            digit = _DIGIT_VALUE[char]
        elif char in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[char]
            digit = None
        else:  # 万 or 亿 closes a section
            section += digit or 0
            factor = 1e4 if char == "万" else 1e8
            if section == 0:
                section = 1
            if char == "亿":
                total = (total + section) * factor
            else:
                total += section * factor
            section = 0
            digit = None
    return total + section + (digit or 0)


def _number(num: str) -> float:
    if num[0].isdigit():
        return float(num)
    return chinese_numeral(num)


def _scale_and_unit(rest: str) -> tuple[float, str | None, bool]:
    """Split what follows a number into (multiplier, unit, has 余/多)."""
    parts = _REST_RE.match(rest)
    assert parts is not None  # every part is optional
    scale = _MULTIPLIERS[parts["mult"]] if parts["mult"] else 1.0
    unit: str | None = parts["unit"] or None
    if unit is not None:  # a per-share value (6.30元/股) is in its currency
        unit = CURRENCY_WORDS.get(unit.removesuffix("/股")) or UNIT_WORDS.get(unit) or unit
    return scale, unit, bool(parts["more"] or parts["more_after"])


def _clean(value: float) -> float:
    """Round away binary noise (62.64 * 1e8 = 6264000000.000001)."""
    rounded = round(value, 6)
    return float(int(rounded)) if rounded.is_integer() else rounded


def parse_figure(raw: str, *, yen: str = UNKNOWN_CURRENCY) -> Figure:
    """Read one figure as written in the article.

    ``unit`` is None when the raw text names none (``4.3亿``, ``3.7 billion``): whether
    that is money or a count depends on the metric, which the caller knows. ``yen`` is
    what a ``¥`` stands for here (``CNY`` or ``JPY``, from ``yen_currency``); without it
    the currency of ``¥5 billion`` is ``other``.
    """
    text = normalise_digits(raw).strip().replace(" ", "")
    match = _FIGURE_RE.match(text)
    if not match:
        return _english_figure(raw, yen)
    qualifier = _PREFIX_QUALIFIERS.get(match["pre"] or "", "exact")
    scale1, unit1, more1 = _scale_and_unit(match["rest1"])
    written_before = CURRENCY_WORDS[match["cur"]] if match["cur"] else None  # 约人民币12.3亿
    value = _number(match["num1"])
    if match["num2"]:
        scale2, unit2, more2 = _scale_and_unit(match["rest2"])
        low = value * (scale1 if match["rest1"] else scale2)
        high = _number(match["num2"]) * scale2
        unit = unit2 or unit1 or written_before
        if low > high:
            raise FigureError(f"range runs backwards in {raw!r}")
        return Figure(_clean(low), _clean(high), unit, "range")
    if more1:
        qualifier = "over"
    post = match["post"]
    if post:
        qualifier = _SUFFIX_QUALIFIERS[post]
    return Figure(_clean(value * scale1), None, unit1 or written_before, qualifier)


# --- the English grammar --------------------------------------------------------------

_EN_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "mn": 1e6,
    "mln": 1e6,
    "bn": 1e9,
    "bln": 1e9,
    "tn": 1e12,
    "trn": 1e12,
    "lakhs": 1e5,
    "lakh": 1e5,
    "crores": 1e7,
    "crore": 1e7,
}
# £500m, $20k, US$1.2B: one letter, written against the number, and only after a currency
_EN_LETTER_SCALES = {"k": 1e3, "m": 1e6, "b": 1e9}
# written out only before a scale word: two million customers, a billion yuan
_EN_NUMBER_WORDS = {"a": 1, **ENGLISH_NUMBERS}
_EN_PREFIX_QUALIFIERS = {
    "approximately": "approx",
    "approx.": "approx",
    "approx": "approx",
    "about": "approx",
    "around": "approx",
    "roughly": "approx",
    "some": "approx",
    "an estimated": "approx",
    "circa": "approx",
    "nearly": "under",
    "almost": "under",
    "close to": "under",
    "just under": "under",
    "less than": "under",
    "fewer than": "under",
    "under": "under",
    "below": "under",
    "up to": "under",
    "at most": "under",
    "no more than": "under",
    "not more than": "under",
    "more than": "over",
    "over": "over",
    "above": "over",
    "exceeding": "over",
    "in excess of": "over",
    "upwards of": "over",
    "at least": "over",
    "no less than": "over",
    "not less than": "over",
    "just over": "over",
}
_EN_SUFFIX_QUALIFIERS = {"or more": "over", "or above": "over", "or so": "approx", "or less": "under", "+": "over"}

_CURRENCY_AFTER = {word.casefold(): code for word, code in (CURRENCY_NAMES | CURRENCY_CODE_WORDS).items()}
_CURRENCY_BEFORE = {word.casefold(): code for word, code in (CURRENCY_PREFIXES | CURRENCY_CODE_WORDS).items()}
_EN_UNITS = {word.casefold(): unit for word, unit in ENGLISH_UNIT_WORDS.items()}


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of the words, longest first (so that "bps" wins over "bp")."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SP = "[ \\u00a0]"  # one space (NBSP too) between the words of a figure
_JOIN = "[ \\u00a0-]"  # ... or a hyphen before a word: a $10-billion fine, a 25-basis-point cut
_EN_NUM = (
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)"  # 1,234,567.89
    r"|\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?(?!\d)"  # 1,00,000 (Indian grouping)
    r"|\d+(?:\.\d+)?(?![\d,]\d)"
)
_SCALE_WORDS = _alternatives(_EN_SCALES)
# "percentage-point" and "basis-point" as adjectives: the words joined by a hyphen too
_WORDY_UNITS = _alternatives({form for u in _EN_UNITS if u != "x" for form in (u, u.replace(" ", "-"))})


def _en_part(i: int) -> str:
    """One number with its currency, scale and unit; groups numbered ``i``."""
    return (
        rf"(?P<neg{i}>[-−])?"
        rf"(?:(?P<cur{i}>{_alternatives(_CURRENCY_BEFORE)}){_SP}?)?"
        rf"(?P<negb{i}>[-−])?"
        rf"(?:\((?P<paren{i}>{_EN_NUM})\)|(?P<num{i}>{_EN_NUM})"
        rf"|(?P<word{i}>{_alternatives(_EN_NUMBER_WORDS)})(?={_SP}(?:{_SCALE_WORDS})(?![a-z])))"
        rf"(?P<scale{i}>{_JOIN}?(?:{_SCALE_WORDS})(?![a-z])"
        rf"|(?(cur{i})[kmb](?![a-z\d])|(?!))|{_MULT})?"
        rf"(?:(?P<curs{i}>{_SP}(?:{_alternatives(_CURRENCY_AFTER)})(?![a-z])|{_CUR})"
        rf"|(?P<unit{i}>{_SP}?%|{_JOIN}?(?:{_WORDY_UNITS})(?![a-z])|x(?![a-z\d])))?"
    )


_EN_PRE = rf"(?:(?P<pre>{_alternatives(_EN_PREFIX_QUALIFIERS)}){_SP})?(?:(?P<between>between){_SP})?"
_EN_POST = rf"(?P<post>{_SP}(?:or more|or above|or so|or less)(?![a-z])|\+(?!\d))?"
_EN_FIGURE_RE = re.compile(
    rf"{_EN_PRE}(?P<p1>{_en_part(1)})"
    rf"(?:(?P<sep>{_SP}?[-–—~]{_SP}?|{_SP}(?:to|and){_SP}){_en_part(2)})?{_EN_POST}",
    re.IGNORECASE,
)


class _Part(NamedTuple):
    value: float  # as written, signed, before the scale
    scale: float
    scaled: bool
    currency: str | None
    unit: str | None
    english: bool  # written in a way only the English grammar reads


def _en_value(match: re.Match[str], i: int, yen: str) -> _Part:
    """The number, scale, currency and unit of part ``i`` of an English figure."""
    english = False
    if match[f"word{i}"]:
        value, english = float(_EN_NUMBER_WORDS[match[f"word{i}"].casefold()]), True
    else:
        digits = match[f"num{i}"] or match[f"paren{i}"]
        value = float(digits.replace(",", ""))
        if match[f"paren{i}"]:  # (1,234) or $(3.5) million: a loss, as accounts write it
            if "," not in digits and "." not in digits and not match[f"cur{i}"]:
                raise FigureError("a bare integer in parentheses is a list mark, not a loss")
            value, english = -value, True
    signed = bool(match[f"neg{i}"] or match[f"negb{i}"])
    if signed:
        value = -value
    scale_word = (match[f"scale{i}"] or "").strip(" \u00a0-").casefold()
    scale = _EN_SCALES.get(scale_word) or _EN_LETTER_SCALES.get(scale_word) or _MULTIPLIERS.get(scale_word, 1.0)
    english = english or scale_word in _EN_SCALES or scale_word in _EN_LETTER_SCALES
    currency = None
    after = match[f"curs{i}"]
    if after:
        word = after.strip()
        currency = _CURRENCY_AFTER.get(word.casefold()) or CURRENCY_WORDS[word]
        english = english or word.casefold() in _CURRENCY_AFTER
    before = match[f"cur{i}"]
    if before:
        english = True
        code = _CURRENCY_BEFORE[before.casefold()]
        if currency is None:
            currency = yen if code == YEN_SIGN else code
    unit = None
    written = match[f"unit{i}"]
    if written:
        unit = _EN_UNITS.get(written.strip(" \u00a0-").casefold().replace("-", " "), "%")
        english = english or written != "%"
    # a sign makes a figure only with a unit: -945万元, -5.2%; 4月5日-4月11日 is a span of days
    english = english or (signed and bool(scale_word or currency or unit))
    return _Part(value, scale, bool(scale_word), currency, unit, english)


def _english_figure(raw: str, yen: str) -> Figure:
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", raw)).strip()
    match = _EN_FIGURE_RE.fullmatch(text)
    if not match:
        raise FigureError(f"cannot read figure {raw!r}")
    figure, _ = _read_english(match, yen)
    return figure


def _read_english(match: re.Match[str], yen: str) -> tuple[Figure, bool]:
    """The figure an English match writes, and whether only the English grammar reads it
    (a currency symbol or code, a scale or unit word, a qualifier word, a sign)."""
    first = _en_value(match, 1, yen)
    english = first.english or bool(match["pre"] or match["between"]) or (match["post"] or "+") != "+"
    sep = (match["sep"] or "").strip().casefold()
    if not match["sep"]:
        if match["between"]:
            raise FigureError("between without its second figure")
        qualifier = _EN_PREFIX_QUALIFIERS.get((match["pre"] or "").casefold(), "exact")
        if match["post"]:
            qualifier = _EN_SUFFIX_QUALIFIERS[match["post"].strip().casefold()]
        return Figure(_clean(first.value * first.scale), None, first.currency or first.unit, qualifier), english
    if (sep == "and") != bool(match["between"]):
        raise FigureError("'and' joins a range only after 'between'")
    second = _en_value(match, 2, yen)
    if first.unit is not None and first.unit != second.unit:
        raise FigureError("a range's ends are in different units")
    if first.currency is not None and (second.unit is not None or second.currency not in (None, first.currency)):
        raise FigureError("a range's ends are in different currencies")
    low = first.value * (first.scale if first.scaled else second.scale)
    high = second.value * second.scale
    if low > high:
        raise FigureError(f"range runs backwards in {match.group()!r}")
    unit = second.currency or first.currency or second.unit
    english = english or second.english or sep in ("to", "and") or match["sep"] != sep
    return Figure(_clean(low), _clean(high), unit, "range"), english


# --- finding figures in running text -------------------------------------------------

_SCAN_NUM = rf"(?:\d[\d,，]*(?:\.\d+)?|[{_DIGITS}十百千]+[{_DIGITS}十百千万亿]*|[百千](?=万|亿))"
_SCAN_PART = rf"{_SCAN_NUM}(?:余|多)?(?:{_MULT})?(?:余|多)?(?:{_CUR}|{_UNIT}|{_COUNT})?"
# The lookahead names every character a figure can start with, so the scan skips the
# rest of the text at once instead of trying each alternative at every position.
_SCAN_FIRST = "".join(sorted({word[0] for word in _PREFIX_QUALIFIERS})) + _DIGITS + "十百千"
_SCAN_RE = re.compile(
    rf"(?=[\d{_SCAN_FIRST}])"
    rf"(?P<pre>(?:{'|'.join(_PREFIX_QUALIFIERS)})约?(?:{_CUR_BEFORE})?)?"
    rf"(?P<body>{_SCAN_PART}(?:(?:{_SEP}){_SCAN_PART})?)"
    rf"(?P<post>以上|左右|以下|\+(?!\d))?"
)
# Dates and times (2024-06-30, 2024.6, 10:30), blanked before the scan; the leading digit
# stands outside the alternation so that the regex engine skips straight to digits.
# 2021-03-15, 2021/3/15, 2021.3.15 (a year of 19xx or 20xx, a month 1-12 after a dot),
# 12:30: blanked before the figure scan. A dot after four digits is a decimal point
# when a month cannot follow it or a unit does (2086.85亿元, 1686.17亿元, 2020.12亿元).
_DATED_YEAR = r"(?:(?<=1)9|(?<=2)0)\d{2}"
_DATE_TAIL = (
    r"(?:[-/]\d{1,2}(?:[-/]\d{1,2})?"
    r"|\.(?:1[0-2]|0?[1-9])(?:\.(?:3[01]|[12]\d|0?[1-9]))?(?![\d.万亿千百元%％倍股份美欧英港日]))"
)
_DATE_OR_TIME = re.compile(rf"\d(?:{_DATED_YEAR}{_DATE_TAIL}|\d?:\d{{2}}(?::\d{{2}})?)")
_CN_NUM_CHARS_SET = frozenset(_CN_NUM_CHARS)  # a set: "" is in every str
# A number followed by these is a date, a time or a duration, not a figure.
_NOT_FIGURE_AFTER = re.compile(
    r"年|月|日|号|季度|时|点|分钟|秒|周|天|岁|个月|小时|个?工作日|个?交易日"
)  # .match at a position


def _is_part_of_a_name(text: str, start: int, end: int, figure: Figure) -> bool:
    """A bare number glued to a word is a name (360数科, Q3, 5G), not a figure."""
    bare = figure.unit is None and figure.qualifier == "exact" and not any(m in text[start:end] for m in _MULTIPLIERS)
    if not bare:
        return False
    after = text[end : end + 1]
    before = text[start - 1 : start] if start else ""
    return is_cjk(after) or after.isalpha() or before.isalpha()


class Candidate(NamedTuple):
    """A figure found in the text: ``text[start:end] == raw``."""

    raw: str
    start: int
    end: int
    figure: Figure


def find_figures(text: str) -> Iterator[Candidate]:
    """Every span that ``parse_figure`` reads, minus dates, times, codes and lone numerals.

    Each candidate's ``figure`` is ``parse_figure(raw)``; for a ``¥``, it is
    ``parse_figure(raw, yen=yen_currency(text, start, end))``. Where the two grammars
    read overlapping spans, the English reading that covers the Chinese ones whole wins
    (``about 5%`` over ``5%``, ``$3.7 billion`` over ``3.7``).
    """
    folded = unicodedata.normalize("NFKC", text)
    if len(folded) != len(text):  # NFKC changed lengths: scan the original instead
        folded = text
    folded = _DATE_OR_TIME.sub(_blank, folded)
    if "/" in folded:
        folded = _SLASH_DATE.sub(_blank, folded)
    if _DATE_WORD.search(folded):
        folded = _ENGLISH_DATE.sub(_blank, folded)
    found = list(_chinese_candidates(text, folded))
    if _ENGLISH_MARK.search(folded):  # else the English grammar has nothing to read here
        found = _merge(found, list(_english_candidates(text, folded)))
    yield from (c for c in found if c.figure.unit is not None or not _is_code_or_reference(folded, c))


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def _chinese_candidates(text: str, folded: str) -> Iterator[Candidate]:
    for match in _SCAN_RE.finditer(folded):
        _, body, post = match.groups()
        start, end = match.span()
        if not post and (
            _NOT_FIGURE_AFTER.match(folded, end)
            or (body.isdecimal() and (len(body) == 1 or (len(body) == 4 and 1900 <= int(body) <= 2100)))
        ):
            continue  # dates and durations (2024年, 3个月), lone digits and bare years
        if folded[start - 1 : start] == "第":
            continue  # ordinals
        if body[0] in _CN_NUM_CHARS_SET and body[1:2] not in _CN_NUM_CHARS_SET:
            continue  # 一张, 十分: a lone Chinese numeral is a word, not a figure
        raw = text[start:end]
        try:
            figure = parse_figure(raw)
        except FigureError:
            continue
        if _is_part_of_a_name(folded, start, end, figure):
            continue
        yield Candidate(raw=raw, start=start, end=end, figure=figure)


# -- English figures in running text --

# what every figure that only the English grammar reads has: a Latin letter, a currency
# sign, a parenthesis, a sign before a number, or a space before % or a dash
_ENGLISH_MARK = re.compile(r"[A-Za-z$€£¥₹₩(]|[-−](?=[\d$€£¥₹(])|[ \u00a0][%–—~]|[–—~][ \u00a0]")
_MONTH = "|".join(sorted({*MONTHS, *(m.upper() for m in MONTHS)}, key=len, reverse=True))
# English dates and times (March 31, 2024; 31 March 2024; 31-Dec-08; 30/6/2024; 10 a.m.),
# blanked before the scan like 2024-06-30
_YEAR_AFTER = r"(?:,?[ \u00a0](?:19|20)\d{2})"
_ENGLISH_DATE = re.compile(  # the lookahead lets the search skip to a month's or a number's first character
    rf"(?=[JFMASOND\d])(?<![A-Za-z])"
    rf"(?:(?:{_MONTH})\.?[ \u00a0]\d{{1,2}}(?:st|nd|rd|th)?(?![\d,.]\d){_YEAR_AFTER}?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \u00a0](?:of[ \u00a0])?(?:{_MONTH})\b\.?{_YEAR_AFTER}?"
    rf"|(?:{_MONTH})\.?{_YEAR_AFTER}"
    rf"|\d{{1,2}}-(?:{_MONTH})-\d{{2,4}}"
    r"|\d{1,2}(?::\d{2})?[ \u00a0]?(?:a\.m\.|p\.m\.|am|pm))(?![A-Za-z\d])"
)
# what every English date or time has: a month's capital and two letters, or a.m./pm (a
# pattern that starts with a character class is searched fast)
_DATE_WORD = re.compile(r"[JFMASONDapAP](?:(?<=[JFMASOND])[A-Za-z]{2}|(?<=[apAP])\.?[mM])")
_SLASH_DATE = re.compile(r"\d(?<![\d/]\d)\d?/\d{1,2}/(?:(?:19|20)\d{2}|\d{2})(?![\d/])")  # 30/6/2024, 12/31/23
_EN_SCAN_FIRST = "".join(
    sorted({w[0].casefold() for w in (*_EN_PREFIX_QUALIFIERS, *_CURRENCY_BEFORE, *_EN_NUMBER_WORDS, "between")})
)
# Where an English figure can start: a word's first letter, a currency sign, a sign, a
# parenthesis, or a number that a word, a spaced % or a spaced dash follows (the other
# numbers are the Chinese scan's). Searched first: a pattern that starts with a character
# class skips the rest of the text fast.
_FIRST_LETTERS = "".join(sorted({c for w in _EN_SCAN_FIRST if w.isalpha() for c in (w, w.upper())}))
_EN_START = re.compile(  # no flags and a character class first: the search skips in C to a candidate
    rf"[(−\-$€£¥₹₩{_FIRST_LETTERS}\d]"
    rf"(?:(?<=[(−\-])(?=[\d$€£¥₹₩(−-]|[A-Za-z]{{1,3}}\$)|(?<=[$€£¥₹₩])"
    rf"|(?<=[{_FIRST_LETTERS}])(?<![A-Za-z\d].)"
    rf"|(?<=\d)(?<![\d.,]\d)[\d,.]*%?(?:{_JOIN}?[A-Za-z]|{_SP}[%–—~]|[–—~]{_SP}))"
)
_EN_SIGN_START = re.compile(r"[(−\-$€£¥₹₩](?:(?<=[(−\-])(?=[\d$€£¥₹₩(−-])|(?<=[$€£¥₹₩]))")
_LATIN_OR_SPACED = re.compile(r"[A-Za-z]|[ \u00a0][%–—~]|[–—~][ \u00a0]")
_EN_SCAN_RE = re.compile(
    rf"(?<![a-z\d$€£¥₹])(?<!\d[.,])"
    rf"{_EN_PRE}(?P<p1>{_en_part(1)})"
    rf"(?:(?P<sep>-(?=[\d$€£¥₹(])|{_SP}?[–—~]{_SP}?|{_SP}(?:to|and){_SP}){_en_part(2)})?{_EN_POST}"
    r"(?![a-z\d])",
    re.IGNORECASE,
)
_FROM = re.compile(r"\bfrom[ \u00a0]$", re.IGNORECASE)
# a verb that "up" goes with (edged up, went up, shot up), not a limit (fines of up to)
_RISEN_BEFORE = re.compile(
    r"\b(?!need\b)(?:[a-z]+ed|went|goes|go|gone|moves?|edges?|ticks?|rises?|rose|jumps?|climbs?|shot|surges?|inch(?:es)?)"
    r"[ \u00a0]$",
    re.IGNORECASE,
)


def _english_candidates(text: str, folded: str) -> Iterator[Candidate]:
    """Figures only the English grammar reads: with a currency symbol or code, a scale or
    unit word, a qualifier word or a sign. "from 1.44% to 1.57%" is two figures."""
    # without a Latin letter or a spaced %/dash, an English figure starts at a sign, a
    # parenthesis or a currency sign, never at a digit: a search for those alone is far faster
    starts = _EN_START if _LATIN_OR_SPACED.search(folded) else _EN_SIGN_START
    at = 0
    while (begin := starts.search(folded, at)) is not None:
        match = _EN_SCAN_RE.match(folded, begin.start())
        if match is None:
            at = begin.start() + 1
            continue
        if (match["pre"] or "").casefold() == "up to" and _RISEN_BEFORE.search(
            folded, max(0, match.start() - 12), match.start()
        ):
            # "edged up to 1.5%" rose to it: "up" belongs to the verb, not a limit to the figure
            match = _EN_SCAN_RE.match(folded, match.start("p1"))
            if match is None:
                at = begin.start() + 1
                continue
        start, end = match.span()
        at = start + 1  # a span that is no English figure takes nothing from the next one
        if not _ENGLISH_MARK.search(folded, start, end):
            continue  # 62.64亿, 2019: the Chinese scan's
        if match["sep"] and _FROM.search(folded, max(0, start - 5), start):
            match = _EN_SCAN_RE.fullmatch(folded, start, match.end("p1"))  # a change, not a range
        candidate = _english_candidate(text, folded, match) if match else None
        if candidate is None and match and match["sep"]:
            match = _EN_SCAN_RE.fullmatch(folded, start, match.end("p1"))  # no range: its first figure
            candidate = _english_candidate(text, folded, match) if match else None
        if candidate is not None:
            at = candidate.end
            yield candidate


def _english_candidate(text: str, folded: str, match: re.Match[str]) -> Candidate | None:
    start, end = match.span()
    raw = text[start:end]
    yen = yen_currency(text, start, end) if YEN_SIGN in folded[start:end] else UNKNOWN_CURRENCY
    try:
        figure, english = _read_english(match, yen)
    except FigureError:
        return None
    if not english or _bare_year_in(match):
        return None
    if match["sep"] and match["sep"].strip().casefold() == "to" and not _has_unit(match):
        return None  # "5 to 10": no unit says that these are one figure
    if figure.unit is None and (_DURATION_AFTER.match(folded, end) or _NOT_FIGURE_AFTER.match(folded, end)):
        return None  # more than 20 years, over 3个月
    return Candidate(raw=raw, start=start, end=end, figure=parse_figure(raw, yen=yen))


def _bare_year_in(match: re.Match[str]) -> bool:
    """Whether a part is a year (about 2023, between 2020 and 2023), not a figure."""
    for i in (1, 2):
        num = match[f"num{i}"]
        year = bool(num) and num.isdecimal() and len(num) == 4 and 1900 <= int(num) <= 2100
        if year and not any(match[f"{group}{i}"] for group in ("cur", "scale", "curs", "unit")):
            return True
    return False


def _has_unit(match: re.Match[str]) -> bool:
    return any(match[f"{group}{i}"] for group in ("cur", "scale", "curs", "unit") for i in (1, 2))


def _merge(chinese: list[Candidate], english: list[Candidate]) -> list[Candidate]:
    """The Chinese candidates, with every English one that covers some of them whole in
    their place; an English one that cuts a Chinese one in two is left out."""
    if not english:
        return chinese
    added: list[Candidate] = []
    covered: set[int] = set()
    for candidate in english:
        overlapping = [i for i, c in enumerate(chinese) if c.start < candidate.end and candidate.start < c.end]
        if all(candidate.start <= chinese[i].start and chinese[i].end <= candidate.end for i in overlapping):
            covered.update(overlapping)
            added.append(candidate)
    kept = [c for i, c in enumerate(chinese) if i not in covered]
    return sorted(kept + added, key=lambda c: c.start)


# -- what a bare number is when it is no figure --

_BARE = re.compile(r"[\d,.]+")
_REFERENCE_BEFORE = re.compile(rf"(?<![A-Za-z])(?:{_alternatives(REFERENCE_WORDS)})[ \u00a0]?$", re.IGNORECASE)
_EXCHANGE_BEFORE = re.compile(rf"(?:{_alternatives(EXCHANGE_TAGS)})[ \u00a0]?[:：][ \u00a0]?$")
_DURATION_AFTER = re.compile(rf"[ \u00a0-]?(?:{_alternatives(DURATION_WORDS)})(?![A-Za-z])", re.IGNORECASE)
_COMPOUND = re.compile(r"-[A-Za-z]")  # 20-F, 10-year
_COMPOUND_BEFORE = re.compile(r"[A-Za-z]-$")  # COVID-19
_LIST_MARK = re.compile(r"[.)][ \u00a0]")


def _is_code_or_reference(folded: str, candidate: Candidate) -> bool:
    """A bare number that is a stock code (HKEx: 3660, 1398.HK, 00011), a reference
    (No. 1217, Section 47, Form 20-F, COVID-19), a duration (20 years), a list mark at a
    line's start, or a mark in parentheses ((12)), not a figure."""
    raw, start, end = candidate.raw, candidate.start, candidate.end
    if candidate.figure.unit is not None or not _BARE.fullmatch(raw) or candidate.figure.qualifier != "exact":
        return False
    before = folded[max(0, start - 12) : start]
    if len(raw) >= 4 and raw[0] == "0" and raw.isdecimal():
        return True  # 00011, 600036 written with its zeros: a code
    if _EXCHANGE_BEFORE.search(before) or folded.startswith(EXCHANGE_SUFFIXES, end):
        return True
    if _REFERENCE_BEFORE.search(before):
        return True
    if _COMPOUND.match(folded, end) or _COMPOUND_BEFORE.search(folded, max(0, start - 2), start):
        return True
    if _DURATION_AFTER.match(folded, end):
        return True
    if folded[start - 1 : start] == "(" and folded[end : end + 1] == ")" and raw.isdecimal():
        return True
    line_start = folded.rfind("\n", 0, start) + 1
    return not folded[line_start:start].strip() and bool(_LIST_MARK.match(folded, end)) and raw.isdecimal()


def yen_currency(text: str, start: int, end: int) -> str:
    """What the ``¥`` of ``text[start:end]`` stands for: ``CNY`` beside 元/RMB/yuan, ``JPY``
    beside yen; else by the article (Chinese, or naming China, against Japan); else
    ``other``."""
    for context, whole in ((text[max(0, start - 60) : end + 60], False), (text, True)):
        yuan = any(_word_in(word, context) for word in YUAN_WORDS)
        yen = any(_word_in(word, context) for word in YEN_WORDS)
        if whole:
            yuan = yuan or any(_word_in(word, text) for word in CHINA_WORDS) or _mostly_chinese(text)
            yen = yen or any(_word_in(word, text) for word in JAPAN_WORDS)
        if yuan != yen:
            return "CNY" if yuan else "JPY"
    return UNKNOWN_CURRENCY


def _word_in(word: str, text: str) -> bool:
    """``word`` in ``text``; a Latin word only as a whole word (yen, not Yeni)."""
    if not word.isascii():
        return word in text
    return re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text) is not None


def _mostly_chinese(text: str) -> bool:
    return count_cjk(text) >= len(re.findall(r"[A-Za-z]+", text))
