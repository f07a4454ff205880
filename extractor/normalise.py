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
    actions     += rule_actions(text, actions, entities)

A draft whose quote cannot be found, or whose subject the article never names, is
dropped and named in ``warnings``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._exceptions import FigureError
from .chars import fold
from .drafts import ActionDraft, ArticleDrafts, InstitutionDraft, MetricLabel, ProductDraft
from .grounding import Grounder
from .lexicon import (
    GENERIC_INSTITUTIONS,
    MONEY_METRICS,
    MONEY_UNITS,
    POINT_METRICS,
    RATIO_METRICS,
    REGULATOR_WORDS,
    SELF_WORDS,
    SELF_WORDS_ENGLISH,
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
from .periods import Period, first_period, parse_date, parse_period, period_after, period_before
from .prompting import strip_marks
from .rules import (
    country_from_name,
    institution_mentions,
    institution_type_from_name,
    listed_products,
    metric_from_context,
    metric_name_near,
    names_regulation,
    nearest_name,
    parenthesised_alias,
    product_type_from_name,
    reasons_in,
    regulatory_act,
    unit_fits,
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
    for product in products:
        fill_product_terms(product, metrics, article.text, main_product=len(products) == 1)
    actions = ground_actions(text, drafts.actions, entities)
    actions += rule_actions(text, actions, entities)
    return NormalisedFacts(institutions, metrics, actions, products, text.warnings)


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
        self._text_key = _key(self.text)
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

    def entity_evidence(self, kind: str, name: str, quote: str) -> Evidence | None:
        """Where the article names an entity; None (and a warning) when it never does."""
        if not name or not self.mentions(name):
            self.warnings.append(f"{kind} dropped, not named in the article: {name!r}")
            return None
        evidence = self.ground(quote, fallback=name)
        if evidence is None:
            self.warnings.append(f"{kind} dropped, quote not found: {name!r}: {quote!r}")
        return evidence

    def period(self, phrase: str | None, *, point: bool, anchor: str | None = None) -> Period:
        """parse_period, once per phrase in this article (its figures share a few)."""
        key = (phrase, point, anchor)
        if key not in self._periods:
            self._periods[key] = parse_period(phrase, self.article.published_at, point=point, anchor=anchor)
        return self._periods[key]


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

    @classmethod
    def of_institutions(cls, institutions: Iterable[Institution], title: str | None) -> EntityIndex:
        institutions = list(institutions)
        index = cls(
            institution_names=frozenset(i.name for i in institutions),
            regulators=tuple(
                i.name for i in institutions if i.type in (InstitutionType.regulator, InstitutionType.central_bank)
            ),
            regulator_aliases=tuple(
                (alias, i.name)
                for i in institutions
                if i.type in (InstitutionType.regulator, InstitutionType.central_bank) and i.name.isascii()
                for alias in i.aliases
            ),
            title_subject=next((i.name for i in institutions if i.name in (title or "")), None),
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
        )
        for product in products:
            index._add(product.name, product.name)
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
        """Who a figure is about: the entity named nearest before it in its sentence;
        else the model's choice when it is a known entity; else the article's main one."""
        near = nearest_name(text, position, self.spellings)
        if near is not None:
            return self.names.get(_key(near), near)
        subject = self.canonical(proposed)
        if subject and _key(subject) in self.names:
            return self.names[_key(subject)]
        return self.title_subject or self.main_entity(text)

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
        """The known entity the body names most often."""
        counts: dict[str, int] = {}
        for spelling in self.spellings:
            name = self.names.get(_key(spelling), spelling)
            counts[name] = counts.get(name, 0) + text.count(spelling)
        best = max(counts.items(), key=lambda item: item[1], default=None)
        return best[0] if best and best[1] > 0 else None

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
        name = strip_marks(draft.name).strip()
        if name in GENERIC_INSTITUTIONS or fold(name) in GENERIC_INSTITUTIONS:
            text.warnings.append(f"institution dropped, a generic word: {draft.name!r}")
            continue
        evidence = text.entity_evidence("institution", name, draft.quote)
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
        kind = institution_type_from_name(name) or draft.type
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
        if _key(name) not in spelled and not any(_key(name) in k or k in _key(name) for k in spelled):
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
    return list(merged.values())


def _spellings(institution: Institution) -> set[str]:
    return {_key(spelling) for spelling in (institution.name, *institution.aliases)}


def ground_products(text: ArticleText, drafts: Iterable[ProductDraft], entities: EntityIndex) -> list[Product]:
    """The model's products that the article names, merged by name, and the products the
    article lists that the model left out. A provider resolves against the institutions
    and the products named before it."""
    known = entities.with_products([])
    merged: dict[str, Product] = {}
    for draft in drafts:
        name = strip_marks(draft.name).strip().strip("“”\"'「」")
        if name in entities.institution_names and product_type_from_name(name) is None:
            text.warnings.append(f"product dropped, it is an institution: {name!r}")
            continue
        evidence = text.entity_evidence("product", name, draft.quote)
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
            type=product_type_from_name(name) or draft.type,
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
        if key in merged or name in known.institution_names:
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
    seen: set[tuple[object, ...]] = set()
    ordered = sorted(candidates.items(), key=lambda item: item[1].start)
    spans = [(c.start, c.end) for _, c in ordered]
    previous: Candidate | None = None
    for number, candidate in ordered:
        before, previous = previous, candidate
        if body[candidate.start - 1 : candidate.start] == "[" and body[candidate.end : candidate.end + 1] == "]":
            continue  # a reference mark such as [3][12], not a figure
        if before is not None and _is_conversion(body, before, candidate):
            continue  # RMB794.5 million (US$109.3 million): the same fact in another currency
        label = by_id.get(number)
        written = metric_from_context(body, candidate.start, candidate.end, candidate.figure.unit, figures=spans)
        if label is None and written is None:
            continue
        fact = _metric(text, candidate, label, written, entities)
        if fact is None:
            continue
        key = (fact.subject, fact.metric, fact.value, fact.value_max, fact.period_end, candidate.start)
        if key not in seen:
            seen.add(key)
            facts.append(fact)
    return facts


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
    fined = (written[0] if written else label.metric if label else None) is MetricKind.fine_amount
    if fined:  # a fine is about whom it is imposed on, never the regulator that imposes it
        subject = entities.target_at(body, candidate.start, label.subject if label else None)
    else:
        subject = entities.subject_at(body, candidate.start, label.subject if label else None)
    if subject is None:
        text.warnings.append(f"metric dropped, no subject named in the article for {candidate.raw!r}")
        return None
    around = text.grounder.sentence_around(candidate.start, candidate.end)
    clause = around.text
    proposed = strip_marks(label.name).strip() if label else ""
    if written is not None:
        metric, name = written
        if label is not None and label.metric is metric and proposed and proposed in clause:
            name = proposed
    else:
        assert label is not None
        metric = label.metric if unit_fits(label.metric, figure.unit) else MetricKind.other
        if metric in MONEY_METRICS and figure.unit is None:
            metric = MetricKind.other  # money by the model's word alone: no 元, no money word
        name = proposed if proposed and proposed in clause else metric_name_near(body, candidate.start, candidate.end)
    # the phrase written before the figure beats the model's reading of it; English writes
    # it after the figure too (RMB 1.2 billion in 2023), and that one is the figure's own,
    # read against the sentence's (the same period of 2022)
    period_text = period_before(body, candidate.start)
    anchor = None
    after = period_after(body, candidate.end)
    if after is not None:
        period_text, anchor = after, period_text
    if period_text is None and label and label.period and label.period.strip() in clause:
        period_text = label.period.strip()
    start, end = text.period(period_text, point=metric in POINT_METRICS, anchor=anchor)
    return FinancialMetric(
        subject=subject,
        metric=metric,
        name=name or metric.value,
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
    for draft in drafts:
        evidence = text.ground(draft.quote)
        if evidence is None:
            text.warnings.append(f"regulatory action dropped, quote not found: {draft.quote!r}")
            continue
        clause = text.grounder.sentence_around(evidence.start, evidence.end).text
        if not names_regulation(clause):
            text.warnings.append(f"regulatory action dropped, its sentence names no regulatory act: {draft.quote!r}")
            continue
        amount, currency = _amount(text, draft.amount)
        target = entities.canonical(draft.target)
        if target and not text.mentions(target) and target not in entities.names.values():
            target = None
        regulator = draft.regulator.strip() if draft.regulator and text.mentions(draft.regulator) else None
        date = parse_date(draft.date, published) if draft.date and text.mentions(draft.date) else None
        key = (target, draft.action, date, amount)
        if key in seen:
            continue
        seen.add(key)
        facts.append(
            RegulatoryAction(
                regulator=regulator,
                target=target,
                action=draft.action,
                summary=draft.summary.strip(),
                amount=amount,
                currency=currency,
                date=date,
                reasons=[r.strip() for r in draft.reasons if r.strip()],
                evidence=[evidence],
            )
        )
    return facts


def rule_actions(text: ArticleText, found: list[RegulatoryAction], entities: EntityIndex) -> list[RegulatoryAction]:
    """Acts the wording states (罚单, 批复, 新规…落地) that ``found`` does not report."""
    body = text.text
    added: list[RegulatoryAction] = []
    default_regulator = next((word for word in REGULATOR_WORDS if word in body), None)
    for start, end in sentences(body):
        sentence = body[start:end].strip()
        kind = regulatory_act(sentence)
        if kind is None or len(sentence) < 6:
            continue
        start = body.index(sentence, start)
        end = start + len(sentence)
        if any(a.action is kind and any(e.start < end and start < e.end for e in a.evidence) for a in found):
            continue
        regulator = next((r for r in entities.regulators if r in sentence), None) or next(
            (name for alias, name in entities.regulator_aliases if re.search(rf"\b{re.escape(alias)}\b", sentence)),
            default_regulator,
        )
        industry_wide = kind in (ActionKind.new_rule, ActionKind.rule_effective)
        target = None if industry_wide else entities.target_at(body, end)
        money = [c for c in find_figures(sentence) if c.figure.unit in MONEY_UNITS]
        added.append(
            RegulatoryAction(
                regulator=regulator,
                target=target,
                action=kind,
                summary=re.sub(r"\s*(\[\d+\])+\s*$", "", sentence)[:80],
                amount=money[0].figure.value if money else None,
                currency=_currency(body, start + money[0].start, start + money[0].end, money[0].figure.unit)
                if money
                else None,
                date=parse_date(first_period(sentence), text.article.published_at),
                reasons=reasons_in(sentence) if kind is ActionKind.fine else [],
                evidence=[Evidence(text=sentence, start=start, end=end)],
            )
        )
    return added


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
