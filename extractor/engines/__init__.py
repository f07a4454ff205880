"""How a batch runs: one interface, two engines.

``local`` is the asyncio batch runner in this process (``extractor.batch``); ``ray`` runs
the same batch on a Ray Data actor pool, on this machine or a cluster. Both read the same
inputs and write the same output folder (``facts.jsonl``, ``articles/``, ``errors.jsonl``,
``summary.json``), resume the same way and report the same ``BatchResult``, so switching
engines is one flag. This package sits above the core: the core never imports it, and the
Ray engine is imported only when asked for (``engine_named``), so Ray stays optional.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .._exceptions import ConfigError, ExtractorError
from ..batch import BatchResult, Progress
from ..config import Config

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class BatchJob:
    """One batch: what to read, where to write, how to call the model (``config``, its
    ``rpm`` included: requests per minute over the whole engine)."""

    inputs: tuple[Path, ...]
    outdir: Path
    config: Config
    concurrency: int = 1  # articles in flight and requests on the wire, over the whole engine
    force: bool = False
    limit: int | None = None


class Engine(Protocol):
    name: str

    def run(self, job: BatchJob, on_progress: Callable[[Progress], None] | None = None) -> BatchResult:
        """Runs the batch to the end (or until interrupted) and leaves its outputs on disk."""
        ...


class EngineUnavailable(ExtractorError, RuntimeError):
    """The engine asked for cannot run here (its extra is not installed): says how to get it."""


def engine_named(name: str, *, ray_address: str | None = None, actors: int | None = None) -> Engine:
    """The engine called ``name``; Ray is imported only for ``ray``."""
    if name == "local":
        if ray_address is not None or actors is not None:
            raise ConfigError("engine", name, "--ray-address and --actors need --engine ray")
        from .local import LocalEngine

        return LocalEngine()
    if name == "ray":
        try:
            from .ray import RayEngine
        except ImportError as error:
            raise EngineUnavailable(
                f"the ray engine needs the ray extra ({error}): pip install 'finfacts-extractor[ray]'"
            ) from None
        return RayEngine(address=ray_address, actors=actors)
    raise ConfigError("engine", name, f"one of {', '.join(ENGINES)}")
