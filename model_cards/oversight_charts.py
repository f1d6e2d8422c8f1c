"""Charts of human review and of monitoring, with their uncertainty (inline SVG).

The same conventions as :mod:`govern.model_cards.charts`: matplotlib's object API, fixed hash
salt, no date, an accessible name; where impact ratios are drawn, the threshold of the policy's
impact-ratio rule as a dashed line when a policy sets one.
"""

from __future__ import annotations

from dataclasses import dataclass

from govern.model_cards.charts import BAR_COLOUR, BELOW_COLOUR, LINE_COLOUR, SVG_STYLE, svg_text

MODEL_COLOUR = "#6b6b6b"  # 5.3:1 on white


@dataclass(frozen=True)
class ReviewPoint:
    """One group's impact ratio under the model's recommendations and the final decisions."""

    group: str
    recommended: float
    decided: float


@dataclass(frozen=True)
class TrendSeries:
    """One group's value in each window (None where suppressed or not measured)."""

    label: str
    values: list[float | None]
    lows: list[float | None]
    highs: list[float | None]


def review_chart_svg(
    attribute: str, points: list[ReviewPoint], *, title: str, threshold: float | None = None
) -> str:
    """A dumbbell chart: each group's impact ratio before (grey) and after (colour) review, the
    final decisions in red below the policy's ``threshold`` (a dashed line) when one is given.

    Examples
    --------
    >>> svg = review_chart_svg("sex", [ReviewPoint("f", 0.9, 0.7)], title="Review by sex")
    >>> svg.startswith("<svg")
    True
    """
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context(SVG_STYLE):
        figure = Figure(figsize=(7.5, 1.2 + 0.38 * max(len(points), 1)))
        FigureCanvasSVG(figure)
        ax = figure.subplots()
        rows = list(range(len(points)))
        for row, point in zip(rows, points, strict=True):
            ax.plot([point.recommended, point.decided], [row, row], color=LINE_COLOUR, lw=1)
        ax.scatter(
            [p.recommended for p in points],
            rows,
            color=MODEL_COLOUR,
            zorder=3,
            label="model's recommendations",
        )
        ax.scatter(
            [p.decided for p in points],
            rows,
            color=[
                BELOW_COLOUR if threshold is not None and p.decided < threshold else BAR_COLOUR
                for p in points
            ],
            zorder=3,
            label="final decisions",
        )
        ax.set_yticks(rows, [p.group for p in points])
        ax.invert_yaxis()
        label = "Impact ratio (grey: model, colour: final"
        if threshold is not None:
            ax.axvline(threshold, color=LINE_COLOUR, linestyle="--", linewidth=1)
            label += f"; dashed line: the policy's {threshold:g}"
        highest = max([1.2, *(max(p.recommended, p.decided) for p in points)])
        ax.set_xlim(0, highest * 1.05)
        ax.set_xlabel(label + ")")
        ax.set_title(f"Impact ratio by {attribute}, before and after review", fontsize=10)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return svg_text(figure, title)


def trend_chart_svg(
    windows: list[str],
    series: list[TrendSeries],
    *,
    alarms: list[int],
    ylabel: str,
    title: str,
    threshold: float | None = None,
) -> str:
    """One line per group across the windows, with interval bars, the policy's ``threshold`` as
    a dashed line when one is given, and the windows where a drift alarm fired marked.

    Examples
    --------
    >>> svg = trend_chart_svg(["2025-01", "2025-02"],
    ...     [TrendSeries("f", [0.9, 0.7], [0.8, 0.6], [1.0, 0.8])], alarms=[1],
    ...     ylabel="Impact ratio", title="Trend")
    >>> "<title>Trend</title>" in svg
    True
    """
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context(SVG_STYLE):
        figure = Figure(figsize=(max(6.0, 0.35 * len(windows) + 2.5), 4.2))
        FigureCanvasSVG(figure)
        ax = figure.subplots()
        x = list(range(len(windows)))
        for line in series:
            shown = [
                (i, v, lo, hi)
                for i, v, lo, hi in zip(x, line.values, line.lows, line.highs, strict=True)
                if v is not None
            ]
            if not shown:
                continue
            xs = [i for i, *_ in shown]
            ys = [v for _, v, _, _ in shown]
            errors = [
                [max(v - (lo if lo is not None else v), 0.0) for _, v, lo, _ in shown],
                [max((hi if hi is not None else v) - v, 0.0) for _, v, _, hi in shown],
            ]
            ax.errorbar(
                xs, ys, yerr=errors, marker="o", markersize=3, capsize=2, lw=1, label=line.label
            )
        for index in alarms:
            ax.axvline(index, color=BELOW_COLOUR, linewidth=1.2, alpha=0.8)
        if threshold is not None:
            ax.axhline(threshold, color=LINE_COLOUR, linestyle="--", linewidth=1)
        ax.set_xticks(x, windows, rotation=90, fontsize=7)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        if series:
            ax.legend(fontsize=7, frameon=False, loc="lower left")
        ax.spines[["top", "right"]].set_visible(False)
        return svg_text(figure, title)
