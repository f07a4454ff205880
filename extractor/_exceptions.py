"""Every error the package raises on purpose, under one root.

    ExtractorError                  catch this to catch them all
    ├── ConfigError                 a setting or argument that cannot be used (also a ValueError)
    ├── FigureError                 parse_figure cannot read the text as a figure (also a ValueError)
    ├── BackendError                no usable model endpoint; says how to get one (also a RuntimeError)
    │   └── WeightsError            the embedded model's weights are missing or fail the hash check
    └── ExtractionError             one article's model call failed; ``stage`` says where, ``usage`` what it cost
        ├── TransportError          stage "transport": timeouts, resets, 429 and 5xx after every retry
        ├── ValidationFailed        stage "validation": answers that failed validation after every re-ask
        ├── OutputTruncated         stage "model_output": cut at max_tokens with no complete item
        └── ModeNotSupported        stage "request": the endpoint refuses the mode; names the modes to try

``ExtractionError`` is per article: a batch records it in ``errors.jsonl`` and goes on.
The others mean no article can succeed (no backend, no weights, a bad setting) or, for
``FigureError``, that one string is not a figure. Bad input files are not exceptions:
the loader reports each one as an ``UnreadableInput`` record and reads on.
"""

from __future__ import annotations

from .models import Usage


class ExtractorError(Exception):
    """The root of every error this package raises on purpose."""


class ConfigError(ExtractorError, ValueError):
    """A setting (argument or environment variable) that cannot be used; names it."""


class FigureError(ExtractorError, ValueError):
    """Raised when a raw string is not a figure this package can read."""


class BackendError(ExtractorError, RuntimeError):
    """No usable model: says how to get one."""


class WeightsError(BackendError):
    """The embedded weights are missing or do not match the pinned hash."""


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
