"""Settings, all in one place: ``Config``.

Precedence, highest first: arguments (``Config(...)``, ``Config.from_env(**overrides)``,
the CLI's options), then ``EXTRACTOR_*`` variables, then ``OPENAI_*`` ones, then the
defaults below. Only ``Config.from_env`` (and ``cache_root`` for where files live) reads
the environment; everything else gets its settings passed down from a ``Config``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from ._exceptions import ConfigError
from .providers import default_mode

Mode = Literal["tools", "json", "json_schema", "llama_json"]

EMBEDDED = "embedded"


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


V = TypeVar("V")


def _env_as(name: str, parse: Callable[[str], V]) -> V | None:
    """``name`` read with ``parse``; None when unset; a ConfigError naming it when unreadable."""
    raw = _env(name)
    if raw is None:
        return None
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a valid value") from None


def _flag(raw: str) -> bool:
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _embedded_env() -> dict[str, Any]:
    """The embedded model's settings from ``EXTRACTOR_LOCAL_MODEL``, ``_THREADS``,
    ``_DRAFT_TOKENS`` and ``_GRAMMAR_FIRST``."""
    return {
        "local_model": _env_as("EXTRACTOR_LOCAL_MODEL", lambda raw: Path(raw).expanduser()),
        "threads": _env_as("EXTRACTOR_THREADS", int),
        "draft_tokens": _env_as("EXTRACTOR_DRAFT_TOKENS", int),
        "grammar_first": _env_as("EXTRACTOR_GRAMMAR_FIRST", _flag),
    }


@dataclass(frozen=True)
class Config:
    """How to reach a model and how to cut and cache work.

    ``base_url=None`` means the embedded local model. ``mode`` picks how instructor asks
    for structure: ``tools`` (function calling), ``json``, ``json_schema`` (OpenAI's
    response format) or ``llama_json`` (the schema goes only into llama.cpp's JSON
    response format, which the server enforces as a grammar, so the prompt stays short
    and the article prefix is shared between passes; the default for the embedded model).

    The embedded model's server: ``local_model`` is a GGUF to use instead of the pinned,
    hash-checked default; ``threads`` its CPU threads (None: every core this process may
    use); ``draft_tokens`` the tokens it drafts per step by copying from the context
    (0 turns speculative decoding off); ``grammar_first=False`` makes it check every
    candidate token against the grammar, as stock llama.cpp does (the speed benchmark's
    baseline; the chosen token is the same).
    """

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: Mode | None = None
    temperature: float = 0.0
    max_tokens: int = 2048
    timeout_s: float = 600.0
    max_attempts: int = 4
    max_retry_wait_s: float = 60.0
    retry_budget_s: float = 900.0
    max_reasks: int = 1
    max_article_chars: int = 100_000
    chunk_chars: int = 2400
    chunk_overlap: int = 200
    cache: bool = True
    cache_dir: Path | None = None
    local_model: Path | None = None
    threads: int | None = None
    draft_tokens: int = 4  # copy drafts make an article ~1.2x faster (bench/embedded_speed.py)
    grammar_first: bool = True

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        """Arguments win over the environment; unset arguments fall back to it."""
        given = {k: v for k, v in overrides.items() if v is not None}
        env: dict[str, Any] = {
            "base_url": _env("EXTRACTOR_BASE_URL", "OPENAI_BASE_URL"),
            "model": _env("EXTRACTOR_MODEL", "OPENAI_MODEL"),
            "api_key": _env("EXTRACTOR_API_KEY", "OPENAI_API_KEY"),
            "mode": _env("EXTRACTOR_MODE"),
            "timeout_s": float(t) if (t := _env("EXTRACTOR_TIMEOUT_S")) else None,
            "max_attempts": int(a) if (a := _env("EXTRACTOR_MAX_ATTEMPTS")) else None,
        }
        env.update(_embedded_env())
        values = {k: v for k, v in env.items() if v is not None}
        values.update(given)
        return cls(**values)

    def with_(self, **changes: Any) -> Config:
        return replace(self, **changes)

    @property
    def embedded(self) -> bool:
        return self.base_url is None

    @property
    def resolved_mode(self) -> Mode:
        """The mode asked for, else the one the endpoint is known to answer
        (``extractor.providers``): ``llama_json`` for the embedded model."""
        if self.mode:
            return self.mode
        return default_mode(self.base_url)  # type: ignore[return-value]

    def resolved_cache_dir(self) -> Path:
        return self.cache_dir if self.cache_dir is not None else cache_root() / "results"


def cache_root() -> Path:
    """Where the project keeps its files (``EXTRACTOR_CACHE_DIR`` or the XDG cache)."""
    root = os.environ.get("EXTRACTOR_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "extractor"
