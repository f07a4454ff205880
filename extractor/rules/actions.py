"""Regulatory acts read from a sentence's wording (罚单 → fine, 新规…落地 → rule_effective,
fined → fine, rules … take effect → rule_effective)."""

from __future__ import annotations

import re

from ..lexicon import ACT_WORDING, BACKGROUND_APPROVALS, REGULATORY_WORDS
from ..models import ActionKind

_REASON = re.compile(r"(?:直指|涉及|涉嫌|违反|因)([^，,。；;\s]{2,40})")
# fined … for violating …; a penalty for non-compliance with …; over AML failings
_REASON_EN = re.compile(
    r"\bfor (?:serious |certain |alleged |repeated )?(?:violating|violations? of|breaching|breach(?:es)? of"
    r"|failing to|failures? (?:in|to)|non-compliance with|contravention of|deficiencies in|weaknesses in"
    r"|lapses in|shortcomings in)\s+([^,.;:()]{3,120})",
    re.IGNORECASE,
)


def names_regulation(clause: str) -> bool:
    """Whether a clause uses any regulatory word at all (a model's action needs one)."""
    lowered = clause.lower()
    return any(word in lowered for word in REGULATORY_WORDS)


_CHINESE_WORDING = tuple(row for row in ACT_WORDING if not row[1][0].isascii())
_LATIN = re.compile("[A-Za-z]")


def is_background_approval(sentence: str) -> bool:
    """Whether a sentence's approval is how an institution came to be (经中国银监会批准设立的
    消费金融公司), not an act the article reports."""
    if "经" not in sentence or "批准" not in sentence:
        return False
    return any(word in sentence for word in BACKGROUND_APPROVALS)


def regulatory_act(sentence: str) -> ActionKind | None:
    """The act a sentence reports (罚单 → fine, 新规…落地 → rule_effective), if any."""
    if not _LATIN.search(sentence):  # no English word to find: the Chinese rows alone
        rows, lowered = _CHINESE_WORDING, sentence
    else:
        rows, lowered = ACT_WORDING, sentence.lower()
    for kind, words, also in rows:
        if any(w in lowered for w in words) and (not also or any(a in lowered for a in also)):
            return kind
    return None


def reasons_in(sentence: str) -> list[str]:
    """Grounds a sentence cites: 直指账户管理、反洗钱等核心合规底线 → [账户管理, 反洗钱];
    fined for failing to monitor transactions and breaches of AML rules → [monitor
    transactions, breaches of AML rules]."""
    match = _REASON.search(sentence)
    if match:
        phrase = re.split(r"等|的|被|收到|而", match.group(1))[0]
        return [part for part in re.split(r"[、和及与]", phrase) if len(part) >= 2]
    english = _REASON_EN.search(sentence)
    if not english:
        return []
    phrase = re.split(r"\b(?:which|that|after|between|from|since|when)\b", english.group(1))[0]
    return [part.strip() for part in re.split(r"[,;]", phrase) if len(part.strip()) >= 3]
