"""``audit_fairness``: metrics, disparities, intervals and tests from one contingency table."""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.audits.fairness import reference as references
from govern.audits.fairness import stats
from govern.audits.fairness.metrics import (
    available_metrics,
    divide,
    group_metrics,
    mean_score_error,
    rate_counts,
    score_metrics,
)
from govern.audits.fairness.table import ContingencyTable, marginal
from govern.audits.fairness.view import Collected, Judging, ViewData, audit_view
from govern.audits.sources import DataSource, Roles, SourceTable
from govern.data import EvaluationData
from govern.errors import DataError
from govern.evidence.fairness import FairnessEvidence
from govern.metric_names import SCORE_LABEL_METRICS, SCORE_METRICS
from govern.results import INTERSECTION_SEPARATOR, UNKNOWN_GROUP

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
UNKNOWN_REFERENCE = references.UNKNOWN_REFERENCE
BAD_OPTION = "{name} must be {expected}; found {found!r}."

# Metrics with no closed-form interval: their intervals come from the bootstrap.
BOOTSTRAPPED = frozenset((*SCORE_METRICS, *SCORE_LABEL_METRICS)) - {"scoring_rate"}


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


@dataclass(frozen=True)
class _Replicates:
    """Bootstrap replicates of the table's counts and score sums, for the score metrics."""

    counts: np.ndarray  # (R, *table shape)
    score_sums: np.ndarray  # (R, *table shape)


def _replicate(table: ContingencyTable, options: _Options) -> _Replicates | None:
    """Replicates for the metrics that need them (score metrics), or None when none do."""
    if table.score_sums is None or options.n_boot == 0:
        return None
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
    # A resampled record carries its cell's mean score (cells are narrow score bins).
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_mean = np.where(table.counts > 0, table.score_sums / table.counts, 0.0)
    return _Replicates(counts=replicates, score_sums=replicates * cell_mean[None, ...])


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


def _interval_methods(table: ContingencyTable, options: _Options) -> dict[str, str]:
    """How each kind of figure got its interval, for the reader (docs/statistics.md)."""
    methods = {
        "rates": "Wilson score interval (Wilson 1927), Brown-Cai-DasGupta modified near 0 and 1",
        "differences": "Newcombe hybrid score interval (Newcombe 1998, method 10)",
        "ratios": "Miettinen-Nurminen score interval (Miettinen & Nurminen 1985)",
        "average_odds_difference": "MOVER sum of two Newcombe intervals (Zou & Donner 2008)",
        "against_the_overall_rate": "the same intervals against all other groups, rescaled",
        "attribute_wide": (
            "simultaneous: every pair of groups at the Bonferroni level (each group at the "
            "Sidak level above 50 groups); at least the nominal coverage"
        ),
        "count": "none (the number of records audited)",
    }
    if options.weighted:
        methods["weights"] = "Kish effective sample size of each rate's records (Kish 1965)"
    if table.score_sums is not None:
        methods["score_metrics"] = (
            f"bootstrap over the table's cells, {options.n_boot} replicates: studentised "
            "(bootstrap-t) for the mean score and its differences, percentile for the others"
            if options.n_boot
            else "none (no bootstrap replicates)"
        )
    return methods


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
    asked = references.requests(reference, [(view.name, view.labels) for view in views])
    reps = _replicate(table, options)
    names = available_metrics(
        has_y_true=table.has_y_true,
        has_score=table.bins is not None,
        in_unit_interval=table.bins is not None and table.bins.in_unit_interval,
    )
    judging = Judging(
        min_group_size=options.min_group_size,
        exclude_below_share=options.exclude_below_share,
        alpha=options.alpha,
        confidence_level=options.confidence_level,
    )
    collected = Collected()
    squares = table.weight_squares_or_estimate(options.weighted)
    for view in views:
        data = _view_data(table, squares, reps, view)
        audit_view(collected, data, names, asked[view.name], judging)
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
        references=collected.references,
        summary_coverage=collected.coverage,
        interval_methods=_interval_methods(table, options),
    )


