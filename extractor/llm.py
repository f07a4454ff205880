"""One structured call to a model: request, parse, re-ask, as separate concerns.

instructor owns parsing and validation re-asks (``max_reasks``); tenacity owns
transport retries (timeouts, stalls, resets, 429 with Retry-After, 5xx). A network
error is never shown to the model as a validation error, and a validation error is
never retried blindly. Token usage of every attempt, failed ones included, is counted.
Every request waits its turn under ``rpm`` and is watched for stalls (``RequestWatch``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, TypeVar

import httpx2
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from openai.types.chat import ChatCompletion
from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_before_delay
from tenacity.stop import stop_base

from ._exceptions import ExtractionError, ModeNotSupported, OutputTruncated, TransportError, ValidationFailed
from .config import Config
from .endpoint import Endpoint
from .models import Usage
from .providers import alternatives
from .salvage import close_truncated_json
from .validation import validation_context

log = logging.getLogger(__name__)
# The attempts of the call running in this task (hooks fire inside instructor's loop).
_attempts: ContextVar[list[Usage] | None] = ContextVar("extractor_attempts", default=None)
# The list bound of the call running in this task, for the request step (see _post_completion).
_max_items: ContextVar[int | None] = ContextVar("extractor_max_items", default=None)
T = TypeVar("T", bound=BaseModel)
T_ = TypeVar("T_")

_MODES = {
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    # JSON_SCHEMA leaves the messages alone (JSON mode would append the whole schema to
    # the system prompt, ~500 tokens a pass); the request's response format is replaced
    # by llama.cpp's json_object + schema, which the server enforces as a grammar
    "llama_json": instructor.Mode.JSON_SCHEMA,
}


class _EmptyCompletion(Exception):
    """A 200 answer with no choices: nothing the model said, so transient (sent again;
    after the last attempt it is a ``TransportError``)."""


@dataclass
class CallResult:
    value: BaseModel
    usage: Usage
    truncated: bool = False  # cut at max_tokens; only the complete items were kept
    dropped: int = 0  # items that still failed validation after the re-asks, left out


_CONNECTIONS_PER_POOL = 16
_RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}
# Words an endpoint's error uses when it refuses the request's structure parameters.
_MODE_WORDS = {
    "tools": ("tool", "function"),
    "json": ("response_format", "json_object"),
    "json_schema": ("response_format", "json_schema"),
    "llama_json": ("response_format", "json_object"),
}
_MODE_REFUSAL_STATUS = {400, 404, 422, 500, 501}


def _status_error(error: BaseException) -> openai.APIStatusError | None:
    seen: BaseException | None = error
    for _ in range(4):
        if isinstance(seen, openai.APIStatusError):
            return seen
        if seen is None:
            return None
        seen = seen.__cause__
    return None


def _refusal_text(error: BaseException) -> str | None:
    """The endpoint's error message, when it answered with a status that can mean "I do
    not take these parameters"."""
    status = _status_error(error)
    if status is None or status.status_code not in _MODE_REFUSAL_STATUS:
        return None
    try:
        body = status.response.text
    except Exception:  # a streamed or closed body: the message alone
        body = ""
    return f"{status.message} {body}"


def refuses_mode(error: BaseException, mode: str) -> bool:
    """Whether ``error`` is the endpoint refusing ``mode`` (e.g. llama-cpp-python answers
    ``response_format: json_schema`` with a 500 naming ``response_format``)."""
    text = _refusal_text(error)
    return text is not None and any(word in text.lower() for word in _MODE_WORDS[mode])


def _is_transient(error: BaseException) -> bool:
    """Worth sending again as is: the request never produced a usable completion.

    Timeouts, resets, 429, 5xx, malformed or truncated bodies, empty choice lists.
    Not: a 4xx the server means, a truncated answer (``finish_reason: length``), or an
    answer that failed validation after its re-asks.
    """
    if isinstance(error, IncompleteOutputException):
        return False
    status = _status_error(error)
    if status is not None:
        return status.status_code in _RETRYABLE_STATUS
    if isinstance(error, InstructorRetryException):
        return not getattr(error, "failed_attempts", None)
    return isinstance(
        error, (openai.APIConnectionError, openai.APIResponseValidationError, httpx2.TransportError, _EmptyCompletion)
    )


