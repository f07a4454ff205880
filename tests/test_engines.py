"""The engine interface: engines by name, the local engine behind it, the Ray engine lazily."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.backends.weights import MODEL_NAME
from extractor.config import Config
from extractor.engines import ENGINES, BatchJob, EngineUnavailable, engine_named
from extractor.engines.local import LocalEngine

from .support.openai_stub import StubEndpoint
from .support.recorded import answer_from_recordings, seed_variations


def test_engines_by_name() -> None:
    assert ENGINES == ("local", "ray")
    assert isinstance(engine_named("local"), LocalEngine)
    with pytest.raises(ValueError, match="invalid engine .spark.: one of local, ray"):
        engine_named("spark")
    with pytest.raises(ValueError, match="need --engine ray"):
        engine_named("local", actors=2)


def test_the_core_and_the_local_engine_never_import_ray() -> None:
    """Ray is optional: importing the package, the CLI and the local engine leaves it out."""
    code = (
        "import sys, extractor, extractor.cli, extractor.engines, extractor.engines.local, extractor.batch;"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_ray_engine_without_its_extra_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``ray`` unimportable (as without the extra), asking for it names the extra."""
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.delitem(sys.modules, "extractor.engines.ray", raising=False)
    monkeypatch.delitem(sys.modules, "extractor.engines._ray_dataset", raising=False)
    with pytest.raises(EngineUnavailable, match=r"pip install 'finfacts-extractor\[ray\]'"):
        engine_named("ray")


def test_local_engine_runs_a_batch_job(tmp_path: Path) -> None:
    inputs = tmp_path / "in.jsonl"
    inputs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in seed_variations(12)), encoding="utf-8")
    with StubEndpoint(answer_from_recordings) as stub:
        config = Config(base_url=stub.base_url, model=MODEL_NAME, mode="llama_json", cache_dir=tmp_path / "cache")
        job = BatchJob((inputs,), tmp_path / "out", config, concurrency=4)
        seen: list[int] = []
        result = LocalEngine().run(job, on_progress=lambda p: seen.append(p.done))
        assert stub.stats.max_in_flight <= 4
        again = asyncio.run(LocalEngine().arun(job))
    assert result.ok == 12 and result.failed == 0 and max(seen) == 12
    assert again.ok == 0 and again.skipped == 12  # resumed: everything was done
    assert len((tmp_path / "out" / "facts.jsonl").read_text(encoding="utf-8").splitlines()) == 12
