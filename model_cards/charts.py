"""Charts with their uncertainty: per-group selection rates and impact ratios with error bars,
what drives a model's decisions (permutation importance), and grouped bars for recommendation
and ranking measures, all with error bars.

Point estimates without intervals invite over-reading small groups, so every bar carries its
confidence interval, and the impact-ratio panel draws the threshold of the policy's impact-ratio
rule (0.8 in the four-fifths rule of 29 CFR 1607.4(D)) when a policy sets one.
Charts are SVG made with matplotlib's object API (no pyplot global state), with a fixed hash salt
and no date in the metadata, so the same numbers give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govern.model_cards.svg import CHART_RC, inline_svg

# Colours with a contrast ratio above 4.5:1 on white (WCAG 2.1 AA for graphics and text).
BAR_COLOUR = "#1f4e79"
BELOW_COLOUR = "#a4282a"
LINE_COLOUR = "#222222"
# The matplotlib settings of every chart (one home: govern.model_cards.svg).
SVG_STYLE = CHART_RC


@dataclass(frozen=True)
class ChartPoint:
    """One group's value and interval; ``None`` bounds mean no interval was computed."""

    group: str
    value: float
    low: float | None
    high: float | None


def _errors(points: list[ChartPoint]) -> list[list[float]]:
    lower = [max(p.value - p.low, 0.0) if p.low is not None else 0.0 for p in points]
    upper = [max(p.high - p.value, 0.0) if p.high is not None else 0.0 for p in points]
    return [lower, upper]


def fairness_chart_svg(
    attribute: str,
    *,
    selection_rates: list[ChartPoint],
    impact_ratios: list[ChartPoint],
    title: str,
    level: str = "95%",
    threshold: float | None = None,
) -> str:
    """An inline SVG (no XML prolog) with one or two panels, for embedding in HTML.

    Parameters
    ----------
    attribute : str
        The attribute the groups belong to (shown in the axis labels).
    selection_rates, impact_ratios : list of ChartPoint
        Groups to draw; either list may be empty (its panel is left out).
    title : str
        Accessible name of the chart (an SVG ``<title>`` and ``aria-label``).
    level : str
        The confidence level of the intervals, as labelled ("95%").
    threshold : float, optional
        The policy's impact-ratio threshold: drawn as a dashed line, bars below it in red.

    Examples
    --------
    >>> svg = fairness_chart_svg("sex", selection_rates=[ChartPoint("f", 0.2, 0.1, 0.3)],
    ...                          impact_ratios=[], title="Selection rate by sex")
    >>> svg.startswith("<svg")
    True
    """
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    panels = [p for p in (selection_rates, impact_ratios) if p]
    n_groups = max((len(p) for p in panels), default=1)
    with matplotlib.rc_context(CHART_RC):
        # The threshold's legend under the impact-ratio panel takes two more lines of text.
        legend = 0.35 if impact_ratios and threshold is not None else 0.0
        figure = Figure(figsize=(4.2 * max(len(panels), 1), 0.9 + legend + 0.38 * n_groups))
        FigureCanvasSVG(figure)
        axes = figure.subplots(1, max(len(panels), 1), squeeze=False)[0]
        index = 0
        if selection_rates:
            ax = axes[index]
            index += 1
            labels = [p.group for p in selection_rates]
            ax.barh(
                labels,
                [p.value for p in selection_rates],
                xerr=_errors(selection_rates),
                color=BAR_COLOUR,
                ecolor=LINE_COLOUR,
                capsize=3,
            )
            ax.invert_yaxis()
            ax.set_xlim(
                0, min(1.0, max(1e-9, *(p.high or p.value for p in selection_rates)) * 1.15)
            )
            ax.set_xlabel(f"Selection rate (bars: {level} interval)")
            ax.set_title(f"Selection rate by {attribute}", fontsize=10)
        if impact_ratios:
            ax = axes[index]
            labels = [p.group for p in impact_ratios]
            colours = [
                BELOW_COLOUR if threshold is not None and p.value < threshold else BAR_COLOUR
                for p in impact_ratios
            ]
            bars = ax.barh(
                labels,
                [p.value for p in impact_ratios],
                xerr=_errors(impact_ratios),
                color=colours,
                ecolor=LINE_COLOUR,
                capsize=3,
            )
            # Below the threshold is drawn hatched as well as red: colour is never the only sign.
            for bar, colour in zip(bars, colours, strict=True):
                if colour == BELOW_COLOUR:
                    bar.set_hatch("///")
                    bar.set_edgecolor("#ffffff")
            ax.invert_yaxis()
            label = "Impact ratio"
            if threshold is not None:
                ax.axvline(threshold, color=LINE_COLOUR, linestyle="--", linewidth=1)
                # Short lines, so that the label fits under a panel narrowed by long group names.
                label += f"\ndashed line: the policy's {threshold:g}\nred, hatched: below it"
            highest = max(1.2, *((p.high or p.value) for p in impact_ratios))
            ax.set_xlim(0, highest * 1.05)
            ax.set_xlabel(label)
            ax.set_title(f"Impact ratio by {attribute}", fontsize=10)
        for ax in axes:
            ax.spines[["top", "right"]].set_visible(False)
        return inline_svg(figure, title)


