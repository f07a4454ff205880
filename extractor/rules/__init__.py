"""Mechanical readings of an article's words, one module per fact type.

``metrics``: the metric a figure's neighbouring words name, and who the figure is about;
``institutions``: the type and country a name states, bank names standing as words;
``subjects``: the words that say whom a figure is about, or that it is no one's;
``products``: the type a product name states, lists of products; ``actions``: the
regulatory act a sentence's wording states; ``noise``: figures that are no fact (stock
quotes and codes, examples, like counts). The model's labels fill in where they are
silent. The word lists they read live in ``extractor.lexicon``.
"""

from .actions import is_background_approval, names_regulation, reasons_in, regulatory_act
from .institutions import (
    checked_type,
    country_from_name,
    declared_names,
    institution_mentions,
    institution_type_from_name,
    is_a_sector,
    is_aspiration,
    is_generic_name,
    operators,
    parenthesised_alias,
    type_from_context,
    without_category,
)
from .metrics import (
    across_a_clause,
    change_between,
    clause_names_its_own,
    is_a_rules_bound,
    metric_from_context,
    metric_name_near,
    name_stands_here,
    names_a_change,
    nearest_name,
    unit_fits,
    without_names,
)
from .noise import find_interrupted, is_noise, numbered_figures, real_figures, without_quotes
from .products import is_named_as_a_product, is_not_a_product, listed_products, product_type, product_type_from_name
from .subjects import (
    OPENING_MARKS,
    PARAGRAPH_BREAKS,
    SELF_OPENINGS,
    continues,
    is_group_name,
    owned_after,
    speaks_of_a_group,
)

__all__ = [
    "across_a_clause",
    "change_between",
    "checked_type",
    "clause_names_its_own",
    "continues",
    "country_from_name",
    "declared_names",
    "find_interrupted",
    "institution_mentions",
    "institution_type_from_name",
    "is_a_rules_bound",
    "is_a_sector",
    "is_aspiration",
    "is_background_approval",
    "is_generic_name",
    "is_group_name",
    "is_named_as_a_product",
    "is_noise",
    "is_not_a_product",
    "listed_products",
    "metric_from_context",
    "metric_name_near",
    "name_stands_here",
    "names_a_change",
    "names_regulation",
    "nearest_name",
    "numbered_figures",
    "OPENING_MARKS",
    "operators",
    "owned_after",
    "PARAGRAPH_BREAKS",
    "parenthesised_alias",
    "product_type",
    "product_type_from_name",
    "real_figures",
    "reasons_in",
    "regulatory_act",
    "SELF_OPENINGS",
    "speaks_of_a_group",
    "type_from_context",
    "unit_fits",
    "without_category",
    "without_names",
    "without_quotes",
]
