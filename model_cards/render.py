"""Render model cards and compliance reports as self-contained HTML or Markdown.

Rendering only reads results: it never computes a metric or decides a verdict. It does two things
on the way: it turns numbers into plain language for an oversight board, and it suppresses groups
too small to report (status ``insufficient_data``), whose counts and rates never reach a template.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from govern import __version__
from govern.errors import BadInputError
from govern.evidence.fairness import FairnessEvidence, GroupSummary
from govern.model_cards.card import ModelCard
from govern.model_cards.charts import ChartPoint, fairness_chart_svg
from govern.model_cards.context import (
    CardSectionContext,
    Cell,
    ChartContext,
    FairnessTableContext,
    GroupRowContext,
    MeasureContext,
    ModelCardContext,
    ProvenanceContext,
    ReportContext,
    RuleRowContext,
    SignificanceRowContext,
)
from govern.results import (
    ALL_GROUPS,
    UNKNOWN_GROUP,
    AuditResult,
    MetricRow,
    RuleResult,
)

if TYPE_CHECKING:
    from jinja2 import Environment

Format = Literal["html", "markdown"]

UNKNOWN_FORMAT = "unknown output format {fmt!r}; use 'html' or 'markdown'."
BAD_SOURCE_DATE_EPOCH = (
    "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC; got {value!r}. "
    "Unset it or fix its value."
)
SUPPRESSION_NOTE = (
    "Groups marked “suppressed” have {threshold} people in the data. Their counts and rates "
    "are not shown: figures from so few people are unreliable, and publishing them could "
    "identify individuals."
)
NOT_DOCUMENTED = "Not documented."
COMPLEMENTARY_NOTE = "suppressed so that a smaller group's figures cannot be worked out"

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
# The columns of the per-group tables, in reading order: rates first, then the ratios against
# the reference group that the four-fifths rule (29 CFR 1607.4(D)) and LL144 compare.
PREFERRED_METRICS = (
    "selection_rate",
    "impact_ratio",
    "scoring_rate",
    "scoring_impact_ratio",
    "mean_score",
    "true_positive_rate",
    "false_positive_rate",
)
# Per-group metrics already shown in the People and Share columns.
SHOWN_AS_PEOPLE = ("count", "share")
# Attribute-wide summaries printed under each table; the rest go to "all measures".
MAIN_SUMMARIES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
)
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


# ---------------------------------------------------------------------------------------------
# formatting


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


def generated_at() -> dt.datetime:
    """Now in UTC, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds convention)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        return dt.datetime.fromtimestamp(int(raw), dt.UTC)
    except ValueError:
        raise BadInputError(BAD_SOURCE_DATE_EPOCH.format(value=raw)) from None


def _stamp(moment: dt.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _anchor(text: str) -> str:
    kept = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in kept.split("-") if part) or "section"


# ---------------------------------------------------------------------------------------------
# fairness tables and charts (shared by reports and cards)


def _level(evidence: FairnessEvidence | None) -> str:
    """The intervals' confidence level as the evidence records it, e.g. "95%"."""
    level = None if evidence is None else evidence.settings.get("confidence_level")
    return f"{float(level) * 100:g}%" if isinstance(level, int | float) else "95%"


def _compared_with(evidence: FairnessEvidence | None, attribute: str, reference: str | None) -> str:
    """The caption's words on the reference: the engine's own sentence when it gave one."""
    choice = None if evidence is None else evidence.reference_for(attribute)
    if choice is not None:
        return f", compared with {choice.explanation.rstrip('.')}"
    return f", compared with the reference group ({reference})" if reference else ""


def _suppression_threshold(settings: dict[str, Any]) -> str:
    for key in ("min_group_size", "min_group_n", "minimum_group_size"):
        if isinstance(settings.get(key), int | float):
            return f"fewer than {int(settings[key])}"
    return "too few"


