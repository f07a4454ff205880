"""Is the model backend answering? What ``/readyz`` says, and what gates the workers.

The backend is started (the embedded model takes a while), then asked for its model
list: any answer but a refused key or a server error means it is up. Once ready it is
asked again every few seconds; while it does not answer, no new article is handed out
(articles in flight keep their retries), so an outage does not turn the queue into
errors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..endpoint import Endpoint
from ..pipeline import Extractor

log = logging.getLogger("extractor.service")

CHECK_WHILE_DOWN_S = 1.0
CHECK_WHILE_UP_S = 5.0


def shown_url(url: str) -> str:
    """The URL without user:password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


async def probe(client: httpx.AsyncClient, endpoint: Endpoint) -> str | None:
    """None when the backend answers, else why not (never containing its key)."""
    headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key != "not-needed" else {}
    url = endpoint.base_url.rstrip("/") + "/models"
    try:
        response = await client.get(url, headers=headers)
    except httpx.HTTPError as error:
        return f"the model backend at {shown_url(endpoint.base_url)} does not answer ({type(error).__name__})"
    if response.status_code in (401, 403):
        return f"the model backend refused its API key ({response.status_code}); check EXTRACTOR_API_KEY"
    if response.status_code >= 500:
        return f"the model backend answers {response.status_code}"
    return None


class Readiness:
    """The backend's state as last seen; ``watch`` keeps it current."""

    def __init__(self) -> None:
        self.ready = False
        self.reason = "starting: the model backend has not answered yet"
        self.endpoint: Endpoint | None = None
        self._stopped = False

    async def watch(
        self,
        extractor: Extractor,
        *,
        on_change: Callable[[bool], Awaitable[None]],
        on_fatal: Callable[[str], None],
    ) -> None:
        try:
            self.reason = "starting the model backend"
            self.endpoint = await extractor.endpoint()
        except Exception as error:
            self.reason = f"the model backend did not start: {error}"
            log.error("%s", self.reason)
            on_fatal(self.reason)
            return
        async with httpx.AsyncClient(timeout=5.0) as client:
            while True:
                reason = await probe(client, self.endpoint)
                if self._stopped:
                    return
                now_ready = reason is None
                if now_ready != self.ready:
                    if now_ready:
                        log.info("model backend ready: %s", shown_url(self.endpoint.base_url))
                    else:
                        log.warning("%s", reason)
                    self.ready = now_ready
                    await on_change(now_ready)
                self.reason = reason or ""
                await asyncio.sleep(CHECK_WHILE_UP_S if now_ready else CHECK_WHILE_DOWN_S)

    def shutting_down(self) -> None:
        self._stopped = True
        self.ready = False
        self.reason = "shutting down"
