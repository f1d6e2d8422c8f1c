"""Options that several commands share, defined once so they read and behave the same."""

from __future__ import annotations

from pathlib import Path

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


def _engine_help() -> str:
    from govern.audits.sources.choose import AUTO_RULE

    return (
        f"Engine that builds the fairness table: {AUTO_RULE}. DuckDB keeps memory under "
        "GOVERN_DUCKDB_MEMORY_LIMIT (default 1GB); Spark uses the session's spark.master."
    )


# Which engine builds the contingency table (pandas in memory, DuckDB out of core, Spark).
engine_option = click.option(
    "--engine",
    type=click.Choice(["auto", "pandas", "duckdb", "spark"]),
    default="auto",
    show_default=True,
    help=_engine_help(),
)
