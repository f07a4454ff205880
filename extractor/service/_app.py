"""The HTTP routes, and the one ``Service`` (store, extractor, queue) they share.

Routes parse and answer; the queue does the work. Nothing a route does depends on
the client staying connected: work is in the queue (and the store) before any wait.

(No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations
at run time, and they name objects local to ``create_app``.)
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, HTTPException, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..models import ArticleFacts, Origin
from ..pipeline import Extractor
from ._auth import ApiKeys
from ._input import (
    JSON,
    NDJSON,
    ArticleIn,
    BadInput,
    BodyTooLarge,
    UnsupportedType,
    media_type,
    parse_article,
    parse_articles,
    read_body,
)
from ._jobs import ActiveJob, JobQueue, JobTooLarge, NotAccepting, QueueFull, new_job_id
from ._metrics import CONTENT_TYPE, Metrics, RequestMetrics
from ._readiness import Readiness
from ._schemas import Health, JobList, JobState, JobStatus, Problem
from ._schemas import Readiness as ReadinessBody
from ._settings import ServiceSettings
from ._store import FINAL_STATES, JobRow, JobStore

log = logging.getLogger("extractor.service")

_Route = TypeVar("_Route", bound=Callable[..., Any])

_PAGE = 200  # results read from the store per chunk of a streamed answer
_PURGE_EVERY_S = 3600.0


class Service:
    """Everything one process serves with: one store, one ``Extractor``, one queue."""

    def __init__(self, settings: ServiceSettings, on_fatal: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.keys = ApiKeys(settings.api_keys)
        self.readiness = Readiness()
        self.store = JobStore(settings.database)
        self.on_fatal = on_fatal or (lambda _reason: None)
        self._extractor: Extractor | None = None
        self._queue: JobQueue | None = None
        self._watch: asyncio.Task[None] | None = None
        self._purger: asyncio.Task[None] | None = None
        self._drain_until: float | None = None

    @property
    def queue(self) -> JobQueue:
        assert self._queue is not None, "the service has not started"
        return self._queue

    async def start(self) -> None:
        await self.store.open()
        self._extractor = Extractor(self.settings.config, max_requests=self.settings.concurrency)
        self._queue = JobQueue(self._extractor, self.store, self.metrics, max_queued=self.settings.max_queued)
        await self._queue.resume()
        queue = self._queue
        self.metrics.watch(
            depth=lambda: queue.depth, in_flight=lambda: queue.in_flight, job_states=lambda: dict(queue.job_states)
        )
        self.metrics.ready.set_function(lambda: 1.0 if self.readiness.ready else 0.0)
        self._watch = asyncio.create_task(
            self.readiness.watch(self._extractor, on_change=self._backend_changed, on_fatal=self.on_fatal)
        )
        if self.settings.keep_days > 0:
            self._purger = asyncio.create_task(self._purge_old_jobs())

    async def _purge_old_jobs(self) -> None:
        while True:
            purged = await self.queue.purge(time.time() - self.settings.keep_days * 86400)
            if purged:
                log.info("forgot %d jobs finished more than %g days ago", purged, self.settings.keep_days)
            await asyncio.sleep(_PURGE_EVERY_S)

    async def _backend_changed(self, ready: bool) -> None:
        endpoint = self.readiness.endpoint
        if ready and endpoint is not None:
            # a server that takes one request at a time gets one article at a time, in
            # the queue's turn order: a sync request waits for one article, not N
            self.queue.start_workers(1 if endpoint.serial else self.settings.concurrency)
        await self.queue.set_paused(not ready)

    def begin_shutdown(self) -> None:
        """On SIGTERM (and at stop): take no new work from now on, answer waiters."""
        if self._drain_until is None:
            self._drain_until = time.monotonic() + self.settings.drain_timeout_s
            log.info("shutting down: no new work; articles in flight get %.0f s", self.settings.drain_timeout_s)
        self.readiness.shutting_down()
        if self._queue is not None:
            self._queue.stop_accepting()

    def drain_left_s(self) -> float:
        return max(0.0, (self._drain_until or time.monotonic()) - time.monotonic())

    async def stop(self) -> None:
        self.begin_shutdown()
        for task in (self._watch, self._purger):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._queue is not None:
            await self._queue.stop(self.drain_left_s())
        if self._extractor is not None:
            # its clients and cache; the embedded model's server stops when the process exits
            await self._extractor.aclose()
        await self.store.close()
        log.info("stopped; unfinished jobs resume at the next start")


# -- answers --------------------------------------------------------------------------


def _problem(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = Problem(detail=detail, **extra).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


def _install_error_answers(app: FastAPI) -> None:
    def answer(kind: type[Exception], make: Callable[[Any], JSONResponse]) -> None:
        async def handler(_request: Request, error: Exception) -> JSONResponse:
            return make(error)

        app.add_exception_handler(kind, handler)

    answer(BadInput, lambda e: _problem(422, str(e), problems=e.problems))
    answer(BodyTooLarge, lambda e: _problem(413, str(e)))
    answer(JobTooLarge, lambda e: _problem(413, str(e)))
    answer(UnsupportedType, lambda e: _problem(415, str(e)))
    answer(QueueFull, lambda e: _problem(429, str(e), headers={"Retry-After": str(e.retry_after_s)}))
    answer(NotAccepting, lambda e: _problem(503, str(e), headers={"Retry-After": "5"}))
    answer(
        RequestValidationError,
        lambda e: _problem(
            422,
            "; ".join(f"{'.'.join(str(p) for p in x['loc'])}: {x['msg']}" for x in e.errors()),
            problems=[{"field": ".".join(str(p) for p in x["loc"]), "message": x["msg"]} for x in e.errors()],
        ),
    )


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        401: "no API key, or not one of EXTRACTOR_API_KEYS",
        404: "no such job",
        409: "the job was cancelled (POST /v1/extract), or has already finished (DELETE)",
        413: "body over --max-body-mb, or a job larger than --max-queued",
        415: "content type not taken by this route",
        422: "invalid JSON or article: says which line (NDJSON) or item (list) and field",
        429: "more than --max-queued articles waiting; Retry-After says when to try again",
        500: "the extractor failed on this article (a bug): the error record",
        502: "the model could not give a valid answer: the error record",
        503: "shutting down: the work is kept in a job that resumes after a restart",
        504: "--sync-timeout passed: the job id of the work, which goes on",
    }
    return {status: {"model": Problem, "description": described[status]} for status in statuses}


def _article_body() -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": ArticleIn.model_json_schema()}}}


def _job_body() -> dict[str, Any]:
    article = ArticleIn.model_json_schema()
    return {
        "required": True,
        "content": {
            JSON: {"schema": {"type": "array", "items": article, "minItems": 1}},
            NDJSON: {"schema": {"type": "string", "description": "one article object (as in the list) per line"}},
        },
    }


# -- the app --------------------------------------------------------------------------


# renders a job's results and errors as one HTML page (the CLI hands in
# extractor.view.render_report: the service and the view are siblings that never import
# each other)
ViewRenderer = Callable[[list[dict[str, Any]], list[dict[str, Any]], str], str]


def create_app(
    settings: ServiceSettings,
    *,
    on_fatal: Callable[[str], None] | None = None,
    render_view: ViewRenderer | None = None,
) -> FastAPI:
    """The ASGI app; its lifespan starts and stops the ``Service``. With ``render_view``,
    ``GET /v1/jobs/{id}/view`` serves a job's HTML report."""
    service = Service(settings, on_fatal)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(
        title="finfacts-extractor",
        version=__version__,
        summary="Validated, grounded JSON facts from financial news: one article now, or many as a job",
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(RequestMetrics, metrics=service.metrics)
    _install_error_answers(app)

    bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <one of EXTRACTOR_API_KEYS>")
    key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="or X-API-Key: <key>")

    async def authorised(
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
        _key: Annotated[str | None, Security(key_header)],
    ) -> None:
        if not service.keys.allows(request.headers):
            raise HTTPException(
                401,
                "missing or unknown API key: send Authorization: Bearer <key> or X-API-Key: <key>",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _problem(error.status_code, str(error.detail), headers=dict(error.headers or {}))

    # -- health ----------------------------------------------------------------------

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        """The process is alive and its event loop answers."""
        return Health()

    @app.get(
        "/readyz",
        response_model=ReadinessBody,
        tags=["health"],
        responses={503: {"model": ReadinessBody, "description": "not ready: the reason"}},
    )
    async def readyz() -> Any:
        """200 once the model backend answers; 503 with the reason before, or while shutting down."""
        readiness = service.readiness
        if readiness.ready and readiness.endpoint is not None:
            return ReadinessBody(ready=True, model=readiness.endpoint.model)
        return JSONResponse(ReadinessBody(ready=False, reason=readiness.reason).model_dump(), status_code=503)

    @app.get(
        "/metrics",
        tags=["health"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
    )
    async def metrics() -> Response:
        """Requests by route and status, extraction latency, tokens, cache hits, jobs by state, queue depth."""
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)

    # -- /v1 -------------------------------------------------------------------------

    def v1(
        method: str, path: str, *, responses: dict[int | str, dict[str, Any]], **options: Any
    ) -> Callable[[_Route], _Route]:
        """A route under /v1: behind the API key, its error answers documented."""
        return app.api_route(
            f"/v1{path}",
            methods=[method],
            dependencies=[Security(authorised)],
            responses={**_errors(401), **responses},
            **options,
        )

    async def wait_for(job: ActiveJob, timeout_s: float) -> bool:
        finished = await service.queue.wait(job, timeout_s)
        if not finished and service.queue.closing.is_set() and job.running:
            # shutting down with this article in flight: it may still finish in the drain
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(job.finished), service.drain_left_s())
            finished = job.finished.done()
        return finished

    @v1(
        "POST",
        "/extract",
        tags=["extract"],
        response_model=ArticleFacts,
        responses=_errors(409, 413, 415, 422, 429, 500, 502, 503, 504),
        openapi_extra={"requestBody": _article_body()},
    )
    async def extract(request: Request) -> Response:
        """One article → its facts, exactly what ``extract()`` returns.

        The article goes through the same queue as jobs (its turn comes after at most one
        article of each other job). Past ``--sync-timeout`` the answer is 504 with the
        job id; the work goes on and its result is at ``/v1/jobs/{id}/results``."""
        body = await read_body(request, settings.max_body_bytes)
        article = parse_article(body, media_type(request))
        job = await service.queue.submit(new_job_id(), [article.model_dump_json()], "sync")
        location = {"Location": f"/v1/jobs/{job.id}"}
        if not await wait_for(job, settings.sync_timeout_s):
            if service.queue.closing.is_set():
                detail = f"the server is shutting down; the article is kept in job {job.id} and done after a restart"
                return _problem(503, detail, headers={**location, "Retry-After": "5"}, job_id=job.id)
            detail = f"not finished within {settings.sync_timeout_s:g} s; it goes on as job {job.id}"
            return _problem(504, detail, headers=location, job_id=job.id)
        try:
            row = job.finished.result()
        except Exception as error:  # the job could not be written to the store
            return _problem(500, f"the job could not be stored: {error}", job_id=job.id)
        outcome = job.last_outcome
        if row.state == "cancelled" or outcome is None:
            return _problem(409, f"job {job.id} was cancelled", headers=location, job_id=job.id)
        if outcome.result is not None:
            return Response(outcome.result, media_type=JSON, headers={"X-Job-Id": job.id})
        record = outcome.error or {}
        status = 500 if record.get("stage") == "internal" else 502
        return _problem(status, str(record.get("message")), headers=location, job_id=job.id, error=record)

    @v1(
        "POST",
        "/jobs",
        tags=["jobs"],
        status_code=202,
        response_model=JobStatus,
        responses=_errors(413, 415, 422, 429, 503),
        openapi_extra={"requestBody": _job_body()},
    )
    async def create_job(request: Request) -> JSONResponse:
        """Many articles (a JSON list, or NDJSON) → 202 and a job id; the work starts now.

        Results are kept across restarts; ``GET /v1/jobs/{id}?wait=S`` waits for the end."""
        body = await read_body(request, settings.max_body_bytes)
        kind = media_type(request)
        job_id = new_job_id()

        def articles() -> list[str]:
            given = parse_articles(body, kind)
            return [a.to_article(Origin(path=f"job:{job_id}", index=i)).model_dump_json() for i, a in enumerate(given)]

        job = await service.queue.submit(job_id, await asyncio.to_thread(articles), "batch")
        status = JobStatus.of(job.row(), service.queue.position(job), len(job.running))
        return JSONResponse(status.model_dump(), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"})

    @v1("GET", "/jobs", tags=["jobs"], response_model=JobList, responses={})
    async def list_jobs(state: JobState | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> JobList:
        """Jobs, newest first."""

        def status_of(row: JobRow) -> JobStatus:
            job = service.queue.active(row.id)  # unfinished: its counts are in memory
            if job is None:
                return JobStatus.of(row, None, 0)
            return JobStatus.of(job.row(), service.queue.position(job), len(job.running))

        return JobList(jobs=[status_of(row) for row in await service.store.jobs(limit=limit, state=state)])

    async def _view(job_id: str) -> JobStatus | None:
        view = await service.queue.status(job_id)
        return JobStatus.of(view.row, view.position, view.running) if view else None

    async def _known(job_id: str) -> JobStatus:
        view = await _view(job_id)
        if view is None:
            raise HTTPException(404, f"no job {job_id}")
        return view

    @v1("GET", "/jobs/{job_id}", tags=["jobs"], response_model=JobStatus, responses=_errors(404))
    async def job_status(
        job_id: str,
        wait: Annotated[
            float, Query(ge=0, le=settings.max_wait_s, description="seconds to wait for the job to finish")
        ] = 0,
    ) -> JobStatus:
        """State, counts and queue position; with ``wait`` a long poll that answers when the job finishes."""
        job = service.queue.active(job_id)
        if job is not None and wait:
            await service.queue.wait(job, wait)
        return await _known(job_id)

    def _stream(job_id: str, read: Callable[..., Awaitable[list[tuple[int, str]]]]) -> AsyncIterator[bytes]:
        async def lines() -> AsyncIterator[bytes]:
            after = -1
            while page := await read(job_id, after=after, limit=_PAGE):
                yield "".join(text + "\n" for _, text in page).encode("utf-8")
                after = page[-1][0]

        return lines()

    def _ndjson(status: JobStatus, chunks: AsyncIterator[bytes]) -> StreamingResponse:
        headers = {"X-Job-State": status.state, "X-Job-Complete": str(status.state in FINAL_STATES).lower()}
        return StreamingResponse(chunks, media_type=NDJSON, headers=headers)

    @v1(
        "GET",
        "/jobs/{job_id}/results",
        tags=["jobs"],
        response_class=StreamingResponse,
        responses={200: {"content": {NDJSON: {}}, "description": "one ArticleFacts per line"}, **_errors(404)},
    )
    async def job_results(job_id: str) -> StreamingResponse:
        """NDJSON of ``ArticleFacts``, streamed in input order: every finished article so far
        (all of them once ``X-Job-Complete: true``). ``article.origin.index`` is its position."""
        status = await _known(job_id)
        return _ndjson(status, _stream(job_id, service.store.results))

    @v1(
        "GET",
        "/jobs/{job_id}/errors",
        tags=["jobs"],
        response_class=StreamingResponse,
        responses={200: {"content": {NDJSON: {}}, "description": "one error record per line"}, **_errors(404)},
    )
    async def job_errors(job_id: str) -> StreamingResponse:
        """NDJSON of the failed articles' records (as in ``errors.jsonl``), in input order."""
        status = await _known(job_id)
        return _ndjson(status, _stream(job_id, service.store.errors))

    async def _all(job_id: str, read: Callable[..., Awaitable[list[tuple[int, str]]]]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        after = -1
        while page := await read(job_id, after=after, limit=_PAGE):
            records += [json.loads(text) for _, text in page]
            after = page[-1][0]
        return records

    @v1(
        "GET",
        "/jobs/{job_id}/view",
        tags=["jobs"],
        response_class=HTMLResponse,
        responses={200: {"content": {"text/html": {}}, "description": "the job's HTML report"}, **_errors(404)},
    )
    async def job_view(job_id: str) -> Response:
        """The job's HTML report, as ``extractor view`` writes it for a run: every finished
        article with its facts highlighted in the text, and every failed one with its error
        (so far, while the job runs; ``X-Job-Complete`` says whether it is all)."""
        status = await _known(job_id)
        if render_view is None:
            return _problem(404, "this service was started without the HTML view")
        facts = await _all(job_id, service.store.results)
        errors = await _all(job_id, service.store.errors)
        page = await asyncio.to_thread(render_view, facts, errors, f"Job {job_id}")
        headers = {"X-Job-State": status.state, "X-Job-Complete": str(status.state in FINAL_STATES).lower()}
        return HTMLResponse(page, headers=headers)

    @v1("DELETE", "/jobs/{job_id}", tags=["jobs"], response_model=JobStatus, responses=_errors(404, 409))
    async def cancel_job(job_id: str) -> Any:
        """Cancel: nothing more of the job is started, its articles in flight are dropped;
        what had finished stays in its results and errors."""
        row = await service.queue.cancel(job_id)
        if row is not None:
            return JobStatus.of(row, None, 0)
        status = await _known(job_id)
        if status.state in ("done", "failed"):
            return _problem(409, f"job {job_id} has already finished ({status.state})", job_id=job_id)
        return status

    return app
