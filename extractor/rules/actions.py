"""Regulatory acts read from a sentence's wording (罚单 → fine, 新规…落地 → rule_effective)."""

from __future__ import annotations

import re

from ..lexicon import ACT_WORDING, REGULATORY_WORDS
from ..models import ActionKind

_REASON = re.compile(r"(?:直指|涉及|涉嫌|违反|因)([^，,。；;\s]{2,40})")


def names_regulation(clause: str) -> bool:
    """Whether a clause uses any regulatory word at all (a model's action needs one)."""
    return any(word in clause for word in REGULATORY_WORDS)


def regulatory_act(sentence: str) -> ActionKind | None:
    """The act a sentence reports (罚单 → fine, 新规…落地 → rule_effective), if any."""
    for kind, words, also in ACT_WORDING:
        if any(w in sentence for w in words) and (not also or any(a in sentence for a in also)):
            return kind
    return None


def reasons_in(sentence: str) -> list[str]:
    """Grounds a sentence cites: 直指账户管理、反洗钱等核心合规底线 → [账户管理, 反洗钱]."""
    match = _REASON.search(sentence)
    if not match:
        return []
    phrase = re.split(r"等|的|被|收到|而", match.group(1))[0]
    return [part for part in re.split(r"[、和及与]", phrase) if len(part) >= 2]
