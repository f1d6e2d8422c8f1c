"""Side-by-side bar panels of per-group figures with their intervals, as inline SVG.

Used for error-rate parity (true and false positive rates by group) and for scores (mean score
by group) beside the selection-rate chart of :mod:`govern.model_cards.charts`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from govern.model_cards.charts import BAR_COLOUR, LINE_COLOUR, ChartPoint
from govern.model_cards.svg import CHART_RC, inline_svg


@dataclass(frozen=True)
class Panel:
    """One panel: its heading, its value axis label and the groups' points."""

    title: str
    axis_label: str
    points: tuple[ChartPoint, ...]
    upper: float | None = 1.0


def _errors(points: tuple[ChartPoint, ...]) -> list[list[float]]:
    lower = [max(p.value - p.low, 0.0) if p.low is not None else 0.0 for p in points]
    upper = [max(p.high - p.value, 0.0) if p.high is not None else 0.0 for p in points]
    return [lower, upper]


@functools.lru_cache(maxsize=64)  # the report and the card of one audit draw the same charts
def panels_svg(panels: tuple[Panel, ...], *, title: str) -> str:
    """Horizontal bars per group, one panel each, error bars for the intervals.

    Examples
    --------
    >>> svg = panels_svg((Panel("TPR", "rate", (ChartPoint("f", 0.6, 0.5, 0.7),)),), title="T")
    >>> svg.startswith("<svg")
    True
    """
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    shown = [p for p in panels if p.points]
    groups = max((len(p.points) for p in shown), default=1)
    with matplotlib.rc_context(CHART_RC):
        figure = Figure(figsize=(4.2 * max(len(shown), 1), 1.1 + 0.38 * groups))
        FigureCanvasSVG(figure)
        axes = figure.subplots(1, max(len(shown), 1), squeeze=False)[0]
        for ax, panel in zip(axes, shown, strict=False):
            ax.barh(
                [p.group for p in panel.points],
                [p.value for p in panel.points],
                xerr=_errors(panel.points),
                color=BAR_COLOUR,
                ecolor=LINE_COLOUR,
                capsize=3,
            )
            ax.invert_yaxis()
            highest = max(
                [1e-9, *((p.high if p.high is not None else p.value) for p in panel.points)]
            )
            limit = highest * 1.1 if panel.upper is None else min(panel.upper, highest * 1.15)
            ax.set_xlim(0, max(limit, 1e-9))
            ax.set_xlabel(panel.axis_label)
            ax.set_title(panel.title, fontsize=10)
            ax.spines[["top", "right"]].set_visible(False)
        return inline_svg(figure, title)
