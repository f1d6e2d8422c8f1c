"""``audit_oversight``: how reviewers used a model's recommendations, from a decision log."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.audits.oversight.homogeneity import homogeneity_tests
from govern.audits.oversight.log import NO_OUTCOME, UPHELD, DecisionLog, decision_log
from govern.audits.oversight.paired import PairedSettings, View, paired_changes
from govern.audits.oversight.rates import Measure, RateFigures, measured, overall_rate, rate_figures
from govern.audits.oversight.signals import (
    HIGH_AGREEMENT,
    QUICK_REVIEW_MINUTES,
    high_agreement,
    median_minutes_by_group,
    never_overrides,
    quick_decisions,
    reviewer_summaries,
)
from govern.data import EvaluationData
from govern.evidence.fairness import FairnessEvidence, GroupSummary
from govern.evidence.oversight import (
    AGREEMENT_RATE,
    APPEAL_RATE,
    APPEAL_UPHELD_RATE,
    IMPACT_RATIO_DECIDED,
    IMPACT_RATIO_RECOMMENDED,
    OVERRIDE_DOWN_RATE,
    OVERRIDE_UP_RATE,
    QUICK_DECISION_RATE,
    SELECTION_RATE_DECIDED,
    SELECTION_RATE_RECOMMENDED,
    HomogeneityTest,
    OversightEvidence,
    OversightRoles,
    ReviewerSummary,
    Signal,
)
from govern.results import ALL_GROUPS, INTERSECTION_SEPARATOR, UNKNOWN_GROUP, MetricRow

if TYPE_CHECKING:
    import pandas as pd

# The stage figures: each group's rate, and its ratio to the reference group (the group with
# the highest rate among the model's recommendations, held in both stages).
_STAGE_NAMES = {
    "recommended": {
        "selection_rate": SELECTION_RATE_RECOMMENDED,
        "selection_rate_ratio": IMPACT_RATIO_RECOMMENDED,
    },
    "decided": {
        "selection_rate": SELECTION_RATE_DECIDED,
        "selection_rate_ratio": IMPACT_RATIO_DECIDED,
    },
}


def _frame(data: pd.DataFrame | str | os.PathLike[str]) -> tuple[pd.DataFrame, str | None]:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data, None
    from govern.data import read_table

    return read_table(data), Path(data).name


def _stage_rows(evidence: FairnessEvidence, stage: str) -> list[MetricRow]:
    """Per group: the stage's selection rate and ratio to the reference; per attribute (group
    ``*``): the stage's lowest impact ratio (the engine's summary)."""
    names = _STAGE_NAMES[stage]
    lowest = names["selection_rate_ratio"]
    rows = [
        *evidence.find("selection_rate"),
        *(r for r in evidence.find("selection_rate_ratio") if r.group != ALL_GROUPS),
    ]
    renamed = [row.model_copy(update={"metric": names[row.metric]}) for row in rows]
    summaries = [
        row.model_copy(update={"metric": lowest})
        for row in evidence.find("impact_ratio", group=ALL_GROUPS)
    ]
    return renamed + summaries


def _views(
    log: DecisionLog, levels: dict[str, tuple[str, ...]], groups: list[GroupSummary]
) -> list[View]:
    status = {(g.attribute, g.group): g.status for g in groups}
    names = log.sensitive
    combos: list[tuple[str, tuple[int, ...], list[tuple[str, ...]]]] = [
        (name, (i,), [(label,) for label in levels[name]]) for i, name in enumerate(names)
    ]
    if len(names) > 1:
        parts = list(itertools.product(*(levels[name] for name in names)))
        combos.append((INTERSECTION_SEPARATOR.join(names), tuple(range(len(names))), parts))
    views = []
    for name, axes, parts in combos:
        labels = [INTERSECTION_SEPARATOR.join(p) for p in parts]
        comparable = np.array([UNKNOWN_GROUP not in p for p in parts], dtype=bool)
        judged = np.array([status.get((name, label)) == "ok" for label in labels], dtype=bool)
        views.append(
            View(
                name=name,
                axes=axes,
                labels=labels,
                comparable=comparable,
                eligible=judged & comparable,
            )
        )
    return views


def _rates(log: DecisionLog, measure: Measure) -> list[RateFigures]:
    """Every oversight rate the log's columns allow, by group."""
    agreed = (log.recommended == log.decided).astype(np.int8)
    common: dict[str, Any] = {"sensitive": log.sensitive, "measure": measure}
    figures = [
        rate_figures(AGREEMENT_RATE, log.frame, agreed, **common),
        rate_figures(OVERRIDE_UP_RATE, log.frame, log.decided, mask=log.recommended == 0, **common),
        rate_figures(
            OVERRIDE_DOWN_RATE, log.frame, 1 - log.decided, mask=log.recommended == 1, **common
        ),
    ]
    if log.appealed is not None:
        figures.append(rate_figures(APPEAL_RATE, log.frame, log.appealed, **common))
    if log.upheld is not None:
        figures.append(
            rate_figures(
                APPEAL_UPHELD_RATE,
                log.frame,
                (log.upheld == UPHELD).astype(np.int8),
                mask=log.upheld != NO_OUTCOME,
                **common,
            )
        )
    if log.review_minutes is not None:
        timed = np.isfinite(log.review_minutes)
        quick = (np.nan_to_num(log.review_minutes, nan=np.inf) < QUICK_REVIEW_MINUTES).astype(
            np.int8
        )
        figures.append(rate_figures(QUICK_DECISION_RATE, log.frame, quick, mask=timed, **common))
    return [f for f in figures if f.rows]


