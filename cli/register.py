"""``govern register``: put a model (or a procured tool) in the register with its metadata."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.options import format_option

REGISTERED = "registered {name} version {version}{kind} (risk tier: {tier})"


@click.command()
@click.argument("name")
@click.option(
    "--model-uri",
    default=None,
    help="MLflow model URI (runs:/<id>/model, models:/<name>/<v>, or an MLmodel folder). "
    "Omit for a procured tool without an artifact: its audits are outcome-only.",
)
@click.option(
    "--meta",
    "meta_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Governance metadata YAML (purpose, subjects, owner, appeal route, ...).",
)
@click.option(
    "--card",
    "card_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Model card source file, stored as an artifact of the version.",
)
@format_option
def register(
    name: str,
    model_uri: str | None,
    meta_file: Path | None,
    card_file: Path | None,
    output_format: str,
) -> int:
    """Register a new version of model NAME with its governance metadata.

    The metadata goes on the registered model as govern.meta.* tags and its description; the
    card source is stored as an artifact; a 'register' record is appended to the trail.
    """
    import json

    from govern.adapters.registry import register_model
    from govern.metadata import load_metadata

    metadata = load_metadata(meta_file) if meta_file is not None else None
    version = register_model(name, model_uri=model_uri, metadata=metadata, card=card_file)
    tier = metadata.risk_tier if metadata is not None else "unchanged"
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "name": name,
                    "version": version,
                    "outcome_only": model_uri is None,
                    "risk_tier": metadata.risk_tier if metadata is not None else None,
                },
                indent=2,
            )
        )
    else:
        kind = " (outcome-only: no model artifact)" if model_uri is None else ""
        click.echo(REGISTERED.format(name=name, version=version, kind=kind, tier=tier))
    return 0
