"""Mechanical readings of the text around a figure, used to check the model's labels.

Chinese financial writing names the metric right before its figure (不良贷款率由…升至
1.57%) and the subject before that; a 1.5B model often mislabels both. These rules
read what is written instead, and the model's label is kept only when they are silent.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from .grounding import SENTENCE_STOPS, sentence_start
from .models import ActionKind, InstitutionType, MetricKind, ProductType
from .numbers import find_figures

# Ordered: the first keyword of a group that ends nearest to the figure wins.
_KEYWORDS: tuple[tuple[str, MetricKind], ...] = (
    ("不良贷款率", MetricKind.npl_ratio),
    ("不良率", MetricKind.npl_ratio),
    ("拨备覆盖率", MetricKind.provision_coverage_ratio),
    ("资本充足率", MetricKind.capital_adequacy_ratio),
    ("坏账率", MetricKind.bad_debt_ratio),
    ("毛利率", MetricKind.gross_margin),
    ("市场份额", MetricKind.market_share),
    ("市占率", MetricKind.market_share),
    ("IT投入占", MetricKind.it_spending_ratio),
    ("科技投入占", MetricKind.it_spending_ratio),
    ("年利率", MetricKind.interest_rate),
    ("日利率", MetricKind.interest_rate),
    ("年化利率", MetricKind.interest_rate),
    ("利率", MetricKind.interest_rate),
    ("注册资本", MetricKind.registered_capital),
    ("增资", MetricKind.capital_increase),
    ("总资产", MetricKind.total_assets),
    ("资产规模", MetricKind.total_assets),
    ("贷款余额", MetricKind.loan_balance),
    ("余额", MetricKind.loan_balance),
    ("发放贷款", MetricKind.loan_volume),
    ("放贷", MetricKind.loan_volume),
    ("放款", MetricKind.loan_volume),
    ("净利润", MetricKind.net_profit),
    ("净赚", MetricKind.net_profit),
    ("净利", MetricKind.net_profit),
    ("净亏损", MetricKind.net_loss),
    ("亏损", MetricKind.net_loss),
    ("营业收入", MetricKind.revenue),
    ("营收", MetricKind.revenue),
    ("收入", MetricKind.revenue),
    ("罚单", MetricKind.fine_amount),
    ("罚款", MetricKind.fine_amount),
    ("罚没", MetricKind.fine_amount),
    ("投诉", MetricKind.complaint_count),
    ("额度", MetricKind.credit_limit),
    ("客户", MetricKind.customer_count),
    ("用户", MetricKind.user_count),
    ("月活", MetricKind.user_count),
)
_MONEY_UNITS = {"CNY", "USD", "HKD", "INR", "EUR", "JPY", "GBP"}
RATIO_METRICS = {
    MetricKind.npl_ratio,
    MetricKind.provision_coverage_ratio,
    MetricKind.capital_adequacy_ratio,
    MetricKind.bad_debt_ratio,
    MetricKind.gross_margin,
    MetricKind.market_share,
    MetricKind.it_spending_ratio,
    MetricKind.interest_rate,
}
MONEY_METRICS = {
    MetricKind.revenue,
    MetricKind.net_profit,
    MetricKind.net_loss,
    MetricKind.registered_capital,
    MetricKind.capital_increase,
    MetricKind.total_assets,
    MetricKind.loan_balance,
    MetricKind.loan_volume,
    MetricKind.fine_amount,
    MetricKind.credit_limit,
}
COUNT_METRICS = {MetricKind.customer_count, MetricKind.user_count, MetricKind.complaint_count}
# Stocks and ratios sit at a point in time; flows cover a span.
POINT_METRICS = {
    MetricKind.npl_ratio,
    MetricKind.provision_coverage_ratio,
    MetricKind.capital_adequacy_ratio,
    MetricKind.registered_capital,
    MetricKind.total_assets,
    MetricKind.loan_balance,
    MetricKind.bad_debt_ratio,
}


def unit_fits(metric: MetricKind, unit: str | None) -> bool:
    """Whether a figure's unit can carry this metric (1.57% is no customer count)."""
    if metric in RATIO_METRICS:
        return unit in ("%", "pp", "bp")
    if metric in MONEY_METRICS:
        return unit is None or unit in _MONEY_UNITS
    if metric in COUNT_METRICS:
        return unit is None or unit not in _MONEY_UNITS | {"%", "pp", "bp", "times"}
    return True


