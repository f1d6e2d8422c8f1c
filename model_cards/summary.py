"""The executive summary of a compliance report, in plain language, for an oversight board.

What failed or could not be checked, for whom (every group that falls short, by name, even when
its figures are withheld), what that means for the people affected, what was waived, by whom and
until when, and what to do next. Built from the verdicts only: rendering never decides.
"""

from __future__ import annotations

from govern.evidence.fairness import FairnessEvidence
from govern.evidence.process import ProcessEvidence
from govern.model_cards.context import FindingContext, SummaryContext, WaiverContext
from govern.model_cards.format import count_of, format_number
from govern.results import AuditResult, PolicyResult, RuleResult

# Who a model's decisions are about, by purpose (govern.vocabulary.PURPOSES).
PEOPLE_BY_PURPOSE = {
    "recruitment": "applicants",
    "promotion": "employees",
    "termination": "employees",
    "task_allocation": "workers",
    "performance_evaluation": "employees",
    "learning_recommendation": "staff",
    "skills_assessment": "the people assessed",
}
DEFAULT_PEOPLE = "the people affected"

MEANING_UNFAIR = (
    "If the model is used as it is, {people} in the groups named above would be treated less "
    "favourably than others, by more than the policy accepts: a risk of indirect "
    "discrimination."
)
MEANING_SAFEGUARDS = (
    "Safeguards the policy requires are not in place ({rules}), so {people} cannot rely on them."
)
MEANING_UNKNOWN = (
    "Nobody can yet say whether {people} are treated as the policy requires: the evidence for "
    "{count} is missing or rests on too few people."
)
MEANING_PASSED = (
    "No group was found treated less favourably than the policy allows, on the attributes and "
    "data audited (listed under “Where these results come from”). That is not proof that no one "
    "is: groups and attributes the data does not hold could not be examined."
)
NEXT_FAIL = (
    "Do not use the model for decisions about {people} until a new audit passes, or until an "
    "accountable person approves a time-limited waiver for each failing rule."
)
NEXT_INVESTIGATE = (
    "Find the cause with the model's owner: the sections below show which groups fall short and "
    "by how much."
)
NEXT_UNKNOWN = (
    "Gather what each unchecked rule needs (listed under “What could not be checked”) and audit "
    "again; until then the deployment gate stays closed."
)
NEXT_WARNINGS = "Review the {count} with the model's owner; they do not block use."
NEXT_WAIVERS = "Fix the waived {rules} before the first waiver ends on {date}."
NEXT_EXPIRED = "The waiver of “{title}” ended on {date} and no longer applies."
NEXT_PASSED = (
    "Before the model is used, the deployment gate also checks the sign-offs the policy requires "
    "and that the audit is recent enough."
)
WITHHELD_FIGURES = "figures withheld: too few people"


def people(audit: AuditResult) -> str:
    """Who the model's decisions are about, from the purpose the register records."""
    process = audit.evidence.get(ProcessEvidence)
    purpose = process.purpose if process is not None else None
    return PEOPLE_BY_PURPOSE.get(purpose or "", DEFAULT_PEOPLE)


def _metric(rule: RuleResult) -> str | None:
    if rule.check != "metric" or not rule.comparison:
        return None
    return rule.comparison.split(" ")[0]


def groups_words(rule: RuleResult, fairness: FairnessEvidence | None) -> str:
    """Every group that falls short of ``rule``, by attribute, each with its figure when it may
    be published: ``by ethnicity: black (0.675), asian (0.724)``.

    Examples
    --------
    >>> from govern.results import RuleResult
    >>> rule = RuleResult(rule_id="r", title="t", severity="blocking", check="metric",
    ...     verdict="fail", sentence="s", shortfalls=[("ethnicity", "black"), ("sex", "f")])
    >>> groups_words(rule, None)
    'by ethnicity: black; by sex: f'
    """
    by_attribute: dict[str, list[str]] = {}
    metric = _metric(rule)
    for attribute, group in rule.shortfalls:
        named = group
        if fairness is not None and metric is not None:
            row = fairness.value(metric, attribute, group)
            summary = fairness.group(attribute, group)
            if row is not None and row.value is not None:
                named = f"{group} ({format_number(row.value)})"
            elif summary is not None and summary.withheld is not None:
                named = f"{group} ({WITHHELD_FIGURES})"
        by_attribute.setdefault(attribute, []).append(named)
    return "; ".join(
        f"by {attribute}: {', '.join(names)}" for attribute, names in by_attribute.items()
    )


