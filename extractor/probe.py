"""One tiny structured request per mode: does this endpoint answer the way we ask?

``extractor doctor --base-url URL`` runs it before a user spends a batch on an endpoint
that refuses the default mode. The request goes through the same ``ModelCaller`` as an
extraction (same body shape, retries, redaction), with a one-field answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._exceptions import ExtractionError
from .config import Config
from .drafts import Answer
from .endpoint import Endpoint
from .llm import ModelCaller
from .providers import alternatives


class Probe(Answer):
    ok: bool


PROBE_MESSAGES = [
    {"role": "system", "content": "只输出 JSON。Answer with JSON only."},
    {"role": "user", "content": '回答 {"ok": true}'},
]


@dataclass(frozen=True)
class ProbeResult:
    mode: str
    works: bool
    detail: str  # the answer's usage, or the error as the user would see it


async def probe_mode(config: Config, endpoint: Endpoint, mode: str) -> ProbeResult:
    settings = config.with_(mode=mode, max_tokens=32, max_attempts=1, max_reasks=1)
    caller = ModelCaller(settings, endpoint, max_connections=1)
    try:
        result = await caller.call(Probe, PROBE_MESSAGES)
    except ExtractionError as error:
        return ProbeResult(mode, False, f"{type(error).__name__}: {error}")
    finally:
        await caller.aclose()
    return ProbeResult(mode, True, f"answered in {result.usage.total_tokens} tokens")


async def probe(config: Config, endpoint: Endpoint, *, all_modes: bool = False) -> list[ProbeResult]:
    """The chosen mode first; the others (most likely first) when it fails or when
    ``all_modes``."""
    chosen = config.resolved_mode
    results = [await probe_mode(config, endpoint, chosen)]
    if all_modes or not results[0].works:
        for mode in alternatives(chosen, endpoint.base_url):
            results.append(await probe_mode(config, endpoint, mode))
    return results
