"""Deterministic figures: ``62.64亿`` → 6264000000, ``3%-23.76%`` → (3, 23.76, "%").

The model only quotes figures; this module turns the quoted text into numbers, and
also finds every figure in an article so that the model labels candidates instead
of writing numbers of its own. The grammar of a figure (numerals, multipliers,
qualifiers, ranges) lives here; the words of its unit (currencies, 百分点, counted
things) in ``lexicon``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

from ._exceptions import FigureError
from .chars import is_cjk
from .lexicon import CHINESE_DIGITS, COUNT_WORDS, CURRENCY_WORDS, UNIT_WORDS

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
_CUR = "|".join(sorted(CURRENCY_WORDS, key=len, reverse=True))
_UNIT = "|".join(re.escape(u) for u in UNIT_WORDS)
_COUNT = "|".join(COUNT_WORDS)
_PART = rf"(?P<num{{i}}>{_NUM})(?P<rest{{i}}>(?:余|多)?(?:{_MULT})?(?:余|多)?(?:{_CUR}|{_UNIT}|{_COUNT})?)"
_SEP = "|".join(re.escape(s) for s in _RANGE_SEPARATORS)
# 余/多, a multiplier (alternatives in _MULTIPLIERS' order: 万亿 before 万), 余/多, a unit
_REST_RE = re.compile(rf"(?P<more>[余多])?(?P<mult>{_MULT})?(?P<more_after>[余多])?(?P<unit>.*)", re.S)
_FIGURE_RE = re.compile(
    rf"^(?P<pre>{'|'.join(_PREFIX_QUALIFIERS)})?"
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
    if unit is not None:
        unit = CURRENCY_WORDS.get(unit) or UNIT_WORDS.get(unit) or unit
    return scale, unit, bool(parts["more"] or parts["more_after"])


def _clean(value: float) -> float:
    """Round away binary noise (62.64 * 1e8 = 6264000000.000001)."""
    rounded = round(value, 6)
    return float(int(rounded)) if rounded.is_integer() else rounded


def parse_figure(raw: str) -> Figure:
    """Read one figure as written in the article.

    ``unit`` is None when the raw text names none (``4.3亿``): whether that is money or a
    count depends on the metric, which the caller knows.
    """
    text = normalise_digits(raw).strip().replace(" ", "")
    match = _FIGURE_RE.match(text)
    if not match:
        raise FigureError(f"cannot read figure {raw!r}")
    qualifier = _PREFIX_QUALIFIERS.get(match["pre"] or "", "exact")
    scale1, unit1, more1 = _scale_and_unit(match["rest1"])
    value = _number(match["num1"])
    if match["num2"]:
        scale2, unit2, more2 = _scale_and_unit(match["rest2"])
        low = value * (scale1 if match["rest1"] else scale2)
        high = _number(match["num2"]) * scale2
        unit = unit2 or unit1
        if low > high:
            raise FigureError(f"range runs backwards in {raw!r}")
        return Figure(_clean(low), _clean(high), unit, "range")
    if more1:
        qualifier = "over"
    post = match["post"]
    if post:
        qualifier = _SUFFIX_QUALIFIERS[post]
    return Figure(_clean(value * scale1), None, unit1, qualifier)


# --- finding figures in running text -------------------------------------------------

_SCAN_NUM = rf"(?:\d[\d,，]*(?:\.\d+)?|[{_DIGITS}十百千]+[{_DIGITS}十百千万亿]*|[百千](?=万|亿))"
_SCAN_PART = rf"{_SCAN_NUM}(?:余|多)?(?:{_MULT})?(?:余|多)?(?:{_CUR}|{_UNIT}|{_COUNT})?"
# The lookahead names every character a figure can start with, so the scan skips the
# rest of the text at once instead of trying each alternative at every position.
_SCAN_FIRST = "".join(sorted({word[0] for word in _PREFIX_QUALIFIERS})) + _DIGITS + "十百千"
_SCAN_RE = re.compile(
    rf"(?=[\d{_SCAN_FIRST}])"
    rf"(?P<pre>{'|'.join(_PREFIX_QUALIFIERS)})?"
    rf"(?P<body>{_SCAN_PART}(?:(?:{_SEP}){_SCAN_PART})?)"
    rf"(?P<post>以上|左右|以下|\+(?!\d))?"
)
# Dates and times (2024-06-30, 2024.6, 10:30), blanked before the scan; the leading digit
# stands outside the alternation so that the regex engine skips straight to digits.
_DATE_OR_TIME = re.compile(r"\d(?:\d{3}[-/.]\d{1,2}(?:[-/.]\d{1,2})?|\d?:\d{2}(?::\d{2})?)")
_CN_NUM_CHARS_SET = frozenset(_CN_NUM_CHARS)  # a set: "" is in every str
# A number followed by these is a date, a time or a duration, not a figure.
_NOT_FIGURE_AFTER = re.compile(r"年|月|日|号|季度|时|点|分钟|秒|周|天|岁|个月|小时")  # .match at a position


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
    """Every span that ``parse_figure`` reads, minus dates, times and lone numerals."""
    folded = unicodedata.normalize("NFKC", text)
    if len(folded) != len(text):  # NFKC changed lengths: scan the original instead
        folded = text
    folded = _DATE_OR_TIME.sub(lambda m: " " * len(m.group()), folded)
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
