"""What the report shows of each fact: one place that knows the contract's four fact types."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import ArticleFacts, Evidence, FinancialMetric, Institution, Product, RegulatoryAction

KINDS = ("institutions", "metrics", "regulatory_actions", "products")
KIND_LABELS = {
    "institutions": "institution",
    "metrics": "metric",
    "regulatory_actions": "regulatory action",
    "products": "product",
}
_KEY_PREFIX = {"institutions": "i", "metrics": "m", "regulatory_actions": "a", "products": "p"}
# The columns of each fact type's table, in order; the fact cards show the same fields.
# Columns in SHORT hold enum values, figures and dates, kept on one line.
COLUMNS = {
    "institutions": ("name", "type", "aliases", "country", "parent"),
    "metrics": ("subject", "metric", "name", "value", "unit", "qualifier", "period", "period as written", "raw"),
    "regulatory_actions": ("regulator", "target", "action", "amount", "date", "reasons", "summary"),
    "products": ("name", "provider", "type", "launched", "annual rate", "credit limit", "max term", "features"),
}

SHORT = frozenset(
    {"type", "country", "metric", "value", "unit", "qualifier", "period", "raw", "action", "amount", "date"}
)


@dataclass(frozen=True)
class ShownFact:
    kind: str
    key: str  # unique within its article: i0, m3, a1, p2
    headline: str  # what names the fact in one phrase
    fields: dict[str, str]  # COLUMNS[kind] → text ("" when the fact has none)
    evidence: list[Evidence]


def number(value: float | int) -> str:
    """A normalised figure as it is, digits grouped: 6264000000 → 6,264,000,000."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return f"{int(value):,}"
    return f"{value:,}"


def span_of(low: float | int | None, high: float | int | None, suffix: str = "") -> str:
    if low is None or high is None or low == high:
        one = high if low is None else low
        return "" if one is None else number(one) + suffix
    return f"{number(low)} – {number(high)}{suffix}"


def period(start: str | None, end: str | None) -> str:
    """ISO 8601's interval notation (``2024-01-01/2024-12-31``, ``..`` for an open end);
    a point in time as ``at`` its date."""
    if not start and not end:
        return ""
    if start == end:
        return f"at {end}"
    return f"{start or '..'}/{end or '..'}"


def _institution(fact: Institution) -> dict[str, str]:
    return {
        "name": fact.name,
        "type": fact.type.value,
        "aliases": ", ".join(fact.aliases),
        "country": fact.country or "",
        "parent": fact.parent or "",
    }


def _metric(fact: FinancialMetric) -> dict[str, str]:
    return {
        "subject": fact.subject,
        "metric": fact.metric.value,
        "name": fact.name,
        "value": span_of(fact.value, fact.value_max),
        "unit": fact.unit,
        "qualifier": fact.qualifier.value,
        "period": period(fact.period_start, fact.period_end),
        "period as written": fact.period_text or "",
        "raw": fact.raw,
    }


def _action(fact: RegulatoryAction) -> dict[str, str]:
    amount = f"{number(fact.amount)} {fact.currency or ''}".strip() if fact.amount is not None else ""
    return {
        "regulator": fact.regulator or "",
        "target": fact.target or "",
        "action": fact.action.value,
        "amount": amount,
        "date": fact.date or "",
        "reasons": ", ".join(fact.reasons),
        "summary": fact.summary,
    }


def _product(fact: Product) -> dict[str, str]:
    return {
        "name": fact.name,
        "provider": fact.provider or "",
        "type": fact.type.value,
        "launched": fact.launched or "",
        "annual rate": span_of(fact.annual_rate_min, fact.annual_rate_max, "%"),
        "credit limit": span_of(fact.credit_limit_min, fact.credit_limit_max),
        "max term": f"{fact.max_term_months} months" if fact.max_term_months is not None else "",
        "features": ", ".join(fact.features),
    }


def shown_facts(facts: ArticleFacts) -> list[ShownFact]:
    """Every fact of the article, in the contract's order of types and the article's order within."""
    shown: list[ShownFact] = []
    for n, institution in enumerate(facts.institutions):
        fields = _institution(institution)
        shown.append(ShownFact("institutions", f"i{n}", institution.name, fields, institution.evidence))
    for n, metric in enumerate(facts.metrics):
        headline = f"{metric.subject} · {metric.name} {metric.raw}"
        shown.append(ShownFact("metrics", f"m{n}", headline, _metric(metric), metric.evidence))
    for n, action in enumerate(facts.regulatory_actions):
        headline = " → ".join(x for x in (action.regulator, action.action.value, action.target) if x)
        shown.append(ShownFact("regulatory_actions", f"a{n}", headline, _action(action), action.evidence))
    for n, product in enumerate(facts.products):
        shown.append(ShownFact("products", f"p{n}", product.name, _product(product), product.evidence))
    return shown


def names_in(facts: ArticleFacts) -> set[str]:
    """Every institution the article's facts name: institutions with their aliases, the
    subjects of figures, regulators and targets, product providers."""
    names = {i.name for i in facts.institutions} | {a for i in facts.institutions for a in i.aliases}
    names |= {m.subject for m in facts.metrics}
    names |= {x for a in facts.regulatory_actions for x in (a.regulator, a.target) if x}
    names |= {p.provider for p in facts.products if p.provider}
    return names
