"""Options that several commands share, defined once so they read and behave the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

trail_option = click.option(
    "--trail",
    "trail",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Trail file (default: .govern/trail.jsonl, or trail_path in govern.yaml).",
)

# Commands that report print a table by default and machine-readable JSON with --format json.
format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people; json for scripts (on stdout, the same shape as the files written).",
)


def split_list(value: str | None) -> list[str]:
    """A comma-separated option (``--sensitive sex, ethnicity``) as its non-empty parts.

    Examples
    --------
    >>> split_list("sex, ethnicity,"), split_list(None)
    (['sex', 'ethnicity'], [])
    """
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _engine_help(step: str) -> str:
    from govern.audits.sources.choose import AUTO_RULE

    return (
        f"Engine that {step}: {AUTO_RULE}. DuckDB keeps memory under "
        "GOVERN_DUCKDB_MEMORY_LIMIT (default 1GB); Spark uses the session's spark.master."
    )


def engine_choice(step: str) -> Any:
    """``--engine``: which engine does ``step``, the one step of an audit that reads records
    (pandas in memory, DuckDB out of core, Spark on its executors), and the default rule."""
    return click.option(
        "--engine",
        type=click.Choice(["auto", "pandas", "duckdb", "spark"]),
        default="auto",
        show_default=True,
        help=_engine_help(step),
    )


# Which engine builds the contingency table of a decision audit.
engine_option = engine_choice("builds the fairness table")


def seed_option(default: int, help_text: str = "Seed of the random numbers.") -> Any:
    """``--seed``: a whole number, 0 or more (numpy's generators take no negative seed)."""
    return click.option(
        "--seed", type=click.IntRange(min=0), default=default, show_default=True, help=help_text
    )


def _within_bootstrap_limit(
    _ctx: click.Context, _param: click.Parameter, value: int | None
) -> int | None:
    if value is None:
        return None
    from govern.limits import check_bootstrap
    from govern.settings import load_settings

    return check_bootstrap(value, load_settings(create_home=False).limits, where="--bootstrap: ")


def bootstrap_option_with(help_text: str) -> Any:
    """``--bootstrap`` with a command's own help: replicates, 0 or more and at most the
    configured ``limits.max_bootstrap`` (:func:`govern.limits.check_bootstrap`)."""
    return click.option(
        "--bootstrap",
        "n_boot",
        type=click.IntRange(min=0),
        default=None,
        callback=_within_bootstrap_limit,
        help=help_text,
    )


bootstrap_option = bootstrap_option_with(
    "Bootstrap replicates for the confidence intervals; 0 skips them [default: 1000; with "
    "--policy, the policy's n_boot; at most limits.max_bootstrap in govern.yaml, 10000]."
)
