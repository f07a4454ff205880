"""Put a benchmark's printed table into README.md between its markers."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def write_table(section: str, text: str, readme: Path = README) -> None:
    """Replace what stands between ``<!-- section:start -->`` and ``<!-- section:end -->``."""
    content = readme.read_text(encoding="utf-8")
    start_mark, end_mark = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    start, end = content.index(start_mark) + len(start_mark), content.index(end_mark)
    readme.write_text(content[:start] + "\n" + text + "\n" + content[end:], encoding="utf-8")


def report(section: str, text: str, *, write: bool) -> None:
    """Print a benchmark's table, and with ``write`` also put it into the README."""
    print(text)
    if write:
        write_table(section, text)
