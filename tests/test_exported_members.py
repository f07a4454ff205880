"""The public surface, pinned the httpx way: what ``import extractor`` offers is ``__all__``,
every error sits in the tree ``_exceptions`` draws, and every module is private or listed."""

from __future__ import annotations

import pickle
import pkgutil
import re
import types
from pathlib import Path

import pytest

import extractor
from extractor import _exceptions
from extractor.models import Usage

# The package's modules a user may import (the README's module map). Anything else is
# private (a leading underscore).
PUBLIC_MODULES = {
    "articles",
    "backends",
    "batch",
    "cache",
    "chars",
    "chunking",
    "cli",
    "config",
    "drafts",
    "endpoint",
    "engines",
    "evaluate",
    "export",
    "grounding",
    "lexicon",
    "llm",
    "models",
    "normalise",
    "numbers",
    "output",
    "periods",
    "pipeline",
    "probe",
    "prompting",
    "prompts",
    "providers",
    "ray",
    "rules",
    "salvage",
    "segmentation",
    "service",
    "testing",
    "validation",
    "view",
}


def test_all_public_names_are_exported() -> None:
    public = {
        name
        for name, value in vars(extractor).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert sorted(extractor.__all__) == sorted(public | {"__version__"})
    assert len(set(extractor.__all__)) == len(extractor.__all__)


def test_the_exported_names_are_these() -> None:
    assert sorted(extractor.__all__) == sorted(
        [
            "Article",
            "ArticleFacts",
            "BackendError",
            "Config",
            "ConfigError",
            "Endpoint",
            "Evidence",
            "ExtractionError",
            "Extractor",
            "ExtractorError",
            "Figure",
            "FigureError",
            "FinancialMetric",
            "Institution",
            "ModeNotSupported",
            "OutputBusy",
            "OutputError",
            "OutputTruncated",
            "Product",
            "RegulatoryAction",
            "StaticBackend",
            "TransportError",
            "ValidationFailed",
            "WeightsError",
            "__version__",
            "aextract",
            "extract",
            "parse_figure",
            "parse_period",
        ]
    )


def test_modules_are_private_or_listed() -> None:
    found = {module.name for module in pkgutil.iter_modules(extractor.__path__)}
    imported = {name for name, value in vars(extractor).items() if isinstance(value, types.ModuleType)}
    for name in found | imported:
        assert name.startswith("_") or name in PUBLIC_MODULES, f"extractor.{name}: make it private or list it"


_TREE_LINE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z]\w+)\b")


def _drawn_tree() -> dict[str, str | None]:
    """class name → parent name, as the docstring of ``extractor._exceptions`` draws it."""
    parents: dict[str, str | None] = {}
    path: list[tuple[int, str]] = []
    for line in (_exceptions.__doc__ or "").splitlines():
        match = _TREE_LINE.match(line.strip("\n")[4:]) if line.startswith("    ") else None
        if match is None:
            continue
        depth = len(match["indent"])
        while path and path[-1][0] >= depth:
            path.pop()
        parents[match["name"]] = path[-1][1] if path else None
        path.append((depth, match["name"]))
    return parents


def test_every_error_is_in_the_drawn_tree_under_one_root() -> None:
    drawn = _drawn_tree()
    errors = {
        name: value
        for name, value in vars(_exceptions).items()
        if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == _exceptions.__name__
    }
    assert set(drawn) == set(errors)
    assert [name for name, parent in drawn.items() if parent is None] == ["ExtractorError"]
    for name, parent in drawn.items():
        if parent is not None:
            assert errors[name].__bases__[0] is errors[parent], f"{name} is drawn under {parent}"
    exported = {name for name in extractor.__all__ if name in errors}
    assert exported == set(errors), "every error is exported from extractor"


@pytest.mark.parametrize(
    "error",
    [
        extractor.ConfigError("mode", "yaml", "allowed values are tools, json", "EXTRACTOR_MODE"),
        extractor.OutputBusy(Path("/tmp/out"), 4242),
        extractor.ModeNotSupported("refused", mode="json_schema", suggestions=["json"], usage=Usage(requests=1)),
        extractor.TransportError("reset", usage=Usage(requests=4)),
        extractor.FigureError("not a figure"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_errors_cross_process_boundaries_whole(error: extractor.ExtractorError) -> None:
    """Ray and multiprocessing pickle what a worker raises: same class, message and attributes."""
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error) and again.args == error.args
    assert vars(again) == vars(error)


def test_errors_keep_the_builtin_bases_callers_catch() -> None:
    assert issubclass(extractor.FigureError, ValueError)
    assert issubclass(extractor.ConfigError, ValueError)
    assert issubclass(extractor.BackendError, RuntimeError)
    assert issubclass(extractor.WeightsError, extractor.BackendError)
    assert issubclass(extractor.OutputBusy, extractor.OutputError)
    assert issubclass(extractor.OutputError, extractor.ExtractorError)
    for error in (extractor.TransportError, extractor.ValidationFailed, extractor.OutputTruncated):
        assert issubclass(error, extractor.ExtractionError)
        assert issubclass(error, extractor.ExtractorError)


def test_the_outer_subpackages_errors_are_under_the_root_and_drawn() -> None:
    """Each outer subpackage exports its errors, every one an ExtractorError and drawn in
    the tree's outer part (by its dotted name)."""
    import importlib

    found = {}
    for package in ("extractor.engines", "extractor.export", "extractor.view"):
        try:
            module = importlib.import_module(package)
        except ImportError:  # an extra that is not installed
            continue
        for name, value in vars(module).items():
            is_error = isinstance(value, type) and issubclass(value, BaseException)
            if is_error and not name.startswith("_") and value.__module__.startswith(package):
                found[f"{package}.{name}"] = value
    assert "extractor.view.RunNotFound" in found
    for dotted, error in found.items():
        assert issubclass(error, extractor.ExtractorError), dotted
        assert f"── {dotted} " in (_exceptions.__doc__ or ""), f"{dotted} is not drawn in the tree"
