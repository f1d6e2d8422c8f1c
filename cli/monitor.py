"""``govern monitor``: judge a policy on a decision log period by period and watch for drift."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from govern.cli.options import format_option, seed_option, split_list, trail_option
from govern.errors import EXIT_OK, EXIT_POLICY_FAILED

if TYPE_CHECKING:
    from govern.services.monitor import MonitorResult, WindowOutcome

HEADLINE = (
    "Monitoring {source} by {every} under {policy} {version}: {windows} window(s), "
    "{first} to {last}."
)
DETECTOR = (
    "Drift detector: {method}; alarm line {h:.2f}, designed for at most {rate:g} false alarms "
    "a year."
)
LATEST = "Latest window {window}: {status}; {alarm}."
RECORDED = "recorded: {new} window(s) in the register and trail ({old} recorded before)"


def _lowest(outcome: WindowOutcome) -> str:
    parts = []
    for row in outcome.rows:
        if row.metric == "impact_ratio" and row.group == "*" and row.value is not None:
            interval = (
                f" [{row.ci_low:.2f}-{row.ci_high:.2f}]"
                if row.ci_low is not None and row.ci_high is not None
                else ""
            )
            parts.append(f"{row.attribute} {row.value:.2f}{interval}")
    return "; ".join(parts) or "-"


def render_monitor(result: MonitorResult) -> str:
    """The trend as a person reads it at the terminal."""
    width = max(len(w.window.label) for w in result.windows)
    lines = [
        HEADLINE.format(
            source=result.data.source or "the log",
            every=result.every,
            policy=result.policy_name,
            version=result.policy_version,
            windows=len(result.windows),
            first=result.periods[0].label,
            last=result.periods[-1].label,
        ),
        "",
        f"  {'window':<{width}}  {'n':>7}  {'verdict':<12}  lowest impact ratio (interval)",
    ]
    for outcome in result.windows:
        lines.append(
            f"  {outcome.window.label:<{width}}  {outcome.window.n:>7,}  {outcome.status:<12}  "
            f"{_lowest(outcome)}"
        )
        lines += [f"  {'':<{width}}    - {change}" for change in outcome.changes]
    detector = result.detector
    lines += [
        "",
        DETECTOR.format(
            method=detector.get("method", "CUSUM"),
            h=float(detector.get("h", 0.0)),
            rate=float(detector.get("false_alarm_rate_per_year", 0.0)),
        ),
    ]
    latest = result.latest_window
    alarms = result.current_alarms
    lines.append(
        LATEST.format(
            window=latest.window.label,
            status=result.latest.status.upper(),
            alarm=f"{len(alarms)} drift alarm(s) at the latest judged window"
            if alarms
            else "no drift alarm at the latest judged window",
        )
    )
    return "\n".join(lines)


@click.command()
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Decision log (CSV or Parquet) with a time column.",
)
@click.option(
    "--time", "time_column", required=True, help="Column of when each decision was taken."
)
@click.option(
    "--every", required=True, help="Period length: 'month', 'quarter' or 'N days' (e.g. '14 days')."
)
@click.option("--policy", required=True, help="Policy pack or YAML file judged on every window.")
@click.option(
    "--y-pred",
    "--decision",
    "y_pred",
    required=True,
    help="Column of the decisions audited (with --recommendation: the final human decisions).",
)
@click.option("--sensitive", required=True, help="Sensitive attribute column(s), comma-separated.")
@click.option(
    "--recommendation",
    default=None,
    help="Column of the model's recommendation (a reviewer stage).",
)
@click.option("--appeal", default=None, help="With --recommendation: 1 when the person appealed.")
@click.option("--appeal-upheld", default=None, help="With --appeal: 1 when the appeal was upheld.")
@click.option("--reviewer", default=None, help="With --recommendation: the reviewer or team.")
@click.option(
    "--id",
    "person",
    default=None,
    help="Column identifying the person each row is about: a person on two rows of one period "
    "is refused.",
)
@click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers YAML, applied to every window.",
)
@click.option("--model", default=None, help="Registered model: record every window like an audit.")
@click.option("--version", "version", default=None, help="With --model: the version monitored.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write trend.csv, monitor.json and the latest window's audit.json and report here.",
)
@click.option(
    "--alarm-rate",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="False alarms a year the drift detector allows on a stable log.",
)
@click.option(
    "--max-pool",
    "max_periods",
    type=click.IntRange(min=1),
    default=None,
    help="Most periods pooled into one window (default: a year of periods).",
)
@seed_option(0, "Seed of the bootstrap.")
@trail_option
@format_option
def monitor(
    data_path: Path,
    time_column: str,
    every: str,
    policy: str,
    y_pred: str,
    sensitive: str,
    recommendation: str | None,
    appeal: str | None,
    appeal_upheld: str | None,
    reviewer: str | None,
    person: str | None,
    waivers: Path | None,
    model: str | None,
    version: str | None,
    out_dir: Path | None,
    alarm_rate: float,
    max_periods: int | None,
    seed: int,
    trail: Path | None,
    output_format: str,
) -> int:
    """Judge --policy on a decision log period by period and watch the impact ratio for drift.

    Periods whose groups are too small are pooled until each group has the policy's minimum
    (29 CFR 1607.4(D)); the trend names the pooled periods. A CUSUM on each group's impact
    ratio raises an alarm when it shifts more than period-to-period noise explains. Exit 1
    when the latest window fails or is inconclusive, or an alarm fires at it; 0 otherwise;
    2 on bad input. With --model and --version every window is recorded like an audit.
    """
    from govern.services.monitor import monitor_json, monitor_log

    result = monitor_log(
        data_path,
        time=time_column,
        every=every,
        policy=policy,
        y_pred=y_pred,
        sensitive=split_list(sensitive),
        recommendation=recommendation,
        appeal=appeal,
        appeal_upheld=appeal_upheld,
        reviewer=reviewer,
        person=person,
        waivers=waivers,
        model=model,
        version=version,
        trail=trail,
        out_dir=out_dir,
        alarm_rate=alarm_rate,
        max_periods=max_periods,
        seed=seed,
    )
    if output_format == "json":
        click.echo(monitor_json(result))
    else:
        click.echo(render_monitor(result))
        if result.model is not None:
            new = sum(1 for w in result.windows if w.run_id and not w.recorded_before)
            old = sum(1 for w in result.windows if w.recorded_before)
            click.echo(RECORDED.format(new=new, old=old), err=True)
    return EXIT_OK if result.passed else EXIT_POLICY_FAILED
