"""``extractor``: run a batch, serve, export, evaluate, show, view, check the setup, write the schema."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ._exceptions import ConfigError, OutputBusy, OutputError
from .batch import Progress as BatchProgress
from .batch import estimate_tokens
from .config import MODES, Config
from .models import ArticleFacts, Evidence

if TYPE_CHECKING:
    from .view import ShownFact

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Grounded facts from financial news.")
out = Console()
err = Console(stderr=True)

SCHEMA_PATH = Path("schemas") / "article-facts.v1.schema.json"


# the options (of ``run`` and ``doctor``) that set a Config field, named in usage errors
_OPTIONS = {"base_url": "--base-url", "model": "--model", "mode": "--mode", "timeout_s": "--timeout", "rpm": "--rpm"}


def _config(**arguments: object) -> Config:
    """Options over the environment, every value checked before anything is read: a bad
    one is a usage error (exit 2) that names the option or variable and what it allows."""
    try:
        return Config.from_env(**arguments)
    except ConfigError as error:
        if error.source is None and error.setting in _OPTIONS:
            error = error.named(_OPTIONS[error.setting])
        err.print(f"[red]usage error[/]: {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="files or folders of articles")],
    outdir: Annotated[Path, typer.Option("-o", "--out", help="output folder")] = Path("out"),
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=4096,
            help="articles in flight at once, and requests on the wire at most (default 1; --engine ray: --actors)",
        ),
    ] = None,
    rpm: Annotated[float | None, typer.Option(help="at most this many requests per minute, retries included")] = None,
    model: Annotated[str | None, typer.Option(help="model name at the endpoint")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint; default: embedded model")] = None,
    mode: Annotated[str | None, typer.Option(help=" | ".join(MODES))] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="ignore and do not fill the cache")] = False,
    timeout: Annotated[
        float | None, typer.Option(help="seconds for one model request, from sending it to the answer's last byte")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N articles")] = None,
    force: Annotated[bool, typer.Option("--force", help="redo articles already in facts.jsonl")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list articles and token estimate; call nothing")] = False,
    engine_name: Annotated[
        str, typer.Option("--engine", help="local (this process) | ray (a Ray Data actor pool, local or a cluster)")
    ] = "local",
    ray_address: Annotated[
        str | None, typer.Option(envvar="RAY_ADDRESS", help="--engine ray: a running cluster; default: start one here")
    ] = None,
    actors: Annotated[
        int | None, typer.Option(min=1, help="--engine ray: actors (default: one per CPU; embedded model: per node)")
    ] = None,
) -> None:
    """Extract facts for every article under INPUTS into OUTDIR."""
    config = _config(
        base_url=base_url, model=model, mode=mode, cache=False if no_cache else None, timeout_s=timeout, rpm=rpm
    )
    if dry_run:
        _dry_run(inputs, limit)
        return
    from .engines import BatchJob, EngineUnavailable, engine_named

    try:
        engine = engine_named(engine_name, ray_address=ray_address if engine_name == "ray" else None, actors=actors)
    except (ValueError, EngineUnavailable) as error:
        raise typer.BadParameter(str(error), param_hint="--engine") from None
    if actors is not None and concurrency is not None and actors > concurrency:
        raise typer.BadParameter(
            f"{actors} actors need at least as many requests in flight: --concurrency {actors} or more",
            param_hint="--actors",
        )
    in_flight = concurrency or actors or 1
    job = BatchJob(tuple(inputs), outdir, config, concurrency=in_flight, force=force, limit=limit)
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

    _settle_heap()
    try:
        with bar:
            result = engine.run(job, on_progress=show)
    except (KeyboardInterrupt, asyncio.CancelledError):
        err.print(f"[yellow]interrupted[/]: finished articles are kept in {outdir}; run the same command to resume.")
        raise typer.Exit(130) from None
    except OutputBusy as error:
        err.print(f"[red]error[/]: {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except OutputError as error:
        err.print(
            f"[red]stopped[/]: {escape(str(error))}. Finished articles are kept in {outdir}; "
            "make room or fix the permissions, then run the same command to resume.",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    except Exception as error:  # the backend could not start …
        err.print(f"[red]error[/]: {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(1) from None
    summary = json.loads((outdir / "summary.json").read_text(encoding="utf-8"))
    _print_summary(summary, outdir)
    raise typer.Exit(1 if getattr(result, "failed", 0) else 0)


def _settle_heap() -> None:
    """Keep the garbage collector off the event loop during a batch.

    After importing openai, instructor and pydantic the interpreter holds a large heap
    that lives as long as the process; a full collection walks all of it while every
    request in flight waits (up to ~150 ms at 64 in flight). Frozen, that heap is never
    scanned again, and young collections run every 10,000 allocations instead of 700,
    so a batch spends a fraction of the time collecting and never in a full collection.
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


