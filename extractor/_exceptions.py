"""Every error the package raises on purpose, under one root.

    ExtractorError                  catch this to catch them all
    ├── ConfigError                 a setting or argument that cannot be used (also a ValueError)
    ├── FigureError                 parse_figure cannot read the text as a figure (also a ValueError)
    ├── BackendError                no usable model endpoint; says how to get one (also a RuntimeError)
    │   └── WeightsError            the embedded model's weights are missing or fail the hash check
    ├── OutputError                 a batch's output folder cannot be written; the batch stops
    │   └── OutputBusy              another run holds the output folder (its pid in ``pid``)
    └── ExtractionError             one article's model call failed; ``stage`` says where, ``usage`` what it cost
        ├── TransportError          stage "transport": timeouts, resets, 429 and 5xx after every retry
        ├── ValidationFailed        stage "validation": answers that failed validation after every re-ask
        ├── OutputTruncated         stage "model_output": cut at max_tokens with no complete item
        └── ModeNotSupported        stage "request": the endpoint refuses the mode; names the modes to try

``ExtractionError`` is per article: a batch records it in ``errors.jsonl`` and goes on
(so does an article whose own file cannot be written). The others mean no article can
succeed (no backend, no weights, a bad setting, an output folder that cannot be written
or is in use) or, for ``FigureError``, that one string is not a figure. Bad input files
are not exceptions: the loader reports each one as an ``UnreadableInput`` record and
reads on. Every error pickles with its attributes, so it crosses process boundaries.

The outer subpackages raise theirs under the same root (each exported where it is used):

    ExtractorError
    ├── extractor.engines.EngineUnavailable   the engine asked for cannot run here (also a RuntimeError)
    ├── extractor.export.ExportInputError     no such folder, or no facts.jsonl in it (a ValueError)
    ├── extractor.export.DestinationError     the destination is no earlier export (a ValueError)
    ├── extractor.export.SeedTableError       the seed table contradicts itself (a ValueError)
    └── extractor.view.RunNotFound            no run's output where the view was pointed (also a FileNotFoundError)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .models import Usage


class ExtractorError(Exception):
    """The root of every error this package raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt without __init__ (whose arguments differ from class to class), then
        # given its attributes back: pickle would otherwise call cls(*args) and fail
        return (_rebuilt, (type(self), self.args), self.__dict__)


def _rebuilt(cls: type[ExtractorError], args: tuple[Any, ...]) -> ExtractorError:
    return cls.__new__(cls, *args)


class ConfigError(ExtractorError, ValueError):
    """A setting with a value it cannot have: names the ``setting``, the ``value``, what
    it ``allowed`` and the ``source`` it came from (an environment variable or an option;
    None for a Python argument)."""

    def __init__(self, setting: str, value: object, allowed: str, source: str | None = None) -> None:
        self.setting = setting
        self.value = value
        self.allowed = allowed
        self.source = source
        where = f" (from {source})" if source else ""
        super().__init__(f"invalid {setting} {value!r}{where}: {allowed}")

    def named(self, name: str) -> ConfigError:
        """The same error, naming where the value came from (an option, a variable)."""
        return ConfigError(self.setting, self.value, self.allowed, name)


class FigureError(ExtractorError, ValueError):
    """Raised when a raw string is not a figure this package can read."""


class BackendError(ExtractorError, RuntimeError):
    """No usable model: says how to get one."""


class WeightsError(BackendError):
    """The embedded weights are missing or do not match the pinned hash."""


class OutputError(ExtractorError):
    """The output folder cannot be written: the batch stops with this message."""


class OutputBusy(OutputError):
    """Another run holds the output folder."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        self.folder = folder
        self.pid = pid
        who = f"another extractor run (pid {pid})" if pid else "another extractor run"
        super().__init__(f"{who} is writing to {folder}; wait for it to end or choose another output folder")


class ExtractionError(ExtractorError):
    """A call that could not produce a valid answer; ``stage`` says where it failed."""

    stage = "extract"

    def __init__(self, message: str, *, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.usage = usage or Usage()


class TransportError(ExtractionError):
    """The endpoint gave no usable completion, after every retry."""

    stage = "transport"


class ValidationFailed(ExtractionError):
    """The model's answers failed validation, after every re-ask."""

    stage = "validation"


class OutputTruncated(ExtractionError):
    """The answer was cut at ``max_tokens`` and kept no complete item."""

    stage = "model_output"


class ModeNotSupported(ExtractionError):
    """The endpoint refused the way we asked for structure (``mode``), not the request:
    sending it again cannot help, another mode can (``suggestions``, most likely first)."""

    stage = "request"

    def __init__(self, message: str, *, mode: str, suggestions: list[str], usage: Usage | None = None) -> None:
        super().__init__(message, usage=usage)
        self.mode = mode
        self.suggestions = suggestions
