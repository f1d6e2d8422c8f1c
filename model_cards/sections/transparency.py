"""The transparency section: what the model reads, which inputs stand in for a sensitive
attribute (alone and together), what drives its decisions (a chart with intervals), whether that
differs between groups, and whether similar people are treated alike, in words a board member
understands.

Every figure is an aggregate; group profiles exist only for groups at or above the policy's
minimum size (the audit does not measure smaller ones), so nothing here needs suppressing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from govern.evidence.transparency import (
    CombinedProxy,
    FeatureImportance,
    ProxyScore,
    TransparencyEvidence,
)
from govern.model_cards.charts import ChartPoint, importance_chart_svg
from govern.model_cards.context import SectionContext
from govern.model_cards.glossary import Term, register_term
from govern.model_cards.sections import SectionInputs, register_report_section

# Strength of a single-input proxy in words (Cramér's V or η, 0 to 1).
STRENGTH_WORDS = (
    (0.5, "strong: it gives the attribute away for many people"),
    (0.3, "moderate: it says a fair amount about the attribute"),
    (0.1, "weak"),
    (0.0, "no real link"),
)
# ROC AUC of the combined prediction in words (0.5 guessing, 1 asking).
AUC_WORDS = (
    (0.9, "almost as well as asking"),
    (0.8, "well"),
    (0.7, "fairly well"),
    (0.6, "a little better than guessing"),
    (0.0, "hardly better than guessing"),
)
# Proxies shown in the table: every pair at least this strong, and at least the strongest few.
SHOWN_STRENGTH = 0.1
SHOWN_AT_LEAST = 3
# Inputs drawn in the chart and listed in the group profiles.
CHART_INPUTS = 15
PROFILE_INPUTS = 5
METHODS = {"cramers_v": "Cramér's V", "correlation_ratio": "correlation ratio η"}
NO_PROXY_DRAWN = "No input is a proxy."

INTRO = (
    "Which personal characteristics the model reads, which of its inputs stand in for them "
    "(one by one and all together), what drives its decisions, and whether people alike are "
    "treated alike. Intervals are {level} confidence intervals: the wider they are, the less the "
    "data can tell."
)


class _Context(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProxyRowContext(_Context):
    input: str
    attribute: str
    strength: str = Field(description="Strength, formatted ('0.55').")
    interval: str = Field(description="Its interval ('0.53 to 0.56'), or ''.")
    measure: str = Field(description="How it was measured, in words.")
    information: str = Field(description="Normalised mutual information, formatted, or '—'.")
    words: str = Field(description="The strength in words.")


class CombinedRowContext(_Context):
    attribute: str
    group: str = Field(description="The group the inputs single out best.")
    auc: str
    interval: str
    words: str = Field(description="How well, in words ('well').")
    carriers: str = Field(description="Inputs that carry it, or '—'.")
    sentence: str


class ImportanceRowContext(_Context):
    input: str
    changed: str = Field(description="Share of decisions that change, as a percentage.")
    changed_interval: str
    accuracy: str = Field(description="Accuracy lost, in points, or '—' without outcomes.")
    proxy: str = Field(description="The attributes it stands in for, or ''.")


class ProfileContext(_Context):
    attribute: str
    inputs: list[str]
    rows: list[tuple[str, str, list[str]]] = Field(
        description="(group, people, share of each input as a percentage)."
    )
    sentence: str = Field(description="The largest difference between groups, in words.")


class TransparencySectionContext(_Context):
    level: str
    direct_use: str = Field(description="Whether sensitive attributes are inputs, in words.")
    direct_details: list[str]
    proxies: list[ProxyRowContext]
    proxies_hidden: int = Field(description="Pairs with no real link, not listed.")
    combined: list[CombinedRowContext]
    importance: list[ImportanceRowContext]
    importance_sentence: str
    proxy_share: str = Field(description="Share of importance carried by proxies, or ''.")
    chart_svg: str = Field(description="Inline SVG made by govern (trusted), or ''.")
    chart_alt: str
    profiles: list[ProfileContext]
    individual: list[str] = Field(description="Consistency and inequality, one sentence each.")


def _words(value: float, scale: tuple[tuple[float, str], ...]) -> str:
    return next(words for floor, words in scale if value >= floor)


def _pair(low: float | None, high: float | None, fmt: str = "{:.2f}") -> str:
    if low is None or high is None:
        return ""
    return f"{fmt.format(low)} to {fmt.format(high)}"


def _direct_use(part: TransparencyEvidence) -> tuple[str, list[str]]:
    if part.model_inputs is None:
        return "The model's inputs are not known (a tool audited on its decisions only).", []
    where = f" (read from {part.input_source})" if part.input_source else ""
    if part.direct_use:
        names = sorted({u.input for u in part.direct_use})
        return (
            f"The model reads sensitive attributes among its {len(part.model_inputs)} inputs"
            f"{where}: {', '.join(names)}.",
            [u.detail for u in part.direct_use],
        )
    return (
        f"None of the model's {len(part.model_inputs)} inputs{where} is, is named after or copies "
        f"a sensitive attribute ({', '.join(part.sensitive_attributes)}).",
        [],
    )


def _proxy_rows(proxies: list[ProxyScore]) -> tuple[list[ProxyRowContext], int]:
    ranked = sorted(proxies, key=lambda p: (-p.strength, p.attribute, p.feature))
    shown = [p for i, p in enumerate(ranked) if p.strength >= SHOWN_STRENGTH or i < SHOWN_AT_LEAST]
    rows = [
        ProxyRowContext(
            input=p.feature,
            attribute=p.attribute,
            strength=f"{p.strength:.2f}",
            interval=_pair(p.ci_low, p.ci_high),
            measure=METHODS.get(p.method, p.method),
            information="—" if p.mutual_information is None else f"{p.mutual_information:.2f}",
            words=_words(p.strength, STRENGTH_WORDS),
        )
        for p in shown
    ]
    return rows, len(ranked) - len(shown)


def _combined_row(found: CombinedProxy, level: str) -> CombinedRowContext:
    carriers = found.carried_by()
    words = _words(found.auc, AUC_WORDS)
    interval = _pair(found.ci_low, found.ci_high)
    tail = (
        f" The model could tell {found.attribute} without being given it."
        if found.auc >= 0.7
        else ""
    )
    return CombinedRowContext(
        attribute=found.attribute,
        group=found.group,
        auc=f"{found.auc:.2f}",
        interval=interval,
        words=words,
        carriers=", ".join(carriers) or "—",
        sentence=f"All inputs together predict {found.attribute} {words} (ROC AUC "
        f"{found.auc:.2f}{f', {level} interval {interval}' if interval else ''}, for group "
        f"'{found.group}'; 0.5 is guessing, 1 is as good as asking).{tail}",
    )


def _flagged(part: TransparencyEvidence) -> dict[str, list[str]]:
    flag = part.proxy_importance.flag_strength if part.proxy_importance else 0.3
    found: dict[str, list[str]] = {}
    for p in part.proxies:
        if p.strength >= flag:
            found.setdefault(p.feature, []).append(p.attribute)
    return found


def _importance_rows(
    part: TransparencyEvidence, flagged: dict[str, list[str]]
) -> list[ImportanceRowContext]:
    accuracy = {f.feature: f for f in part.accuracy_importance or []}
    rows = []
    for item in part.global_explanation or []:
        lost = accuracy.get(item.feature)
        rows.append(
            ImportanceRowContext(
                input=item.feature,
                changed=f"{item.importance:.1%}",
                changed_interval=_pair(item.ci_low, item.ci_high, "{:.1%}"),
                accuracy="—" if lost is None else f"{lost.importance * 100:.1f}",
                proxy=", ".join(flagged.get(item.feature, [])),
            )
        )
    return rows


def _importance_sentence(top: FeatureImportance | None, level: str) -> str:
    if top is None:
        return (
            "No explanation of the model was measured (the model itself was not available), so "
            "nobody can say from this audit which inputs drive its decisions."
        )
    interval = _pair(top.ci_low, top.ci_high, "{:.0%}")
    return (
        f"The input that matters most is '{top.feature}': shuffling it among people changes "
        f"{top.importance:.0%} of the model's decisions"
        f"{f' ({level} interval {interval})' if interval else ''}. The chart and table show "
        f"every input the same way ({top.n_repeats or 0} shuffles of {top.n or 0:,} people)."
    )


def _proxy_share(part: TransparencyEvidence, level: str) -> str:
    share = part.proxy_importance
    if share is None:
        return ""
    if not share.features:
        return (
            f"No input stands in for a sensitive attribute with strength {share.flag_strength:g} "
            "or more, so none of what drives the decisions comes from a proxy."
        )
    interval = _pair(share.ci_low, share.ci_high, "{:.0%}")
    return (
        f"Inputs that stand in for a sensitive attribute ({', '.join(share.features)}) carry "
        f"{share.share:.0%} of what drives the decisions"
        f"{f' ({level} interval {interval})' if interval else ''}."
    )


def _profiles(part: TransparencyEvidence) -> list[ProfileContext]:
    top = [f.feature for f in (part.global_explanation or [])[:PROFILE_INPUTS]]
    profiles = []
    for gap in part.importance_gaps:
        rows = []
        for group in gap.groups_measured:
            shares = {
                g.feature: g
                for g in part.importance_by_group
                if g.attribute == gap.attribute and g.group == group
            }
            n = next(iter(shares.values())).n if shares else 0
            rows.append(
                (group, f"{n:,}", [f"{shares[f].share:.0%}" if f in shares else "—" for f in top])
            )
        small = (
            " Not shown, to protect small groups (too few people, or withheld so that a "
            f"smaller group's figures cannot be worked out): {', '.join(gap.not_measured)}."
            if gap.not_measured
            else ""
        )
        profiles.append(
            ProfileContext(
                attribute=gap.attribute,
                inputs=top,
                rows=rows,
                sentence=f"The largest difference: '{gap.feature}' carries "
                f"{gap.high_share:.0%} of what drives decisions about group '{gap.high_group}' "
                f"but {gap.low_share:.0%} for group '{gap.low_group}'.{small}",
            )
        )
    return profiles


def _individual(part: TransparencyEvidence, level: str) -> list[str]:
    fair = part.individual_fairness
    if fair is None:
        return []
    lines = []
    if fair.consistency is not None:
        interval = _pair(fair.consistency_ci_low, fair.consistency_ci_high, "{:.3f}")
        lines.append(
            f"Consistency is {fair.consistency:.3f}"
            f"{f' ({level} interval {interval})' if interval else ''}, on a scale where 1 means "
            "everyone gets the same decision as the people most like them (their "
            f"{fair.n_neighbors} nearest neighbours on the inputs that are not sensitive, "
            f"themselves included as aif360 counts them; {fair.consistency_n or 0:,} people)."
        )
    if fair.theil_index is not None:
        interval = _pair(fair.theil_ci_low, fair.theil_ci_high, "{:.3f}")
        lines.append(
            f"Inequality of benefits: the Theil index is {fair.theil_index:.3f}"
            f"{f' ({level} interval {interval})' if interval else ''}. It is 0 when the "
            "decisions treat everyone's merits alike, and grows as some people get a positive "
            "decision they did not earn while others are denied one they did."
        )
    return lines


def _chart(part: TransparencyEvidence, flagged: set[str], level: str) -> tuple[str, str]:
    items = (part.global_explanation or [])[:CHART_INPUTS]
    if not items:
        return "", ""
    points = [ChartPoint(f.feature, f.importance, f.ci_low, f.ci_high) for f in items]
    title = f"What drives the model's decisions, with {level} intervals"
    red = sorted(flagged & {f.feature for f in items})
    alt = (
        f"Bar chart of the share of decisions that change when each input is shuffled, with "
        f"error bars for the {level} intervals. Largest: {items[0].feature} at "
        f"{items[0].importance:.0%}. "
        + (f"Drawn red and hatched as proxies: {', '.join(red)}." if red else NO_PROXY_DRAWN)
    )
    return importance_chart_svg(points, flagged=flagged, title=title), alt


def transparency_body(
    part: TransparencyEvidence, *, with_chart: bool
) -> TransparencySectionContext:
    """Everything the transparency section shows, formatted."""
    level_value = part.settings.get("level")
    level = f"{float(level_value) * 100:g}%" if isinstance(level_value, int | float) else "95%"
    flagged = _flagged(part)
    direct, direct_details = _direct_use(part)
    proxies, hidden = _proxy_rows(part.proxies)
    chart_svg, chart_alt = _chart(part, set(flagged), level) if with_chart else ("", "")
    return TransparencySectionContext(
        level=level,
        direct_use=direct,
        direct_details=direct_details,
        proxies=proxies,
        proxies_hidden=hidden,
        combined=[_combined_row(c, level) for c in part.combined_proxies],
        importance=_importance_rows(part, flagged),
        importance_sentence=_importance_sentence(
            part.global_explanation[0] if part.global_explanation else None, level
        ),
        proxy_share=_proxy_share(part, level),
        chart_svg=chart_svg,
        chart_alt=chart_alt,
        profiles=_profiles(part),
        individual=_individual(part, level),
    )


def transparency_section(
    part: TransparencyEvidence, inputs: SectionInputs
) -> SectionContext | None:
    body = transparency_body(part, with_chart=inputs.fmt == "html")
    return SectionContext(
        kind="transparency",
        title="Transparency: what the model reads and what drives its decisions",
        anchor="transparency",
        intro=INTRO.format(level=body.level),
        html_partial="_transparency.html.j2",
        markdown_partial="_transparency.md.j2",
        body=body,
    )


register_report_section(TransparencyEvidence, transparency_section)

# The terms of this section a board member may not know, for the glossary of every document
# that uses them.
for _term in (
    Term(
        "ROC AUC",
        "How well a prediction tells one group from the others: 0.5 is no better than guessing, "
        "1 is as good as asking each person.",
        ("roc auc",),
    ),
    Term(
        "Consistency",
        "The share of people who get the same decision as the people most like them on the "
        "inputs that are not sensitive (Zemel et al. 2013): 1 when alike people are always "
        "treated alike.",
        ("consistency",),
    ),
    Term(
        "Theil index",
        "A measure of how unequally the benefit of the decisions is spread between people "
        "(Speicher et al. 2018): 0 when every person's benefit matches their merit.",
        ("theil",),
    ),
):
    register_term(_term)
