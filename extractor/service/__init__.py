"""The HTTP service: ``extractor serve``, the same facts over HTTP, jobs that survive a crash.

    from extractor.service import ServiceSettings, create_app, serve
    serve(ServiceSettings.build(config=Config.from_env(), port=8000))   # what `extractor serve` runs

``create_app`` gives the ASGI app for another server; its lifespan starts the job store,
the ``Extractor`` and the queue. Needs the ``serve`` extra (FastAPI, uvicorn,
prometheus-client).
"""

from __future__ import annotations

from ._app import create_app
from ._server import serve
from ._settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app", "serve"]
