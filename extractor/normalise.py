"""Drafts to contract facts: ground every quote, compute every number and date.

Nothing here asks a model. A draft whose quote cannot be found, or whose subject the
article never names, is dropped and named in ``warnings``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from .drafts import ActionDraft, InstitutionDraft, MetricLabel, ProductDraft
from .grounding import Grounder, sentence_start
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
    RegulatoryAction,
)
from .numbers import Candidate, FigureError, find_figures, parse_figure
from .periods import first_period, parse_date, parse_period, period_before
from .prompting import strip_marks
from .rules import (
    MONEY_METRICS,
    POINT_METRICS,
    RATIO_METRICS,
    country_from_name,
    institution_mentions,
    institution_type_from_name,
    listed_products,
    metric_from_context,
    metric_name_near,
    nearest_name,
    product_type_from_name,
    reasons_in,
    regulatory_act,
    sentences,
    unit_fits,
)

_GENERIC = {
    "监管",
    "监管部门",
    "监管机构",
    "公司",
    "该公司",
    "本公司",
    "银行",
    "该行",
    "本行",
    "平台",
    "机构",
    "催收机构",
    "网贷公司",
    "网贷平台",
    "金融机构",
    "中国网贷公司",
    "消费者",
    "用户",
    "客户",
    "政府",
}
_SELF_WORDS = {"公司", "该公司", "本公司", "该行", "本行", "该平台", "该机构", "集团"}

_REGULATORY_WORDS = (
    "监管",
    "罚",
    "处罚",
    "批复",
    "批准",
    "获批",
    "新规",
    "规定",
    "办法",
    "通知",
    "整改",
    "牌照",
    "执照",
    "吊销",
    "调查",
    "立案",
    "警示",
    "约谈",
    "央行",
    "金融监督管理",
    "银保监",
    "证监",
    "施行",
    "实施",
    "出台",
    "regulator",
    "fine",
    "penalt",
    "approv",
    "licen",
    "rule",
    "investigat",
)
_CURRENCY_CODES = {"CNY", "USD", "HKD", "INR", "EUR", "JPY", "GBP"}


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().replace(" ", "")


@dataclass
class Normaliser:
    """Turns one article's drafts into facts; collects what it drops as warnings."""

    article: Article
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text = self.article.text
        self.grounder = Grounder(self.text)
        self._names: dict[str, str] = {}  # any known spelling → canonical name
        self._title_subject: str | None = None
        self._spellings: list[str] = []
        self._regulators: list[str] = []
        self._institution_names: set[str] = set()
        self._text_key = _key(self.text)
        self._periods: dict[tuple[str | None, bool], tuple[str | None, str | None]] = {}

    # -- shared helpers --------------------------------------------------------------

    def _mentioned(self, name: str) -> bool:
        folded = _key(name)
        return bool(folded) and (folded in self._text_key or folded in _key(self.article.title or ""))

    def _ground(self, quote: str | None, *, fallback: str | None = None) -> Evidence | None:
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

    def _entity_evidence(self, kind: str, name: str) -> Evidence | None:
        """The sentence where the article names an entity first; None (and a warning)
        when it never does."""
        if not name or not self._mentioned(name):
            self.warnings.append(f"{kind} dropped, not named in the article: {name!r}")
            return None
        evidence = self._ground(None, fallback=name)
        if evidence is None and name in (self.article.title or ""):
            evidence = self._title_reference()
        if evidence is None:
            self.warnings.append(f"{kind} dropped, its name is not found as written: {name!r}")
        return evidence

    def _title_reference(self) -> Evidence | None:
        """For an entity the title names and the body does not: the first sentence that
        refers to it (公司, 该行 …), which is where the body speaks of it."""
        found = [(at, len(word)) for word in _SELF_WORDS if (at := self.text.find(word)) >= 0]
        if not found:
            return None
        at, length = min(found)
        return self.grounder.sentence_around(at, at + length)

    def canonical(self, name: str | None) -> str | None:
        """A subject or provider spelled as its institution's or product's ``name``."""
        if not name:
            return None
        name = strip_marks(name).strip()
        if name in _SELF_WORDS and self._title_subject:
            return self._title_subject
        return self._names.get(_key(name), name)

    # -- institutions and products ---------------------------------------------------

    def institutions(self, drafts: Iterable[InstitutionDraft]) -> list[Institution]:
        merged: dict[str, Institution] = {}
        for draft in drafts:
            name = strip_marks(draft.name).strip()
            if name in _GENERIC:
                self.warnings.append(f"institution dropped, a generic word: {draft.name!r}")
                continue
            evidence = self._entity_evidence("institution", name)
            if evidence is None:
                continue
            key = _key(name)
            aliases = [
                a for a in (strip_marks(a).strip() for a in draft.aliases) if a and a != name and self._mentioned(a)
            ]
            parent = draft.parent.strip() if draft.parent and self._mentioned(draft.parent) else None
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
        known = {_key(spelling) for i in merged.values() for spelling in (i.name, *i.aliases)}
        for name, start, end in institution_mentions(self.text):
            if _key(name) not in known and not any(_key(name) in k or k in _key(name) for k in known):
                evidence = self.grounder.sentence_around(start, end)
                kind = institution_type_from_name(name) or InstitutionType.other
                merged[_key(name)] = Institution(
                    name=name, type=kind, country=country_from_name(name), evidence=[evidence]
                )
        for institution in merged.values():
            for spelling in (institution.name, *institution.aliases):
                self._names.setdefault(_key(spelling), institution.name)
                self._spellings.append(spelling)
        self._institution_names = {i.name for i in merged.values()}
        self._regulators = [
            i.name for i in merged.values() if i.type in (InstitutionType.regulator, InstitutionType.central_bank)
        ]
        title = self.article.title or ""
        self._title_subject = next((i.name for i in merged.values() if i.name in title), None)
        return list(merged.values())

    def products(self, drafts: Iterable[ProductDraft]) -> list[Product]:
        merged: dict[str, Product] = {}
        for draft in drafts:
            name = strip_marks(draft.name).strip().strip("“”\"'「」")
            if name in self._institution_names and product_type_from_name(name) is None:
                self.warnings.append(f"product dropped, it is an institution: {name!r}")
                continue
            evidence = self._entity_evidence("product", name)
            if evidence is None:
                continue
            provider = self.canonical(draft.provider) if draft.provider and self._mentioned(draft.provider) else None
            features = []
            for feature in draft.features:
                located = self.grounder.locate(strip_marks(feature))
                if located is not None and located.text not in features:
                    features.append(located.text)
            key = _key(name)
            if key in merged:
                known = merged[key]
                known.features += [f for f in features if f not in known.features]
                known.provider = known.provider or provider
                continue
            merged[key] = Product(
                name=name,
                provider=provider,
                type=product_type_from_name(name) or draft.type,
                launched=parse_date(draft.launched, self.article.published_at)
                if draft.launched and self._mentioned(draft.launched)
                else None,
                features=features,
                evidence=[evidence],
            )
            self._names.setdefault(key, name)
            self._spellings.append(name)
        self._add_listed_products(merged)
        return list(merged.values())

    def _add_listed_products(self, merged: dict[str, Product]) -> None:
        """Products the article lists ("产品包括微粒贷、微车贷…") that the model left out;
        a sibling's provider, else the entity named before the list, else the title's."""
        listed = listed_products(self.text)
        for name, start, end, list_start in listed:
            key = _key(name)
            if key in merged or name in self._institution_names:
                continue
            siblings = [merged[_key(n)] for n, _, _, at in listed if at == list_start and _key(n) in merged]
            provider = next((p.provider for p in siblings if p.provider), None)
            provider = provider or self._named_before(list_start) or self._title_subject
            merged[key] = Product(
                name=name,
                provider=provider,
                type=product_type_from_name(name) or ProductType.other,
                evidence=[Evidence(text=name, start=start, end=end)],
            )
            self._names.setdefault(key, name)
            self._spellings.append(name)

    def _named_before(self, position: int) -> str | None:
        """The known institution named last before ``position`` in its sentence."""
        lo = sentence_start(self.text, position)
        window = self.text[lo:position]
        best = max(((window.rfind(s), s) for s in self._spellings if s), default=(-1, ""))
        name = self._names.get(_key(best[1]), best[1]) if best[0] >= 0 else None
        return name if name in self._institution_names else None

    # -- metrics ---------------------------------------------------------------------

    def metrics(self, labels: Iterable[MetricLabel], candidates: dict[int, Candidate]) -> list[FinancialMetric]:
        """A fact for each figure the model labelled or the words before it name."""
        by_id: dict[int, MetricLabel] = {}
        for label in labels:
            by_id.setdefault(label.id, label)
        facts: list[FinancialMetric] = []
        seen: set[tuple[object, ...]] = set()
        ordered = sorted(candidates.items(), key=lambda item: item[1].start)
        spans = [(c.start, c.end) for _, c in ordered]
        for number, candidate in ordered:
            if (
                self.text[candidate.start - 1 : candidate.start] == "["
                and self.text[candidate.end : candidate.end + 1] == "]"
            ):
                continue  # a reference mark such as [3][12], not a figure
            label = by_id.get(number)
            written = metric_from_context(
                self.text, candidate.start, candidate.end, candidate.figure.unit, figures=spans
            )
            if label is None and written is None:
                continue
            fact = self._metric(candidate, label, written)
            if fact is None:
                continue
            key = (fact.subject, fact.metric, fact.value, fact.value_max, fact.period_end, candidate.start)
            if key not in seen:
                seen.add(key)
                facts.append(fact)
        return facts

    def _metric(
        self, candidate: Candidate, label: MetricLabel | None, written: tuple[MetricKind, str] | None
    ) -> FinancialMetric | None:
        figure = candidate.figure
        subject = self._metric_subject(label.subject if label else None, candidate.start)
        if subject is None:
            self.warnings.append(f"metric dropped, no subject named in the article for {candidate.raw!r}")
            return None
        around = self.grounder.sentence_around(candidate.start, candidate.end)
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
            name = (
                proposed
                if proposed and proposed in clause
                else metric_name_near(self.text, candidate.start, candidate.end)
            )
        # the phrase written before the figure beats the model's reading of it
        period_text = period_before(self.text, candidate.start)
        start, end = self._period(period_text, point=metric in POINT_METRICS)
        return FinancialMetric(
            subject=subject,
            metric=metric,
            name=name or metric.value,
            value=figure.value,
            value_max=figure.value_max,
            unit=_unit_for(figure.unit, metric),
            raw=candidate.raw,
            qualifier=figure.qualifier,
            period_start=start,
            period_end=end,
            period_text=period_text,
            evidence=[around],
        )

    def _period(self, text: str | None, *, point: bool) -> tuple[str | None, str | None]:
        """parse_period, once per phrase in this article (its figures share a few)."""
        key = (text, point)
        if key not in self._periods:
            self._periods[key] = parse_period(text, self.article.published_at, point=point)
        return self._periods[key]

    def _metric_subject(self, proposed: str | None, position: int) -> str | None:
        """Who a figure is about: the entity named nearest before it in its sentence;
        else the model's choice when it is a known entity; else the article's main one."""
        near = nearest_name(self.text, position, self._spellings)
        if near is not None:
            return self._names.get(_key(near), near)
        subject = self.canonical(proposed)
        if subject and _key(subject) in self._names:
            return self._names[_key(subject)]
        return self._title_subject or self._main_entity()

    def _main_entity(self) -> str | None:
        """The known entity the body names most often."""
        counts: dict[str, int] = {}
        for spelling in self._spellings:
            name = self._names.get(_key(spelling), spelling)
            counts[name] = counts.get(name, 0) + self.text.count(spelling)
        best = max(counts.items(), key=lambda item: item[1], default=None)
        return best[0] if best and best[1] > 0 else None

    # -- regulatory actions ----------------------------------------------------------

    def actions(self, drafts: Iterable[ActionDraft]) -> list[RegulatoryAction]:
        facts: list[RegulatoryAction] = []
        seen: set[tuple[object, ...]] = set()
        for draft in drafts:
            evidence = self._ground(draft.quote)
            if evidence is None:
                self.warnings.append(f"regulatory action dropped, quote not found: {draft.quote!r}")
                continue
            clause = self.grounder.sentence_around(evidence.start, evidence.end).text
            if not any(word in clause for word in _REGULATORY_WORDS):
                self.warnings.append(
                    f"regulatory action dropped, its sentence names no regulatory act: {draft.quote!r}"
                )
                continue
            amount, currency = self._amount(draft.amount)
            target = self.canonical(draft.target)
            if target and not self._mentioned(target) and target not in self._names.values():
                target = None
            regulator = draft.regulator.strip() if draft.regulator and self._mentioned(draft.regulator) else None
            date = (
                parse_date(draft.date, self.article.published_at)
                if draft.date and self._mentioned(draft.date)
                else None
            )
            key = (target, draft.action, date, amount)
            if key in seen:
                continue
            seen.add(key)
            facts.append(
                RegulatoryAction(
                    regulator=regulator,
                    target=target,
                    action=draft.action,
                    summary=_summary(clause),
                    amount=amount,
                    currency=currency,
                    date=date,
                    reasons=[r.strip() for r in draft.reasons if r.strip()],
                    evidence=[evidence],
                )
            )
        return facts

    def rule_actions(self, found: list[RegulatoryAction]) -> list[RegulatoryAction]:
        """Acts the wording states (罚单, 批复, 新规…落地) that the model did not report."""
        added: list[RegulatoryAction] = []
        default_regulator = "监管" if "监管" in self.text else None
        for start, end in sentences(self.text):
            sentence = self.text[start:end].strip()
            kind = regulatory_act(sentence)
            if kind is None or len(sentence) < 6:
                continue
            start = self.text.index(sentence, start)
            end = start + len(sentence)
            if any(a.action is kind and any(e.start < end and start < e.end for e in a.evidence) for a in found):
                continue
            regulator = next((r for r in self._regulators if r in sentence), default_regulator)
            industry_wide = kind in (ActionKind.new_rule, ActionKind.rule_effective)
            target = None if industry_wide else self._metric_subject(None, end)
            money = [c for c in find_figures(sentence) if c.figure.unit in _CURRENCY_CODES]
            added.append(
                RegulatoryAction(
                    regulator=regulator,
                    target=target,
                    action=kind,
                    summary=_summary(sentence),
                    amount=money[0].figure.value if money else None,
                    currency=money[0].figure.unit if money else None,
                    date=parse_date(first_period(sentence), self.article.published_at),
                    reasons=reasons_in(sentence) if kind is ActionKind.fine else [],
                    evidence=[Evidence(text=sentence, start=start, end=end)],
                )
            )
        return added

    def _amount(self, raw: str | None) -> tuple[float | None, str | None]:
        if not raw:
            return None, None
        raw = strip_marks(raw).strip()
        if not self._mentioned(raw):
            self.warnings.append(f"action amount not in the article, left empty: {raw!r}")
            return None, None
        try:
            figure = parse_figure(raw)
        except FigureError:
            self.warnings.append(f"action amount unparsable, left empty: {raw!r}")
            return None, None
        currency = figure.unit if figure.unit in _CURRENCY_CODES else "CNY"
        return figure.value, currency


def _summary(sentence: str) -> str:
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


_TERM = re.compile(r"最长可?分(\d{1,3})期|最长(?:期限)?(\d{1,3})个月")


def fill_product_terms(product: Product, metrics: list[FinancialMetric], text: str, *, main_product: bool) -> None:
    """Rates, limits and terms of a product, copied from its grounded metrics."""
    for metric in metrics:
        if metric.subject != product.name:
            continue
        if metric.metric is MetricKind.interest_rate and metric.unit == "%" and "年" in metric.name:
            product.annual_rate_min = metric.value
            product.annual_rate_max = metric.value_max if metric.value_max is not None else metric.value
        elif metric.metric is MetricKind.credit_limit and metric.unit in _CURRENCY_CODES:
            product.credit_limit_min = metric.value if metric.value_max is not None else None
            product.credit_limit_max = metric.value_max if metric.value_max is not None else metric.value
    texts = [e.text for m in metrics if m.subject == product.name for e in m.evidence]
    if main_product:
        texts.append(text)
    for chunk in texts:
        match = _TERM.search(chunk)
        if match:
            product.max_term_months = int(match[1] or match[2])
            break
