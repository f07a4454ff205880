"""Products named in the text: their types, and the lists that name them (产品包括 A、B和C)."""

from __future__ import annotations

import re

from ..lexicon import COMPANY_WORDS, GENERIC_PRODUCTS, INSURANCE_LINES, PRODUCT_LIST_OPENERS, PRODUCT_TYPE_WORDS
from ..models import ProductType


def is_not_a_product(name: str, text: str) -> bool:
    """A name the model lists as a product that names a kind of offering (普惠小微贷款,
    结构性存款), unless the article sets it off as a name (“…贷款”), or a company or
    platform (居然小贷, P2P平台好车贷)."""
    if name in GENERIC_PRODUCTS or any(word in name for word in ("平台",)) or name.endswith(COMPANY_WORDS):
        return True
    if name in INSURANCE_LINES:
        return True  # 车险, 农险: a line of insurance, not a product
    quoted = any(f"{open_}{name}{close}" in text for open_, close in (("“", "”"), ('"', '"'), ("「", "」")))
    return name.endswith(GENERIC_PRODUCTS) and not quoted


def is_named_as_a_product(name: str, text: str) -> bool:
    """Whether the article names ``name`` as an offering: its name says what it is (…贷,
    花呗, …理财, …宝), or the article sets it off as a name (“微众企业+”). A place, a time
    or a program the model lists (伦敦时间, 中国香港, 沪伦通) is neither."""
    if product_type_from_name(name) is not None or name.endswith(("宝", "通", "付", "卡", "险")):
        return True
    return any(f"{open_}{name}{close}" in text for open_, close in (("“", "”"), ('"', '"'), ("「", "」"), ("《", "》")))


def product_type(name: str, proposed: ProductType) -> ProductType:
    """A product's type: what its name states outright (…车贷, 花呗); else the model's
    type; else, for a name that only ends in 贷, a consumer loan. 贷 alone says a loan,
    not whose: 生猪养殖贷 is a business loan, so the model's reading stands over it."""
    stated = product_type_from_name(name)
    if stated is not None and stated is not ProductType.consumer_loan:
        return stated
    if proposed is ProductType.consumer_loan and stated is None and not _sounds_like_a_loan(name):
        return ProductType.other  # 微众企业+, GDR: nothing in the name lends
    if proposed is not ProductType.other:
        return proposed
    return stated or ProductType.other


# characters Chinese loan products are named with (微粒贷, 借呗, 京东金条, 安逸花, 360借条)
_LOAN_MARKS = "贷借花呗条钱金"


def _sounds_like_a_loan(name: str) -> bool:
    """Whether a product name can be a loan's: a loan character, or a Latin name (Tala)
    that Chinese words cannot judge."""
    return any(c in name for c in _LOAN_MARKS) or (name.isascii() and any(c.islower() for c in name))


def product_type_from_name(name: str) -> ProductType | None:
    """The type a product name states (…车贷, …业贷, 花呗/分付/白条 as the contract lists)."""
    for endings, kind in PRODUCT_TYPE_WORDS:
        if any(name.endswith(e) or (kind is ProductType.revolving_credit and e in name) for e in endings):
            return kind
    return None


# "主要产品包括个人端的微粒贷、微车贷及企业端的微众企业+": a named list of products.
# searched from 产品 (a literal start is found over 10x faster), the opener checked after
_PRODUCT_LIST = re.compile(r"产品(?:包括|包含|涵盖|有)[:：]?")
_LIST_END = re.compile(r"[，,。；;！？!?\n\[]|等")
_LIST_SPLIT = re.compile(r"、|以及|和|及|与|或")
_PARENTHESES = re.compile(r"[（(][^（）()]*[)）]")


def listed_products(text: str) -> list[tuple[str, int, int, int]]:
    """(name, start, end, list start) of each product named in a "产品包括 A、B和C" list,
    a "推出A、B等系列产品" list or as "“A”产品".

    Parenthesised glosses are skipped, "个人端的" style modifiers dropped, quotes
    removed; generic words (贷款, 业务, 理财…) and long phrases are not names."""
    found = _after_product_words(text)
    for match in _LAUNCHED_LIST.finditer(text):
        at = match.start("names")
        for piece in _LIST_SPLIT.split(match["names"]):
            name = piece.strip().strip("“”\"'「」『』")
            at = text.index(piece, at)
            if _is_product_name(name):
                start = text.index(name, at)
                found.append((name, start, start + len(name), match.start()))
            at += len(piece)
    for match in _QUOTED_PRODUCT.finditer(text):
        if _is_product_name(match["name"]):
            found.append((match["name"], match.start("name"), match.end("name"), match.start()))
    return found


# 推出生猪养殖贷、农业供货贷等系列产品; 的“百票贴”产品
_LAUNCHED_LIST = re.compile(r"推出了?(?P<names>[^，,。；;！？!?\n等]{2,60}?)等(?:系列|多款|两款|几款)?产品")
_QUOTED_PRODUCT = re.compile(r"“(?P<name>[^“”，,。]{2,8})”(?:系列)?产品")


def _is_product_name(name: str) -> bool:
    """A listed piece that can be a product's name: short, no digits or spaces, not a
    generic offering (贷款, 业务, 理财 …)."""
    if not 2 <= len(name) <= 8 or any(c.isdigit() for c in name) or " " in name or "的" in name:
        return False
    return not (name.endswith(GENERIC_PRODUCTS) or name in GENERIC_PRODUCTS)


def _after_product_words(text: str) -> list[tuple[str, int, int, int]]:
    found: list[tuple[str, int, int, int]] = []
    for trigger in _PRODUCT_LIST.finditer(text):
        list_start = trigger.start()
        if text[max(0, list_start - 2) : list_start] in PRODUCT_LIST_OPENERS:
            list_start -= 2  # 主要产品包括
        begin = trigger.end()
        rest = _PARENTHESES.sub(lambda m: " " * len(m.group()), text[begin : begin + 120])
        end = _LIST_END.search(rest)
        listed = rest[: end.start() if end else len(rest)]
        at = 0
        for piece in _LIST_SPLIT.split(listed):
            at = listed.index(piece, at)
            offset = begin + at
            at += len(piece)
            name = piece.strip()
            if "的" in name:
                name = name[name.rindex("的") + 1 :]
            name = name.strip().strip("“”\"'「」『』")
            if not _is_product_name(name):
                continue
            start = text.index(name, offset)
            found.append((name, start, start + len(name), list_start))
    return found