def _retry_after(error: BaseException) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``Retry-After`` as
    seconds or as an HTTP date."""
    status = _status_error(error)
    if status is None:
        return None
    headers = status.response.headers
    try:
        if (millis := headers.get("retry-after-ms")) is not None:
            return max(0.0, float(millis) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = parsedate_to_datetime(value)
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except (ValueError, TypeError, IndexError):
        return None


class _AskedToWaitTooLong(stop_base):
    """A Retry-After beyond ``max_retry_wait_s`` ends the retries: sending earlier than
    the server asked would only be refused again."""

    def __init__(self, longest_s: float) -> None:
        self.longest_s = longest_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.upcoming_sleep > self.longest_s


class RequestPace:
    """At most ``rpm`` requests a minute over every pool: requests leave one at a time,
    each at least ``60 / rpm`` seconds after the one before actually left. (Slots booked
    ahead would all fall due together after the event loop was held up, and go out in
    a burst.)"""

    def __init__(self, rpm: float | None) -> None:
        self.interval = 60.0 / rpm if rpm else 0.0
        self._last: float | None = None
        self._turn = asyncio.Lock()  # first come, first served

    async def wait(self) -> None:
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        async with self._turn:
            if self._last is not None and (left := self._last + self.interval - loop.time()) > 0:
                await asyncio.sleep(left)
            self._last = loop.time()


_STARTED = "extractor.started"  # request extension: when the request went out (after its rpm turn)


class RequestWatch:
    """The httpx event hooks that bound every request in time.

    As its headers go out, a request waits for its turn under ``rpm``. Once the
    answer's headers are in, its body must keep coming: no bytes for
    ``stall_timeout_s`` (a proxy or server that stopped mid-answer) is a read timeout,
    retried like any timeout, and the whole request ends at ``timeout_s``. Before the
    headers the wait is the model's generation time, so only ``timeout_s`` bounds it
    and a long generation finishes. Connecting and sending the request are bounded by
    ``stall_timeout_s`` through httpx's own timeouts (``timeouts``).
    """

    def __init__(self, config: Config) -> None:
        self.timeout_s = config.timeout_s
        self.stall_s = min(config.stall_timeout_s, config.timeout_s)
        self.pace = RequestPace(config.rpm)

    @property
    def timeouts(self) -> httpx2.Timeout:
        return httpx2.Timeout(self.timeout_s, connect=self.stall_s, write=self.stall_s, pool=self.timeout_s)

    @property
    def hooks(self) -> dict[str, list[Any]]:
        return {"request": [self.before_send], "response": [self.on_headers]}

    async def before_send(self, request: httpx2.Request) -> None:
        loop = asyncio.get_running_loop()
        extensions = request.extensions
        extensions[_STARTED] = loop.time()
        if not self.pace.interval:
            return

        async def trace(event: str, _: dict[str, Any]) -> None:
            # paced where the request really leaves, once its connection is up: a new
            # connection takes a varying time to open, which would bunch paced requests
            if event.endswith("send_request_headers.started"):
                await self.pace.wait()
                extensions[_STARTED] = loop.time()

        extensions["trace"] = trace  # httpcore's documented hook into its request steps

    async def on_headers(self, response: httpx2.Response) -> None:
        started = response.request.extensions.get(_STARTED, asyncio.get_running_loop().time())
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        response.stream = _WatchedBody(response.stream, response.request, self.stall_s, started + self.timeout_s)


if sys.version_info >= (3, 11):

    async def _within(awaitable: Awaitable[T_], seconds: float) -> T_:
        """``awaitable`` or TimeoutError after ``seconds``: a timer, not a task per call."""
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - Python 3.10
    _within = asyncio.wait_for


class _WatchedBody(httpx2.AsyncByteStream):
    """A response body that raises ``ReadTimeout`` when it goes quiet for ``stall_s``
    or is still arriving at ``deadline`` (loop time)."""

    def __init__(self, stream: httpx2.AsyncByteStream, request: httpx2.Request, stall_s: float, deadline: float):
        self._stream = stream
        self._request = request
        self._stall_s = stall_s
        self._deadline = deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        chunks = self._stream.__aiter__()
        try:
            while True:
                left = self._deadline - loop.time()
                wait = min(self._stall_s, left)
                try:
                    chunk = await _within(chunks.__anext__(), max(wait, 0.0))
                except StopAsyncIteration:
                    return
                except (asyncio.TimeoutError, TimeoutError):
                    reason = (
                        f"the answer stalled: no bytes for {self._stall_s:g}s (stall_timeout_s)"
                        if wait < left
                        else "the answer was still arriving at timeout_s"
                    )
                    raise httpx2.ReadTimeout(reason, request=self._request) from None
                yield chunk
        finally:
            if isinstance(chunks, AsyncGenerator):
                await chunks.aclose()

    async def aclose(self) -> None:
        await self._stream.aclose()

    @property
    def elapsed(self) -> timedelta | None:  # read by httpx's Response.elapsed
        return getattr(self._stream, "elapsed", None)


def _usage_of(raw: Any) -> Usage:
    if raw is None:
        return Usage()
    get = raw.get if isinstance(raw, dict) else lambda k, d=0: getattr(raw, k, d)
    prompt = int(get("prompt_tokens", 0) or 0)
    completion = int(get("completion_tokens", 0) or 0)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def redact(text: str, secret: str | None) -> str:
    """Never let a key reach a log, an error record or an exception message."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


