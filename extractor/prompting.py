"""Versioned prompt templates, shipped in the wheel as ``extractor.prompts``.

The repository keeps them in ``prompts/<version>/``; ``pyproject.toml`` maps that
folder into the package. The version and a hash of the template text go into every
result's ``meta``, and into the cache key.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Template

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

PROMPT_VERSION = "v2"
PASSES = ("entities", "metrics", "actions")
MARK = "【#{n}】"
_MARK_RE = re.compile(r"【#\d+】")


@dataclass(frozen=True)
class PromptSet:
    version: str
    system: str  # the same for every article and pass: rules, the three tasks, examples
    article: Template  # the article as the user message shows it
    tasks: dict[str, str]  # the one line after the article that says which task
    hash: str


def _prompt_root() -> Traversable:
    """The installed ``extractor.prompts`` package, or ``prompts/`` in a source checkout."""
    try:
        return resources.files("extractor.prompts")
    except ModuleNotFoundError:
        return resources.files("extractor").joinpath("..").joinpath("prompts")


@lru_cache(maxsize=4)
def load_prompts(version: str = PROMPT_VERSION) -> PromptSet:
    folder = _prompt_root().joinpath(version)
    texts = {name: folder.joinpath(f"{name}.md").read_text(encoding="utf-8") for name in ("system", "article", *PASSES)}
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return PromptSet(
        version=version,
        system=texts["system"],
        article=Template(texts["article"]),
        tasks={name: texts[name].strip() for name in PASSES},
        hash=digest.hexdigest()[:16],
    )


def strip_marks(text: str) -> str:
    """Remove candidate markers that a model copied into a quote."""
    return _MARK_RE.sub("", text)


def build_messages(
    prompts: PromptSet,
    task: str,
    *,
    text: str,
    title: str | None,
    source: str | None,
    published_at: str | None,
) -> list[dict[str, str]]:
    """The fixed instructions, then the article, then one line naming the task.

    A server that reuses the longest prompt prefix it has cached (llama.cpp, and hosted
    providers' prompt caching) then evaluates the instructions once per batch, the
    article once per article, and only the task line once per pass.
    """
    article = prompts.article.safe_substitute(
        title=title or "(无)",
        source=source or "(无)",
        published_at=published_at or "(未知)",
        text=text,
    )
    return [
        {"role": "system", "content": prompts.system},
        {"role": "user", "content": f"{article.rstrip()}\n\n{prompts.tasks[task]}"},
    ]
