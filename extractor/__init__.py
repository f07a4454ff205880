"""Structured, grounded facts from financial news.

from extractor import extract
facts = extract("微众银行2024年净利润109.03亿元……")
"""

from ._api import aextract, extract
from ._exceptions import (
    BackendError,
    ConfigError,
    ExtractionError,
    ExtractorError,
    FigureError,
    ModeNotSupported,
    OutputBusy,
    OutputError,
    OutputTruncated,
    TransportError,
    ValidationFailed,
    WeightsError,
)
from ._version import __version__
from .backends import StaticBackend
from .config import Config
from .endpoint import Endpoint
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
from .pipeline import Extractor

__all__ = [
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
