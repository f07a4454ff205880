"""Put a benchmark's printed table into the READMEs between their markers.

The whole table goes to ``bench/README.md`` (beside the scripts and the notes on what
they measure); its headline rows go to the top-level ``README.md``. Both files mark the
place with ``<!-- section:start -->`` and ``<!-- section:end -->``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BENCH_README = ROOT / "bench" / "README.md"


def write_table(section: str, text: str, readme: Path = README) -> None:
    """Replace what stands between ``<!-- section:start -->`` and ``<!-- section:end -->``."""
    content = readme.read_text(encoding="utf-8")
    start_mark, end_mark = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    start, end = content.index(start_mark) + len(start_mark), content.index(end_mark)
    readme.write_text(content[:start] + "\n" + text + "\n" + content[end:], encoding="utf-8")


def headline(text: str, keep: Callable[[str], bool] | None) -> str:
    """The table with only the body rows ``keep`` accepts (all when None); the lines
    around it (what was measured, the verdict) and its header stay."""
    lines = text.split("\n")
    rows = [i for i, line in enumerate(lines) if line.startswith("|")]
    body = set(rows[2:])  # after the header and its separator
    return "\n".join(line for i, line in enumerate(lines) if i not in body or keep is None or keep(line))


def report(section: str, text: str, *, write: bool, headline_rows: Callable[[str], bool] | None = None) -> None:
    """Print a benchmark's table; with ``write`` put it into bench/README.md and its
    headline rows (``headline_rows``; all when None) into README.md."""
    print(text)
    if write:
        write_table(section, text, BENCH_README)
        write_table(section, headline(text, headline_rows), README)
