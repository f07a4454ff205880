"""One article to ``ArticleFacts``: prompt → call → validate → ground → normalise.

The model is asked three small questions per piece of text (entities, labels for
code-found figures, regulatory actions); everything numeric is computed by code.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

from .backends import Backend, choose_backend
from .cache import ResultCache, cache_key
from .chunking import Chunk, split_text
from .config import Config
from .drafts import ActionDraft, ActionsDraft, EntitiesDraft, InstitutionDraft, MetricLabel, MetricLabels, ProductDraft
from .llm import Endpoint, ModelCaller
from .models import Article, ArticleFacts, Meta, Usage
from .normalise import Normaliser
from .numbers import Candidate, find_figures
from .prompting import MARK, PromptSet, build_messages, load_prompts


def normalise_text(text: str) -> str:
    """The contract's body: NFC, ``\\r\\n`` → ``\\n``, nothing else changed."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def article_id(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:16]


def as_article(article: Article | str | object) -> Article:
    """Accept a body string, an ``Article`` or any object with title/source/published_at/text."""
    if isinstance(article, str):
        article = Article(text=article)
    elif not isinstance(article, Article):
        article = Article(
            title=getattr(article, "title", None),
            source=getattr(article, "source", None),
            published_at=getattr(article, "published_at", None),
            language=getattr(article, "language", None) or "zh",
            text=getattr(article, "text"),
        )
    text = normalise_text(article.text)
    language = article.language or _guess_language(text)
    return article.model_copy(update={"text": text, "id": article.id or article_id(text), "language": language})


def _guess_language(text: str) -> str:
    cjk = sum(1 for c in text[:2000] if "\u4e00" <= c <= "\u9fff")
    return "zh" if cjk * 5 >= min(len(text), 2000) * 0.5 or cjk > 20 else "en"


def marked_text(text: str, chunk: Chunk, candidates: dict[int, Candidate]) -> str:
    """The chunk with 【#n】 before every candidate figure it contains."""
    pieces: list[str] = []
    at = chunk.start
    for number, candidate in sorted(candidates.items(), key=lambda item: item[1].start):
        if candidate.start < chunk.start or candidate.end > chunk.end:
            continue
        pieces.append(text[at : candidate.start])
        pieces.append(MARK.format(n=number) + candidate.raw)
        at = candidate.end
    pieces.append(text[at : chunk.end])
    return "".join(pieces)


@dataclass
class Drafts:
    institutions: list[InstitutionDraft]
    products: list[ProductDraft]
    labels: list[MetricLabel]
    actions: list[ActionDraft]
    usage: Usage
    candidates: dict[int, Candidate]
    chunks: int


class Extractor:
    """Holds the backend, HTTP client and cache for many articles (one event loop)."""

    def __init__(self, config: Config | None = None, *, backend: Backend | None = None) -> None:
        self.config = config or Config.from_env()
        self.prompts: PromptSet = load_prompts()
        self._backend = backend
        self._caller: ModelCaller | None = None
        self._endpoint: Endpoint | None = None
        self._cache = ResultCache(self.config.resolved_cache_dir()) if self.config.cache else None
        self._start_lock = asyncio.Lock()

    async def endpoint(self) -> Endpoint:
        async with self._start_lock:
            if self._endpoint is None:
                backend = self._backend or choose_backend(self.config)
                self._backend = backend
                self._endpoint = await asyncio.to_thread(backend.start)
                self._caller = ModelCaller(self.config, self._endpoint)
            return self._endpoint

    def key_for(self, article: Article, endpoint_identity: str, model: str) -> str:
        return cache_key(
            model=model,
            endpoint=endpoint_identity,
            prompt_hash=self.prompts.hash,
            text=article.text,
            title=article.title,
            published_at=article.published_at,
        )

    async def extract(self, article: Article | str | object) -> ArticleFacts:
        began = time.perf_counter()
        article = as_article(article)
        endpoint = await self.endpoint()
        key = self.key_for(article, endpoint.identity, endpoint.model)
        if self._cache is not None:
            hit = self._cache.get(key)
            if hit is not None:
                facts = ArticleFacts.model_validate(hit)
                facts.article = article
                facts.meta.cached = True
                facts.meta.latency_s = round(time.perf_counter() - began, 4)
                return facts
        drafts = await self._draft(article)
        facts = self._build(article, drafts, endpoint, began)
        if self._cache is not None:
            stored = facts.model_dump(mode="json")
            self._cache.put(key, stored)
        return facts

    async def _draft(self, article: Article) -> Drafts:
        assert self._caller is not None
        candidates = {n: c for n, c in enumerate(find_figures(article.text), start=1)}
        chunks = split_text(article.text, max_chars=self.config.chunk_chars, overlap=self.config.chunk_overlap)
        drafts = Drafts([], [], [], [], Usage(), candidates, len(chunks))
        for chunk in chunks:
            messages = lambda task: build_messages(  # noqa: E731
                self.prompts,
                task,
                text=marked_text(article.text, chunk, candidates),
                title=article.title,
                source=article.source,
                published_at=article.published_at,
            )
            entities = await self._caller.call(EntitiesDraft, messages("entities"))
            drafts.usage = drafts.usage.add(entities.usage)
            assert isinstance(entities.value, EntitiesDraft)
            drafts.institutions += entities.value.institutions
            drafts.products += entities.value.products
            in_chunk = {n for n, c in candidates.items() if c.start >= chunk.start and c.end <= chunk.end}
            if in_chunk:
                labels = await self._caller.call(MetricLabels, messages("metrics"), context={"candidate_ids": in_chunk})
                drafts.usage = drafts.usage.add(labels.usage)
                assert isinstance(labels.value, MetricLabels)
                drafts.labels += labels.value.metrics
            actions = await self._caller.call(ActionsDraft, messages("actions"))
            drafts.usage = drafts.usage.add(actions.usage)
            assert isinstance(actions.value, ActionsDraft)
            drafts.actions += actions.value.actions
        return drafts

    def _build(self, article: Article, drafts: Drafts, endpoint: Endpoint, began: float) -> ArticleFacts:
        normaliser = Normaliser(article)
        institutions = normaliser.institutions(drafts.institutions)
        metrics = normaliser.metrics(drafts.labels, drafts.candidates)
        products = normaliser.products(drafts.products, metrics)
        actions = normaliser.actions(drafts.actions)
        meta = Meta(
            model=endpoint.model,
            provider=endpoint.provider,
            prompt_version=self.prompts.version,
            prompt_hash=self.prompts.hash,
            cached=False,
            usage=drafts.usage,
            latency_s=round(time.perf_counter() - began, 3),
            extracted_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            chunks=drafts.chunks,
            mode=self.config.resolved_mode,
        )
        return ArticleFacts(
            article=article,
            institutions=institutions,
            metrics=metrics,
            regulatory_actions=actions,
            products=products,
            meta=meta,
            warnings=list(dict.fromkeys(normaliser.warnings)),
        )

    async def aclose(self) -> None:
        if self._caller is not None:
            await self._caller.aclose()
            self._caller = None
        if self._cache is not None:
            self._cache.close()
        if self._backend is not None:
            self._backend.stop()
