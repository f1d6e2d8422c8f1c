"""Plain-text and JSON views of ranking evidence, for the terminal and for scripts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from govern.evidence.fairness import GroupSummary
from govern.evidence.ranking import RankingEvidence

NOT_JUDGED = "Ratios are measured, not judged: a policy's threshold judges them (--policy)."


def _value(evidence: RankingEvidence, metric: str, **where: Any) -> str:
    rows = evidence.find(metric, **where)
    if not rows or rows[0].value is None:
        return "-"
    row = rows[0]
    if row.ci_low is None or row.ci_high is None:
        return f"{row.value:.3f}"
    return f"{row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"


def _table(header: Sequence[str], rows: Sequence[tuple[str, ...]]) -> list[str]:
    table = [tuple(header), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    last = len(header) - 1
    return [
        "  "
        + "  ".join(
            cell.ljust(width) if i in (0, last) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]


def _flags(
    summary: GroupSummary, reference: str | None, ratio: str, threshold: float | None
) -> str:
    flags = []
    if reference is not None and summary.group == reference:
        flags.append("best-served")
    if summary.status != "ok":
        flags.append(summary.status)
    value = ratio.split(" ")[0]
    if threshold is not None and value not in ("-", "") and float(value) < threshold:
        flags.append(f"below {threshold:g}")
    return ", ".join(flags)


def _suppressed(summary: GroupSummary, width: int) -> tuple[str, ...] | None:
    """The row of a group too small to publish, or None for a group that may be shown."""
    if summary.n is not None:
        return None
    return (summary.group, "suppressed", *("-" for _ in range(width - 3)), "too few to publish")


def _user_rows(
    evidence: RankingEvidence,
    attribute: str,
    where: dict[str, Any],
    metrics: tuple[str, str, str],
    reference: str | None,
    threshold: float | None,
) -> list[tuple[str, ...]]:
    """One row per group of users: its size, a rate, the rate's ratio, a third figure, flags."""
    rate, ratio_metric, third = metrics
    rows = []
    for summary in evidence.groups:
        if summary.attribute != attribute:
            continue
        if (hidden := _suppressed(summary, 6)) is not None:
            rows.append(hidden)
            continue
        at = {**where, "attribute": attribute, "group": summary.group}
        ratio = _value(evidence, ratio_metric, **at)
        rows.append(
            (
                summary.group,
                str(summary.n),
                _value(evidence, rate, **at),
                ratio,
                _value(evidence, third, **at),
                _flags(summary, reference, ratio, threshold),
            )
        )
    return rows


def _category_lines(
    evidence: RankingEvidence, category: str, attribute: str, threshold: float | None
) -> list[str]:
    reference = evidence.reference("top_k_category_rate", attribute, category)
    metrics = ("top_k_category_rate", "top_k_category_rate_ratio", "mean_best_rank")
    rows = _user_rows(evidence, attribute, {"category": category}, metrics, reference, threshold)
    header = (
        "group",
        "users",
        f"offered in top {evidence.k} [CI]",
        "vs best-served [CI]",
        "mean best rank [CI]",
        "flags",
    )
    return [f"{category!r} by {attribute}", *_table(header, rows), ""]


def _outcome_lines(evidence: RankingEvidence, attribute: str, threshold: float | None) -> list[str]:
    if not evidence.find("hit_rate", attribute=attribute):
        return []
    reference = evidence.reference("hit_rate", attribute, None)
    metrics = ("hit_rate", "hit_rate_ratio", "ndcg_at_k")
    rows = _user_rows(evidence, attribute, {}, metrics, reference, threshold)
    header = ("group", "users", "hit rate [CI]", "vs best-served [CI]", "NDCG [CI]", "flags")
    return [f"outcomes by {attribute}", *_table(header, rows), ""]


