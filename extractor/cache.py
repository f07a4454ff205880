"""Validated results on disk, keyed by everything that could change them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import diskcache

from .models import SCHEMA_VERSION

# Bump when code that turns drafts into facts changes what it produces.
PIPELINE_VERSION = "1"


def cache_key(*, model: str, endpoint: str, prompt_hash: str, text: str, title: str | None, published_at: str | None) -> str:
    """(model, endpoint, prompt hash, schema version, text hash) and what the prompt shows."""
    parts = {
        "model": model,
        "endpoint": endpoint,
        "prompt": prompt_hash,
        "schema": SCHEMA_VERSION,
        "pipeline": PIPELINE_VERSION,
        "text": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "title": title,
        "published_at": published_at,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ResultCache:
    """A thin, process-safe wrapper over diskcache (SQLite underneath)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._cache = diskcache.Cache(str(directory), size_limit=2**32)

    def get(self, key: str) -> dict[str, Any] | None:
        value = self._cache.get(key)
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._cache.set(key, value)

    def close(self) -> None:
        self._cache.close()
