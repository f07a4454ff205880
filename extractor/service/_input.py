"""Request bodies to articles: size-limited, strictly shaped, every problem located.

An article is given by value only (``text`` and optional metadata): the service reads
no URL and no path from a request, so an unknown field such as ``url`` is refused
rather than ignored.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request

from ..models import Article, Origin, as_article

JSON = "application/json"
NDJSON = "application/x-ndjson"
_NDJSON_TYPES = {NDJSON, "application/jsonl", "application/x-jsonlines", "application/jsonlines"}
_MAX_PROBLEMS = 20


class ArticleIn(BaseModel):
    """One article as a client sends it."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="the article body (required, not blank)")
    title: str | None = None
    source: str | None = Field(default=None, description="publisher or outlet, as text")
    published_at: str | None = Field(default=None, description="publication date, e.g. 2025-08-29")
    id: str | None = Field(default=None, max_length=200, description="your id; default: a hash of the text")
    language: str | None = Field(default=None, description="zh or en; default: guessed from the text")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("the article text is empty")
        return text

    def to_article(self, origin: Origin | None = None) -> Article:
        return as_article(
            Article(
                id=self.id or "",
                title=self.title,
                source=self.source,
                published_at=self.published_at,
                language=self.language or "",
                text=self.text,
                origin=origin,
            )
        )


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit / (1024 * 1024):g} MB (--max-body-mb)")


class UnsupportedType(Exception):
    def __init__(self, given: str) -> None:
        super().__init__(
            f"content type {given or '(none)'!r}: send {JSON} (an article, or a list of them for a job) "
            f"or {NDJSON} (one article per line)"
        )


class BadInput(Exception):
    """The body is not what the route takes; ``problems`` say where and why."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems[:_MAX_PROBLEMS]
        first = _describe(problems[0])
        more = len(problems) - 1
        super().__init__(first + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""))


def _describe(problem: dict[str, Any]) -> str:
    where = " ".join(f"{k} {problem[k]}" for k in ("line", "item") if k in problem)
    field = problem.get("field")
    text = f"{field}: {problem['message']}" if field else problem["message"]
    return f"{where}: {text}" if where else text


def _problems(error: ValidationError, **where: int) -> list[dict[str, Any]]:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field (an article has text, title, source, published_at, id, language)"
        message = message.removeprefix("Value error, ")
        field = ".".join(str(part) for part in item["loc"]) or None
        problems.append({**where, "field": field, "message": message})
    return problems


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _decode(body: bytes, **where: int) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput([{**where, "message": f"not UTF-8 (byte {error.start})"}]) from None


def _loads(text: str, **where: int) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput([{**where, "message": f"invalid JSON: {error.msg} at column {error.colno}"}]) from None


def parse_article(body: bytes, content_type: str) -> Article:
    """The one article of ``POST /v1/extract``."""
    if content_type not in (JSON, ""):
        raise UnsupportedType(content_type)
    record = _loads(_decode(body))
    if not isinstance(record, dict):
        raise BadInput([{"message": f"expected an article object, got a JSON {type(record).__name__}"}])
    try:
        return ArticleIn.model_validate(record).to_article()
    except ValidationError as error:
        raise BadInput(_problems(error)) from None


def parse_articles(body: bytes, content_type: str) -> list[ArticleIn]:
    """The articles of ``POST /v1/jobs``: a JSON list, or NDJSON (blank lines skipped).

    Every problem is collected (up to 20) so that a client can fix a file in one go."""
    problems: list[dict[str, Any]] = []
    articles: list[ArticleIn] = []
    if content_type in _NDJSON_TYPES:
        for number, line in enumerate(body.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                record = _loads(_decode(line, line=number), line=number)
            except BadInput as error:
                problems += error.problems
                continue
            _validate(record, problems, articles, line=number)
    elif content_type in (JSON, ""):
        records = _loads(_decode(body))
        if not isinstance(records, list):
            raise BadInput([{"message": "expected a JSON list of articles (or send application/x-ndjson)"}])
        for number, record in enumerate(records, start=1):
            _validate(record, problems, articles, item=number)
    else:
        raise UnsupportedType(content_type)
    if problems:
        raise BadInput(problems)
    if not articles:
        raise BadInput([{"message": "the job has no articles"}])
    return articles


def _validate(record: Any, problems: list[dict[str, Any]], articles: list[ArticleIn], **where: int) -> None:
    if not isinstance(record, dict):
        problems.append({**where, "message": f"expected an article object, got a JSON {type(record).__name__}"})
        return
    try:
        articles.append(ArticleIn.model_validate(record))
    except ValidationError as error:
        problems += _problems(error, **where)