def importance_chart_svg(points: list[ChartPoint], *, flagged: set[str], title: str) -> str:
    """An inline SVG bar chart of each input's share of decisions changed when it is shuffled,
    with error bars for the intervals; inputs in ``flagged`` (proxies) are drawn red and hatched.

    Examples
    --------
    >>> svg = importance_chart_svg([ChartPoint("area", 0.2, 0.1, 0.3)], flagged={"area"},
    ...                            title="What drives the decisions")
    >>> svg.startswith("<svg")
    True
    """
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    with matplotlib.rc_context(CHART_RC):
        figure = Figure(figsize=(6.4, 0.9 + 0.34 * max(len(points), 1)))
        FigureCanvasSVG(figure)
        ax = figure.subplots()
        bars = ax.barh(
            [p.group for p in points],
            [p.value for p in points],
            xerr=_errors(points),
            color=[BELOW_COLOUR if p.group in flagged else BAR_COLOUR for p in points],
            ecolor=LINE_COLOUR,
            capsize=3,
        )
        # A proxy is hatched as well as red: colour is never the only sign.
        for bar, point in zip(bars, points, strict=True):
            if point.group in flagged:
                bar.set_hatch("///")
                bar.set_edgecolor("#ffffff")
        ax.invert_yaxis()
        highest = max([1e-9, *((p.high if p.high is not None else p.value) for p in points)])
        ax.set_xlim(0, min(1.0, highest * 1.15))
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("Decisions that change when the input is shuffled (red, hatched: a proxy)")
        ax.spines[["top", "right"]].set_visible(False)
        return inline_svg(figure, title)


def svg_text(figure: Any, title: str) -> str:
    """A laid-out matplotlib figure as inline SVG with an accessible name (other charts' end)."""
    return inline_svg(figure, title)


# Series colours: the bar colour, then hues of the Okabe & Ito (2008) colour-blind-safe set
# (vermillion, blue, a purple) and darker greens, ochre and grey; each has a contrast ratio of
# at least 3.8:1 on white (WCAG 2.1 asks 3:1 of graphics). The legend lists them in bar order.
SERIES_COLOURS = ("#1f4e79", "#d55e00", "#007a5a", "#8a4f9e", "#9a6700", "#0072b2", "#555555")


@dataclass(frozen=True)
class ChartSeries:
    """One series of a grouped bar chart: a label (shown in the legend) and its points."""

    label: str
    points: list[ChartPoint]


def grouped_bars_svg(
    series: list[ChartSeries],
    *,
    title: str,
    panel_title: str,
    value_label: str,
    mark: float | None = None,
) -> str:
    """Horizontal bars per group, one bar per series, each with its interval; inline SVG.

    Parameters
    ----------
    series : list of ChartSeries
        The series (for example one per item category); groups are drawn in the order they
        first appear.
    title : str
        Accessible name of the chart (an SVG ``<title>`` and ``aria-label``).
    panel_title, value_label : str
        The panel's heading and the value axis label.
    mark : float, optional
        Draw a dashed line at this value (for example 0.8 for a ratio); bars below it red and
        hatched when there is one series.

    Examples
    --------
    >>> svg = grouped_bars_svg([ChartSeries("leadership", [ChartPoint("f", 0.5, 0.4, 0.6)])],
    ...                        title="Rates", panel_title="Rates", value_label="rate")
    >>> svg.startswith("<svg")
    True
    """
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    groups: list[str] = []
    for one in series:
        groups += [p.group for p in one.points if p.group not in groups]
    n_series = max(len(series), 1)
    height = 1.1 + 0.22 * max(len(groups), 1) * (n_series + 0.6)
    with matplotlib.rc_context(CHART_RC):
        figure = Figure(figsize=(7.2 if len(series) > 1 else 6.0, height))
        FigureCanvasSVG(figure)
        ax = figure.subplots(1, 1)
        width = 0.8 / n_series
        highest = 0.0
        for index, one in enumerate(series):
            where = {p.group: p for p in one.points}
            drawn = [where[g] for g in groups if g in where]
            positions = [groups.index(p.group) - 0.4 + width * (index + 0.5) for p in drawn]
            colours: Any = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            if mark is not None and len(series) == 1:
                colours = [_bar_colour(p.value, mark) for p in drawn]
            bars = ax.barh(
                positions,
                [p.value for p in drawn],
                height=width * 0.9,
                xerr=_errors(drawn),
                color=colours,
                ecolor=LINE_COLOUR,
                capsize=2,
                label=one.label,
            )
            # Below the mark is hatched as well as red: colour is never the only sign.
            if mark is not None and len(series) == 1:
                for bar, point in zip(bars, drawn, strict=True):
                    if point.value < mark:
                        bar.set_hatch("///")
                        bar.set_edgecolor("#ffffff")
            highest = max([highest, *((p.high or p.value) for p in drawn)])
        ax.set_yticks(range(len(groups)), groups)
        ax.invert_yaxis()
        if mark is not None:
            ax.axvline(mark, color=LINE_COLOUR, linestyle="--", linewidth=1)
            highest = max(highest, mark * 1.2)
        ax.set_xlim(0, max(highest, 1e-9) * 1.08)
        ax.set_xlabel(value_label)
        ax.set_title(panel_title, fontsize=10)
        if len(series) > 1:  # beside the panel, so that it never hides a bar
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return inline_svg(figure, title)


def _bar_colour(value: float, mark: float) -> str:
    return BELOW_COLOUR if value < mark else BAR_COLOUR
