"""Numbers, labels and times as an oversight board reads them; one place for every format."""

from __future__ import annotations

import datetime as dt
import os

from govern.errors import BadInputError

BAD_SOURCE_DATE_EPOCH = (
    "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC; got {value!r}. "
    "Unset it or fix its value."
)

VERDICT_LABELS: dict[str, str] = {
    "pass": "Pass",
    "fail": "Fail",
    "waived": "Waived",
    "not_applicable": "Not applicable",
    "insufficient_data": "Not enough data",
}
COUNT_LABELS: dict[str, str] = {
    "pass": "passed",
    "fail": "failed",
    "waived": "waived",
    "not_applicable": "not applicable",
    "insufficient_data": "not enough data",
}
METRIC_LABELS: dict[str, str] = {
    "selection_rate": "Selection rate",
    "impact_ratio": "Impact ratio",
    "scoring_rate": "Scoring rate",
    "scoring_impact_ratio": "Scoring impact ratio",
    "mean_score": "Mean score",
    "true_positive_rate": "True positive rate",
    "false_positive_rate": "False positive rate",
    "precision": "Precision",
    "accuracy_score": "Accuracy",
}
TEST_LABELS = {"fisher_exact": "Fisher exact test", "two_proportion_z": "two-proportion z-test"}


def metric_label(name: str) -> str:
    """A human-readable metric name ('true_positive_rate' -> 'True positive rate')."""
    return METRIC_LABELS.get(name, name.replace("_", " ").capitalize())


def format_number(value: float | None) -> str:
    """Three decimals, or an em dash when the value is undefined."""
    return "—" if value is None else f"{value:.3f}"


def format_interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f"{low:.3f} to {high:.3f}"


def percent_label(confidence: float | None) -> str:
    """``0.95`` -> ``95%`` (the confidence level of the intervals, as the evidence states it)."""
    level = 0.95 if confidence is None else confidence
    return f"{level * 100:g}%"


def generated_at() -> dt.datetime:
    """Now in UTC, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds convention)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        return dt.datetime.fromtimestamp(int(raw), dt.UTC)
    except ValueError:
        raise BadInputError(BAD_SOURCE_DATE_EPOCH.format(value=raw)) from None


def stamp(moment: dt.datetime) -> str:
    """``2026-12-01 18:00 UTC``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def anchor(text: str) -> str:
    """An HTML id from a heading: lower case, words joined by hyphens."""
    kept = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in kept.split("-") if part) or "section"
