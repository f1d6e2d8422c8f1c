"""``govern audit run``: audit a registered model version against a policy and record it."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.audit_recommendations import ranking_columns, ranking_options
from govern.cli.options import engine_choice, format_option, seed_option

RECORDED = "recorded: MLflow run {run_id}, version tags govern.audit.*, trail record"


@click.command()
@click.argument("name")
@click.option("--version", "version", required=True, help="Model version to audit.")
@click.option(
    "--data",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Evaluation data (CSV or Parquet): model inputs and sensitive attributes.",
)
@click.option("--policy", required=True, help="Policy pack name or policy YAML file.")
@click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers YAML (time-limited exceptions, each with approver and justification).",
)
@click.option("--y-true", default=None, help="Column holding the true outcome (binary).")
@click.option(
    "--y-pred",
    default=None,
    help="Column of recorded decisions: required for outcome-only (procured) tools; "
    "otherwise the model predicts.",
)
@click.option(
    "--sensitive",
    default=None,
    help="Sensitive attribute column(s), comma-separated (default: the model's metadata).",
)
@click.option("--score", default=None, help="Column holding a continuous score.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write audit.json and the compliance report into this folder.",
)
@seed_option(0, "Seed of the bootstrap.")
@click.option("--quiet", is_flag=True, help="No progress bar on stderr.")
@ranking_options
@format_option
@engine_choice(
    "builds the fairness table (decisions are read into memory: the model predicts on them), "
    "or, with --user, --rank and --k, reduces the recommendation log to one row per user "
    "where it is"
)
def run(
    name: str,
    version: str,
    data: Path,
    policy: str,
    waivers: Path | None,
    y_true: str | None,
    y_pred: str | None,
    sensitive: str | None,
    score: str | None,
    out_dir: Path | None,
    seed: int,
    quiet: bool,
    user: str | None,
    rank: str | None,
    k: int | None,
    item_category: str | None,
    categories: tuple[str, ...],
    item_sensitive: str | None,
    outcome: str | None,
    output_format: str,
    engine: str,
) -> int:
    """Audit version --version of registered model NAME against --policy and record it.

    For a recommender, --data is its recommendation log and --user, --rank and --k (with the
    other log columns) name its columns: the recorded recommendations are audited.

    Records an MLflow run (audit.json, report), govern.audit.* tags on the version and a trail
    record. Exit 0 when the policy passed, 1 when a blocking rule failed or could not be checked
    (inconclusive), 2 on bad input.
    """
    from govern.cli.audit_output import exit_code, print_audit
    from govern.cli.progress import progress_bar
    from govern.services.audit import run_audit

    ranking = ranking_columns(
        user=user,
        rank=rank,
        k=k,
        item_category=item_category,
        categories=categories,
        item_sensitive=item_sensitive,
        outcome=outcome,
    )
    result = run_audit(
        name,
        version=version,
        data=data,
        policy=policy,
        waivers=waivers,
        y_true=y_true,
        y_pred=y_pred,
        sensitive=sensitive,
        score=score,
        out_dir=out_dir,
        seed=seed,
        ranking=ranking,
        engine=engine,
        progress=progress_bar("Shuffling inputs", unit="inputs", quiet=quiet),
    )
    assert result.policy is not None and result.model is not None
    print_audit(result, output_format)
    if output_format != "json":
        click.echo(RECORDED.format(run_id=result.model.run_id), err=True)
    return exit_code(result)
