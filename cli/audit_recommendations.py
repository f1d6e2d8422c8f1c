"""``govern audit recommendations``: fairness of a recommendation log (who is served, who is shown).

Also defines the ranking column options ``govern audit run`` shares (:func:`ranking_options`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from govern.cli.options import format_option
from govern.errors import EXIT_OK, EXIT_POLICY_FAILED, BadInputError

if TYPE_CHECKING:
    from govern.services.recommendations import RankingColumns

F = TypeVar("F", bound=Callable[..., Any])

OUT_NEEDS_POLICY = (
    "--out writes the judged audit (audit.json and the compliance report): name a policy with "
    "--policy, for example --policy recommendation-fairness."
)
SETTING_WITH_POLICY = (
    "{option} is a setting of the audit; with --policy the policy's settings apply (n_boot, "
    "min_group_size, and intersections when a rule judges them). Leave {option} out, or set "
    "it in the policy."
)
SUMMARY = "{name}: {status} under {policy} {policy_version} ({counts})"


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


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _print_verdicts(result: Any, name: str) -> None:
    from collections import Counter

    from govern.cli.audit_run import MARKS, RULE_LINE

    policy = result.policy
    counts = Counter(rule.verdict for rule in policy.rules)
    click.echo(
        SUMMARY.format(
            name=name,
            status=result.status.upper(),
            policy=policy.policy_name,
            policy_version=policy.policy_version,
            counts=", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())),
        )
    )
    for rule in policy.rules:
        click.echo(
            RULE_LINE.format(
                mark=MARKS.get(rule.verdict, "  "),
                rule_id=rule.rule_id,
                severity=rule.severity,
                verdict=rule.verdict,
                sentence=rule.sentence,
            )
        )


@click.command()
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or Parquet file, one row per (user, recommended item).",
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
    "--bootstrap",
    "n_boot",
    type=click.IntRange(min=0),
    default=None,
    help="Bootstrap replicates resampling users (default 1000; 0 skips intervals).",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--min-group-size",
    type=click.FloatRange(min=0),
    default=None,
    help="Groups with fewer users (items) are reported but not judged (default 30).",
)
@click.option("--policy", default=None, help="Policy pack name or policy YAML file to judge.")
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
    help="With --policy: write audit.json and the compliance report into this folder.",
)
@format_option
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
    n_boot: int | None,
    seed: int,
    min_group_size: float | None,
    policy: str | None,
    waivers: Path | None,
    out_dir: Path | None,
    output_format: str,
) -> int:
    """Audit a recommendation log: whom it serves and who gets shown.

    User side (--sensitive): per group of users, the share offered each --item-category in
    their top --k, against the best-served group; with --outcome, hit rate, precision, recall
    and NDCG. Item side (--item-sensitive, e.g. candidates ranked for posts): each group's
    exposure against its share of the pool, skew@k and NDKL. Intervals resample users, never
    rows. Exit 0, or with --policy 0 when it passes and 1 when it fails or is inconclusive;
    2 on bad input.
    """
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
    if policy is None:
        if out_dir is not None:
            raise BadInputError(OUT_NEEDS_POLICY)
        return _measure(
            data_path,
            columns,
            _split(sensitive),
            intersect,
            n_boot,
            seed,
            min_group_size,
            output_format,
        )
    settings = (
        ("--bootstrap", n_boot),
        ("--min-group-size", min_group_size),
        ("--intersect", True if intersect else None),
    )
    for option, value in settings:
        if value is not None:
            raise BadInputError(SETTING_WITH_POLICY.format(option=option))
    from govern.services.recommendations import audit_log

    result = audit_log(
        data_path,
        policy=policy,
        columns=columns,
        sensitive=_split(sensitive),
        waivers=waivers,
        out_dir=out_dir,
        seed=seed,
    )
    if output_format == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        _print_verdicts(result, data_path.name)
        if out_dir is not None:
            click.echo(f"wrote audit.json and the compliance report to {out_dir}", err=True)
    return EXIT_OK if result.status == "pass" else EXIT_POLICY_FAILED


def _measure(
    data_path: Path,
    columns: RankingColumns,
    sensitive: list[str],
    intersect: bool,
    n_boot: int | None,
    seed: int,
    min_group_size: float | None,
    output_format: str,
) -> int:
    """No policy: measure and print (exit 0 unless the input is bad)."""
    from govern.audits.ranking import audit_recommendations
    from govern.audits.ranking.summary import render_text, to_json_payload

    evidence = audit_recommendations(
        data_path,
        user=columns.user,
        rank=columns.rank,
        k=columns.k,
        sensitive=sensitive,
        item_category=columns.item_category,
        category=columns.categories,
        item_sensitive=columns.item_sensitive,
        outcome=columns.outcome,
        positive_label=columns.positive_label,
        intersections=intersect,
        n_boot=1000 if n_boot is None else n_boot,
        seed=seed,
        min_group_size=30 if min_group_size is None else min_group_size,
    )
    if output_format == "json":
        click.echo(json.dumps(to_json_payload(evidence), indent=2))
    else:
        click.echo(render_text(evidence))
    return EXIT_OK