class ModelCaller:
    """Talks to one endpoint with one instructor mode; safe to share across tasks."""

    def __init__(self, config: Config, endpoint: Endpoint, *, max_connections: int = 64) -> None:
        self.config = config
        # Requests on the wire at once, one per connection. Waiting here (not in one
        # pool's queue) lets a request take whichever pool frees first, and its timeout
        # starts when it is sent.
        self._in_flight = asyncio.Semaphore(max_connections)
        self.endpoint = endpoint
        self.mode = config.resolved_mode
        # Several small connection pools instead of one: httpcore scans every pooled
        # connection on each request and each release, so with 64 in flight one pool
        # scans four times as many as a pool of 16, a cost that grows with the square of
        # the requests in flight. A request takes the least busy pool; together they
        # never hold more than ``max_connections``.
        sizes = pool_sizes(max_connections)
        tls = httpx2.create_ssl_context()  # one for all pools: each takes ~50 ms to load
        self.watch = RequestWatch(config)  # one for all pools: they share the rpm pace
        self._pools = [
            openai.AsyncOpenAI(
                base_url=endpoint.base_url,
                api_key=endpoint.api_key or "not-needed",
                max_retries=0,
                timeout=self.watch.timeouts,
                http_client=httpx2.AsyncClient(
                    limits=httpx2.Limits(max_connections=size, max_keepalive_connections=size),
                    timeout=self.watch.timeouts,
                    verify=tls,
                    event_hooks=self.watch.hooks,
                ),
            )
            for size in sizes
        ]
        self._busy = [0] * len(sizes)  # requests in flight per pool
        self._refused: ModeNotSupported | None = None  # the endpoint refused our mode
        self._answered = False  # the endpoint has answered at least once
        self._first_answer = asyncio.Lock()
        mode = _MODES[self.mode]
        self._client = instructor.AsyncInstructor(
            client=self._pools[0],
            create=instructor.patch(create=self._post_completion, mode=mode),
            mode=mode,
            provider=instructor.Provider.OPENAI,
        )
        self._client.on("completion:response", self._on_response)
        self._client.on("completion:error", self._on_error)

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.close()

    def _mode_refused(self, message: str, usage: Usage) -> ModeNotSupported:
        suggestions = alternatives(self.mode, self.endpoint.base_url)
        hint = " or ".join(f"--mode {m}" for m in suggestions[:2])
        return ModeNotSupported(
            f"the endpoint refused mode {self.mode!r} ({message[:300]}); try {hint}"
            f" (extractor doctor --base-url {self.endpoint.base_url} checks every mode)",
            mode=self.mode,
            suggestions=suggestions,
            usage=usage,
        )

    async def _post_completion(self, *, extra_body: dict[str, Any] | None = None, **params: Any) -> ChatCompletion:
        """The request step: the body exactly as built, posted by the openai client of the
        least busy connection pool.

        ``chat.completions.create`` would first walk the body through openai's type-driven
        transform, an identity for plain JSON messages that cost ~0.9 ms a request here
        (about a tenth of the batch's CPU at 64 requests in flight). Same wire body:
        ``extra_body`` replaces top-level keys, as openai merges it.
        """
        body = {**params, **(extra_body or {})}
        if "tools" in body:
            # a server that turns the function's parameters into a grammar (llama.cpp,
            # vLLM) then stops a small model's repetition loop as llama_json does
            body["tools"] = [_bounded_tool(tool, _max_items.get()) for tool in body["tools"]]
        async with self._in_flight:
            pool = min(range(len(self._pools)), key=self._busy.__getitem__)
            self._busy[pool] += 1
            try:
                completion = await self._pools[pool].post("/chat/completions", body=body, cast_to=ChatCompletion)
            finally:
                self._busy[pool] -= 1
        if not completion.choices:  # before instructor, which would re-ask the model about it
            raise _EmptyCompletion("the endpoint answered with an empty choice list")
        return completion

    def _request_kwargs(
        self, response_model: type[BaseModel], messages: list[dict[str, str]], max_items: int | None = None
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.endpoint.model,
            "messages": messages,
            "response_model": response_model,
            "max_tokens": self.config.max_tokens,
            "temperature": self.config.temperature,
            "max_retries": self.config.max_reasks,
        }
        if self.mode == "llama_json":
            kwargs["extra_body"] = {
                "response_format": {"type": "json_object", "schema": _grammar(response_model, max_items)}
            }
        return kwargs

    def _wait(self, state: RetryCallState) -> float:
        """The server's Retry-After when it gave one (never less), else exponential
        backoff with jitter, capped at ``max_retry_wait_s``."""
        error = state.outcome.exception() if state.outcome else None
        hinted = _retry_after(error) if error else None
        if hinted is not None:
            return hinted
        backoff = min(self.config.max_retry_wait_s, 0.5 * 2.0 ** (state.attempt_number - 1))
        return backoff * (0.5 + random.random() / 2)

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.info(
            "transient failure (attempt %d): %s; retrying",
            state.attempt_number,
            redact(f"{type(error).__name__}: {error}", self.endpoint.api_key)[:200],
        )

    def _on_response(self, response: Any) -> None:
        sink = _attempts.get()
        if sink is not None:
            sink.append(_usage_of(getattr(response, "usage", None)).add(Usage(requests=1)))

    def _on_error(self, *_: Any, **__: Any) -> None:
        sink = _attempts.get()
        if sink is not None:
            sink.append(Usage(requests=1))

    async def call(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        *,
        context: dict[str, Any] | None = None,
        max_items: int | None = None,
    ) -> CallResult:
        """Ask for ``response_model``; raise an ExtractionError subclass on failure.

        ``max_items`` bounds every list in the answer where the endpoint enforces a
        grammar (llama_json); elsewhere it is only a hint nobody sees.

        Until the endpoint has answered once, calls go one at a time: an endpoint that
        refuses the mode then gets one request, not one per pass and article in flight,
        and after that refusal no call is sent at all.
        """
        if not self._answered:
            async with self._first_answer:
                self._raise_if_refused()
                if not self._answered:
                    result = await self._call(response_model, messages, context=context, max_items=max_items)
                    self._answered = True
                    return result
        self._raise_if_refused()
        return await self._call(response_model, messages, context=context, max_items=max_items)

    def _raise_if_refused(self) -> None:
        if self._refused is not None:
            refused = self._refused
            raise ModeNotSupported(str(refused), mode=refused.mode, suggestions=refused.suggestions)

    async def _call(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        *,
        context: dict[str, Any] | None,
        max_items: int | None,
    ) -> CallResult:
        attempts: list[Usage] = []
        _attempts.set(attempts)
        retrying = AsyncRetrying(
            # a refused mode is never sent again: another mode can help, the same cannot
            retry=retry_if_exception(lambda error: _is_transient(error) and not refuses_mode(error, self.mode)),
            # no attempt starts after retry_budget_s (counted from the first one)
            stop=stop_after_attempt(self.config.max_attempts)
            | stop_before_delay(self.config.retry_budget_s)
            | _AskedToWaitTooLong(self.config.max_retry_wait_s),
            wait=self._wait,
            before_sleep=self._log_retry,
            reraise=True,
        )
        kwargs = self._request_kwargs(response_model, messages, max_items)
        _max_items.set(max_items)
        try:
            async for attempt in retrying:
                with attempt, validation_context(context):  # not instructor's context: see validation.py
                    value = await self._client.chat.completions.create(**kwargs)
                    return CallResult(value=value, usage=_total(attempts))
        except IncompleteOutputException as error:
            kept = _salvage(error, response_model, context)
            if kept is not None:
                return CallResult(value=kept, usage=_total(attempts), truncated=True)
            raise OutputTruncated(
                f"the model's answer was cut at max_tokens={self.config.max_tokens}", usage=_total(attempts)
            ) from error
        except Exception as error:
            usage = _total(attempts)
            message = redact(f"{type(error).__name__}: {error}", self.endpoint.api_key)[:500]
            if refuses_mode(error, self.mode):
                self._refused = self._mode_refused(message, usage)
                raise self._refused from None
            if _is_transient(error) or _status_error(error) is not None:
                raise TransportError(message, usage=usage) from None
            if isinstance(error, InstructorRetryException):
                standing = _valid_items(error, response_model, context)
                if standing is not None:
                    return CallResult(value=standing[0], usage=usage, dropped=standing[1])
                raise ValidationFailed(_short_validation_message(error), usage=usage) from error
            raise ExtractionError(message, usage=usage) from None
        raise AssertionError("unreachable")  # pragma: no cover


