"""Coverage of govern's 95% intervals at the group sizes public bodies audit.

Does an interval that claims 95% contain the true value 95% of the time? For every figure the
fairness engine reports, over a grid of group sizes (5 to 5,000 per group), true rates (0.05 to
0.95) and true impact ratios (1, 0.8, 0.5):

1. **Two groups, exact.** For a rate, a difference, a ratio against a named reference, the
   impact ratio against the observed highest group, and the two attribute-wide figures (largest
   gap, smallest ratio), coverage is computed exactly: every possible outcome of the two groups
   (all selection counts, truncated at 10 standard deviations where that leaves out less than
   1e-20 of the probability), weighted by its binomial probability. No simulation error.
2. **Many groups, simulated.** The attribute-wide figures over 5 and 14 groups, on parity data
   (is zero covered?) and on unequal rates, against the percentile bootstrap of ``max - min``
   that govern used before.
3. **Weighted data, simulated.** Kish's effective sample size behind every interval, with
   weights that vary within groups.
4. **Score metrics, simulated.** The bootstrap over the table's cells for the mean score,
   percentile (as before) and studentised (now): score metrics are the figures that still
   need resampling.
5. **The issue's three cases**: the percentile bootstrap that govern used before, and now.

The intervals are govern's own functions (``govern.audits.fairness.intervals`` and
``attribute_wide``); ``tests/test_fairness_coverage.py`` checks that ``audit_fairness`` reports
exactly these intervals and re-checks four grid points by simulation.

Usage::

    .venv/bin/python benchmarks/coverage_study.py                 # about 3 minutes
    .venv/bin/python benchmarks/coverage_study.py --quick         # fewer simulations (smoke run)
    .venv/bin/python benchmarks/coverage_study.py --write         # update docs/statistics.md
                                                                  # and docs/coverage-grid.md
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
from scipy.stats import binom

from govern.audits.fairness.attribute_wide import (
    difference_spread_interval,
    ratio_spread_interval,
)
from govern.audits.fairness.intervals import (
    effective_counts,
    miettinen_nurminen_interval,
    newcombe_interval,
    wilson_interval,
)
from govern.audits.fairness.measures import studentised_interval
from govern.audits.fairness.metrics import mean_score_error
from govern.audits.fairness.stats import percentile_interval

ROOT = Path(__file__).resolve().parent.parent
STATISTICS_DOC = ROOT / "docs" / "statistics.md"
GRID_DOC = ROOT / "docs" / "coverage-grid.md"
START, END = "<!-- coverage-study:start -->", "<!-- coverage-study:end -->"

LEVEL = 0.95
BAND = (0.93, 0.97)
SIZES: list[tuple[int, int]] = [(n, n) for n in (5, 8, 15, 30, 60, 200, 1000, 5000)] + [
    (200, 60),
    (40, 15),
    (25, 8),
]
RATES = (0.05, 0.2, 0.5, 0.8, 0.95)
RATIOS = (1.0, 0.8, 0.5)
QUANTITIES = (
    "rate",
    "difference",
    "ratio",
    "impact ratio",
    "largest gap",
    "smallest ratio",
)


def _support(n: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Counts with non-negligible probability and their binomial probabilities."""
    spread = 10.0 * np.sqrt(n * p * (1.0 - p)) + 2.0
    low, high = max(0, int(np.floor(n * p - spread))), min(n, int(np.ceil(n * p + spread)))
    counts = np.arange(low, high + 1)
    return counts.astype(float), binom.pmf(counts, n, p)


