"""``govern audit transparency``: what a model reads, its proxies, what drives its decisions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from govern.cli.options import format_option
from govern.errors import EXIT_OK

WRITTEN = "wrote audit.json and the compliance report to {folder}"


@click.command()
@click.option(
    "--data",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or Parquet file: the model's inputs and the sensitive attributes, one row a person.",
)
@click.option(
    "--model-uri",
    default=None,
    help="MLflow model URI (runs:/<id>/model, models:/<name>/<version> or a folder with an "
    "MLmodel file) whose predict() gives 0/1 decisions.",
)
@click.option("--sensitive", required=True, help="Sensitive attribute column(s), comma-separated.")
@click.option(
    "--features",
    default=None,
    help="The model's input columns, comma-separated (default: its signature); for a tool "
    "without a model, the inputs its supplier documents.",
)
@click.option(
    "--y-true", default=None, help="Column of true outcomes (0/1): adds accuracy and inequality."
)
@click.option(
    "--y-pred",
    default=None,
    help="Column of recorded decisions, for a tool without a model (instead of --model-uri).",
)
@click.option(
    "--policy", default=None, help="Judge this policy's transparency rules (pack or file)."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write audit.json and the compliance report (HTML and Markdown) into this folder.",
)
@click.option(
    "--repeats",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Shuffles of each input for the permutation importance.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of every sample and shuffle."
)
@click.option(
    "--positive-label",
    default="1",
    show_default=True,
    help="Value of the --y-true and --y-pred columns that means a positive outcome or decision.",
)
@click.option("--quiet", is_flag=True, help="No progress bar on stderr.")
@format_option
def transparency(
    data: Path,
    model_uri: str | None,
    sensitive: str,
    features: str | None,
    y_true: str | None,
    y_pred: str | None,
    policy: str | None,
    out_dir: Path | None,
    repeats: int,
    seed: int,
    positive_label: str,
    quiet: bool,
    output_format: str,
) -> int:
    """Audit what a model reads, which inputs stand in for sensitive attributes (one by one and
    together), what drives its decisions (with intervals, overall and by group), and whether
    similar people are treated alike.

    Nothing is recorded in the register. Exit 0 when no policy is given or its transparency rules
    pass, 1 when one fails or cannot be judged, 2 on bad input.
    """
    from govern.audits.transparency.summary import render_text
    from govern.cli.audit_output import exit_code, print_audit
    from govern.cli.progress import progress_bar
    from govern.evidence.transparency import TransparencyEvidence
    from govern.services.transparency import audit_transparency

    result = audit_transparency(
        data,
        model_uri=model_uri,
        sensitive=sensitive,
        features=features,
        y_true=y_true,
        y_pred=y_pred,
        policy=policy,
        out_dir=out_dir,
        seed=seed,
        n_repeats=repeats,
        positive_label=positive_label,
        progress=progress_bar("Shuffling inputs", unit="inputs", quiet=quiet),
    )
    evidence = result.evidence.get(TransparencyEvidence)
    assert evidence is not None
    if output_format == "json":
        # audit.json as it is written, plus the figures as tidy rows.
        payload = json.loads(result.model_dump_json())
        payload["rows"] = [row.model_dump(mode="json") for row in evidence.rows()]
        click.echo(json.dumps(payload, indent=2))
    else:
        click.echo(render_text(evidence))
        print_audit(result, output_format)
    if out_dir is not None:
        click.echo(WRITTEN.format(folder=out_dir), err=True)
    return EXIT_OK if result.policy is None else exit_code(result)
