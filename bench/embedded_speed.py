"""Embedded model speed: the same seed article through three configurations, side by side.

    python bench/embedded_speed.py [--article 4] [--draft-tokens 10] [--write-readme]

1. ``instructor JSON mode``: what instructor does in JSON mode, the whole schema
   appended to the system prompt (plus the grammar);
2. ``grammar only``: our llama_json mode, the schema sent only as the grammar, so each
   pass's prompt is ~500 tokens shorter and the article prefix stays shared;
3. ``+ prompt lookup``: llama.cpp's prompt-lookup (n-gram) speculative decoding, which
   drafts tokens by copying from the prompt; extraction copies quotes and names from the
   article, so many drafts are accepted.

Each run starts its own server and asks afresh (no cache). Prints seconds per article,
tokens, generated tokens/s of the whole pipeline next to llama.cpp's own decode speed
from the server's timing lines, the server's peak memory, the speed-ups, and whether
the facts equal the previous configuration's (temperature 0). About 7 minutes on 2 cores.
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

import instructor

from bench.readme_table import report
from extractor import llm
from extractor.articles import load
from extractor.backends.embedded import EmbeddedBackend, _servers, stop_all
from extractor.config import Config
from extractor.models import Article
from extractor.pipeline import Extractor

SEED = [a for a in load([ROOT / "tests" / "fixtures" / "weilidai-digest.txt"]) if isinstance(a, Article)]
GRAMMAR_ONLY = llm._MODES["llama_json"]
_EVAL = re.compile(r"^llama_perf_context_print:\s+eval time =\s+([\d.]+) ms /\s+(\d+) runs", re.M)


def decode_speed(log: Path) -> float:
    """Generated tokens per second of decoding alone, from llama.cpp's timing lines."""
    runs = [(float(ms), int(n)) for ms, n in _EVAL.findall(log.read_text(errors="replace"))]
    total_ms, tokens = sum(ms for ms, _ in runs), sum(n for _, n in runs)
    return tokens / (total_ms / 1000) if total_ms else 0.0


def peak_rss_mb(pid: int) -> float:
    """The server process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def one_run(article: Article, *, draft_tokens: int, schema_in_prompt: bool) -> dict[str, Any]:
    os.environ["EXTRACTOR_DRAFT_TOKENS"] = str(draft_tokens)
    # configuration 1 only: instructor's JSON mode, which writes the schema into the prompt
    llm._MODES["llama_json"] = instructor.Mode.JSON if schema_in_prompt else GRAMMAR_ONLY
    config = Config(cache=False)
    extractor = Extractor(config, backend=EmbeddedBackend(config))
    try:
        await extractor.endpoint()
        server = next(iter(_servers.values()))
        log = server.log_path
        began = time.perf_counter()
        facts = await extractor.extract(article)
        seconds = time.perf_counter() - began
        rss_mb = peak_rss_mb(server.process.pid)
    finally:
        await extractor.aclose()
        stop_all()
        llm._MODES["llama_json"] = GRAMMAR_ONLY
    usage = facts.meta.usage
    return {
        "seconds": seconds,
        "completion_tokens": usage.completion_tokens,
        "prompt_tokens": usage.prompt_tokens,
        "pipeline_tok_s": usage.completion_tokens / seconds,
        "decode_tok_s": decode_speed(log),
        "rss_mb": rss_mb,
        "facts": facts.model_dump(mode="json", exclude={"meta"}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=int, default=4, help="seed article number, 1-10")
    parser.add_argument("--draft-tokens", type=int, default=10)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    article = SEED[args.article - 1]
    runs = {
        "instructor JSON mode (schema in prompt)": asyncio.run(one_run(article, draft_tokens=0, schema_in_prompt=True)),
        "grammar only": asyncio.run(one_run(article, draft_tokens=0, schema_in_prompt=False)),
        f"+ prompt lookup ({args.draft_tokens} tokens)": asyncio.run(
            one_run(article, draft_tokens=args.draft_tokens, schema_in_prompt=False)
        ),
    }
    lines = [
        f"Embedded model, {os.cpu_count()} cores, seed article {args.article} ({len(article.text)} chars), "
        "fresh (no cache). Printed by `python bench/embedded_speed.py`.",
        "",
        "| configuration | s/article | speed-up vs. first | prompt tokens | generated tokens | pipeline gen tok/s "
        "| llama.cpp decode tok/s | server peak RSS | same facts as the row above |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    first = next(iter(runs.values()))
    previous: dict[str, Any] | None = None
    for name, row in runs.items():
        same = "" if previous is None else ("yes" if row["facts"] == previous["facts"] else "no")
        lines.append(
            f"| {name} | {row['seconds']:.0f} | {first['seconds'] / row['seconds']:.2f}× | {row['prompt_tokens']} | "
            f"{row['completion_tokens']} | {row['pipeline_tok_s']:.1f} | {row['decode_tok_s']:.1f} | "
            f"{row['rss_mb']:.0f} MB | {same} |"
        )
        previous = row
    best_name, best = min(runs.items(), key=lambda item: item[1]["seconds"])
    lines.append(
        f"\nFastest: {best_name}, {first['seconds'] / best['seconds']:.2f}× the first configuration (target ≥ 1.5×)."
    )
    report("embedded-speed", "\n".join(lines), write=args.write_readme)


if __name__ == "__main__":
    main()
