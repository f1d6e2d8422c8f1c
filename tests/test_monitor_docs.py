"""The monitoring docs cannot drift: the sample workflow's and crontab's command runs, with the
sample policy, on a synthetic log."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from govern.cli.main import main
from govern.datasets import recruitment
from govern.policies import load_policy

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _workflow_command() -> list[str]:
    workflow = yaml.safe_load((DOCS / "monitoring-cron.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["monitor"]["steps"]
    (run,) = [s["run"] for s in steps if "run" in s and s["run"].startswith("govern monitor")]
    return shlex.split(run)


def _crontab_command() -> list[str]:
    text = (DOCS / "monitoring.md").read_text(encoding="utf-8")
    (line,) = re.findall(r"^0 6 2 \* \*  cd \S+ && (govern monitor .*?) \|\|", text, re.MULTILINE)
    return shlex.split(line)


def test_the_workflow_runs_monthly_and_both_commands_agree() -> None:
    workflow = yaml.safe_load((DOCS / "monitoring-cron.yml").read_text(encoding="utf-8"))
    assert workflow[True]["schedule"] == [{"cron": "0 6 2 * *"}]  # YAML reads "on" as True
    assert _workflow_command() == _crontab_command()


def test_the_sample_policy_loads_with_the_drift_rule() -> None:
    policy = load_policy(DOCS / "monitoring-policy.yaml")
    assert policy.rule("no-drift").check.kind == "drift"
    assert {"four-fifths", "oversight-override-parity"} <= {rule.id for rule in policy.rules}


def test_the_documented_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "docs").mkdir()
    log = recruitment(3000, seed=2, months=4, reviewers=4, override_bias=0.0, disparity=0.1)
    log.to_csv(tmp_path / "exports" / "decisions.csv", index=False)
    (tmp_path / "docs" / "monitoring-policy.yaml").write_text(
        (DOCS / "monitoring-policy.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    words = _workflow_command()[1:]
    index = words.index("--model")
    del words[index : index + 4]  # --model NAME --version V: no register here
    code = main(words)
    assert code in (0, 1)
    assert (tmp_path / "monitoring" / "trend.csv").exists()
    assert "Monitoring decisions.csv by month under recruitment-monitoring 1.0" in (
        capsys.readouterr().out
    )


def _console_blocks(name: str) -> list[tuple[list[list[str]], list[str]]]:
    """Each ```console block of a doc: its commands (continuations joined) and printed lines."""
    text = (DOCS / name).read_text(encoding="utf-8")
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        commands, printed, pending = [], [], ""
        for line in body.splitlines():
            if line.startswith("$ ") or pending:
                pending += line.removeprefix("$ ").rstrip("\\").strip() + " "
                if not line.endswith("\\"):
                    commands.append(shlex.split(pending)[1:])  # without "govern"
                    pending = ""
            else:
                printed.append(line)
        blocks.append((commands, printed))
    return blocks


def _run(commands: list[list[str]], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, out = 0, ""
    for words in commands:
        code = main(words)
        out = capsys.readouterr().out
        assert code in (0, 1), (words, out)
    return code, out


@pytest.mark.slow
def test_the_drift_example_alarms_in_the_first_month_of_the_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    commands, _ = _console_blocks("monitoring.md")[0]
    code, out = _run(commands, capsys)
    assert code == 1
    text = (DOCS / "monitoring.md").read_text(encoding="utf-8")
    (shown,) = re.findall(r"```text\n(.*?)```", text, re.DOTALL)
    for line in shown.splitlines():
        assert line.removesuffix(" ...") in out, line
    rows = [line.split() for line in out.splitlines() if re.match(r"  20\d\d-\d\d ", line)]
    assert [row[0] for row in rows[:14] if row[2] != "pass"] == []  # the first 14 months pass
    payload = json.loads((tmp_path / "monitoring" / "monitor.json").read_text(encoding="utf-8"))
    alarms = [a["window"] for a in payload["detections"] if a["direction"] == "widened"]
    assert alarms[0] == "2026-03"


def test_the_pooling_example_prints_what_the_doc_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    commands, printed = _console_blocks("monitoring.md")[1]
    code, out = _run(commands, capsys)
    assert code == 1
    for line in printed:
        if line.strip() != "...":
            assert line in out.splitlines(), line
    report = (tmp_path / "small-monitoring" / "compliance_report.md").read_text(encoding="utf-8")
    assert "This report judges 2025-11 to 2025-12 (29 decisions), a provisional window" in report
    assert "| 2025-05 to 2025-07 | 2025-05, 2025-06, 2025-07 |" in report


@pytest.mark.slow
def test_the_oversight_example_finds_the_planted_pattern(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    commands, _ = _console_blocks("oversight.md")[0]
    code, out = _run(commands, capsys)
    assert code == 1
    audit = json.loads((tmp_path / "oversight" / "audit.json").read_text(encoding="utf-8"))
    verdicts = {rule["rule_id"]: rule["verdict"] for rule in audit["policy"]["rules"]}
    assert verdicts["oversight-final-no-less-fair"] == "fail"
    assert verdicts["oversight-override-parity"] == "fail"
    assert "Reviewer 'R08' kept every one of the model's" in out


def test_the_oversight_doc_shows_the_message_for_a_person_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    generate, _ = _console_blocks("oversight.md")[0]
    main(generate[0])  # the log of the doc's first example
    log = pd.read_csv("log.csv")
    pd.concat([log.iloc[:5], log.iloc[[2]], log.iloc[5:]]).to_csv("log.csv", index=False)
    capsys.readouterr()
    (commands, printed) = _console_blocks("oversight.md")[1]
    assert main(commands[0]) == 2
    assert " ".join(capsys.readouterr().err.split()) == " ".join(" ".join(printed).split())
