"""Fresh extractions of seed articles by one checkout's embedded model, with what
llama.cpp evaluated for each (run by ``embedded_speed.py --layout-against``).

    CHECKOUT/.venv/bin/python bench/layout_probe.py --root CHECKOUT --articles 3,4,6,10 --out run.json

``--root`` is the checkout whose ``extractor`` package is imported, so the same probe
measures two prompt layouts (today's ``main`` and this tree) with each one's own code.
It uses only what both have: ``Extractor``, ``Config``, the loader and the embedded
backend. No answer cache: every request is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

_PREFIX_HIT = re.compile(r"Llama\.generate: (\d+) prefix-match hit")
_PROMPT_MS = re.compile(r"prompt eval time =\s+([\d.]+) ms /\s+(\d+) tokens")
_EVAL_MS = re.compile(r"^llama_perf_context_print:\s+eval time =\s+([\d.]+) ms /\s+(\d+) runs", re.M)


def cached_tokens(log: str) -> int:
    """Prompt tokens the server took from its cache (llama-cpp-python logs the prefix it
    reuses for every request that has one)."""
    return sum(int(n) for n in _PREFIX_HIT.findall(log))


def token_count(base_url: str, text: str) -> int:
    """Tokens of ``text`` by the server's own tokenizer (llama-cpp-python's
    ``/extras/tokenize``)."""
    import urllib.request

    request = urllib.request.Request(
        base_url.removesuffix("/v1") + "/extras/tokenize",
        data=json.dumps({"input": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return len(json.loads(response.read())["tokens"])


async def measure(articles: list[int]) -> list[dict[str, Any]]:
    from extractor.articles import load
    from extractor.backends import embedded
    from extractor.config import Config
    from extractor.models import Article
    from extractor.pipeline import Extractor

    root = Path(sys.path[0])
    seeds = [a for a in load([root / "tests" / "fixtures" / "weilidai-digest.txt"]) if isinstance(a, Article)]
    extractor = Extractor(Config(cache=False))
    rows = []
    try:
        await extractor.endpoint()
        server = next(iter(embedded._servers.values()))
        for number in articles:
            mark = server.log_path.stat().st_size
            began = time.perf_counter()
            facts = await extractor.extract(seeds[number - 1])
            seconds = time.perf_counter() - began
            await asyncio.sleep(0.5)  # the server's log lines for the last request
            with server.log_path.open(encoding="utf-8", errors="replace") as handle:
                handle.seek(mark)
                log = handle.read()
            calls = facts.meta.calls
            rows.append(
                {
                    "article": number,
                    "chars": len(facts.article.text),
                    "article_tokens": token_count(server.base_url, facts.article.text),
                    "seconds": seconds,
                    "calls": calls,
                    "prompt_tokens_sent": facts.meta.usage.prompt_tokens,
                    "prompt_tokens_evaluated": facts.meta.usage.prompt_tokens - cached_tokens(log),
                    "completion_tokens": facts.meta.usage.completion_tokens,
                    "log": log,
                    "prompt_ms": sum(float(ms) for ms, _ in _PROMPT_MS.findall(log)),
                    "eval_ms": sum(float(ms) for ms, _ in _EVAL_MS.findall(log)),
                    "facts": facts.model_dump(mode="json", exclude={"meta"}),
                }
            )
    finally:
        await extractor.aclose()
        embedded.stop_all()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--articles", default="3,4,6,10")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    rows = asyncio.run(measure([int(n) for n in args.articles.split(",")]))
    args.out.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
