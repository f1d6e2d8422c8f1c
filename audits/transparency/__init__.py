"""Transparency evidence: what a model reads, which inputs stand in for a sensitive attribute
(one by one and together), what drives its decisions, and whether similar people are treated
alike. Measures only; the policy decides what is acceptable.

One module per measure:

- :mod:`.direct_use`: sensitive attributes among the inputs, under any name;
- :mod:`.associations`: single-input proxies (Cramér's V, η, normalised mutual information);
- :mod:`.combined`: whether all inputs together reconstruct an attribute (cross-validated AUC);
- :mod:`.importance`: permutation importance with intervals, by group, and the proxies' share;
- :mod:`.individual`: consistency and the inequality of benefits (aif360's definitions);
- :mod:`.audit`: :func:`transparency_evidence`, which runs them all.
"""

from __future__ import annotations

from govern.audits.transparency.associations import (
    MAX_CATEGORICAL_LEVELS,
    MISSING_COLUMN,
    correlation_ratio,
    cramers_v,
    normalized_mutual_info,
    proxy_scores,
)
from govern.audits.transparency.audit import (
    TransparencySettings,
    model_input_names,
    transparency_evidence,
)
from govern.audits.transparency.importance import PermutationResult, permutation_importance

__all__ = [
    "MAX_CATEGORICAL_LEVELS",
    "MISSING_COLUMN",
    "PermutationResult",
    "TransparencySettings",
    "correlation_ratio",
    "cramers_v",
    "model_input_names",
    "normalized_mutual_info",
    "permutation_importance",
    "proxy_scores",
    "transparency_evidence",
]
