"""Validation context for the model's answers, kept out of instructor's hands.

Validators need to know what the model was shown (the numbered figures, say). Handing
that to instructor as ``context`` would also make it render every message as a Jinja
template: an article with ``{{ 7*7 }}`` in it would reach the model as ``49``, and one
with ``{%`` would fail. So instructor gets no context; the caller sets it here for the
duration of a call, and validators read it with ``context_of``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic import ValidationInfo

_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("answer_validation_context", default=None)


@contextmanager
def validation_context(context: dict[str, Any] | None) -> Iterator[None]:
    token = _CONTEXT.set(context)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def context_of(info: ValidationInfo) -> dict[str, Any]:
    """The context passed to ``model_validate`` itself, else the one set around the call."""
    return info.context or _CONTEXT.get() or {}
