"""Settings, all in one place: ``Config``.

Precedence, highest first: arguments (``Config(...)``, ``Config.from_env(**overrides)``,
the CLI's options), then ``EXTRACTOR_*`` variables, then ``OPENAI_*`` ones, then the
defaults below. Only ``Config.from_env`` (and ``cache_root`` for where files live) reads
the environment; everything else gets its settings passed down from a ``Config``
(processes working for this one on other machines take on its variables whole:
``forwarded_environment``).

Every value is checked when a ``Config`` is made, whatever it came from, so a bad
setting stops a run before any article is read, with a ``ConfigError`` that names the
setting, where it came from and what it allows.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, TypeGuard, get_args
from urllib.parse import urlsplit

from ._exceptions import ConfigError
from .providers import default_mode

Mode = Literal["tools", "json", "json_schema", "llama_json"]
MODES: tuple[str, ...] = get_args(Mode)

EMBEDDED = "embedded"


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# setting -> (accepts the value, what it allows); None is always allowed where the default is None
_RULES: dict[str, tuple[Callable[[object], bool], str]] = {
    "base_url": (_url, "an http:// or https:// URL, such as http://127.0.0.1:8080/v1"),
    "model": (lambda v: isinstance(v, str) and bool(v.strip()), "a model name"),
    "mode": (lambda v: v in MODES, "allowed values are " + ", ".join(MODES)),
    "temperature": (lambda v: _number(v) and 0 <= v <= 2, "a number from 0 to 2"),
    "max_tokens": (lambda v: _whole(v) and v >= 1, "a whole number of at least 1"),
    "timeout_s": (lambda v: _number(v) and v > 0, "a number of seconds above 0"),
    "stall_timeout_s": (lambda v: _number(v) and v > 0, "a number of seconds above 0"),
    "max_attempts": (lambda v: _whole(v) and v >= 1, "a whole number of at least 1"),
    "max_retry_wait_s": (lambda v: _number(v) and v >= 0, "a number of seconds, 0 or more"),
    "retry_budget_s": (lambda v: _number(v) and v > 0, "a number of seconds above 0"),
    "max_reasks": (lambda v: _whole(v) and v >= 0, "a whole number, 0 or more"),
    "rpm": (lambda v: _number(v) and v > 0, "a number of requests per minute above 0"),
    "max_article_chars": (lambda v: _whole(v) and v >= 1, "a whole number of at least 1"),
    "chunk_chars": (lambda v: _whole(v) and v >= 1, "a whole number of at least 1"),
    "chunk_overlap": (lambda v: _whole(v) and v >= 0, "a whole number, 0 or more"),
    "cache": (lambda v: isinstance(v, bool), "true or false"),
    "local_model": (lambda v: isinstance(v, Path) and str(v) not in ("", "."), "a path to a GGUF file"),
    "threads": (lambda v: _whole(v) and v >= 1, "a whole number of at least 1"),
    "draft_tokens": (lambda v: _whole(v) and v >= 0, "a whole number, 0 or more (0: no drafts)"),
    "grammar_first": (lambda v: isinstance(v, bool), "true or false (also 1/0, yes/no, on/off)"),
    "service_keys": (
        lambda v: isinstance(v, tuple) and all(isinstance(k, str) and k and k == k.strip() for k in v),
        "API keys separated by commas",
    ),
}

# setting -> environment variables, first found wins
ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "base_url": ("EXTRACTOR_BASE_URL", "OPENAI_BASE_URL"),
    "model": ("EXTRACTOR_MODEL", "OPENAI_MODEL"),
    "api_key": ("EXTRACTOR_API_KEY", "OPENAI_API_KEY"),
    "mode": ("EXTRACTOR_MODE",),
    "timeout_s": ("EXTRACTOR_TIMEOUT_S",),
    "stall_timeout_s": ("EXTRACTOR_STALL_TIMEOUT_S",),
    "max_attempts": ("EXTRACTOR_MAX_ATTEMPTS",),
    "local_model": ("EXTRACTOR_LOCAL_MODEL",),
    "threads": ("EXTRACTOR_THREADS",),
    "draft_tokens": ("EXTRACTOR_DRAFT_TOKENS",),
    "grammar_first": ("EXTRACTOR_GRAMMAR_FIRST",),
    "service_keys": ("EXTRACTOR_API_KEYS",),
}


def _env(*names: str) -> tuple[str, str] | None:
    """(variable, value) of the first of ``names`` that is set and not empty."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return name, value
    return None


def _flag(raw: str) -> bool:
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


