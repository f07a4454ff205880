"""The local engine: the asyncio batch runner in this process, one ``Extractor`` for all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..batch import BatchResult, BatchRunner, Progress
from ..pipeline import Extractor
from . import BatchJob


class LocalEngine:
    """Bounded concurrency on one event loop; the default engine."""

    name = "local"

    def run(self, job: BatchJob, on_progress: Callable[[Progress], None] | None = None) -> BatchResult:
        return asyncio.run(self.arun(job, on_progress))

    async def arun(self, job: BatchJob, on_progress: Callable[[Progress], None] | None = None) -> BatchResult:
        extractor = Extractor(job.config, max_requests=job.concurrency)
        runner = BatchRunner(
            extractor,
            job.outdir,
            concurrency=job.concurrency,
            rpm=job.rpm,
            force=job.force,
            limit=job.limit,
            on_progress=on_progress,
        )
        try:
            return await runner.run(list(job.inputs))
        finally:
            await extractor.aclose()
