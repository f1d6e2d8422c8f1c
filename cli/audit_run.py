"""``govern audit run``: audit a registered model version against a policy and record it."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.audit_recommendations import ranking_columns, ranking_options
from govern.cli.options import format_option
from govern.errors import EXIT_OK, EXIT_POLICY_FAILED

SUMMARY = "{name} version {version}: {status} under {policy} {policy_version} ({counts})"
RECORDED = "recorded: MLflow run {run_id}, version tags govern.audit.*, trail record"
RULE_LINE = "  {mark} {rule_id} [{severity}] {verdict}: {sentence}"
MARKS = {
    "pass": "ok",
    "fail": "XX",
    "waived": "w ",
    "not_applicable": "- ",
    "insufficient_data": "? ",
}


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
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@ranking_options
@format_option
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
    user: str | None,
    rank: str | None,
    k: int | None,
    item_category: str | None,
    categories: tuple[str, ...],
    item_sensitive: str | None,
    outcome: str | None,
    output_format: str,
) -> int:
    """Audit version --version of registered model NAME against --policy and record it.

    For a recommender, --data is its recommendation log and --user, --rank and --k (with the
    other log columns) name its columns: the recorded recommendations are audited.

    Records an MLflow run (audit.json, report), govern.audit.* tags on the version and a trail
    record. Exit 0 when no blocking rule failed, 1 when one did, 2 on bad input.
    """
    from collections import Counter

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
    )
    assert result.policy is not None and result.model is not None
    if output_format == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        counts = Counter(rule.verdict for rule in result.policy.rules)
        click.echo(
            SUMMARY.format(
                name=name,
                version=version,
                status=result.status.upper(),
                policy=result.policy.policy_name,
                policy_version=result.policy.policy_version,
                counts=", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())),
            )
        )
        for rule in result.policy.rules:
            click.echo(
                RULE_LINE.format(
                    mark=MARKS.get(rule.verdict, "  "),
                    rule_id=rule.rule_id,
                    severity=rule.severity,
                    verdict=rule.verdict,
                    sentence=rule.sentence,
                )
            )
        click.echo(RECORDED.format(run_id=result.model.run_id), err=True)
    return EXIT_OK if result.status == "pass" else EXIT_POLICY_FAILED
