"""The audit history as a trend: each attribute's demographic parity ratio across audits."""

from __future__ import annotations

from govern.model_cards.svg import CHART_RC, INK, SERIES_COLOURS, SERIES_MARKERS, inline_svg


def history_chart_svg(
    labels: list[str],
    series: dict[str, list[float | None]],
    *,
    title: str,
    threshold: float | None = None,
) -> str:
    """One line per attribute over the audits (oldest first); gaps where an audit published no
    ratio; a dashed line at the policy's impact-ratio threshold.

    Examples
    --------
    >>> svg = history_chart_svg(["v1", "v2"], {"sex": [0.7, 0.9]}, title="Trend", threshold=0.8)
    >>> svg.startswith("<svg") and "Trend" in svg
    True
    """
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context(CHART_RC):
        figure = Figure(figsize=(max(4.8, 1.1 * len(labels) + 2.4), 3.2))
        FigureCanvasSVG(figure)
        ax = figure.subplots()
        positions = list(range(len(labels)))
        for index, (attribute, values) in enumerate(series.items()):
            ax.plot(
                positions,
                [float("nan") if v is None else v for v in values],
                label=attribute,
                color=SERIES_COLOURS[index % len(SERIES_COLOURS)],
                marker=SERIES_MARKERS[index % len(SERIES_MARKERS)],
                linewidth=1.6,
            )
        if threshold is not None:
            ax.axhline(threshold, color=INK, linestyle="--", linewidth=1)
            ax.annotate(
                f"policy: {threshold:g}",
                (positions[-1] if positions else 0, threshold),
                textcoords="offset points",
                xytext=(0, 4),
                ha="right",
                fontsize=8,
                color=INK,
            )
        ax.set_xticks(positions, labels)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("Parity ratio (lowest rate / highest)")
        ax.set_title("Demographic parity ratio by audit", fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        if series:
            ax.legend(loc="lower left", fontsize=8, frameon=False, title="by", title_fontsize=8)
        return inline_svg(figure, title)
