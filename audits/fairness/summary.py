"""The plain-text view of fairness evidence, for the terminal (scripts read audit.json)."""

from __future__ import annotations

from govern.evidence.fairness import FairnessEvidence

# The four-fifths rule (29 CFR 1607.4(D)): a flag for the reader, not a verdict; policies decide.
FOUR_FIFTHS = 0.8


def _rate(value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "n/a"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def render_text(evidence: FairnessEvidence) -> str:
    """A readable table per attribute: group, n, selection rate, impact ratio, p-value, flags.

    Intervals are the bootstrap percentile intervals at the audit's confidence level; the p-value
    is Holm-adjusted over the groups of the attribute.

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
        reference = evidence.reference_groups.get(attribute, "none")
        lines.append(f"{attribute} (reference: {reference})")
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
            if summary.n is None:
                rows.append((group, "suppressed", "-", "-", "-", "too few to publish"))
                continue
            if summary.status != "ok":
                flags.append(summary.status)
            impact_value = impact[0].value if impact else None
            if impact_value is not None and impact_value < FOUR_FIFTHS:
                flags.append("below 4/5")
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
        unknown = evidence.unknown_counts.get(attribute)
        if unknown:
            lines.append(f"  {unknown} record(s) with {attribute} missing (group 'unknown').")
        lines.append("")
    level = evidence.settings.get("confidence_level")
    n_boot = evidence.settings.get("n_boot")
    lines.append(
        f"{evidence.n_rows} records; {n_boot} bootstrap replicates, {level} percentile intervals."
    )
    return "\n".join(lines)
