"""Embedded model speed: one seed article through server configurations, side by side.

    python bench/embedded_speed.py [--article 4] [--draft-tokens 4] [--plain-lib DIR] [--repeat 2] [--write-readme]

Every row sends the same requests (our prompts, the schema as grammar, temperature 0)
to a fresh server, without any cache, and each row adds one change to the row above:

1. ``plain``: llama-cpp-python's own server with its default settings, on the build
   given by ``--plain-lib`` (a ``llama_cpp/lib`` folder of a portable AVX2 build; the
   installed build when omitted);
2. ``+ logits only where sampled``: our server wrapper (``extractor.backends._serve``);
   the stock server computes and copies the logits of every prompt token;
3. ``+ this machine's build``: the installed llama.cpp build (``make setup-local``
   compiles it for the CPU's instruction set, AVX-512 VNNI here); only with --plain-lib;
4. ``+ grammar checked on the chosen token first``: the grammar checks the best token
   alone, and all 151,936 candidates only when it rejects that one;
5. ``+ copy drafts``: speculative decoding with ``CopyDraft`` (tokens copied from the
   context, verified by the model).

Prompt evaluation speed moves between runs on this shared 2-core machine, so every
configuration runs ``--repeat`` times, interleaved, and the
fastest run counts. Prints seconds per article, tokens, generated tokens/s of the whole pipeline next to
llama.cpp's own decode speed from the server's timing lines, the server's peak memory,
the speed-up over the plain row, and whether the facts equal the plain row's.
About 6 minutes per repeat on 2 cores.

    python bench/embedded_speed.py --layout-against CHECKOUT [--repeat 2] [--write-readme]

compares prompt layouts instead: the four dev-gold seed articles, fresh, through
another checkout (today's ``main``, with its own ``.venv`` made by ``make setup-local``)
and through this tree, interleaved, each with its own code (``layout_probe.py``).
Prints what llama.cpp evaluated after its prefix-cache hit against the article's own
tokens, prompt and generation seconds (llama.cpp's timing lines), seconds per article,
and the dev and dev-corpus F1 of both (``quality.py`` run on each checkout's code).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.readme_table import report
from extractor.articles import load
from extractor.backends import StaticBackend
from extractor.backends.embedded import EmbeddedServer, default_threads, model_file
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


def peak_rss_mb(pid: int) -> float:
    """The server process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def one_run(
    article: Article, *, stock: bool, lib: Path | None, draft_tokens: int, grammar_first: bool
) -> dict[str, Any]:
    env = {"LLAMA_CPP_LIB_PATH": str(lib)} if lib else {}
    config = Config.from_env()
    server = EmbeddedServer(
        model_file(config),
        threads=config.threads or default_threads(),
        n_ctx=8192,
        draft_tokens=draft_tokens,
        grammar_first=grammar_first,
        pinned=config.local_model is None,
        stock=stock,
        env=env,
    )
    extractor = Extractor(Config(cache=False), backend=StaticBackend(server.endpoint()))
    try:
        server.wait_ready()
        began = time.perf_counter()
        facts = await extractor.extract(article)
        seconds = time.perf_counter() - began
        rss_mb = peak_rss_mb(server.process.pid)
    finally:
        await extractor.aclose()
        server.stop()
    usage = facts.meta.usage
    return {
        "seconds": seconds,
        "completion_tokens": usage.completion_tokens,
        "prompt_tokens": usage.prompt_tokens,
        "pipeline_tok_s": usage.completion_tokens / seconds,
        "decode_tok_s": decode_speed(server.log_path),
        "rss_mb": rss_mb,
        "facts": facts.model_dump(mode="json", exclude={"meta"}),
    }


DEV_ARTICLES = "3,4,6,10"  # the seed articles with dev gold


def _python(checkout: Path) -> str:
    python = checkout / ".venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{checkout} has no .venv: run  make setup-local  there first")
    return str(python)


