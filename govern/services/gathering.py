"""Evidence gatherers: the audit service's seam for evidence kinds.

An audit (``govern audit run`` for a registered version, or ``govern audit fairness --policy``
for a decision file) hands every registered gatherer the same :class:`AuditInputs`; each returns
one evidence part, or None when its evidence cannot be gathered from these inputs (a
recommendation audit with no rank column, say). The policy's check kinds then judge what was
gathered; a kind whose evidence is missing is ``insufficient_data``, never a pass. A new audit
kind registers a gatherer here instead of editing the audit service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from govern.audits.sources.ranking import UserTable
    from govern.data import EvaluationData
    from govern.evidence import EvidencePart
    from govern.policies import Policy
    from govern.results import DataFingerprint


@dataclass(frozen=True)
class AuditInputs:
    """What every gatherer may read: the data, its columns' roles, the model and the policy.

    The data is either decisions (``evaluation`` and ``y_pred`` are set) or a recommendation
    log (``user_table`` is set, reduced once to one row per user, and ``evaluation`` and
    ``y_pred`` are None); a gatherer whose inputs are absent returns None. A log is reduced
    where it is (pandas reads only its named columns, DuckDB and Spark never bring its rows to
    Python), so ``frame`` is the log only when it was given as a pandas DataFrame, else empty.
    """

    frame: pd.DataFrame = field(repr=False)
    evaluation: EvaluationData | None = field(repr=False)  # the audited columns, validated once
    policy: Policy
    y_pred: str | None  # the column of decisions, recorded or predicted by the model
    sensitive: list[str]
    y_true: str | None = None
    score: str | None = None
    model: Any | None = field(default=None, repr=False)
    features: list[str] | None = None
    source: str | None = None
    seed: int = 0
    purpose: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    user_table: UserTable | None = field(default=None, repr=False)

    def data_fingerprint(self) -> DataFingerprint:
        """The fingerprint of the audited data: the decisions', or the recommendation log's."""
        if self.evaluation is not None:
            return self.evaluation.fingerprint()
        if self.user_table is not None:
            return self.user_table.fingerprint
        raise ValueError("audit inputs hold neither decisions nor a recommendation log")


Gatherer = Callable[[AuditInputs], "EvidencePart | None"]

_GATHERERS: dict[str, Gatherer] = {}


def register_gatherer(name: str, gatherer: Gatherer) -> Gatherer:
    """Add a gatherer (by a unique name); audits run every registered gatherer in order."""
    if name in _GATHERERS and _GATHERERS[name] is not gatherer:
        raise ValueError(f"an evidence gatherer named {name!r} is already registered")
    _GATHERERS[name] = gatherer
    return gatherer


def gatherers() -> dict[str, Gatherer]:
    """Every registered gatherer, by name, in registration order."""
    return dict(_GATHERERS)


def gather(inputs: AuditInputs) -> list[EvidencePart]:
    """Run every gatherer; the parts they return, in order."""
    parts = []
    for gatherer in _GATHERERS.values():
        part = gatherer(inputs)
        if part is not None:
            parts.append(part)
    return parts


def fairness_gatherer(inputs: AuditInputs) -> EvidencePart | None:
    """Group fairness of the decisions, measured with the policy's settings."""
    from govern.audits.fairness import audit_fairness

    if inputs.evaluation is None:  # a recommendation log: see ranking_gatherer
        return None
    settings = inputs.policy.settings
    reference = None if settings.reference == "highest_selection_rate" else settings.reference
    engine = inputs.options.get("engine", "pandas")
    data: Any = inputs.evaluation
    columns: dict[str, Any] = {}
    if engine != "pandas":
        # Another engine builds the table from the audited columns (validated already).
        from govern.audits.sources.choose import open_source

        weight = inputs.evaluation.columns.get("sample_weight")
        columns = {"y_pred": inputs.y_pred, "sensitive": inputs.sensitive}
        columns |= {"y_true": inputs.y_true, "score": inputs.score, "sample_weight": weight}
        columns["positive_label"] = inputs.evaluation.positive_label
        named = [inputs.y_pred, *inputs.sensitive, inputs.y_true, inputs.score, weight]
        data = open_source(inputs.frame[list(dict.fromkeys(c for c in named if c))], engine)
    return audit_fairness(
        data,
        **columns,
        intersections=inputs.policy.needs_intersections() and len(inputs.sensitive) > 1,
        reference=reference,
        n_boot=settings.n_boot,
        seed=inputs.seed,
        min_group_size=settings.min_group_size,
        exclude_below_share=settings.exclude_below_share,
        alpha=settings.alpha,
        confidence_level=settings.confidence_level,
    )


