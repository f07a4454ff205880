"""``extractor serve``: one uvicorn server, one event loop, one process.

SIGTERM (or Ctrl-C) stops taking work at once, lets articles in flight finish for
``--drain-timeout`` seconds, leaves the rest pending in the store, stops the embedded
model's server and exits 0. A second Ctrl-C exits without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from types import FrameType

import uvicorn

from ._app import Service, ViewRenderer, create_app
from ._settings import ServiceSettings

log = logging.getLogger("extractor.service")

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    """uvicorn's server, with signals that begin the service's shutdown and exit 0
    (uvicorn itself raises a caught signal again once it has stopped)."""

    def __init__(self, config: uvicorn.Config, service: Service) -> None:
        super().__init__(config)
        self.service = service

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # a signal handler may run in the middle of the loop's own code: the shutdown
        # begins in the loop's next turn instead
        try:
            asyncio.get_running_loop().call_soon_threadsafe(self.service.begin_shutdown)
        except RuntimeError:  # not serving yet
            self.service.begin_shutdown()
        super().handle_exit(sig, frame)


def serve(settings: ServiceSettings, *, render_view: ViewRenderer | None = None) -> int:
    """Run until SIGTERM or Ctrl-C; the exit code: 0, 1 when the backend could not start,
    2 when the data folder cannot be written."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / ".writable"
        probe.touch()
        probe.unlink()
    except OSError as error:
        log.error("cannot write the data folder %s: %s", settings.data_dir, error.strerror or error)
        return 2
    if not settings.api_keys and settings.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("EXTRACTOR_API_KEYS is not set: /v1 is open to anyone who can reach %s", settings.host)
    failure: list[str] = []
    server: _Server | None = None

    def fatal(reason: str) -> None:
        failure.append(reason)
        if server is not None:
            server.should_exit = True

    app = create_app(settings, on_fatal=fatal, render_view=render_view)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        loop="asyncio",
        log_level="info",
        timeout_graceful_shutdown=max(1, int(settings.drain_timeout_s)),
    )
    server = _Server(config, app.state.service)
    server.run()
    return 1 if failure or not server.started else 0
