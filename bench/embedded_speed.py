"""Embedded model speed: plain vs. prompt-lookup speculative decoding, same article.

    python bench/embedded_speed.py [--article 3] [--draft-tokens 10]

Runs one seed article through extract() on the embedded server twice, fresh (no
cache): first plain, then with llama.cpp's prompt-lookup decoding (extraction copies
quotes from the input, so n-gram drafts from the prompt should often be accepted).
Prints seconds per article, generated tokens/s of the whole pipeline, the raw llama.cpp
decode speed from the server's own timing lines, and whether both runs gave the same
facts (temperature 0). Takes 5–10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.articles import load
from extractor.backends.embedded import EmbeddedBackend, _servers, stop_all
from extractor.config import Config
from extractor.models import Article
from extractor.pipeline import Extractor

SEED = [a for a in load([ROOT / "tests" / "fixtures" / "weilidai-digest.txt"]) if isinstance(a, Article)]
_EVAL = re.compile(r"^llama_perf_context_print:\s+eval time =\s+([\d.]+) ms /\s+(\d+) runs", re.M)


def decode_speed(log: Path) -> float:
    """Generated tokens per second of decoding alone, from llama.cpp's timing lines."""
    runs = [(float(ms), int(n)) for ms, n in _EVAL.findall(log.read_text(errors="replace"))]
    total_ms, tokens = sum(ms for ms, _ in runs), sum(n for _, n in runs)
    return tokens / (total_ms / 1000) if total_ms else 0.0


async def one_run(article: Article, draft_tokens: int) -> dict[str, Any]:
    os.environ["EXTRACTOR_DRAFT_TOKENS"] = str(draft_tokens)
    config = Config(cache=False)
    backend = EmbeddedBackend(config)
    extractor = Extractor(config, backend=backend)
    await extractor.endpoint()
    log = next(iter(_servers.values())).log_path
    began = time.perf_counter()
    facts = await extractor.extract(article)
    seconds = time.perf_counter() - began
    await extractor.aclose()
    stop_all()
    usage = facts.meta.usage
    return {
        "seconds": seconds,
        "completion_tokens": usage.completion_tokens,
        "prompt_tokens": usage.prompt_tokens,
        "pipeline_tok_s": usage.completion_tokens / seconds,
        "decode_tok_s": decode_speed(log),
        "facts": facts.model_dump(mode="json", exclude={"meta"}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=int, default=3, help="seed article number, 1-10")
    parser.add_argument("--draft-tokens", type=int, default=10)
    args = parser.parse_args()
    article = SEED[args.article - 1]
    plain = asyncio.run(one_run(article, 0))
    lookup = asyncio.run(one_run(article, args.draft_tokens))
    print(
        f"Machine: {os.cpu_count()} cores. Article: seed {args.article} ({len(article.text)} chars). "
        "Printed by `python bench/embedded_speed.py`.\n"
    )
    print(
        "| configuration | s/article | prompt tokens | generated tokens | pipeline gen tok/s | llama.cpp decode tok/s |"
    )
    print("|---|---|---|---|---|---|")
    for name, row in (("plain", plain), (f"prompt lookup ({args.draft_tokens} tokens)", lookup)):
        print(
            f"| {name} | {row['seconds']:.1f} | {row['prompt_tokens']} | {row['completion_tokens']} | "
            f"{row['pipeline_tok_s']:.1f} | {row['decode_tok_s']:.1f} |"
        )
    same = plain["facts"] == lookup["facts"]
    print(f"\nspeed-up: {plain['seconds'] / lookup['seconds']:.2f}× (target ≥ 1.5×); same facts: {same}")


if __name__ == "__main__":
    main()
