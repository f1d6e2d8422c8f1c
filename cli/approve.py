"""``govern approve``: record a human sign-off on a model version."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.options import format_option, trail_option

APPROVED = "signed off: {name} version {version} by {by} as {role} (trail record {index})"


@click.command()
@click.argument("name")
@click.option("--version", "version", required=True, help="Model version signed off.")
@click.option("--role", required=True, help="Role signing, as the policy names it.")
@click.option("--by", "by", required=True, help="Person signing off.")
@click.option("--comment", required=True, help="What was reviewed and why it is approved.")
@click.option(
    "--policy",
    default=None,
    help="Policy whose sign_off roles apply (default: govern.yaml's policy, else the policy the "
    "latest audit used).",
)
@trail_option
@format_option
def approve(
    name: str,
    version: str,
    role: str,
    by: str,
    comment: str,
    policy: str | None,
    trail: Path | None,
    output_format: str,
) -> int:
    """Record that PERSON, in ROLE, signed off the latest audit of model NAME at --version.

    The role must be one the policy's sign_off rules name. The sign-off is kept as a
    model-version tag (govern.approval.ROLE) and a trail record; the gate counts it only while
    the audit it was given on is the latest. Signing off an audit that failed or was
    inconclusive is recorded with a warning (printed on stderr).
    """
    from govern.services.approvals import approve as record_approval

    approval = record_approval(
        name, version=version, role=role, by=by, comment=comment, policy=policy, trail=trail
    )
    if approval.warning:
        click.echo(approval.warning, err=True)
    if output_format == "json":
        click.echo(approval.model_dump_json(indent=2))
    else:
        click.echo(
            APPROVED.format(
                name=name, version=version, by=approval.by, role=role, index=approval.trail_index
            )
        )
    return 0
