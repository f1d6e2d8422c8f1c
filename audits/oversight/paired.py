"""Does human review narrow or widen the disparity? The paired change in the impact ratio.

The model's recommendations and the final decisions are about the same people, so the two
impact ratios are not independent: a person the model recommended and the reviewer kept counts
in both. The change is measured on one table of people (group x recommended x decided) and its
interval comes from resampling people, each carrying both of their outcomes (the paired, or
case-resampling, bootstrap: Efron & Tibshirani 1993, ch. 6; on a table of counts this is a
multinomial draw of the same total over the cells).

Each group's ratio is its selection rate over the reference group's, the reference being the
group with the highest rate among the model's recommendations (of the groups large enough to
judge), held fixed in both stages and in every replicate: so a change says how review moved the
group against the same yardstick. The attribute-wide row (group ``*``) is the change in the
lowest impact ratio of each stage (each stage's own highest group, as 29 CFR 1607.4(D) and the
fairness engine's summary define it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govern.audits.fairness.stats import holm_adjust
from govern.evidence.oversight import IMPACT_RATIO_CHANGE, ChangeTest
from govern.results import ALL_GROUPS, MetricRow


@dataclass(frozen=True)
class View:
    """One attribute or intersection: its name, the table axes it keeps and its labels."""

    name: str
    axes: tuple[int, ...]
    labels: list[str]
    comparable: np.ndarray  # bool per label: not the unknown group
    eligible: np.ndarray  # bool per label: large enough to judge (the engine's status "ok")


@dataclass(frozen=True)
class PairedSettings:
    n_boot: int
    seed: int
    confidence_level: float
    alpha: float


def _cells(
    codes: list[np.ndarray], sizes: list[int], recommended: np.ndarray, decided: np.ndarray
) -> np.ndarray:
    shape = (*sizes, 2, 2)
    flat = np.ravel_multi_index(
        (*codes, recommended.astype(np.intp), decided.astype(np.intp)), shape
    )
    return np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape).astype(float)


def _replicates(table: np.ndarray, settings: PairedSettings) -> np.ndarray:
    """The observed table first, then ``n_boot`` multinomial redraws of its people."""
    total = round(float(table.sum()))
    if settings.n_boot == 0:
        return table[None, ...]
    rng = np.random.default_rng(settings.seed)
    draws = rng.multinomial(total, table.ravel() / total, size=settings.n_boot)
    return np.concatenate([table[None, ...], draws.reshape(settings.n_boot, *table.shape)])


def _rates(reps: np.ndarray, view: View, n_axes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per replicate and group of the view: people, recommended rate, decided rate."""
    drop = tuple(1 + a for a in range(n_axes) if a not in view.axes)
    marginal = reps.sum(axis=drop) if drop else reps
    grouped = marginal.reshape(marginal.shape[0], -1, 2, 2)
    people = grouped.sum(axis=(2, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        recommended = grouped[:, :, 1, :].sum(axis=2) / people
        decided = grouped[:, :, :, 1].sum(axis=2) / people
    return people, recommended, decided


def _ratios(rates: np.ndarray, top: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        anchor = rates[:, top : top + 1]
        return np.where(anchor > 0, rates / anchor, np.nan)


def _lowest(rates: np.ndarray, members: np.ndarray) -> np.ndarray:
    values = rates[:, members]
    with np.errstate(divide="ignore", invalid="ignore"):
        high = np.nanmax(values, axis=1)
        return np.where(high > 0, np.nanmin(values, axis=1) / high, np.nan)


def _interval(values: np.ndarray, level: float) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def _value(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _row(
    view: View, group: str, n: float, change: np.ndarray, settings: PairedSettings
) -> MetricRow:
    low, high = (
        _interval(change[1:], settings.confidence_level) if change.size > 1 else (None, None)
    )
    return MetricRow(
        attribute=view.name,
        group=group,
        n=round(float(n)),
        metric=IMPACT_RATIO_CHANGE,
        value=_value(change[0]),
        ci_low=low,
        ci_high=high,
    )


def _p_value(change: np.ndarray) -> float | None:
    """Share of replicates in which review did not lower the ratio (one-sided)."""
    replicates = change[1:]
    replicates = replicates[np.isfinite(replicates)]
    if replicates.size == 0:
        return None
    return float((np.count_nonzero(replicates >= 0.0) + 1) / (replicates.size + 1))


def paired_changes(
    codes: list[np.ndarray],
    sizes: list[int],
    recommended: np.ndarray,
    decided: np.ndarray,
    views: list[View],
    references: dict[str, str],
    settings: PairedSettings,
) -> tuple[list[MetricRow], list[ChangeTest]]:
    """Per view, each group's ``impact_ratio_change`` and the lowest ratio's (group ``*``),
    with paired bootstrap intervals, and one-sided tests of each group's change (Holm).

    Examples
    --------
    >>> import numpy as np
    >>> codes = [np.array([0, 0, 0, 0, 1, 1, 1, 1])]
    >>> rec = np.array([1, 1, 0, 0, 1, 1, 0, 0]); dec = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    >>> view = View("sex", (0,), ["f", "m"], np.array([True, True]), np.array([True, True]))
    >>> settings = PairedSettings(0, 0, 0.95, 0.05)
    >>> rows, _ = paired_changes(codes, [2], rec, dec, [view], {"sex": "f"}, settings)
    >>> [(r.group, r.value) for r in rows]
    [('f', 0.0), ('m', -0.5), ('*', -0.5)]
    """
    reps = _replicates(_cells(codes, sizes, recommended, decided), settings)
    rows: list[MetricRow] = []
    tests: list[ChangeTest] = []
    for view in views:
        people, rec_rate, dec_rate = _rates(reps, view, len(sizes))
        present = people[0] > 0
        named = references.get(view.name)
        if named is None or named not in view.labels:
            continue
        base = view.labels.index(named)
        change = _ratios(dec_rate, base) - _ratios(rec_rate, base)
        found: list[tuple[str, float | None, float | None]] = []
        for index, label in enumerate(view.labels):
            if not (present[index] and view.comparable[index]):
                continue
            rows.append(_row(view, label, people[0, index], change[:, index], settings))
            if index == base:
                continue  # the reference against itself: zero by construction
            found.append((label, _value(change[0, index]), _p_value(change[:, index])))
        members = np.flatnonzero(view.eligible & present)
        if members.size >= 2:
            lowest = _lowest(dec_rate, members) - _lowest(rec_rate, members)
            rows.append(_row(view, ALL_GROUPS, people[0, members].sum(), lowest, settings))
        tests.extend(_holm(view.name, found, settings.alpha))
    return rows, tests


def _holm(
    attribute: str, found: list[tuple[str, float | None, float | None]], alpha: float
) -> list[ChangeTest]:
    p_values = [p for _, _, p in found if p is not None]
    adjusted = iter(holm_adjust(p_values) if p_values else [])
    tests = []
    for label, change, p in found:
        p_adjusted = float(next(adjusted)) if p is not None else None
        tests.append(
            ChangeTest(
                attribute=attribute,
                group=label,
                change=change,
                p_value=p,
                p_value_adjusted=p_adjusted,
                significant=p_adjusted is not None and p_adjusted < alpha,
            )
        )
    return tests
