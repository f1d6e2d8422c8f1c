"""``govern verify``: recompute the audit trail's hash chain."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.options import format_option, trail_option
from govern.errors import EXIT_OK, EXIT_POLICY_FAILED

VERIFY_OK = "trail intact: {n} record(s) in {path}, head {head}"
VERIFY_BROKEN = "trail BROKEN in {path}: {problem}"


@click.command()
@trail_option
@format_option
def verify(trail: Path | None, output_format: str) -> int:
    """Check that no audit-trail record was altered, removed or reordered.

    Exit 0 when the chain holds, 1 naming the first broken record, 2 when the trail is missing or
    unreadable.
    """
    from govern.adapters.trail import verify_trail

    result = verify_trail(trail)
    if output_format == "json":
        click.echo(result.model_dump_json(indent=2))
    elif result.ok:
        click.echo(VERIFY_OK.format(n=result.n_records, path=result.path, head=result.head_hash))
    else:
        click.echo(VERIFY_BROKEN.format(path=result.path, problem=result.problem))
    return EXIT_OK if result.ok else EXIT_POLICY_FAILED