def _fairness_parts(
    metrics: list[MetricRow],
    disparities: list[MetricRow],
    groups: list[GroupSummary],
    *,
    evidence: FairnessEvidence | None,
    with_charts: bool,
) -> tuple[list[FairnessTableContext], list[ChartContext], bool]:
    """Tables (and charts) per attribute, with insufficient-data groups suppressed."""
    status = {(g.attribute, g.group): g for g in groups}
    attributes: list[str] = []
    for row in [*metrics, *disparities]:
        if row.attribute not in attributes:
            attributes.append(row.attribute)
    if evidence is not None:
        attributes = [a for a in evidence.attributes if a in attributes] + [
            a for a in attributes if a not in evidence.attributes
        ]
    tables: list[FairnessTableContext] = []
    charts: list[ChartContext] = []
    any_suppressed = False
    for attribute in attributes:
        per_group = [r for r in metrics if r.attribute == attribute and r.group != ALL_GROUPS]
        ratios = [
            r
            for r in disparities
            if r.attribute == attribute
            and r.group != ALL_GROUPS
            and r.metric in ("impact_ratio", "scoring_impact_ratio")
        ]
        attribute_wide = [
            r
            for r in [*metrics, *disparities]
            if r.attribute == attribute and r.group == ALL_GROUPS
        ]
        summaries = [r for r in attribute_wide if r.metric in MAIN_SUMMARIES]
        rows_by_metric: dict[tuple[str, str], MetricRow] = {
            (r.group, r.metric): r for r in [*per_group, *ratios]
        }
        present = {r.metric for r in [*per_group, *ratios]}
        columns = [m for m in PREFERRED_METRICS if m in present]
        others = [
            r
            for r in [*per_group, *disparities]
            if r.attribute == attribute
            and r.group != ALL_GROUPS
            and r.metric not in columns
            and r.metric not in SHOWN_AS_PEOPLE
        ] + [r for r in attribute_wide if r.metric not in MAIN_SUMMARIES]
        group_order: list[str] = [g.group for g in groups if g.attribute == attribute]
        for r in [*per_group, *ratios]:
            if r.group not in group_order:
                group_order.append(r.group)
        reference = evidence.reference_groups.get(attribute) if evidence is not None else None
        rows: list[GroupRowContext] = []
        small = {
            g
            for g in group_order
            if (summary := status.get((attribute, g))) is not None
            and summary.status == "insufficient_data"
        }
        protecting = _complementary_group(attribute, group_order, small, status, reference)
        suppressed_here = small | ({protecting} if protecting else set())
        for group in group_order:
            summary = status.get((attribute, group))
            if group in suppressed_here:
                rows.append(
                    GroupRowContext(
                        group=group,
                        suppressed=True,
                        n="",
                        share="",
                        note="suppressed" if group in small else COMPLEMENTARY_NOTE,
                        cells=[],
                    )
                )
                continue
            n_value = summary.n if summary is not None else _first_n(rows_by_metric, group)
            notes = []
            if group == reference or (summary is not None and summary.is_reference):
                notes.append("reference group")
            if summary is not None and summary.status == "excluded_small_share":
                notes.append("small share: excluded from impact ratios")
            rows.append(
                GroupRowContext(
                    group=group,
                    suppressed=False,
                    n="" if n_value is None else f"{n_value:,}",
                    share="" if summary is None else f"{summary.share:.1%}",
                    note="; ".join(notes),
                    cells=[_cell(rows_by_metric.get((group, m))) for m in columns],
                )
            )
        any_suppressed = any_suppressed or bool(suppressed_here)
        unknown = 0 if evidence is None else evidence.unknown_counts.get(attribute, 0)
        significance = []
        if evidence is not None:
            for test in evidence.tests:
                if test.attribute != attribute or test.group in suppressed_here:
                    continue
                significance.append(
                    SignificanceRowContext(
                        group=test.group,
                        reference=test.reference,
                        test=TEST_LABELS.get(test.test, test.test),
                        p_value=f"{test.p_value_adjusted:.3g}",
                        significant="yes" if test.significant else "no",
                        shortfall=f"{test.shortfall:.1f}",
                        flip_flop="yes" if test.flip_flop else "no",
                    )
                )
        tables.append(
            FairnessTableContext(
                attribute=attribute,
                anchor=f"fairness-{_anchor(attribute)}",
                caption=(
                    f"Results by {attribute}: each group's rates with {_level(evidence)} "
                    f"intervals{_compared_with(evidence, attribute, reference)}."
                ),
                columns=[metric_label(m) for m in columns],
                rows=rows,
                summaries=[
                    f"{metric_label(r.metric)}: {format_number(r.value)}"
                    + (
                        f" ({_level(evidence)} interval {format_interval(r.ci_low, r.ci_high)})"
                        if r.ci_low is not None and r.ci_high is not None
                        else ""
                    )
                    for r in summaries
                ],
                unknown=_unknown_sentence(attribute, unknown, UNKNOWN_GROUP in group_order),
                significance=significance,
                other_measures=[
                    MeasureContext(
                        group="all groups" if r.group == ALL_GROUPS else r.group,
                        metric=metric_label(r.metric),
                        value=format_number(r.value),
                        interval=format_interval(r.ci_low, r.ci_high),
                    )
                    for r in others
                    if r.group not in suppressed_here
                ],
            )
        )
        if with_charts:
            chart = _chart(attribute, per_group, ratios, suppressed_here, _level(evidence))
            if chart is not None:
                charts.append(chart)
    return tables, charts, any_suppressed