def _item_lines(evidence: RankingEvidence, threshold: float | None) -> list[str]:
    attribute = evidence.item_attribute
    if attribute is None:
        return []
    rows = []
    for summary in evidence.item_groups:
        if (hidden := _suppressed(summary, 7)) is not None:
            rows.append(hidden)
            continue
        where = {"attribute": attribute, "group": summary.group}
        ratio = _value(evidence, "exposure_to_pool_ratio", **where)
        rows.append(
            (
                summary.group,
                str(summary.n),
                _value(evidence, "pool_share", **where),
                _value(evidence, "top_k_share", **where),
                ratio,
                _value(evidence, "skew_at_k", **where),
                _flags(summary, None, ratio, threshold),
            )
        )
    header = (
        "group",
        "items",
        "pool share [CI]",
        f"top-{evidence.k} share [CI]",
        "exposure / pool [CI]",
        "skew@k [CI]",
        "flags",
    )
    lines = [f"items by {attribute}", *_table(header, rows)]
    lines.append(f"  NDKL over lists: {_value(evidence, 'ndkl', attribute=attribute)}")
    return [*lines, ""]


def render_text(evidence: RankingEvidence, *, ratio_threshold: float | None = None) -> str:
    """Readable tables: each category by each attribute, outcomes, and the items.

    A ratio under ``ratio_threshold`` (a policy's) is flagged; without one nothing is flagged
    and the last line says the ratios were not judged.

    Examples
    --------
    >>> import pandas as pd
    >>> from govern.audits.ranking import audit_recommendations
    >>> log = pd.DataFrame({"user": ["a", "b"], "rank": [1, 1], "sex": ["F", "M"],
    ...                     "track": ["lead", "tech"]})
    >>> text = render_text(audit_recommendations(log, user="user", rank="rank", k=1,
    ...     sensitive="sex", item_category="track", n_boot=0, min_group_size=1))
    >>> print(text.splitlines()[0])
    'lead' by sex
    """
    lines: list[str] = []
    for category in evidence.categories:
        for attribute in evidence.attributes:
            lines += _category_lines(evidence, category, attribute, ratio_threshold)
    for attribute in evidence.attributes:
        lines += _outcome_lines(evidence, attribute, ratio_threshold)
    lines += _item_lines(evidence, ratio_threshold)
    for attribute, count in evidence.unknown_counts.items():
        if count:
            unit = "item(s)" if attribute == evidence.item_attribute else "user(s)"
            lines.append(f"{count} {unit} with {attribute} missing (group 'unknown').")
    level = evidence.settings.get("confidence_level")
    n_boot = evidence.settings.get("n_boot")
    lines.append(
        f"{evidence.n_rows} rows, {evidence.n_users} users (lists), top {evidence.k} audited; "
        f"{n_boot} bootstrap replicates resampling users, {level} percentile intervals."
    )
    if ratio_threshold is None:
        lines.append(NOT_JUDGED)
    return "\n".join(lines)


def to_json_payload(evidence: RankingEvidence) -> dict[str, Any]:
    """The rows (tidy, with their category), group summaries and settings as JSON-ready data.

    Examples
    --------
    >>> import pandas as pd
    >>> from govern.audits.ranking import audit_recommendations
    >>> log = pd.DataFrame({"user": ["a", "b"], "rank": [1, 1], "sex": ["F", "M"]})
    >>> payload = to_json_payload(audit_recommendations(log, user="user", rank="rank", k=1,
    ...                                                 sensitive="sex", n_boot=0))
    >>> payload["kind"], payload["n_users"]
    ('ranking', 2)
    """
    return {
        "kind": "ranking",
        "n_rows": evidence.n_rows,
        "n_users": evidence.n_users,
        "k": evidence.k,
        "columns": evidence.columns,
        "categories": evidence.categories,
        "attributes": evidence.attributes,
        "item_attribute": evidence.item_attribute,
        "unknown_counts": evidence.unknown_counts,
        "settings": evidence.settings,
        "groups": [g.model_dump(mode="json") for g in evidence.groups],
        "item_groups": [g.model_dump(mode="json") for g in evidence.item_groups],
        "references": [r.model_dump(mode="json") for r in evidence.references],
        "rows": [r.model_dump(mode="json") for r in evidence.rows()],
    }
