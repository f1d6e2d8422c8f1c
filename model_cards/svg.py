"""Matplotlib figures as inline SVG for govern's documents: stable bytes and an accessible name.

Used by every chart of the documents (selection rates and impact ratios, error-rate and score
panels, the audit history). Text stays text (selectable, searchable, escaped by
matplotlib); a fixed hash salt and no date keep the same numbers giving the same bytes.
"""

from __future__ import annotations

import io
import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

CHART_RC: Any = {  # typed Any: matplotlib types its keys as a Literal
    "svg.hashsalt": "govern",
    "svg.fonttype": "none",
    "font.size": 10,
    "font.family": "DejaVu Sans",
}
# Colours with a contrast ratio of at least 4.5:1 on white, told apart by marker shape as well.
SERIES_COLOURS = ("#1f4e79", "#a4282a", "#1d5e2b", "#6a3d9a", "#7a4b00", "#005f73")
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P")
INK = "#222222"


def inline_svg(figure: Any, title: str) -> str:
    """The figure as an ``<svg>`` element (no XML prolog, no metadata) named by ``title``."""
    figure.tight_layout()
    buffer = io.StringIO()
    # tight_layout only moves the axes; a label wider than its panel (long group names narrow
    # the panel) would still run past the figure's edge and be cut. A tight bounding box grows
    # the drawing to hold every piece of text drawn.
    figure.savefig(
        buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.05
    )
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)
    opening_end = svg.index(">") + 1
    opening = svg[:opening_end].replace(
        "<svg ", f'<svg role="img" aria-label={quoteattr(title)} ', 1
    )
    return f"{opening}<title>{escape(title)}</title>{svg[opening_end:]}"