# setting -> how its environment string becomes a value (the rest stay strings)
_PARSERS: dict[str, Callable[[str], object]] = {
    "timeout_s": float,
    "stall_timeout_s": float,
    "max_attempts": int,
    "local_model": lambda raw: Path(raw).expanduser(),
    "threads": int,
    "draft_tokens": int,
    "grammar_first": _flag,
    "service_keys": lambda raw: tuple(key.strip() for key in raw.split(",") if key.strip()),
}


@dataclass(frozen=True)
class Config:
    """How to reach a model and how to cut and cache work.

    ``base_url=None`` means the embedded local model. ``mode`` picks how instructor asks
    for structure: ``tools`` (function calling), ``json``, ``json_schema`` (OpenAI's
    response format) or ``llama_json`` (the schema goes only into llama.cpp's JSON
    response format, which the server enforces as a grammar, so the prompt stays short
    and the article prefix is shared between passes; the default for the embedded model).

    ``timeout_s`` bounds one request from sending it to the last byte of the answer
    (the model's generation time included); ``stall_timeout_s`` bounds how long a
    connection may sit silent while connecting, sending, or once the answer has started
    to arrive: a stall is retried long before ``timeout_s`` would end it. ``rpm`` bounds
    requests per minute over the whole extractor, retries and re-asks included.

    The embedded model's server: ``local_model`` is a GGUF to use instead of the pinned,
    hash-checked default; ``threads`` its CPU threads (None: every core this process may
    use); ``draft_tokens`` the tokens it drafts per step by copying from the context
    (0 turns speculative decoding off); ``grammar_first=False`` makes it check every
    candidate token against the grammar, as stock llama.cpp does (the speed benchmark's
    baseline; the chosen token is the same).

    ``service_keys`` are the keys a client of ``extractor serve`` must send (none: the
    service asks for none); never shown, like ``api_key``.
    """

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: Mode | None = None
    temperature: float = 0.0
    max_tokens: int = 2048
    timeout_s: float = 600.0
    stall_timeout_s: float = 30.0
    max_attempts: int = 4
    max_retry_wait_s: float = 60.0
    retry_budget_s: float = 900.0
    max_reasks: int = 1
    rpm: float | None = None
    max_article_chars: int = 100_000
    chunk_chars: int = 2400
    chunk_overlap: int = 200
    cache: bool = True
    cache_dir: Path | None = None
    local_model: Path | None = None
    threads: int | None = None
    draft_tokens: int = 4  # copy drafts: speed-up measured by bench/embedded_speed.py (README)
    grammar_first: bool = True
    service_keys: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        for setting in fields(self):
            rule = _RULES.get(setting.name)
            value = getattr(self, setting.name)
            if rule is None or (value is None and setting.default is None):
                continue
            accepts, allowed = rule
            if not accepts(value):
                raise ConfigError(setting.name, value, allowed)
        if self.chunk_overlap >= self.chunk_chars:
            raise ConfigError("chunk_overlap", self.chunk_overlap, f"less than chunk_chars ({self.chunk_chars})")

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        """Arguments win over the environment; unset arguments fall back to it.

        Raises ConfigError naming the variable when a value from the environment is bad.
        """
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for setting, names in ENVIRONMENT.items():
            found = _env(*names)
            if found is None:
                continue
            sources[setting], raw = found
            values[setting] = _parse(setting, raw, sources[setting])
        given = {k: v for k, v in overrides.items() if v is not None}
        values.update(given)
        try:
            return cls(**values)
        except ConfigError as error:
            if error.setting in sources and error.setting not in given:
                raise error.named(sources[error.setting]) from None
            raise

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


def _parse(setting: str, raw: str, source: str) -> object:
    """An environment string as the setting's type (checked again by Config)."""
    parse = _PARSERS.get(setting)
    if parse is None:
        return raw
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(setting, raw, _RULES[setting][1], source) from None


def forwarded_environment() -> dict[str, str]:
    """This process's ``EXTRACTOR_*`` variables, API keys left out: what a process working
    on its behalf (a Ray actor, on any node) takes on with ``adopt_environment``, so that
    ``Config.from_env`` and ``cache_root`` read there what they read here. Keys travel
    only inside a ``Config``."""
    return {k: v for k, v in os.environ.items() if k.startswith("EXTRACTOR_") and "API_KEY" not in k}


def adopt_environment(variables: dict[str, str]) -> None:
    """Take on the variables ``forwarded_environment`` gave in the process worked for."""
    os.environ.update(variables)


def cache_root() -> Path:
    """Where the project keeps its files (``EXTRACTOR_CACHE_DIR`` or the XDG cache)."""
    root = os.environ.get("EXTRACTOR_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "extractor"
