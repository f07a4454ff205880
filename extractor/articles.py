"""Files to articles: text, Markdown, HTML, JSON, JSONL and news digest exports.

Reading never stops a batch: every file or line that cannot be read becomes one
``UnreadableInput`` record with a reason (a value yielded in the article stream, not an
exception), and the walk goes on. Articles stream out one at a time.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from .models import Article, Origin, as_article

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES
MAX_FILE_BYTES = 50 * 1024 * 1024

_DIGEST_BYLINE = re.compile(
    r"^(?P<source>\S.{0,40}?)\s*·\s*(?P<date>\d{4}-\d{2}-\d{2})(?:[ T](?P<time>\d{2}:\d{2}))?\s*$"
)
_BODY_KEYS = ("text", "body", "content")


@dataclass(frozen=True)
class UnreadableInput:
    """A file, or one record in it, that yielded no article: a record, never raised."""

    path: str
    index: int | None
    reason: str
    stage: str = "read"


# Also importable as ``LoadError``, the name batch.py and the CLI use: a record, not an exception.
LoadError = UnreadableInput


def iter_files(inputs: Iterable[str | Path]) -> Iterator[Path | UnreadableInput]:
    """Files under the inputs, sorted, hidden ones skipped, symlink loops reported."""
    for raw in inputs:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            yield UnreadableInput(str(path), None, "no such file or folder")
            continue
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    candidate = Path(root) / name
                    if candidate.suffix.lower() in KNOWN_SUFFIXES:
                        yield candidate
        else:
            yield path


def decode(data: bytes) -> str:
    """Bytes to text: BOMs first, then strict UTF-8, then charset detection (GBK, GB18030 …)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise ValueError("binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise ValueError("undecodable bytes: not text in any known encoding")
    encoding = "gb18030" if best.encoding.lower() in {"gbk", "gb2312", "gb18030", "cp936"} else best.encoding
    text = data.decode(encoding, errors="replace")
    if text.count("\ufffd") > max(8, len(text) // 100):
        raise ValueError(f"mostly undecodable bytes (best guess {encoding})")
    return text


def _published(date: str, time: str | None) -> str:
    return f"{date}T{time}" if time else date


def split_digest(text: str) -> list[Article] | None:
    """A digest export (title, ``publisher· date`` line, body …) as articles, else None."""
    lines = text.split("\n")
    bylines = [i for i, line in enumerate(lines) if i > 0 and _DIGEST_BYLINE.match(line.strip())]
    bylines = [i for i in bylines if lines[i - 1].strip()]
    if not bylines:
        return None
    articles = []
    for n, at in enumerate(bylines):
        match = _DIGEST_BYLINE.match(lines[at].strip())
        assert match is not None
        stop = bylines[n + 1] - 1 if n + 1 < len(bylines) else len(lines)
        body = "\n".join(lines[at + 1 : stop]).strip("\n")
        articles.append(
            Article(
                title=lines[at - 1].strip(),
                source=match["source"].strip(),
                published_at=_published(match["date"], match["time"]),
                text=body,
            )
        )
    return articles


def _plain_text(text: str) -> Article:
    """A short first line followed by more text is the title."""
    stripped = text.strip("\n")
    first, _, rest = stripped.partition("\n")
    if rest.strip() and len(first.strip()) <= 80 and not first.rstrip().endswith(("。", ".", "！", "？")):
        return Article(title=first.strip(), text=rest.strip("\n"))
    return Article(text=stripped)


def _html(text: str) -> Article:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(
        ["script", "style", "noscript", "template", "head"]
        if soup.body
        else ["script", "style", "noscript", "template"]
    ):
        tag.decompose()
    title_tag = BeautifulSoup(text, "html.parser").title
    heading = soup.find("h1")
    title = (title_tag.get_text(strip=True) if title_tag else None) or (
        heading.get_text(strip=True) if heading else None
    )
    if heading is not None and title and heading.get_text(strip=True) == title:
        heading.decompose()
    body = soup.get_text("\n")
    body = "\n".join(line.strip() for line in body.split("\n"))
    body = re.sub(r"\n{3,}", "\n\n", body).strip()
    return Article(title=title, text=body)


def _from_record(record: object) -> Article:
    if not isinstance(record, dict):
        raise ValueError(f"expected an article object, got {type(record).__name__}")
    body = next((record[k] for k in _BODY_KEYS if isinstance(record.get(k), str) and record[k].strip()), None)
    if body is None:
        raise ValueError("article object has no text/body/content")
    published = record.get("published_at") or record.get("date")
    return Article(
        title=record.get("title") if isinstance(record.get("title"), str) else None,
        source=record.get("source") if isinstance(record.get("source"), str) else None,
        published_at=str(published) if published else None,
        language=str(record["language"]) if record.get("language") in ("zh", "en") else "",  # as_article detects it
        text=body,
    )


def _finish(article: Article, path: Path, index: int | None) -> Article | UnreadableInput:
    if not article.text.strip():
        return UnreadableInput(str(path), index, "empty article: no body text")
    return as_article(article.model_copy(update={"origin": Origin(path=str(path), index=index)}))


def read_file(path: Path) -> Iterator[Article | UnreadableInput]:
    """Every article in one file, or errors that say why not."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            yield UnreadableInput(str(path), None, f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            return
        data = path.read_bytes()
    except OSError as error:
        yield UnreadableInput(str(path), None, f"cannot read: {error.strerror or error}")
        return
    if not data.strip():
        yield UnreadableInput(str(path), None, "empty file")
        return
    try:
        text = decode(data)
    except (ValueError, UnicodeDecodeError) as error:
        yield UnreadableInput(str(path), None, str(error))
        return
    if not text.strip():
        yield UnreadableInput(str(path), None, "empty file (whitespace only)")
        return
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        for index, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            try:
                yield _finish(_from_record(json.loads(line)), path, index)
            except (ValueError, json.JSONDecodeError) as error:
                yield UnreadableInput(str(path), index, f"line {index + 1}: {error}")
        return
    if suffix in JSON_SUFFIXES:
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as error:
            yield UnreadableInput(str(path), None, f"invalid JSON: {error}")
            return
        records = loaded if isinstance(loaded, list) else [loaded]
        for index, record in enumerate(records):
            try:
                yield _finish(_from_record(record), path, index if isinstance(loaded, list) else None)
            except ValueError as error:
                yield UnreadableInput(str(path), index if isinstance(loaded, list) else None, str(error))
        return
    if suffix in HTML_SUFFIXES or re.match(r"\s*(<!doctype html|<html)", text[:200], re.IGNORECASE):
        yield _finish(_html(text), path, None)
        return
    digest = split_digest(text)
    if digest:
        for index, article in enumerate(digest):
            yield _finish(article, path, index)
        return
    yield _finish(_plain_text(text), path, None)


def load(inputs: Iterable[str | Path]) -> Iterator[Article | UnreadableInput]:
    """Articles from files and folders, streamed in a stable order."""
    for item in iter_files(inputs):
        if isinstance(item, UnreadableInput):
            yield item
        else:
            yield from read_file(item)
