"""``govern audit fairness``: a data-only fairness audit of decisions in a file, judged against
a policy when one is given (a vendor tool's historical outcomes)."""

from __future__ import annotations

import click

from govern.cli.options import (
    bootstrap_option_with,
    engine_option,
    format_option,
    seed_option,
    split_list,
)


@click.command()
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(),
    help="CSV or Parquet file, one row per decision; with --engine duckdb or spark (and "
    "without --policy) also a quoted glob ('logs/*.parquet') or a (hive-partitioned) folder.",
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
    "--policy",
    default=None,
    help="Judge the decisions against this policy (pack name or YAML file): the verdicts, exit "
    "codes, audit.json and report of `govern audit run`, with no register.",
)
@click.option(
    "--waivers",
    type=click.Path(dir_okay=False),
    default=None,
    help="Waivers YAML (with --policy and --model-name).",
)
@click.option(
    "--card",
    type=click.Path(dir_okay=False),
    default=None,
    help="Model card YAML of the tool, for the policy's documentation rules (with --policy).",
)
@click.option("--model-name", default=None, help="Name of the tool audited (waivers name it).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write audit.json and the compliance report (Markdown and HTML) into this folder.",
)
@bootstrap_option_with(
    "Bootstrap replicates for the intervals of score metrics; 0 skips them (rates and ratios get "
    "closed-form intervals) [default: 1000; with --policy, the policy's n_boot; at most "
    "limits.max_bootstrap in govern.yaml, 10000]."
)
@seed_option(0, "Seed of the bootstrap.")
@click.option(
    "--min-group-size",
    type=click.FloatRange(min=0),
    default=None,
    help="Smaller groups are reported but marked insufficient_data [default: 30; with --policy, "
    "the policy's min_group_size].",
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
@format_option
@engine_option
def fairness(
    data_path: str,
    y_pred: str,
    y_true: str | None,
    score: str | None,
    sample_weight: str | None,
    sensitive: str,
    intersect: bool,
    reference: str | None,
    policy: str | None,
    waivers: str | None,
    card: str | None,
    model_name: str | None,
    out_dir: str | None,
    n_boot: int | None,
    seed: int,
    min_group_size: float | None,
    exclude_below_share: float | None,
    positive_label: str,
    output_format: str,
    engine: str,
) -> int:
    """Audit decisions in a file for group fairness: rates, impact ratios, intervals, tests.

    No register. Without --policy this measures and reports (exit 0 unless the input is bad,
    2). With --policy the decisions are judged: exit 0 when the policy passed, 1 when a
    blocking rule failed or could not be checked (inconclusive), 2 on bad input. --format json
    prints audit.json.
    """
    from govern.audits.fairness.summary import render_text
    from govern.cli.audit_output import exit_code, print_audit
    from govern.evidence.fairness import FairnessEvidence
    from govern.services.data_audit import Measurement, audit_data

    result = audit_data(
        data_path,
        y_pred=y_pred,
        y_true=y_true,
        score=score,
        sample_weight=sample_weight,
        sensitive=split_list(sensitive),
        positive_label=positive_label,
        intersections=intersect,
        policy=policy,
        measurement=Measurement(
            n_boot=n_boot,
            min_group_size=min_group_size,
            exclude_below_share=exclude_below_share,
            reference=reference,
        ),
        seed=seed,
        waivers=waivers,
        card=card,
        model_name=model_name,
        out_dir=out_dir,
        engine=engine,
    )
    if policy is not None:
        print_audit(result, output_format)
        return exit_code(result)
    if output_format == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        evidence = result.evidence.get(FairnessEvidence)
        assert evidence is not None
        click.echo(render_text(evidence))
    return 0
