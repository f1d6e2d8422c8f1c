"""Eight ``govern audit run`` processes at once against one SQLite register and one trail."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import mlflow_helpers
import pytest

from govern.adapters.registry import AUDIT_EXPERIMENT, Registry, register_model
from govern.adapters.trail import read_trail, verify_trail

N_PROCESSES = 8


@pytest.mark.slow
def test_eight_concurrent_audits_lose_nothing(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    trail = tmp_path / "trail.jsonl"
    (tmp_path / "govern.yaml").write_text(f"tracking_uri: {uri}\ntrail_path: trail.jsonl\n")
    # Outcome-only (recorded decisions): the processes contend on the register and the trail,
    # not on loading eight copies of a model.
    version = register_model("concurrent-tool", tracking_uri=uri, trail=trail)
    data = tmp_path / "decisions.csv"
    mlflow_helpers.hiring_frame(300, seed=11, biased=False).to_csv(data, index=False)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    command = [
        str(mlflow_helpers.VENV_BIN / "govern"), "audit", "run", "concurrent-tool",
        "--version", version, "--data", str(data), "--policy", "eeoc-four-fifths",
        "--y-pred", "hired", "--sensitive", "sex",
    ]  # fmt: skip
    processes = [
        subprocess.Popen(
            command,
            cwd=tmp_path,
            env={**env, "GOVERN_ACTOR": f"auditor-{i}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(N_PROCESSES)
    ]
    outcomes = [(*p.communicate(timeout=600), p.returncode) for p in processes]
    codes = [code for _, _, code in outcomes]
    failures = [err for _, err, code in outcomes if code not in (0, 1)]
    assert not failures, "\n---\n".join(failures)
    assert len(set(codes)) == 1, codes

    registry = Registry(uri)
    run_ids = registry.search_runs(AUDIT_EXPERIMENT)
    assert len(run_ids) == N_PROCESSES
    assert {registry.get_run_status(r) for r in run_ids} == {"FINISHED"}

    audits = [r for r in read_trail(trail) if r.kind == "audit"]
    assert len(audits) == N_PROCESSES
    assert {r.payload["run_id"] for r in audits} == set(run_ids)
    assert {r.actor for r in audits} == {f"auditor-{i}" for i in range(N_PROCESSES)}
    verification = verify_trail(trail)
    assert verification.ok, verification.problem
    assert verification.n_records == N_PROCESSES + 1  # and the registration

    # the version's tags come whole from one of the eight audits
    tags = registry.get_version_tags("concurrent-tool", version)
    assert tags["govern.audit.run_id"] in run_ids
