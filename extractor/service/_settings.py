"""How the service runs: where it listens, where jobs live, its limits, its keys.

One object built once at start-up (``ServiceSettings.build``). The model settings and
the keys clients must send come from its ``Config``; nothing in the service reads the
environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config, cache_root


@dataclass(frozen=True)
class ServiceSettings:
    """No ``config.service_keys`` means no authentication (the default binds 127.0.0.1 only)."""

    config: Config = field(default_factory=Config)
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = field(default_factory=lambda: cache_root() / "service")
    concurrency: int = 4  # articles in flight at once, and requests on the wire at most
    sync_timeout_s: float = 120.0  # POST /v1/extract answers 504 (with its job id) after this
    max_body_bytes: int = 20 * 1024 * 1024
    max_queued: int = 10_000  # articles waiting over all jobs; more gets 429
    drain_timeout_s: float = 10.0  # on SIGTERM, how long articles in flight may finish
    max_wait_s: float = 300.0  # the longest long-poll a client may ask for
    keep_days: float = 7.0  # finished jobs and their results are forgotten after this (0: kept forever)

    @classmethod
    def build(cls, **options: object) -> ServiceSettings:
        """The options given; those that are None keep their defaults."""
        return cls(**{k: v for k, v in options.items() if v is not None})  # type: ignore[arg-type]

    @property
    def api_keys(self) -> tuple[str, ...]:
        return self.config.service_keys

    @property
    def database(self) -> Path:
        return self.data_dir / "jobs.sqlite3"
