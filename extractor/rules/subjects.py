"""Who a figure is about, from the words around it: the checks that keep a figure off the
wrong subject before the model's guess is used.

Chinese leaves a carried subject unwritten (报告显示，百信银行上半年总资产…；其中营业净收入
13.18亿元), refers back with 该行 or 公司, and writes sector figures with no institution at
all (行业平均不良率, 国内…小贷公司共有12家, 在印度的坏账率). These functions read such words;
``EntityIndex.subject_at`` in ``extractor.normalise`` puts them in order.
"""

from __future__ import annotations

import re

from ..chars import fold
from ..lexicon import GENERIC_INSTITUTIONS, GROUP_WORDS, NOT_IN_NAMES, PLACES, SELF_WORDS
from .institutions import is_generic_name

# what stands before a clause's first word
OPENING_MARKS = ",，;；。！？!?：:\n\u3000"
# digests and corpora break paragraphs with runs of spaces
PARAGRAPH_BREAKS = ("\n", "   ", "\u3000")
# words that refer back to the article's subject when they open a clause (公司不良率…)
SELF_OPENINGS = ("公司", "集团", "平台", "该")
# Words that open a sentence continuing the one before, whose subject it leaves unwritten.
_CONTINUATIONS = ("其中", "其", "同时", "此外", "另外", "并", "且", "而", "也", "还", "实现", "较")
_CHINESE_PLACES = tuple(place for place, _ in PLACES if not place.isascii())
# X旗下Y: Y, a name the entity pass left out (百度旗下度小满2024年净利润8.59亿: 度小满)
_OWNED = re.compile(
    r"旗下的?([\u4e00-\u9fffA-Za-z]{2,8}?)(?=\d|[“”\"（(，,]|年|的|净|营|总|注册|贷款|不良|用户|客户|$)"
)


def speaks_of_a_group(words: str) -> bool:
    """Whether the words before a figure speak of a group, market or place (行业, 国内, 印度)."""
    lowered = words.lower()
    return any(word in lowered for word in GROUP_WORDS) or any(place in words for place in _CHINESE_PLACES)


def is_group_name(name: str) -> bool:
    """A subject that names a kind of institution or a group (上市银行, 中国网贷公司, 行业)."""
    return name not in SELF_WORDS and (
        is_generic_name(name)
        or fold(name) in GENERIC_INSTITUTIONS
        or name.endswith(tuple(w for w in GROUP_WORDS if len(w) >= 2))  # 中国银行业, 上市银行
    )


def continues(text: str, sentence_lo: int) -> bool:
    """Whether the sentence at ``sentence_lo`` carries on the one before: it follows a
    semicolon (Chinese lists a subject's figures so) or opens with 其中, 同时 …"""
    head = text[max(0, sentence_lo - 3) : sentence_lo].rstrip()
    if head.endswith(("；", ";")):
        return True
    return text[sentence_lo : sentence_lo + 12].lstrip().startswith(_CONTINUATIONS)


def owned_after(before: str) -> str | None:
    """The entity an owner's 旗下 names in the words before a figure (百度旗下度小满…:
    度小满); None when there is none or it is a phrase."""
    found = list(_OWNED.finditer(before))
    if not found:
        return None
    name = found[-1].group(1)
    return None if is_group_name(name) or any(c in NOT_IN_NAMES for c in name) else name
