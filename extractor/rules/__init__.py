"""Mechanical readings of an article's words, one module per fact type.

``metrics``: the metric a figure's neighbouring words name, and who the figure is about;
``institutions``: the type and country a name states, bank names standing as words;
``products``: the type a product name states, lists of products; ``actions``: the
regulatory act a sentence's wording states. The model's labels fill in where they are
silent. The word lists they read live in ``extractor.lexicon``.
"""

from .actions import names_regulation, reasons_in, regulatory_act
from .institutions import (
    country_from_name,
    institution_mentions,
    institution_type_from_name,
    parenthesised_alias,
)
from .metrics import metric_from_context, metric_name_near, nearest_name, unit_fits
from .products import listed_products, product_type_from_name

__all__ = [
    "country_from_name",
    "institution_mentions",
    "institution_type_from_name",
    "listed_products",
    "metric_from_context",
    "metric_name_near",
    "names_regulation",
    "nearest_name",
    "parenthesised_alias",
    "product_type_from_name",
    "reasons_in",
    "regulatory_act",
    "unit_fits",
]