def exact_two_groups(n_ref: int, n_group: int, rate_ref: float, ratio: float) -> dict[str, float]:
    """Exact coverage of each figure for a reference group and a group at ``ratio`` of its rate.

    Coverage of a figure is taken over the outcomes in which it is defined (a ratio needs a
    reference with someone selected); ``defined`` is the probability of that.
    """
    rate_group = rate_ref * ratio
    xa, wa = _support(n_ref, rate_ref)
    xb, wb = _support(n_group, rate_group)
    a, b = (v.ravel() for v in np.meshgrid(xa, xb, indexing="ij"))
    weight = np.outer(wa, wb).ravel()
    na, nb = float(n_ref), float(n_group)

    def share(covered: np.ndarray, defined: np.ndarray | None = None) -> float:
        mask = np.ones_like(weight, dtype=bool) if defined is None else defined
        return float((weight * (covered & mask)).sum() / (weight * mask).sum())

    out: dict[str, float] = {}
    low, high = wilson_interval(b, nb, confidence_level=LEVEL, modified=True)
    out["rate"] = share((low <= rate_group) & (rate_group <= high))
    truth = rate_group - rate_ref
    low, high = newcombe_interval(b, nb, a, na, confidence_level=LEVEL)
    out["difference"] = share((low <= truth) & (truth <= high))
    defined = a > 0
    truth = rate_group / rate_ref
    low, high = miettinen_nurminen_interval(b, nb, a, na, confidence_level=LEVEL)
    out["ratio"] = share((low <= truth) & (truth <= high), defined)
    # The engine's impact ratio: the group with the higher observed rate is the base (ties go
    # to the reference, the first label); the other group's ratio is the one reported.
    group_on_top = b / nb > a / na
    top_x, top_n = np.where(group_on_top, b, a), np.where(group_on_top, nb, na)
    other_x, other_n = np.where(group_on_top, a, b), np.where(group_on_top, na, nb)
    truth_ratio = np.where(group_on_top, rate_ref / rate_group, rate_group / rate_ref)
    low, high = miettinen_nurminen_interval(other_x, other_n, top_x, top_n, confidence_level=LEVEL)
    out["impact ratio"] = share((low <= truth_ratio) & (truth_ratio <= high), top_x > 0)
    stacked_x, stacked_n = (
        np.stack([a, b], axis=-1),
        np.stack([np.full_like(a, na), np.full_like(b, nb)], axis=-1),
    )
    gap = abs(rate_ref - rate_group)
    low, high = difference_spread_interval(stacked_x, stacked_n, confidence_level=LEVEL)
    out["largest gap"] = share((low <= gap) & (gap <= high))
    smallest = min(rate_ref, rate_group) / max(rate_ref, rate_group)
    low, high = ratio_spread_interval(stacked_x, stacked_n, confidence_level=LEVEL)
    out["smallest ratio"] = share((low <= smallest) & (smallest <= high), (a + b) > 0)
    out["defined"] = float((weight * defined).sum())
    return out


def two_group_grid() -> list[dict[str, float]]:
    cells = []
    for n_ref, n_group in SIZES:
        for rate in RATES:
            for ratio in RATIOS:
                cell = exact_two_groups(n_ref, n_group, rate, ratio)
                cell["rate_coverage"] = cell.pop("rate")
                cell.update(
                    {"n_ref": n_ref, "n_group": n_group, "rate_ref": rate, "true_ratio": ratio}
                )
                cells.append(cell)
    return cells


def _bootstrap_gap(
    x: np.ndarray, n: np.ndarray, rng: np.random.Generator, n_boot: int
) -> tuple[np.ndarray, np.ndarray]:
    """The percentile bootstrap of max - min that govern used before (one data set per row)."""
    lows, highs = [], []
    for xs, ns in zip(x, n, strict=True):
        reps = rng.binomial(ns.astype(int), xs / ns, size=(n_boot, xs.size)) / ns
        low, high = percentile_interval(reps.max(axis=1) - reps.min(axis=1), confidence_level=LEVEL)
        lows.append(float(low))
        highs.append(float(high))
    return np.array(lows), np.array(highs)


def many_groups(
    groups: int, n: int, rates: np.ndarray, data_sets: int, seed: int, bootstrap_sets: int
) -> dict[str, float]:
    """Simulated coverage of the largest gap and smallest ratio over ``groups`` groups."""
    rng = np.random.default_rng(seed)
    trials = np.full((data_sets, groups), float(n))
    x = rng.binomial(n, rates, size=(data_sets, groups)).astype(float)
    gap, smallest = rates.max() - rates.min(), rates.min() / rates.max()
    low, high = difference_spread_interval(x, trials, confidence_level=LEVEL)
    out = {"largest gap": float(np.mean((low <= gap) & (gap <= high)))}
    out["gap width"] = float(np.mean(high - low))
    low, high = ratio_spread_interval(x, trials, confidence_level=LEVEL)
    defined = x.sum(axis=1) > 0
    out["smallest ratio"] = float(np.mean(((low <= smallest) & (smallest <= high))[defined]))
    out["estimate"] = float(np.mean(x.max(axis=1) / n - x.min(axis=1) / n))
    if bootstrap_sets:
        low, high = _bootstrap_gap(x[:bootstrap_sets], trials[:bootstrap_sets], rng, 1000)
        out["bootstrap gap"] = float(np.mean((low <= gap) & (gap <= high)))
    return out


