"""Everything measured for one view (an attribute or an intersection) of the table.

Steps, each a short function: the groups' statuses and the reference (``reference.choose``);
each group's metrics with their intervals; each group against the reference; the
attribute-wide summaries and the groups they cover; the selection-rate tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from govern.audits.fairness import reference as references
from govern.audits.fairness import stats
from govern.audits.fairness.measures import (
    Base,
    Kind,
    Measure,
    average_odds_interval,
    compare,
    group_interval,
    spread,
)
from govern.audits.fairness.metrics import RateCounts
from govern.evidence.fairness import (
    GroupStatus,
    GroupSummary,
    ReferenceChoice,
    SelectionRateTest,
    SummaryCoverage,
)
from govern.results import ALL_GROUPS, MetricRow

# Groups are described by their count (no interval: it is what was audited, not an estimate)
# and share; every other metric is compared across groups.
NOT_COMPARED = frozenset({"count", "share"})


@dataclass
class Collected:
    """What the per-view steps add up, before the evidence is built once."""

    groups: list[GroupSummary] = field(default_factory=list)
    metrics: list[MetricRow] = field(default_factory=list)
    disparities: list[MetricRow] = field(default_factory=list)
    tests: list[SelectionRateTest] = field(default_factory=list)
    reference_groups: dict[str, str] = field(default_factory=dict)
    references: list[ReferenceChoice] = field(default_factory=list)
    coverage: list[SummaryCoverage] = field(default_factory=list)


@dataclass(frozen=True)
class ViewData:
    """One view's present groups and what their metrics are computed from."""

    name: str
    labels: list[str]
    unknown: np.ndarray
    values: dict[str, np.ndarray]  # observed metric per group, (G,)
    rates: dict[str, RateCounts]
    replicates: dict[str, np.ndarray] = field(default_factory=dict)  # (R, G), score metrics
    pooled_values: dict[str, float] = field(default_factory=dict)
    pooled_replicates: dict[str, np.ndarray] = field(default_factory=dict)
    # Standard errors, observed (G,) and per replicate (R, G), of metrics with a studentised
    # bootstrap interval (the mean score).
    standard_errors: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def stacked(self, names: list[str]) -> Measure:
        """The rates ``names`` as one ``(M, G)`` measure, each interval computed at once."""
        return Measure(
            "rates",
            np.stack([self.values[name] for name in names]),
            RateCounts.stack([self.rates[name] for name in names]),
        )

    def measure(self, name: str) -> Measure:
        errors = self.standard_errors.get(name)
        return Measure(
            name,
            self.values[name],
            self.rates.get(name),
            self.replicates.get(name),
            self.pooled_values.get(name, float("nan")),
            self.pooled_replicates.get(name),
            standard_error=None if errors is None else errors[0],
            replicate_standard_error=None if errors is None else errors[1],
        )


@dataclass(frozen=True)
class Judging:
    """The settings that decide which groups qualify, and the intervals' level."""

    min_group_size: float
    exclude_below_share: float | None
    alpha: float
    confidence_level: float