def _unknown_sentence(attribute: str, unknown: int, shown_as_group: bool) -> str:
    if not unknown:
        return ""
    if shown_as_group:
        return (
            f"{unknown:,} record(s) had no recorded {attribute}; they are shown as the group "
            f"“{UNKNOWN_GROUP}” and are not compared with the reference group."
        )
    return (
        f"{unknown:,} record(s) had no recorded {attribute}; they are counted here but not "
        "included in the rates."
    )


def _complementary_group(
    attribute: str,
    groups: list[str],
    small: set[str],
    status: dict[tuple[str, str], GroupSummary],
    reference: str | None,
) -> str | None:
    """The group to hide as well when exactly one is suppressed (complementary suppression).

    With one hidden group, its count is the total minus the others'; hiding the next smallest
    group (never the reference) leaves only the sum of the two. This is the usual practice of
    statistical disclosure control for published tables (e.g. the ONS's and Eurostat's).
    """
    if len(small) != 1:
        return None
    candidates = [
        status[(attribute, g)]
        for g in groups
        if g not in small
        and g != reference
        and (attribute, g) in status
        and not status[(attribute, g)].is_reference
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c.n, c.group)).group


def _first_n(rows: dict[tuple[str, str], MetricRow], group: str) -> int | None:
    for (row_group, _), row in rows.items():
        if row_group == group:
            return row.n
    return None


def _cell(row: MetricRow | None) -> Cell:
    if row is None:
        return Cell(value="—", interval="")
    return Cell(value=format_number(row.value), interval=format_interval(row.ci_low, row.ci_high))


def _points(rows: list[MetricRow], metric: str, suppressed: set[str]) -> list[ChartPoint]:
    return [
        ChartPoint(r.group, r.value, r.ci_low, r.ci_high)
        for r in rows
        if r.metric == metric and r.value is not None and r.group not in suppressed
    ]


def _chart(
    attribute: str,
    per_group: list[MetricRow],
    ratios: list[MetricRow],
    suppressed: set[str],
    level: str = "95%",
) -> ChartContext | None:
    rates = _points(per_group, "selection_rate", suppressed)
    impact = _points(ratios, "impact_ratio", suppressed)
    if not rates and not impact:
        return None
    below = [p.group for p in impact if p.value < 0.8]
    title = f"Selection rate and impact ratio by {attribute}, with {level} intervals"
    alt = (
        f"Bar charts of the selection rate and the impact ratio of each {attribute} group, "
        f"with error bars for the {level} intervals and a dashed line at the four-fifths mark "
        "(0.8). "
        + (f"Below 0.8: {', '.join(below)}." if below else "No group's impact ratio is below 0.8.")
        + (" Suppressed groups are not drawn." if suppressed else "")
    )
    svg = fairness_chart_svg(
        attribute, selection_rates=rates, impact_ratios=impact, title=title, level=level
    )
    return ChartContext(attribute=attribute, svg=svg, alt=alt)


