"""A stub OpenAI-compatible endpoint, shipped for tests and benchmarks (never for quality claims).

``StubEndpoint`` is a real HTTP server on 127.0.0.1 in a background thread. It answers
``POST /v1/chat/completions`` with completions that the caller supplies (the project's
own tests replay answers recorded from the real model, ``tests/support/recorded.py``),
after a fixed delay, and can replace answers with faults on a seeded schedule or a
script: timeouts (no answer), stalls (headers and part of the body, then silence),
connection resets, 429 with Retry-After, 500/502/503, malformed JSON, truncated bodies,
``finish_reason: "length"``, answers that fail validation, and empty choice lists::

    with StubEndpoint(answer, fault_rate=0.1) as stub:
        endpoint = Endpoint(base_url=stub.base_url, model="m", identity="stub")
        extractor = Extractor(config, backend=StaticBackend(endpoint))

What a test measures is taken on the stub's side: every request's arrival time on the
stub's clock, its body and headers (``received``), requests in flight and open
connections. ``hold_until_in_flight`` holds every answer until that many requests are
in flight at once, so a test of concurrency waits on that event, not on a delay;
``pause``/``resume`` hold answers for as long as the test needs.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Answer = Callable[[dict[str, Any]], dict[str, Any]]

FAULTS = (
    "timeout",
    "stall",
    "reset",
    "429",
    "500",
    "502",
    "503",
    "malformed_json",
    "truncated",
    "length",
    "invalid_answer",
    "empty_choices",
)


@dataclass
class Stats:
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    open_connections: int = 0
    max_open_connections: int = 0
    in_flight: int = 0  # requests received and not yet answered
    max_in_flight: int = 0
    held_too_long: int = 0  # answers released by hold_timeout_s, not by reaching hold_until_in_flight


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic() in the stub's thread when the request was read
    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


class StubEndpoint:
    """Serve in a background thread; use as a context manager."""

    def __init__(
        self,
        answer: Answer,
        *,
        delay_s: float = 0.0,
        fault_rate: float = 0.0,
        faults: tuple[str, ...] = FAULTS,
        seed: int = 0,
        hang_s: float = 30.0,
        script: Iterable[str | None] = (),
        retry_after: str = "0.05",
        body_pieces: int = 1,
        piece_gap_s: float = 0.0,
        hold_until_in_flight: int | None = None,
        hold_timeout_s: float = 10.0,
    ) -> None:
        """``script``: the faults of the first requests, in order (None answers normally);
        later requests follow ``fault_rate``. ``body_pieces``/``piece_gap_s``: answers
        sent in pieces with a pause between (a slow but live body)."""
        self.answer = answer
        self.delay_s = delay_s
        self.fault_rate = fault_rate
        self.faults = faults
        self.hang_s = hang_s
        self.script = deque(script)
        self.retry_after = retry_after
        self.body_pieces = body_pieces
        self.piece_gap_s = piece_gap_s
        self.hold_until_in_flight = hold_until_in_flight
        self.hold_timeout_s = hold_timeout_s
        self._random = random.Random(seed)
        self.stats = Stats()
        self.received: deque[Received] = deque(maxlen=10_000)  # the latest: bounded for long benchmarks
        self._gate: asyncio.Event | None = None
        self._running: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="stub-endpoint", daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> StubEndpoint:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._gate = asyncio.Event()
        self._running = asyncio.Event()
        self._running.set()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                task.cancel()

    def set_fault_rate(self, rate: float) -> None:
        self.fault_rate = rate

    def pause(self) -> None:
        """Hold every answer from now on (requests are still read) until ``resume``."""
        assert self._running is not None
        asyncio.run_coroutine_threadsafe(_call(self._running.clear), self._loop).result(timeout=10)

    def resume(self) -> None:
        assert self._running is not None
        asyncio.run_coroutine_threadsafe(_call(self._running.set), self._loop).result(timeout=10)

    def hold_until(self, in_flight: int | None) -> None:
        """From now on, hold each answer until ``in_flight`` requests are in flight at once
        (None: stop holding). A client that sends one request alone before any other
        (``ModelCaller`` until the endpoint has answered once) is let through first, and
        the hold set after it. Answers already held keep waiting for the earlier count."""

        def change() -> None:
            self.hold_until_in_flight = in_flight
            self._gate = asyncio.Event()

        asyncio.run_coroutine_threadsafe(_call(change), self._loop).result(timeout=10)

    # -- HTTP ----------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.open_connections += 1
        self.stats.max_open_connections = max(self.stats.max_open_connections, self.stats.open_connections)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                method, path, headers, body = request
                arrived = time.monotonic()
                payload = json.loads(body or b"{}") if method == "POST" else {}
                self.received.append(Received(at=arrived, method=method, path=path, body=payload, headers=headers))
                if method == "GET" and path.endswith("/models"):
                    await _respond(writer, 200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
                    continue
                if method != "POST" or not path.endswith("/chat/completions"):
                    await _respond(writer, 404, {"error": {"message": "not found"}})
                    continue
                keep_open = await self._complete(payload, writer)
                if not keep_open:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            self.stats.open_connections -= 1
            writer.close()

    async def _complete(self, request: dict[str, Any], writer: asyncio.StreamWriter) -> bool:
        self.stats.requests += 1
        self.stats.in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
        try:
            return await self._answer(request, writer)
        finally:
            self.stats.in_flight -= 1

    async def _hold(self) -> None:
        assert self._gate is not None and self.hold_until_in_flight is not None
        if self.stats.in_flight >= self.hold_until_in_flight:
            self._gate.set()
        try:
            await asyncio.wait_for(self._gate.wait(), self.hold_timeout_s)
        except asyncio.TimeoutError:
            self.stats.held_too_long += 1

    def _next_fault(self) -> str | None:
        if self.script:
            return self.script.popleft()
        return self._random.choice(self.faults) if self._random.random() < self.fault_rate else None

    async def _answer(self, request: dict[str, Any], writer: asyncio.StreamWriter) -> bool:
        fault = self._next_fault()
        if self.hold_until_in_flight:
            await self._hold()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        assert self._running is not None
        await self._running.wait()
        if fault is None:
            if self.body_pieces > 1:
                await _respond_in_pieces(writer, self.answer(request), self.body_pieces, self.piece_gap_s)
            else:
                await _respond(writer, 200, self.answer(request))
            return True
        self.stats.faults[fault] += 1
        if fault == "timeout":  # no answer at all: the connection stays silent, then closes
            await asyncio.sleep(self.hang_s)
            return False
        if fault == "stall":  # the answer starts (headers, a third of the body), then nothing
            payload = json.dumps(self.answer(request)).encode()
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
            writer.write(head.encode() + payload[: len(payload) // 3])
            await writer.drain()
            await asyncio.sleep(self.hang_s)
            writer.transport.abort()
            return False
        if fault == "reset":
            writer.transport.abort()
            return False
        if fault == "429":
            await _respond(
                writer, 429, {"error": {"message": "rate limited"}}, headers={"Retry-After": self.retry_after}
            )
            return True
        if fault in ("500", "502", "503"):
            await _respond(writer, int(fault), {"error": {"message": f"injected {fault}"}})
            return True
        if fault == "malformed_json":
            await _respond_raw(writer, 200, b'{"id": "x", "choices": [{"message": ')
            return True
        if fault == "truncated":
            payload = json.dumps(self.answer(request)).encode()
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
            writer.write(head.encode() + payload[: len(payload) // 2])
            await writer.drain()
            writer.transport.abort()
            return False
        completion = json.loads(json.dumps(self.answer(request)))
        if fault == "length":
            completion["choices"][0]["finish_reason"] = "length"
        elif fault == "invalid_answer":
            completion["choices"][0]["message"]["content"] = json.dumps(
                {"institutions": "not a list", "metrics": 7, "actions": {}}
            )
        elif fault == "empty_choices":
            completion["choices"] = []
        await _respond(writer, 200, completion)
        return True


async def _call(function: Callable[[], None]) -> None:
    function()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", 0))
    body = await reader.readexactly(length) if length else b""
    return method, path, headers, body


async def _respond(
    writer: asyncio.StreamWriter, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    await _respond_raw(writer, status, json.dumps(payload, ensure_ascii=False).encode(), headers)


async def _respond_raw(
    writer: asyncio.StreamWriter, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    writer.write(head.encode() + body)
    await writer.drain()


async def _respond_in_pieces(writer: asyncio.StreamWriter, payload: dict[str, Any], pieces: int, gap_s: float) -> None:
    """Headers at once, then the body in ``pieces`` with ``gap_s`` between them."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    head = f"HTTP/1.1 200 X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    writer.write(head.encode())
    await writer.drain()
    size = -(-len(body) // pieces)
    for start in range(0, len(body), size):
        await asyncio.sleep(gap_s)
        writer.write(body[start : start + size])
        await writer.drain()
