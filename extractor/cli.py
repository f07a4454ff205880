"""``extractor``: run a batch, evaluate, show, check the setup, write the schema."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from .batch import BatchRunner, estimate_tokens
from .batch import Progress as BatchProgress
from .config import Config
from .models import ArticleFacts

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Grounded facts from financial news.")
out = Console()
err = Console(stderr=True)

SCHEMA_PATH = Path("schemas") / "article-facts.v1.schema.json"


def _config(
    base_url: str | None, model: str | None, no_cache: bool, mode: str | None = None, timeout: float | None = None
) -> Config:
    return Config.from_env(
        base_url=base_url, model=model, mode=mode, cache=False if no_cache else None, timeout_s=timeout
    )


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="files or folders of articles")],
    outdir: Annotated[Path, typer.Option("-o", "--out", help="output folder")] = Path("out"),
    concurrency: Annotated[
        int, typer.Option(min=1, max=512, help="articles in flight at once, and requests on the wire at most")
    ] = 1,
    rpm: Annotated[float | None, typer.Option(min=0.1, help="at most this many article starts per minute")] = None,
    model: Annotated[str | None, typer.Option(help="model name at the endpoint")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint; default: embedded model")] = None,
    mode: Annotated[str | None, typer.Option(help="tools | json | json_schema | llama_json")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="ignore and do not fill the cache")] = False,
    timeout: Annotated[float | None, typer.Option(min=0.01, help="seconds per model request")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N articles")] = None,
    force: Annotated[bool, typer.Option("--force", help="redo articles already in facts.jsonl")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list articles and token estimate; call nothing")] = False,
) -> None:
    """Extract facts for every article under INPUTS into OUTDIR."""
    if mode is not None and mode not in ("tools", "json", "json_schema", "llama_json"):
        raise typer.BadParameter("mode must be tools, json, json_schema or llama_json", param_hint="--mode")
    if dry_run:
        _dry_run(inputs, limit)
        return
    from .pipeline import Extractor

    config = _config(base_url, model, no_cache, mode, timeout)
    extractor = Extractor(config, max_requests=concurrency)
    interactive = err.is_terminal
    bar = Progress(
        TextColumn("[bold]extracting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]} · cached {task.fields[cached]} · {task.fields[tokens]} tokens"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not interactive,
    )
    task = bar.add_task("extract", total=None, failed=0, cached=0, tokens=0)

    def show(progress: BatchProgress) -> None:
        bar.update(
            task,
            total=progress.total,
            completed=progress.done,
            failed=progress.failed,
            cached=progress.cached + progress.skipped,
            tokens=progress.tokens,
        )

    runner = BatchRunner(
        extractor, outdir, concurrency=concurrency, rpm=rpm, force=force, limit=limit, on_progress=show
    )

    async def go() -> object:
        try:
            return await runner.run(list(inputs))
        finally:
            await extractor.aclose()

    _settle_heap()
    try:
        with bar:
            result = asyncio.run(go())
    except KeyboardInterrupt:
        err.print(f"[yellow]interrupted[/]: finished articles are kept in {outdir}; run the same command to resume.")
        raise typer.Exit(130) from None
    except Exception as error:  # backend could not start, output folder unwritable …
        err.print(f"[red]error[/]: {error}")
        raise typer.Exit(1) from None
    summary = json.loads((outdir / "summary.json").read_text(encoding="utf-8"))
    _print_summary(summary, outdir)
    raise typer.Exit(1 if getattr(result, "failed", 0) else 0)


def _settle_heap() -> None:
    """Keep the garbage collector off the event loop during a batch.

    After importing openai, instructor and pydantic the interpreter holds a large heap
    that lives as long as the process, and every full collection walked all of it while
    every request in flight waited: three full collections in a 500-article run at 64 in
    flight, up to 148 ms each (gc.callbacks). Frozen, it is never scanned again; young
    collections every 10,000 allocations instead of 700 (same run: 779 → 176 ms of
    collection, none of it full).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def _dry_run(inputs: list[Path], limit: int | None) -> None:
    from .articles import LoadError, load

    table = Table("#", "id", "title", "source", "published", "chars", "≈tokens")
    total_tokens = count = problems = 0
    for item in load(inputs):
        if limit is not None and count >= limit:
            break
        count += 1
        if isinstance(item, LoadError):
            problems += 1
            table.add_row(str(count), "-", f"[red]{item.reason}[/]", item.path, "", "", "")
            continue
        tokens = estimate_tokens(item)
        total_tokens += tokens
        table.add_row(
            str(count),
            item.id,
            (item.title or "")[:40],
            item.source or "",
            item.published_at or "",
            str(len(item.text)),
            str(tokens),
        )
    out.print(table)
    out.print(
        f"{count} articles ({problems} unreadable), about {total_tokens} article tokens per pass; nothing was called."
    )