def _overall(log: DecisionLog, figures: list[RateFigures], measure: Measure) -> list[MetricRow]:
    rows = []
    for figure in figures:
        indicator, mask = _indicator(log, figure.metric)
        row = overall_rate(figure.metric, log.frame, indicator, measure=measure, mask=mask)
        if row is not None:
            rows.append(row)
    return rows


def _indicator(log: DecisionLog, metric: str) -> tuple[np.ndarray, np.ndarray | None]:
    if metric == AGREEMENT_RATE:
        return (log.recommended == log.decided).astype(np.int8), None
    if metric == OVERRIDE_UP_RATE:
        return log.decided, log.recommended == 0
    if metric == OVERRIDE_DOWN_RATE:
        return 1 - log.decided, log.recommended == 1
    if metric == APPEAL_RATE:
        assert log.appealed is not None
        return log.appealed, None
    if metric == APPEAL_UPHELD_RATE:
        assert log.upheld is not None
        return (log.upheld == UPHELD).astype(np.int8), log.upheld != NO_OUTCOME
    assert metric == QUICK_DECISION_RATE and log.review_minutes is not None
    minutes = log.review_minutes
    return (np.nan_to_num(minutes, nan=np.inf) < QUICK_REVIEW_MINUTES).astype(np.int8), (
        np.isfinite(minutes)
    )


def audit_oversight(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    recommendation: str,
    decision: str,
    sensitive: Sequence[str] | str,
    appeal: str | None = None,
    appeal_upheld: str | None = None,
    reviewer: str | None = None,
    recommended_at: str | None = None,
    decided_at: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    min_group_size: float = 30,
    alpha: float = 0.05,
    confidence_level: float = 0.95,
    exclude_below_share: float | None = None,
    positive_label: Any = 1,
    source: str | None = None,
) -> OversightEvidence:
    """Measure how human reviewers used a model's recommendations, by group.

    Per group and intersection: agreement, upward and downward override rates, and with
    appeal columns the appeal and appeal-upheld rates, each with the fairness engine's
    interval, gap between groups and significance tests; the impact ratio of the
    recommendations and of the final decisions on the same people with a paired bootstrap
    interval for the change; per reviewer the override rate; and automation-bias signals.

    Parameters
    ----------
    data : DataFrame or path
        The decision log, one row per person (CSV or Parquet for a path).
    recommendation, decision : str
        Columns of the model's recommendation and of the final human decision (binary).
    sensitive : list of str or comma-separated str
        Sensitive attribute columns; with two or more, their intersection is audited too.
    appeal, appeal_upheld : str, optional
        1 when the person appealed; 1 when the appeal was upheld (empty while pending).
    reviewer : str, optional
        Who (or which team) decided each case.
    recommended_at, decided_at : str, optional
        Timestamps of the recommendation and of the decision (ISO 8601), both or neither.
    n_boot, seed, min_group_size, alpha, confidence_level, exclude_below_share
        As for :func:`govern.audits.fairness.audit_fairness`.
    positive_label : scalar, default 1
        The value of the binary columns that means yes (selected, appealed, upheld).
    source : str, optional
        The file name, for messages (default: the path's name).

    Returns
    -------
    OversightEvidence

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"model": [1, 1, 0, 0, 1, 1, 0, 0], "final": [1, 1, 0, 1, 1, 0, 0, 0],
    ...                     "sex": ["f", "f", "f", "f", "m", "m", "m", "m"]})
    >>> evidence = audit_oversight(log, recommendation="model", decision="final",
    ...                            sensitive="sex", n_boot=0, min_group_size=1)
    >>> [(r.group, r.value) for r in evidence.find("override_down_rate")]
    [('f', 0.0), ('m', 0.5)]
    """
    frame, name = _frame(data)
    names = (
        [s.strip() for s in sensitive.split(",")] if isinstance(sensitive, str) else list(sensitive)
    )
    roles = OversightRoles(
        recommendation=recommendation,
        decision=decision,
        appeal=appeal,
        appeal_upheld=appeal_upheld,
        reviewer=reviewer,
        recommended_at=recommended_at,
        decided_at=decided_at,
    )
    log = decision_log(
        frame,
        roles=roles,
        sensitive=[n for n in names if n],
        positive_label=positive_label,
        source=source or name,
    )
    measure = Measure(n_boot, seed, min_group_size, alpha, confidence_level, exclude_below_share)
    return oversight_from_log(log, measure)


