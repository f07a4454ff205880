"""Where model requests go: the one value a backend hands to the model caller.

Kept apart from ``llm.py`` so that backends, which only start servers and say where they
listen, need none of the model-calling libraries (openai, instructor).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Endpoint:
    """Where requests go. ``identity`` is stable across runs (the cache key uses it)."""

    base_url: str
    model: str
    api_key: str = field(default="not-needed", repr=False)
    identity: str = ""
    provider: str = "openai-compatible"
    # One request at a time is all the server does; keeping an article's passes
    # together lets it reuse the article's prompt prefix from one pass to the next.
    serial: bool = False
