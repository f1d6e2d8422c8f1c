"""Numbers, labels and times as an oversight board reads them; one place for every format."""

from __future__ import annotations

import datetime as dt
import os

from govern.errors import BadInputError
from govern.vocabulary import PURPOSE_WORDS, Purpose

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
# How many rules had each outcome, in the order the report groups them (a badge of
# rule_badge): singular and plural.
COUNT_LABELS: dict[str, tuple[str, str]] = {
    "fail": ("blocking rule not met", "blocking rules not met"),
    "insufficient_data": ("rule not checked", "rules not checked"),
    "warning": ("warning", "warnings"),
    "waived": ("waived", "waived"),
    "pass": ("met", "met"),
    "not_applicable": ("not applicable", "not applicable"),
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
# What the check kinds measure besides the fairness metrics, in a board member's words.
MEASURE_LABELS: dict[str, str] = {
    "audit_age_days": "Days since the last audit",
    "missing_register_fields": "Empty fields in the register entry",
    "substantive_fields": "Required model-card fields written",
    "sensitive_inputs": "Sensitive attributes the model reads",
    "proxy_strength": "Strength of the strongest proxy (0 none, 1 full)",
    "combined_proxy_auc": "How well the inputs together predict the attribute (ROC AUC, 0.5 "
    "is guessing, 1 certain)",
    "proxy_importance_share": "Share of what drives the decisions carried by proxies",
    "importance_share_gap": "Largest difference between groups in what drives the decisions",
}
# Every purpose of the register's vocabulary (govern.vocabulary.PURPOSES), in a few words.
PURPOSE_LABELS: dict[Purpose, str] = PURPOSE_WORDS
# Measures counted in whole units: shown as "7", never "7.000".
WHOLE_NUMBER_SUFFIXES = ("_days", "_count", "_fields", "_inputs")
COMPARISON_WORDS = {
    ">=": "at least",
    ">": "more than",
    "<=": "at most",
    "<": "less than",
    "==": "exactly",
    "!=": "other than",
}
# A rule's verdict as the report's badge says it: a rule is met or not met (a policy passes or
# not); a rule that fails without blocking is a warning.
RULE_LABELS: dict[str, str] = {
    "pass": "Met",
    "fail": "Not met",
    "warning": "Warning",
    "waived": "Waived",
    "not_applicable": "Not applicable",
    "insufficient_data": "Not enough data",
}


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: ``1 rule``, ``3 rules``, ``1,250 records``.

    Examples
    --------
    >>> count_of(1, "blocking rule"), count_of(3, "warning"), count_of(2, "entry", "entries")
    ('1 blocking rule', '3 warnings', '2 entries')
    """
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def rule_counts(verdicts_and_severities: list[tuple[str, str]]) -> list[str]:
    """How many rules had each outcome, in the order the report groups them.

    Examples
    --------
    >>> rule_counts([("fail", "blocking"), ("fail", "warning"), ("pass", "info")])
    ['1 blocking rule not met', '1 warning', '1 met']
    """
    badges = [rule_badge(verdict, severity) for verdict, severity in verdicts_and_severities]
    return [
        count_of(badges.count(badge), *COUNT_LABELS[badge])
        for badge in COUNT_LABELS
        if badge in badges
    ]


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


def measure_label(name: str) -> str:
    """The name of what a rule measured, in words ('audit_age_days' -> 'Days since ...')."""
    return MEASURE_LABELS.get(name) or metric_label(name)


def is_whole_number_measure(name: str) -> bool:
    return name.endswith(WHOLE_NUMBER_SUFFIXES)


def requirement_words(comparison: str | None) -> str:
    """A rule's requirement in words: ``impact_ratio >= 0.8`` -> ``Impact ratio at least 0.8``.

    Examples
    --------
    >>> requirement_words("missing_register_fields <= 0")
    'Empty fields in the register entry: none'
    >>> requirement_words("audit_age_days <= 365")
    'Days since the last audit: at most 365'
    """
    if not comparison:
        return ""
    parts = comparison.split()
    if len(parts) != 3 or parts[1] not in COMPARISON_WORDS:
        return comparison
    name, operator, threshold = parts
    label = measure_label(name)
    if operator == "<=" and threshold in ("0", "0.0"):
        return f"{label}: none"
    words = COMPARISON_WORDS[operator]
    if name in MEASURE_LABELS:
        return f"{label}: {words} {threshold}"
    return f"{label} {words} {threshold}"


def rule_badge(verdict: str, severity: str) -> str:
    """The badge kind of a rule: its verdict, except that a non-blocking failure is a warning."""
    return "warning" if verdict == "fail" and severity != "blocking" else verdict


def purpose_label(purpose: str) -> str:
    """A purpose in a few words: ``recruitment`` -> ``Recruitment or selection``.

    Examples
    --------
    >>> purpose_label("promotion")
    'Decisions on promotion'
    """
    known = {str(key): label for key, label in PURPOSE_LABELS.items()}
    return known.get(purpose, purpose.replace("_", " ").capitalize())