# ---------------------------------------------------------------------------------------------
# Jinja


def _markdown_cell(value: object) -> str:
    """Keep a value inside one Markdown table cell: escape pipes, fold newlines."""
    return " ".join(str(value).split()).replace("|", "\\|")


# In Markdown, "<" followed by a letter, "/", "!" or "?" can open raw HTML, which many viewers
# render. A backslash makes it a literal "<" (CommonMark backslash escape) and leaves "<=" alone.
_MARKDOWN_HTML_OPENER = re.compile(r"<(?=[A-Za-z/!?])")


def _markdown_text(value: object) -> object:
    """Neutralise raw HTML in a value printed into a Markdown template."""
    if isinstance(value, str):
        return _MARKDOWN_HTML_OPENER.sub(r"\\<", value)
    return value


@lru_cache(maxsize=2)
def template_environment(fmt: Format = "html") -> Environment:
    """The Jinja2 environment for one output format, with ``StrictUndefined`` so that a missing
    context field fails instead of rendering blank.

    HTML is autoescaped. Markdown is not (entities such as ``&amp;`` would show up verbatim in a
    terminal or a plain-text diff); every value printed into it has its HTML openers escaped
    instead, so user text cannot inject markup into a Markdown viewer either.
    """
    from jinja2 import Environment, PackageLoader, StrictUndefined

    markdown = fmt == "markdown"
    environment = Environment(
        loader=PackageLoader("govern.templates", "."),
        autoescape=not markdown,  # noqa: S701 - Markdown is neutralised by finalize below
        finalize=_markdown_text if markdown else None,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["md"] = _markdown_cell
    return environment


def _template_name(kind: str, fmt: str) -> str:
    if fmt == "html":
        return f"{kind}.html.j2"
    if fmt == "markdown":
        return f"{kind}.md.j2"
    raise BadInputError(UNKNOWN_FORMAT.format(fmt=fmt))


@lru_cache(maxsize=1)
def _css() -> str:
    from importlib.resources import files

    return (files("govern.templates") / "report.css").read_text(encoding="utf-8")


def render_template(name: str, context: ReportContext | ModelCardContext) -> str:
    """Render one template with its typed context (its fields become template variables)."""
    fmt: Format = "markdown" if name.endswith(".md.j2") else "html"
    template = template_environment(fmt).get_template(name)
    return template.render(**dict(context))


# ---------------------------------------------------------------------------------------------
# the compliance report


def _verdict(audit: AuditResult) -> tuple[str, str]:
    policy = audit.policy
    subject = (
        f"The model “{audit.model.name}”"
        + (f" (version {audit.model.version})" if audit.model and audit.model.version else "")
        if audit.model is not None
        else "The decisions audited"
    )
    if policy is None:
        return (
            "No policy applied",
            "No policy was applied, so this report shows what was measured about "
            f"{subject[0].lower()}{subject[1:]} without a verdict on whether it is acceptable.",
        )
    failures = policy.blocking_failures
    unknown = [r for r in policy.rules if r.verdict == "insufficient_data"]
    warnings = [r for r in policy.rules if r.severity != "blocking" and r.verdict == "fail"]
    caveat = ""
    if unknown:
        caveat += (
            f" {len(unknown)} rule(s) could not be checked for lack of data; that is not a pass."
        )
    if warnings:
        caveat += f" {len(warnings)} non-blocking rule(s) raised a warning."
    if failures:
        names = "; ".join(r.title for r in failures)
        return (
            "Did not pass",
            f"{subject} did not meet the policy “{policy.policy_name}”: "
            f"{len(failures)} blocking rule(s) failed ({names}). It should not be used for "
            f"decisions about people until this is resolved or formally waived.{caveat}",
        )
    return (
        "Passed",
        f"{subject} met every blocking rule of the policy “{policy.policy_name}”.{caveat}",
    )


def _rule_row(rule: RuleResult) -> RuleRowContext:
    measured = ""
    whole = rule.comparison is not None and rule.comparison.split(" ")[0].endswith(
        ("_days", "_count")
    )
    if rule.value is not None and whole:
        measured = f"{rule.value:,.0f}"
    elif rule.value is not None:
        measured = format_number(rule.value)
        interval = format_interval(rule.ci_low, rule.ci_high)
        if interval:
            measured += f" (95% interval {interval})"
    requirement = rule.comparison or (
        f"threshold {format_number(rule.threshold)}" if rule.threshold is not None else ""
    )
    waiver = ""
    if rule.waiver is not None:
        waiver = (
            f"waived by {rule.waiver.approver} until {rule.waiver.expires.isoformat()}"
            + (" (expired)" if rule.waiver.expired else "")
            + f": {rule.waiver.justification}"
        )
    return RuleRowContext(
        rule_id=rule.rule_id,
        title=rule.title,
        severity=rule.severity,
        verdict=rule.verdict,
        verdict_label=VERDICT_LABELS.get(rule.verdict, rule.verdict),
        sentence=rule.sentence,
        measured=measured,
        requirement=requirement,
        waiver=waiver,
    )


def _provenance(audit: AuditResult) -> ProvenanceContext:
    policy = audit.policy
    model = "no registered model (data audit)"
    if audit.model is not None:
        model = audit.model.name + (
            f" version {audit.model.version}" if audit.model.version else ""
        )
    return ProvenanceContext(
        govern_version=audit.govern_version,
        generated_at=_stamp(generated_at()),
        audited_at=_stamp(audit.created_at),
        data_sha256=audit.data.sha256,
        data_rows=f"{audit.data.n_rows:,}",
        data_columns=f"{len(audit.data.columns):,}",
        data_source=audit.data.source or "not recorded",
        policy_name=policy.policy_name if policy else "",
        policy_version=policy.policy_version if policy else "",
        policy_sha256=policy.policy_sha256 if policy else "",
        evaluated_on=policy.evaluated_on.isoformat() if policy else "",
        model=model,
    )


def report_context(
    audit: AuditResult, *, card: ModelCard | None = None, fmt: Format = "html"
) -> ReportContext:
    """Everything the compliance report shows, aggregated and suppressed, as a typed context."""
    fairness = audit.evidence.get(FairnessEvidence)
    tables: list[FairnessTableContext] = []
    charts: list[ChartContext] = []
    suppressed = False
    if fairness is not None:
        tables, charts, suppressed = _fairness_parts(
            fairness.metrics,
            fairness.disparities,
            fairness.groups,
            evidence=fairness,
            with_charts=fmt == "html",
        )
    heading, sentence = _verdict(audit)
    rules = audit.policy.rules if audit.policy is not None else []
    counts = [
        f"{sum(r.verdict == verdict for r in rules)} {COUNT_LABELS[verdict]}"
        for verdict in COUNT_LABELS
        if any(r.verdict == verdict for r in rules)
    ]
    name = (
        card.model_details.name
        if card is not None
        else (
            audit.model.name
            if audit.model is not None
            else f"decisions in {audit.data.source or 'the audited data'}"
        )
    )
    return ReportContext(
        title=f"Compliance report: {name}",
        css=_css(),
        status=audit.status,
        verdict_heading=heading,
        verdict_sentence=sentence,
        counts=counts,
        rules=[_rule_row(r) for r in rules],
        tables=tables,
        charts=charts,
        suppression_note=(
            SUPPRESSION_NOTE.format(threshold=_suppression_threshold(fairness.settings))
            if suppressed and fairness is not None
            else ""
        ),
        provenance=_provenance(audit),
    )


def render_report(
    audit: AuditResult, *, card: ModelCard | None = None, fmt: Format = "html"
) -> str:
    """The compliance report of one audit, for an oversight board.

    The verdict comes first in plain language, then each rule with its one-sentence finding,
    the fairness tables with 95% intervals, charts with error bars (HTML only, inline SVG), and
    provenance (data fingerprint, policy hash, govern version, generation time). Groups too
    small to report are shown as suppressed. The HTML is self-contained.

    Parameters
    ----------
    audit : AuditResult
        The audit to report.
    card : ModelCard, optional
        The model's card; its name titles the report.
    fmt : {"html", "markdown"}
        Output format.

    Returns
    -------
    str
        The document. ``SOURCE_DATE_EPOCH`` pins its generation time.

    Examples
    --------
    >>> import datetime as dt
    >>> from govern.evidence import Evidence
    >>> from govern.results import AuditResult, DataFingerprint
    >>> audit = AuditResult(govern_version="0.1.0", created_at=dt.datetime(2026, 1, 1),
    ...     data=DataFingerprint(sha256="ab" * 32, n_rows=10, columns=["sex", "hired"]),
    ...     evidence=Evidence())
    >>> "No policy applied" in render_report(audit, fmt="markdown")
    True
    """
    context = report_context(audit, card=card, fmt=fmt)
    return render_template(_template_name("report", fmt), context)


# ---------------------------------------------------------------------------------------------
# the model card

CARD_SECTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Model details",
        "model_details",
        (
            ("version", "Version"),
            ("owner", "Owner"),
            ("model_type", "Type of model"),
            ("date", "Date"),
            ("supplier", "Supplier"),
            ("licence", "Licence"),
        ),
    ),
    (
        "Intended use",
        "intended_use",
        (
            ("primary_uses", "Primary uses"),
            ("primary_users", "Primary users"),
            ("out_of_scope", "Out of scope"),
        ),
    ),
    (
        "Factors",
        "factors",
        (
            ("groups", "Groups examined"),
            ("instrumentation", "Instrumentation"),
            ("environment", "Environment"),
        ),
    ),
    (
        "Metrics",
        "metrics",
        (
            ("performance_measures", "Performance measures"),
            ("fairness_measures", "Fairness measures"),
            ("decision_thresholds", "Decision thresholds"),
            ("limitations", "Limitations"),
        ),
    ),
    (
        "Evaluation data",
        "evaluation_data",
        (("description", "Description"), ("preprocessing", "Preprocessing")),
    ),
    (
        "Training data",
        "training_data",
        (
            ("description", "Description"),
            ("provenance", "Provenance and original purpose"),
            ("preparation", "Preparation"),
            ("bias_examination", "Examination for bias"),
        ),
    ),
    (
        "Quantitative analyses",
        "quantitative_analysis",
        (
            ("group_performance", "Performance for groups"),
            ("accuracy_robustness", "Accuracy and robustness"),
        ),
    ),
    ("Ethical considerations", "", (("ethical_considerations", "Ethical considerations"),)),
    ("Caveats and recommendations", "", (("caveats_recommendations", "Caveats"),)),
    ("Human oversight", "human_oversight", (("measures", "Measures"),)),
    ("Explanation", "transparency", (("explanation", "How decisions are explained"),)),
    (
        "Accountability and appeals",
        "accountability",
        (
            ("accountable_executive", "Accountable executive"),
            ("contact", "Contact"),
            ("appeal_route", "How to appeal"),
        ),
    ),
    (
        "Risk",
        "risk_management",
        (("risk_tier", "Risk tier"), ("description", "Risks and mitigations")),
    ),
    (
        "Logging",
        "logging",
        (("description", "What is logged"), ("retention", "Retention")),
    ),
    ("Privacy", "privacy", (("data_protection", "Data protection"),)),
    (
        "Fundamental rights",
        "fundamental_rights",
        (("impact_assessment", "Fundamental-rights impact assessment"),),
    ),
    (
        "Bias audit",
        "bias_audit",
        (("data_source", "Audit data and why it fits"), ("distribution_date", "In use since")),
    ),
)


