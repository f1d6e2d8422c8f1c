"""``govern audit oversight``: how human reviewers used a model's recommendations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from govern.cli.options import bootstrap_option, format_option, seed_option, split_list
from govern.errors import EXIT_OK

if TYPE_CHECKING:
    from govern.evidence.oversight import OversightEvidence
    from govern.results import AuditResult, MetricRow

HEADLINE = "Oversight of {source}: {n:,} decisions{reviewers}."
OVERALL = (
    "Reviewers kept {agreement} of the model's recommendations; of the people it did not "
    "recommend they selected {up}, of those it recommended they turned down {down}."
)
SIGNALS_HEADER = "Signals for a person to look at (not findings about reviewers):"
COLUMNS = (
    ("agreement_rate", "agreement"),
    ("override_up_rate", "up"),
    ("override_down_rate", "down"),
    ("appeal_rate", "appeals"),
    ("appeal_upheld_rate", "upheld"),
)


def _percent(row: MetricRow | None) -> str:
    if row is None or row.value is None:
        return "-"
    return f"{row.value * 100:.1f}%"


def _ratio(row: MetricRow | None) -> str:
    return "-" if row is None or row.value is None else f"{row.value:.2f}"


def _interval(row: MetricRow | None) -> str:
    if row is None or row.ci_low is None or row.ci_high is None:
        return ""
    return f" [{row.ci_low:+.2f} to {row.ci_high:+.2f}]"


def _attribute_lines(evidence: OversightEvidence, attribute: str) -> list[str]:
    present = [(m, label) for m, label in COLUMNS if m in evidence.rates_of_roles()]
    header = f"  {'group':<24}{'n':>8}" + "".join(f"{label:>11}" for _, label in present)
    lines = [f"By {attribute}:", header + "   impact ratio model -> final"]
    for group in [g for g in evidence.groups if g.attribute == attribute]:
        cells = "".join(
            f"{_percent(evidence.value(m, attribute, group.group)):>11}" for m, _ in present
        )
        before = evidence.value("impact_ratio_recommended", attribute, group.group)
        after = evidence.value("impact_ratio_decided", attribute, group.group)
        change = f"   {_ratio(before)} -> {_ratio(after)}"
        if group.n is None:  # withheld: too few people to publish their figures
            lines.append(f"  {group.group:<24}{'withheld':>8}  (too few people to publish)")
            continue
        small = "  (too few to judge)" if group.status != "ok" else ""
        lines.append(f"  {group.group:<24}{group.n:>8,}{cells}{change}{small}")
    lowest = evidence.value("impact_ratio_change", attribute, "*")
    if lowest is not None:
        before = evidence.value("impact_ratio_recommended", attribute, "*")
        after = evidence.value("impact_ratio_decided", attribute, "*")
        lines.append(
            f"  lowest impact ratio {_ratio(before)} -> {_ratio(after)} "
            f"(change {_ratio(lowest) if lowest.value is None else f'{lowest.value:+.2f}'}"
            f"{_interval(lowest)})"
        )
    return lines


def render_oversight(result: AuditResult) -> str:
    """The oversight figures a person reads at the terminal (the verdicts follow them)."""
    from govern.evidence.oversight import OversightEvidence

    evidence = result.evidence.get(OversightEvidence)
    assert evidence is not None
    reviewers = f", {len(evidence.reviewers)} reviewers" if evidence.reviewers else ""
    lines = [
        HEADLINE.format(
            source=result.data.source or "the data", n=evidence.n_rows, reviewers=reviewers
        ),
        OVERALL.format(
            agreement=_percent(evidence.overall_value("agreement_rate")),
            up=_percent(evidence.overall_value("override_up_rate")),
            down=_percent(evidence.overall_value("override_down_rate")),
        ),
    ]
    for attribute in evidence.attributes:
        lines += ["", *_attribute_lines(evidence, attribute)]
    if evidence.signals:
        lines += ["", SIGNALS_HEADER, *(f"  - {s.sentence}" for s in evidence.signals)]
    return "\n".join(lines)


@click.command()
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Decision log (CSV or Parquet), one row per person.",
)
@click.option("--recommendation", required=True, help="Column of the model's recommendation.")
@click.option("--decision", required=True, help="Column of the final human decision.")
@click.option("--sensitive", required=True, help="Sensitive attribute column(s), comma-separated.")
@click.option("--appeal", default=None, help="Column: 1 when the person appealed.")
@click.option(
    "--appeal-upheld",
    default=None,
    help="Column: 1 when the appeal was upheld (empty while pending); needs --appeal.",
)
@click.option("--reviewer", default=None, help="Column naming the reviewer or team.")
@click.option("--recommended-at", default=None, help="Column: when the model recommended.")
@click.option("--decided-at", default=None, help="Column: when the decision was taken.")
@click.option(
    "--id",
    "person",
    default=None,
    help="Column identifying the person each row is about: a person on two rows is refused.",
)
@click.option("--policy", default=None, help="Policy pack or YAML file (e.g. human-oversight).")
@click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers YAML (with --policy).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write audit.json and the compliance report into this folder.",
)
@click.option(
    "--min-group-size",
    type=click.IntRange(min=1),
    default=None,
    help="Without --policy: smaller groups are reported, not judged (default 30).",
)
@bootstrap_option
@seed_option(0, "Seed of the bootstrap.")
@format_option
def oversight(
    data_path: Path,
    recommendation: str,
    decision: str,
    sensitive: str,
    appeal: str | None,
    appeal_upheld: str | None,
    reviewer: str | None,
    recommended_at: str | None,
    decided_at: str | None,
    person: str | None,
    policy: str | None,
    waivers: Path | None,
    out_dir: Path | None,
    min_group_size: int | None,
    n_boot: int | None,
    seed: int,
    output_format: str,
) -> int:
    """Audit how reviewers used a model's recommendations, by group.

    Override rates (up and down), agreement, appeals and appeals upheld per group with
    intervals; the impact ratio of the recommendations and of the final decisions on the same
    people, with a paired interval for the change; per-reviewer override rates and
    automation-bias signals. With --policy the evidence is judged (exit 1 when the policy fails
    or is inconclusive); without it, exit 0 unless the input is bad (2).
    """
    from govern.cli.audit_output import exit_code, print_audit
    from govern.services.oversight import audit_oversight_data

    settings = {
        name: value
        for name, value in (("min_group_size", min_group_size), ("n_boot", n_boot))
        if value is not None
    }
    result = audit_oversight_data(
        data_path,
        recommendation=recommendation,
        decision=decision,
        sensitive=split_list(sensitive),
        appeal=appeal,
        appeal_upheld=appeal_upheld,
        reviewer=reviewer,
        recommended_at=recommended_at,
        decided_at=decided_at,
        person=person,
        policy=policy,
        waivers=waivers,
        out_dir=out_dir,
        seed=seed,
        settings=settings,
    )
    if output_format == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        click.echo(render_oversight(result))
        if result.policy is not None:
            click.echo("")
            print_audit(result, output_format)
    return EXIT_OK if result.policy is None else exit_code(result)
