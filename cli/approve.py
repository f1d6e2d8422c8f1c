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
@trail_option
@format_option
def approve(
    name: str,
    version: str,
    role: str,
    by: str,
    comment: str,
    trail: Path | None,
    output_format: str,
) -> int:
    """Record that PERSON, in ROLE, signed off model NAME at --version.

    The sign-off is kept as a model-version tag (govern.approval.ROLE) and a trail record; the
    gate counts it while the audit it refers to is the latest.
    """
    from govern.services.approvals import approve as record_approval

    approval = record_approval(
        name, version=version, role=role, by=by, comment=comment, trail=trail
    )
    if output_format == "json":
        click.echo(approval.model_dump_json(indent=2))
    else:
        click.echo(
            APPROVED.format(
                name=name, version=version, by=approval.by, role=role, index=approval.trail_index
            )
        )
    return 0