def _salvage(error: IncompleteOutputException, model: type[T], context: dict[str, Any] | None) -> T | None:
    """The complete items of a cut answer, if they validate."""
    completion = getattr(error, "last_completion", None)
    if completion is None:
        return None
    try:
        message = completion.choices[0].message
        text = message.content or message.tool_calls[0].function.arguments
    except (AttributeError, IndexError, TypeError):
        return None
    closed = close_truncated_json(text or "")
    if closed is None:
        return None
    try:
        return model.model_validate_json(closed, context=context)
    except ValueError:
        return None


def _valid_items(
    error: InstructorRetryException, model: type[T], context: dict[str, Any] | None
) -> tuple[T, int] | None:
    """The last answer's items that stand on their own, and how many did not, when the
    answer is still wrong after its re-asks (a small model that mixes up the tasks writes
    some labels of the wrong shape among good ones)."""
    valid_items = getattr(model, "valid_items", None)
    completion = getattr(error, "last_completion", None)
    if valid_items is None or completion is None:
        return None
    try:
        message = completion.choices[0].message
        text = message.content or message.tool_calls[0].function.arguments or ""
        data = json.loads(text[text.find("{") : text.rfind("}") + 1])  # inside a ``` fence too
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    standing: tuple[T, int] | None = valid_items(data, context)
    return standing


