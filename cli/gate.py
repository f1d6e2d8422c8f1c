"""``govern gate``: open or close the deployment gate for a model version."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.options import format_option, trail_option
from govern.errors import EXIT_OK, EXIT_POLICY_FAILED

GATE_OPEN = "gate OPEN: {name} version {version} may be deployed."
GATE_CLOSED = "gate CLOSED: {name} version {version} must not be deployed:"
GATE_PROMOTED = "promoted: alias {alias!r} now points at version {version}."
GATE_NOT_PROMOTED = "not promoted: alias {alias!r} left unchanged."


@click.command()
@click.argument("name")
@click.option("--version", "version", required=True, help="Model version to gate.")
@click.option(
    "--policy",
    default=None,
    help="Pack name or policy file to judge against; the latest audit must have used it (same "
    "sha256). Required unless govern.yaml names the organisation's policy.",
)
@click.option(
    "--max-age",
    "max_age",
    type=int,
    default=None,
    help="Oldest acceptable audit in days (default: the policy's audit_recency rule).",
)
@click.option("--promote", default=None, help="Alias to set (e.g. production) when open.")
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write JUnit XML here (one test case per rule and condition).",
)
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help='Append a Markdown summary here (e.g. "$GITHUB_STEP_SUMMARY").',
)
@trail_option
@format_option
def gate(
    name: str,
    version: str,
    policy: str | None,
    max_age: int | None,
    promote: str | None,
    junit: Path | None,
    summary: Path | None,
    trail: Path | None,
    output_format: str,
) -> int:
    """Open the gate for model NAME at --version only if its latest audit passed (no blocking
    rule failed or lacked evidence) under the policy named by --policy (or govern.yaml), is
    recent enough, and every sign-off the policy requires was given on that audit.

    Exit 0 open, 1 closed (every reason is printed), 2 bad input.
    """
    import os

    # MLflow's usage telemetry waits up to a second at exit for a server this CI job may not
    # reach; the gate must answer fast (and public-sector CI should not phone home).
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

    from govern.adapters.files import check_output_file
    from govern.adapters.junit import write_junit, write_summary
    from govern.services.gate import evaluate_gate

    # Checked before the gate runs: a gate that promotes an alias and then cannot write its
    # report would leave CI with a changed registry and no record of why.
    for path in (junit, summary):
        if path is not None:
            check_output_file(path)
    result = evaluate_gate(
        name, version=version, policy=policy, max_age_days=max_age, promote=promote, trail=trail
    )
    if junit is not None:
        write_junit(result, junit)
    if summary is not None:
        write_summary(result, summary)
    if output_format == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        if result.open:
            click.echo(GATE_OPEN.format(name=name, version=result.version))
        else:
            click.echo(GATE_CLOSED.format(name=name, version=result.version))
            for reason in result.reasons:
                click.echo(f"  - {reason}")
        for rule in result.rules:
            when = (
                " (judged now by the gate)" if rule.rule_id in result.rules_judged_by_gate else ""
            )
            click.echo(f"  {rule.verdict:<17} {rule.severity:<8} {rule.rule_id}{when}")
        if result.promoted:
            click.echo(GATE_PROMOTED.format(alias=result.promoted, version=result.version))
        elif promote:
            click.echo(GATE_NOT_PROMOTED.format(alias=promote))
    return EXIT_OK if result.open else EXIT_POLICY_FAILED
