"""``govern demo``: the main job end to end on synthetic recruitment data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from govern.cli.options import format_option, seed_option

if TYPE_CHECKING:
    from govern.services.demo import DemoSummary

VERDICT_LINE = "Audit verdict: {status} ({counts}) under policy {policy}."
GATE_LINE = "Deployment gate: {state}."
RECOMMENDER_LINE = (
    "Recommender audit ({model}, its log of top-5 courses): {status} under policy {policy}."
)
FILES_HEADER = "Files written:"


def _rule_counts(summary: DemoSummary) -> str:
    from govern.model_cards.format import rule_counts

    policy = summary.audit.policy
    if policy is None:
        return "no policy"
    return ", ".join(rule_counts([(rule.verdict, rule.severity) for rule in policy.rules]))


def _print_summary(summary: DemoSummary) -> None:
    policy = summary.audit.policy
    click.echo("")
    click.echo(f"Model: {summary.model_name} version {summary.version}")
    click.echo(f"Register: {summary.tracking_uri}")
    click.echo(
        VERDICT_LINE.format(
            status=summary.status.upper(),
            counts=_rule_counts(summary),
            policy=policy.policy_name if policy else "-",
        )
    )
    if policy is not None:
        width = max((len(rule.rule_id) for rule in policy.rules), default=10)
        click.echo("")
        click.echo(f"  {'rule':<{width}}  {'severity':<8}  verdict")
        for rule in policy.rules:
            click.echo(f"  {rule.rule_id:<{width}}  {rule.severity:<8}  {rule.verdict}")
        failures = policy.blocking_failures
        if failures:
            click.echo("")
            click.echo("Blocking failures:")
            for rule in failures:
                click.echo(f"  - {rule.sentence}")
    click.echo("")
    click.echo(GATE_LINE.format(state="OPEN" if summary.gate.open else "CLOSED"))
    for reason in summary.gate.reasons:
        click.echo(f"  - {reason}")
    recommendations = summary.recommendations
    if recommendations is not None and recommendations.policy is not None:
        click.echo("")
        click.echo(
            RECOMMENDER_LINE.format(
                model=recommendations.model.name if recommendations.model else "-",
                status=recommendations.status.upper(),
                policy=recommendations.policy.policy_name,
            )
        )
        for rule in recommendations.policy.blocking_failures:
            click.echo(f"  - {rule.sentence}")
    click.echo("")
    click.echo(FILES_HEADER)
    width = max((len(name) for name in summary.files), default=0)
    for name, path in summary.files.items():
        click.echo(f"  {name:<{width}}  {path}")


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("govern-demo"),
    show_default=True,
    help="Folder for audit.json, compliance_report.html, model_card.html (and .md), "
    "algorithm_register.html and the gate's outputs.",
)
@click.option(
    "--rows",
    type=click.IntRange(min=200, max=1_000_000),
    default=10_000,
    show_default=True,
    help="Synthetic applicants (200 to 1,000,000).",
)
@seed_option(7)
@click.option(
    "--disparity",
    type=click.FloatRange(0.0, 0.95),
    default=0.3,
    show_default=True,
    help="Planted disparity in the synthetic hiring data (0 = parity).",
)
@click.option("--policy", default="public-sector-baseline", show_default=True)
@format_option
def demo(
    out_dir: Path, rows: int, seed: int, disparity: float, policy: str, output_format: str
) -> int:
    """Run the whole job end to end on synthetic recruitment data: generate applicants, train a
    screening model, register it in MLflow (SQLite under .govern/ unless MLFLOW_TRACKING_URI is
    set), audit it against a policy, write the audit, model card and compliance report, and run
    the deployment gate. Then audit a learning-pathway recommender on its log of top-5 courses
    (its documents in learning-pathways-recommender/), and write the public algorithm register
    page of both systems.

    The demo succeeds (exit 0) whatever the verdict: finding the planted disparity is its job.
    """
    import json

    from govern.services.demo import run_demo

    summary = run_demo(
        out_dir,
        rows=rows,
        seed=seed,
        disparity=disparity,
        policy=policy,
        progress=lambda line: click.echo(f"- {line}", err=output_format == "json"),
    )
    if output_format == "json":
        payload = {
            "model": summary.model_name,
            "version": summary.version,
            "tracking_uri": summary.tracking_uri,
            "status": summary.status,
            "gate_open": summary.gate.open,
            "gate_reasons": summary.gate.reasons,
            "files": {name: str(path) for name, path in summary.files.items()},
            "recommendations_status": (
                summary.recommendations.status if summary.recommendations else None
            ),
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        _print_summary(summary)
    return 0