def _card_sections(card: ModelCard) -> tuple[list[CardSectionContext], int]:
    documented = card.documentation_fields()
    sections: list[CardSectionContext] = []
    missing = 0
    for heading, prefix, fields in CARD_SECTIONS:
        pairs: list[tuple[str, str]] = []
        for key, label in fields:
            text = documented.get(f"{prefix}.{key}" if prefix else key, "")
            if not text:
                missing += 1
            pairs.append((label, text or NOT_DOCUMENTED))
        sections.append(CardSectionContext(heading=heading, anchor=_anchor(heading), fields=pairs))
    return sections, missing


def model_card_context(
    card: ModelCard, audit: AuditResult | None = None, *, fmt: Format = "html"
) -> ModelCardContext:
    """Everything the model card shows, as a typed context."""
    sections, missing = _card_sections(card)
    fairness = audit.evidence.get(FairnessEvidence) if audit is not None else None
    if fairness is not None:
        tables, charts, suppressed = _fairness_parts(
            fairness.metrics,
            fairness.disparities,
            fairness.groups,
            evidence=fairness,
            with_charts=fmt == "html",
        )
        settings = fairness.settings
    else:
        analysis = card.quantitative_analysis
        hidden = [
            GroupSummary(attribute=a, group=g, n=0, share=0.0, status="insufficient_data")
            for a, g in analysis.suppressed_groups
        ]
        tables, charts, suppressed = _fairness_parts(
            [*analysis.unitary, *analysis.intersectional],
            [],
            hidden,
            evidence=None,
            with_charts=fmt == "html",
        )
        settings = {}
    audit_status = ""
    if audit is not None:
        heading, sentence = _verdict(audit)
        audit_status = f"Latest audit ({_stamp(audit.created_at)}): {heading}. {sentence}"
    details = card.model_details
    return ModelCardContext(
        title=f"Model card: {details.name}",
        css=_css(),
        model_version=details.version,
        summary=details.description or NOT_DOCUMENTED,
        missing_count=missing,
        sections=sections,
        tables=tables,
        charts=charts,
        suppression_note=(
            SUPPRESSION_NOTE.format(threshold=_suppression_threshold(settings))
            if suppressed
            else ""
        ),
        audit_status=audit_status,
        generated_at=_stamp(generated_at()),
        govern_version=__version__,
    )