# Counted things written right after the figure: 服务超千万用户.
_AFTER: dict[str, MetricKind] = {
    "借款客户": MetricKind.customer_count,
    "企业客户": MetricKind.customer_count,
    "客户": MetricKind.customer_count,
    "用户": MetricKind.user_count,
    "投诉": MetricKind.complaint_count,
}
_AFTER_WORD = re.compile(rf"\s*({'|'.join(_AFTER)})")  # no word is the start of another
# Written a word or two after the figure: 超1300万元巨额罚单.
_AFTER_NEAR: tuple[tuple[str, MetricKind], ...] = (
    ("罚单", MetricKind.fine_amount),
    ("罚款", MetricKind.fine_amount),
)


@lru_cache(maxsize=64)
def _ranks_fitting(unit: str | None) -> frozenset[int]:
    return frozenset(rank for rank, (_, metric) in enumerate(_KEYWORDS) if unit_fits(metric, unit))


@lru_cache(maxsize=8)
def _keyword_hits(text: str) -> list[tuple[int, int, int]]:
    """Every occurrence of every metric keyword in ``text``: (start, end, rank), by start.

    Built once per article, so each of its figures looks only at the few hits in its
    own sentence instead of searching for every keyword again. One regex search per
    position where a keyword starts (the longest there; the keywords it begins with are
    known), not one scan of the text per keyword.
    """
    hits = []
    search = _ANY_KEYWORD.search
    found = search(text)
    while found is not None:
        at = found.start()
        for keyword, rank in _STARTING[found.group()]:
            hits.append((at, at + len(keyword), rank))
        found = search(text, at + 1)
    hits.sort()
    return hits


_RANK = {keyword: rank for rank, (keyword, _) in enumerate(_KEYWORDS)}
# longest first, so that a search reports the longest keyword that starts where it stops
_ANY_KEYWORD = re.compile("|".join(re.escape(k) for k in sorted(_RANK, key=len, reverse=True)))
# a keyword → every keyword it starts with (itself included): 净利润 → 净利润, 净利
_STARTING = {
    longer: [(keyword, rank) for keyword, rank in _RANK.items() if longer.startswith(keyword)] for longer in _RANK
}


def metric_from_context(
    text: str, start: int, end: int, unit: str | None, *, figures: Sequence[tuple[int, int]] | None = None
) -> tuple[MetricKind, str] | None:
    """The metric that the words around a figure name, if they name one that fits.

    ``figures`` are the (start, end) spans of all figures in ``text``, sorted, when the
    caller has them already; otherwise the figures before this one are found again.
    """
    word_after = _AFTER_WORD.match(text, end, end + 6)
    if word_after is not None:
        word = word_after[1]
        if unit_fits(_AFTER[word], unit):
            return _AFTER[word], word
    after = text[end : end + 6]
    for word, metric in _AFTER_NEAR:
        if word in after and unit_fits(metric, unit):
            return metric, word
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
            keyword, metric = _KEYWORDS[-best[1]]
            return metric, keyword
    return None


def nearest_name(text: str, start: int, names: Iterable[str]) -> str | None:
    """Who a figure is about: the first entity named in its clause (split at commas),
    else the first in its sentence; an owner before 旗下 gives way to what it owns."""
    sentence_lo = sentence_start(text, start, window=120)
    clause_lo = sentence_lo
    for mark in ",，;；":
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
    mentions = in_clause or in_sentence
    return min(mentions)[2] if mentions else None


def _first_mention(text: str, name: str, lo: int, hi: int) -> int:
    """Where ``name`` first stands in ``text[lo:hi]``, not as an owner before 旗下; or -1."""
    at = text.find(name, lo, hi)
    while at >= 0 and text.startswith("旗下", at + len(name), hi):
        at = text.find(name, at + 1, hi)
    return at


_NAME_STOPS = " ,，。;；:：、()（）[]【】“”\"'-—"


def metric_name_near(text: str, start: int, end: int) -> str:
    """What a figure counts when no keyword names it: the words right after it
    (12.3万人次在线观看 → 在线观看), else the words right before it."""
    after = []
    for char in text[end : end + 8]:
        if char in _NAME_STOPS or char.isdigit():
            break
        after.append(char)
    if len(after) >= 2:
        return "".join(after)
    before = []
    for char in reversed(text[max(0, start - 8) : start]):
        if char in _NAME_STOPS or char.isdigit():
            break
        before.append(char)
    return "".join(reversed(before))


