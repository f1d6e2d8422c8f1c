"""``govern audit fairness``: a data-only fairness audit of decisions in a file."""

from __future__ import annotations

import json

import click


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@click.command()
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV or Parquet file, one row per decision.",
)
@click.option("--y-pred", required=True, help="Column holding the decision (binary).")
@click.option("--y-true", default=None, help="Column holding the true outcome (binary).")
@click.option("--score", default=None, help="Column holding a continuous score.")
@click.option("--sample-weight", default=None, help="Column holding non-negative weights.")
@click.option("--sensitive", required=True, help="Sensitive attribute column(s), comma-separated.")
@click.option(
    "--intersect", is_flag=True, help="Also audit the intersection of the sensitive attributes."
)
@click.option(
    "--reference",
    default=None,
    help="Reference group label, or overall_rate (default: the highest selection rate among "
    "groups of --min-group-size or more; the overall rate when no group qualifies).",
)
@click.option(
    "--bootstrap",
    "n_boot",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Bootstrap replicates for the intervals of score metrics; 0 skips them (rates and "
    "ratios get closed-form intervals).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option(
    "--min-group-size",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    help="Smaller groups are reported but marked insufficient_data.",
)
@click.option(
    "--exclude-below-share",
    type=click.FloatRange(min=0, max=1, max_open=True),
    default=None,
    help="Mark groups under this share of the data excluded_small_share (LL144 allows 0.02).",
)
@click.option(
    "--positive-label",
    default="1",
    show_default=True,
    help="Value of the decision/outcome columns that means selected/positive.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def fairness(
    data_path: str,
    y_pred: str,
    y_true: str | None,
    score: str | None,
    sample_weight: str | None,
    sensitive: str,
    intersect: bool,
    reference: str | None,
    n_boot: int,
    seed: int,
    min_group_size: float,
    exclude_below_share: float | None,
    positive_label: str,
    fmt: str,
) -> int:
    """Audit decisions in a file for group fairness: rates, impact ratios, intervals, tests.

    No registry and no policy: this measures and reports; exit 0 unless the input is bad (2).
    """
    from govern.audits.fairness import audit_fairness
    from govern.audits.fairness.summary import render_text, to_json_payload

    evidence = audit_fairness(
        data_path,
        y_pred=y_pred,
        y_true=y_true,
        score=score,
        sample_weight=sample_weight,
        sensitive=_split(sensitive),
        intersections=intersect,
        reference=reference,
        n_boot=n_boot,
        seed=seed,
        min_group_size=min_group_size,
        exclude_below_share=exclude_below_share,
        positive_label=positive_label,
    )
    if fmt == "json":
        click.echo(json.dumps(to_json_payload(evidence), indent=2))
    else:
        click.echo(render_text(evidence))
    return 0