def render_model_card(
    card: ModelCard, audit: AuditResult | None = None, *, fmt: Format = "html"
) -> str:
    """The model card as a self-contained HTML page or Markdown.

    Every section of Mitchell et al. (2019) and the governance sections are shown; an empty
    field reads "Not documented." so gaps are visible. With an audit, the quantitative analyses
    come from its fairness evidence (small groups suppressed) and its verdict is summarised.

    Examples
    --------
    >>> from govern.model_cards.card import ModelCard, ModelDetails
    >>> card = ModelCard(model_details=ModelDetails(name="cv-screening"))
    >>> "# Model card: cv-screening" in render_model_card(card, fmt="markdown")
    True
    """
    context = model_card_context(card, audit, fmt=fmt)
    return render_template(_template_name("model_card", fmt), context)


# ---------------------------------------------------------------------------------------------
# writing files


def write_outputs(
    out_dir: str | os.PathLike[str],
    *,
    audit: AuditResult | None = None,
    card: ModelCard | None = None,
    formats: tuple[Format, ...] = ("html", "markdown"),
) -> dict[str, Path]:
    """Write the report (when ``audit`` is given) and the card (when ``card`` is), atomically.

    Files are ``report.html``, ``report.md``, ``model_card.html`` and ``model_card.md`` in
    ``out_dir`` (created if missing). Returns file name -> path of what was written.

    Examples
    --------
    >>> import tempfile
    >>> from govern.model_cards.card import ModelCard, ModelDetails
    >>> card = ModelCard(model_details=ModelDetails(name="m"))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sorted(write_outputs(folder, card=card))
    ['model_card.html', 'model_card.md']
    """
    from govern.adapters.files import safe_output_path, write_text_atomic

    suffixes = {"html": "html", "markdown": "md"}
    written: dict[str, Path] = {}
    for fmt in formats:
        if fmt not in suffixes:
            raise BadInputError(UNKNOWN_FORMAT.format(fmt=fmt))
        if audit is not None:
            name = f"report.{suffixes[fmt]}"
            written[name] = write_text_atomic(
                safe_output_path(out_dir, name), render_report(audit, card=card, fmt=fmt)
            )
        if card is not None:
            name = f"model_card.{suffixes[fmt]}"
            written[name] = write_text_atomic(
                safe_output_path(out_dir, name), render_model_card(card, audit, fmt=fmt)
            )
    return written
