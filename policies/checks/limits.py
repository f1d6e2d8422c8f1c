"""What the transparency check kinds share: judging a measured value with its interval against
a limit, and saying it in words.

A check may judge the point estimate (``judge: point``) or the end of the interval least
favourable to the model (``judge: least_favourable``: the upper bound against a maximum, the
lower bound against a minimum), as the ``metric`` kind does.
"""

from __future__ import annotations

from typing import Literal

Judge = Literal["point", "least_favourable"]

JUDGE_DESCRIPTION = (
    "Judge the point estimate, or the interval bound least favourable to the model (the upper "
    "bound against a maximum, the lower bound against a minimum)."
)
NO_INTERVAL_NOTE = "no interval in the evidence for {what}; the point estimate was judged"


def judged_value(
    value: float,
    low: float | None,
    high: float | None,
    *,
    judge: Judge,
    at_most: bool,
) -> tuple[float, bool]:
    """The value to compare with the limit, and whether an interval was missing for it.

    Examples
    --------
    >>> judged_value(0.6, 0.5, 0.7, judge="least_favourable", at_most=True)
    (0.7, False)
    """
    if judge == "point":
        return value, False
    side = high if at_most else low
    return (value, True) if side is None else (side, False)


def interval_words(
    low: float | None, high: float | None, level: float, *, as_percent: bool = False
) -> str:
    """`` (95% interval 0.83 to 0.90)``, or nothing without an interval.

    Examples
    --------
    >>> interval_words(0.1, 0.2, 0.95, as_percent=True)
    ' (95% interval 10% to 20%)'
    """
    if low is None or high is None:
        return ""
    show = percent if as_percent else decimal
    return f" ({level * 100:g}% interval {show(low)} to {show(high)})"


def percent(value: float) -> str:
    """``0.1168`` -> ``12%``."""
    return f"{value * 100:.0f}%"


def decimal(value: float) -> str:
    """``0.8663`` -> ``0.87``."""
    return f"{value:.2f}"


def level_of(settings: dict[str, float | int | str | None]) -> float:
    """The confidence level the evidence's intervals were computed at (0.95 if not recorded)."""
    level = settings.get("level")
    return float(level) if isinstance(level, int | float) else 0.95


def limit_text(measure: str, comparison: str, limit: float, judge: Judge) -> str:
    """``combined_proxy_auc <= 0.7``, noting when the interval's worst end is judged.

    Examples
    --------
    >>> limit_text("consistency", ">=", 0.8, "least_favourable")
    'consistency >= 0.8 (interval bound judged)'
    """
    text = f"{measure} {comparison} {limit:g}"
    return text + " (interval bound judged)" if judge == "least_favourable" else text