def oversight_from_log(log: DecisionLog, measure: Measure) -> OversightEvidence:
    """Every oversight figure of a validated decision log (see :func:`audit_oversight`)."""
    recommended = measured(log.frame, log.recommended, sensitive=log.sensitive, measure=measure)
    assert recommended is not None  # the log has rows
    # Both stages compare each group with the same group: the one the model favoured most.
    reference = dict(recommended.reference_groups)
    recommended = measured(
        log.frame, log.recommended, sensitive=log.sensitive, measure=measure, reference=reference
    )
    decided = measured(
        log.frame, log.decided, sensitive=log.sensitive, measure=measure, reference=reference
    )
    assert recommended is not None and decided is not None
    coded = EvaluationData.from_frame(
        log.frame.assign(__govern_decided__=log.decided),
        y_pred="__govern_decided__",
        sensitive=log.sensitive,
        source=log.source,
    )
    views = _views(log, coded.levels, decided.groups)
    changes, change_tests = paired_changes(
        [coded.codes[name] for name in log.sensitive],
        [len(coded.levels[name]) for name in log.sensitive],
        log.recommended,
        log.decided,
        views,
        reference,
        PairedSettings(measure.n_boot, measure.seed, measure.confidence_level, measure.alpha),
    )
    figures = _rates(log, measure)
    overall = _overall(log, figures, measure)
    reviewers = _reviewers(log, measure)
    metrics = [row for f in figures for row in [*f.rows, *f.gaps]]
    if log.review_minutes is not None:
        metrics += median_minutes_by_group(
            coded.codes, coded.levels, log.review_minutes, minimum=measure.min_group_size
        )
    signals = _signals(log, overall, reviewers, measure)
    pending = 0
    if log.appealed is not None and log.upheld is not None:
        pending = int(np.count_nonzero((log.appealed == 1) & (log.upheld == NO_OUTCOME)))
    return OversightEvidence(
        n_rows=log.n_rows,
        roles=log.roles,
        attributes=list(decided.attributes),
        groups=list(decided.groups),
        overall=overall,
        metrics=metrics,
        stages=[
            *_stage_rows(recommended, "recommended"),
            *_stage_rows(decided, "decided"),
            *changes,
        ],
        rate_tests={f.metric: f.tests for f in figures},
        homogeneity=_homogeneity(figures, measure),
        change_tests=change_tests,
        reviewers=reviewers,
        signals=signals,
        appeals_pending=pending,
        unknown_counts=dict(decided.unknown_counts),
        settings=_settings(measure),
    )


def _reviewers(log: DecisionLog, measure: Measure) -> list[ReviewerSummary]:
    """Each reviewer's override rate (and review time), when the log names reviewers."""
    if log.reviewer is None:
        return []
    overridden = (log.recommended != log.decided).astype(np.int8)
    return reviewer_summaries(log.reviewer, overridden, log.review_minutes, measure=measure)


def _signals(
    log: DecisionLog,
    overall: list[MetricRow],
    reviewers: list[ReviewerSummary],
    measure: Measure,
) -> list[Signal]:
    """Automation-bias signals for a person to look at: nominal agreement, reviewers who never
    override, decisions taken too quickly."""
    agreement = next((row for row in overall if row.metric == AGREEMENT_RATE), None)
    found = (
        high_agreement(agreement, minimum=measure.min_group_size),
        *never_overrides(reviewers),
        quick_decisions(log.review_minutes, minimum=measure.min_group_size),
    )
    return [signal for signal in found if signal is not None]


def _homogeneity(figures: list[RateFigures], measure: Measure) -> list[HomogeneityTest]:
    """Whether each rate differs between groups beyond chance, rate by rate."""
    return [
        test
        for figure in figures
        for test in homogeneity_tests(
            figure.metric,
            figure.rows,
            minimum=measure.min_group_size,
            alpha=measure.alpha,
            seed=measure.seed,
        )
    ]


def _settings(measure: Measure) -> dict[str, Any]:
    """The settings the figures were measured with, recorded beside them."""
    return {
        "n_boot": measure.n_boot,
        "seed": measure.seed,
        "min_group_size": measure.min_group_size,
        "alpha": measure.alpha,
        "confidence_level": measure.confidence_level,
        "exclude_below_share": measure.exclude_below_share,
        "high_agreement": HIGH_AGREEMENT,
        "quick_review_minutes": QUICK_REVIEW_MINUTES,
    }
