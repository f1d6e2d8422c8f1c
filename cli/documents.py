"""``govern card``, ``govern report`` and ``govern register-page``: documents from the register.

Each renders one self-contained HTML page, or Markdown when the file name ends in ``.md``, from
what the register recorded, and writes it atomically; it prints what it wrote (``--format json``:
``{"files": {name: path}}``). The documents' verdicts are the recorded audits': nothing is
recomputed.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from govern.cli.options import format_option

MSG_CARD_NEEDS = "give the model's NAME and --version, or --schema to print the card's schema."
WROTE = "wrote {path}"
OUT_HELP = "File to write: .html for a self-contained page, .md for Markdown (default: {name})."


def _report_written(files: dict[str, Path], output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps({"files": {name: str(path) for name, path in files.items()}}))
        return
    for path in files.values():
        click.echo(WROTE.format(path=path))


@click.command()
@click.argument("name", required=False)
@click.option("--version", "version", default=None, help="Model version the card describes.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("model_card.html"),
    help=OUT_HELP.format(name="model_card.html"),
)
@click.option(
    "--card",
    "card_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Card YAML to render instead of the one registered with the version.",
)
@click.option("--schema", is_flag=True, help="Print the JSON Schema of card files and exit.")
@format_option
def card(
    name: str | None,
    version: str | None,
    out: Path,
    card_file: Path | None,
    schema: bool,
    output_format: str,
) -> int:
    """Render the model card of version --version of registered model NAME.

    The card follows Mitchell et al. (2019): details, intended and out-of-scope uses, factors,
    metrics, data, quantitative analyses per group and intersection with intervals, ethical
    considerations, caveats; with the governance block (owner, accountable executive, risk
    tier, oversight, contact and appeal route) and the model's audit history. Sources: the
    register's metadata, the card YAML registered with the version (or --card FILE) and the
    version's latest audit. Exit 0 when written, 2 on bad input.

    Example: govern card cv-screening --version 3 --out cv-screening-card.md
    """
    if schema:
        from govern.model_cards.card import card_json_schema

        click.echo(json.dumps(card_json_schema(), indent=2, ensure_ascii=False))
        return 0
    if name is None or version is None:
        raise click.UsageError(MSG_CARD_NEEDS)
    from govern.services.documents import model_card_file

    path = model_card_file(name, version=version, out=out, card_file=card_file)
    _report_written({path.name: path}, output_format)
    return 0


@click.command()
@click.argument("name")
@click.option("--version", "version", required=True, help="Model version whose audit to show.")
@click.option("--run", "run_id", default=None, help="Audit run (default: the version's latest).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("compliance_report.html"),
    help=OUT_HELP.format(name="compliance_report.html"),
)
@format_option
def report(name: str, version: str, run_id: str | None, out: Path, output_format: str) -> int:
    """Render the compliance report of a recorded audit of model NAME version --version.

    The report of the version's latest audit, or of audit run --run: the executive summary in
    plain language, the rules grouped by outcome, results by group and intersection with charts,
    the model's audit history, provenance and a glossary. Exit 0 when written (whatever the
    verdict), 2 on bad input.

    Example: govern report cv-screening --version 3 --out cv-screening-report.html
    """
    from govern.services.documents import compliance_report_file

    path = compliance_report_file(name, version=version, out=out, run_id=run_id)
    _report_written({path.name: path}, output_format)
    return 0


@click.command("register-page")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("algorithm_register.html"),
    help=OUT_HELP.format(name="algorithm_register.html")
    + " Linked documents go beside it in models/NAME/.",
)
@click.option(
    "--documents/--no-documents",
    default=True,
    show_default=True,
    help="Also write each governed model's card and latest report beside the page.",
)
@format_option
def register_page(out: Path, documents: bool, output_format: str) -> int:
    """Write the public algorithm register: every model in the register (ungoverned ones
    flagged) with its purpose, risk tier, owner, last verdict and date, human oversight and
    appeal route, and links to its card and latest report.

    The page holds no figure about any group; the linked documents withhold the figures of
    groups smaller than each policy's public disclosure size. Exit 0 when written, 2 on bad
    input.

    Example: govern register-page --out public/algorithm_register.html
    """
    from govern.services.documents import register_page_files

    _report_written(register_page_files(out, documents=documents), output_format)
    return 0
