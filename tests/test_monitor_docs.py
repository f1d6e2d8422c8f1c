"""The monitoring docs cannot drift: the sample workflow's and crontab's command runs, with the
sample policy, on a synthetic log."""

from __future__ import annotations

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
