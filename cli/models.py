"""``govern models``: the inventory of registered models and their last audits."""

from __future__ import annotations

import click

from govern.cli.options import format_option

NO_MODELS = "the register is empty: add a model with 'govern register NAME --model-uri URI'."
HEADER = ("model", "status", "purpose", "risk", "owner", "version", "last audit", "audited at")


def _last(entry: object) -> tuple[str, str, str]:
    versions = getattr(entry, "versions", [])
    if not versions:
        return "-", "-", "-"
    latest = versions[-1]
    return latest.version, latest.audit_status or "never audited", latest.audit_at or "-"


@click.group()
def models() -> None:
    """The inventory of registered models (governed and UNGOVERNED)."""


@models.command("list")
@format_option
def list_models(output_format: str) -> int:
    """List every registered model with its latest version's last audit verdict and date.

    Models registered in MLflow without govern metadata are listed as UNGOVERNED.
    """
    import json

    from govern.adapters.registry import model_inventory

    entries = model_inventory()
    if output_format == "json":
        click.echo(json.dumps([entry.to_json() for entry in entries], indent=2))
        return 0
    if not entries:
        click.echo(NO_MODELS)
        return 0
    rows = [HEADER]
    for entry in entries:
        version, verdict, at = _last(entry)
        rows.append(
            (
                entry.name,
                entry.status,
                entry.purpose or "-",
                entry.risk_tier or "-",
                entry.owner or "-",
                version,
                verdict,
                at,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


@models.command("show")
@click.argument("name")
@format_option
def show(name: str, output_format: str) -> int:
    """Show model NAME: governance metadata and every version with its last audit."""
    import json

    from govern.adapters.registry import describe_model

    entry = describe_model(name)
    if output_format == "json":
        click.echo(json.dumps(entry.to_json(), indent=2))
        return 0
    click.echo(f"{entry.name} ({entry.status})")
    for key, value in (entry.metadata or {}).items():
        if value not in (None, [], ""):
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            click.echo(f"  {key}: {shown}")
    if not entry.governed:
        click.echo("  no governance metadata: run 'govern register NAME --meta FILE' to add it")
    click.echo("versions:")
    for v in entry.versions:
        flags = [*v.aliases, *(["outcome-only"] if v.outcome_only else [])]
        extra = f" [{', '.join(flags)}]" if flags else ""
        audit = (
            f"{v.audit_status} at {v.audit_at} under {v.audit_policy}"
            if v.audit_status
            else "never audited"
        )
        click.echo(f"  {v.version}{extra}: {audit}")
    return 0
