"""One article to ``ArticleFacts``: prompt → call → validate → ground → normalise.

The model answers three small questions per piece of text (entities, labels for the
figures code found, regulatory actions); everything numeric is computed by code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from ._version import __version__
from .backends import Backend, choose_backend
from .cache import ResultCache, cache_key
from .chunking import Chunk, split_text
from .config import Config
from .drafts import ActionsDraft, ArticleDrafts, Draft, EntitiesDraft, MetricLabels
from .endpoint import Endpoint
from .llm import ModelCaller
from .models import Article, ArticleFacts, Meta, Usage, as_article
from .normalise import normalise
from .numbers import Candidate
from .prompting import MARK, PromptSet, build_messages, load_prompts
from .rules import numbered_figures

D = TypeVar("D", bound=Draft)
T = TypeVar("T")


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


async def _one_by_one(calls: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Each after the one before; when one fails, the rest are closed unstarted."""
    done: list[T] = []
    try:
        for call in calls:
            done.append(await call)
    finally:
        for call in calls[len(done) + 1 :]:
            call.close()
    return done


async def _together(calls: list[Coroutine[Any, Any, T]]) -> list[T]:
    """All of them at once; when one fails, the others are cancelled (not left running)."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@dataclass
class Drafts(ArticleDrafts):
    """The model's answers for one article and what asking for them took."""

    chunks: int = 1
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    cache_hits: int = 0
    warnings: list[str] = field(default_factory=list)
    cut: set[str] = field(default_factory=set)  # passes whose answer was cut at max_tokens


