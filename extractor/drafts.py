"""What the model is asked to fill: names, labels and verbatim quotes, never numbers.

Each pass has its own small schema so that a 1.5B model sees only what it needs, and
writes only what code cannot find itself: an entity is grounded where the article names
it, a figure's period is read from the words before it, an action's summary is its
sentence. Generated tokens are the dear ones on a CPU. Code turns drafts into contract
facts (``normalise.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

import instructor
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from typing_extensions import Self

from .models import ActionKind, InstitutionType, MetricKind, ProductType
from .numbers import Candidate
from .validation import context_of


def _compact(node: Any, *, top: bool = False) -> Any:
    """Drop titles and descriptions: the prompt explains fields, the grammar keeps shape.

    The top-level title stays: it names the answer, and instructor's ``tools`` mode uses
    it as the function's name (``generate_openai_schema`` reads ``schema["title"]``)."""
    if isinstance(node, dict):
        return {k: _compact(v) for k, v in node.items() if k != "description" and (k != "title" or top)}
    if isinstance(node, list):
        return [_compact(v) for v in node]
    return node


_SCHEMAS: dict[type[BaseModel], dict[str, Any]] = {}


class Draft(BaseModel):
    """A model-facing schema, sent compactly (every prompt token costs on a CPU model).

    The schema is built once per class: pydantic takes about a millisecond to generate
    it, and every request asks for it twice (instructor, and the grammar bounds)."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            compact: dict[str, Any] = _compact(super().model_json_schema(*args, **kwargs), top=True)
            return compact
        if cls not in _SCHEMAS:
            _SCHEMAS[cls] = _compact(super().model_json_schema(), top=True)
        fresh: dict[str, Any] = _compact(_SCHEMAS[cls], top=True)  # a fresh copy: callers may change it
        return fresh


# errors quoted back to the model in a re-ask: a small model that mixes up the tasks can
# make every item wrong, and 36 errors of 360 characters each (the answer echoed before
# them) fill an 8k context, leaving no room for the corrected answer
REASK_ERRORS = 5


def fewer_errors(error: ValidationError, keep: int = REASK_ERRORS) -> ValidationError:
    """The same error with its first ``keep`` line errors (the re-ask names a few)."""
    details = error.errors(include_url=False)
    if len(details) <= keep:
        return error
    return ValidationError.from_exception_data(error.title, details[:keep])  # type: ignore[arg-type]


class Answer(Draft, instructor.ResponseSchema):
    """A whole answer to one pass. Being a ResponseSchema already, it is used by
    instructor as it is, not wrapped in a freshly created class on every call.

    A failing answer raises with its first few errors only: instructor quotes the error
    to the model when it re-asks."""

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as error:
            raise fewer_errors(error) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as error:
            raise fewer_errors(error) from None

    @classmethod
    def valid_items(cls, data: Any, context: dict[str, Any] | None = None) -> tuple[Self, int] | None:
        """The answer with each list's failing items left out, and how many were: for an
        answer still wrong after its re-asks. None when the answer is no object of lists,
        or no item of it stands."""
        if not isinstance(data, dict):
            return None
        kept: dict[str, list[Any]] = {}
        dropped = 0
        for name, info in cls.model_fields.items():
            items = data.get(name, [])
            (item_model, *_) = get_args(info.annotation) or (None,)
            if not isinstance(items, list) or not (isinstance(item_model, type) and issubclass(item_model, Draft)):
                return None
            kept[name] = []
            for item in items:
                try:
                    kept[name].append(item_model.model_validate(item, context=context))
                except ValidationError:
                    dropped += 1
        if not any(kept.values()):
            return None
        return cls.model_validate(kept, context=context), dropped


class InstitutionDraft(Draft):
    name: str = Field(description="the fullest name the article uses, e.g. 微众银行")
    aliases: list[str] = Field(default_factory=list, description="other names used in the article")
    type: InstitutionType
    country: str | None = Field(default=None, description="ISO code such as CN, IN, US")
    parent: str | None = Field(default=None, description="owner named in the article")


class ProductDraft(Draft):
    name: str = Field(description="product name, e.g. 微粒贷")
    provider: str | None = Field(default=None, description="the institution offering it")
    type: ProductType
    launched: str | None = Field(default=None, description="launch time as written, e.g. 2015年")
    features: list[str] = Field(default_factory=list, description="short phrases copied from the article")


class EntitiesDraft(Answer):
    institutions: list[InstitutionDraft] = Field(default_factory=list)
    products: list[ProductDraft] = Field(default_factory=list)


class MetricLabel(Draft):
    id: int = Field(description="the number of the figure in the list")
    subject: str = Field(description="the institution or product the figure is about")
    metric: MetricKind
    name: str = Field(description="the metric as the article names it, e.g. 不良贷款率")

    @field_validator("id")
    @classmethod
    def _known_candidate(cls, value: int, info: ValidationInfo) -> int:
        known = context_of(info).get("candidate_ids")
        if known is not None and value not in known:
            raise ValueError(f"id {value} is not in the numbered list; use one of {sorted(known)}")
        return value


class MetricLabels(Answer):
    metrics: list[MetricLabel] = Field(default_factory=list)


class ActionDraft(Draft):
    regulator: str | None = Field(default=None, description="who acts, or the article's word such as 监管")
    target: str | None = Field(default=None, description="institution acted on; null for an industry-wide rule")
    action: ActionKind
    amount: str | None = Field(default=None, description="money involved, copied as written, e.g. 超1300万元")
    date: str | None = Field(default=None, description="when, as written, e.g. 2025年10月")
    reasons: list[str] = Field(default_factory=list, description="violations or grounds cited")
    quote: str = Field(description="a phrase copied verbatim from the article")


class ActionsDraft(Answer):
    actions: list[ActionDraft] = Field(default_factory=list)


@dataclass
class ArticleDrafts:
    """What the model said about one article, over all its pieces and passes, and the
    numbered figures it was shown: the input of ``normalise``."""

    candidates: dict[int, Candidate]
    institutions: list[InstitutionDraft] = field(default_factory=list)
    products: list[ProductDraft] = field(default_factory=list)
    labels: list[MetricLabel] = field(default_factory=list)
    actions: list[ActionDraft] = field(default_factory=list)