def _view_data(
    table: ContingencyTable,
    squares: np.ndarray | None,
    reps: _Replicates | None,
    view: _View,
) -> ViewData:
    """One view's present groups: observed metrics, the counts behind its rates, and the
    bootstrap replicates of its score metrics (with those of all recorded groups pooled)."""
    k = len(table.attributes)
    counts = marginal(table.counts[None], k, view.axes)[0]
    present = np.flatnonzero(counts.sum(axis=(1, 2, 3)) > 0)
    counts = counts[present]
    labels = [view.labels[i] for i in present]
    unknown = np.array([view.unknown[i] for i in present], dtype=bool)
    sums = None
    if table.score_sums is not None:
        sums = marginal(table.score_sums[None], k, view.axes)[0][present]
    values = group_metrics(
        counts[None],
        total=np.array([table.total]),
        has_y_true=table.has_y_true,
        score_sums=None if sums is None else sums[None],
        bins=table.bins,
    )
    view_squares = None if squares is None else marginal(squares[None], k, view.axes)[0][present]
    rates = rate_counts(
        counts,
        view_squares,
        bins=table.bins,
        total=table.total,
        total_squares=None if squares is None else float(squares.sum()),
    )
    data = ViewData(
        name=view.name,
        labels=labels,
        unknown=unknown,
        values={name: value[0] for name, value in values.items()},
        rates=rates,
    )
    if sums is not None and table.bins is not None:
        _add_score_replicates(data, table, reps, view, present, counts, sums)
    return data


def _add_score_replicates(
    data: ViewData,
    table: ContingencyTable,
    reps: _Replicates | None,
    view: _View,
    present: np.ndarray,
    counts: np.ndarray,
    sums: np.ndarray,
) -> None:
    """The score metrics of all recorded groups pooled (the overall reference), observed and
    per replicate, and each group's replicates."""
    assert table.bins is not None
    recorded = ~data.unknown
    pooled = score_metrics(
        counts[recorded].sum(axis=0)[None, None],
        sums[recorded].sum(axis=0)[None, None],
        table.bins,
        has_y_true=table.has_y_true,
    )
    data.pooled_values.update({name: float(v[0, 0]) for name, v in pooled.items()})
    if reps is None:
        return
    k = len(table.attributes)
    rep_counts = marginal(reps.counts, k, view.axes)[:, present]
    rep_sums = marginal(reps.score_sums, k, view.axes)[:, present]
    per_group = score_metrics(rep_counts, rep_sums, table.bins, has_y_true=table.has_y_true)
    pooled_reps = score_metrics(
        rep_counts[:, recorded].sum(axis=1, keepdims=True),
        rep_sums[:, recorded].sum(axis=1, keepdims=True),
        table.bins,
        has_y_true=table.has_y_true,
    )
    for name in BOOTSTRAPPED & per_group.keys():
        data.replicates[name] = per_group[name]
        data.pooled_replicates[name] = pooled_reps[name][:, 0]
    # The mean score's standard errors, for its studentised (bootstrap-t) intervals; a
    # replicate's effective size scales with its total weight.
    _, effective_n = data.rates["selection_rate"].effective()
    replicate_n = effective_n * divide(rep_counts.sum(axis=(2, 3, 4)), counts.sum(axis=(1, 2, 3)))
    data.standard_errors["mean_score"] = (
        mean_score_error(counts[None], sums[None], effective_n[None])[0],
        mean_score_error(rep_counts, rep_sums, replicate_n),
    )


def _within_bootstrap_limit(n_boot: int) -> None:
    """The configured bound (limits.max_bootstrap in govern.yaml) holds for the library too,
    not only for --bootstrap and a policy's n_boot: replicates cost memory for every group."""
    from govern.limits import check_bootstrap
    from govern.settings import load_settings

    check_bootstrap(n_boot, load_settings(create_home=False).limits, where="n_boot: ")


def _check_options(
    n_boot: int, min_group_size: float, exclude_below_share: float | None, alpha: float
) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 0:
        raise DataError(
            BAD_OPTION.format(name="n_boot", expected="a whole number, 0 or more", found=n_boot)
        )
    _within_bootstrap_limit(n_boot)
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
