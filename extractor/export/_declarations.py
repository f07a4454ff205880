"""What an article's own words say about its names.

Three patterns, each tied to a name the article's facts (or the seed table) already
use, so that a stray bracket never invents an institution:

* ``深圳前海微众银行股份有限公司（以下简称“微众银行”）``: a declared short name;
* ``奇富科技(原360数科)``: a former name;
* ``字节跳动旗下中融小贷`` and ``花呗是重庆蚂蚁消费金融有限公司旗下的消费信贷产品``: an
  owner (or a product's provider).

Each finding keeps the span of text it was read from, in code points of the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_OPEN = "（("
_DECLARED = re.compile(
    r"[（(]\s*(?:以下|下文|下面)?(?:简称|簡稱|下称|下稱|合称|統稱|统称)(?:为|為)?[：:]?\s*"
    r"[“\"「『‘']([^”\"」』’'）)]{1,24})[”\"」』’']\s*(?:[或、及和]\s*[“\"「『‘']([^”\"」』’'）)]{1,24})[”\"」』’']\s*)?[）)]"
)
_FORMER = re.compile(
    r"[（(]\s*(?:原名|原称|原稱|曾用名|前身为|前身為|前身是|原(?!标题|標題|文|因|价|價|计划|定|本|告|有|来|來))[：:为為]?\s*"
    r"[“\"「]?([^）)“”\"「」，,、。；;]{2,30}?)[”\"」]?\s*[）)]"
)
_QIXIA = "旗下"
# between 旗下 and the first owned name: a few words (核心信贷产品, 主要产品包括“); between
# owned names: list marks only
_GAP_BEFORE_FIRST = re.compile(r"的?[\u4e00-\u9fff“「『\"]{0,10}")
_GAP_IN_LIST = re.compile(r"[”」』\"]?\s*[、和及与,，]?\s*[“「『\"]?")
_CLAUSE_END = re.compile(r"[，,。；;！!？?\n]")
_FULL_NAME_TAIL = re.compile(r"(?:银行|銀行|公司|集团|集團|局|委员会|委員會|中心|所|社|会|會|院|行|厅|廳|部|署|办|辦)$")
_BEFORE_NAME = re.compile(r"[^\s，,。；;：:、！!？?（()）\[\]【】“”\"]+$")
_LEADING_WORDS = ("据", "由", "和", "与", "及", "是", "对", "向", "在", "被", "将", "为", "系", "经", "从", "其中")


@dataclass(frozen=True)
class Finding:
    """``short`` and ``full`` name one institution (declared, former), or ``owner`` owns ``owned``."""

    rule: str  # declared_alias | former_name | qixia
    first: str  # the short / former name, or the owned institution or product
    second: str  # the full / current name, or the owner
    start: int  # the span the finding was read from
    end: int


def _name_ending_at(text: str, at: int, names: Iterable[str]) -> str | None:
    """The longest of ``names`` written right before ``at``."""
    best: str | None = None
    for name in names:
        if name and (best is None or len(name) > len(best)) and text.endswith(name, 0, at):
            best = name
    return best


def _full_name_before(text: str, at: int, names: Iterable[str]) -> str | None:
    """The name before a ``（以下简称…）``: a known name, else the run of text before it
    when it reads as an organisation's full name (ends in 银行, 公司, 局 …)."""
    known = _name_ending_at(text, at, names)
    if known is not None:
        return known
    run = _BEFORE_NAME.search(text, max(0, at - 40), at)
    if run is None:
        return None
    candidate = run.group(0)
    for word in _LEADING_WORDS:
        if candidate.startswith(word) and len(candidate) > len(word) + 2:
            candidate = candidate[len(word) :]
            break
    return candidate if 3 <= len(candidate) <= 40 and _FULL_NAME_TAIL.search(candidate) else None


def declarations(text: str, names: list[str], owners: list[str]) -> list[Finding]:
    """Every finding in ``text``. ``names``: the article's own names (institutions,
    products, subjects …); ``owners``: those plus the seed table's names."""
    found: list[Finding] = []
    if "称" in text or "稱" in text:
        for match in _DECLARED.finditer(text):
            full = _full_name_before(text, match.start(), owners)
            if full is None:
                continue
            for short in (match.group(1), match.group(2)):
                if short and short.strip() and short.strip() != full:
                    found.append(Finding("declared_alias", short.strip(), full, match.start() - len(full), match.end()))
    if "原" in text or "前身" in text or "曾用名" in text:
        for match in _FORMER.finditer(text):
            current = _name_ending_at(text, match.start(), owners)
            former = match.group(1).strip()
            if current is not None and former and former != current:
                found.append(Finding("former_name", former, current, match.start() - len(current), match.end()))
    at = text.find(_QIXIA)
    while at >= 0:
        found.extend(_qixia(text, at, names, owners))
        at = text.find(_QIXIA, at + len(_QIXIA))
    return found


def _qixia(text: str, at: int, names: list[str], owners: list[str]) -> list[Finding]:
    """``X旗下Y`` (Y: the article's names in the clause after 旗下) and ``Y是X旗下的…``."""
    owner = _name_ending_at(text, at, owners)
    if owner is None:
        return []
    start = at - len(owner)
    after = at + len(_QIXIA)
    clause_end = _CLAUSE_END.search(text, after)
    stop = min(clause_end.start() if clause_end else len(text), after + 40)
    window = text[after:stop]
    found = []
    cursor, gap_rule = 0, _GAP_BEFORE_FIRST
    while True:
        hits = [(window.find(name, cursor), -len(name), name) for name in names if name != owner and name not in owner]
        hits = [hit for hit in hits if hit[0] >= 0]
        if not hits:
            break
        hit, _, name = min(hits)
        if not gap_rule.fullmatch(window[cursor:hit]):
            break
        found.append(Finding("qixia", name, owner, start, after + hit + len(name)))
        cursor, gap_rule = hit + len(name), _GAP_IN_LIST
    if not found and text.startswith("的", after):
        # 花呗是重庆蚂蚁消费金融有限公司旗下的…: the owned name stands before 是/为
        for verb in ("是", "为", "係", "系"):
            if text.endswith(verb, 0, start):
                end = start - len(verb)
                if end > 0 and text[end - 1] in "”」』\"'":
                    end -= 1
                owned = _name_ending_at(text, end, names)
                if owned is not None and owned != owner:
                    found.append(Finding("qixia", owned, owner, end - len(owned), after))
                break
    return found
