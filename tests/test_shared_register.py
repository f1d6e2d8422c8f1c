"""The shared register of docs/scale.md: ``mlflow server`` on PostgreSQL with a served artifact
root, and the trail on the shared storage beside it, driven through the CLI as a team would:
register -> audit -> approve -> gate -> verify, then a backup restored into a new database.

PostgreSQL and the MLflow server are real, started on 127.0.0.1 by session fixtures.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import mlflow_helpers
import pytest
from gate_helpers import unique, write_policy

from govern.adapters.registry import Registry
from govern.adapters.trail import read_trail, verify_trail
from govern.cli.gate import GATE_OPEN, GATE_PROMOTED
from govern.cli.main import main

pytestmark = pytest.mark.slow


def _psql_rows(uri: str, sql: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def test_register_audit_approve_gate_verify_on_postgres(
    tmp_path: Path,
    mlflow_postgres_server: mlflow_helpers.MlflowServer,
    postgres_server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A team's checkout: govern.yaml points at the shared server and the shared trail.
    team = tmp_path / "team"
    shared = tmp_path / "shared"
    team.mkdir()
    trail = shared / "trail" / "trail.jsonl"
    (team / "govern.yaml").write_text(
        f"tracking_uri: {mlflow_postgres_server.uri}\ntrail_path: {trail}\n"
    )
    monkeypatch.chdir(team)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("GOVERN_ACTOR", "ci-bot")

    frame = mlflow_helpers.hiring_frame(600, seed=3, biased=False)
    model_uri = mlflow_helpers.log_sklearn_model(
        mlflow_postgres_server.uri, mlflow_helpers.train_model(frame)
    )
    name = unique("cv-shared")
    (team / "meta.yaml").write_text(mlflow_helpers.META_YAML.format(name=name))
    frame.to_parquet(team / "applicants.parquet", index=False)
    policy = write_policy(team)

    def govern(*args: str) -> tuple[int, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, out = govern("register", name, "--model-uri", model_uri, "--meta", "meta.yaml")
    assert code == 0, out
    code, out = govern(
        "audit", "run", name, "--version", "1", "--data", "applicants.parquet",
        "--policy", str(policy), "--sensitive", "sex", "--y-true", "hired", "--engine", "duckdb",
    )  # fmt: skip
    assert code == 0, out
    code, out = govern(
        "approve", name, "--version", "1", "--role", "ethics_officer", "--by", "Jane Doe",
        "--comment", "Reviewed the audit and the model card.",
    )  # fmt: skip
    assert code == 0, out
    code, out = govern(
        "gate", name, "--version", "1", "--policy", str(policy), "--promote", "production"
    )
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == GATE_OPEN.format(name=name, version="1")
    assert GATE_PROMOTED.format(alias="production", version="1") in lines
    code, out = govern("verify")
    assert code == 0, out

    # Everything landed in the shared deployment: the register in PostgreSQL, the audit's
    # evidence (built by DuckDB) in the artifact root, the trail on the shared storage.
    registry = Registry(mlflow_postgres_server.uri)
    assert registry.get_alias_version(name, "production") == "1"
    run_id = registry.get_version_tags(name, "1")["govern.audit.run_id"]
    audit = json.loads(registry.read_artifact_text(run_id, "audit.json"))
    assert audit["evidence"]["fairness"]["engine"] == "duckdb"
    assert [r.kind for r in read_trail(trail) if r.model == name] == [
        "register", "audit", "approval", "gate",
    ]  # fmt: skip
    assert verify_trail(trail).ok
    backend = postgres_server.uri("mlflow")
    assert (name,) in _psql_rows(backend, "SELECT name FROM registered_models")

    # The documented backup: pg_dump of the backend store, restored into a new database.
    dump = Path(postgres_server.data) / "mlflow.dump"
    env = {**os.environ, "PGPASSWORD": postgres_server.password}
    connection = ["-h", "127.0.0.1", "-p", str(postgres_server.port), "-U", postgres_server.user]
    import subprocess

    subprocess.run(
        postgres_server.command("pg_dump", *connection, "-Fc", "-f", str(dump), "mlflow"),
        env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    postgres_server.create_database("mlflow_restored")
    subprocess.run(
        postgres_server.command(
            "pg_restore", *connection, "--no-owner", "-d", "mlflow_restored", str(dump)
        ),
        env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    restored = postgres_server.uri("mlflow_restored")
    assert (name, "production", 1) in _psql_rows(
        restored, "SELECT name, alias, version FROM registered_model_aliases"
    )