def _print_summary(summary: dict[str, Any], outdir: Path) -> None:
    """Counts as label/value pairs (articles beside facts): readable at any width, where
    a header per count would be cut to a few letters on an 80-column terminal."""
    articles = summary["articles"]
    assert isinstance(articles, dict)
    facts = summary["facts"]
    assert isinstance(facts, dict)
    tokens = summary["tokens"]
    total_tokens = tokens.get("total_tokens", 0) if isinstance(tokens, dict) else 0
    left = [
        ("ok", f"{articles['ok']:,}"),
        ("failed", f"{articles['failed']:,}"),
        ("cached", f"{articles['cached']:,}"),
        ("skipped (done)", f"{articles['skipped_done']:,}"),
        ("duplicates", f"{articles.get('duplicates', 0):,}"),
        ("tokens", f"{total_tokens:,}"),
    ]
    right = [(str(kind), f"{count:,}") for kind, count in facts.items()]
    right.append(("wall time", f"{summary['wall_time_s']} s"))
    table = Table(title="batch summary", title_justify="left")
    table.add_column("articles", overflow="fold")
    table.add_column("", justify="right", overflow="fold")
    table.add_column("facts", overflow="fold")
    table.add_column("", justify="right", overflow="fold")
    for (a, x), (b, y) in itertools.zip_longest(left, right, fillvalue=("", "")):
        table.add_row(a, x, b, y)
    out.print(table)
    out.print(f"results: {outdir / 'facts.jsonl'}  (one file per article in {outdir / 'articles'})", soft_wrap=True)
    if articles.get("duplicates"):
        out.print("duplicates: inputs with a body read before; each article lists its inputs in article.origins")
    if articles["failed"]:
        stages = summary.get("errors_by_stage")
        by_stage = ", ".join(f"{stage} {n}" for stage, n in stages.items()) if isinstance(stages, dict) else ""
        where = f"{outdir / 'errors.jsonl'}" + (f"  ({by_stage})" if by_stage else "")
        out.print(f"[yellow]failures[/]: {escape(where)}", soft_wrap=True)
    out.print(f"report: extractor view {outdir}", soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port to listen on")] = 8000,
    data_dir: Annotated[
        Path | None, typer.Option(help="where jobs and results are kept (SQLite); default: the cache dir's service/")
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=512, help="articles in flight at once, and requests on the wire at most")
    ] = 4,
    sync_timeout: Annotated[
        float, typer.Option(min=0.1, help="seconds POST /v1/extract waits before answering 504 with its job id")
    ] = 120.0,
    max_body_mb: Annotated[float, typer.Option(min=0.001, help="largest request body, in MB (413 above)")] = 20.0,
    max_queued: Annotated[int, typer.Option(min=1, help="articles that may wait over all jobs (429 above)")] = 10_000,
    drain_timeout: Annotated[
        float, typer.Option(min=0, help="on SIGTERM, seconds articles in flight get to finish")
    ] = 10.0,
    keep_days: Annotated[
        float, typer.Option(min=0, help="days finished jobs and their results are kept (0: forever)")
    ] = 7.0,
    model: Annotated[str | None, typer.Option(help="model name at the endpoint")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint; default: embedded model")] = None,
    mode: Annotated[str | None, typer.Option(help=" | ".join(MODES))] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="ignore and do not fill the cache")] = False,
    timeout: Annotated[
        float | None, typer.Option(help="seconds for one model request, from sending it to the answer's last byte")
    ] = None,
    rpm: Annotated[float | None, typer.Option(help="at most this many requests per minute, retries included")] = None,
) -> None:
    """Serve extraction over HTTP (needs the `serve` extra); EXTRACTOR_API_KEYS turns on auth."""
    config = _config(
        base_url=base_url, model=model, mode=mode, cache=False if no_cache else None, timeout_s=timeout, rpm=rpm
    )
    try:
        from .service import ServiceSettings
        from .service import serve as run_service
    except ImportError as error:
        err.print(f"[red]error[/]: the service needs the serve extra ({error.name} is missing): pip install '.[serve]'")
        raise typer.Exit(2) from None
    settings = ServiceSettings.build(
        config=config,
        host=host,
        port=port,
        data_dir=data_dir,
        concurrency=concurrency,
        sync_timeout_s=sync_timeout,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        max_queued=max_queued,
        drain_timeout_s=drain_timeout,
        keep_days=keep_days,
    )
    logging.getLogger("extractor.service").setLevel(logging.INFO)
    from .view import render_report

    def render_view(facts: list[dict[str, Any]], errors: list[dict[str, Any]], title: str) -> str:
        return render_report(facts, errors, title=title)

    _settle_heap()
    raise typer.Exit(run_service(settings, render_view=render_view))


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
        err.print(f"[red]error[/]: {escape(str(error))}")
        raise typer.Exit(2) from None
    if format not in FORMATS:
        raise typer.BadParameter(f"format must be one of {', '.join(FORMATS)}", param_hint="--format")
    try:
        report = export(outdir, dest, format=format, seed=not no_seed)
    except (ExportInputError, DestinationError) as error:
        err.print(f"[red]error[/]: {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None
    table = Table("table", "rows")
    for name, rows in report.rows.items():
        table.add_row(name, str(rows))
    out.print(table)
    out.print(f"{report.articles_read} articles → {report.dest} ({report.format})")
    for problem in report.problems[:20]:
        err.print(f"[yellow]line {problem.line}[/] {escape(problem.location)}: {escape(problem.message)}")
    if len(report.problems) > 20:
        err.print(f"… {len(report.problems) - 20} more in the problems table")
    raise typer.Exit(1 if report.problems else 0)


@app.command()
def show(path: Annotated[Path, typer.Argument(help="an articles/<id>.json file")]) -> None:
    """One article's facts: a table per fact type where it fits the terminal, else one block per fact."""
    from .view import shown_facts

    facts = ArticleFacts.model_validate_json(path.read_text(encoding="utf-8"))
    out.print(
        f"[bold]{escape(facts.article.title or facts.article.id)}[/]  "
        f"{escape(facts.article.source or '')} {escape(facts.article.published_at or '')}"
    )
    shown = shown_facts(facts)
    counts = facts.fact_counts()
    out.print(" · ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in counts.items()))
    for kind in counts:
        of_kind = [fact for fact in shown if fact.kind == kind]
        if of_kind:
            _print_facts(kind.replace("_", " "), of_kind)
    for warning in facts.warnings:
        out.print(f"[yellow]warning[/]: {escape(warning)}")


def _evidence_text(evidence: list[Evidence]) -> str:
    return "\n".join(f"“{e.text}” [{e.start}–{e.end}]" for e in evidence)


def _print_facts(title: str, facts: list[ShownFact]) -> None:
    """Every value in full: as one table when it fits unwrapped, else one block per fact
    (a narrow table would fold each cell to a few characters a line)."""
    columns = [*facts[0].fields, "evidence"]
    table = Table(*columns, title=title, title_justify="left")
    for fact in facts:
        table.add_row(*(Text(value) for value in fact.fields.values()), Text(_evidence_text(fact.evidence)))
    unbounded = out.options.update_width(1_000_000)
    if Measurement.get(out, unbounded, table).maximum <= out.width:
        out.print(table)
        return
    for n, fact in enumerate(facts, start=1):
        block = Table(
            show_header=False, box=None, title=f"{title} {n}/{len(facts)}", title_justify="left", title_style="bold"
        )
        block.add_column(no_wrap=True, style="dim")
        block.add_column(overflow="fold")
        for name, value in fact.fields.items():
            if value:
                block.add_row(name, Text(value))
        block.add_row("evidence", Text(_evidence_text(fact.evidence)))
        out.print(block)


@app.command()
def view(
    path: Annotated[Path, typer.Argument(help="an output folder, its facts.jsonl, or one articles/<id>.json")],
    output: Annotated[
        Path | None, typer.Option("-o", "--out", help="the HTML file to write (default: report.html beside the facts)")
    ] = None,
) -> None:
    """One self-contained HTML report: every article, every fact highlighted where it was read."""
    from .output import write_atomic
    from .view import RunNotFound, build_report, read_run

    try:
        run = read_run(path)
    except RunNotFound as error:
        err.print(f"[red]error[/]: {escape(str(error))}")
        raise typer.Exit(2) from None
    report = build_report(run.facts, run.errors, title=f"Extracted facts · {path}", notices=run.notices)
    target = output or run.default_output
    try:
        write_atomic(target, report.html)
    except OSError as error:
        err.print(f"[red]error[/]: cannot write {escape(str(target))}: {escape(str(error))}")
        raise typer.Exit(1) from None
    out.print(
        f"wrote {escape(str(target))}: {report.articles} articles, {report.failed} failed, "
        f"{report.highlights} highlighted evidence spans",
        soft_wrap=True,
    )
    if report.unplaced:
        out.print(f"[yellow]{report.unplaced} evidence spans do not match the text[/]: listed on their articles' pages")
    for notice in report.notices:
        err.print(f"[yellow]notice[/]: {escape(notice)}")


@app.command()
def doctor(
    start: Annotated[bool, typer.Option("--start/--no-start", help="start the embedded server to check it")] = True,
    base_url: Annotated[str | None, typer.Option(help="check this OpenAI-compatible endpoint")] = None,
    model: Annotated[str | None, typer.Option(help="model name at the endpoint")] = None,
    mode: Annotated[str | None, typer.Option(help=" | ".join(MODES))] = None,
    all_modes: Annotated[bool, typer.Option("--all-modes", help="try every mode, not only the chosen one")] = False,
) -> None:
    """Which backend would be used, the model, its hash check, the server's health, and
    whether the endpoint answers the chosen mode (one tiny request; other modes if not)."""
    from .backends import BackendError, choose_backend, local_extra_installed
    from .backends.weights import PART_COUNT, status
    from .probe import probe

    config = _config(base_url=base_url, model=model, mode=mode)
    out.print(f"local extra installed: {local_extra_installed()}")
    if config.base_url:
        out.print(
            f"backend: remote  base_url={config.base_url}  "
            f"model={config.model or 'gpt-4o-mini'}  mode={config.resolved_mode}",
            soft_wrap=True,
        )
        out.print(f"api key: {'set' if config.api_key else 'not set'}")
    out.print(
        f"requests: timeout_s={config.timeout_s:g}  stall_timeout_s={config.stall_timeout_s:g}  "
        f"max_attempts={config.max_attempts}  retry_budget_s={config.retry_budget_s:g}"
    )
    out.print(f"answer cache: {config.resolved_cache_dir() if config.cache else 'off'}")
    weights = status()
    out.print(
        f"embedded weights: {weights.parts_installed}/{PART_COUNT} parts installed; {weights.path}: {weights.message}"
    )
    try:
        backend = choose_backend(config)
    except BackendError as error:
        err.print(f"[red]no backend[/]: {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(f"backend: {backend.name}  mode={config.resolved_mode}")
    if not start:
        return
    try:
        endpoint = backend.start()
    except Exception as error:
        err.print(f"[red]backend did not start[/]: {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(1) from None
    try:
        health = _health(endpoint.base_url, endpoint.api_key, timeout_s=min(config.stall_timeout_s, 30.0))
        # an endpoint that cannot be reached gets no probes: each would only fail the same way
        results = asyncio.run(probe(config, endpoint, all_modes=all_modes)) if health != "unreachable" else []
    finally:
        backend.stop()
        if backend.name == "embedded":
            from .backends.embedded import stop_all

            stop_all()
    for result in results:
        mark = "[green]works[/]" if result.works else "[red]fails[/]"
        chosen = " (chosen)" if result.mode == config.resolved_mode else ""
        out.print(f"mode {result.mode}{chosen}: {mark}  {result.detail}", soft_wrap=True)
    chosen_works = bool(results) and results[0].works
    if results and not chosen_works:
        working = [r.mode for r in results if r.works]
        if working:
            out.print(f"use  --mode {working[0]}  (or EXTRACTOR_MODE={working[0]}) with this endpoint")
        else:
            out.print("no mode worked: check the base URL, the model name and the API key")
    out.print(f"server: {endpoint.base_url}  model={endpoint.model}  healthy={chosen_works}", soft_wrap=True)
    raise typer.Exit(0 if chosen_works else 1)


def _health(base_url: str, api_key: str | None, *, timeout_s: float) -> str:
    """GET /models with the key the batch would send (never printed): "ok", "refused"
    (the endpoint answered with an error status) or "unreachable"."""
    import urllib.error
    import urllib.request

    from .llm import redact

    request = urllib.request.Request(f"{base_url.rstrip('/')}/models")
    if api_key and api_key != "not-needed":
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            if response.status == 200:
                return "ok"
            err.print(f"health check failed: GET /models answered {response.status}", soft_wrap=True)
            return "refused"
    except urllib.error.HTTPError as error:
        hint = ": the endpoint refused the API key" if error.code in (401, 403) else ""
        err.print(f"health check failed: GET /models answered {error.code}{hint}", soft_wrap=True)
        return "refused"
    except OSError as error:
        err.print(f"health check failed: {escape(redact(str(error), api_key))}", soft_wrap=True)
        return "unreachable"


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
    main()
