"""The OpenAI-compatible stub endpoint, from the package (``extractor.testing``), where
the tests and other callers of ``tests.support`` expect it."""

from extractor.testing import FAULTS, Answer, Stats, StubEndpoint

__all__ = ["FAULTS", "Answer", "Stats", "StubEndpoint"]
