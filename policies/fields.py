"""Vocabularies a policy may name: model-card fields and fairness-engine metrics.

``DOCUMENTATION_FIELDS`` is the contract between documentation rules and the model-card schema:
the card maps its sections onto these flat dotted keys (``DocumentationEvidence.fields``). The
sections follow Mitchell et al. (2019), "Model Cards for Model Reporting", extended with what
Regulation (EU) 2024/1689 Annex IV and Art. 13(3) ask a high-risk system's documentation to hold.

``METRIC_NAMES`` lists every metric the fairness engine emits, so a misspelt metric in a policy
fails at load time with a "did you mean" instead of silently never matching a row.
"""

from __future__ import annotations

# The metric vocabulary is shared with the fairness engine (govern.metric_names).
from govern.metric_names import (
    ATTRIBUTE_METRICS,
    GROUP_METRICS,
    METRIC_NAMES,
    REFERENCE_METRICS,
)

__all__ = [
    "ATTRIBUTE_METRICS",
    "DOCUMENTATION_FIELDS",
    "GROUP_METRICS",
    "METRIC_NAMES",
    "REFERENCE_METRICS",
    "SELECTION_RATIO_METRICS",
]

DOCUMENTATION_FIELDS: dict[str, str] = {
    "model_details.description": "What the model is and does, in plain language.",
    "model_details.owner": "The organisation and named person accountable for the model.",
    "model_details.version": "The model version the card describes.",
    "intended_use.primary_uses": "The decisions or recommendations the model is meant for.",
    "intended_use.primary_users": "Who uses the output (recruiters, managers, employees).",
    "intended_use.out_of_scope": "Uses the model must not be put to.",
    "factors.groups": "The groups of people performance was examined for (sex, ethnicity, ...).",
    "metrics.performance_measures": "Accuracy measures reported and why they fit (Annex IV(4)).",
    "metrics.fairness_measures": "Fairness measures reported and why they fit.",
    "metrics.limitations": "Known limits of the metrics and of the model (Annex IV(3)).",
    "evaluation_data.description": "The data the model was evaluated on and how it was chosen.",
    "training_data.provenance": "Origin and original purpose of the training data (Art. 10(2)(b)).",
    "training_data.preparation": "Labelling, cleaning and selection of the data (Art. 10(2)(c)).",
    "training_data.bias_examination": "How the data was examined for biases (Art. 10(2)(f)-(g)).",
    "quantitative_analysis.group_performance": "Accuracy for specific groups (Art. 13(3)(b)(v)).",
    "quantitative_analysis.accuracy_robustness": "Accuracy and robustness levels (Art. 15).",
    "human_oversight.measures": "How a person can understand, override or stop it (Art. 14(4)).",
    "logging.description": "What events are logged and for how long (Art. 12, Art. 26(6)).",
    "risk_management.description": "Foreseeable risks, including discrimination, and mitigations.",
    "ethical_considerations": "Ethical questions raised by the use and how they were handled.",
    "caveats_recommendations": "Caveats and recommendations for the people using the output.",
    "bias_audit.data_source": "Source of the audit data and why it fits (6 RCNY 5-303).",
    "bias_audit.distribution_date": "Date the tool was first distributed or used (6 RCNY 5-303).",
    "fundamental_rights.impact_assessment": "Fundamental-rights impact assessment (Art. 27).",
    "transparency.explanation": "How the main elements of a decision are explained (Art. 86).",
    "accountability.appeal_route": "How a person can contest a decision, and to whom.",
    "privacy.data_protection": "Legal basis, minimisation and retention of personal data.",
}


# Disparities judged against a reference group; their sentences name the reference.
SELECTION_RATIO_METRICS: frozenset[str] = frozenset(
    {"impact_ratio", "scoring_impact_ratio", "selection_rate_ratio", "scoring_rate_ratio"}
)
