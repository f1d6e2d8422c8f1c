"""``govern monitor`` end to end: the drift alarm on a planted drift, none without it, pooling of
small months named in the report, exit codes, outputs, and recording in the register."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from govern.cli.main import main
from govern.datasets import recruitment

# 1,000 decisions a month for 24 months; from month 15 (2026-03) the screening tool shortlists
# women and black and asian applicants at 0.6 times its earlier rate: women's impact ratio
# falls from about 1 to about 0.65.
DRIFT_MONTHS = ("2026-03", "2026-04", "2026-05")  # the change and the two periods after it


def _lean_policy(folder: Path, *, min_group_size: int | None = None) -> Path:
    """The four-fifths pack without bootstrap intervals (the drift detector does not use them)."""
    settings: dict[str, int] = {"n_boot": 0}
    if min_group_size is not None:
        settings["min_group_size"] = min_group_size
    path = folder / "monitoring.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "monitoring",
                "version": "1",
                "extends": ["eeoc-four-fifths"],
                "settings": settings,
            }
        ),
        encoding="utf-8",
    )
    return path


def _monitor(log: Path, policy: Path, *extra: str) -> list[str]:
    return ["monitor", "--data", str(log), "--time", "decided_at", "--every", "month",
            "--policy", str(policy), "--decision", "shortlisted", "--sensitive", "sex",
            *extra]  # fmt: skip


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("monitor")
    paths = {"folder": folder, "policy": _lean_policy(folder)}
    for name, drift in (("drift", 0.4), ("stable", 0.0)):
        frame = recruitment(
            24000, seed=21, disparity=0.0, months=24, drift_from=15 if drift else None, drift=drift
        )
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


@pytest.mark.slow
def test_planted_drift_raises_an_alarm_within_three_periods(
    logs: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main([*_monitor(logs["drift"], logs["policy"]), "--format", "json",
                 "--out", str(tmp_path)])  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    alarms = [a for a in payload["detections"] if a["direction"] == "widened"]
    assert alarms, "no alarm"
    first = alarms[0]
    assert first["window"] in DRIFT_MONTHS
    assert (first["attribute"], first["group"], first["reference"]) == ("sex", "female", "male")
    assert first["impact_ratio_after"] < first["impact_ratio_before"] - 0.1
    assert len(payload["windows"]) == 24
    # the latest window fails the four-fifths rule at the new level: exit 1
    assert payload["latest_status"] == "fail" and code == 1
    report = (tmp_path / "compliance_report.md").read_text(encoding="utf-8")
    assert "## Monitoring over time" in report
    assert "Alarm: Group 'female' of sex went from being selected at" in report
    html = (tmp_path / "compliance_report.html").read_text(encoding="utf-8")
    assert 'aria-label="Impact ratio by sex, window by window"' in html


@pytest.mark.slow
def test_the_same_log_without_drift_raises_no_alarm(
    logs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*_monitor(logs["stable"], logs["policy"]), "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert [a for a in payload["detections"] if a["direction"] == "widened"] == []
    assert payload["current_alarms"] == []
    assert code == (0 if payload["latest_status"] == "pass" else 1)
    assert payload["detector"]["false_alarm_rate_per_year"] == 0.05


@pytest.mark.slow
def test_alarm_at_the_latest_window_exits_1(
    logs: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The log cut at the end of the first alarm's month: that window is the latest one.
    main([*_monitor(logs["drift"], logs["policy"]), "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    first = next(a for a in payload["detections"] if a["direction"] == "widened")["window"]
    rows = list(csv.DictReader(logs["drift"].open(encoding="utf-8")))
    cut = tmp_path / "cut.csv"
    with cut.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["decided_at"][:7] <= first)
    code = main([*_monitor(cut, logs["policy"]), "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert [a["window"] for a in payload["current_alarms"]] == [first]
    assert code == 1


def test_small_months_are_pooled_and_the_report_names_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # About 40 decisions a month, so about 20 women and 19 men: under a minimum of 30 each.
    log = tmp_path / "small.csv"
    recruitment(480, seed=3, disparity=0.0, months=12).to_csv(log, index=False)
    policy = _lean_policy(tmp_path, min_group_size=30)
    out = tmp_path / "out"
    code = main([*_monitor(log, policy), "--out", str(out)])
    text = capsys.readouterr().out
    assert code in (0, 1)
    trend = list(csv.DictReader((out / "trend.csv").open(encoding="utf-8")))
    windows = list(dict.fromkeys((r["window"], r["periods"]) for r in trend))
    assert all(" " in periods for _, periods in windows), windows  # every window pooled
    first_label, first_periods = windows[0]
    assert first_label == f"{first_periods.split()[0]} to {first_periods.split()[-1]}"
    assert first_label in text
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    window = audit["evidence"]["monitoring"]["window"]
    assert len(window["periods"]) >= 2
    report = (out / "compliance_report.md").read_text(encoding="utf-8")
    # the trend table names every pooled window's periods, and the report judges the latest
    for label, periods in windows[:-1]:
        assert f"| {label} | {periods.replace(' ', ', ')} |" in report
    assert f"This report judges {window['label']} ({window['n']:,} decisions)" in report
    assert audit["policy"]["rules"][0]["rule_id"] == "four-fifths"
    assert audit["evidence"]["fairness"]["n_rows"] == window["n"]  # the pooled window's verdict


def test_outputs_and_table(
    logs: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "short.csv"
    recruitment(6000, seed=8, disparity=0.0, months=6).to_csv(log, index=False)
    out = tmp_path / "out"
    main([*_monitor(log, logs["policy"]), "--out", str(out)])
    text = capsys.readouterr().out
    assert text.splitlines()[0] == (
        "Monitoring short.csv by month under monitoring 1: 6 window(s), 2025-01 to 2025-06."
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.json", "compliance_report.html", "compliance_report.md", "monitor.json",
        "trend.csv",
    ]  # fmt: skip
    header = (out / "trend.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "window,start,end,periods,provisional,status,attribute,group,n,metric,value,ci_low,"
        "ci_high,suppressed"
    )


@pytest.mark.slow
def test_each_window_is_recorded_once_in_the_register_and_trail(
    sqlite_tracking_uri: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gate_helpers import governed_version

    from govern.adapters.registry import AUDIT_EXPERIMENT, Registry
    from govern.adapters.trail import read_trail

    trail = tmp_path / "trail.jsonl"
    name, version = governed_version(sqlite_tracking_uri, trail)
    log = tmp_path / "log.csv"
    recruitment(3000, seed=5, disparity=0.0, months=3).to_csv(log, index=False)
    policy = _lean_policy(tmp_path)
    args = [*_monitor(log, policy), "--model", name, "--version", version, "--trail", str(trail),
            "--format", "json"]  # fmt: skip
    monkeypatch.setenv("MLFLOW_TRACKING_URI", sqlite_tracking_uri)
    main(args)
    first = json.loads(capsys.readouterr().out)
    main(args)
    second = json.loads(capsys.readouterr().out)
    registry = Registry(sqlite_tracking_uri)
    runs = registry.search_runs(AUDIT_EXPERIMENT, f"tags.`govern.model` = '{name}'")
    assert len(runs) == 3  # three months, recorded once each
    assert [w["recorded_before"] for w in first["windows"]] == [False, False, False]
    assert [w["recorded_before"] for w in second["windows"]] == [True, True, True]
    assert {w["run_id"] for w in second["windows"]} == set(runs)
    audits = [r for r in read_trail(trail) if r.kind == "audit" and r.model == name]
    assert len(audits) == 3
    tags = registry.get_version_tags(name, version)
    assert tags["govern.audit.run_id"] == first["windows"][-1]["run_id"]
    assert tags["govern.audit.status"] == first["latest_status"]