def _value(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


class _Rows:
    """Builds the tidy rows of one view."""

    def __init__(self, attribute: str, labels: list[str], n: np.ndarray) -> None:
        self.attribute, self.labels = attribute, labels
        self.n = [round(float(v)) for v in n]

    def per_group(
        self, metric: str, value: np.ndarray, low: np.ndarray, high: np.ndarray, which: np.ndarray
    ) -> list[MetricRow]:
        return [
            MetricRow(
                attribute=self.attribute,
                group=self.labels[i],
                n=self.n[i],
                metric=metric,
                value=_value(value[i]),
                ci_low=_value(low[i]) if math.isfinite(value[i]) else None,
                ci_high=_value(high[i]) if math.isfinite(value[i]) else None,
            )
            for i in which
        ]

    def summary(
        self, metric: str, n: int, value: float, interval: tuple[float, float]
    ) -> MetricRow:
        defined = math.isfinite(value)
        return MetricRow(
            attribute=self.attribute,
            group=ALL_GROUPS,
            n=n,
            metric=metric,
            value=_value(value),
            ci_low=_value(float(interval[0])) if defined else None,
            ci_high=_value(float(interval[1])) if defined else None,
        )


def _statuses(
    n: np.ndarray, share: np.ndarray, unknown: np.ndarray, judging: Judging
) -> tuple[list[GroupStatus], np.ndarray]:
    status: list[GroupStatus] = []
    for i in range(n.size):
        if judging.exclude_below_share is not None and share[i] < judging.exclude_below_share:
            status.append("excluded_small_share")
        elif n[i] < judging.min_group_size:
            status.append("insufficient_data")
        else:
            status.append("ok")
    qualifying = np.array([s == "ok" for s in status], dtype=bool) & ~unknown
    return status, qualifying


def audit_view(
    collected: Collected,
    data: ViewData,
    names: list[str],
    request: references.Request,
    judging: Judging,
) -> None:
    """Add one view's groups, rows, reference choice, summaries and tests to ``collected``."""
    n, share = data.values["count"], data.values["share"]
    status, qualifying = _statuses(n, share, data.unknown, judging)
    comparable = np.flatnonzero(~data.unknown)
    chosen = references.choose(
        data.name,
        data.labels,
        request,
        qualifying=qualifying,
        selection=data.values["selection_rate"],
        rule_words=references.qualifying_rule(judging.min_group_size, judging.exclude_below_share),
    )
    collected.references.append(chosen.choice)
    if chosen.reference is not None:
        collected.reference_groups[data.name] = data.labels[chosen.reference]
    for i, label in enumerate(data.labels):
        collected.groups.append(
            GroupSummary(
                attribute=data.name,
                group=label,
                n=round(float(n[i])),
                share=float(share[i]),
                status=status[i],
                is_reference=i == chosen.reference,
            )
        )
    rows = _Rows(data.name, data.labels, n)
    level = judging.confidence_level
    everyone = np.arange(n.size)
    for metric in names:
        if metric == "count":
            collected.metrics.extend(
                rows.per_group(
                    metric, n, np.full(n.size, np.nan), np.full(n.size, np.nan), everyone
                )
            )
            continue
        low, high = group_interval(data.measure(metric), level)
        collected.metrics.extend(rows.per_group(metric, data.values[metric], low, high, everyone))
    if comparable.size == 0:
        return
    compared = [m for m in names if m not in NOT_COMPARED]
    _comparisons(collected, data, rows, compared, chosen, qualifying, level)
    _summaries(collected, data, rows, compared, qualifying, level)
    _tests(collected, data, chosen.reference, comparable, judging.alpha)


def _highest(values: np.ndarray, qualifying: np.ndarray) -> int | None:
    """The qualifying group with the highest value; ties go to the first label."""
    pool = np.flatnonzero(qualifying & np.isfinite(values))
    return int(pool[np.argmax(values[pool])]) if pool.size else None


def _comparisons(
    collected: Collected,
    data: ViewData,
    rows: _Rows,
    compared: list[str],
    chosen: references.Chosen,
    qualifying: np.ndarray,
    level: float,
) -> None:
    """Each recorded group against the reference (the unknown group is not compared: LL144
    leaves the unknown category out of impact ratios)."""
    comparable = np.flatnonzero(~data.unknown)
    base = Base(chosen.reference, comparable)

    def emit(metric: str, value: np.ndarray, interval: tuple[np.ndarray, np.ndarray]) -> None:
        collected.disparities.extend(rows.per_group(metric, value, *interval, comparable))

    rates = [m for m in compared if m in data.rates]
    stacked = data.stacked(rates) if rates else None
    kinds: tuple[Kind, Kind] = ("ratio", "difference")
    results = {kind: compare(stacked, base, kind, level) for kind in kinds if stacked is not None}
    for metric in compared:
        for kind in kinds:
            if metric in data.rates:
                row = rates.index(metric)
                value, (low, high) = results[kind]
                emit(f"{metric}_{kind}", value[row], (low[row], high[row]))
            else:
                emit(f"{metric}_{kind}", *compare(data.measure(metric), base, kind, level))
    # Impact ratios divide by the highest rate among qualifying groups (29 CFR 1607.4(D);
    # 6 RCNY 5-301), held to that group so the interval is that of one ratio; with no
    # qualifying group, by the overall rate.
    highest = Base(chosen.highest, comparable)
    emit("impact_ratio", *compare(data.measure("selection_rate"), highest, "ratio", level))
    if "scoring_rate" in data.values:
        top = Base(_highest(data.values["scoring_rate"], qualifying), comparable)
        emit("scoring_impact_ratio", *compare(data.measure("scoring_rate"), top, "ratio", level))
    if "true_positive_rate" in data.values:
        fpr, tpr = data.measure("false_positive_rate"), data.measure("true_positive_rate")
        emit("average_odds_difference", *average_odds_interval(fpr, tpr, base, level))


# fairlearn's attribute-wide metrics: name -> (rate, kind); equalized odds takes the worse of
# the true- and false-positive rates (Hardt, Price & Srebro 2016).
FAIRLEARN_SUMMARIES: dict[str, tuple[tuple[str, ...], Kind]] = {
    "demographic_parity_difference": (("selection_rate",), "difference"),
    "demographic_parity_ratio": (("selection_rate",), "ratio"),
    "equalized_odds_difference": (("true_positive_rate", "false_positive_rate"), "difference"),
    "equalized_odds_ratio": (("true_positive_rate", "false_positive_rate"), "ratio"),
    "equal_opportunity_difference": (("true_positive_rate",), "difference"),
    "equal_opportunity_ratio": (("true_positive_rate",), "ratio"),
}


Spread = tuple[float, tuple[float, float]]


def _spreads(
    data: ViewData, names: list[str], members: np.ndarray, kind: Kind, levels: np.ndarray
) -> list[Spread]:
    """Each named metric's spread over ``members`` with its interval (``levels``: one per
    name), in the order of ``names``; the rates are stacked into one computation."""
    out: list[Spread] = [(float("nan"), (float("nan"), float("nan")))] * len(names)
    rates = [i for i, name in enumerate(names) if name in data.rates]
    if rates:
        stacked = data.stacked([names[i] for i in rates])
        points, (lows, highs) = spread(stacked, members, kind, levels[rates])
        for k, i in enumerate(rates):
            out[i] = (float(points[k]), (float(lows[k]), float(highs[k])))
    for i, name in enumerate(names):
        if name not in data.rates:
            point, (low, high) = spread(data.measure(name), members, kind, float(levels[i]))
            out[i] = (float(point), (float(low), float(high)))
    return out


def _worse(parts: list[Spread], kind: Kind) -> Spread:
    """The larger gap (or smaller ratio) of several, with the worse of the lower and of the
    upper limits: the worse of two values lies between them."""
    worse = max if kind == "difference" else min

    def pick(values: list[float]) -> float:
        defined = [v for v in values if np.isfinite(v)]
        return worse(defined) if defined else float("nan")

    return (
        pick([p for p, _ in parts]),
        (pick([lo for _, (lo, _) in parts]), pick([hi for _, (_, hi) in parts])),
    )


def _fairlearn_point(values: np.ndarray, kind: Kind) -> float:
    """fairlearn's ``difference()`` or ``ratio()`` of one rate over groups whose undefined
    rates (0/0) already count as 0, as scikit-learn's confusion matrix counts them."""
    high, low = float(values.max()), float(values.min())
    if kind == "difference":
        return high - low
    return low / high if high > 0 else float("nan")


def _as_fairlearn_combines(parts: list[Spread], kind: Kind) -> Spread:
    """The worse of several rates' spreads as fairlearn takes it: Python's ``max`` (or
    ``min``) over them in order, so an undefined first part makes the result undefined and an
    undefined later part is passed over. The interval is the worse of the parts' limits (the
    worse of two values lies between them), and none when a part has none."""
    if not np.isfinite(parts[0][0]):
        return float("nan"), (float("nan"), float("nan"))
    defined = [part for part in parts if np.isfinite(part[0])]
    point, _ = _worse(defined, kind)
    limits = [limit for _, interval in parts for limit in interval]
    if not all(np.isfinite(limit) for limit in limits):
        return point, (float("nan"), float("nan"))
    return point, _worse(parts, kind)[1]


def _fairlearn_summaries(
    data: ViewData, recorded: np.ndarray, level: float
) -> tuple[dict[str, Spread], dict[str, list[str]]]:
    """fairlearn's attribute-wide metrics over every recorded group, and the groups each one
    counts as 0 because their rate is undefined (0/0: no positives, or no negatives).

    The points are fairlearn's, conventional zeros included, so that a row named after its
    metric equals it. A conventional zero is not a measurement: a spread that includes one has
    no interval (and the policy's metric check does not judge it). Equalized odds is the worse
    of two rates' spreads, each interval at half the error rate (Bonferroni), so that the
    combination keeps the level."""
    out: dict[str, Spread] = {}
    zeros: dict[str, list[str]] = {}
    kinds: tuple[Kind, Kind] = ("difference", "ratio")
    for kind in kinds:
        requests = [
            (name, rates)
            for name, (rates, of_kind) in FAIRLEARN_SUMMARIES.items()
            if of_kind == kind and all(rate in data.values for rate in rates)
        ]
        names = [rate for _, rates in requests for rate in rates]
        if not names:
            continue
        levels = np.array(
            [1.0 - (1.0 - level) / len(rates) for _, rates in requests for _ in rates]
        )
        results = _spreads(data, names, recorded, kind, levels)
        start = 0
        for name, rates in requests:
            parts: list[Spread] = []
            undefined: list[str] = []
            for rate, (_, interval) in zip(rates, results[start : start + len(rates)], strict=True):
                values = data.values[rate][recorded]
                missing = ~np.isfinite(values)
                undefined += [data.labels[i] for i in recorded[missing]]
                point = _fairlearn_point(np.where(missing, 0.0, values), kind)
                parts.append((point, (float("nan"), float("nan")) if missing.any() else interval))
            out[name] = _as_fairlearn_combines(parts, kind)
            if undefined:
                zeros[name] = list(dict.fromkeys(undefined))
            start += len(rates)
    return out, zeros


def _summaries(
    collected: Collected,
    data: ViewData,
    rows: _Rows,
    compared: list[str],
    qualifying: np.ndarray,
    level: float,
) -> None:
    """Attribute-wide rows (group '*'): each rate's largest gap and smallest ratio over the
    groups large enough to be judged, and fairlearn's metrics over every recorded group (so
    that a row named after fairlearn's metric equals it). Reported when at least two groups
    can be judged."""
    judged = np.flatnonzero(qualifying)
    if judged.size < 2:
        return
    recorded = np.flatnonzero(~data.unknown)
    counts = data.values["count"]
    judged_n, recorded_n = round(float(counts[judged].sum())), round(float(counts[recorded].sum()))
    levels = np.full(len(compared), level)
    kinds: tuple[Kind, Kind] = ("difference", "ratio")
    by_kind = {
        kind: dict(zip(compared, _spreads(data, compared, judged, kind, levels), strict=True))
        for kind in kinds
    }
    for metric in compared:
        for kind in kinds:
            point, interval = by_kind[kind][metric]
            collected.disparities.append(
                rows.summary(f"{metric}_{kind}", judged_n, point, interval)
            )
    # The lowest impact ratio among judged groups is the smallest ratio of their rates.
    lowest = {"impact_ratio": "selection_rate", "scoring_impact_ratio": "scoring_rate"}
    for name, rate in lowest.items():
        if rate in by_kind["ratio"]:
            point, interval = by_kind["ratio"][rate]
            collected.disparities.append(rows.summary(name, judged_n, point, interval))
    fairlearn, counted_as_zero = _fairlearn_summaries(data, recorded, level)
    for name, (point, interval) in fairlearn.items():
        collected.disparities.append(rows.summary(name, recorded_n, point, interval))
    collected.coverage.append(
        SummaryCoverage(
            attribute=data.name,
            fairlearn_groups=[data.labels[i] for i in recorded],
            judged_groups=[data.labels[i] for i in judged],
            left_out=[data.labels[i] for i in recorded if not qualifying[i]],
            counted_as_zero=counted_as_zero,
        )
    )


def _tests(
    collected: Collected,
    data: ViewData,
    reference: int | None,
    comparable: np.ndarray,
    alpha: float,
) -> None:
    """Selection-rate significance and practical figures of every group against the reference
    group, or, with the overall rate as the reference, against all the other groups."""
    n = data.values["count"]
    selected = data.values["selection_rate"] * n
    others = np.array([i for i in comparable if i != reference], dtype=np.intp)
    if others.size == 0:
        return
    n_group, chosen = n[others].astype(float), np.minimum(selected[others], n[others])
    if reference is not None:
        n_ref = np.full(others.size, float(n[reference]))
        selected_ref = np.full(others.size, min(float(selected[reference]), float(n[reference])))
        rate_ref = float(data.values["selection_rate"][reference])
        label = data.labels[reference]
    else:
        n_all, selected_all = float(n[comparable].sum()), float(selected[comparable].sum())
        n_ref = n_all - n_group
        selected_ref = np.clip(selected_all - chosen, 0.0, n_ref)
        rate_ref = selected_all / n_all if n_all > 0 else float("nan")
        label = ALL_GROUPS
    tests, statistics, p_values = stats.selection_rate_tests(
        n_group=n_group, selected_group=chosen, n_reference=n_ref, selected_reference=selected_ref
    )
    adjusted = stats.holm_adjust([float(p) for p in p_values])
    needed = stats.records_needed(reference_rate=rate_ref, alpha=alpha)
    for k, i in enumerate(others):
        statistic = float(statistics[k])
        flip = stats.is_flip_flop(
            n_group=float(n_group[k]),
            selected_group=float(chosen[k]),
            n_reference=float(n_ref[k]) + (float(n_group[k]) if reference is None else 0.0),
            selected_reference=float(selected_ref[k])
            + (float(chosen[k]) if reference is None else 0.0),
            reference_includes_group=reference is None,
        )
        collected.tests.append(
            SelectionRateTest(
                attribute=data.name,
                group=data.labels[i],
                reference=label,
                n=round(float(n_group[k])),
                selected=float(chosen[k]),
                reference_n=round(float(n_ref[k])),
                reference_selected=float(selected_ref[k]),
                impact_ratio=_value(chosen[k] / n_group[k] / rate_ref) if rate_ref > 0 else None,
                test=tests[k],
                statistic=statistic if math.isfinite(statistic) else None,
                p_value=float(p_values[k]),
                p_value_adjusted=adjusted[k],
                significant=adjusted[k] < alpha,
                shortfall=stats.shortfall(
                    n_group=float(n_group[k]),
                    selected_group=float(chosen[k]),
                    reference_rate=rate_ref,
                ),
                flip_flop=flip,
                records_needed=needed,
            )
        )
