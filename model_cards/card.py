"""The model card: Mitchell et al. (2019) sections plus the governance facts a public body needs.

Sections follow "Model Cards for Model Reporting" (Mitchell et al., FAT* 2019): model details,
intended use, factors, metrics, evaluation data, training data, quantitative analyses, ethical
considerations, caveats and recommendations. Governance sections add what Regulation (EU)
2024/1689 asks of high-risk employment systems: data provenance and bias examination
(Art. 10(2)), logging (Art. 12), human oversight (Art. 14(4)), explanation (Art. 86), and the
accountability facts of the UK Algorithmic Transparency Recording Standard (owner, senior
responsible owner, contact, appeals).

A card is written by people, in YAML (``load_model_card``); its quantitative analyses are filled
from measured evidence (``ModelCard.with_fairness``); ``documentation_fields`` flattens it to the
dotted keys of ``govern.policies.fields.DOCUMENTATION_FIELDS`` for documentation rules.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govern.errors import BadInputError
from govern.evidence.documentation import DocumentationEvidence
from govern.evidence.fairness import FairnessEvidence
from govern.limits import Limits
from govern.results import INTERSECTION_SEPARATOR, DisclosureRule, MetricRow
from govern.yaml_loader import field_problems, load_located, read_yaml_text

CARD_NOT_FOUND = (
    "model card file {path} does not exist. Check the path, or write one (docs/reports.md)."
)
EMPTY_CARD = "a mapping of sections (model_details, intended_use, ...)"
CARD_UNKNOWN_KEY = "unknown key; check its spelling against the model-card sections"
CARD_INVALID = "{path}: the model card has {count} problem(s):\n{problems}"
CARD_PROBLEM = "  {path}:{line}:{column}: {key}: {message}"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelDetails(_Section):
    name: str = Field(description="The model's name as registered.")
    version: str = Field("", description="The model version the card describes.")
    description: str = Field("", description="What the model is and does, in plain language.")
    owner: str = Field("", description="Organisation and named person accountable for the model.")
    model_type: str = Field("", description="Kind of model, e.g. 'gradient-boosted trees'.")
    date: str = Field("", description="When this version was built.")
    licence: str = Field("", description="Licence or terms of use.")
    supplier: str = Field("", description="Third-party supplier, if the tool was bought in.")


class IntendedUse(_Section):
    primary_uses: str = ""
    primary_users: str = ""
    out_of_scope: str = ""


class Factors(_Section):
    groups: list[str] = Field(default_factory=list, description="Attributes examined.")
    instrumentation: str = ""
    environment: str = ""


class Metrics(_Section):
    performance_measures: str = ""
    fairness_measures: str = ""
    decision_thresholds: str = ""
    limitations: str = ""


class EvaluationData(_Section):
    description: str = ""
    preprocessing: str = ""


class TrainingData(_Section):
    description: str = ""
    provenance: str = Field("", description="Origin and original purpose (Art. 10(2)(b)).")
    preparation: str = Field("", description="Labelling, cleaning, selection (Art. 10(2)(c)).")
    bias_examination: str = Field("", description="Examination for biases (Art. 10(2)(f)-(g)).")


class QuantitativeAnalysis(_Section):
    group_performance: str = ""
    accuracy_robustness: str = ""
    unitary: list[MetricRow] = Field(
        default_factory=list, description="Per-group metrics of single attributes (measured)."
    )
    intersectional: list[MetricRow] = Field(
        default_factory=list, description="Per-group metrics of intersections (measured)."
    )
    suppressed_groups: list[tuple[str, str]] = Field(
        default_factory=list,
        description="(attribute, group) pairs too small to report; their rows are not kept.",
    )


class HumanOversight(_Section):
    measures: str = ""


class Logging(_Section):
    description: str = ""
    retention: str = ""


class RiskManagement(_Section):
    risk_tier: str = ""
    description: str = ""


class Transparency(_Section):
    explanation: str = ""


class Accountability(_Section):
    accountable_executive: str = Field("", description="Senior responsible owner.")
    contact: str = ""
    appeal_route: str = ""


class Privacy(_Section):
    data_protection: str = ""


class BiasAudit(_Section):
    """The published summary of an independent bias audit (NYC LL144, 6 RCNY 5-303)."""

    data_source: str = Field("", description="Source of the audit data and why it fits.")
    distribution_date: str = Field("", description="When the tool was first distributed or used.")


class FundamentalRights(_Section):
    impact_assessment: str = Field(
        "", description="Fundamental-rights impact assessment (Art. 27)."
    )


class ModelCard(BaseModel):
    """A model card (Mitchell et al. 2019) with public-sector governance sections.

    Examples
    --------
    >>> card = ModelCard(model_details=ModelDetails(name="screening", owner="HR analytics"))
    >>> card.documentation_fields()["model_details.owner"]
    'HR analytics'
    """

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    model_details: ModelDetails
    intended_use: IntendedUse = IntendedUse()
    factors: Factors = Factors()
    metrics: Metrics = Metrics()
    evaluation_data: EvaluationData = EvaluationData()
    training_data: TrainingData = TrainingData()
    quantitative_analysis: QuantitativeAnalysis = QuantitativeAnalysis()
    ethical_considerations: str = ""
    caveats_recommendations: str = ""
    human_oversight: HumanOversight = HumanOversight()
    logging: Logging = Logging()
    risk_management: RiskManagement = RiskManagement()
    transparency: Transparency = Transparency()
    accountability: Accountability = Accountability()
    privacy: Privacy = Privacy()
    bias_audit: BiasAudit = BiasAudit()
    fundamental_rights: FundamentalRights = FundamentalRights()

    def documentation_fields(self) -> dict[str, str]:
        """The card's written text as flat dotted keys; empty fields are left out.

        Keys match ``govern.policies.fields.DOCUMENTATION_FIELDS`` (plus a few extra governance
        keys such as ``accountability.contact``). Lists are joined with "; ". Measured tables
        (``quantitative_analysis.unitary`` and ``.intersectional``) are evidence, not
        documentation, and are not included.

        Examples
        --------
        >>> card = ModelCard(model_details=ModelDetails(name="m"), ethical_considerations="x")
        >>> sorted(card.documentation_fields())
        ['ethical_considerations', 'model_details.name']
        """
        flat: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, BaseModel):
                for sub in type(value).model_fields:
                    text = _as_text(getattr(value, sub))
                    if text:
                        flat[f"{name}.{sub}"] = text
            else:
                text = _as_text(value)
                if text:
                    flat[name] = text
        return flat

    def documentation_evidence(self) -> DocumentationEvidence:
        """The card as evidence for documentation rules."""
        return DocumentationEvidence(fields=self.documentation_fields())

    def with_fairness(
        self, evidence: FairnessEvidence, *, disclosure: DisclosureRule | None = None
    ) -> ModelCard:
        """A copy whose quantitative analyses hold the measured per-group metrics.

        Groups whose figures the disclosure rule withholds (:mod:`govern.disclosure`; the
        audit's own rule, ``audit.disclosure``) are not copied: only their names are kept, so a
        card never publishes their counts or rates.
        """
        from govern.disclosure import hidden_groups

        hidden = hidden_groups(evidence, disclosure or DisclosureRule())
        kept = [r for r in evidence.metrics if (r.attribute, r.group) not in hidden]
        unitary = [r for r in kept if INTERSECTION_SEPARATOR not in r.attribute]
        intersectional = [r for r in kept if INTERSECTION_SEPARATOR in r.attribute]
        analysis = self.quantitative_analysis.model_copy(
            update={
                "unitary": unitary,
                "intersectional": intersectional,
                "suppressed_groups": [
                    (g.attribute, g.group)
                    for g in evidence.groups
                    if (g.attribute, g.group) in hidden
                ],
            }
        )
        return self.model_copy(update={"quantitative_analysis": analysis})


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "; ".join(item.strip() for item in value if item.strip())
    return ""


def _limits(limits: Limits | None) -> Limits:
    if limits is not None:
        return limits
    from govern.settings import load_settings

    return load_settings(create_home=False).limits


def load_model_card(path: str | os.PathLike[str], *, limits: Limits | None = None) -> ModelCard:
    """Load a model card written in YAML, reporting every problem with its file:line:column.

    Parameters
    ----------
    path : path
        A YAML file whose top-level keys are the card's sections.
    limits : Limits, optional
        Size and nesting bounds (default: those of ``govern.yaml``, see :mod:`govern.limits`).

    Returns
    -------
    ModelCard

    Raises
    ------
    BadInputError
        The file is missing, is not YAML, or has unknown keys or wrong types; the message lists
        every problem with its position.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     source = pathlib.Path(folder) / "card.yaml"
    ...     _ = source.write_text("model_details:\\n  name: screening\\n")
    ...     load_model_card(source).model_details.name
    'screening'
    """
    source = Path(path)
    if not source.exists():
        raise BadInputError(CARD_NOT_FOUND.format(path=source))
    the_limits = _limits(limits)
    text = read_yaml_text(source, str(source), kind="model card", limits=the_limits)
    return parse_model_card(text, str(source), limits=the_limits)


def parse_model_card(text: str, source: str, *, limits: Limits | None = None) -> ModelCard:
    """Parse a model card's YAML text; ``source`` names it in messages (``file:line:column``).

    The same loader, checks and limits as :func:`load_model_card`, for text read from elsewhere
    (the register, or a card checked when it is registered).
    """
    doc = load_located(text, source, kind="model card", expected=EMPTY_CARD, limits=_limits(limits))
    try:
        return ModelCard.model_validate(doc.data)
    except ValidationError as error:
        problems = [
            CARD_PROBLEM.format(
                path=source,
                line=problem.line,
                column=problem.column,
                key=problem.key,
                message=CARD_UNKNOWN_KEY if problem.type == "extra_forbidden" else problem.message,
            )
            for problem in field_problems(error, doc)
        ]
        raise BadInputError(
            CARD_INVALID.format(path=source, count=len(problems), problems="\n".join(problems))
        ) from None


def card_json_schema() -> dict[str, Any]:
    """JSON Schema of a model card file (``govern card --schema``), for editors and CI.

    Examples
    --------
    >>> card_json_schema()["title"]
    'ModelCard'
    """
    schema: dict[str, Any] = ModelCard.model_json_schema(mode="validation")
    # Measured tables are filled by govern from an audit, never written by hand.
    analysis = schema["$defs"]["QuantitativeAnalysis"]["properties"]
    for measured in ("unitary", "intersectional", "suppressed_groups"):
        analysis[measured]["readOnly"] = True
    return schema