def probe(checkout: Path, work: Path) -> list[dict[str, Any]]:
    out = work / f"probe-{checkout.name}-{time.monotonic_ns()}.json"
    subprocess.run(
        [
            _python(checkout),
            str(ROOT / "bench" / "layout_probe.py"),
            "--root",
            str(checkout),
            "--articles",
            DEV_ARTICLES,
            "--out",
            str(out),
        ],
        check=True,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def quality(checkout: Path, work: Path) -> dict[str, dict[str, Any]]:
    """Lenient and strict micro scores per gold set, by this tree's quality.py on the
    checkout's code (answers from the cache where the checkout asked the same before)."""
    out = work / f"quality-{checkout.name}.json"
    subprocess.run(
        [_python(checkout), str(ROOT / "bench" / "quality.py"), "--skip-baseline", "--json", str(out)],
        check=True,
        env={**os.environ, "QUALITY_ROOT": str(checkout)},
        stdout=subprocess.DEVNULL,
    )
    return {row["gold"]: row["scores"] for row in json.loads(out.read_text(encoding="utf-8"))}


def compare_layouts(baseline: Path, repeat: int, write: bool) -> None:
    checkouts = [("today's main", baseline.resolve()), ("this tree", ROOT)]
    work = Path(tempfile.mkdtemp(prefix="layout-"))
    best: dict[str, list[dict[str, Any]]] = {}
    for _ in range(repeat):
        for name, checkout in checkouts:
            rows = probe(checkout, work)
            if name not in best or sum(r["seconds"] for r in rows) < sum(r["seconds"] for r in best[name]):
                best[name] = rows
    scores = {name: quality(checkout, work) for name, checkout in checkouts}
    lines = [
        f"Embedded model, {os.cpu_count()} cores, the {len(DEV_ARTICLES.split(','))} dev-gold seed articles in one "
        f"batch, fresh (no cache), fastest of {repeat} interleaved runs; F1 on dev and dev-corpus. "
        "Printed by `python bench/embedded_speed.py --layout-against …`.",
        "",
        "| layout | s/article | vs. main | prompt tokens sent | evaluated | article tokens | evaluated − article, worst after the first | prompt s | generation s | generated tokens | dev F1 lenient / strict | dev-corpus F1 lenient / strict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    main_seconds = sum(r["seconds"] for r in best["today's main"]) / len(best["today's main"])
    for name, _ in checkouts:
        rows = best[name]
        n = len(rows)
        seconds = sum(r["seconds"] for r in rows) / n
        over = max(r["prompt_tokens_evaluated"] - r["article_tokens"] for r in rows[1:])
        f1 = {
            gold: f"{s['lenient']['micro']['f1']:.2f} / {s['strict']['micro']['f1']:.2f}"
            for gold, s in scores[name].items()
        }
        lines.append(
            f"| {name} | {seconds:.0f} | {seconds / main_seconds:.2f}× | {sum(r['prompt_tokens_sent'] for r in rows) / n:.0f} "
            f"| {sum(r['prompt_tokens_evaluated'] for r in rows) / n:.0f} | {sum(r['article_tokens'] for r in rows) / n:.0f} "
            f"| {over} | {sum(r['prompt_ms'] for r in rows) / n / 1000:.1f} | {sum(r['eval_ms'] for r in rows) / n / 1000:.1f} "
            f"| {sum(r['completion_tokens'] for r in rows) / n:.0f} | {f1.get('dev', '')} | {f1.get('dev-corpus', '')} |"
        )
    lines.append(
        "\nPer article (tokens, this tree, evaluated vs. article): "
        + ", ".join(
            f"#{r['article']} {r['prompt_tokens_evaluated']} vs. {r['article_tokens']}" for r in best["this tree"]
        )
        + ". Targets: evaluated ≤ article + 300 after the first article; s/article ≤ 0.5× main; F1 not lower."
    )
    report("embedded-layout", "\n".join(lines), write=write)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout-against", type=Path, help="a checkout of today's main: compare prompt layouts")
    parser.add_argument("--article", type=int, default=4, help="seed article number, 1-10")
    parser.add_argument("--draft-tokens", type=int, default=4)
    parser.add_argument("--plain-lib", type=Path, help="llama_cpp/lib folder of the plain (portable) build")
    parser.add_argument("--repeat", type=int, default=2, help="runs per configuration; the fastest counts")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    if args.layout_against:
        compare_layouts(args.layout_against, args.repeat, args.write_readme)
        return
    article = SEED[args.article - 1]
    plain_lib = args.plain_lib.resolve() if args.plain_lib else None
    ours = {"stock": False, "draft_tokens": 0, "grammar_first": False}
    configurations: list[tuple[str, dict[str, Any]]] = [
        ("plain: llama-cpp-python server, default settings", {**ours, "stock": True, "lib": plain_lib}),
        ("+ logits only where sampled", {**ours, "lib": plain_lib}),
    ]
    if plain_lib:
        configurations.append(("+ this machine's build", {**ours, "lib": None}))
    configurations.append(("+ grammar checked on the chosen token first", {**ours, "lib": None, "grammar_first": True}))
    configurations.append(
        (
            f"+ copy drafts ({args.draft_tokens} tokens)",
            {**ours, "lib": None, "grammar_first": True, "draft_tokens": args.draft_tokens},
        )
    )
    runs: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):
        for name, options in configurations:
            row = asyncio.run(one_run(article, **options))
            if name in runs and row["facts"] != runs[name]["facts"]:
                raise SystemExit(f"{name}: facts differ between repeats at temperature 0")
            if name not in runs or row["seconds"] < runs[name]["seconds"]:
                runs[name] = row
    lines = [
        f"Embedded model, {os.cpu_count()} cores, seed article {args.article} ({len(article.text)} chars), "
        f"fresh (no cache), temperature 0, fastest of {args.repeat} interleaved runs. "
        "Printed by `python bench/embedded_speed.py" + (" --plain-lib …`" if plain_lib else "`") + ".",
        "",
        "| configuration | s/article | speed-up vs. plain | prompt tokens | generated tokens | pipeline gen tok/s "
        "| llama.cpp decode tok/s | server peak RSS | same facts as plain |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    plain = next(iter(runs.values()))
    for name, row in runs.items():
        same = "" if row is plain else ("yes" if row["facts"] == plain["facts"] else "no")
        lines.append(
            f"| {name} | {row['seconds']:.0f} | {plain['seconds'] / row['seconds']:.2f}× | {row['prompt_tokens']} | "
            f"{row['completion_tokens']} | {row['pipeline_tok_s']:.1f} | {row['decode_tok_s']:.1f} | "
            f"{row['rss_mb']:.0f} MB | {same} |"
        )
    best_name, best = min(runs.items(), key=lambda item: item[1]["seconds"])
    equal = best is plain or best["facts"] == plain["facts"]
    lines.append(
        f"\nFastest: {best_name}, {plain['seconds'] / best['seconds']:.2f}× the plain configuration "
        f"({'same' if equal else 'different'} facts; target ≥ 1.5× at equal output)."
    )
    shown = {next(iter(runs)), best_name}  # the plain row and the fastest
    report(
        "embedded-speed",
        "\n".join(lines),
        write=args.write_readme,
        headline_rows=lambda row: any(row.startswith(f"| {name} |") for name in shown),
    )


if __name__ == "__main__":
    main()
