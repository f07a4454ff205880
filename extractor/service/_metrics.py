"""Prometheus metrics of one service process, and the ASGI middleware that counts requests.

Requests are labelled by route template (``/v1/jobs/{job_id}``), never by the path a
client sent, so job ids cannot grow the number of series.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from ..models import ArticleFacts, Usage

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Everything ``GET /metrics`` reports, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        r = self.registry
        self.requests = Counter(
            "extractor_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "extractor_http_request_duration_seconds", "time to answer an HTTP request", ["route"], registry=r
        )
        self.extraction_seconds = Histogram(
            "extractor_extraction_seconds",
            "one article through the extractor, from its turn to its facts or error",
            ["outcome"],
            buckets=_SECONDS,
            registry=r,
        )
        self.articles = Counter("extractor_articles", "articles finished", ["outcome"], registry=r)
        self.tokens = Counter("extractor_tokens", "model tokens used", ["kind"], registry=r)
        self.model_calls = Counter("extractor_model_calls", "passes sent to the model", registry=r)
        self.cache_hits = Counter("extractor_cache_hits", "passes answered from the answer cache", registry=r)
        self.jobs = Gauge("extractor_jobs", "jobs by state (all kept in the job store)", ["state"], registry=r)
        self.queue_depth = Gauge("extractor_queue_depth", "articles waiting for a worker", registry=r)
        self.in_flight = Gauge("extractor_articles_in_flight", "articles being extracted now", registry=r)
        self.ready = Gauge("extractor_ready", "1 when the model backend answers", registry=r)

    def watch(
        self, *, depth: Callable[[], int], in_flight: Callable[[], int], job_states: Callable[[], dict[str, int]]
    ) -> None:
        """Gauges read at scrape time from the queue."""
        self.queue_depth.set_function(depth)
        self.in_flight.set_function(in_flight)
        for state in JOB_STATES:
            self.jobs.labels(state=state).set_function(_count_of(job_states, state))

    def article_done(self, seconds: float, facts: ArticleFacts) -> None:
        self.extraction_seconds.labels(outcome="ok").observe(seconds)
        self.articles.labels(outcome="ok").inc()
        self._usage(facts.meta.usage)
        self.model_calls.inc(int(getattr(facts.meta, "calls", 0) or 0))
        self.cache_hits.inc(int(getattr(facts.meta, "cache_hits", 0) or 0))

    def article_failed(self, seconds: float, usage: Usage | None) -> None:
        self.extraction_seconds.labels(outcome="failed").observe(seconds)
        self.articles.labels(outcome="failed").inc()
        if usage is not None:
            self._usage(usage)

    def _usage(self, usage: Usage) -> None:
        self.tokens.labels(kind="prompt").inc(usage.prompt_tokens)
        self.tokens.labels(kind="completion").inc(usage.completion_tokens)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _count_of(counts: Callable[[], dict[str, int]], key: str) -> Callable[[], float]:
    return lambda: float(counts().get(key, 0))


class RequestMetrics:
    """Pure ASGI middleware: counts and times every HTTP request by route and status."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(method=scope["method"], route=route, status=str(status)).inc()
            self.metrics.request_seconds.labels(route=route).observe(time.perf_counter() - began)
