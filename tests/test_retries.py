"""Transport retries, timeouts and stalls, against the stub endpoint over real HTTP.

Every fault is scripted (the stub's ``script``), and times are read from the stub's
own clock: when each request arrived. Tests that would hang if a timeout were not
applied are bounded by ``asyncio.wait_for`` so that they fail instead.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.utils import formatdate
from typing import Any

import pytest

from extractor import Endpoint, TransportError
from extractor.backends.weights import MODEL_NAME
from extractor.config import Config
from extractor.drafts import ActionsDraft
from extractor.llm import CallResult, ModelCaller

from .support.openai_stub import StubEndpoint
from .support.recorded import recorded_answers

MESSAGES = [{"role": "system", "content": "文章"}, {"role": "user", "content": "任务"}]
TRANSIENT = ("timeout", "stall", "reset", "429", "500", "502", "503", "malformed_json", "truncated", "empty_choices")


# read from the cassette once, now: not on the stub's loop while a test's timeouts run
ACTIONS_ANSWER = next(a for (_, kind), a in recorded_answers().items() if kind == "actions")


def actions_answer(_: dict[str, Any]) -> dict[str, Any]:
    return ACTIONS_ANSWER


@asynccontextmanager
async def model_caller(stub: StubEndpoint, **settings: Any) -> AsyncIterator[ModelCaller]:
    endpoint = Endpoint(base_url=stub.base_url, model=MODEL_NAME, identity="stub", provider="stub")
    caller = ModelCaller(Config(mode="llama_json", **settings), endpoint)
    try:
        yield caller
    finally:
        await caller.aclose()


async def ask(stub: StubEndpoint, *, bound_s: float = 30.0, **settings: Any) -> CallResult:
    """One call; fails (instead of hanging) when it takes longer than ``bound_s``."""
    async with model_caller(stub, **settings) as caller:
        return await asyncio.wait_for(caller.call(ActionsDraft, MESSAGES), bound_s)


def gaps(stub: StubEndpoint) -> list[float]:
    arrivals = [r.at for r in stub.received]
    return [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]


@pytest.mark.parametrize("fault", TRANSIENT)
async def test_a_transient_fault_then_success_is_retried_in_the_same_call(fault: str) -> None:
    """Each transient fault is sent again, as it was: the same body, never a re-ask that
    shows the model a transport error (max_reasks=1 would allow one)."""
    with StubEndpoint(actions_answer, script=[fault, None], hang_s=60) as stub:
        result = await ask(stub, max_attempts=2, max_reasks=1, timeout_s=5.0, stall_timeout_s=0.5)
    assert isinstance(result.value, ActionsDraft)
    assert stub.stats.faults == {fault: 1} and stub.stats.requests == 2
    first, second = (r.body for r in stub.received)
    assert second == first and len(second["messages"]) == 2


async def test_attempts_stop_at_max_attempts() -> None:
    with (
        StubEndpoint(actions_answer, script=["503"] * 10) as stub,
        pytest.raises(TransportError, match="503"),
    ):
        await ask(stub, max_attempts=3)
    assert stub.stats.requests == 3


async def test_a_validation_failure_is_reasked_not_retried() -> None:
    """An answer that fails validation goes back to the model with the error (a re-ask),
    whatever the transport attempts allow: max_attempts=1 still gets its one re-ask."""
    with StubEndpoint(actions_answer, script=["invalid_answer", None]) as stub:
        result = await ask(stub, max_attempts=1, max_reasks=1)
    assert isinstance(result.value, ActionsDraft)
    first, second = (r.body for r in stub.received)
    assert len(first["messages"]) == 2 and len(second["messages"]) == 4
    assert second["messages"][:2] == first["messages"]


@pytest.mark.parametrize("header", ["seconds", "http-date"])
async def test_retry_after_is_honoured(header: str) -> None:
    """The retry goes out no sooner than the server asked (on the stub's clock); the
    backoff alone would send it after 0.25-0.5 s."""
    value = "1.5" if header == "seconds" else formatdate(time.time() + 2, usegmt=True)  # whole seconds: 1-2 s
    with StubEndpoint(actions_answer, script=["429", None], retry_after=value) as stub:
        await ask(stub, max_attempts=2)
    assert stub.stats.requests == 2
    assert gaps(stub)[0] >= (1.5 if header == "seconds" else 1.0)


async def test_a_retry_after_beyond_the_longest_wait_ends_the_retries() -> None:
    """Retrying sooner than the server asked would only be refused again: the call fails
    at once (the article goes to errors.jsonl and the next run tries again)."""
    with (
        StubEndpoint(actions_answer, script=["429", None], retry_after="120") as stub,
        pytest.raises(TransportError, match="429"),
    ):
        await ask(stub, bound_s=10, max_attempts=4, max_retry_wait_s=5)
    assert stub.stats.requests == 1


async def test_the_retry_budget_ends_retries_before_max_attempts() -> None:
    """No attempt starts after retry_budget_s: with Retry-After 0.3 s and a 1 s budget,
    attempts go out at about 0, 0.3, 0.6 and 0.9 s, never a fifth, far below max_attempts."""
    with (
        StubEndpoint(actions_answer, script=["429"] * 30, retry_after="0.3") as stub,
        pytest.raises(TransportError, match="429"),
    ):
        await ask(stub, max_attempts=30, retry_budget_s=1.0)
    assert 2 <= stub.stats.requests <= 4
    assert all(gap >= 0.3 for gap in gaps(stub))


async def test_a_stalled_answer_is_retried_after_stall_timeout() -> None:
    """Headers sent, the body stops: after stall_timeout_s of silence the request is a
    timeout and is sent again, long before timeout_s (60 s) or the stall's end (60 s)."""
    with StubEndpoint(actions_answer, script=["stall", None], hang_s=60) as stub:
        result = await ask(stub, bound_s=20, max_attempts=2, timeout_s=60, stall_timeout_s=0.5)
    assert isinstance(result.value, ActionsDraft)
    assert stub.stats.faults == {"stall": 1} and stub.stats.requests == 2


async def test_a_stalled_answer_fails_as_a_timeout_when_attempts_are_used_up() -> None:
    with (
        StubEndpoint(actions_answer, script=["stall"], hang_s=60) as stub,
        pytest.raises(TransportError, match="(?i)timed out"),
    ):
        await ask(stub, bound_s=20, max_attempts=1, timeout_s=60, stall_timeout_s=0.5)


async def test_a_long_generation_and_a_slow_body_still_finish() -> None:
    """Silence before the headers is the model generating (2 s here, longer than the
    1 s stall_timeout_s) and a body that keeps coming is alive: neither is cut."""
    with StubEndpoint(actions_answer, delay_s=2.0, body_pieces=3, piece_gap_s=0.4) as stub:
        result = await ask(stub, max_attempts=3, timeout_s=60, stall_timeout_s=1.0)
    assert isinstance(result.value, ActionsDraft)
    assert stub.stats.requests == 1


async def test_timeout_s_ends_a_request_that_is_never_answered() -> None:
    """The server takes the request and says nothing for a minute: timeout_s (1 s) ends
    it, not the stall's end or the openai client's default of 600 s."""
    with (
        StubEndpoint(actions_answer, script=["timeout"], hang_s=60) as stub,
        pytest.raises(TransportError, match="(?i)timed out"),
    ):
        await ask(stub, bound_s=15, max_attempts=1, timeout_s=1.0)
    assert stub.stats.requests == 1


async def test_timeout_s_ends_a_body_that_never_stops_trickling() -> None:
    """A body that keeps arriving slowly (a piece every 0.3 s, never a stall) still ends
    at timeout_s: one request never holds a batch slot for longer."""
    with (
        StubEndpoint(actions_answer, body_pieces=40, piece_gap_s=0.3) as stub,
        pytest.raises(TransportError, match="(?i)timed out"),
    ):
        await ask(stub, bound_s=10, max_attempts=1, timeout_s=1.5, stall_timeout_s=5)


async def test_rpm_spaces_every_request_retries_included() -> None:
    """rpm bounds requests, not articles: six calls at once, one of them retried, go out
    one every 60/rpm seconds (on the stub's clock)."""
    with StubEndpoint(actions_answer, script=["503"]) as stub:
        async with model_caller(stub, rpm=300, max_attempts=2) as caller:
            await asyncio.wait_for(asyncio.gather(*(caller.call(ActionsDraft, MESSAGES) for _ in range(6))), 30)
    assert stub.stats.requests == 7
    # the stub is a thread of this busy process: a request it reads late looks closer to
    # the next one, so the median gap and the whole span are measured, not the shortest
    assert statistics.median(gaps(stub)) >= 0.2 * 0.95
    assert stub.received[-1].at - stub.received[0].at >= 6 * 0.2 * 0.9


def test_retry_after_is_read_in_each_of_its_forms() -> None:
    import httpx2
    import openai

    from extractor.llm import _retry_after

    def refused(headers: dict[str, str]) -> openai.RateLimitError:
        request = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
        return openai.RateLimitError(
            "rate limited", response=httpx2.Response(429, headers=headers, request=request), body=None
        )

    assert _retry_after(refused({"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    assert _retry_after(refused({"retry-after": "2"})) == 2.0
    in_half_a_minute = _retry_after(refused({"retry-after": formatdate(time.time() + 30, usegmt=True)}))
    assert in_half_a_minute is not None and 28 <= in_half_a_minute <= 30
    assert _retry_after(refused({"retry-after": formatdate(time.time() - 30, usegmt=True)})) == 0.0
    assert _retry_after(refused({"retry-after": "soon"})) is None
    assert _retry_after(refused({})) is None
