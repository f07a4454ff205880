"""``extractor serve`` as a real server process, talked to with a real HTTP client (httpx).

The model endpoint is the stub (tests/support/openai_stub.py) in a thread of the test
process, answering with the embedded model's recorded answers; every server binds
127.0.0.1 on a free port and is stopped by its test.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from typer.testing import CliRunner

from extractor.articles import load
from extractor.backends.weights import MODEL_NAME
from extractor.cli import app
from extractor.config import Config
from extractor.models import Article, article_id
from extractor.pipeline import Extractor

from .conftest import FIXTURES
from .support.openai_stub import StubEndpoint
from .support.recorded import answer_from_recordings, recorded_answers, seed_variations, shown_article
from .support.service_process import ServiceProcess

pytest.importorskip("fastapi", reason="the service needs the serve extra")

SEED = [a for a in load([FIXTURES / "weilidai-digest.txt"]) if isinstance(a, Article)]
SCHEMA = json.loads((FIXTURES.parent.parent / "schemas" / "article-facts.v1.schema.json").read_text(encoding="utf-8"))
KEYS = ("alpha-key-5f1c0e7d", "beta-key-91ab24c3")
PLANTED = "planted-wrong-key-7d3e99"
UNANSWERABLE = "（此文无法抽取）"  # the stub answers articles containing this with broken JSON
ERROR_FIELDS = {"id", "source", "index", "title", "stage", "error_type", "message", "origins"}  # as errors.jsonl
NDJSON = {"content-type": "application/x-ndjson"}


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """Recorded answers; not-JSON (every time, re-asks too) for an article marked unanswerable."""
    if UNANSWERABLE in shown_article(request):
        completion = json.loads(json.dumps(next(iter(recorded_answers().values()))))
        completion["choices"][0]["message"]["content"] = "this is not JSON"
        return completion
    return answer_from_recordings(request)


def payload(article: Article) -> dict[str, Any]:
    return {
        "text": article.text,
        "title": article.title,
        "source": article.source,
        "published_at": article.published_at,
    }


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def assert_grounded(facts: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(facts)
    text = facts["article"]["text"]
    for kind in ("institutions", "metrics", "regulatory_actions", "products"):
        for fact in facts[kind]:
            for evidence in fact["evidence"]:
                assert text[evidence["start"] : evidence["end"]] == evidence["text"]


def wait_done(client: httpx.Client, job_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/v1/jobs/{job_id}", params={"wait": 10}).json()
        if status["state"] in ("done", "failed", "cancelled"):
            return status
    raise AssertionError(f"job {job_id} did not finish: {status}")


def wait_until(check: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--mode", "yaml"], {}, "--mode"),
        (["--timeout", "0"], {}, "--timeout"),
        ([], {"EXTRACTOR_MODE": "yaml"}, "EXTRACTOR_MODE"),
        ([], {"EXTRACTOR_STALL_TIMEOUT_S": "-1"}, "EXTRACTOR_STALL_TIMEOUT_S"),
    ],
)
def test_a_bad_setting_stops_serve_before_it_listens(
    tmp_path: Path, args: list[str], env: dict[str, str], named: str
) -> None:
    data = tmp_path / "data"
    command = ["serve", "--base-url", "http://127.0.0.1:9/v1", "--data-dir", str(data), "--port", "0", *args]
    result = CliRunner().invoke(app, command, env={"EXTRACTOR_CACHE_DIR": str(tmp_path / "cache"), **env})
    assert result.exit_code == 2, result.output
    assert "usage error" in result.output and named in result.output
    assert not data.exists(), "no store is made before the settings are checked"


# -- one server for the routes' contract -------------------------------------------------


@pytest.fixture(scope="module")
def stub() -> Iterator[StubEndpoint]:
    with StubEndpoint(answer) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def slow_stub() -> Iterator[StubEndpoint]:
    with StubEndpoint(answer, delay_s=0.05) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def servers(
    stub: StubEndpoint, slow_stub: StubEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ServiceProcess]]:
    """Two servers, started side by side: one for the routes' contract (with API keys),
    one on a slow endpoint with one worker and a small queue (turns, backpressure)."""
    root = tmp_path_factory.mktemp("service")
    contract = ServiceProcess(
        root / "data",
        stub.base_url,
        *("--concurrency", "8", "--max-body-mb", "1"),
        env={
            "EXTRACTOR_API_KEYS": ",".join(KEYS),
            "EXTRACTOR_CACHE_DIR": str(root / "cache"),
            "EXTRACTOR_MAX_ATTEMPTS": "1",
        },
    )
    slow = ServiceProcess(
        root / "slow-data",
        slow_stub.base_url,
        *("--concurrency", "1", "--max-queued", "50", "--sync-timeout", "2.5", "--no-cache"),
        env={"EXTRACTOR_CACHE_DIR": str(root / "slow-cache"), "EXTRACTOR_MAX_ATTEMPTS": "1"},
    )
    with contract.launch(), slow.launch():
        yield {"contract": contract.ready(), "slow": slow.ready()}


@pytest.fixture(scope="module")
def service(servers: dict[str, ServiceProcess]) -> ServiceProcess:
    return servers["contract"]


@pytest.fixture(scope="module")
def slow_service(servers: dict[str, ServiceProcess]) -> ServiceProcess:
    return servers["slow"]


@pytest.fixture
def client(service: ServiceProcess) -> Iterator[httpx.Client]:
    with service.client(headers={"Authorization": f"Bearer {KEYS[0]}"}) as http:
        yield http


def test_sync_route_returns_what_extract_returns_for_the_seed_articles(
    client: httpx.Client, stub: StubEndpoint, tmp_path: Path
) -> None:
    config = Config(base_url=stub.base_url, model=MODEL_NAME, mode="llama_json", cache_dir=tmp_path, max_attempts=1)

    async def direct() -> list[dict[str, Any]]:
        extractor = Extractor(config)
        try:
            return [
                (await extractor.extract(a.model_copy(update={"origin": None, "origins": []}))).model_dump(mode="json")
                for a in SEED
            ]
        finally:
            await extractor.aclose()

    expected = asyncio.run(direct())
    facts_seen = 0
    for article, wanted in zip(SEED, expected, strict=True):
        response = client.post("/v1/extract", json=payload(article))
        assert response.status_code == 200, response.text
        facts = response.json()
        assert_grounded(facts)
        for meta in (facts["meta"], wanted["meta"]):
            meta.pop("latency_s"), meta.pop("extracted_at")
        assert facts == wanted
        assert client.get(f"/v1/jobs/{response.headers['x-job-id']}").json()["kind"] == "sync"
        facts_seen += sum(len(facts[k]) for k in ("institutions", "metrics", "regulatory_actions", "products"))
    assert facts_seen > 5 * len(SEED)


def test_a_sync_article_the_model_cannot_answer_gets_502_with_its_error_record(client: httpx.Client) -> None:
    response = client.post("/v1/extract", json={"text": SEED[2].text + UNANSWERABLE, "title": "坏答案"})
    assert response.status_code == 502
    body = response.json()
    assert set(body["error"]) == ERROR_FIELDS and body["error"]["stage"] == "validation"
    assert body["error"]["title"] == "坏答案" and body["detail"] == body["error"]["message"]
    assert body["error"]["origins"] == []  # given by value: read from no file
    assert client.get(f"/v1/jobs/{body['job_id']}").json()["state"] == "failed"


def test_a_200_article_job_finishes_with_every_article_once_in_input_order(client: httpx.Client) -> None:
    records = seed_variations(200)
    failing = {37, 150}
    for index in failing:
        records[index] = {**records[index], "text": records[index]["text"] + UNANSWERABLE}
    response = client.post("/v1/jobs", content=ndjson(records), headers=NDJSON)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["counts"]["total"] == 200 and job["state"] in ("queued", "running")

    status = wait_done(client, job["id"])
    assert status["state"] == "done"
    assert status["counts"] == {"total": 200, "ok": 198, "failed": 2, "pending": 0, "running": 0, "cancelled": 0}
    results = lines(client.get(f"/v1/jobs/{job['id']}/results"))
    errors = lines(client.get(f"/v1/jobs/{job['id']}/errors"))
    wanted = [article_id(r["text"]) for r in records]
    assert [r["article"]["origin"]["index"] for r in results] == [i for i in range(200) if i not in failing]
    assert [r["article"]["id"] for r in results] == [wanted[i] for i in range(200) if i not in failing]
    assert [e["index"] for e in errors] == sorted(failing)
    for error in errors:
        assert set(error) == ERROR_FIELDS
        assert error["id"] == wanted[error["index"]] and error["source"] == f"job:{job['id']}"
        assert error["origins"] == [{"path": f"job:{job['id']}", "index": error["index"]}]
        assert error["stage"] == "validation"
    for facts in results[:10]:
        assert_grounded(facts)


def test_a_json_list_job_and_the_job_list(client: httpx.Client) -> None:
    records = seed_variations(203)[200:]
    response = client.post("/v1/jobs", json=records)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert wait_done(client, job_id)["counts"]["ok"] == 3
    assert len(lines(client.get(f"/v1/jobs/{job_id}/results"))) == 3
    listed = client.get("/v1/jobs", params={"limit": 5}).json()["jobs"]
    assert listed[0]["id"] == job_id and listed[0]["kind"] == "batch"
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 409  # finished: nothing to cancel


def test_every_v1_route_needs_a_key_and_no_key_is_ever_kept(service: ServiceProcess) -> None:
    job_id = "0" * 32
    routes = [
        ("POST", "/v1/extract"),
        ("POST", "/v1/jobs"),
        ("GET", "/v1/jobs"),
        ("GET", f"/v1/jobs/{job_id}"),
        ("GET", f"/v1/jobs/{job_id}/results"),
        ("GET", f"/v1/jobs/{job_id}/errors"),
        ("DELETE", f"/v1/jobs/{job_id}"),
    ]
    seen: list[str] = []
    with service.client() as http:
        for method, path in routes:
            for headers in (
                {},
                {"Authorization": f"Bearer {PLANTED}"},
                {"X-API-Key": PLANTED},
                {"Authorization": KEYS[0]},
            ):
                response = http.request(method, path, headers=headers, json={"text": "x"})
                assert response.status_code == 401, (method, path, headers)
                assert response.headers["www-authenticate"] == "Bearer"
                seen.append(response.text)
        for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
            assert http.get(path).status_code == 200, path
        article = {"text": SEED[0].text + "（鉴权）"}
        by_bearer = http.post("/v1/extract", json=article, headers={"Authorization": f"Bearer {KEYS[0]}"})
        by_header = http.post("/v1/extract", json=article, headers={"X-API-Key": KEYS[1]})
        assert by_bearer.status_code == by_header.status_code == 200
        seen += [by_bearer.text, by_header.text, json.dumps(dict(by_bearer.headers))]
        listed = http.get("/v1/jobs", headers={"X-API-Key": KEYS[1]})
        seen.append(listed.text)
    kept = [service.log_text(), *seen]
    kept += [p.read_bytes().decode("utf-8", "replace") for p in service.data_dir.iterdir() if p.is_file()]
    for secret in (*KEYS, PLANTED):
        assert not any(secret in text for text in kept), secret


def test_bad_requests_get_clear_answers(client: httpx.Client) -> None:
    big = {"text": "银行" * 400_000}  # over the 1 MB this server takes
    assert client.post("/v1/extract", json=big).status_code == 413
    chunked = client.post("/v1/jobs", content=iter([b"[" + b" " * 600_000, b" " * 600_000 + b"]"]))
    assert chunked.status_code == 413 and "max-body-mb" in chunked.json()["detail"]

    assert (
        client.post("/v1/extract", content=b"{not json", headers={"content-type": "application/json"}).status_code
        == 422
    )
    blank = client.post("/v1/extract", json={"text": "  \n"})
    assert blank.status_code == 422 and blank.json()["detail"] == "text: the article text is empty"
    fetch = client.post("/v1/extract", json={"text": "正文", "url": "http://127.0.0.1:9/secret"})
    assert fetch.status_code == 422 and fetch.json()["problems"][0]["field"] == "url"
    assert client.post("/v1/extract", json=["a list"]).status_code == 422

    body = b'{"text": "\xe6\xad\xa3\xe6\x96\x87"}\n\n{"title": "no text"}\n{"text": 3}\nnot json\n'
    bad = client.post("/v1/jobs", content=body, headers=NDJSON)
    assert bad.status_code == 422
    assert bad.json()["detail"] == "line 3: text: Field required (and 2 more problems)"
    assert [(p["line"], p.get("field")) for p in bad.json()["problems"]] == [(3, "text"), (4, "text"), (5, None)]
    listed = client.post("/v1/jobs", json=[{"text": "正文"}, {"text": ""}])
    assert listed.status_code == 422 and listed.json()["detail"].startswith("item 2: text:")
    assert client.post("/v1/jobs", json=[]).json()["detail"] == "the job has no articles"
    assert client.post("/v1/jobs", json={"text": "one"}).status_code == 422
    assert (
        client.post(
            "/v1/jobs", content=b"text=1", headers={"content-type": "application/x-www-form-urlencoded"}
        ).status_code
        == 415
    )
    assert client.get("/v1/jobs/unknown", params={"wait": 100_000}).status_code == 422

    for method, path in (("GET", ""), ("GET", "/results"), ("GET", "/errors"), ("DELETE", "")):
        response = client.request(method, f"/v1/jobs/no-such-job{path}")
        assert response.status_code == 404 and response.json()["detail"] == "no job no-such-job"


def test_the_openapi_document_lists_every_route(client: httpx.Client) -> None:
    from extractor.service import ServiceSettings, create_app

    document = client.get("/openapi.json").json()
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    app = create_app(ServiceSettings())
    served = {
        (route.path, method)
        for route in app.routes
        if getattr(route, "include_in_schema", False)
        for method in getattr(route, "methods", ())
    }
    assert documented == served
    assert documented >= {
        ("/healthz", "GET"),
        ("/readyz", "GET"),
        ("/metrics", "GET"),
        ("/v1/extract", "POST"),
        ("/v1/jobs", "POST"),
        ("/v1/jobs", "GET"),
        ("/v1/jobs/{job_id}", "GET"),
        ("/v1/jobs/{job_id}", "DELETE"),
        ("/v1/jobs/{job_id}/results", "GET"),
        ("/v1/jobs/{job_id}/errors", "GET"),
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path.startswith("/v1"):
                assert "401" in operation["responses"] and operation.get("security"), (path, method)
            if method == "post":
                assert operation["requestBody"]["content"], path
    assert "application/x-ndjson" in document["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]
    assert "504" in document["paths"]["/v1/extract"]["post"]["responses"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text

    # and each documented operation is served: answered by its route, not "Not Found" / 405
    record = seed_variations(211)[210]
    job_id = client.post("/v1/jobs", json=[record]).json()["id"]
    wait_done(client, job_id)
    for path, method in sorted(documented):
        response = client.request(method, path.format(job_id=job_id), json=[record] if path == "/v1/jobs" else record)
        assert response.status_code in (200, 202, 409), (method, path, response.status_code)


def test_metrics_count_requests_latency_tokens_cache_hits_jobs_and_queue(client: httpx.Client) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    article = {"text": SEED[1].text + "（指标）"}
    first, second = (client.post("/v1/extract", json=article) for _ in range(2))
    assert first.status_code == second.status_code == 200
    assert not first.json()["meta"]["cached"] and second.json()["meta"]["cached"]
    client.get("/v1/jobs/not-a-job")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("extractor_http_requests_total", method="POST", route="/v1/extract", status="200") >= 2
    assert value("extractor_http_requests_total", method="GET", route="/v1/jobs/{job_id}", status="404") >= 1
    assert not any("not-a-job" in str(labels) for _, labels in samples)
    assert value("extractor_extraction_seconds_count", outcome="ok") >= 2
    assert value("extractor_extraction_seconds_bucket", outcome="ok", le="+Inf") >= 2
    assert value("extractor_tokens_total", kind="prompt") > 0 and value("extractor_tokens_total", kind="completion") > 0
    assert value("extractor_cache_hits_total") >= 3  # the second request's three passes
    assert value("extractor_jobs", state="done") >= 2
    assert ("extractor_queue_depth", ()) in samples and ("extractor_articles_in_flight", ()) in samples
    assert value("extractor_ready") == 1


# -- a slow endpoint: turns, backpressure, timeouts, cancelling ------------------------------


@pytest.fixture
def slow(slow_service: ServiceProcess, slow_stub: StubEndpoint) -> Iterator[httpx.Client]:
    slow_stub.delay_s = 0.05
    with slow_service.client() as http:
        yield http
        for job in http.get("/v1/jobs").json()["jobs"]:  # leave the queue empty for the next test
            if job["state"] in ("queued", "running"):
                http.delete(f"/v1/jobs/{job['id']}")


def test_a_sync_request_waits_for_one_article_of_a_running_job_not_for_the_job(slow: httpx.Client) -> None:
    big = slow.post("/v1/jobs", json=seed_variations(320)[300:]).json()
    wait_until(lambda: slow.get(f"/v1/jobs/{big['id']}").json()["counts"]["ok"] >= 2)
    answered = slow.post("/v1/extract", json=seed_variations(331)[330])
    assert answered.status_code == 200
    done_by_then = slow.get(f"/v1/jobs/{big['id']}").json()["counts"]["ok"]
    assert done_by_then <= 6  # in turn: one article of the big job, then this one (first-come would be 20)

    small = slow.post("/v1/jobs", json=seed_variations(344)[340:]).json()
    assert small["queue_position"] == 1  # the big job's next article goes first, then this job's
    assert wait_done(slow, small["id"])["counts"]["ok"] == 4
    assert slow.get(f"/v1/jobs/{big['id']}").json()["counts"]["pending"] >= 6
    assert wait_done(slow, big["id"])["counts"]["ok"] == 20


def test_a_full_queue_answers_429_with_retry_after_and_cancel_frees_it(slow: httpx.Client) -> None:
    first = slow.post("/v1/jobs", json=seed_variations(440)[400:]).json()  # 40 of the 50 the queue holds
    refused = slow.post("/v1/jobs", json=seed_variations(460)[440:])
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    too_big = slow.post("/v1/jobs", json=seed_variations(51))
    assert too_big.status_code == 413 and "--max-queued" in too_big.json()["detail"]

    cancelled = slow.delete(f"/v1/jobs/{first['id']}")
    assert cancelled.status_code == 200
    counts = cancelled.json()["counts"]
    assert cancelled.json()["state"] == "cancelled" and counts["cancelled"] > 0
    assert counts["ok"] + counts["failed"] + counts["cancelled"] == 40
    assert len(lines(slow.get(f"/v1/jobs/{first['id']}/results"))) == counts["ok"]
    assert slow.delete(f"/v1/jobs/{first['id']}").json()["state"] == "cancelled"  # again: the same answer
    accepted = slow.post("/v1/jobs", json=seed_variations(460)[440:])
    assert accepted.status_code == 202


def test_past_the_sync_timeout_504_names_the_job_that_finishes_the_work(
    slow: httpx.Client, slow_stub: StubEndpoint
) -> None:
    slow_stub.delay_s = 3.0
    response = slow.post("/v1/extract", json=seed_variations(501)[500])
    assert response.status_code == 504
    job_id = response.json()["job_id"]
    assert response.headers["location"] == f"/v1/jobs/{job_id}"
    assert wait_done(slow, job_id)["state"] == "done"
    (facts,) = lines(slow.get(f"/v1/jobs/{job_id}/results"))
    assert facts["article"]["id"] == article_id(seed_variations(501)[500]["text"])


def test_a_client_that_disconnects_does_not_cancel_its_work(slow: httpx.Client, slow_stub: StubEndpoint) -> None:
    slow_stub.delay_s = 1.0
    record = seed_variations(511)[510]
    with pytest.raises(httpx.ReadTimeout):
        slow.post("/v1/extract", json=record, timeout=0.3)
    job = slow.get("/v1/jobs", params={"limit": 1}).json()["jobs"][0]
    assert job["kind"] == "sync" and job["state"] in ("queued", "running")
    assert wait_done(slow, job["id"])["state"] == "done"
    (facts,) = lines(slow.get(f"/v1/jobs/{job['id']}/results"))
    assert facts["article"]["id"] == article_id(record["text"])


# -- crashes and stops ---------------------------------------------------------------------


def _items_by_state(data_dir: Path, job_id: str) -> dict[str, int]:
    with sqlite3.connect(data_dir / "jobs.sqlite3") as db:
        return dict(db.execute("SELECT state, count(*) FROM items WHERE job_id = ? GROUP BY state", (job_id,)))


def _check_complete(http: httpx.Client, job_id: str, records: list[dict[str, Any]]) -> None:
    status = wait_done(http, job_id)
    assert status["state"] == "done" and status["counts"]["ok"] == len(records), status
    results = lines(http.get(f"/v1/jobs/{job_id}/results"))
    assert [r["article"]["id"] for r in results] == [article_id(r["text"]) for r in records]
    assert lines(http.get(f"/v1/jobs/{job_id}/errors")) == []


def test_sigterm_then_kill_9_mid_job_and_restarts_finish_every_article_exactly_once(tmp_path: Path) -> None:
    """One job through three server processes: stopped by SIGTERM, killed with -9, finished."""
    records = seed_variations(630)[600:]
    env = {"EXTRACTOR_CACHE_DIR": str(tmp_path / "cache"), "EXTRACTOR_MAX_ATTEMPTS": "1"}
    args = ("--concurrency", "2", "--no-cache", "--drain-timeout", "5")
    data = tmp_path / "data"

    def ok(http: httpx.Client, job_id: str) -> int:
        return int(http.get(f"/v1/jobs/{job_id}").json()["counts"]["ok"])

    with StubEndpoint(answer, delay_s=0.05) as stub:
        # 1. SIGTERM mid-job, with a sync request waiting: exit 0, what is done is kept
        first = ServiceProcess(data, stub.base_url, *args, env=env).start()
        try:
            with first.client() as http:
                job_id = http.post("/v1/jobs", content=ndjson(records), headers=NDJSON).json()["id"]
                wait_until(lambda: ok(http, job_id) >= 3)
                waiting: dict[str, httpx.Response] = {}
                sync = threading.Thread(
                    target=lambda: waiting.setdefault(
                        "answer", http.post("/v1/extract", json=seed_variations(631)[630])
                    )
                )
                sync.start()
                time.sleep(0.05)
                began = time.monotonic()
                assert first.terminate() == 0
                assert time.monotonic() - began < 20  # the drain is 5 s: it did not hang
                sync.join(timeout=10)
        finally:
            first.kill()
        answered = waiting["answer"]
        assert answered.status_code in (200, 503), answered.text  # finished in the drain, or kept for later
        assert "shutting down" in first.log_text() and "Traceback" not in first.log_text()
        at_stop = _items_by_state(data, job_id)
        assert at_stop.get("ok", 0) >= 3 and at_stop.get("pending", 0) > 0

        # 2. the next start resumes the job; kill -9 it in the middle
        second = ServiceProcess(data, stub.base_url, *args, env=env).start()
        try:
            assert "resuming job" in second.log_text()
            with second.client() as http:
                wait_until(lambda: ok(http, job_id) >= at_stop["ok"] + 3)
        finally:
            second.kill()
        at_kill = _items_by_state(data, job_id)
        assert at_kill["ok"] >= at_stop["ok"] + 3 and at_kill.get("pending", 0) > 0  # it really was mid-job
        requests_before = stub.stats.requests

        # 3. the third finishes it: every article once, in input order, none done twice
        with ServiceProcess(data, stub.base_url, *args, env=env) as third, third.client() as http:
            _check_complete(http, job_id, records)
            if answered.status_code == 503:
                assert wait_done(http, answered.json()["job_id"])["state"] == "done"
        # only what was not committed at the kill was sent again (at most three passes an article, +1 sync)
        assert stub.stats.requests - requests_before <= 3 * (at_kill["pending"] + 1)


def test_a_jobs_view_is_the_report_of_its_results_and_errors(client: httpx.Client) -> None:
    """GET /v1/jobs/{id}/view: the page ``extractor view`` writes, for the job's articles
    (every finished one with its highlights, every failed one with its error)."""
    from .test_view import KINDS, pages_of, parse

    records = seed_variations(206)[203:]
    records[1] = {**records[1], "text": records[1]["text"] + UNANSWERABLE}
    job_id = client.post("/v1/jobs", json=records).json()["id"]
    assert wait_done(client, job_id)["counts"] == {
        "total": 3,
        "ok": 2,
        "failed": 1,
        "pending": 0,
        "running": 0,
        "cancelled": 0,
    }
    results = lines(client.get(f"/v1/jobs/{job_id}/results"))
    response = client.get(f"/v1/jobs/{job_id}/view")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["x-job-complete"] == "true"
    html = response.text
    assert '<meta charset="utf-8">' in html and f"Job {job_id}" in html
    pages = pages_of(parse(html))
    assert set(pages) == {r["article"]["id"] for r in results} | {article_id(records[1]["text"])}
    for facts in results:
        marks = parse(pages[facts["article"]["id"]]).find("mark", "hl")
        spans = {(int(m.attrs["data-start"]), int(m.attrs["data-end"])) for m in marks}
        evidence = {(e["start"], e["end"]) for kind in KINDS for f in facts[kind] for e in f["evidence"]}
        assert spans == evidence
    assert client.get("/v1/jobs/no-such-job/view").status_code == 404


def test_readyz_is_503_with_the_reason_while_the_model_endpoint_is_down(tmp_path: Path) -> None:
    """Alive but not ready: /healthz 200, /readyz 503 naming the endpoint it cannot reach."""
    from .support.service_process import free_port

    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    server = ServiceProcess(tmp_path / "data", dead, env={"EXTRACTOR_API_KEYS": ""}).launch()
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.process is not None and server.process.poll() is None, server.log_text()[-2000:]
            try:
                health = httpx.get(f"{server.url}/healthz", timeout=1.0)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "serve never listened"
                time.sleep(0.1)
        assert health.status_code == 200
        while True:  # "starting the model backend" until the first probe has answered
            ready = httpx.get(f"{server.url}/readyz", timeout=10.0)
            assert ready.status_code == 503, ready.text
            body = ready.json()
            assert body["ready"] is False and body["reason"]
            if "starting" not in body["reason"]:
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.2)
        assert "127.0.0.1" in body["reason"], body
    finally:
        server.kill()
