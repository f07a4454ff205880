"""Drafts to contract facts: ground every quote, compute every number and date.

Nothing here asks a model. ``normalise(article, drafts)`` is the one entry point; its
steps are plain functions that take what they need as arguments, in the only order
that can work:

    text         = ArticleText(article)                            # folded once, grounder, warnings
    institutions = ground_institutions(text, drafts.institutions)
    entities     = EntityIndex.of_institutions(institutions, article.title)
    products     = ground_products(text, drafts.products, entities)
    entities     = entities.with_products(products)                # products can be subjects too
    metrics      = ground_metrics(text, drafts.labels, drafts.candidates, entities)
    actions      = ground_actions(text, drafts.actions, entities)
    actions     += rule_actions(text, actions, entities)                # acts the wording states
    actions      = with_parties(text, actions)                     # who acts or who is acted on

A draft whose quote cannot be found, or whose subject the article never names, is
dropped and named in ``warnings``; so is an action that names no party.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._exceptions import FigureError
from .chars import count_cjk, fold
from .drafts import ActionDraft, ArticleDrafts, InstitutionDraft, MetricLabel, ProductDraft
from .grounding import Grounder
from .lexicon import (
    AUTHORITY_SHORT_NAMES,
    CHANGE_WORDS,
    GENERIC_INSTITUTIONS,
    HOLDING_WORDS,
    METRIC_KEYWORDS,
    MONEY_METRICS,
    MONEY_UNITS,
    NOT_IN_NAMES,
    POINT_METRICS,
    PRODUCT_SELF_WORDS,
    RATIO_METRICS,
    REGULATOR_WORDS,
    REPORTING_WORDS,
    SELF_WORDS,
    SELF_WORDS_ENGLISH,
    SHORT_BANK_NAMES,
    UNKNOWN_CURRENCY,
)
from .models import (
    ActionKind,
    Article,
    Evidence,
    FinancialMetric,
    Institution,
    InstitutionType,
    MetricKind,
    Product,
    ProductType,
    Qualifier,
    RegulatoryAction,
)
from .numbers import Candidate, find_figures, parse_figure, yen_currency
from .periods import (
    Period,
    first_period,
    parse_date,
    parse_period,
    period_after,
    period_carried,
    year_in_series,
)
from .prompting import strip_marks
from .rules import (
    OPENING_MARKS,
    PARAGRAPH_BREAKS,
    SELF_OPENINGS,
    across_a_clause,
    change_between,
    checked_type,
    clause_names_its_own,
    continues,
    country_from_name,
    declared_names,
    find_interrupted,
    institution_mentions,
    institution_type_from_name,
    is_a_rules_bound,
    is_a_sector,
    is_aspiration,
    is_background_approval,
    is_generic_name,
    is_group_name,
    is_named_as_a_product,
    is_not_a_product,
    listed_products,
    metric_from_context,
    metric_name_near,
    name_stands_here,
    names_a_change,
    names_regulation,
    nearest_name,
    operators,
    owned_after,
    parenthesised_alias,
    product_type,
    product_type_from_name,
    reasons_in,
    regulatory_act,
    speaks_of_a_group,
    type_from_context,
    without_category,
    without_names,
    without_quotes,
)
from .segmentation import sentence_end, sentence_start, sentences


@dataclass
class NormalisedFacts:
    """The facts of one article, ready for ``ArticleFacts`` (which adds article and meta)."""

    institutions: list[Institution]
    metrics: list[FinancialMetric]
    regulatory_actions: list[RegulatoryAction]
    products: list[Product]
    warnings: list[str]


def normalise(article: Article, drafts: ArticleDrafts) -> NormalisedFacts:
    """Everything the model said about one article, grounded and computed."""
    text = ArticleText(article)
    institutions = ground_institutions(text, drafts.institutions)
    entities = EntityIndex.of_institutions(institutions, article.title)
    products = ground_products(text, drafts.products, entities)
    entities = entities.with_products(products)
    named_products = {p.name for p in products}  # 微粒贷 listed as both: it is a product
    institutions = [i for i in institutions if i.name not in named_products]
    metrics = ground_metrics(text, drafts.labels, drafts.candidates, entities)
    institutions += subjects_not_listed(text, metrics, entities)
    for product in products:
        fill_product_terms(product, metrics, article.text, main_product=len(products) == 1)
    actions = ground_actions(text, drafts.actions, entities)
    actions += rule_actions(text, actions, entities)
    actions = with_parties(text, one_per_act(actions))
    return NormalisedFacts(institutions, metrics, actions, products, text.warnings)


# what the name of an organisation the entity pass left out ends with
_ORGANISATION_ENDINGS = ("公司", "集团", "控股", "金融", "金服", "科技", "银行", "小贷", "基金会", "协会", "平台")


def _refers_back(words: str) -> bool:
    """Whether words refer back to the article's subject: 该行, 本公司 anywhere, or 公司,
    集团, 平台 opening a clause (not inside 网络借贷中介公司)."""
    if any(word in words for word in SELF_WORDS if word.startswith(("该", "本"))):
        return True
    return any(clause.strip().startswith(SELF_OPENINGS) for clause in re.split(r"[，,；;：:。！？]", words))


def subjects_not_listed(text: ArticleText, metrics: list[FinancialMetric], entities: EntityIndex) -> list[Institution]:
    """The institutions that metrics are about and the entity pass left out (the model
    named 度小满 as a figure's subject, in its sentence): every subject is an entity."""
    added: dict[str, Institution] = {}
    for metric in metrics:
        name = metric.subject
        if _key(name) in entities.names or name in added:
            continue
        evidence = metric.evidence[0] if metric.evidence else text.entity_evidence("institution", name)
        if evidence is None:
            continue
        added[name] = Institution(
            name=name,
            type=institution_type_from_name(name) or InstitutionType.other,
            country=country_from_name(name),
            evidence=[evidence],
        )
    return list(added.values())


def one_per_act(actions: list[RegulatoryAction]) -> list[RegulatoryAction]:
    """Each act once: the same act on the same target (or, on none, told in the same
    words) that the article reports in several places is one fact with each place as
    evidence, and the regulator it names where one place names it (not only 监管)."""
    kept: dict[tuple[object, ...], RegulatoryAction] = {}
    for action in actions:
        named = action.regulator is not None and action.regulator not in REGULATOR_WORDS
        who: object = action.target or (action.regulator if named else (action.regulator, action.summary))
        key: tuple[object, ...] = (who, action.action, action.date)
        same = kept.get(key)
        if same is not None and not _same_actor(same.regulator, action.regulator):
            key = (*key, action.regulator)  # two regulators' acts on one target (CSRC and FCA approvals)
            same = kept.get(key)
        if same is None:
            kept[key] = action
            continue
        same.evidence += [e for e in action.evidence if all(e.start != k.start for k in same.evidence)]
        if action.regulator and (same.regulator is None or same.regulator in REGULATOR_WORDS):
            same.regulator = action.regulator
        if same.amount is None:
            same.amount, same.currency = action.amount, action.currency
        same.reasons += [r for r in action.reasons if r not in same.reasons]
    return list(kept.values())


def _same_actor(one: str | None, other: str | None) -> bool:
    """Whether two actions' regulators can be one: the same, or one is the article's
    general word (监管)."""
    return one == other or any(r is not None and r in REGULATOR_WORDS for r in (one, other))


def _regulates(institution: Institution) -> bool:
    """Whether an institution acts on others: regulators, central banks, and the
    self-regulatory associations (中国互联网金融协会) that warn their members."""
    if institution.type in (InstitutionType.regulator, InstitutionType.central_bank):
        return True
    return institution.type is InstitutionType.other and institution.name.endswith("协会")


def with_parties(text: ArticleText, actions: list[RegulatoryAction]) -> list[RegulatoryAction]:
    """The actions that name who acts or who is acted on: one that names neither tells a
    reader nothing they could follow up (a sentence's 罚款 in general)."""
    kept = []
    for action in actions:
        if action.regulator or action.target:
            kept.append(action)
        else:
            text.warnings.append(f"regulatory action dropped, it names no regulator and no target: {action.summary!r}")
    return kept


def _key(name: str) -> str:
    return fold(name).replace(" ", "")


def _first_named_after(text: str, position: int, names: Iterable[str]) -> str | None:
    """The entity named first after ``position`` in its sentence: a penalty of Rs 1 crore on
    the State Bank of India."""
    end = sentence_end(text, position)
    found = [(at, -len(name), name) for name in names if name and (at := text.find(name, position, end)) >= 0]
    return min(found)[2] if found else None


class ArticleText:
    """One article as the steps read it: folded once to check names, a grounder for
    quotes, each period phrase parsed once, and the warnings the steps add."""

    def __init__(self, article: Article) -> None:
        self.article = article
        self.text = article.text
        self.grounder = Grounder(self.text)
        self.warnings: list[str] = []
        self._text_key = _key(without_quotes(self.text))  # a name a stock quote interrupts is named
        self._title_key = _key(article.title or "")
        self._periods: dict[tuple[str | None, bool, str | None], Period] = {}

    def mentions(self, name: str) -> bool:
        """Whether the body or the title names ``name`` (folded: width, case, spaces)."""
        folded = _key(name)
        return bool(folded) and (folded in self._text_key or folded in self._title_key)

    def ground(self, quote: str | None, *, fallback: str | None = None) -> Evidence | None:
        """The quote's span; else the clause where ``fallback`` (a name) first occurs."""
        if quote:
            found = self.grounder.locate(strip_marks(quote))
            if found is not None:
                return found
        if fallback:
            found = self.grounder.locate(fallback)
            if found is not None:
                return self.grounder.sentence_around(found.start, found.end)
        return None

    def entity_evidence(self, kind: str, name: str) -> Evidence | None:
        """The sentence where the article first names an entity; None (and a warning)
        when it never does."""
        if not name or not self.mentions(name):
            self.warnings.append(f"{kind} dropped, not named in the article: {name!r}")
            return None
        evidence = self.ground(None, fallback=name)
        if evidence is None and (span := find_interrupted(self.text, name)) is not None:
            evidence = self.grounder.sentence_around(*span)
        if evidence is None and _key(name) in self._title_key:
            evidence = self.title_reference()
        if evidence is None:
            self.warnings.append(f"{kind} dropped, its name is not found as written: {name!r}")
        return evidence

    def title_reference(self) -> Evidence | None:
        """For an entity the title names and the body does not: the first sentence that
        refers to it (公司, 该行, the lender …), which is where the body speaks of it."""
        lowered = self.text.lower()
        found = [(at, len(word)) for word in SELF_WORDS if (at := self.text.find(word)) >= 0]
        found += [(at, len(word)) for word in SELF_WORDS_ENGLISH if (at := lowered.find(word.lower())) >= 0]
        if not found:
            return None
        at, length = min(found)
        return self.grounder.sentence_around(at, at + length)

    def period(
        self, phrase: str | None, *, point: bool, position: int | None = None, anchor: str | None = None
    ) -> Period:
        """parse_period, once per phrase in this article (its figures share a few). A
        Chinese phrase without its year (上半年, 年末) that the publication date cannot
        anchor takes the year the article last wrote before ``position`` (2021年上半年…上半年)."""
        key = (phrase, point, anchor)
        if key not in self._periods:
            self._periods[key] = parse_period(phrase, self.article.published_at, point=point, anchor=anchor)
        found = self._periods[key]
        if found != (None, None) or not phrase or position is None or _YEAR.search(phrase) or not count_cjk(phrase):
            return found
        years = _YEAR.findall(self.text, max(0, position - 600), position)
        if not years:
            return found
        return self.period(f"{years[-1]}年{phrase}", point=point, anchor=anchor)


@dataclass
class EntityIndex:
    """The entities an article's facts can be about, by every spelling the article uses:
    what metric subjects, product providers and action targets are resolved against."""

    names: dict[str, str] = field(default_factory=dict)  # folded spelling → canonical name
    spellings: list[str] = field(default_factory=list)  # as written, one per entity spelling
    institution_names: frozenset[str] = frozenset()
    regulators: tuple[str, ...] = ()
    regulator_aliases: tuple[tuple[str, str], ...] = ()  # (FCA, Financial Conduct Authority): English ones
    title_subject: str | None = None  # the institution the title names
    authorities: tuple[str, ...] = ()  # regulators, and the police, prosecutors and courts that act too
    media: frozenset[str] = frozenset()  # outlets that report: never what a figure is about
    products: tuple[str, ...] = ()  # the products' names
    _places_of: tuple[str, dict[str, list[int]]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of_institutions(cls, institutions: Iterable[Institution], title: str | None) -> EntityIndex:
        institutions = list(institutions)
        index = cls(
            institution_names=frozenset(i.name for i in institutions),
            regulators=tuple(i.name for i in institutions if _regulates(i)),
            regulator_aliases=tuple(
                (alias, i.name)
                for i in institutions
                if i.type in (InstitutionType.regulator, InstitutionType.central_bank) and i.name.isascii()
                for alias in i.aliases
            ),
            title_subject=next(
                (i.name for i in institutions if i.name in (title or "") and i.type is not InstitutionType.media), None
            ),
            authorities=tuple(i.name for i in institutions if i.type in _AUTHORITY_TYPES or _regulates(i)),
            media=frozenset(i.name for i in institutions if i.type is InstitutionType.media),
        )
        for institution in institutions:
            for spelling in (institution.name, *institution.aliases):
                index._add(spelling, institution.name)
        return index

    def with_products(self, products: Iterable[Product]) -> EntityIndex:
        """This index and the products' names: a figure can be about a product."""
        index = EntityIndex(
            dict(self.names),
            list(self.spellings),
            self.institution_names,
            self.regulators,
            self.regulator_aliases,
            self.title_subject,
            self.authorities,
            self.media,
        )
        for product in products:
            index._add(product.name, product.name)
        index.products = self.products + tuple(p.name for p in products)
        return index

    def _add(self, spelling: str, name: str) -> None:
        self.names.setdefault(_key(spelling), name)
        self.spellings.append(spelling)

    def canonical(self, name: str | None) -> str | None:
        """A subject or provider spelled as its institution's or product's ``name``."""
        if not name:
            return None
        name = strip_marks(name).strip()
        if (name in SELF_WORDS or fold(name) in SELF_WORDS_ENGLISH) and self.title_subject:
            return self.title_subject
        return self.names.get(_key(name), name)

    def subject_at(self, text: str, position: int, proposed: str | None = None) -> str | None:
        """Who a figure is about, from what the text says before it:

        1. the entity its sentence names before it;
        2. the entity the model names, when the sentence names it too (an entity the
           entity pass left out: 百度旗下度小满2024年净利润8.59亿);
        3. the article's subject or main product, when the sentence refers back to it
           (该行, 公司…, 该产品);
        4. none, when the words before it speak of a group, a market or a place (行业平均,
           国内…小贷公司共有12家, 在印度的坏账率): an industry figure is no one's;
        5. the subject of the sentence before, in the same paragraph (报告显示，百信银行上半年
           总资产…；其中营业净收入13.18亿元): Chinese leaves a carried subject unwritten;
        6. a guess that stands on the paragraph up to the figure: the model's choice where
           the paragraph names it, the one entity it names, the article's subject or main
           entity where it names that, the article's subject where it refers back (公司…);
           else no one (an advertisement line, a digest item about an unlisted company)."""
        near = nearest_name(text, position, self.subject_spellings())
        if near is not None:
            name = self.names.get(_key(near), near)
            between = text[text.rfind(near, 0, position) + len(near) : position]
            if name in self.authorities and (
                speaks_of_a_group(between) or any(word in between for word in REPORTING_WORDS)
            ):
                return None  # 银保监会数据显示，商业银行不良贷款率为1.96%: the sector's, reported
            return name
        lo = sentence_start(text, position)
        before = text[lo:position]
        named = self._named_proposal(proposed, before) or owned_after(before)
        if named is not None:
            return named
        referred = self._referred_to(before, text, lo)
        if referred is not None:
            return referred
        if speaks_of_a_group(before) or (proposed and is_group_name(strip_marks(proposed).strip())):
            return None
        if continues(text, lo):
            carried = self.carried_subject(text, lo)
            if carried is not None:
                return carried
        # the rest is a guess: it stands only on what the paragraph up to the figure names
        # (an ad line, 95%的股票都在涨, names no one; a digest's item names its own subject)
        paragraph_lo = self._paragraph_start(text, position)
        paragraph = text[paragraph_lo:position]
        in_paragraph = self.named_between(text, paragraph_lo, position)
        subject = self.canonical(proposed)
        if subject and _key(subject) in self.names and self.names[_key(subject)] in in_paragraph:
            return self.names[_key(subject)]
        if len(in_paragraph) == 1:
            return in_paragraph.pop()
        if in_paragraph:  # the article's subject or main entity, where this paragraph names it
            main = self.title_subject if self.title_subject in in_paragraph else self.main_entity(text)
            return main if main in in_paragraph else None
        if _refers_back(paragraph):
            return self.title_subject or self.main_entity(text)
        return None

    @staticmethod
    def _paragraph_start(text: str, position: int) -> int:
        """Where the paragraph holding ``position`` starts."""
        found = [at + len(brk) for brk in PARAGRAPH_BREAKS if (at := text.rfind(brk, 0, position)) >= 0]
        return max(found, default=0)

    def named_between(self, text: str, lo: int, hi: int) -> set[str]:
        """The entities (not the media) that ``text[lo:hi]`` names, from each spelling's
        places in the text, found once per text."""
        if self._places_of is None or self._places_of[0] is not text:
            places: dict[str, list[int]] = {}
            for spelling in self.subject_spellings():
                if spelling and spelling not in places:
                    at, found = text.find(spelling), []
                    while at >= 0:
                        found.append(at)
                        at = text.find(spelling, at + 1)
                    places[spelling] = found
            self._places_of = (text, places)
        named = set()
        for spelling, found in self._places_of[1].items():
            at = bisect_left(found, lo)
            if at < len(found) and found[at] + len(spelling) <= hi:
                named.add(self.names.get(_key(spelling), spelling))
        return named

    def _named_proposal(self, proposed: str | None, before: str) -> str | None:
        """The model's subject when the words before the figure spell it and it names one
        institution (not 该行, 银行 or a phrase)."""
        if not proposed:
            return None
        name = strip_marks(proposed).strip()
        if len(name) < 2 or name not in before or name in SELF_WORDS or is_group_name(name):
            return None
        if any(c in NOT_IN_NAMES for c in name) or self.names.get(_key(name)) in self.media:
            return None
        if _key(name) in self.names:
            return self.names[_key(name)]
        # an entity nothing listed: a name that says it is an organisation's (…公司, …金融),
        # or a short one opening a clause (新浪易融服务用户…); never a phrase with a metric's
        # word in it (美国农业保险市场收入保险占比)
        if any(word in name for word, _ in METRIC_KEYWORDS):
            return None
        if institution_type_from_name(name) or name.endswith(_ORGANISATION_ENDINGS):
            return name
        opens = any(clause.strip().startswith(name) for clause in re.split(r"[，,；;：:。！？]", before))
        return name if opens and len(name) <= 6 else None

    def _referred_to(self, before: str, text: str, sentence_lo: int) -> str | None:
        """Whom the words before a figure refer back to: 该产品 the main product; 该行,
        本公司, or 公司… and 平台… opening a clause the article's subject, else the subject
        of the sentences before (a digest's items each have their own)."""
        if any(word in before for word in PRODUCT_SELF_WORDS) and self.products:
            return self.main_product(text)
        if _refers_back(before):
            return self.title_subject or self.carried_subject(text, sentence_lo) or self.main_entity(text)
        return None

    def main_product(self, text: str) -> str | None:
        """The product the body names most often."""
        counts = {name: text.count(name) for name in self.products}
        best = max(counts.items(), key=lambda item: item[1], default=None)
        return best[0] if best and best[1] > 0 else None

    def carried_subject(self, text: str, sentence_lo: int) -> str | None:
        """The entity that opens the last clause naming one in the sentences just before
        ``sentence_lo`` (within 300 characters, not across a paragraph break)."""
        lo = max(0, sentence_lo - 300)
        for brk in PARAGRAPH_BREAKS:
            at = text.rfind(brk, lo, sentence_lo)
            if at >= 0:
                lo = at + len(brk)
        best: tuple[int, int, str] | None = None
        for spelling in self.subject_spellings():
            if not spelling:
                continue
            at = text.rfind(spelling, lo, sentence_lo)
            while at >= 0:
                head = text[lo:at].rstrip()
                if not head or head[-1] in OPENING_MARKS:
                    if best is None or (at, len(spelling)) > best[:2]:
                        best = (at, len(spelling), spelling)
                    break
                at = text.rfind(spelling, lo, at)
        return self.names.get(_key(best[2]), best[2]) if best else None

    def held_company(self, text: str, position: int) -> str | None:
        """Whose shares a shareholding figure is about: not the holder named right before
        持股 (交通银行持股比例9.01%, 腾讯持股约30%), but the other entity its sentence names
        (微众银行作为腾讯持股约30%的互联网银行), else the article's subject."""
        lo = sentence_start(text, position, window=400)
        at = text.rfind("持股", lo, position)
        if at < 0:
            return None
        holder = next((self.names.get(_key(s), s) for s in self.spellings if s and text.endswith(s, lo, at)), None)
        named = sorted(
            (found, self.names.get(_key(s), s))
            for s in self.subject_spellings()
            if s and (found := text.find(s, lo, position)) >= 0
        )
        others = [name for _, name in named if name != holder]
        if others:
            return others[0]
        return self.title_subject if self.title_subject != holder else None

    def subject_spellings(self) -> list[str]:
        """The spellings of what a figure can be about: every entity but the media."""
        if not self.media:
            return self.spellings
        return [s for s in self.spellings if self.names.get(_key(s), s) not in self.media]

    def target_named(self, text: str, position: int) -> str | None:
        """The institution a sentence names as an act's target: the nearest named before
        ``position`` (or right after it: a penalty of Rs 1 crore on the State Bank of India),
        a regulator never; None when it names none."""
        acting = set(self.regulators)
        others = [s for s in self.institution_spellings() if self.names.get(_key(s), s) not in acting]
        near = nearest_name(text, position, others) or _first_named_after(text, position, others)
        return self.names.get(_key(near), near) if near is not None else None

    def institution_spellings(self) -> list[str]:
        """The spellings of institutions (an act is on an institution, never on a product)."""
        return [s for s in self.spellings if self.names.get(_key(s), s) in self.institution_names]

    def target_at(self, text: str, position: int, proposed: str | None = None) -> str | None:
        """Whom a regulatory act or a fine is aimed at: as ``subject_at``, a regulator never
        (the FCA fined Guaranty Trust Bank: the bank)."""
        acting = set(self.regulators)
        if not acting:
            return self.subject_at(text, position, proposed)
        others = [s for s in self.spellings if self.names.get(_key(s), s) not in acting]
        near = nearest_name(text, position, others) or _first_named_after(text, position, others)
        if near is not None:
            return self.names.get(_key(near), near)
        subject = self.canonical(proposed)
        if subject and _key(subject) in self.names and self.names[_key(subject)] not in acting:
            return self.names[_key(subject)]
        fallback = self.title_subject or self.main_entity(text)
        return None if fallback in acting else fallback

    def main_entity(self, text: str) -> str | None:
        """The known entity the body names most often (the media that report never)."""
        counts: dict[str, int] = {}
        for spelling in self.subject_spellings():
            name = self.names.get(_key(spelling), spelling)
            counts[name] = counts.get(name, 0) + text.count(spelling)
        best = max(counts.items(), key=lambda item: item[1], default=None)
        return best[0] if best and best[1] > 0 else None

    def regulator_in(self, sentence: str, *, authorities: bool = False) -> str | None:
        """The regulator (or central bank; with ``authorities`` also the police,
        prosecutors and courts) a sentence names by any of its spellings, the first named;
        None when it names none."""
        acting = self.authorities if authorities else self.regulators
        found = [
            (sentence.find(spelling), self.names.get(_key(spelling), spelling))
            for spelling in self.spellings
            if spelling and self.names.get(_key(spelling), spelling) in acting and spelling in sentence
        ]
        return min(found)[1] if found else None

    def institution_named_before(self, text: str, position: int) -> str | None:
        """The known institution named last before ``position`` in its sentence."""
        lo = sentence_start(text, position)
        window = text[lo:position]
        best = max(((window.rfind(s), s) for s in self.spellings if s), default=(-1, ""))
        name = self.names.get(_key(best[1]), best[1]) if best[0] >= 0 else None
        return name if name in self.institution_names else None


# -- institutions and products ---------------------------------------------------------


def ground_institutions(text: ArticleText, drafts: Iterable[InstitutionDraft]) -> list[Institution]:
    """The model's institutions that the article names, merged by name, and the bank
    names standing in the text that the model left out."""
    merged: dict[str, Institution] = {}
    for draft in drafts:
        name, category = without_category(without_quotes(strip_marks(draft.name)).strip())
        if is_generic_name(name) or fold(name) in GENERIC_INSTITUTIONS:
            text.warnings.append(f"institution dropped, a generic word: {draft.name!r}")
            continue
        if is_aspiration(text.text, name) or is_a_sector(text.text, name):
            text.warnings.append(f"institution dropped, a positioning or a sector, not a name: {draft.name!r}")
            continue
        evidence = text.entity_evidence("institution", name)
        if evidence is None:
            continue
        key = _key(name)
        aliases = [a for a in (strip_marks(a).strip() for a in draft.aliases) if a and a != name and text.mentions(a)]
        parent = draft.parent.strip() if draft.parent and text.mentions(draft.parent) else None
        country = country_from_name(name) or (
            draft.country.upper() if draft.country and re.fullmatch(r"[A-Za-z]{2}", draft.country) else None
        )
        if key in merged:
            known = merged[key]
            known.aliases = sorted(set(known.aliases) | set(aliases))
            known.parent = known.parent or parent
            if all(e.start != evidence.start for e in known.evidence):
                known.evidence.append(evidence)
            continue
        kind = (
            institution_type_from_name(name)
            or category
            or type_from_context(text.text, name)
            or checked_type(name, draft.type)
        )
        merged[key] = Institution(
            name=name, aliases=aliases, type=kind, country=country, parent=parent, evidence=[evidence]
        )
    for institution in merged.values():  # 微众银行(WeBank): the other script's name is an alias
        at = text.text.find(institution.name)
        alias = parenthesised_alias(text.text, at, at + len(institution.name)) if at >= 0 else None
        if alias is not None and alias[0] not in institution.aliases and alias[0] != institution.name:
            institution.aliases.append(alias[0])
    spelled = {_key(spelling) for i in merged.values() for spelling in (i.name, *i.aliases)}
    for name, start, end in institution_mentions(text.text):
        full = (
            merged.get(_key(SHORT_BANK_NAMES[name]))
            or next((i for i in merged.values() if i.name.startswith(f"{name}银行")), None)
            if name in SHORT_BANK_NAMES
            else None
        )
        if full is None and name in AUTHORITY_SHORT_NAMES:  # 央行 beside 中国人民银行, 证监会 beside 中国证监会
            stated = institution_type_from_name(name)
            full = next((i for i in merged.values() if name in i.name and i.name != name), None) or next(
                (i for i in merged.values() if stated is InstitutionType.central_bank and i.type is stated), None
            )
        if full is not None:  # 农行 beside 中国农业银行: one bank
            if name not in full.aliases:
                full.aliases.append(name)
            spelled.add(_key(name))
            continue
        # 工行 is a bank of its own beside 工行辽宁分行; 聚焦“商贸物流银行” names none
        within = name not in SHORT_BANK_NAMES and any(_key(name) in k or k in _key(name) for k in spelled)
        if _key(name) not in spelled and not within and not is_aspiration(text.text, name):
            if is_a_sector(text.text, name):
                continue
            alias = parenthesised_alias(text.text, start, end)
            aliases = [alias[0]] if alias else []
            owner = next((i for i in merged.values() if aliases and _key(aliases[0]) in _spellings(i)), None)
            if owner is not None:  # 微众银行(WeBank) when the model named WeBank: one institution
                owner.aliases.append(name)
                spelled.add(_key(name))
                continue
            evidence = text.grounder.sentence_around(start, end)
            kind = institution_type_from_name(name) or InstitutionType.other
            merged[_key(name)] = Institution(
                name=name, aliases=aliases, type=kind, country=country_from_name(name), evidence=[evidence]
            )
            spelled.update(_key(alias) for alias in aliases)  # its alias is no institution of its own
    _apply_declared_names(text, merged)
    _apply_operators(text, merged)
    _apply_owners(text, merged)
    return list(merged.values())


def _apply_operators(text: ArticleText, merged: dict[str, Institution]) -> None:
    """Y的运营主体为X有限公司: a brand Y that is an institution too is X's alias (one
    institution, named by its legal name), where the article names both."""
    spellings = {s: i for i in merged.values() for s in (i.name, *i.aliases) if s}
    for at, legal in operators(text.text):
        operator = merged.get(_key(legal))
        brand = max((s for s in spellings if text.text.endswith(s, 0, at)), key=len, default=None)
        if operator is None or brand is None:
            continue
        other = spellings[brand]
        if other is operator or _key(other.name) not in merged:
            continue
        operator.aliases = sorted(set(operator.aliases) | {other.name, *other.aliases} - {operator.name})
        if operator.type is InstitutionType.other:
            operator.type = other.type  # the brand's type where the legal name states none
        operator.evidence += [e for e in other.evidence if all(e.start != k.start for k in operator.evidence)]
        del merged[_key(other.name)]
        spellings = {s: i for i in merged.values() for s in (i.name, *i.aliases) if s}


def _spellings(institution: Institution) -> set[str]:
    return {_key(spelling) for spelling in (institution.name, *institution.aliases)}


def _apply_owners(text: ArticleText, merged: dict[str, Institution]) -> None:
    """X旗下(的)Y: X is Y's parent, where the article names both and the model gave Y none."""
    spellings = {s: i for i in merged.values() for s in (i.name, *i.aliases) if s}
    for match in re.finditer("旗下的?", text.text):
        before, after = text.text[: match.start()], text.text[match.end() : match.end() + 40]
        owner = max((s for s in spellings if before.endswith(s)), key=len, default=None)
        owned = max((s for s in spellings if after.startswith(s)), key=len, default=None)
        if owner and owned and spellings[owned] is not spellings[owner] and spellings[owned].parent is None:
            spellings[owned].parent = spellings[owner].name


def _apply_declared_names(text: ArticleText, merged: dict[str, Institution]) -> None:
    """Full and short names the article declares (江苏常熟农村商业银行（常熟银行，601128.SH）,
    …有限公司（以下简称“居然小贷”）) are one institution, named by the full name."""
    for full, short in declared_names(text.text, known=tuple(i.name for i in merged.values())):
        if is_generic_name(full):
            continue
        full_key, short_key = _key(full), _key(short)
        whole = merged.get(full_key)
        part = merged.get(short_key) or next(
            (i for k, i in merged.items() if k != full_key and short in i.aliases), None
        )
        if whole is None and part is None:
            at = text.text.find(full)
            evidence = text.grounder.sentence_around(at, at + len(full)) if at >= 0 else None
            if evidence is None:
                continue
            kind = institution_type_from_name(full) or InstitutionType.other
            merged[full_key] = Institution(
                name=full, aliases=[short], type=kind, country=country_from_name(full), evidence=[evidence]
            )
            continue
        if whole is None:
            assert part is not None
            del merged[_key(part.name)]
            part.aliases = sorted(set(part.aliases) | {part.name, short} - {full})
            part.name = full
            part.type = institution_type_from_name(full) or part.type
            merged[full_key] = part
            continue
        whole.aliases = sorted(set(whole.aliases) | {short} - {full})
        if part is not None and part is not whole:
            whole.aliases = sorted(set(whole.aliases) | {part.name, *part.aliases} - {full})
            whole.parent = whole.parent or part.parent
            whole.evidence += [e for e in part.evidence if all(e.start != k.start for k in whole.evidence)]
            del merged[_key(part.name)]


def ground_products(text: ArticleText, drafts: Iterable[ProductDraft], entities: EntityIndex) -> list[Product]:
    """The model's products that the article names, merged by name, and the products the
    article lists that the model left out. A provider resolves against the institutions
    and the products named before it."""
    known = entities.with_products([])
    merged: dict[str, Product] = {}
    # names as they stand first: where a draft also named the product inside a phrase
    # (企业端的微众企业+), the type given to the name itself is the one kept
    for draft in sorted(drafts, key=lambda d: "的" in d.name):
        name = strip_marks(draft.name).strip().strip("“”\"'「」")
        if "的" in name and len(name) - name.rindex("的") > 2:
            name = name[name.rindex("的") + 1 :]  # 企业端的微众企业+: the product is 微众企业+
        spelled_as = entities.names.get(_key(name))
        another_name = spelled_as is not None and spelled_as != name and spelled_as in entities.institution_names
        short_for = product_type_from_name(name) is None and any(
            name in other and name != other for other in entities.institution_names
        )
        if another_name or short_for or (name in entities.institution_names and product_type_from_name(name) is None):
            # an institution's other name (蚂蚁微贷 for 重庆市蚂蚁小微小额贷款有限公司, 永利宝 inside
            # 上海永利宝金融信息服务有限公司) is that institution; a name listed as both that says
            # it is a product (微粒贷) is one
            text.warnings.append(f"product dropped, it is an institution: {name!r}")
            continue
        if is_not_a_product(name, text.text):
            text.warnings.append(f"product dropped, a kind of offering or a company, not a named product: {name!r}")
            continue
        if product_type(name, draft.type) is ProductType.other and not is_named_as_a_product(name, text.text):
            text.warnings.append(f"product dropped, nothing in the article names it as a product: {name!r}")
            continue
        evidence = text.entity_evidence("product", name)
        if evidence is None:
            continue
        provider = known.canonical(draft.provider) if draft.provider and text.mentions(draft.provider) else None
        features = []
        for feature in draft.features:
            located = text.grounder.locate(strip_marks(feature))
            if located is not None and located.text not in features:
                features.append(located.text)
        key = _key(name)
        if key in merged:
            product = merged[key]
            product.features += [f for f in features if f not in product.features]
            product.provider = product.provider or provider
            continue
        merged[key] = Product(
            name=name,
            provider=provider,
            type=product_type(name, draft.type),
            launched=parse_date(draft.launched, text.article.published_at)
            if draft.launched and text.mentions(draft.launched)
            else None,
            features=features,
            evidence=[evidence],
        )
        known._add(name, name)
    _add_listed_products(text, merged, known)
    return list(merged.values())


def _add_listed_products(text: ArticleText, merged: dict[str, Product], known: EntityIndex) -> None:
    """Products the article lists ("产品包括微粒贷、微车贷…") that the model left out;
    a sibling's provider, else the institution named before the list, else the title's."""
    listed = listed_products(text.text)
    for name, start, end, list_start in listed:
        key = _key(name)
        if key in merged or name in known.institution_names or known.names.get(key) in known.institution_names:
            continue
        siblings = [merged[_key(n)] for n, _, _, at in listed if at == list_start and _key(n) in merged]
        provider = next((p.provider for p in siblings if p.provider), None)
        provider = provider or known.institution_named_before(text.text, list_start) or known.title_subject
        merged[key] = Product(
            name=name,
            provider=provider,
            type=product_type_from_name(name) or ProductType.other,
            evidence=[Evidence(text=name, start=start, end=end)],
        )
        known._add(name, name)


_TERM = re.compile(
    r"最长可?分(\d{1,3})期|最长(?:期限)?(\d{1,3})个月"
    r"|(?:terms? of up to|up to|maximum (?:term|tenor) of) (\d{1,3}) months",
    re.IGNORECASE,
)


def _annual(name: str) -> bool:
    """Whether a rate's name says it is per year (年利率, annual interest rate, APR)."""
    return "年" in name or bool(re.search(r"\b(?:annual|annualised|annualized|APR|per annum)\b", name, re.I))


def fill_product_terms(product: Product, metrics: list[FinancialMetric], text: str, *, main_product: bool) -> None:
    """Rates, limits and terms of a product, copied from its grounded metrics."""
    for metric in metrics:
        if metric.subject != product.name:
            continue
        if metric.metric is MetricKind.interest_rate and metric.unit == "%" and _annual(metric.name):
            product.annual_rate_min = metric.value
            product.annual_rate_max = metric.value_max if metric.value_max is not None else metric.value
        elif metric.metric is MetricKind.credit_limit and metric.unit in MONEY_UNITS:
            product.credit_limit_min = metric.value if metric.value_max is not None else None
            product.credit_limit_max = metric.value_max if metric.value_max is not None else metric.value
    texts = [e.text for m in metrics if m.subject == product.name for e in m.evidence]
    if main_product:
        texts.append(text)
    for chunk in texts:
        match = _TERM.search(chunk)
        if match:
            product.max_term_months = int(match[1] or match[2] or match[3])
            break


# -- metrics ---------------------------------------------------------------------------


def ground_metrics(
    text: ArticleText, labels: Iterable[MetricLabel], candidates: dict[int, Candidate], entities: EntityIndex
) -> list[FinancialMetric]:
    """A fact for each figure the model labelled or the words before it name."""
    by_id: dict[int, MetricLabel] = {}
    for labelled in labels:
        by_id.setdefault(labelled.id, labelled)
    body = text.text
    facts: list[FinancialMetric] = []
    seen: dict[tuple[object, ...], FinancialMetric] = {}
    ordered = sorted(candidates.items(), key=lambda item: item[1].start)
    spans = [(c.start, c.end) for _, c in ordered]
    previous: Candidate | None = None
    last: tuple[Candidate, FinancialMetric] | None = None  # the figure before and its fact
    for number, candidate in ordered:
        before, previous = previous, candidate
        if body[candidate.start - 1 : candidate.start] == "[" and body[candidate.end : candidate.end + 1] == "]":
            continue  # a reference mark such as [3][12], not a figure
        if before is not None and _is_conversion(body, before, candidate):
            continue  # RMB794.5 million (US$109.3 million): the same fact in another currency
        label = by_id.get(number)
        written = metric_from_context(body, candidate.start, candidate.end, candidate.figure.unit, figures=spans)
        if (
            written is not None
            and across_a_clause(body, written[1], candidate.start, candidate.end)
            and (written[1] in CHANGE_WORDS or clause_names_its_own(body, candidate.start, entities.spellings))
        ):
            # 同比增长64.0%，拨备前利润8.88亿元; 占比超过50%，累计提交专利申请4000多件: the words
            # were the figure before's (2021年净利润27亿,2022年44亿 carries them on)
            written = None
        fact = _change_of(body, candidate, last)
        if fact is None:
            if label is None and (written is None or written[1] in CHANGE_WORDS):
                continue  # without the model, a figure is a fact only where a metric's name stands before it
            fact = _metric(text, candidate, label, written, entities)
        if fact is None:
            continue
        last = (candidate, fact)
        # a figure the article states again (a lead repeated in the body) is one fact with
        # each place as evidence
        key = (fact.subject, fact.metric, fact.value, fact.value_max, fact.unit, fact.period_start, fact.period_end)
        if key in seen:
            same = seen[key]
            same.evidence += [e for e in fact.evidence if all(e.start != k.start for k in same.evidence)]
        else:
            seen[key] = fact
            facts.append(fact)
    return facts


def _change_of(
    body: str, candidate: Candidate, last: tuple[Candidate, FinancialMetric] | None
) -> FinancialMetric | None:
    """A change written right after the figure it changes (营业收入65.82亿元，同比增长2.13%;
    净利差2.46%，较上年同期增加0.17个百分点; 利息收入238.93亿元…，增幅为10.66%): a fact of
    its own about the same subject and period, named by both (营业收入同比增长). None when the
    figure is no such change."""
    if last is None:
        return None
    figure, fact = last
    change = change_between(body, figure.end, candidate.start)
    if change is None or names_a_change(fact.name):
        return None  # words between that are no change, or a change of a change
    return FinancialMetric(
        subject=fact.subject,
        metric=MetricKind.other,
        name=f"{fact.name}{change}",
        value=candidate.figure.value,
        value_max=candidate.figure.value_max,
        unit=_unit_for(candidate.figure.unit, MetricKind.other),
        raw=candidate.raw,
        qualifier=Qualifier(candidate.figure.qualifier),
        period_start=fact.period_start,
        period_end=fact.period_end,
        period_text=fact.period_text,
        evidence=[Evidence(text=body[figure.start : candidate.end], start=figure.start, end=candidate.end)],
    )


_CONVERSION_GAP = re.compile(r"\s*[(（]\s*(?:about|approximately|approx\.|around|约)?\s*", re.IGNORECASE)


def _is_conversion(body: str, money: Candidate, figure: Candidate) -> bool:
    """Whether ``figure`` restates ``money`` in another currency, in parentheses right
    after it: RMB794.5 million (US$109.3 million), 60亿元人民币（8.71亿美元）."""
    if figure.start - money.end > 16 or (
        "(" not in body[money.end : figure.start] and "（" not in body[money.end : figure.start]
    ):
        return False
    first, second = money.figure.unit, figure.figure.unit
    if first not in MONEY_UNITS or second not in MONEY_UNITS or first == second:
        return False
    gap = _CONVERSION_GAP.fullmatch(body, money.end, figure.start)
    return gap is not None and body[figure.end : figure.end + 1] in (")", "）")


def _metric(
    text: ArticleText,
    candidate: Candidate,
    label: MetricLabel | None,
    written: tuple[MetricKind, str] | None,
    entities: EntityIndex,
) -> FinancialMetric | None:
    body = text.text
    figure = candidate.figure
    if is_a_rules_bound(body, candidate.start, candidate.raw):
        text.warnings.append(f"metric dropped, a rule's bound, no one's figure: {candidate.raw!r}")
        return None
    fined = (written[0] if written else label.metric if label else None) is MetricKind.fine_amount
    if fined:  # a fine is about whom it is imposed on, never the regulator that imposes it
        subject = entities.target_at(body, candidate.start, label.subject if label else None)
    else:
        subject = entities.subject_at(body, candidate.start, label.subject if label else None)
    if written is not None and written[1] in HOLDING_WORDS:
        subject = entities.held_company(body, candidate.start) or subject
    if subject is None:
        text.warnings.append(f"metric dropped, no subject named in the article for {candidate.raw!r}")
        return None
    around = text.grounder.sentence_around(candidate.start, candidate.end)
    proposed = strip_marks(label.name).strip() if label else ""
    if written is not None:
        metric, name = written
        if (
            label is not None
            and label.metric is metric
            and proposed
            and name_stands_here(body, candidate.start, candidate.end, proposed)
        ):
            name = proposed
    else:
        # the text names no metric of the list before the figure: the model's kind is a
        # guess the words do not bear out (资本充足率 for 加权平均净资产收益率), so it is other
        assert label is not None
        metric = MetricKind.other
        if proposed and name_stands_here(body, candidate.start, candidate.end, proposed):
            name = proposed
        else:
            name = metric_name_near(body, candidate.start, candidate.end)
    # the phrase written before the figure (or carried from earlier in its sentence) beats
    # the model's reading of it; English writes it after the figure too (RMB 1.2 billion in
    # 2023), and that one is the figure's own, read against the sentence's (the same period
    # of 2022)
    period_text = year_in_series(body, candidate.start) or period_carried(body, candidate.start)
    anchor = None
    after = period_after(body, candidate.end)
    if after is not None:
        period_text, anchor = after, period_text
    start, end = text.period(period_text, point=metric in POINT_METRICS, position=candidate.start, anchor=anchor)
    return FinancialMetric(
        subject=subject,
        metric=metric,
        name=without_names(name, entities.spellings) or metric.value,
        value=figure.value,
        value_max=figure.value_max,
        unit=_unit_for(figure.unit, metric),
        raw=candidate.raw,
        qualifier=Qualifier(figure.qualifier),
        period_start=start,
        period_end=end,
        period_text=period_text,
        evidence=[around],
    )


def action_summary(sentence: str) -> str:
    """An action's one line: its sentence as written, without trailing reference marks."""
    return re.sub(r"\s*(\[\d+\])+\s*$", "", sentence.strip())[:80]


def _unit_for(unit: str | None, metric: MetricKind) -> str:
    if unit:
        return unit
    if metric in MONEY_METRICS:
        return "CNY"
    if metric in RATIO_METRICS:
        return "%"
    return "count"


# -- regulatory actions ----------------------------------------------------------------


def ground_actions(text: ArticleText, drafts: Iterable[ActionDraft], entities: EntityIndex) -> list[RegulatoryAction]:
    """The model's regulatory actions whose quote stands in a clause about regulation."""
    facts: list[RegulatoryAction] = []
    seen: set[tuple[object, ...]] = set()
    published = text.article.published_at
    body = text.text
    for draft in drafts:
        evidence = text.ground(draft.quote)
        if evidence is None:
            evidence = _sentence_of_parties(text, draft, entities)
            if evidence is None:
                text.warnings.append(f"regulatory action dropped, quote not found: {draft.quote!r}")
                continue
            text.warnings.append(f"regulatory action quote not verbatim, grounded on its parties: {draft.quote!r}")
        around = text.grounder.sentence_around(evidence.start, evidence.end)
        clause = around.text
        if draft.action is ActionKind.approval and is_background_approval(clause):
            text.warnings.append(f"regulatory action dropped, an approval given as background: {draft.quote!r}")
            continue
        if not names_regulation(clause):
            text.warnings.append(f"regulatory action dropped, its sentence names no regulatory act: {draft.quote!r}")
            continue
        amount, currency = _amount(text, draft.amount)
        target = entities.canonical(draft.target)
        if target and not text.mentions(target) and target not in entities.names.values():
            target = None
        regulator = draft.regulator.strip() if draft.regulator and text.mentions(draft.regulator) else None
        if regulator is not None and (regulator in REGULATOR_WORDS or is_group_name(regulator)):
            # the article's general word (监管) where its sentence names who acts
            regulator = _regulator_in(clause, entities, draft.action) or regulator
        if target is not None and target in entities.products and target not in entities.institution_names:
            target = None  # an act is on an institution, not on a product (GDR)
        if target in entities.regulators and (regulator is None or regulator in REGULATOR_WORDS):
            regulator, target = target, None  # 中国互联网金融协会发布风险提示: the one who acts
        elif regulator is None and target is not None:  # 工信部对陌陌公司进行问询约谈: who acts, where it says
            acting = entities.regulator_in(clause, authorities=True)
            regulator = acting if acting and acting not in target and target not in acting else None
        date = parse_date(draft.date, published) if draft.date and text.mentions(draft.date) else None
        if (
            regulator is None
            and target is None
            and draft.action not in (ActionKind.new_rule, ActionKind.rule_effective)
        ):
            # an act the model gave no parties: both read from its sentence, when it
            # names both (NFRA fined Eastcoast Consumer Finance …); one alone is too
            # little to stand on (dropped below)
            acting = _regulator_in(clause, entities, draft.action)
            acted_on = entities.target_named(body, around.end)
            if acting and acted_on and acted_on not in acting and acting not in acted_on:
                regulator, target = acting, acted_on
        if amount is None and draft.action is ActionKind.fine:
            amount, currency = _money_in(body, around.start, around.end)
        if date is None:
            date = parse_date(first_period(clause), published)
        action = RegulatoryAction(
            regulator=regulator,
            target=target,
            action=draft.action,
            summary=action_summary(clause),
            amount=amount,
            currency=currency,
            date=date,
            reasons=[r.strip() for r in draft.reasons if r.strip()],
            evidence=[evidence],
        )
        for one in one_per_target(action, body[around.start : around.end], entities):
            key = (one.target, one.action, one.date, one.amount)
            if key not in seen:
                seen.add(key)
                facts.append(one)
    return facts


def _sentence_of_parties(text: ArticleText, draft: ActionDraft, entities: EntityIndex) -> Evidence | None:
    """For an action whose quote is not in the article: the first sentence that names its
    parties (every one the article names) and a regulatory act, so a paraphrased quote
    loses the quote and not the act. None when the draft names no party the article has."""
    parties = [
        spelling
        for name in (draft.target, draft.regulator)
        if name and text.mentions(name)
        for spelling in _spellings_of(entities, name)
    ]
    wanted = {_key(p) for p in (draft.target, draft.regulator) if p and text.mentions(p)}
    if not wanted:
        return None
    body = text.text
    for start, end in sentences(body):
        sentence = body[start:end]
        named = {_key(entities.canonical(p) or p) for p in parties if p in sentence}
        named |= {_key(p) for p in (draft.target, draft.regulator) if p and p in sentence}
        if wanted <= named and names_regulation(sentence) and regulatory_act(sentence) in (draft.action, None):
            return text.grounder.sentence_around(start + len(sentence) - len(sentence.lstrip()), end)
    return None


def _spellings_of(entities: EntityIndex, name: str) -> list[str]:
    """Every spelling the article uses for the entity ``name`` is (itself when unknown)."""
    canonical = entities.canonical(name)
    found = [s for s in entities.spellings if s and entities.names.get(_key(s)) == canonical]
    return found or [name]


def one_per_target(action: RegulatoryAction, sentence: str, entities: EntityIndex) -> list[RegulatoryAction]:
    """An act on several institutions that its sentence lists (约谈美团、饿了么、京东等6家
    平台) is one fact per institution; else the act as it is."""
    if action.action in (ActionKind.new_rule, ActionKind.rule_effective):
        return [action]
    targets = listed_targets(sentence, entities, action.regulator)
    if len(targets) < 2 or (action.target is not None and action.target not in targets):
        return [action]
    return [action.model_copy(update={"target": name}, deep=True) for name in targets]


def listed_targets(sentence: str, entities: EntityIndex, regulator: str | None) -> list[str]:
    """The institutions a sentence lists (joined by 、), in their order, leaving out the
    regulators."""
    if "、" not in sentence:
        return []
    first: dict[str, int] = {}
    for spelling in entities.spellings:
        at = sentence.find(spelling) if spelling else -1
        if at < 0:
            continue
        name = entities.names.get(_key(spelling), spelling)
        if name in entities.regulators or (regulator and (name in regulator or regulator in name)):
            continue
        if name in entities.institution_names:
            first[name] = min(at, first.get(name, at))
    return sorted(first, key=first.__getitem__)


def _regulator_in(sentence: str, entities: EntityIndex, kind: ActionKind) -> str | None:
    """The regulator a sentence names (by a known spelling or a short name such as NFRA);
    for an investigation also the police, prosecutors and courts."""
    return entities.regulator_in(sentence, authorities=kind is ActionKind.investigation) or next(
        (name for alias, name in entities.regulator_aliases if re.search(rf"\b{re.escape(alias)}\b", sentence)),
        None,
    )


def _money_in(body: str, start: int, end: int) -> tuple[float | None, str | None]:
    """The first sum of money in ``body[start:end]`` and its currency, else (None, None)."""
    money = [c for c in find_figures(body[start:end]) if c.figure.unit in MONEY_UNITS]
    if not money:
        return None, None
    first = money[0]
    return first.figure.value, _currency(body, start + first.start, start + first.end, first.figure.unit)


def rule_actions(text: ArticleText, found: list[RegulatoryAction], entities: EntityIndex) -> list[RegulatoryAction]:
    """Acts the wording states (罚单, 批复, 新规…落地) that ``found`` does not report."""
    body = text.text
    added: list[RegulatoryAction] = []
    default_regulator = next((word for word in REGULATOR_WORDS if word in body), None)  # the article's own word
    for start, end in sentences(body):
        sentence = body[start:end].strip()
        kind = regulatory_act(sentence)
        if kind is None or len(sentence) < 6 or (kind is ActionKind.approval and is_background_approval(sentence)):
            continue
        start = body.index(sentence, start)
        end = start + len(sentence)
        if any(
            a.action is kind and (a.regulator or a.target) and any(e.start < end and start < e.end for e in a.evidence)
            for a in found
        ):
            continue  # reported already (a model's act that names no party does not count: it is dropped)
        regulator = _regulator_in(sentence, entities, kind) or default_regulator
        industry_wide = kind in (ActionKind.new_rule, ActionKind.rule_effective)
        # only an institution the sentence names, or the article's own subject where the
        # sentence speaks of it (公司…收到罚单): an act's target is never guessed
        target = None if industry_wide else entities.target_named(body, end)
        if target is None and kind in _ACTS_ON_THE_SUBJECT and not _names_an_institution(sentence, entities):
            target = entities.title_subject  # a digest's 2024年收到超1300万元罚单 is about its subject
        if target is not None and regulator is not None and (target in regulator or regulator in target):
            target = None
        amount, currency = _money_in(body, start, end)
        action = RegulatoryAction(
            regulator=regulator,
            target=target,
            action=kind,
            summary=action_summary(sentence),
            amount=amount,
            currency=currency,
            date=parse_date(first_period(sentence), text.article.published_at),
            reasons=reasons_in(sentence) if kind is ActionKind.fine else [],
            evidence=[Evidence(text=sentence, start=start, end=end)],
        )
        if kind is ActionKind.rule_effective and action.date is None and not any(w in sentence for w in _IN_FORCE):
            continue  # 促进《办法》有效落地实施: a hope, not a rule coming into force
        if target is None and (regulator == default_regulator or kind is ActionKind.fine) and not industry_wide:
            continue  # an act on no one named, by no one named (要求不得新增 in general), or a fine on no one
        listed = listed_targets(sentence, entities, regulator)
        added += (
            one_per_target(action.model_copy(update={"target": None}), sentence, entities)
            if len(listed) >= 2
            else [action]
        )
    return added


# Words that say a rule is in force, where its sentence gives no date.
_IN_FORCE = ("正式施行", "起施行", "正式实施", "起实施", "起生效", "正式生效", "落地后", "已施行", "已实施", "已落地")
_AUTHORITY_TYPES = (
    InstitutionType.regulator,
    InstitutionType.central_bank,
    InstitutionType.government_agency,
    InstitutionType.court,
)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# Acts a sentence can report of the article's subject without naming it.
_ACTS_ON_THE_SUBJECT = (ActionKind.fine, ActionKind.warning, ActionKind.rectification_order)


def _names_an_institution(sentence: str, entities: EntityIndex) -> bool:
    """Whether a sentence names an institution other than those that act (regulators,
    police, courts): the one it is about."""
    acting = set(entities.authorities) | set(entities.regulators)
    return any(
        spelling and spelling in sentence and entities.names.get(_key(spelling), spelling) not in acting
        for spelling in entities.spellings
    )


def _amount(text: ArticleText, raw: str | None) -> tuple[float | None, str | None]:
    if not raw:
        return None, None
    raw = strip_marks(raw).strip()
    if not text.mentions(raw):
        text.warnings.append(f"action amount not in the article, left empty: {raw!r}")
        return None, None
    try:
        figure = parse_figure(raw)
    except FigureError:
        text.warnings.append(f"action amount unparsable, left empty: {raw!r}")
        return None, None
    if figure.unit not in MONEY_UNITS:
        return figure.value, "CNY"
    at = text.text.find(raw)
    return figure.value, _currency(text.text, at, at + len(raw), figure.unit) if at >= 0 else figure.unit


def _currency(text: str, start: int, end: int, unit: str | None) -> str | None:
    """A figure's currency; a ¥ read from the article around it (CNY or JPY, else other)."""
    return yen_currency(text, start, end) if unit == UNKNOWN_CURRENCY else unit
