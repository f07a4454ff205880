"""Structured, grounded facts from financial news.

from extractor import extract
facts = extract("微众银行2024年净利润109.03亿元……")
"""

from __future__ import annotations

from ._api import aextract, extract
from .config import Config
from .llm import ExtractionError, OutputTruncated, TransportError, ValidationFailed
from .models import (
    Article,
    ArticleFacts,
    Evidence,
    FinancialMetric,
    Institution,
    Product,
    RegulatoryAction,
)
from .numbers import Figure, parse_figure
from .periods import parse_period

__version__ = "0.1.0"

__all__ = [
    "Article",
    "ArticleFacts",
    "Config",
    "Evidence",
    "ExtractionError",
    "Figure",
    "FinancialMetric",
    "Institution",
    "OutputTruncated",
    "Product",
    "RegulatoryAction",
    "TransportError",
    "ValidationFailed",
    "__version__",
    "aextract",
    "extract",
    "parse_figure",
    "parse_period",
]
