"""The controlled vocabulary of what models are for and how risky they are.

One list for the register (a model's governance metadata) and the policy language (a pack's or
rule's ``applies_to``), so a pack scoped to a purpose can only name purposes a model can be
registered with, and a model's purpose always reaches the packs written for it.
"""

from __future__ import annotations

from typing import Literal, get_args

Purpose = Literal[
    "recruitment",
    "promotion",
    "termination",
    "task_allocation",
    "performance_evaluation",
    "learning_recommendation",
    "skills_assessment",
    "other",
]
RiskTier = Literal["high", "limited", "minimal"]

# What each purpose covers, in the words of the instrument that makes it high risk.
PURPOSES: dict[Purpose, str] = {
    "recruitment": "Recruitment or selection: targeted job advertisements, analysing and "
    "filtering applications, evaluating candidates (EU AI Act Annex III point 4(a)).",
    "promotion": "Decisions on promotion (Annex III point 4(b)).",
    "termination": "Decisions on terminating work relationships (Annex III point 4(b)).",
    "task_allocation": "Allocating tasks based on individual behaviour, traits or "
    "characteristics (Annex III point 4(b)).",
    "performance_evaluation": "Monitoring and evaluating the performance and behaviour of "
    "people at work (Annex III point 4(b)).",
    "learning_recommendation": "Recommending learning pathways or courses to staff, which "
    "profiles them (Art. 6(3): systems that profile people stay high risk).",
    "skills_assessment": "Assessing the skills or skills gaps of staff or applicants, which "
    "profiles them (Art. 6(3)).",
    "other": "Any other use; minimal risk unless the register says why not.",
}
RISK_TIERS: tuple[RiskTier, ...] = get_args(RiskTier)

# The register's words as documents and MLflow's UI show them to a reader (never the key).
PURPOSE_WORDS: dict[Purpose, str] = {
    "recruitment": "Recruitment or selection",
    "promotion": "Decisions on promotion",
    "termination": "Decisions to end employment",
    "task_allocation": "Allocating tasks to people",
    "performance_evaluation": "Monitoring and evaluating performance",
    "learning_recommendation": "Recommending learning to staff",
    "skills_assessment": "Assessing skills or skills gaps",
    "other": "Another use",
}
OVERSIGHT_WORDS = {
    "in_the_loop": "A person decides every case; the model only informs them.",
    "on_the_loop": "The model decides; people monitor it and can step in.",
    "none": "No human oversight of individual decisions.",
}
DEPLOYMENT_WORDS = {
    "development": "In development, not used for decisions yet",
    "pilot": "In a pilot",
    "production": "In use",
    "retired": "Retired",
}

# The employment uses of EU AI Act Annex III point 4.
ANNEX_III_EMPLOYMENT: tuple[Purpose, ...] = (
    "recruitment",
    "promotion",
    "termination",
    "task_allocation",
    "performance_evaluation",
)


def derive_risk_tier(purpose: Purpose) -> RiskTier:
    """The risk tier a purpose implies: every purpose about people at work is high risk.

    Regulation (EU) 2024/1689 Annex III point 4 lists AI for recruitment or selection and for
    decisions on promotion, termination, task allocation and the monitoring and evaluation of
    performance; recommending learning or assessing skills profiles natural persons, which
    Art. 6(3) keeps high risk. ``other`` is minimal until someone argues otherwise.

    Examples
    --------
    >>> derive_risk_tier("learning_recommendation")
    'high'
    >>> derive_risk_tier("other")
    'minimal'
    """
    return "minimal" if purpose == "other" else "high"