class Extractor:
    """Holds the backend, HTTP client and cache for many articles (one event loop)."""

    def __init__(self, config: Config | None = None, *, backend: Backend | None = None, max_requests: int = 64) -> None:
        self.config = config or Config.from_env()
        self.max_requests = max_requests  # on the wire at once, over all articles and passes
        self.prompts: PromptSet = load_prompts()
        self._backend = backend
        self._caller: ModelCaller | None = None
        self._endpoint: Endpoint | None = None
        self._cache = ResultCache(self.config.resolved_cache_dir()) if self.config.cache else None
        self._start_lock = asyncio.Lock()
        self._serial_lock = asyncio.Lock()

    async def endpoint(self) -> Endpoint:
        async with self._start_lock:
            if self._endpoint is None:
                backend = self._backend or choose_backend(self.config)
                self._backend = backend
                self._endpoint = await asyncio.to_thread(backend.start)
                # in a thread too: its TLS context and clients take ~50 ms to build, which on
                # the loop would stall every article being prepared at the start of a batch
                self._caller = await asyncio.to_thread(
                    ModelCaller, self.config, self._endpoint, max_connections=self.max_requests
                )
            return self._endpoint

    async def extract(self, article: Article | str | Any) -> ArticleFacts:
        began = time.perf_counter()
        article = as_article(article)
        endpoint = await self.endpoint()
        if endpoint.serial:
            async with self._serial_lock:
                drafts = await self._draft(article, endpoint)
        else:
            drafts = await self._draft(article, endpoint)
        return self._build(article, drafts, endpoint, began)

    async def _ask(
        self,
        endpoint: Endpoint,
        model: type[D],
        messages: list[dict[str, str]],
        drafts: Drafts,
        context: dict[str, Any] | None = None,
        max_items: int | None = None,
    ) -> D:
        """One pass, from the cache when this exact request was answered before."""
        assert self._caller is not None
        key = None
        if self._cache is not None:
            key = cache_key(
                model=endpoint.model,
                endpoint=endpoint.identity,
                prompt_hash=self.prompts.hash,
                schema=model.__name__,
                messages=messages,
                request={
                    "mode": self.config.resolved_mode,
                    "temperature": self.config.temperature,
                    "draft": model.model_json_schema(),
                    "max_items": max_items,
                },
            )
            hit = self._cache.get(key)
            if hit is not None:
                drafts.cache_hits += 1
                return model.model_validate(hit, context=context)
        result = await self._caller.call(model, messages, context=context, max_items=max_items)
        drafts.usage = drafts.usage.add(result.usage)
        drafts.calls += 1
        assert isinstance(result.value, model)
        if result.dropped:
            drafts.warnings.append(
                f"{model.__name__}: {result.dropped} items still invalid after the re-asks were left out"
            )
        if result.truncated:
            drafts.cut.add(model.__name__)
        elif self._cache is not None and key is not None and not result.dropped:  # kept whole answers only
            self._cache.put(key, result.value.model_dump(mode="json"))
        return result.value

    async def _draft(self, article: Article, endpoint: Endpoint) -> Drafts:
        read = article.text[: self.config.max_article_chars]
        candidates = numbered_figures(read)
        chunks = split_text(read, max_chars=self.config.chunk_chars, overlap=self.config.chunk_overlap)
        drafts = Drafts(candidates=candidates, chunks=len(chunks))
        if len(read) < len(article.text):
            drafts.warnings.append(
                f"truncated input: read the first {len(read)} of {len(article.text)} characters (max_article_chars)"
            )
        for chunk in chunks:
            shown = marked_text(article.text, chunk, candidates)

            def messages(task: str, shown: str = shown) -> list[dict[str, str]]:
                return build_messages(
                    self.prompts,
                    task,
                    text=shown,
                    title=article.title,
                    source=article.source,
                    published_at=article.published_at,
                )

            in_chunk = {n for n, c in candidates.items() if c.start >= chunk.start and c.end <= chunk.end}
            passes: list[Coroutine[Any, Any, Draft]] = [
                self._ask(endpoint, EntitiesDraft, messages("entities"), drafts)
            ]
            if in_chunk:
                context = {"candidate_ids": in_chunk}
                passes.append(
                    self._ask(endpoint, MetricLabels, messages("metrics"), drafts, context, max_items=len(in_chunk))
                )
            passes.append(self._ask(endpoint, ActionsDraft, messages("actions"), drafts))
            # the passes do not depend on each other; a serial server takes them in order
            # and reuses the article's prompt prefix from one to the next
            answers = await (_one_by_one(passes) if endpoint.serial else _together(passes))
            entities, actions = answers[0], answers[-1]
            assert isinstance(entities, EntitiesDraft) and isinstance(actions, ActionsDraft)
            drafts.institutions += entities.institutions
            drafts.products += entities.products
            if in_chunk:
                labels = answers[1]
                assert isinstance(labels, MetricLabels)
                drafts.labels += labels.metrics
            drafts.actions += actions.actions
        for model in (EntitiesDraft, MetricLabels, ActionsDraft):  # in pass order, however they finished
            if model.__name__ in drafts.cut:
                drafts.warnings.append(f"{model.__name__}: answer cut at max_tokens, only its complete items kept")
        return drafts

    def _build(self, article: Article, drafts: Drafts, endpoint: Endpoint, began: float) -> ArticleFacts:
        facts = normalise(article, drafts)
        # Meta allows fields beyond the contract's; these say how the facts were asked for
        extra: dict[str, Any] = {
            "calls": drafts.calls,
            "cache_hits": drafts.cache_hits,
            "mode": self.config.resolved_mode,
            "extractor_version": __version__,
        }
        meta = Meta(
            model=endpoint.model,
            provider=endpoint.provider,
            prompt_version=self.prompts.version,
            prompt_hash=self.prompts.hash,
            cached=drafts.calls == 0,
            usage=drafts.usage,
            latency_s=round(time.perf_counter() - began, 3),
            extracted_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            chunks=drafts.chunks,
            **extra,
        )
        return ArticleFacts(
            article=article,
            institutions=facts.institutions,
            metrics=facts.metrics,
            regulatory_actions=facts.regulatory_actions,
            products=facts.products,
            meta=meta,
            warnings=list(dict.fromkeys(drafts.warnings + facts.warnings)),
        )

    async def aclose(self) -> None:
        if self._caller is not None:
            await self._caller.aclose()
            self._caller = None
        if self._cache is not None:
            self._cache.close()
            self._cache = None
        if self._backend is not None:
            self._backend.stop()