# China's licensed private internet banks (民营互联网银行): a closed, public list.
_INTERNET_BANKS = (
    "微众银行",
    "网商银行",
    "新网银行",
    "百信银行",
    "苏宁银行",
    "众邦银行",
    "亿联银行",
    "中关村银行",
    "WeBank",
    "MYbank",
)
_TYPE_SUFFIXES: tuple[tuple[tuple[str, ...], InstitutionType], ...] = (
    (("人民银行", "央行", "中央银行", "Reserve Bank", "储备银行"), InstitutionType.central_bank),
    (
        ("金融监督管理总局", "金融监管总局", "银保监会", "银监会", "证监会", "监管局", "金融监督管理局", "金融办"),
        InstitutionType.regulator,
    ),
    (("法院",), InstitutionType.court),
    (("律师事务所", "律所"), InstitutionType.law_firm),
    (("消费金融", "消金"), InstitutionType.consumer_finance_company),
    (("小贷", "小额贷款"), InstitutionType.microlender),
    (("银行", "Bank"), InstitutionType.bank),
)


def institution_type_from_name(name: str) -> InstitutionType | None:
    """The type a name states outright (…银行, …小贷, …法院); None when it does not."""
    if any(bank in name for bank in _INTERNET_BANKS):
        return InstitutionType.internet_bank
    for endings, kind in _TYPE_SUFFIXES:
        if any(
            name.endswith(e) or (e in name and kind in (InstitutionType.central_bank, InstitutionType.regulator))
            for e in endings
        ):
            return kind
    return None


_PLACES = (
    ("印度尼西亚", "ID"),
    ("印尼", "ID"),
    ("印度", "IN"),
    ("美国", "US"),
    ("香港", "HK"),
    ("日本", "JP"),
    ("英国", "GB"),
    ("新加坡", "SG"),
    ("马来西亚", "MY"),
    ("泰国", "TH"),
    ("韩国", "KR"),
    ("德国", "DE"),
)


def country_from_name(name: str) -> str | None:
    """A place the name starts with (印度央行 → IN); a plain Chinese name is CN."""
    for place, code in _PLACES:
        if name.startswith(place):
            return code
    if name and all("\u4e00" <= c <= "\u9fff" for c in name):
        return "CN"
    return None


_BANK_MENTION = re.compile(
    r"(?:(?<=[\s,，、。；;：:“\"（(【])|(?<=旗下)|^)([\u4e00-\u9fff]{2,4}?(?:银行|小贷|消费金融))"
)
_BANK_SUFFIX = re.compile(r"银行|小贷|消费金融")
_GENERIC_PREFIXES = (
    "民营",
    "互联网",
    "数字",
    "商业",
    "国有",
    "城商",
    "农商",
    "外资",
    "中资",
    "大型",
    "中小",
    "股份",
    "地方",
    "村镇",
    "合作",
    "该",
    "传统",
    "各",
    "多家",
    "其他",
    "正规",
    "网络",
    "全国",
    "头部",
    "首家",
    "这家",
    "一家",
    # function words: "作为银行产品", "属于银行" are no names
    "作为",
    "属于",
    "成为",
    "通过",
    "对于",
    "关于",
    "来自",
    "包括",
    "例如",
    "比如",
    "除了",
    "是",
    "在",
    "由",
    "向",
    "被",
    "对",
    "从",
    "为",
    "与",
    "和",
    "及",
    "或",
)


def institution_mentions(text: str) -> list[tuple[str, int, int]]:
    """Bank, microlender and consumer-finance names standing as words (兴业银行、网商银行):
    (name, start, end) of each first mention, generic phrases (民营银行) left out."""
    found: dict[str, tuple[str, int, int]] = {}
    for match in _bank_mentions(text):
        name = match.group(1)
        if name.startswith(_GENERIC_PREFIXES) or name in found:
            continue
        found[name] = (name, match.start(1), match.end(1))
    return list(found.values())