def transparency_gatherer(inputs: AuditInputs) -> EvidencePart | None:
    """What the model reads, proxies (single and combined), explanations with intervals and
    individual fairness, measured with the policy's settings (:mod:`govern.services.transparency`).

    Without a model (a procured tool audited on its recorded decisions) the inputs are unknown:
    proxies are measured over the data's other columns when the caller names them as features.
    ``options["progress"]``, when set, follows the permutation importance.
    """
    from govern.audits.transparency import transparency_evidence
    from govern.services.transparency import transparency_settings

    if inputs.evaluation is None:  # a recommendation log: the model's inputs are not read
        return None
    evidence = transparency_evidence(
        inputs.model,
        inputs.frame,
        features=inputs.features if inputs.features is not None else [],
        sensitive=inputs.sensitive,
        y_true=inputs.evaluation.y_true,
        decisions=inputs.evaluation.y_pred,
        settings=transparency_settings(
            inputs.policy, seed=inputs.seed, n_repeats=int(inputs.options.get("n_repeats", 5))
        ),
        progress=inputs.options.get("progress"),
    )
    if inputs.features is None:
        evidence = evidence.model_copy(update={"model_inputs": None, "direct_use": None})
    return evidence


def oversight_gatherer(inputs: AuditInputs) -> EvidencePart | None:
    """How reviewers used the recommendations, when ``options["oversight"]`` names the log's
    columns (:class:`govern.evidence.oversight.OversightRoles`). The recommendation may be the
    model's own decisions of this audit (``govern.services.audit.DECISION_COLUMN``)."""
    from govern.audits.oversight import decision_log, oversight_from_log
    from govern.audits.oversight.rates import Measure

    roles = inputs.options.get("oversight")
    if roles is None or inputs.evaluation is None:  # a recommendation log has no review stage
        return None
    settings = inputs.policy.settings
    log = decision_log(
        inputs.frame,
        roles=roles,
        sensitive=inputs.sensitive,
        positive_label=inputs.evaluation.positive_label,
        source=inputs.source,
    )
    measure = Measure(
        n_boot=settings.n_boot,
        seed=inputs.seed,
        min_group_size=settings.min_group_size,
        alpha=settings.alpha,
        confidence_level=settings.confidence_level,
        exclude_below_share=settings.exclude_below_share,
    )
    return oversight_from_log(log, measure)


def ranking_gatherer(inputs: AuditInputs) -> EvidencePart | None:
    """Fairness of a recommendation log (users served, items shown), with the policy's settings."""
    if inputs.user_table is None:
        return None
    from govern.audits.ranking.engine import RankingOptions, ranking_from_table
    from govern.policies.checks.ranking import RankingCheck, ranking_needs_intersections

    settings = inputs.policy.settings
    checks = [rule.check for rule in inputs.policy.rules if isinstance(rule.check, RankingCheck)]
    table = inputs.user_table
    return ranking_from_table(
        table,
        RankingOptions(
            n_boot=settings.n_boot,
            seed=inputs.seed,
            min_group_size=settings.min_group_size,
            confidence_level=settings.confidence_level,
            reference=None
            if settings.reference == "highest_selection_rate"
            else settings.reference,
            intersections=ranking_needs_intersections(checks) and len(table.attributes) > 1,
        ),
    )


register_gatherer("fairness", fairness_gatherer)
register_gatherer("transparency", transparency_gatherer)
register_gatherer("oversight", oversight_gatherer)
register_gatherer("ranking", ranking_gatherer)