def _print_summary(summary: dict[str, object], outdir: Path) -> None:
    table = Table(
        "articles ok", "failed", "cached", "skipped (done)", *[str(k) for k in summary["facts"]], "tokens", "wall s"
    )
    articles = summary["articles"]
    assert isinstance(articles, dict)
    facts = summary["facts"]
    assert isinstance(facts, dict)
    tokens = summary["tokens"]
    table.add_row(
        str(articles["ok"]),
        str(articles["failed"]),
        str(articles["cached"]),
        str(articles["skipped_done"]),
        *[str(v) for v in facts.values()],
        str(tokens.get("total_tokens", 0) if isinstance(tokens, dict) else 0),
        str(summary["wall_time_s"]),
    )
    out.print(table)
    out.print(f"results: {outdir / 'facts.jsonl'}  (one file per article in {outdir / 'articles'})")
    if articles["failed"]:
        out.print(f"[yellow]failures[/]: {outdir / 'errors.jsonl'}")


@app.command("eval")
def evaluate(
    gold_dir: Annotated[Path, typer.Argument(help="folder of gold files in the contract's shape")],
    predictions: Annotated[Path, typer.Argument(help="facts.jsonl, an output folder, or a folder of JSON files")],
    as_json: Annotated[bool, typer.Option("--json", help="print the scores as JSON")] = False,
) -> None:
    """Precision, recall and F1 per fact type, strict and lenient."""
    from .evaluate import evaluate_paths, format_scores

    scores = evaluate_paths(gold_dir, predictions)
    if as_json:
        out.print_json(json.dumps(scores, ensure_ascii=False))
    else:
        out.print(format_scores(scores))


@app.command("export")
def export_tables(
    outdir: Annotated[Path, typer.Argument(help="output folder of `extractor run` (or its facts.jsonl)")],
    format: Annotated[str, typer.Option("--format", "-f", help="parquet | csv | duckdb | jsonl")] = "parquet",
    dest: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="a .duckdb file, or a folder for the other formats; default: in OUTDIR"),
    ] = None,
    no_seed: Annotated[bool, typer.Option("--no-seed", help="resolve names without the seed table")] = False,
) -> None:
    """Knowledge tables from a run: entities, mentions, metrics, series, conflicts …"""
    try:
        from .export import FORMATS, DestinationError, ExportInputError, export
    except ImportError as error:
        err.print(f"[red]error[/]: {error}")
        raise typer.Exit(2) from None
    if format not in FORMATS:
        raise typer.BadParameter(f"format must be one of {', '.join(FORMATS)}", param_hint="--format")
    try:
        report = export(outdir, dest, format=format, seed=not no_seed)
    except (ExportInputError, DestinationError) as error:
        err.print(f"[red]error[/]: {error}")
        raise typer.Exit(2) from None
    table = Table("table", "rows")
    for name, rows in report.rows.items():
        table.add_row(name, str(rows))
    out.print(table)
    out.print(f"{report.articles_read} articles → {report.dest} ({report.format})")
    for problem in report.problems[:20]:
        err.print(f"[yellow]line {problem.line}[/] {problem.location}: {problem.message}")
    if len(report.problems) > 20:
        err.print(f"… {len(report.problems) - 20} more in the problems table")
    raise typer.Exit(1 if report.problems else 0)


