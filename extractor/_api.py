"""``extract`` and ``aextract``: one extractor per (config, event loop), reused.

The sync API runs a private event loop in a daemon thread so that the HTTP client and
the embedded server survive between calls, and works inside notebooks too.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from typing import Any

from .config import Config
from .models import Article, ArticleFacts
from .pipeline import Extractor

_extractors: dict[tuple[Config, int], Extractor] = {}
_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _extractor_for(config: Config | None) -> Extractor:
    config = config or Config.from_env()
    key = (config, id(asyncio.get_running_loop()))
    if key not in _extractors:
        _extractors[key] = Extractor(config)
    return _extractors[key]


async def aextract(article: Article | str | Any, *, config: Config | None = None) -> ArticleFacts:
    """Facts for one article (async)."""
    return await _extractor_for(config).extract(article)


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="extractor-loop", daemon=True).start()
            atexit.register(_shutdown)
        return _loop


def extract(article: Article | str | Any, *, config: Config | None = None) -> ArticleFacts:
    """Facts for one article: validated, grounded and normalised."""
    future = asyncio.run_coroutine_threadsafe(aextract(article, config=config), _background_loop())
    return future.result()


async def _close_all() -> None:
    for extractor in list(_extractors.values()):
        await extractor.aclose()
    _extractors.clear()


def _shutdown() -> None:
    if _loop is not None and _loop.is_running():
        asyncio.run_coroutine_threadsafe(_close_all(), _loop).result(timeout=30)
        _loop.call_soon_threadsafe(_loop.stop)
