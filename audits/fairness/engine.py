"""``audit_fairness``: metrics, disparities, intervals and tests from one contingency table."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.audits.fairness import stats
from govern.audits.fairness.metrics import available_metrics, group_metrics
from govern.audits.fairness.table import ContingencyTable, marginal
from govern.audits.sources import DataSource, Roles, SourceTable
from govern.data import EvaluationData
from govern.errors import DataError
from govern.evidence.fairness import (
    FairnessEvidence,
    GroupStatus,
    GroupSummary,
    SelectionRateTest,
)
from govern.results import (
    ALL_GROUPS,
    INTERSECTION_SEPARATOR,
    UNKNOWN_GROUP,
    MetricRow,
)

if TYPE_CHECKING:
    import pandas as pd

# Messages a user sees (tests assert the exact text).
COLUMNS_REQUIRED = (
    "y_pred and sensitive are required when the data is a file or a DataFrame; "
    "name the decision column and at least one sensitive column."
)
COLUMNS_WITH_EVALUATION_DATA = (
    "the data is already an EvaluationData with its columns chosen; do not pass {names} again."
)
UNKNOWN_INTERSECTION_ATTRIBUTE = (
    "intersection {intersection} names {attribute!r}, which is not one of the sensitive "
    "attributes ({available}). Add it to the sensitive attributes or fix the name."
)
SHORT_INTERSECTION = (
    "intersection {intersection} needs at least two different sensitive attributes; found {found}."
)
UNKNOWN_REFERENCE = (
    "reference group {reference!r} does not occur in {where}; the groups are {groups}. "
    "Pick one of them, or omit --reference to use the group with the highest selection rate."
)
BAD_OPTION = "{name} must be {expected}; found {found!r}."

# Differences and ratios against the reference are reported for every rate-like metric.
_NOT_COMPARED = frozenset({"count", "share"})


@dataclass(frozen=True)
class _View:
    """One attribute or intersection: which table axes it keeps and its group labels."""

    name: str
    axes: tuple[int, ...]
    labels: list[str]
    unknown: list[bool]


def source_and_roles(
    data: DataSource | EvaluationData | pd.DataFrame | str | os.PathLike[str],
    columns: dict[str, Any],
    positive_label: Any,
) -> tuple[DataSource, Roles]:
    """The data source behind ``data`` and the roles of its columns.

    An :class:`EvaluationData` has its columns chosen already (passing them again is an error);
    a DataFrame, a Spark DataFrame or paths get the source of the default engine rule
    (:mod:`govern.audits.sources.choose`); any other
    :class:`~govern.audits.sources.DataSource` (DuckDB, Spark, ...) is used as it is.
    """
    from govern.audits.sources.pandas import PandasSource

    if isinstance(data, EvaluationData):
        given = [name for name, value in columns.items() if value is not None]
        if given:
            raise DataError(COLUMNS_WITH_EVALUATION_DATA.format(names=", ".join(given)))
        return PandasSource(data), Roles.of(
            y_pred=data.columns["y_pred"] or "y_pred",
            sensitive=data.sensitive_names,
            y_true=data.columns.get("y_true"),
            score=data.columns.get("score"),
            sample_weight=data.columns.get("sample_weight"),
            positive_label=data.positive_label,
        )
    if columns["y_pred"] is None or not columns["sensitive"]:
        raise DataError(COLUMNS_REQUIRED)
    roles = Roles.of(**columns, positive_label=positive_label)
    if isinstance(data, DataSource):
        return data, roles
    # A Spark DataFrame, a glob or a large file gets its engine by the default rule.
    from govern.audits.sources.choose import open_source

    return open_source(data), roles


def _views(
    table: ContingencyTable, intersections: bool | Sequence[Sequence[str]]
) -> tuple[list[_View], list[list[str]]]:
    attributes = list(table.attributes)
    combos: list[list[str]] = []
    if intersections is True:
        combos = [attributes] if len(attributes) > 1 else []
    elif intersections:
        for combo in intersections:
            names = [combo] if isinstance(combo, str) else list(combo)
            shown = INTERSECTION_SEPARATOR.join(str(name) for name in names)
            for name in names:
                if name not in attributes:
                    raise DataError(
                        UNKNOWN_INTERSECTION_ATTRIBUTE.format(
                            intersection=repr(shown),
                            attribute=name,
                            available=", ".join(attributes),
                        )
                    )
            if len(set(names)) < 2:
                raise DataError(SHORT_INTERSECTION.format(intersection=repr(shown), found=names))
            combos.append(names)
    views = []
    for index, name in enumerate(attributes):
        labels = list(table.levels[index])
        views.append(_View(name, (index,), labels, [g == UNKNOWN_GROUP for g in labels]))
    for combo in combos:
        axes = tuple(attributes.index(name) for name in combo)
        parts = list(itertools.product(*(table.levels[a] for a in axes)))
        views.append(
            _View(
                INTERSECTION_SEPARATOR.join(combo),
                axes,
                [INTERSECTION_SEPARATOR.join(p) for p in parts],
                [UNKNOWN_GROUP in p for p in parts],
            )
        )
    return views, combos


def _value(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _summary(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate, (max - min, min / max) over groups, ignoring undefined groups."""
    defined = np.isfinite(values)
    any_defined = defined.any(axis=-1)
    high = np.where(defined, values, -np.inf).max(axis=-1)
    low = np.where(defined, values, np.inf).min(axis=-1)
    high = np.where(any_defined, high, np.nan)
    low = np.where(any_defined, low, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(high > 0, low / high, np.nan)
    return high - low, ratio


class _Intervals:
    """Point values and bootstrap intervals of ``(R, ...)`` statistics."""

    def __init__(self, n_boot: int, confidence_level: float) -> None:
        self.n_boot = n_boot
        self.confidence_level = confidence_level

    def bounds(self, replicates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.n_boot == 0:
            empty = np.full(replicates.shape[1:], np.nan)
            return empty, empty
        return stats.percentile_interval(replicates, confidence_level=self.confidence_level, axis=0)


def audit_fairness(
    data: DataSource | EvaluationData | pd.DataFrame | str | os.PathLike[str],
    *,
    y_pred: str | None = None,
    sensitive: Sequence[str] | str | None = None,
    y_true: str | None = None,
    score: str | None = None,
    sample_weight: str | None = None,
    intersections: bool | Sequence[Sequence[str]] = False,
    reference: str | Mapping[str, str] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    min_group_size: float = 30,
    exclude_below_share: float | None = None,
    alpha: float = 0.05,
    confidence_level: float = 0.95,
    positive_label: Any = 1,
) -> FairnessEvidence:
    """Measure group fairness of binary decisions (and outcomes, and scores) in one pass.

    Builds one contingency table of weighted counts, then computes every per-group metric, every
    disparity against a reference group, attribute-wide summaries, percentile bootstrap intervals
    for all of them (by resampling the table's counts) and selection-rate significance tests.

    Parameters
    ----------
    data : DataSource, EvaluationData, pandas.DataFrame or path
        The records; a path is read as CSV or Parquet by its suffix (only the named columns);
        any :class:`govern.audits.sources.DataSource` (DuckDB, Spark, ...) builds the table
        itself.
    y_pred, sensitive, y_true, score, sample_weight : str, optional
        Column roles (see :meth:`govern.data.EvaluationData.from_frame`); required unless
        ``data`` is already an ``EvaluationData``.
    intersections : bool or list of list of str, default False
        ``True`` adds the intersection of all sensitive attributes; a list names each one.
    reference : str or dict, optional
        Reference group: a label (used for every attribute that has it) or a mapping attribute
        -> label. Default: the eligible group with the highest selection rate (four-fifths rule,
        LL144).
    n_boot : int, default 1000
        Bootstrap replicates; 0 skips intervals.
    seed : int, default 0
        Seed of the bootstrap; same inputs and seed give identical results.
    min_group_size : float, default 30
        Groups with fewer (weighted) records are ``insufficient_data``: reported, but kept out of
        the reference choice and the attribute-wide summaries.
    exclude_below_share : float, optional
        Groups under this share of the records (LL144 allows 0.02) are
        ``excluded_small_share``: still reported, kept out like small groups.
    alpha : float, default 0.05
        Significance level of the Holm-adjusted selection-rate tests.
    confidence_level : float, default 0.95
        Coverage of the bootstrap intervals.
    positive_label : scalar, default 1
        The value of ``y_pred``/``y_true`` that means selected / positive.

    Returns
    -------
    FairnessEvidence
        Tidy metric and disparity rows with intervals, group summaries and tests.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"hired": [1, 0, 1, 1, 0, 0], "sex": ["F", "F", "F", "M", "M", "M"]})
    >>> evidence = audit_fairness(df, y_pred="hired", sensitive=["sex"], n_boot=0,
    ...                           min_group_size=1)
    >>> [round(r.value, 3) for r in evidence.find("impact_ratio", attribute="sex")]
    [1.0, 0.5, 0.5]
    """
    _check_options(n_boot, min_group_size, exclude_below_share, alpha)
    columns = {
        "y_pred": y_pred,
        "sensitive": sensitive,
        "y_true": y_true,
        "score": score,
        "sample_weight": sample_weight,
    }
    source, roles = source_and_roles(data, columns, positive_label)
    built = source.contingency_table(roles)
    return fairness_from_table(
        built,
        intersections=intersections,
        reference=reference,
        options=_Options(
            n_boot=n_boot,
            seed=seed,
            min_group_size=min_group_size,
            exclude_below_share=exclude_below_share,
            alpha=alpha,
            confidence_level=confidence_level,
            positive_label=roles.positive_label,
            weighted=roles.sample_weight is not None,
        ),
    )


@dataclass(frozen=True)
class _Options:
    """How an audit measures (the policy's settings, or audit_fairness's arguments)."""

    n_boot: int
    seed: int
    min_group_size: float
    exclude_below_share: float | None
    alpha: float
    confidence_level: float
    positive_label: Any
    weighted: bool


@dataclass
class _Collected:
    """What the per-view steps add up, before the evidence is built once."""

    groups: list[GroupSummary] = field(default_factory=list)
    metrics: list[MetricRow] = field(default_factory=list)
    disparities: list[MetricRow] = field(default_factory=list)
    tests: list[SelectionRateTest] = field(default_factory=list)
    reference_groups: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Replicates:
    """The observed table (one "replicate") and its bootstrap replicates, with score sums."""

    point: np.ndarray
    replicates: np.ndarray
    point_scores: np.ndarray | None
    rep_scores: np.ndarray | None
    totals_point: np.ndarray
    totals_rep: np.ndarray


def _replicate(table: ContingencyTable, options: _Options) -> _Replicates:
    n_boot = options.n_boot
    replicates = stats.bootstrap_counts(
        table.counts.ravel(),
        n_boot=n_boot,
        seed=options.seed,
        # Weighted tables: redraw records (unweighted counts per cell), each carrying its cell's
        # mean weight; without record counts, draw n_rows records in proportion to the weights
        # (too narrow when weights differ between groups; docs/statistics.md).
        n_records=table.n_rows if options.weighted and table.record_counts is None else None,
        record_counts=None if table.record_counts is None else table.record_counts.ravel(),
    ).reshape(n_boot, *table.counts.shape)
    point_scores = rep_scores = None
    if table.score_sums is not None:
        point_scores = table.score_sums[None, ...]
        # A resampled record carries its cell's mean score (cells are narrow score bins).
        with np.errstate(divide="ignore", invalid="ignore"):
            cell_mean = np.where(table.counts > 0, table.score_sums / table.counts, 0.0)
        rep_scores = replicates * cell_mean[None, ...]
    return _Replicates(
        point=table.counts[None, ...],
        replicates=replicates,
        point_scores=point_scores,
        rep_scores=rep_scores,
        totals_point=np.array([table.total]),
        totals_rep=replicates.reshape(n_boot, table.counts.size).sum(axis=1),
    )


def _settings(table: ContingencyTable, options: _Options) -> dict[str, float | int | str | None]:
    return {
        "n_boot": options.n_boot,
        "seed": options.seed,
        "min_group_size": options.min_group_size,
        "exclude_below_share": options.exclude_below_share,
        "alpha": options.alpha,
        "confidence_level": options.confidence_level,
        "positive_label": str(options.positive_label),
        "score_median": None if table.bins is None else table.bins.median,
        "score_bins_exact": None if table.bins is None else str(table.bins.exact).lower(),
        "sum_of_weights": table.total,
    }


def fairness_from_table(
    built: SourceTable,
    *,
    intersections: bool | Sequence[Sequence[str]],
    reference: str | Mapping[str, str] | None,
    options: _Options,
) -> FairnessEvidence:
    """Every metric, disparity, interval and test from a data source's contingency table."""
    table = built.table
    views, combos = _views(table, intersections)
    references = _reference_map(reference, views)
    reps = _replicate(table, options)
    names = available_metrics(
        has_y_true=table.has_y_true,
        has_score=table.bins is not None,
        in_unit_interval=table.bins is not None and table.bins.in_unit_interval,
    )
    intervals = _Intervals(options.n_boot, options.confidence_level)
    collected = _Collected()
    for view in views:
        labels, unknown, mp, mr = _view_metrics(table, reps, view)
        _audit_view(
            collected,
            view.name,
            labels,
            unknown,
            mp,
            mr,
            names,
            references.get(view.name),
            intervals,
            min_group_size=options.min_group_size,
            exclude_below_share=options.exclude_below_share,
            alpha=options.alpha,
        )
    return FairnessEvidence(
        n_rows=table.n_rows,
        engine=built.engine,
        attributes=[view.name for view in views],
        intersections=combos,
        unknown_counts=dict(built.unknown_counts),
        settings=_settings(table, options),
        groups=collected.groups,
        metrics=collected.metrics,
        disparities=collected.disparities,
        tests=collected.tests,
        reference_groups=collected.reference_groups,
    )


def _view_metrics(
    table: ContingencyTable, reps: _Replicates, view: _View
) -> tuple[list[str], np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One view's present groups and their metrics, observed and per replicate."""
    k = len(table.attributes)
    counts_p = marginal(reps.point, k, view.axes)
    counts_r = marginal(reps.replicates, k, view.axes)
    present = np.flatnonzero(counts_p[0].sum(axis=(1, 2, 3)) > 0)
    labels = [view.labels[i] for i in present]
    unknown = np.array([view.unknown[i] for i in present], dtype=bool)
    sums_p = sums_r = None
    if reps.point_scores is not None and reps.rep_scores is not None:
        sums_p = marginal(reps.point_scores, k, view.axes)[:, present]
        sums_r = marginal(reps.rep_scores, k, view.axes)[:, present]
    mp = group_metrics(
        counts_p[:, present],
        total=reps.totals_point,
        has_y_true=table.has_y_true,
        score_sums=sums_p,
        bins=table.bins,
    )
    mr = group_metrics(
        counts_r[:, present],
        total=reps.totals_rep,
        has_y_true=table.has_y_true,
        score_sums=sums_r,
        bins=table.bins,
    )
    return labels, unknown, mp, mr


def _check_options(
    n_boot: int, min_group_size: float, exclude_below_share: float | None, alpha: float
) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 0:
        raise DataError(
            BAD_OPTION.format(name="n_boot", expected="a whole number, 0 or more", found=n_boot)
        )
    if not np.isfinite(min_group_size) or min_group_size < 0:
        raise DataError(
            BAD_OPTION.format(name="min_group_size", expected="0 or more", found=min_group_size)
        )
    if exclude_below_share is not None and not 0.0 <= exclude_below_share < 1.0:
        raise DataError(
            BAD_OPTION.format(
                name="exclude_below_share", expected="a share in [0, 1)", found=exclude_below_share
            )
        )
    if not 0.0 < alpha < 1.0:
        raise DataError(BAD_OPTION.format(name="alpha", expected="between 0 and 1", found=alpha))


def _reference_map(reference: str | Mapping[str, str] | None, views: list[_View]) -> dict[str, str]:
    if reference is None:
        return {}
    if isinstance(reference, str):
        chosen = {view.name: reference for view in views if reference in view.labels}
        if not chosen:
            groups = sorted({label for view in views[:1] for label in view.labels})
            raise DataError(
                UNKNOWN_REFERENCE.format(
                    reference=reference,
                    where="any sensitive attribute",
                    groups=", ".join(groups) + (" ..." if len(views) > 1 else ""),
                )
            )
        return chosen
    by_name = {view.name: view for view in views}
    for attribute, label in reference.items():
        view = by_name.get(attribute)
        if view is None or label not in view.labels:
            raise DataError(
                UNKNOWN_REFERENCE.format(
                    reference=label,
                    where=repr(attribute),
                    groups=", ".join(view.labels) if view else "(no such attribute)",
                )
            )
    return dict(reference)


def _audit_view(
    evidence: _Collected,
    attribute: str,
    labels: list[str],
    unknown: np.ndarray,
    mp: dict[str, np.ndarray],
    mr: dict[str, np.ndarray],
    names: list[str],
    reference: str | None,
    intervals: _Intervals,
    *,
    min_group_size: float,
    exclude_below_share: float | None,
    alpha: float,
) -> None:
    n = mp["count"][0]
    share = mp["share"][0]
    status: list[GroupStatus] = []
    for i in range(len(labels)):
        if exclude_below_share is not None and share[i] < exclude_below_share:
            status.append("excluded_small_share")
        elif n[i] < min_group_size:
            status.append("insufficient_data")
        else:
            status.append("ok")
    eligible = np.array([s == "ok" for s in status], dtype=bool) & ~unknown
    comparable = np.flatnonzero(~unknown)

    selection = mp["selection_rate"][0]

    def highest(metric: np.ndarray) -> int | None:
        # Ties go to the first label in sorted order, so the choice is deterministic.
        pool = np.flatnonzero(eligible) if eligible.any() else comparable
        pool = pool[np.isfinite(metric[pool])]
        return int(pool[np.argmax(metric[pool])]) if pool.size else None

    top = highest(selection)
    ref = labels.index(reference) if reference is not None else top
    for i, label in enumerate(labels):
        evidence.groups.append(
            GroupSummary(
                attribute=attribute,
                group=label,
                n=round(float(n[i])),
                share=float(share[i]),
                status=status[i],
                is_reference=i == ref,
            )
        )
    if ref is not None:
        evidence.reference_groups[attribute] = labels[ref]

    # Per-group metrics, each with its interval.
    for metric in names:
        low, high = intervals.bounds(mr[metric])
        for i, label in enumerate(labels):
            evidence.metrics.append(
                MetricRow(
                    attribute=attribute,
                    group=label,
                    n=round(float(n[i])),
                    metric=metric,
                    value=_value(mp[metric][0, i]),
                    ci_low=_value(low[i]),
                    ci_high=_value(high[i]),
                )
            )
    if ref is None:
        return

    # Each group against the reference: ratio and difference of every rate; the unknown group
    # is not compared (LL144 leaves the unknown category out of impact ratios).
    def against(values: np.ndarray, base: int, kind: str) -> np.ndarray:
        anchor = values[:, base : base + 1]
        if kind == "difference":
            return values - anchor
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(anchor > 0, values / anchor, np.nan)

    def emit(metric: str, point: np.ndarray, reps: np.ndarray) -> None:
        low, high = intervals.bounds(reps)
        for i in comparable:
            evidence.disparities.append(
                MetricRow(
                    attribute=attribute,
                    group=labels[i],
                    n=round(float(n[i])),
                    metric=metric,
                    value=_value(point[0, i]),
                    ci_low=_value(low[i]),
                    ci_high=_value(high[i]),
                )
            )

    compared = [m for m in names if m not in ("count", "share")]
    for metric in compared:
        for kind in ("ratio", "difference"):
            emit(
                f"{metric}_{kind}",
                against(mp[metric], ref, kind),
                against(mr[metric], ref, kind),
            )
    # Impact ratio: always against the highest selection rate (29 CFR 1607.4(D); LL144), held
    # to the same group in every replicate so the interval is that of one ratio.
    if top is not None:
        emit(
            "impact_ratio",
            against(mp["selection_rate"], top, "ratio"),
            against(mr["selection_rate"], top, "ratio"),
        )
    if "scoring_rate" in mp:
        top_scoring = highest(mp["scoring_rate"][0])
        if top_scoring is not None:
            emit(
                "scoring_impact_ratio",
                against(mp["scoring_rate"], top_scoring, "ratio"),
                against(mr["scoring_rate"], top_scoring, "ratio"),
            )
    if "true_positive_rate" in mp:
        # aif360's average_odds_difference: mean of the FPR and TPR differences.
        emit(
            "average_odds_difference",
            0.5
            * (
                against(mp["false_positive_rate"], ref, "difference")
                + against(mp["true_positive_rate"], ref, "difference")
            ),
            0.5
            * (
                against(mr["false_positive_rate"], ref, "difference")
                + against(mr["true_positive_rate"], ref, "difference")
            ),
        )

    _summaries(evidence, attribute, n, eligible, mp, mr, compared, intervals)
    _tests(evidence, attribute, labels, n, selection, comparable, ref, alpha)


def _summaries(
    evidence: _Collected,
    attribute: str,
    n: np.ndarray,
    eligible: np.ndarray,
    mp: dict[str, np.ndarray],
    mr: dict[str, np.ndarray],
    compared: list[str],
    intervals: _Intervals,
) -> None:
    """Attribute-wide rows (group '*') over eligible groups, as fairlearn defines them."""
    members = np.flatnonzero(eligible)
    if members.size < 2:
        return
    total_n = round(float(n[members].sum()))
    point: dict[str, np.ndarray] = {}
    reps: dict[str, np.ndarray] = {}
    for metric in compared:
        # MetricFrame.difference() is max - min, .ratio() is min / max, between groups.
        for source, target in ((mp, point), (mr, reps)):
            difference, ratio = _summary(source[metric][:, members])
            target[f"{metric}_difference"] = difference
            target[f"{metric}_ratio"] = ratio
    for source, target in ((mp, point), (mr, reps)):
        ratios = source["selection_rate"][:, members]
        _, target["impact_ratio"] = _summary(ratios)
        if "scoring_rate" in source:
            _, target["scoring_impact_ratio"] = _summary(source["scoring_rate"][:, members])
        target["demographic_parity_difference"] = target["selection_rate_difference"]
        target["demographic_parity_ratio"] = target["selection_rate_ratio"]
        if "true_positive_rate" in source:
            # fairlearn: equalized odds is the worse of the TPR and FPR disparities; equal
            # opportunity is the TPR disparity alone (Hardt, Price & Srebro 2016).
            target["equalized_odds_difference"] = np.fmax(
                target["true_positive_rate_difference"], target["false_positive_rate_difference"]
            )
            target["equalized_odds_ratio"] = np.fmin(
                target["true_positive_rate_ratio"], target["false_positive_rate_ratio"]
            )
            target["equal_opportunity_difference"] = target["true_positive_rate_difference"]
            target["equal_opportunity_ratio"] = target["true_positive_rate_ratio"]
    for metric, values in point.items():
        low, high = intervals.bounds(reps[metric][:, None])
        evidence.disparities.append(
            MetricRow(
                attribute=attribute,
                group=ALL_GROUPS,
                n=total_n,
                metric=metric,
                value=_value(values[0]),
                ci_low=_value(low[0]),
                ci_high=_value(high[0]),
            )
        )


def _tests(
    evidence: _Collected,
    attribute: str,
    labels: list[str],
    n: np.ndarray,
    selection: np.ndarray,
    comparable: np.ndarray,
    ref: int,
    alpha: float,
) -> None:
    """Selection-rate significance and practical figures of every group against the reference."""
    n_ref = float(n[ref])
    selected_ref = float(selection[ref] * n_ref)
    rate_ref = float(selection[ref])
    others = np.array([i for i in comparable if i != ref], dtype=np.intp)
    if others.size == 0:
        return
    n_groups = n[others].astype(float)
    selected = selection[others] * n_groups
    tests, statistics, p_values = stats.selection_rate_tests(
        n_group=n_groups,
        selected_group=np.minimum(selected, n_groups),
        n_reference=n_ref,
        selected_reference=min(selected_ref, n_ref),
    )
    adjusted = stats.holm_adjust([float(p) for p in p_values])
    needed = stats.records_needed(reference_rate=rate_ref, alpha=alpha)
    for position, i in enumerate(others):
        n_group, chosen = float(n_groups[position]), float(selected[position])
        statistic = float(statistics[position])
        evidence.tests.append(
            SelectionRateTest(
                attribute=attribute,
                group=labels[i],
                reference=labels[ref],
                n=round(n_group),
                selected=chosen,
                reference_n=round(n_ref),
                reference_selected=selected_ref,
                impact_ratio=_value(selection[i] / rate_ref) if rate_ref > 0 else None,
                test=tests[position],
                statistic=statistic if math.isfinite(statistic) else None,
                p_value=float(p_values[position]),
                p_value_adjusted=adjusted[position],
                significant=adjusted[position] < alpha,
                shortfall=stats.shortfall(
                    n_group=n_group, selected_group=chosen, reference_rate=rate_ref
                ),
                flip_flop=stats.is_flip_flop(
                    n_group=n_group,
                    selected_group=chosen,
                    n_reference=n_ref,
                    selected_reference=selected_ref,
                ),
                records_needed=needed,
            )
        )