@app.command()
def show(path: Annotated[Path, typer.Argument(help="an articles/<id>.json file")]) -> None:
    """One article's facts as readable tables."""
    facts = ArticleFacts.model_validate_json(path.read_text(encoding="utf-8"))
    out.print(
        f"[bold]{facts.article.title or facts.article.id}[/]  "
        f"{facts.article.source or ''} {facts.article.published_at or ''}"
    )
    institutions = Table("institution", "type", "aliases", "parent", "evidence", title="institutions")
    for i in facts.institutions:
        institutions.add_row(i.name, i.type.value, ", ".join(i.aliases), i.parent or "", i.evidence[0].text[:40])
    metrics = Table("subject", "metric", "name", "value", "unit", "qualifier", "period", "raw", title="metrics")
    for m in facts.metrics:
        value = f"{m.value:g}" + (f"–{m.value_max:g}" if m.value_max is not None else "")
        period = f"{m.period_start or ''}…{m.period_end or ''}" if m.period_start or m.period_end else ""
        metrics.add_row(m.subject, m.metric.value, m.name, value, m.unit, m.qualifier.value, period, m.raw)
    actions = Table("regulator", "target", "action", "amount", "date", "summary", title="regulatory actions")
    for a in facts.regulatory_actions:
        amount = f"{a.amount:g} {a.currency}" if a.amount is not None else ""
        actions.add_row(a.regulator or "", a.target or "", a.action.value, amount, a.date or "", a.summary[:40])
    products = Table("product", "provider", "type", "annual rate", "limit", "term", title="products")
    for p in facts.products:
        rate = (
            f"{p.annual_rate_min:g}–{p.annual_rate_max:g}%"
            if p.annual_rate_min is not None and p.annual_rate_max is not None
            else ""
        )
        limit = f"{p.credit_limit_min or 0:g}–{p.credit_limit_max:g}" if p.credit_limit_max is not None else ""
        products.add_row(p.name, p.provider or "", p.type.value, rate, limit, str(p.max_term_months or ""))
    for table in (institutions, metrics, actions, products):
        out.print(table)
    for warning in facts.warnings:
        out.print(f"[yellow]warning[/]: {warning}")


@app.command()
def doctor(
    start: Annotated[bool, typer.Option("--start/--no-start", help="start the embedded server to check it")] = True,
) -> None:
    """Which backend would be used, the model, its hash check and the server's health."""
    from .backends import BackendError, choose_backend, local_extra_installed
    from .backends.weights import PART_COUNT, status

    config = Config.from_env()
    out.print(f"local extra installed: {local_extra_installed()}")
    if config.base_url:
        out.print(
            f"backend: remote  base_url={config.base_url}  "
            f"model={config.model or 'gpt-4o-mini'}  mode={config.resolved_mode}"
        )
        out.print(f"api key: {'set' if config.api_key else 'not set'}")
    weights = status()
    out.print(
        f"embedded weights: {weights.parts_installed}/{PART_COUNT} parts installed; {weights.path}: {weights.message}"
    )
    try:
        backend = choose_backend(config)
    except BackendError as error:
        err.print(f"[red]no backend[/]: {error}")
        raise typer.Exit(1) from None
    out.print(f"backend: {backend.name}  mode={config.resolved_mode}")
    if not start:
        return
    try:
        endpoint = backend.start()
    except Exception as error:
        err.print(f"[red]backend did not start[/]: {error}")
        raise typer.Exit(1) from None
    import urllib.request

    try:
        with urllib.request.urlopen(f"{endpoint.base_url}/models", timeout=10) as response:
            healthy = response.status == 200
    except OSError as error:
        healthy = False
        err.print(f"health check failed: {error}")
    out.print(f"server: {endpoint.base_url}  model={endpoint.model}  healthy={healthy}")
    backend.stop()
    if backend.name == "embedded":
        from .backends.embedded import stop_all

        stop_all()
    raise typer.Exit(0 if healthy else 1)


@app.command()
def schema(
    path: Annotated[Path, typer.Option(help="where to write the schema")] = SCHEMA_PATH,
    check: Annotated[bool, typer.Option("--check", help="fail when the file is stale instead of writing")] = False,
) -> None:
    """Write (or check) the JSON Schema of ArticleFacts generated from the models."""
    from .models import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            err.print(f"[red]{path} is stale[/]: run  extractor schema")
            raise typer.Exit(1)
        out.print(f"{path} is up to date")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    out.print(f"wrote {path}")


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM ends the run like Ctrl-C: finished work kept, the embedded server stopped."""
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    app()


if __name__ == "__main__":
    sys.exit(main())
