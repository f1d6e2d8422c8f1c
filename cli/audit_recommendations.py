"""``govern audit recommendations``: fairness of a recommendation log (who is served, who is shown).

Also defines the ranking column options ``govern audit run`` shares (:func:`ranking_options`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from govern.cli.options import bootstrap_option_with, engine_choice, format_option, split_list
from govern.errors import EXIT_OK

if TYPE_CHECKING:
    from govern.services.recommendations import RankingColumns

F = TypeVar("F", bound=Callable[..., Any])


def ranking_options(function: F) -> F:
    """The columns of a recommendation log, shared by this command and ``govern audit run``."""
    options = [
        click.option(
            "--user",
            default=None,
            help="Column of the user (or list: a post, for candidates ranked for posts).",
        ),
        click.option("--rank", default=None, help="Column of the item's rank (1 = top)."),
        click.option(
            "--k",
            "k",
            type=click.IntRange(min=1),
            default=None,
            help="Audit the top K of each list.",
        ),
        click.option(
            "--item-category",
            default=None,
            help="Column of the item's category (e.g. course_category); needs --sensitive.",
        ),
        click.option(
            "--category",
            "categories",
            multiple=True,
            help="A category to audit (repeat for several; default: every category).",
        ),
        click.option(
            "--item-sensitive",
            default=None,
            help="Column of the item's own group (e.g. the candidate's sex): who gets shown.",
        ),
        click.option(
            "--outcome",
            default=None,
            help="Column of a binary outcome (enrolled, hired; for items, their merit).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def ranking_columns(
    *,
    user: str | None,
    rank: str | None,
    k: int | None,
    item_category: str | None,
    categories: tuple[str, ...],
    item_sensitive: str | None,
    outcome: str | None,
    positive_label: str = "1",
) -> RankingColumns | None:
    """The columns given, or None when none is (a decision audit); --user, --rank and --k go
    together."""
    from govern.services.recommendations import RankingColumns

    given = {"--user": user, "--rank": rank, "--k": k}
    others = (item_category, item_sensitive, outcome, *categories)
    if all(value is None for value in given.values()) and all(v is None for v in others):
        return None
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise click.UsageError(
            f"a recommendation log needs {', '.join(missing)} as well: the user (or list) "
            "column, the rank column and the k of the top k."
        )
    assert user is not None and rank is not None and k is not None
    return RankingColumns(
        user=user,
        rank=rank,
        k=k,
        item_category=item_category,
        categories=tuple(categories) or None,
        item_sensitive=item_sensitive,
        outcome=outcome,
        positive_label=positive_label,
    )


@click.command()
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(path_type=Path),
    help="CSV or Parquet file, one row per (user, recommended item); with --engine duckdb or "
    "spark also a quoted glob ('logs/*.parquet') or a (hive-partitioned) folder.",
)
@click.option(
    "--sensitive",
    default=None,
    help="The users' sensitive attribute column(s), comma-separated.",
)
@ranking_options
@click.option(
    "--positive-label",
    default="1",
    show_default=True,
    help="Value of the outcome column that means positive.",
)
@click.option("--intersect", is_flag=True, help="Also audit the intersection of --sensitive.")
@click.option(
    "--policy",
    default=None,
    help="Judge the log against this policy (pack name or YAML file), e.g. "
    "recommendation-fairness or ranking-exposure: verdicts, exit codes, audit.json and report.",
)
@click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers YAML (with --policy and --model-name).",
)
@click.option(
    "--card",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Model card YAML of the system, for the policy's documentation rules (with --policy).",
)
@click.option("--model-name", default=None, help="Name of the system audited (waivers name it).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write audit.json and the compliance report (Markdown and HTML) into this folder.",
)
@bootstrap_option_with(
    "Bootstrap replicates resampling users; 0 skips intervals [default: 1000; with --policy, "
    "the policy's n_boot; at most limits.max_bootstrap in govern.yaml, 10000]."
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the bootstrap.",
)
@click.option(
    "--min-group-size",
    type=click.FloatRange(min=0),
    default=None,
    help="Groups with fewer users (items) are reported but not judged [default: 30; with "
    "--policy, the policy's min_group_size].",
)
@format_option
@engine_choice(
    "reduces the log to one row per user (the table the user-level bootstrap resamples; "
    "every engine gives the same figures, to 1e-12)"
)
def recommendations(
    data_path: Path,
    sensitive: str | None,
    user: str | None,
    rank: str | None,
    k: int | None,
    item_category: str | None,
    categories: tuple[str, ...],
    item_sensitive: str | None,
    outcome: str | None,
    positive_label: str,
    intersect: bool,
    policy: str | None,
    waivers: Path | None,
    card: Path | None,
    model_name: str | None,
    out_dir: Path | None,
    n_boot: int | None,
    seed: int,
    min_group_size: float | None,
    output_format: str,
    engine: str,
) -> int:
    """Audit a recommendation log: whom it serves and who gets shown.

    User side (--sensitive): per group of users, the share offered each --item-category in
    their top --k, against the best-served group; with --outcome, hit rate, precision, recall
    and NDCG. Item side (--item-sensitive, e.g. candidates ranked for posts): each group's
    exposure against its share of the pool, skew@k and NDKL. Intervals resample users, never
    rows. No register. Without --policy this measures and reports (exit 0 unless the input is
    bad, 2); with --policy the log is judged: exit 0 when the policy passed, 1 when a blocking
    rule failed or could not be checked. --format json prints audit.json. A log larger than
    memory: --engine duckdb (out of core) or spark (on the cluster); only the per-user table
    comes back to Python.
    """
    from govern.audits.ranking.summary import render_text
    from govern.cli.audit_output import exit_code, print_audit
    from govern.evidence.ranking import RankingEvidence
    from govern.services.data_audit import Measurement
    from govern.services.recommendations import audit_log

    columns = ranking_columns(
        user=user,
        rank=rank,
        k=k,
        item_category=item_category,
        categories=categories,
        item_sensitive=item_sensitive,
        outcome=outcome,
        positive_label=positive_label,
    )
    if columns is None:
        raise click.UsageError("name the log's columns with --user, --rank and --k.")
    result = audit_log(
        data_path,
        columns=columns,
        sensitive=split_list(sensitive),
        policy=policy,
        intersections=intersect,
        measurement=Measurement(n_boot=n_boot, min_group_size=min_group_size),
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
        evidence = result.evidence.get(RankingEvidence)
        assert evidence is not None
        click.echo(render_text(evidence))
    return EXIT_OK
