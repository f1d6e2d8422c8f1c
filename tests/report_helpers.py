"""Hand-built audit results for the rendering tests (the engine is tested elsewhere).

Results are cached: tests must not mutate them (use ``model_copy``).

The figures are computed here from the synthetic recruitment data with plain pandas, the
Wilson score interval (Wilson 1927) and, for impact ratios, the engine's score interval, so they
are realistic; rendering tests only check how they are shown, never how they were computed.
"""

from __future__ import annotations

import datetime as dt
import functools
import math

import pandas as pd

from govern.audits.fairness.intervals import miettinen_nurminen_interval
from govern.audits.fairness.reference import CHOSEN_HIGHEST
from govern.datasets import recruitment
from govern.evidence import Evidence
from govern.evidence.fairness import (
    FairnessEvidence,
    GroupSummary,
    ReferenceChoice,
    SelectionRateTest,
)
from govern.results import (
    ALL_GROUPS,
    INTERSECTION_SEPARATOR,
    AuditResult,
    DataFingerprint,
    DisclosureRule,
    MetricRow,
    ModelRef,
    PolicyResult,
    RuleResult,
    WaiverApplied,
)

MIN_GROUP_SIZE = 30
Z95 = 1.959963984540054


def wilson(selected: int, n: int) -> tuple[float, float]:
    p = selected / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return centre - half, centre + half


def fairness_evidence(frame: pd.DataFrame, attributes: list[str]) -> FairnessEvidence:
    metrics: list[MetricRow] = []
    disparities: list[MetricRow] = []
    groups: list[GroupSummary] = []
    references: dict[str, str] = {}
    choices: list[ReferenceChoice] = []
    unknown: dict[str, int] = {}
    names = [*attributes, INTERSECTION_SEPARATOR.join(attributes)]
    for name in names:
        parts = name.split(INTERSECTION_SEPARATOR)
        known = frame.dropna(subset=parts)
        unknown[name] = len(frame) - len(known)
        label = known[parts].astype(str).agg(INTERSECTION_SEPARATOR.join, axis=1)
        table = known.groupby(label)["hired"].agg(["sum", "count"]).sort_index()
        rates = table["sum"] / table["count"]
        eligible = rates[table["count"] >= MIN_GROUP_SIZE]
        reference = str(eligible.idxmax())
        references[name] = reference
        choices.append(
            ReferenceChoice(
                attribute=name,
                rule="highest_selection_rate",
                group=reference,
                fallback=False,
                highest_group=reference,
                explanation=CHOSEN_HIGHEST.format(
                    group=reference, rule=f"{MIN_GROUP_SIZE} or more records"
                ),
            )
        )
        for group, row in table.iterrows():
            n, s = int(row["count"]), int(row["sum"])
            status = "ok" if n >= MIN_GROUP_SIZE else "insufficient_data"
            groups.append(
                GroupSummary(
                    attribute=name,
                    group=str(group),
                    n=n,
                    share=n / len(frame),
                    status=status,
                    is_reference=group == reference,
                )
            )
            low, high = wilson(s, n)
            metrics.append(
                MetricRow(
                    attribute=name,
                    group=str(group),
                    n=n,
                    metric="selection_rate",
                    value=s / n,
                    ci_low=low,
                    ci_high=high,
                )
            )
            ratio = (s / n) / rates[reference]
            # The reference's own ratio is the reference (no interval); the others get the
            # engine's score interval, as an audit would report them.
            ratio_low = ratio_high = None
            if group != reference:
                ref_n, ref_s = int(table.loc[reference, "count"]), int(table.loc[reference, "sum"])
                low_ratio, high_ratio = miettinen_nurminen_interval(s, n, ref_s, ref_n)
                ratio_low, ratio_high = float(low_ratio), float(high_ratio)
            disparities.append(
                MetricRow(
                    attribute=name,
                    group=str(group),
                    n=n,
                    metric="impact_ratio",
                    value=ratio,
                    ci_low=ratio_low,
                    ci_high=ratio_high,
                )
            )
        disparities.append(
            MetricRow(
                attribute=name,
                group=ALL_GROUPS,
                n=len(known),
                metric="demographic_parity_difference",
                value=float(eligible.max() - eligible.min()),
            )
        )
    tests = [
        SelectionRateTest(
            attribute="sex",
            group="female",
            reference="male",
            n=1000,
            selected=210.0,
            reference_n=950,
            reference_selected=290.0,
            impact_ratio=0.69,
            test="two_proportion_z",
            statistic=-4.6,
            p_value=4e-6,
            p_value_adjusted=4e-6,
            significant=True,
            shortfall=95.6,
            flip_flop=False,
        )
    ]
    return FairnessEvidence(
        n_rows=len(frame),
        attributes=names,
        intersections=[attributes],
        reference_groups=references,
        groups=groups,
        metrics=metrics,
        disparities=disparities,
        tests=tests,
        unknown_counts=unknown,
        settings={"min_group_size": MIN_GROUP_SIZE, "confidence_level": 0.95},
        references=choices,
    )


@functools.lru_cache(maxsize=8)
def make_audit(
    *, model_name: str = "cv-screening", with_policy: bool = True, failing: bool = True
) -> AuditResult:
    frame = recruitment(2000, seed=0, disparity=0.3)
    evidence = fairness_evidence(frame, ["sex", "ethnicity"])
    female_ir = next(
        r for r in evidence.disparities if r.attribute == "sex" and r.group == "female"
    )
    rules = [
        RuleResult(
            rule_id="four-fifths-sex",
            title="Four-fifths rule by sex",
            severity="blocking",
            check="metric",
            verdict="fail" if failing else "pass",
            sentence=f"Women were selected at {female_ir.value:.2f} times the rate of men, "
            "below the 0.8 required.",
            value=female_ir.value,
            ci_low=female_ir.ci_low,
            ci_high=female_ir.ci_high,
            threshold=0.8,
            comparison="impact_ratio >= 0.8",
            attribute="sex",
            group="female",
            shortfalls=[("sex", "female")],
        ),
        RuleResult(
            rule_id="intersections",
            title="Intersectional impact ratio",
            severity="warning",
            check="metric",
            verdict="insufficient_data",
            sentence="Two intersectional groups are too small to judge.",
        ),
        RuleResult(
            rule_id="card-complete",
            title="Model card complete",
            severity="blocking",
            check="documentation",
            verdict="waived",
            sentence="Three required fields are empty.",
            waiver=WaiverApplied(
                rule_id="card-complete",
                justification="pilot phase",
                approver="Chief Data Officer",
                expires=dt.date(2027, 1, 31),
                expired=False,
            ),
        ),
    ]
    policy = (
        PolicyResult(
            policy_name="public-sector-recruitment",
            policy_version="1.0.0",
            policy_sha256="c" * 64,
            evaluated_on=dt.date(2026, 11, 24),
            rules=rules,
        )
        if with_policy
        else None
    )
    return AuditResult(
        govern_version="0.1.0",
        created_at=dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC),
        model=ModelRef(name=model_name, version="3", run_id="abc123"),
        data=DataFingerprint(
            sha256="d" * 64, n_rows=len(frame), columns=list(frame.columns), source="applicants.csv"
        ),
        evidence=Evidence(fairness=evidence),
        policy=policy,
        # These documents withhold the figures of every group under the minimum group size.
        disclosure=DisclosureRule(min_size=MIN_GROUP_SIZE),
    )


def suppressed_groups(audit: AuditResult) -> list[GroupSummary]:
    fairness = audit.evidence.get(FairnessEvidence)
    assert fairness is not None
    return [g for g in fairness.groups if g.status == "insufficient_data"]
