"""The local engine: the asyncio batch runner in this process, one ``Extractor`` for all."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable

from ..batch import BatchResult, BatchRunner, Progress
from ..pipeline import Extractor
from . import BatchJob


class LocalEngine:
    """Bounded concurrency on one event loop; the default engine."""

    name = "local"

    def run(self, job: BatchJob, on_progress: Callable[[Progress], None] | None = None) -> BatchResult:
        """The batch on a new event loop. From the main thread, SIGTERM ends it as Ctrl-C
        does: the run is cancelled, finished work is kept and summary.json says it was
        interrupted (CancelledError reaches the caller)."""

        async def go() -> BatchResult:
            loop = asyncio.get_running_loop()
            main = asyncio.current_task()
            assert main is not None
            watch = threading.current_thread() is threading.main_thread()
            if watch:
                loop.add_signal_handler(signal.SIGTERM, main.cancel)
            try:
                return await self.arun(job, on_progress)
            finally:
                if watch:
                    loop.remove_signal_handler(signal.SIGTERM)

        return asyncio.run(go())

    async def arun(self, job: BatchJob, on_progress: Callable[[Progress], None] | None = None) -> BatchResult:
        extractor = Extractor(job.config, max_requests=job.concurrency)
        runner = BatchRunner(
            extractor,
            job.outdir,
            concurrency=job.concurrency,
            force=job.force,
            limit=job.limit,
            on_progress=on_progress,
        )
        try:
            return await runner.run(list(job.inputs))
        finally:
            await extractor.aclose()
