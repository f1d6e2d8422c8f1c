"""The plain-text view of fairness evidence, for the terminal (scripts read audit.json)."""

from __future__ import annotations

from govern.evidence.fairness import FairnessEvidence

NOT_JUDGED = "Impact ratios are measured, not judged: a policy's threshold judges them (--policy)."


def _rate(value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "n/a"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _level(evidence: FairnessEvidence) -> str:
    level = evidence.settings.get("confidence_level")
    return f"{float(level) * 100:g}%" if isinstance(level, int | float) else "95%"


def _reference_lines(evidence: FairnessEvidence, attribute: str) -> tuple[str, list[str]]:
    """The attribute's heading and the sentences on its reference and summaries."""
    choice = evidence.reference_for(attribute)
    if choice is None:
        reference = evidence.reference_groups.get(attribute, "none")
        return f"{attribute} (reference: {reference})", []
    shown = choice.group if choice.group is not None else "overall rate"
    heading = f"{attribute} (reference: {shown}{', fallback' if choice.fallback else ''})"
    lines = [f"  Compared with {choice.explanation}"]
    if choice.highest_group not in (None, choice.group):
        lines.append(
            f"  Impact ratios divide by the highest selection rate among qualifying groups: "
            f"'{choice.highest_group}'."
        )
    elif choice.highest_group is None and choice.group is None:
        lines.append("  Impact ratios divide by the overall rate: no group qualifies.")
    coverage = evidence.coverage_for(attribute)
    if coverage is not None and coverage.left_out:
        lines.append(
            "  Attribute-wide figures: fairlearn's over all "
            f"{len(coverage.fairlearn_groups)} groups; the others over the "
            f"{len(coverage.judged_groups)} groups judged (left out: "
            f"{', '.join(coverage.left_out)})."
        )
    if coverage is not None:
        for metric, groups in coverage.counted_as_zero.items():
            lines.append(
                f"  {metric}: fairlearn counts the undefined rate (0/0) of "
                f"{', '.join(groups)} as 0; no interval."
            )
    return heading, lines


def render_text(evidence: FairnessEvidence, *, impact_threshold: float | None = None) -> str:
    """A readable table per attribute: group, n, selection rate, impact ratio, p-value, flags.

    Intervals are at the audit's confidence level, each by the method of its kind (Wilson for
    rates, Miettinen-Nurminen for ratios; ``evidence.interval_methods``); the p-value is
    Holm-adjusted over the groups of the attribute. Under each table: what the groups were
    compared with and why. An impact ratio under ``impact_threshold`` (a policy's, for
    example 0.8 under the four-fifths rule) is flagged; without one nothing is flagged, since
    the threshold is the policy's to set, not the measurement's.

    Examples
    --------
    >>> import pandas as pd
    >>> from govern.audits.fairness import audit_fairness
    >>> df = pd.DataFrame({"hired": [1, 0, 1, 0], "sex": ["F", "F", "M", "M"]})
    >>> print(render_text(audit_fairness(df, y_pred="hired", sensitive="sex", n_boot=0,
    ...                                  min_group_size=1)).splitlines()[0])
    sex (reference: F)
    """
    lines: list[str] = []
    for attribute in evidence.attributes:
        heading, notes = _reference_lines(evidence, attribute)
        choice = evidence.reference_for(attribute)
        lines.append(heading)
        header = ("group", "n", "selection rate [CI]", "impact ratio [CI]", "p (Holm)", "flags")
        rows: list[tuple[str, ...]] = [header]
        for summary in evidence.groups:
            if summary.attribute != attribute:
                continue
            group = summary.group
            selection = evidence.find("selection_rate", attribute=attribute, group=group)
            impact = evidence.find("impact_ratio", attribute=attribute, group=group)
            test = evidence.test_for(attribute, group)
            flags = []
            if summary.is_reference:
                flags.append("reference")
            elif choice is not None and group == choice.highest_group:
                flags.append("highest rate")
            if summary.n is None:
                rows.append((group, "suppressed", "-", "-", "-", "too few to publish"))
                continue
            if summary.status != "ok":
                flags.append(summary.status)
            impact_value = impact[0].value if impact else None
            if (
                impact_threshold is not None
                and impact_value is not None
                and impact_value < impact_threshold
            ):
                flags.append(f"below {impact_threshold:g}")
            if test is not None and test.significant:
                flags.append("significant")
            if test is not None and test.flip_flop:
                flags.append("flip-flop")
            rows.append(
                (
                    group,
                    str(summary.n),
                    _rate(selection[0].value, selection[0].ci_low, selection[0].ci_high)
                    if selection
                    else "n/a",
                    _rate(impact_value, impact[0].ci_low, impact[0].ci_high) if impact else "-",
                    f"{test.p_value_adjusted:.4f}" if test is not None else "-",
                    ", ".join(flags),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            cells = [
                cell.ljust(width) if i in (0, 5) else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  " + "  ".join(cells).rstrip())
        lines.extend(notes)
        unknown = evidence.unknown_counts.get(attribute)
        if unknown:
            lines.append(f"  {unknown} record(s) with {attribute} missing (group 'unknown').")
        lines.append("")
    lines.append(
        f"{evidence.n_rows} records; {_level(evidence)} intervals: Wilson for rates, "
        "Miettinen-Nurminen for ratios, Newcombe for differences (docs/statistics.md)."
    )
    score = evidence.interval_methods.get("score_metrics")
    if score is not None:
        lines.append(f"Score metrics: {score}.")
    if impact_threshold is None:
        lines.append(NOT_JUDGED)
    return "\n".join(lines)
