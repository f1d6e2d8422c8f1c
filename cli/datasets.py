"""``govern datasets``: list and generate the synthetic public-sector HR data sets."""

from __future__ import annotations

import json

import click

from govern.cli.options import format_option, seed_option


@click.group()
def datasets() -> None:
    """Synthetic public-sector HR data sets with a tunable, planted disparity."""


@datasets.command("list")
@format_option
def list_command(output_format: str) -> int:
    """List the data sets and what their rows are."""
    from govern.datasets import SCENARIOS

    if output_format == "json":
        payload = [
            {
                "name": s.name,
                "description": s.description,
                "rows": s.rows_mean,
                "columns": s.columns,
            }
            for s in SCENARIOS.values()
        ]
        click.echo(json.dumps(payload, indent=2))
        return 0
    for scenario in SCENARIOS.values():
        click.echo(f"{scenario.name}  (--rows counts {scenario.rows_mean})")
        click.echo(f"    {scenario.description}")
    return 0


@datasets.command("generate")
@click.argument("name")
@click.option(
    "--rows",
    type=click.IntRange(min=1, max=10_000_000),
    default=5000,
    show_default=True,
    help="How many to generate: rows, or for a log the unit `govern datasets list` names "
    "(employees for learning_pathways, posts for talent_shortlist); at most 10,000,000.",
)
@seed_option(0)
@click.option(
    "--disparity",
    type=click.FloatRange(min=0.0, max=1.0, max_open=True),
    default=0.3,
    show_default=True,
    help="0 = parity; 0.3 = disadvantaged groups selected at about 70% of the others' rate.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    required=True,
    help="Output file; .csv or .parquet.",
)
@click.option(
    "--reviewers",
    type=click.IntRange(min=0),
    default=None,
    help="recruitment, promotion: add a human reviewer stage with this many reviewers "
    "(columns reviewer, final_decision, appealed, appeal_upheld).",
)
@click.option(
    "--override-bias",
    type=float,
    default=None,
    help="With --reviewers: how much more often reviewers turn down recommended people of the "
    "disadvantaged groups (0 = groups treated alike).",
)
@click.option(
    "--months",
    type=click.IntRange(min=0),
    default=None,
    help="recruitment, promotion: spread the decisions over this many months (decided_at).",
)
@click.option(
    "--drift-from",
    type=click.IntRange(min=1),
    default=None,
    help="With --months: the month (1 = the first) from which the model's decisions drift.",
)
@click.option(
    "--drift",
    type=float,
    default=None,
    help="With --drift-from: the size of the drift against the disadvantaged groups.",
)
@click.option("--start", default=None, help="With --months: the first month (YYYY-MM-DD).")
@format_option
def generate_command(
    name: str,
    rows: int,
    seed: int,
    disparity: float,
    out: str,
    output_format: str,
    **stage: object,
) -> int:
    """Generate data set NAME (see `govern datasets list`) and write it to --out."""
    from govern.datasets import get_scenario, rows_written, write_dataset

    options = {key: value for key, value in stage.items() if value is not None}
    path = write_dataset(name, out, rows=rows, seed=seed, disparity=disparity, **options)
    scenario = get_scenario(name)
    written = rows_written(name, rows)
    if output_format == "json":
        payload: dict[str, object] = {"name": name, "path": str(path), "rows": written}
        if scenario.rows_per_unit != 1:
            payload[scenario.unit] = rows
        click.echo(json.dumps({**payload, "seed": seed, "disparity": disparity}))
    else:
        counted = f"{written} rows"
        if scenario.rows_per_unit != 1:
            counted += f": {rows} {scenario.unit} x {scenario.rows_per_unit}"
        click.echo(f"wrote {name} ({counted}, seed {seed}, disparity {disparity}) to {path}")
    return 0
