"""The ``drift`` check kind: no group's impact ratio has drifted at the window judged.

Reads :class:`govern.evidence.monitoring.MonitoringEvidence`, which ``govern monitor`` adds to
every window it judges. The rule fails at a window where the drift detector raised an alarm (a
widening of the gap between a group and the reference that month-to-month noise does not
explain); it is ``insufficient_data`` while the detector is still learning the log's level.
"""

from __future__ import annotations

from typing import Literal

from govern.evidence.monitoring import MonitoringEvidence
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind


class DriftCheck(CheckModel):
    """No drift alarm at the window judged."""

    kind: Literal["drift"]


def evaluate_drift(
    check: DriftCheck, evidence: MonitoringEvidence | None, context: RuleContext
) -> Finding:
    assert evidence is not None  # absence is handled by the evaluator
    window = evidence.window.label
    threshold = float(evidence.detector.get("h", 0.0))
    common = {"threshold": threshold, "comparison": f"drift_cusum <= {threshold:.2f}"}
    alarms = evidence.current_alarms
    if alarms:
        worst = max(alarms, key=lambda a: a.statistic)
        more = len(alarms) - 1
        tail = f"; {more} other group(s) also drifted" if more else ""
        return Finding(
            verdict="fail",
            sentence=f"{worst.sentence}{tail}.",
            value=worst.statistic,
            attribute=worst.attribute,
            group=worst.group,
            details=[a.sentence for a in alarms[1:]],
            **common,
        )
    steps = [s for s in evidence.drift if s.window == evidence.drift_window and s.z is not None]
    if not steps:
        warmup = int(evidence.detector.get("warmup", 0))
        return Finding(
            verdict="insufficient_data",
            sentence=f"Too few windows judged to tell drift from noise at {window}: the "
            f"detector learns the level of each impact ratio from the first {warmup} windows.",
            to_conclude=f"Monitor at least {warmup + 1} windows in which the groups are large "
            "enough to judge.",
            **common,
        )
    top = max(steps, key=lambda s: max(s.lower, s.upper))
    statistic = max(top.lower, top.upper)
    noted = [
        a.sentence for a in evidence.alarms if a.window == evidence.drift_window and not a.is_alarm
    ]
    return Finding(
        verdict="pass",
        sentence=f"No drift at {window}: the largest cumulative change in an impact ratio "
        f"(group '{top.group}' of {top.attribute} against '{top.reference}') is "
        f"{statistic:.2f}, under the alarm line of {threshold:.2f}.",
        value=statistic,
        attribute=top.attribute,
        group=top.group,
        details=noted,
        **common,
    )


KIND: CheckKind[DriftCheck, MonitoringEvidence] = register_check_kind(
    CheckKind(
        key="drift",
        schema=DriftCheck,
        evidence=MonitoringEvidence,
        evaluate=evaluate_drift,
        describe=lambda check: "no drift alarm on an impact ratio",
        missing_evidence="No monitoring evidence was gathered (a decision log judged period by "
        "period), so drift could not be judged.",
        to_gather="Monitor the decision log over time with govern monitor --time COLUMN "
        "--every month.",
    )
)
