"""How every audit command reports an audit result: one summary, one exit code, one JSON shape.

``--format json`` prints the audit exactly as ``audit.json`` holds it (its top-level
``verdict`` is pass, fail, inconclusive or no_policy). The table names the outcome, every rule
with its verdict, and for an inconclusive audit what would settle each open rule.
"""

from __future__ import annotations

import click

from govern.errors import EXIT_OK, EXIT_POLICY_FAILED
from govern.results import AuditResult

SUMMARY = "{subject}: {status} under {policy} {policy_version} ({counts})"
RULE_LINE = "  {mark} {rule_id} [{severity}] {verdict}: {sentence}"
TO_SETTLE = "      to settle it: {advice}"
INCONCLUSIVE_NOTE = (
    "INCONCLUSIVE is not a pass: {count} blocking rule(s) could not be checked; the lines marked "
    "'?' say what would settle them."
)
MARKS = {
    "pass": "ok",
    "fail": "XX",
    "waived": "w ",
    "not_applicable": "- ",
    "insufficient_data": "? ",
}


def subject(result: AuditResult) -> str:
    if result.model is None:
        logged = "ranking" in result.evidence.kinds and "fairness" not in result.evidence.kinds
        what = "recommendations" if logged else "decisions"
        return f"{what} in {result.data.source or 'the data'}"
    version = f" version {result.model.version}" if result.model.version else ""
    return f"{result.model.name}{version}"


def print_audit(result: AuditResult, output_format: str) -> None:
    """Print the audit as a table (for people) or as audit.json (for scripts)."""
    if output_format == "json":
        click.echo(result.model_dump_json(indent=2))
        return
    policy = result.policy
    if policy is None:
        return
    from govern.model_cards.format import rule_counts

    counts = rule_counts([(rule.verdict, rule.severity) for rule in policy.rules])
    click.echo(
        SUMMARY.format(
            subject=subject(result),
            status=result.status.upper(),
            policy=policy.policy_name,
            policy_version=policy.policy_version,
            counts=", ".join(counts),
        )
    )
    for rule in policy.rules:
        click.echo(
            RULE_LINE.format(
                mark=MARKS.get(rule.verdict, "  "),
                rule_id=rule.rule_id,
                severity=rule.severity,
                verdict=rule.verdict,
                sentence=rule.sentence,
            )
        )
        if rule.verdict == "insufficient_data" and rule.to_conclude:
            click.echo(TO_SETTLE.format(advice=rule.to_conclude))
    if policy.status == "inconclusive":
        click.echo(INCONCLUSIVE_NOTE.format(count=len(policy.blocking_unknowns)), err=True)


def exit_code(result: AuditResult) -> int:
    """0 only when the policy passed; 1 when it failed or was inconclusive."""
    return EXIT_OK if result.status == "pass" else EXIT_POLICY_FAILED
