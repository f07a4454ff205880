"""What the service answers besides ``ArticleFacts``: job status, problems, health."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field

from ._store import JobRow

JobState = Literal["queued", "running", "done", "failed", "cancelled"]


def _time(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="milliseconds")


class JobCounts(BaseModel):
    total: int
    ok: int = Field(description="articles in the results")
    failed: int = Field(description="articles in the errors")
    pending: int = Field(description="articles not finished yet (waiting or running)")
    running: int = Field(description="articles being extracted now")
    cancelled: int = Field(description="articles never done because the job was cancelled")


class JobStatus(BaseModel):
    id: str
    kind: Literal["sync", "batch"] = Field(description="sync: one article of POST /v1/extract")
    state: JobState = Field(description="done: every article finished; failed: finished and none succeeded")
    counts: JobCounts
    queue_position: int | None = Field(
        description="jobs served before this one's next article (0: next); null when nothing of it waits"
    )
    created_at: str
    started_at: str | None
    finished_at: str | None
    results: str = Field(description="NDJSON of ArticleFacts in input order")
    errors: str = Field(description="NDJSON of error records, as in errors.jsonl")

    @classmethod
    def of(cls, row: JobRow, position: int | None, running: int) -> JobStatus:
        return cls(
            id=row.id,
            kind=row.kind,  # type: ignore[arg-type]
            state=row.state,  # type: ignore[arg-type]
            counts=JobCounts(
                total=row.total,
                ok=row.ok,
                failed=row.failed,
                pending=row.pending,
                running=running,
                cancelled=row.cancelled,
            ),
            queue_position=position,
            created_at=_time(row.created_at) or "",
            started_at=_time(row.started_at),
            finished_at=_time(row.finished_at),
            results=f"/v1/jobs/{row.id}/results",
            errors=f"/v1/jobs/{row.id}/errors",
        )


class JobList(BaseModel):
    jobs: list[JobStatus]


class Problem(BaseModel):
    """Every error answer: what went wrong, and where for a bad body."""

    detail: str
    problems: list[dict[str, Any]] | None = Field(
        default=None, description="each problem of a bad body: line (NDJSON) or item (JSON list), field, message"
    )
    job_id: str | None = Field(default=None, description="the job that holds the work (504, 503, failed extraction)")
    error: dict[str, Any] | None = Field(default=None, description="the article's error record (502, 500)")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    reason: str | None = None
    model: str | None = None
