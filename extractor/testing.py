"""A stub OpenAI-compatible endpoint, shipped for tests and benchmarks (never for quality claims).

``StubEndpoint`` is a real HTTP server on 127.0.0.1 in a background thread. It answers
``POST /v1/chat/completions`` with completions that the caller supplies (the project's
own tests replay answers recorded from the real model, ``tests/support/recorded.py``),
after a fixed delay, and can replace answers with faults on a seeded schedule: timeouts,
connection resets, 429 with Retry-After, 500/502/503, malformed JSON, truncated bodies,
``finish_reason: "length"``, answers that fail validation, and empty choice lists::

    with StubEndpoint(answer, fault_rate=0.1) as stub:
        endpoint = Endpoint(base_url=stub.base_url, model="m", identity="stub")
        extractor = Extractor(config, backend=StaticBackend(endpoint))
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Answer = Callable[[dict[str, Any]], dict[str, Any]]

FAULTS = (
    "timeout",
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
    ) -> None:
        self.answer = answer
        self.delay_s = delay_s
        self.fault_rate = fault_rate
        self.faults = faults
        self.hang_s = hang_s
        self._random = random.Random(seed)
        self.stats = Stats()
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
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                task.cancel()

    def set_fault_rate(self, rate: float) -> None:
        self.fault_rate = rate

    # -- HTTP ----------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.open_connections += 1
        self.stats.max_open_connections = max(self.stats.max_open_connections, self.stats.open_connections)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                method, path, body = request
                if method == "GET" and path.endswith("/models"):
                    await _respond(writer, 200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
                    continue
                if method != "POST" or not path.endswith("/chat/completions"):
                    await _respond(writer, 404, {"error": {"message": "not found"}})
                    continue
                keep_open = await self._complete(json.loads(body or b"{}"), writer)
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

    async def _answer(self, request: dict[str, Any], writer: asyncio.StreamWriter) -> bool:
        fault = self._random.choice(self.faults) if self._random.random() < self.fault_rate else None
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if fault is None:
            await _respond(writer, 200, self.answer(request))
            return True
        self.stats.faults[fault] += 1
        if fault == "timeout":
            await asyncio.sleep(self.hang_s)
            return False
        if fault == "reset":
            writer.transport.abort()
            return False
        if fault == "429":
            await _respond(writer, 429, {"error": {"message": "rate limited"}}, headers={"Retry-After": "0.05"})
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


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return method, path, body


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
