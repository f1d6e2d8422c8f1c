"""A plain-text view of transparency evidence, for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from govern.evidence.transparency import TransparencyEvidence

# The strongest single-input proxies and the most important inputs listed in the terminal.
SHOWN = 8


def _interval(low: float | None, high: float | None, fmt: str = "{:.3f}") -> str:
    return "" if low is None or high is None else f" [{fmt.format(low)}, {fmt.format(high)}]"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _inputs(evidence: TransparencyEvidence) -> list[str]:
    if evidence.model_inputs is None:
        return ["Inputs: not known (name them with --features to measure proxies)."]
    lines = [
        f"Inputs ({len(evidence.model_inputs)}, from {evidence.input_source or 'the audit'}): "
        + ", ".join(evidence.model_inputs)
    ]
    uses = evidence.direct_use or []
    if uses:
        lines += [f"  DIRECT USE: {use.detail}" for use in uses]
    else:
        lines.append("  No input is, is named after or copies a sensitive attribute.")
    return lines


def _proxies(evidence: TransparencyEvidence) -> list[str]:
    if not evidence.proxies:
        return []
    rows = [
        (
            p.feature,
            p.attribute,
            f"{p.strength:.3f}{_interval(p.ci_low, p.ci_high)}",
            p.method,
            "-" if p.mutual_information is None else f"{p.mutual_information:.3f}",
        )
        for p in evidence.proxies[:SHOWN]
    ]
    lines = ["Proxies, one input at a time (strength 0-1, strongest first):"]
    lines += _table(("input", "attribute", "strength [CI]", "method", "NMI"), rows)
    for combined in evidence.combined_proxies:
        carriers = ", ".join(combined.carried_by())
        lines.append(
            f"All inputs together predict {combined.attribute}: ROC AUC {combined.auc:.3f}"
            f"{_interval(combined.ci_low, combined.ci_high)} for group '{combined.group}' "
            f"(0.5 is guessing){'; carried by ' + carriers if carriers else ''}"
        )
    return lines


def _explanation(evidence: TransparencyEvidence) -> list[str]:
    if not evidence.global_explanation:
        return ["What drives the decisions: not measured (no model)."]
    first = evidence.global_explanation[0]
    lines = [
        f"What drives the decisions (share changed when the input is shuffled, "
        f"{first.n_repeats} repeats, {first.n:,} people):"
    ]
    rows = [
        (f.feature, f"{f.importance:.1%}{_interval(f.ci_low, f.ci_high, '{:.1%}')}")
        for f in evidence.global_explanation[:SHOWN]
    ]
    lines += _table(("input", "decisions changed [CI]"), rows)
    share = evidence.proxy_importance
    if share is not None and share.features:
        lines.append(
            f"Proxies ({', '.join(share.features)}) carry {share.share:.1%}"
            f"{_interval(share.ci_low, share.ci_high, '{:.1%}')} of the importance."
        )
    for gap in evidence.importance_gaps:
        lines.append(
            f"By {gap.attribute}: '{gap.feature}' carries {gap.high_share:.0%} for "
            f"'{gap.high_group}' and {gap.low_share:.0%} for '{gap.low_group}' "
            f"(gap {gap.gap:.3f}{_interval(gap.ci_low, gap.ci_high)})"
        )
    return lines


def _individual(evidence: TransparencyEvidence) -> list[str]:
    fair = evidence.individual_fairness
    if fair is None:
        return []
    lines = []
    if fair.consistency is not None:
        lines.append(
            f"Consistency ({fair.n_neighbors} nearest neighbours): {fair.consistency:.3f}"
            f"{_interval(fair.consistency_ci_low, fair.consistency_ci_high)}"
        )
    if fair.theil_index is not None:
        lines.append(
            f"Theil index of benefits: {fair.theil_index:.3f}"
            f"{_interval(fair.theil_ci_low, fair.theil_ci_high)}"
        )
    return lines


def render_text(evidence: TransparencyEvidence) -> str:
    """The evidence as a few readable blocks: inputs and direct use, proxies, what drives the
    decisions, individual fairness. Intervals are at the audit's confidence level.

    Examples
    --------
    >>> print(render_text(TransparencyEvidence(model_inputs=["age"], direct_use=[])))
    Inputs (1, from the audit): age
      No input is, is named after or copies a sensitive attribute.
    What drives the decisions: not measured (no model).
    """
    blocks = [_inputs(evidence), _proxies(evidence), _explanation(evidence), _individual(evidence)]
    return "\n".join(line for block in blocks for line in block)