def weighted(n: int, rate_ref: float, ratio: float, data_sets: int, seed: int) -> dict[str, float]:
    """Simulated coverage with weights drawn per record (0.5, 1 or 2.5 in the reference group,
    1 or 3 in the other), independent of the decision: the weighted rate estimates the rate."""
    rng = np.random.default_rng(seed)
    rate_group = rate_ref * ratio

    def group(rate: float, choices: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
        selected = rng.random((data_sets, n)) < rate
        w = rng.choice(np.array(choices), size=(data_sets, n))
        x, total, squares = (w * selected).sum(axis=1), w.sum(axis=1), (w * w).sum(axis=1)
        return effective_counts(x, total, squares)

    xa, na = group(rate_ref, (0.5, 1.0, 2.5))
    xb, nb = group(rate_group, (1.0, 3.0))
    out = {}
    low, high = wilson_interval(xb, nb, confidence_level=LEVEL, modified=True)
    out["rate"] = float(np.mean((low <= rate_group) & (rate_group <= high)))
    low, high = newcombe_interval(xb, nb, xa, na, confidence_level=LEVEL)
    d = rate_group - rate_ref
    out["difference"] = float(np.mean((low <= d) & (d <= high)))
    low, high = miettinen_nurminen_interval(xb, nb, xa, na, confidence_level=LEVEL)
    defined = xa > 0
    out["ratio"] = float(np.mean(((low <= ratio) & (ratio <= high))[defined]))
    return out


def score_bootstrap(n: int, data_sets: int, n_boot: int, seed: int) -> dict[str, float]:
    """Coverage of the mean score's intervals from the table's count bootstrap, percentile and
    studentised (scores on 21 values, skewed like a screening score's)."""
    rng = np.random.default_rng(seed)
    values = np.linspace(0.0, 1.0, 21)
    probabilities = np.exp(-4.0 * values)
    probabilities /= probabilities.sum()
    truth = float(values @ probabilities)
    covered = {"percentile": 0, "studentised": 0}
    for _ in range(data_sets):
        table = rng.multinomial(n, probabilities).astype(float)
        reps = rng.multinomial(n, table / n, size=n_boot).astype(float)
        # The engine's cells: (replicate, group, y_true, y_pred, score bin).
        cells, rep_cells = table[None, None, None, None, :], reps[:, None, None, None, :]
        mean, rep_means = np.array([table @ values / n]), (reps @ values / n)[:, None]
        error = mean_score_error(cells, cells * values, np.array([[float(n)]]))[0]
        rep_errors = mean_score_error(rep_cells, rep_cells * values, np.full((n_boot, 1), n))
        low, high = percentile_interval(rep_means, confidence_level=LEVEL)
        covered["percentile"] += bool(low[0] <= truth <= high[0])
        low, high = studentised_interval(mean, error, rep_means, rep_errors, LEVEL)
        covered["studentised"] += bool(low[0] <= truth <= high[0])
    return {name: count / data_sets for name, count in covered.items()}


def issue_cases(data_sets: int, seed: int) -> list[dict[str, float | str]]:
    """The three cases of the issue: group sizes drawn (a multinomial over the two groups),
    coverage of the impact ratio by the percentile bootstrap and by Miettinen-Nurminen."""
    rng = np.random.default_rng(seed)
    out: list[dict[str, float | str]] = []
    for total, share, rate_ref, rate_group, label in (
        (260, 200 / 260, 0.50, 0.35, "200 vs 60"),
        (55, 40 / 55, 0.60, 0.20, "about 40 vs 15"),
        (33, 25 / 33, 0.60, 0.40, "about 25 vs 8"),
    ):
        n_ref = rng.binomial(total, share, size=data_sets)
        n_group = total - n_ref
        xa = rng.binomial(n_ref, rate_ref).astype(float)
        xb = rng.binomial(n_group, rate_group).astype(float)
        truth = rate_group / rate_ref
        defined = xa > 0
        low, high = miettinen_nurminen_interval(
            xb, n_group.astype(float), xa, n_ref.astype(float), confidence_level=LEVEL
        )
        score = float(np.mean(((low <= truth) & (truth <= high))[defined]))
        boot = []
        for k in range(min(data_sets, 2000)):
            ra = rng.binomial(n_ref[k], xa[k] / n_ref[k], size=1000) / n_ref[k]
            rb = rng.binomial(n_group[k], xb[k] / n_group[k], size=1000) / n_group[k]
            with np.errstate(divide="ignore", invalid="ignore"):
                lo, hi = percentile_interval(
                    np.where(ra > 0, rb / ra, np.nan), confidence_level=LEVEL
                )
            boot.append(bool(lo <= truth <= hi))
        out.append({"case": label, "score": score, "bootstrap": float(np.mean(boot))})
    return out


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _mark(low: float, high: float) -> str:
    text = f"{_pct(low)}–{_pct(high)}" if abs(high - low) >= 0.0005 else _pct(low)
    inside = BAND[0] <= low and high <= BAND[1]
    return text if inside else f"**{text}**"


def summary_table(cells: list[dict[str, float]]) -> str:
    """Per group size, the lowest and highest coverage of each figure over rates and ratios."""
    header = "| per group | " + " | ".join(QUANTITIES) + " |"
    lines = [header, "|---" * (len(QUANTITIES) + 1) + "|"]
    for n_ref, n_group in SIZES:
        row = [c for c in cells if c["n_ref"] == n_ref and c["n_group"] == n_group]
        label = f"{n_ref}" if n_ref == n_group else f"{n_ref} vs {n_group}"
        values = []
        for quantity in QUANTITIES:
            key = "rate_coverage" if quantity == "rate" else quantity
            column = [c[key] for c in row]
            values.append(_mark(min(column), max(column)))
        lines.append(f"| {label} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def grid_table(cells: list[dict[str, float]]) -> str:
    header = "| reference n | group n | reference rate | true ratio | " + " | ".join(QUANTITIES)
    lines = [header + " | ratio defined |", "|---" * (len(QUANTITIES) + 5) + "|"]
    for c in cells:
        values = [
            _mark(
                c["rate_coverage" if q == "rate" else q], c["rate_coverage" if q == "rate" else q]
            )
            for q in QUANTITIES
        ]
        lines.append(
            f"| {c['n_ref']:.0f} | {c['n_group']:.0f} | {c['rate_ref']:g} | {c['true_ratio']:g} | "
            + " | ".join(values)
            + f" | {_pct(c['defined'])} |"
        )
    return "\n".join(lines)


def many_groups_table(quick: bool) -> str:
    data_sets = 2000 if quick else 10000
    bootstrap_sets = 200 if quick else 1000
    lines = [
        "| groups | per group | true rates | largest gap | mean estimate of the gap | "
        "smallest ratio | bootstrap of max − min (before) |",
        "|---|---|---|---|---|---|---|",
    ]
    scenarios = []
    for groups in (5, 14):
        for n in (8, 30, 200):
            scenarios.append((groups, n, np.full(groups, 0.3), "all 0.3 (parity)"))
            scenarios.append((groups, n, np.linspace(0.2, 0.4, groups), "0.2 to 0.4"))
    for k, (groups, n, rates, label) in enumerate(scenarios):
        result = many_groups(groups, n, rates, data_sets, 100 + k, bootstrap_sets)
        lines.append(
            f"| {groups} | {n} | {label} | {_mark(result['largest gap'], result['largest gap'])} | "
            f"{result['estimate']:.3f} (true {rates.max() - rates.min():.3f}) | "
            f"{_mark(result['smallest ratio'], result['smallest ratio'])} | "
            f"{_mark(result['bootstrap gap'], result['bootstrap gap'])} |"
        )
    return "\n".join(lines)


def weighted_table(quick: bool) -> str:
    data_sets = 4000 if quick else 20000
    lines = [
        "| per group | reference rate | true ratio | rate | difference | ratio |",
        "|---|---|---|---|---|---|",
    ]
    k = 0
    for n in (8, 30, 200, 1000):
        for rate in (0.2, 0.5):
            for ratio in (1.0, 0.8):
                k += 1
                result = weighted(
                    n, rate, ratio, data_sets if n < 1000 else data_sets // 4, 300 + k
                )
                values = " | ".join(
                    _mark(result[q], result[q]) for q in ("rate", "difference", "ratio")
                )
                lines.append(f"| {n} | {rate:g} | {ratio:g} | {values} |")
    return "\n".join(lines)


def score_table(quick: bool) -> str:
    data_sets = 300 if quick else 2000
    lines = [
        "| per group | mean score: percentile (before) | mean score: studentised (now) |",
        "|---|---|---|",
    ]
    for k, n in enumerate((8, 15, 30, 200, 1000)):
        result = score_bootstrap(n, data_sets, 1000, 500 + k)
        before, now = result["percentile"], result["studentised"]
        lines.append(f"| {n} | {_mark(before, before)} | {_mark(now, now)} |")
    return "\n".join(lines)


def issue_table(quick: bool) -> str:
    lines = [
        "| case | percentile bootstrap (before) | Miettinen–Nurminen (now) |",
        "|---|---|---|",
    ]
    for row in issue_cases(1000 if quick else 4000, 7):
        lines.append(
            f"| {row['case']} | {_pct(float(row['bootstrap']))} | {_pct(float(row['score']))} |"
        )
    return "\n".join(lines)


def report(quick: bool) -> tuple[str, str]:
    started = time.perf_counter()
    cells = two_group_grid()
    sections = [
        "Two groups, exact coverage (lowest–highest over the 15 combinations of reference rate "
        "0.05, 0.2, 0.5, 0.8, 0.95 and true ratio 1, 0.8, 0.5; **bold**: outside 93–97%; every "
        "cell is in `docs/coverage-grid.md`):",
        summary_table(cells),
        "Attribute-wide figures over many groups (simulated, "
        f"{'2,000' if quick else '10,000'} data sets per row; the bootstrap column on "
        f"{'200' if quick else '1,000'} of them):",
        many_groups_table(quick),
        "Weighted data, Kish's effective sample size (simulated; weights 0.5, 1 or 2.5 per record "
        "in the reference group, 1 or 3 in the other):",
        weighted_table(quick),
        "The mean score, bootstrap over the table's cells (simulated, 1,000 replicates):",
        score_table(quick),
        "The issue's three cases, impact-ratio coverage (simulated; group sizes drawn):",
        issue_table(quick),
    ]
    seconds = time.perf_counter() - started
    sections.append(
        f"Produced by `benchmarks/coverage_study.py{' --quick' if quick else ''}` in "
        f"{seconds:.0f} s."
    )
    grid = (
        "# Coverage of govern's 95% intervals: every cell\n\n"
        "Generated by `benchmarks/coverage_study.py --write`; see `docs/statistics.md` for what "
        "the columns mean. Exact coverage (every outcome weighted by its probability); "
        "**bold**: outside 93–97%. Ratios are over the outcomes where they are defined "
        "(last column: how often the reference has someone selected).\n\n"
        + grid_table(cells)
        + "\n"
    )
    return "\n\n".join(sections), grid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer simulated data sets")
    parser.add_argument(
        "--write", action="store_true", help="update docs/statistics.md and docs/coverage-grid.md"
    )
    args = parser.parse_args(argv)
    text, grid = report(args.quick)
    print(text)
    if args.write:
        document = STATISTICS_DOC.read_text(encoding="utf-8")
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
        if not pattern.search(document):
            raise SystemExit(f"{STATISTICS_DOC} has no {START} ... {END} block to replace")
        block = f"{START}\n{text}\n{END}"
        STATISTICS_DOC.write_text(pattern.sub(lambda _: block, document), encoding="utf-8")
        GRID_DOC.write_text(grid, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
