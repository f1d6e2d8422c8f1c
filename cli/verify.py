"""``govern verify``: recompute the audit trail's hash chain and compare it with the register."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.options import format_option, trail_option
from govern.errors import EXIT_OK, EXIT_POLICY_FAILED

VERIFY_OK = "trail intact: {n} record(s) in {path}, head {head}"
VERIFY_BROKEN = "trail BROKEN in {path}: {problem}"
VERIFY_SIGNED = "signatures: every record signed with the key in $GOVERN_TRAIL_KEY"
VERIFY_REGISTER = "register: {note}"


@click.command()
@trail_option
@click.option(
    "--register/--no-register",
    "check_register",
    default=True,
    show_default=True,
    help="Also check the trail against the copies of its records' hashes kept in the register's "
    "model-version tags (catches records cut from the end).",
)
@format_option
def verify(trail: Path | None, check_register: bool, output_format: str) -> int:
    """Check that no audit-trail record was altered, removed or reordered.

    Exit 0 when the chain holds, 1 naming the first broken record, 2 when the trail is missing or
    unreadable or the register cannot be reached.
    """
    from govern.services.verification import verify as verify_trail

    result = verify_trail(trail, check_register=check_register)
    if output_format == "json":
        click.echo(result.model_dump_json(indent=2))
    elif result.ok:
        click.echo(VERIFY_OK.format(n=result.n_records, path=result.path, head=result.head_hash))
        if result.signatures_checked:
            click.echo(VERIFY_SIGNED)
        click.echo(VERIFY_REGISTER.format(note=result.register_note))
    else:
        click.echo(VERIFY_BROKEN.format(path=result.path, problem=result.problem))
    return EXIT_OK if result.ok else EXIT_POLICY_FAILED
