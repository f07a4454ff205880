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
from .grounding import Grounder
from .models import (
    Article,
    Evidence,
    FinancialMetric,
    Institution,
    MetricKind,
    Product,
    RegulatoryAction,
)
from .numbers import Candidate, FigureError, parse_figure
from .periods import parse_date, parse_period, period_before
from .prompting import strip_marks

_GENERIC = {
    "监管", "监管部门", "监管机构", "公司", "该公司", "本公司", "银行", "该行", "本行", "平台", "机构",
    "催收机构", "网贷公司", "网贷平台", "金融机构", "中国网贷公司", "消费者", "用户", "客户", "政府",
}
_SELF_WORDS = {"公司", "该公司", "本公司", "该行", "本行", "该平台", "该机构", "集团"}

MONEY_METRICS = {
    MetricKind.revenue, MetricKind.net_profit, MetricKind.net_loss, MetricKind.registered_capital,
    MetricKind.capital_increase, MetricKind.total_assets, MetricKind.loan_balance, MetricKind.loan_volume,
    MetricKind.fine_amount, MetricKind.credit_limit,
}
RATIO_METRICS = {
    MetricKind.npl_ratio, MetricKind.provision_coverage_ratio, MetricKind.capital_adequacy_ratio,
    MetricKind.interest_rate, MetricKind.bad_debt_ratio, MetricKind.gross_margin, MetricKind.market_share,
    MetricKind.it_spending_ratio,
}
# Stocks and ratios sit at a point in time; flows cover a span.
POINT_METRICS = {
    MetricKind.npl_ratio, MetricKind.provision_coverage_ratio, MetricKind.capital_adequacy_ratio,
    MetricKind.registered_capital, MetricKind.total_assets, MetricKind.loan_balance, MetricKind.bad_debt_ratio,
}
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

    # -- shared helpers --------------------------------------------------------------

    def _mentioned(self, name: str) -> bool:
        folded = _key(name)
        return bool(folded) and (
            folded in _key(self.text) or folded in _key(self.article.title or "")
        )

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
            if not name or name in _GENERIC or not self._mentioned(name):
                self.warnings.append(f"institution dropped, not named in the article: {draft.name!r}")
                continue
            evidence = self._ground(draft.quote, fallback=name)
            if evidence is None:
                self.warnings.append(f"institution dropped, quote not found: {draft.name!r}: {draft.quote!r}")
                continue
            key = _key(name)
            aliases = [a for a in (strip_marks(a).strip() for a in draft.aliases) if a and a != name and self._mentioned(a)]
            parent = draft.parent.strip() if draft.parent and self._mentioned(draft.parent) else None
            country = draft.country.upper() if draft.country and re.fullmatch(r"[A-Za-z]{2}", draft.country) else None
            if key in merged:
                known = merged[key]
                known.aliases = sorted(set(known.aliases) | set(aliases))
                known.parent = known.parent or parent
                if all(e.start != evidence.start for e in known.evidence):
                    known.evidence.append(evidence)
                continue
            merged[key] = Institution(
                name=name, aliases=aliases, type=draft.type, country=country, parent=parent, evidence=[evidence]
            )
        for institution in merged.values():
            for spelling in (institution.name, *institution.aliases):
                self._names.setdefault(_key(spelling), institution.name)
        title = self.article.title or ""
        self._title_subject = next((i.name for i in merged.values() if i.name in title), None)
        return list(merged.values())

    def products(self, drafts: Iterable[ProductDraft], metrics: list[FinancialMetric]) -> list[Product]:
        merged: dict[str, Product] = {}
        for draft in drafts:
            name = strip_marks(draft.name).strip().strip("“”\"'「」")
            if not name or not self._mentioned(name):
                self.warnings.append(f"product dropped, not named in the article: {draft.name!r}")
                continue
            evidence = self._ground(draft.quote, fallback=name)
            if evidence is None:
                self.warnings.append(f"product dropped, quote not found: {draft.name!r}: {draft.quote!r}")
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
                type=draft.type,
                launched=parse_date(draft.launched, self.article.published_at) if draft.launched and self._mentioned(draft.launched) else None,
                features=features,
                evidence=[evidence],
            )
            self._names.setdefault(key, name)
        for product in merged.values():
            _fill_product_terms(product, metrics, self.text)
        return list(merged.values())

    # -- metrics ---------------------------------------------------------------------

    def metrics(self, labels: Iterable[MetricLabel], candidates: dict[int, Candidate]) -> list[FinancialMetric]:
        facts: list[FinancialMetric] = []
        seen_ids: set[int] = set()
        seen_keys: set[tuple[object, ...]] = set()
        for label in labels:
            candidate = candidates.get(label.id)
            if candidate is None or label.id in seen_ids:
                continue
            seen_ids.add(label.id)
            subject = self.canonical(label.subject)
            if not subject or subject in _GENERIC or not self._mentioned(subject) and subject not in self._names.values():
                self.warnings.append(f"metric dropped, subject not named in the article: {label.subject!r} ({candidate.raw})")
                continue
            figure = candidate.figure
            period_text = label.period.strip() if label.period else None
            if period_text and not self._mentioned(period_text):
                period_text = None
            if period_text is None:
                period_text = period_before(self.text, candidate.start)
            start, end = parse_period(period_text, self.article.published_at, point=label.metric in POINT_METRICS)
            fact = FinancialMetric(
                subject=subject,
                metric=label.metric,
                name=strip_marks(label.name).strip() or label.metric.value,
                value=figure.value,
                value_max=figure.value_max,
                unit=_unit_for(figure.unit, label.metric),
                raw=candidate.raw,
                qualifier=figure.qualifier,
                period_start=start,
                period_end=end,
                period_text=period_text,
                evidence=[self.grounder.sentence_around(candidate.start, candidate.end)],
            )
            key = (fact.subject, fact.metric, fact.value, fact.value_max, fact.period_end, candidate.start)
            if key not in seen_keys:
                seen_keys.add(key)
                facts.append(fact)
        return facts

    # -- regulatory actions ----------------------------------------------------------

    def actions(self, drafts: Iterable[ActionDraft]) -> list[RegulatoryAction]:
        facts: list[RegulatoryAction] = []
        seen: set[tuple[object, ...]] = set()
        for draft in drafts:
            evidence = self._ground(draft.quote, fallback=strip_marks(draft.amount) if draft.amount else None)
            if evidence is None:
                self.warnings.append(f"regulatory action dropped, quote not found: {draft.quote!r}")
                continue
            amount, currency = self._amount(draft.amount)
            target = self.canonical(draft.target)
            if target and not self._mentioned(target) and target not in self._names.values():
                target = None
            regulator = draft.regulator.strip() if draft.regulator and self._mentioned(draft.regulator) else None
            date = parse_date(draft.date, self.article.published_at) if draft.date and self._mentioned(draft.date) else None
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


def _unit_for(unit: str | None, metric: MetricKind) -> str:
    if unit:
        return unit
    if metric in MONEY_METRICS:
        return "CNY"
    if metric in RATIO_METRICS:
        return "%"
    return "count"


_TERM = re.compile(r"(?:最长|最多)?可?分(\d{1,3})期|(\d{1,3})个月")


def _fill_product_terms(product: Product, metrics: list[FinancialMetric], text: str) -> None:
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
    for evidence in (e for m in metrics if m.subject == product.name for e in m.evidence):
        match = _TERM.search(evidence.text)
        if match and "最长" in evidence.text:
            product.max_term_months = int(match[1] or match[2])
