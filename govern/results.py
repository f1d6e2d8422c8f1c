"""Result types shared by the audits, the policy evaluator, the register and the renderers.

Evidence (``govern.evidence``) is computed once by ``govern.audits`` and is pure data; policies
read it and decide (:class:`RuleResult`, :class:`PolicyResult`); renderers read both. Everything
here is a pydantic model, so it serialises to JSON unchanged.

The tidy metric row (``attribute, group, n, metric, value, ci_low, ci_high``) is the one shape
metrics take everywhere: in JSON output, in ``.to_frame()`` and in logged artifacts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from govern.evidence import Evidence

if TYPE_CHECKING:
    import pandas as pd

TIDY_COLUMNS = ("attribute", "group", "n", "metric", "value", "ci_low", "ci_high")

# Rows that summarise a whole attribute (for example ``demographic_parity_difference``) rather
# than one of its groups carry this in the ``group`` column.
ALL_GROUPS = "*"

# Intersections are named by joining attribute names, and their groups by joining group labels.
INTERSECTION_SEPARATOR = " & "

# A missing value in a sensitive attribute is a group of its own, never silently dropped.
UNKNOWN_GROUP = "unknown"

Verdict = Literal["pass", "fail", "waived", "not_applicable", "insufficient_data"]
Severity = Literal["blocking", "warning", "info"]
# What a policy concludes. Only "pass" is a pass: "inconclusive" means a blocking rule lacked
# evidence or sample size, and keeps the gate closed just as "fail" does.
PolicyStatus = Literal["pass", "fail", "inconclusive"]
# What an insufficient_data verdict does to a blocking rule's policy: "block" (the default)
# makes the policy inconclusive, "warn" reports it as a warning only, "pass" lets it through.
OnInsufficientData = Literal["pass", "warn", "block"]


class MetricRow(BaseModel):
    """One tidy row: the value of one metric for one group of one attribute, with its interval."""

    model_config = ConfigDict(frozen=True)

    attribute: str = Field(description="Sensitive attribute or intersection ('sex & ethnicity').")
    group: str = Field(description=f"Group label, or '{ALL_GROUPS}' for attribute-wide rows.")
    n: int = Field(description="Records (or summed weights, rounded) behind the value.")
    metric: str = Field(description="fairlearn's name where fairlearn has the metric.")
    value: float | None = Field(description="Point estimate; None when undefined (0/0).")
    ci_low: float | None = Field(default=None, description="Lower confidence bound.")
    ci_high: float | None = Field(default=None, description="Upper confidence bound.")


def rows_to_frame(rows: list[MetricRow]) -> pd.DataFrame:
    """Turn tidy rows into a DataFrame with exactly the tidy columns, in order."""
    import pandas as pd

    frame = pd.DataFrame([row.model_dump() for row in rows], columns=list(TIDY_COLUMNS))
    return frame.astype(
        {"n": "int64", "value": "float64", "ci_low": "float64", "ci_high": "float64"}
    )


class WaiverApplied(BaseModel):
    rule_id: str
    justification: str
    approver: str
    expires: dt.date
    expired: bool


class RuleResult(BaseModel):
    """The verdict on one rule, with what was measured and one plain-language sentence."""

    rule_id: str
    title: str
    severity: Severity
    check: str = Field(description="The rule's check kind (metric, transparency, ...).")
    verdict: Verdict
    sentence: str = Field(description="What was found, fit for an oversight board.")
    to_conclude: str | None = Field(
        default=None,
        description="For insufficient_data: what evidence or sample size would settle the rule.",
    )
    on_insufficient_data: OnInsufficientData = Field(
        default="block",
        description="What insufficient_data does to the policy (the rule's setting).",
    )
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    threshold: float | None = None
    comparison: str | None = Field(default=None, description="For example 'impact_ratio >= 0.8'.")
    attribute: str | None = None
    group: str | None = None
    shortfalls: list[tuple[str, str]] = Field(
        default_factory=list,
        description="Every (attribute, group) that fell short of the rule, judged or too small "
        "to judge; reports mark them even where their figures are withheld.",
    )
    details: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    waiver: WaiverApplied | None = None


class PolicyResult(BaseModel):
    """The verdicts of every rule of a policy on one body of evidence.

    The policy **fails** when a blocking rule failed; otherwise it is **inconclusive** when a
    blocking rule could not be judged (``insufficient_data``) and its ``on_insufficient_data``
    is ``block``; otherwise it **passes**. Waived, not-applicable and non-blocking rules never
    fail a policy, and nothing unknown is counted as a pass.
    """

    policy_name: str
    policy_version: str
    policy_sha256: str
    evaluated_on: dt.date
    rules: list[RuleResult]

    @property
    def blocking_failures(self) -> list[RuleResult]:
        return [r for r in self.rules if r.severity == "blocking" and r.verdict == "fail"]

    @property
    def blocking_unknowns(self) -> list[RuleResult]:
        """Blocking rules that could not be judged and that keep the policy inconclusive."""
        return [
            r
            for r in self.rules
            if r.severity == "blocking"
            and r.verdict == "insufficient_data"
            and r.on_insufficient_data == "block"
        ]

    @property
    def warnings(self) -> list[RuleResult]:
        """Rules that did not hold but do not block: failed warnings and info rules, and blocking
        rules whose missing evidence the policy chose to treat as a warning."""
        return [
            r
            for r in self.rules
            if (r.severity != "blocking" and r.verdict == "fail")
            or (
                r.severity == "blocking"
                and r.verdict == "insufficient_data"
                and r.on_insufficient_data == "warn"
            )
        ]

    @property
    def status(self) -> PolicyStatus:
        if self.blocking_failures:
            return "fail"
        if self.blocking_unknowns:
            return "inconclusive"
        return "pass"

    @property
    def passed(self) -> bool:
        """True only when the policy passed: no blocking rule failed or lacked evidence."""
        return self.status == "pass"


class DisclosureRule(BaseModel):
    """Which figures an audit's outputs may publish (the policy's disclosure settings).

    A group (a cell of a table: one group of an attribute or of an intersection) with fewer than
    ``min_size`` people is never shown with its count or rates, in any output; when exactly one
    group of a table is hidden, the next smallest is hidden too, so the first cannot be worked
    out from the total. ``required_by`` names a law that requires every category to be published
    (then nothing is hidden, and documents say which law requires it).
    """

    model_config = ConfigDict(frozen=True)

    min_size: int = Field(10, ge=1, description="Smallest group whose figures may be shown.")
    audience: Literal["internal", "public"] = Field(
        "internal", description="Who reads the outputs: the organisation and its board, or all."
    )
    required_by: str | None = Field(
        default=None, description="Citation of a law requiring every category to be published."
    )


class ModelRef(BaseModel):
    """Which registered model version (if any) an audit is about."""

    name: str
    version: str | None = None
    run_id: str | None = None


class DataFingerprint(BaseModel):
    sha256: str
    n_rows: int
    columns: list[str]
    source: str | None = Field(default=None, description="File name only; never row data.")
    method: str = Field(
        default="rows-sha256",
        description="How sha256 was computed: 'rows-sha256' over the canonical columns in row "
        "order (any engine that can read rows in order), or an engine's own order-free row hash "
        "('duckdb-hash-sum', 'spark-xxhash64-sum'); fingerprints compare only within a method.",
    )


class AuditResult(BaseModel):
    """One audit: what was audited, with which data and policy, the evidence and the verdicts."""

    model_config = ConfigDict(protected_namespaces=())

    govern_version: str
    created_at: dt.datetime
    model: ModelRef | None = None
    data: DataFingerprint
    evidence: Evidence
    policy: PolicyResult | None = None
    disclosure: DisclosureRule = Field(
        default_factory=DisclosureRule,
        description="The disclosure control applied to this result's figures.",
    )

    @property
    def status(self) -> Literal["pass", "fail", "inconclusive", "no_policy"]:
        return "no_policy" if self.policy is None else self.policy.status

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Literal["pass", "fail", "inconclusive", "no_policy"]:
        """The audit's outcome, written at the top level of audit.json for scripts: pass,
        fail, inconclusive (a blocking rule lacked evidence), or no_policy."""
        return self.status


class AuditHistoryEntry(BaseModel):
    """One recorded audit of a model, as the register keeps it: the rows of an audit history.

    Read back from the audit runs of the model (their tags, parameters and headline metrics),
    so a history of many audits needs no artifact downloads.
    """

    run_id: str
    version: str
    audited_at: dt.datetime
    status: Literal["pass", "fail", "inconclusive", "no_policy"]
    policy_name: str = ""
    policy_version: str = ""
    blocking_failed: int | None = None
    blocking_inconclusive: int | None = None
    rules_total: int | None = None
    parity_ratios: dict[str, float] = Field(
        default_factory=dict,
        description="Attribute -> demographic parity ratio (the lowest group's selection rate "
        "over the highest's), where the audit published one.",
    )