@lru_cache(maxsize=64)
def _grammar(response_model: type[BaseModel], max_items: int | None) -> dict[str, Any]:
    """The schema llama.cpp turns into a grammar, so the model cannot leave it and the
    prompt need not spell it out; bounds on lists and strings stop a small model's
    repetition loop before max_tokens does. Built once per model and bound (shared:
    never changed after)."""
    schema = {k: v for k, v in response_model.model_json_schema().items() if k != "title"}  # a grammar needs no name
    bounded: dict[str, Any] = bounded_schema(schema, max_items=max_items or 8, max_chars=60)
    return bounded


def _bounded_tool(tool: dict[str, Any], max_items: int | None) -> dict[str, Any]:
    function = tool.get("function") or {}
    if "parameters" not in function:
        return tool
    parameters = bounded_schema(function["parameters"], max_items=max_items or 8, max_chars=60)
    return {**tool, "function": {**function, "parameters": parameters}}


def bounded_schema(schema: Any, *, max_items: int, max_chars: int, nested_items: int = 5) -> Any:
    """The schema with its top-level lists at most ``max_items`` long, lists inside items
    at most ``nested_items``, and free strings at most ``max_chars`` characters."""

    def bound(node: Any, items: int) -> Any:
        if isinstance(node, list):
            return [bound(item, items) for item in node]
        if not isinstance(node, dict):
            return node
        out = {k: bound(v, nested_items if k == "$defs" else items) for k, v in node.items()}
        if out.get("type") == "array":
            out.setdefault("maxItems", items)
        elif out.get("type") == "string" and "enum" not in out:
            out.setdefault("maxLength", max_chars)
        return out

    return bound(schema, max_items)


def pool_sizes(max_connections: int, per_pool: int = _CONNECTIONS_PER_POOL) -> list[int]:
    """As few pools of at most ``per_pool`` connections as hold ``max_connections``,
    sized as evenly as they can be."""
    pools = -(-max_connections // per_pool)
    return [max_connections // pools + (i < max_connections % pools) for i in range(pools)]


def _total(attempts: list[Usage]) -> Usage:
    total = Usage()
    for usage in attempts:
        total = total.add(usage)
    return total


def _short_validation_message(error: InstructorRetryException) -> str:
    attempts = getattr(error, "n_attempts", "?")
    last = str(error).splitlines()[0:3]
    return (
        f"answer failed validation after {attempts} attempt(s): "
        + json.dumps(" ".join(last), ensure_ascii=False)[1:-1][:400]
    )
