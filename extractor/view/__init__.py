"""The HTML report: every article of a run, every fact highlighted where it was read.

    from extractor.view import read_run, render_report
    run = read_run(Path("out"))
    html = render_report(run.facts, run.errors, notices=run.notices)

One self-contained file (inline styles and script, no network) that opens from disk.
Highlights are placed here from the contract's code-point offsets; the page's script
only shows what was rendered. ``render_report`` is what a service would serve.
"""

from __future__ import annotations

from ._facts import ShownFact, shown_facts
from ._load import Run, RunNotFound, read_run
from ._report import Report, build_report, render_report

__all__ = [
    "Report",
    "Run",
    "RunNotFound",
    "ShownFact",
    "build_report",
    "read_run",
    "render_report",
    "shown_facts",
]
