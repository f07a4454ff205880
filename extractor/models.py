"""The output contract (``SCHEMA.md``, version 1) as Pydantic models.

Field names, enums and meanings are fixed by the contract; extra fields that the
contract allows (``Article.origin`` and ``Article.origins``, ``Meta``) are additions,
never renames.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .chars import count_cjk

SCHEMA_VERSION = "1"


class InstitutionType(str, Enum):
    bank = "bank"
    internet_bank = "internet_bank"
    consumer_finance_company = "consumer_finance_company"
    microlender = "microlender"
    fintech_platform = "fintech_platform"
    payment_company = "payment_company"
    tech_company = "tech_company"
    regulator = "regulator"
    central_bank = "central_bank"
    court = "court"
    government_agency = "government_agency"
    collection_agency = "collection_agency"
    law_firm = "law_firm"
    media = "media"
    rating_agency = "rating_agency"
    other = "other"


class MetricKind(str, Enum):
    revenue = "revenue"
    net_profit = "net_profit"
    net_loss = "net_loss"
    npl_ratio = "npl_ratio"
    provision_coverage_ratio = "provision_coverage_ratio"
    capital_adequacy_ratio = "capital_adequacy_ratio"
    registered_capital = "registered_capital"
    capital_increase = "capital_increase"
    total_assets = "total_assets"
    loan_balance = "loan_balance"
    loan_volume = "loan_volume"
    customer_count = "customer_count"
    user_count = "user_count"
    interest_rate = "interest_rate"
    credit_limit = "credit_limit"
    complaint_count = "complaint_count"
    fine_amount = "fine_amount"
    bad_debt_ratio = "bad_debt_ratio"
    gross_margin = "gross_margin"
    market_share = "market_share"
    it_spending_ratio = "it_spending_ratio"
    other = "other"


class Qualifier(str, Enum):
    exact = "exact"
    approx = "approx"
    over = "over"
    under = "under"
    range = "range"


class ActionKind(str, Enum):
    fine = "fine"
    approval = "approval"
    new_rule = "new_rule"
    rule_effective = "rule_effective"
    warning = "warning"
    investigation = "investigation"
    rectification_order = "rectification_order"
    license_revocation = "license_revocation"
    business_restriction = "business_restriction"
    disclosure_requirement = "disclosure_requirement"
    other = "other"


class ProductType(str, Enum):
    consumer_loan = "consumer_loan"
    revolving_credit = "revolving_credit"
    sme_loan = "sme_loan"
    car_loan = "car_loan"
    installment = "installment"
    deposit = "deposit"
    wealth_management = "wealth_management"
    payment = "payment"
    insurance = "insurance"
    other = "other"


class Evidence(BaseModel):
    """A verbatim span: ``article.text[start:end] == text`` (code points)."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Evidence:
        if self.end - self.start != len(self.text):
            raise ValueError("end - start must equal len(text)")
        return self


class Origin(BaseModel):
    """Where an article was read from (outside the contract's required fields)."""

    path: str
    index: int | None = None


class Article(BaseModel):
    id: str = ""
    title: str | None = None
    source: str | None = None
    published_at: str | None = None
    language: str = ""
    text: str
    origin: Origin | None = None  # where it was first read
    origins: list[Origin] = Field(default_factory=list)  # every input it was read from (same body)

    @field_validator("published_at", mode="before")
    @classmethod
    def _iso_time(cls, value: object) -> object:
        """A ``date`` or ``datetime`` is kept as the contract's ISO 8601 text."""
        if isinstance(value, datetime):
            return value.isoformat(timespec="minutes") if value.second == 0 else value.isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return value


class Institution(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    type: InstitutionType = InstitutionType.other
    country: str | None = None
    parent: str | None = None
    evidence: list[Evidence] = Field(min_length=1)


class FinancialMetric(BaseModel):
    subject: str
    metric: MetricKind
    name: str
    value: float
    value_max: float | None = None
    unit: str
    raw: str
    qualifier: Qualifier = Qualifier.exact
    period_start: str | None = None
    period_end: str | None = None
    period_text: str | None = None
    evidence: list[Evidence] = Field(min_length=1)


class RegulatoryAction(BaseModel):
    regulator: str | None = None
    target: str | None = None
    action: ActionKind
    summary: str
    amount: float | None = None
    currency: str | None = None
    date: str | None = None
    reasons: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(min_length=1)


class Product(BaseModel):
    name: str
    provider: str | None = None
    type: ProductType = ProductType.other
    launched: str | None = None
    annual_rate_min: float | None = None
    annual_rate_max: float | None = None
    credit_limit_min: float | None = None
    credit_limit_max: float | None = None
    max_term_months: int | None = None
    features: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(min_length=1)


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    requests: int = 0

    def add(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            requests=self.requests + other.requests,
        )


class Meta(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    provider: str
    prompt_version: str
    prompt_hash: str
    cached: bool = False
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    extracted_at: str
    chunks: int = 1


class ArticleFacts(BaseModel):
    schema_version: str = SCHEMA_VERSION
    article: Article
    institutions: list[Institution] = Field(default_factory=list)
    metrics: list[FinancialMetric] = Field(default_factory=list)
    regulatory_actions: list[RegulatoryAction] = Field(default_factory=list)
    products: list[Product] = Field(default_factory=list)
    meta: Meta
    warnings: list[str] = Field(default_factory=list)

    def fact_counts(self) -> dict[str, int]:
        return {
            "institutions": len(self.institutions),
            "metrics": len(self.metrics),
            "regulatory_actions": len(self.regulatory_actions),
            "products": len(self.products),
        }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``ArticleFacts`` as written to ``schemas/``."""
    schema = ArticleFacts.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "article-facts.v1.schema.json"
    return schema


def normalise_text(text: str) -> str:
    """The contract's body: NFC, ``\\r\\n`` → ``\\n``, nothing else changed."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def article_id(text: str) -> str:
    """Stable: the same body text gives the same id."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:16]


_LATIN_WORD = re.compile(r"[A-Za-z]+")


def _guess_language(text: str) -> str:
    """``zh`` or ``en``, by what the first 2,000 characters are mostly written in: a
    Chinese character says about what an English word says, so the one with more of
    them wins (a Chinese article naming WeBank and GAAP is ``zh``; an English one quoting
    微众银行 is ``en``); a text with neither is ``zh``."""
    sample = text[:2000]
    return "en" if len(_LATIN_WORD.findall(sample)) > count_cjk(sample) else "zh"


def as_article(article: Article | str | Any) -> Article:
    """Accept a body string, an ``Article`` or any object with title/source/published_at/text."""
    if isinstance(article, str):
        article = Article(text=article, language="")
    elif not isinstance(article, Article):
        article = Article(
            title=getattr(article, "title", None),
            source=getattr(article, "source", None),
            published_at=getattr(article, "published_at", None),
            language=getattr(article, "language", None) or "",
            text=article.text,
        )
    text = normalise_text(article.text)
    return article.model_copy(
        update={
            "text": text,
            "id": article.id or article_id(text),
            "language": article.language or _guess_language(text),
            "origins": article.origins or ([article.origin] if article.origin else []),
        }
    )