def _bank_mentions(text: str) -> Iterator[re.Match[str]]:
    """``_BANK_MENTION.finditer(text)``, trying the pattern only where it can match: 2 to 4
    characters before a 银行/小贷/消费金融 (2.4x faster than trying every position)."""
    starts = sorted(
        {at for suffix in _BANK_SUFFIX.finditer(text) for at in range(suffix.start() - 4, suffix.start() - 1)}
    )
    taken = 0  # where the last mention ended: matches do not overlap, as with finditer
    for at in starts:
        if at >= taken:
            match = _BANK_MENTION.match(text, at)
            if match is not None:
                taken = match.end()
                yield match


# A sentence that states a regulatory act, by its wording; the first kind that matches wins.
_ACTS: tuple[tuple[ActionKind, tuple[str, ...], tuple[str, ...]], ...] = (
    (ActionKind.fine, ("罚单", "罚款", "罚没", "行政处罚"), ()),
    (ActionKind.license_revocation, ("吊销",), ()),
    (ActionKind.approval, ("批复", "获批", "批准"), ()),
    (ActionKind.rule_effective, ("新规", "办法", "规定", "条例"), ("落地", "施行", "实施", "生效")),
    (ActionKind.new_rule, ("新规", "新政", "办法", "规定", "通知", "指引"), ("出台", "发布", "印发", "推出")),
    (ActionKind.rectification_order, ("责令整改", "整改通知"), ()),
    (ActionKind.investigation, ("立案调查", "立案"), ()),
)
_REASON = re.compile(r"(?:直指|涉及|涉嫌|违反|因)([^，,。；;\s]{2,40})")


def regulatory_act(sentence: str) -> ActionKind | None:
    """The act a sentence reports (罚单 → fine, 新规…落地 → rule_effective), if any."""
    for kind, words, also in _ACTS:
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


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (or digest bullet) spans, for rules that read one statement at a time."""
    spans, start = [], 0
    for match in re.finditer(f"[{SENTENCE_STOPS}]| - ", text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


_PRODUCT_TYPES: tuple[tuple[tuple[str, ...], ProductType], ...] = (
    (("花呗", "分付", "白条", "信用付", "月付"), ProductType.revolving_credit),
    (("车贷",), ProductType.car_loan),
    (("企业贷", "业贷", "商贷", "经营贷", "税贷", "贸贷", "科创贷"), ProductType.sme_loan),
    (("分期",), ProductType.installment),
    (("理财", "基金"), ProductType.wealth_management),
    (("存款", "定期"), ProductType.deposit),
    (("贷",), ProductType.consumer_loan),
)


def product_type_from_name(name: str) -> ProductType | None:
    """The type a product name states (…车贷, …业贷, 花呗/分付/白条 as the contract lists)."""
    for endings, kind in _PRODUCT_TYPES:
        if any(name.endswith(e) or (kind is ProductType.revolving_credit and e in name) for e in endings):
            return kind
    return None


# "主要产品包括个人端的微粒贷、微车贷及企业端的微众企业+": a named list of products.
# searched from 产品 (a literal start is found over 10x faster), the opener checked after
_PRODUCT_LIST = re.compile(r"产品(?:包括|包含|涵盖|有)[:：]?")
_LIST_OPENERS = ("主要", "核心", "旗下")
_LIST_END = re.compile(r"[，,。；;！？!?\n\[]|等")
_LIST_SPLIT = re.compile(r"、|以及|和|及|与|或")
_PARENTHESES = re.compile(r"[（(][^（）()]*[)）]")
_GENERIC_PRODUCTS = ("业务", "服务", "产品", "贷款", "信用卡", "存款", "理财", "保险", "基金", "平台", "功能")


def listed_products(text: str) -> list[tuple[str, int, int, int]]:
    """(name, start, end, list start) of each product named in a "产品包括 A、B和C" list.

    Parenthesised glosses are skipped, "个人端的" style modifiers dropped, quotes
    removed; generic words (贷款, 业务, 理财…) and long phrases are not names."""
    found: list[tuple[str, int, int, int]] = []
    for trigger in _PRODUCT_LIST.finditer(text):
        list_start = trigger.start()
        if text[max(0, list_start - 2) : list_start] in _LIST_OPENERS:
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
            if not 2 <= len(name) <= 8 or any(c.isdigit() for c in name) or " " in name:
                continue
            if name.endswith(_GENERIC_PRODUCTS) or name in _GENERIC_PRODUCTS:
                continue
            start = text.index(name, offset)
            found.append((name, start, start + len(name), list_start))
    return found