def _finding(rule: RuleResult, fairness: FairnessEvidence | None) -> FindingContext:
    return FindingContext(
        title=rule.title,
        sentence=rule.sentence,
        groups=groups_words(rule, fairness),
        to_conclude=(rule.to_conclude or "") if rule.verdict == "insufficient_data" else "",
    )


def _meaning(policy: PolicyResult, who: str) -> str:
    failures = policy.blocking_failures
    if failures:
        parts = []
        # A rule about groups (it names some, or judges a group metric) is about fair treatment.
        unfair = [r for r in failures if r.shortfalls or r.check == "metric"]
        if unfair:
            parts.append(MEANING_UNFAIR.format(people=who))
        other = [r.title for r in failures if r not in unfair]
        if other:
            parts.append(MEANING_SAFEGUARDS.format(rules="; ".join(other), people=who))
        return " ".join(parts)
    if policy.blocking_unknowns:
        return MEANING_UNKNOWN.format(
            people=who, count=count_of(len(policy.blocking_unknowns), "blocking rule")
        )
    return MEANING_PASSED


def unchecked(policy: PolicyResult) -> list[RuleResult]:
    """Every rule that could not be checked, those that keep the policy inconclusive first."""
    blocking = policy.blocking_unknowns
    return [
        *blocking,
        *(r for r in policy.rules if r.verdict == "insufficient_data" and r not in blocking),
    ]


def warned(policy: PolicyResult) -> list[RuleResult]:
    """Rules that failed without blocking."""
    return [r for r in policy.rules if r.verdict == "fail" and r.severity != "blocking"]


def _next_steps(policy: PolicyResult, who: str, waivers: list[WaiverContext]) -> list[str]:
    steps = []
    if policy.blocking_failures:
        steps += [NEXT_FAIL.format(people=who), NEXT_INVESTIGATE]
    if policy.blocking_unknowns:
        steps.append(NEXT_UNKNOWN)
    if warned(policy):
        steps.append(NEXT_WARNINGS.format(count=count_of(len(warned(policy)), "warning")))
    current = sorted(w.until for w in waivers if not w.expired)
    if current:
        steps.append(
            NEXT_WAIVERS.format(rules="rule" if len(current) == 1 else "rules", date=current[0])
        )
    steps += [NEXT_EXPIRED.format(title=w.title, date=w.until) for w in waivers if w.expired]
    if policy.status == "pass":
        steps.append(NEXT_PASSED)
    return steps


def executive_summary(audit: AuditResult) -> SummaryContext | None:
    """The executive summary of an audit judged against a policy (None without a policy)."""
    policy = audit.policy
    if policy is None:
        return None
    fairness = audit.evidence.get(FairnessEvidence)
    who = people(audit)
    waivers = [
        WaiverContext(
            title=r.title,
            approver=r.waiver.approver,
            until=r.waiver.expires.isoformat(),
            expired=r.waiver.expired,
            justification=r.waiver.justification,
        )
        for r in policy.rules
        if r.waiver is not None
    ]
    return SummaryContext(
        failures=[_finding(r, fairness) for r in policy.blocking_failures],
        unknowns=[_finding(r, fairness) for r in unchecked(policy)],
        warnings=[_finding(r, fairness) for r in warned(policy)],
        waivers=waivers,
        meaning=_meaning(policy, who),
        next_steps=_next_steps(policy, who, waivers),
    )
