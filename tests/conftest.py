"""Cassettes of the embedded model's real answers, replayed offline.

Normal runs replay ``tests/cassettes`` with recording off: a request that is not in a
cassette fails the test. ``EXTRACTOR_RECORD=1`` (``make record``) starts the embedded
model server and records what is missing; see the README.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import diskcache
import pytest
import vcr

from extractor.backends.weights import MODEL_NAME, MODEL_SHA256
from extractor.config import Config
from extractor.endpoint import Endpoint

CASSETTES = Path(__file__).parent / "cassettes"
FIXTURES = Path(__file__).parent / "fixtures"
RECORDING = os.environ.get("EXTRACTOR_RECORD") == "1"
# ``make test-live``: the live-marked tests must run; a skipped one fails
LIVE_REQUIRED = os.environ.get("EXTRACTOR_LIVE") == "1"
# Where replayed requests claim to go; nothing listens there and nothing is sent.
REPLAY_URL = "http://127.0.0.1:9/v1"


def cassette_vcr() -> vcr.VCR:
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="new_episodes" if RECORDING else "none",
        match_on=["method", "path", "body"],
        filter_headers=[("authorization", None), ("api-key", None), ("x-api-key", None), ("openai-organization", None)],
        decode_compressed_response=True,
    )


@pytest.fixture(scope="session")
def model_endpoint() -> Iterator[Endpoint]:
    """The live embedded server when recording, else a replay stand-in with the same identity."""
    if RECORDING:
        pytest.importorskip("llama_cpp", reason="recording needs the local extra")
        from extractor.backends.embedded import EmbeddedBackend, stop_all

        endpoint = EmbeddedBackend(Config.from_env()).start()
        yield endpoint
        stop_all()
        return
    yield Endpoint(
        base_url=REPLAY_URL,
        model=MODEL_NAME,
        identity=f"embedded:{MODEL_SHA256[:16]}",
        provider="embedded-llama.cpp",
    )


STOCK_IDENTITY = "stock-llama-cpp-python"


@pytest.fixture(scope="session")
def stock_endpoint() -> Iterator[Endpoint]:
    """llama-cpp-python's own server with its own settings (``python -m llama_cpp.server``
    with the pinned GGUF; not the project's ``_serve``), as a user runs it as a remote
    endpoint. Recording starts it; replay is a stand-in at an address nothing listens on."""
    if RECORDING:
        pytest.importorskip("llama_cpp", reason="recording needs the local extra")
        from extractor.backends.embedded import EmbeddedServer, default_threads
        from extractor.backends.weights import ensure_model

        threads = Config.from_env().threads or default_threads()
        server = EmbeddedServer(ensure_model(), threads=threads, n_ctx=8192, stock=True)
        try:
            server.wait_ready()
            yield Endpoint(base_url=server.base_url, model=MODEL_NAME, identity=STOCK_IDENTITY)
        finally:
            server.stop()
        return
    yield Endpoint(base_url=REPLAY_URL, model=MODEL_NAME, identity=STOCK_IDENTITY)


@pytest.fixture
def replay_config(tmp_path: Path) -> Config:
    """The embedded model's defaults with a private cache and fail-fast transport."""
    return Config(mode="llama_json", cache_dir=tmp_path / "cache", max_attempts=1 if not RECORDING else 4)


@pytest.fixture
def seed_config(replay_config: Config) -> Iterator[Config]:
    """While recording, the seed articles' answers are also copied to
    EXTRACTOR_RECORD_CACHE_DIR (``make record`` points it at the user's cache, so
    ``make demo`` then needs no model time). The test itself always starts from an empty
    cache, so that every request is really sent and recorded."""
    yield replay_config
    shared = os.environ.get("EXTRACTOR_RECORD_CACHE_DIR")
    if RECORDING and shared and replay_config.cache_dir is not None:
        with diskcache.Cache(str(replay_config.cache_dir)) as made, diskcache.Cache(shared) as kept:
            for key in made:
                kept.set(key, made[key])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if LIVE_REQUIRED and report.skipped and item.get_closest_marker("live") is not None:
        report.outcome = "failed"
        report.longrepr = f"EXTRACTOR_LIVE=1 but this live test was skipped: {report.longrepr}"
