"""Validated model answers on disk, keyed by everything that could change them.

What is cached is each call's validated draft, not the final facts: a hit skips the
call, and grounding and normalisation (cheap, deterministic) run again, so a fix in
that code reaches cached articles without paying for the model twice.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import diskcache

from .models import SCHEMA_VERSION

# 2: messages reach the model verbatim (instructor used to render the metric pass's
# messages as Jinja templates, which dropped their final newline; see validation.py)
KEY_VERSION = 2


def cache_key(
    *,
    model: str,
    endpoint: str,
    prompt_hash: str,
    schema: str,
    messages: list[dict[str, str]],
    request: dict[str, Any] | None = None,
) -> str:
    """(model, endpoint, prompt hash, schema version, hash of the text as sent, and how
    it was asked: ``request`` holds the mode, the draft's JSON schema, the temperature)."""
    parts = {
        "key": KEY_VERSION,
        "model": model,
        "endpoint": endpoint,
        "prompt": prompt_hash,
        "schema": f"{SCHEMA_VERSION}/{schema}",
        "request": request or {},
        "text": hashlib.sha256(json.dumps(messages, ensure_ascii=False).encode("utf-8")).hexdigest(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


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
