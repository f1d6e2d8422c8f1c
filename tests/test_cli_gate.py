"""End to end through the CLI: real sklearn models in a real SQLite register, `govern audit run`,
`govern approve`, `govern gate` (JUnit, Markdown, promotion) and `govern verify`."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import mlflow_helpers
import pytest

from govern.adapters.registry import MSG_MODEL_NOT_FOUND, Registry, register_model
from govern.adapters.trail import read_trail, verify_trail
from govern.cli.approve import APPROVED
from govern.cli.gate import GATE_CLOSED, GATE_NOT_PROMOTED, GATE_OPEN, GATE_PROMOTED
from govern.cli.main import main
from govern.metadata import GovernanceMetadata
from govern.services.gate import MSG_APPROVAL_MISSING, MSG_AUDIT_FAILED, MSG_NO_POLICY


def _load(name: str) -> None:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


_load("gate_helpers")
import gate_helpers as gh  # noqa: E402

GOVERN = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "govern"


class Workplace:
    """A working directory with its register, trail, policy, data and two registered models."""

    def __init__(self, root: Path, uri: str) -> None:
        self.root = root
        self.uri = uri
        self.trail = root / ".govern" / "trail.jsonl"
        self.policy = gh.write_policy(root)
        self.models: dict[str, tuple[str, str]] = {}
        self.data: dict[str, Path] = {}


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workplace]:
    root = tmp_path_factory.mktemp("ci")
    uri = f"sqlite:///{root / 'register.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.setenv("GOVERN_ACTOR", "ci-bot")
        work = Workplace(root, uri)
        for kind, biased in (("fair", False), ("biased", True)):
            frame = mlflow_helpers.hiring_frame(600, seed=3, biased=biased)
            model = mlflow_helpers.train_model(frame)
            model_uri = mlflow_helpers.log_sklearn_model(uri, model)
            name = gh.unique(f"cv-{kind}")
            meta = GovernanceMetadata(
                name=name,
                purpose="recruitment",
                subjects=["applicants"],
                owner="Recruitment analytics",
                appeal_route="https://agency.example/appeal",
                sensitive_attributes=["sex"],
            )
            version = register_model(name, model_uri=model_uri, metadata=meta, tracking_uri=uri)
            work.models[kind] = (name, version)
            path = root / f"{kind}.csv"
            frame.to_csv(path, index=False)
            work.data[kind] = path
        yield work


def run(
    place: Workplace, args: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(place.root)
        patch.setenv("MLFLOW_TRACKING_URI", place.uri)
        patch.setenv("GOVERN_ACTOR", "ci-bot")
        code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def audit_args(place: Workplace, kind: str) -> list[str]:
    name, version = place.models[kind]
    return [
        "audit", "run", name, "--version", version, "--data", str(place.data[kind]),
        "--policy", str(place.policy), "--sensitive", "sex", "--y-true", "hired",
    ]  # fmt: skip


def test_fair_model_signed_off_audits_clean_opens_and_promotes(
    place: Workplace, capsys: pytest.CaptureFixture[str]
) -> None:
    name, version = place.models["fair"]
    code, out, err = run(place, audit_args(place, "fair"), capsys)
    assert code == 0, out + err

    # Sign-off comes after the audit: approvers sign off on the findings they read.
    code, out, err = run(
        place,
        ["approve", name, "--version", version, "--role", "ethics_officer", "--by", "Jane Doe",
         "--comment", "Reviewed the model card and the data sheet."],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    index = read_trail(place.trail)[-1].index
    assert (
        out
        == APPROVED.format(
            name=name, version=version, by="Jane Doe", role="ethics_officer", index=index
        )
        + "\n"
    )

    junit = place.root / "reports" / "fair.xml"
    summary = place.root / "step-summary.md"
    code, out, err = run(
        place,
        ["gate", name, "--version", version, "--policy", str(place.policy),
         "--promote", "production", "--junit", str(junit), "--summary", str(summary)],
        capsys,
    )  # fmt: skip
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == GATE_OPEN.format(name=name, version=version)
    assert lines[-1] == GATE_PROMOTED.format(alias="production", version=version)
    assert Registry(place.uri).get_alias_version(name, "production") == version

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    rule_cases = [
        c for c in suite.findall("testcase") if c.get("classname") == "govern.policy.gate-test"
    ]
    # Sign-off and audit age are the gate's own conditions, not counted again as rules.
    assert [c.get("name") for c in rule_cases] == ["four-fifths", "scores-ll144"]
    assert suite.get("failures") == "0"
    assert "## Deployment gate: OPEN" in summary.read_text()

    kinds = [r.kind for r in read_trail(place.trail) if r.model == name]
    assert kinds == ["register", "audit", "approval", "gate"]
    assert verify_trail(place.trail).ok


def test_biased_model_audit_fails_and_gate_stays_closed(
    place: Workplace, capsys: pytest.CaptureFixture[str]
) -> None:
    name, version = place.models["biased"]
    code, out, err = run(place, audit_args(place, "biased"), capsys)
    assert code == 1, out + err

    junit = place.root / "reports" / "biased.xml"
    code, out, err = run(
        place,
        ["gate", name, "--version", version, "--policy", str(place.policy),
         "--promote", "production", "--junit", str(junit)],
        capsys,
    )  # fmt: skip
    assert code == 1
    assert err == ""
    run_id = Registry(place.uri).get_version_tags(name, version)["govern.audit.run_id"]
    lines = out.splitlines()
    assert lines[0] == GATE_CLOSED.format(name=name, version=version)
    assert lines[1] == "  - " + MSG_AUDIT_FAILED.format(run_id=run_id, rules="rule four-fifths")
    assert lines[2] == "  - " + MSG_APPROVAL_MISSING.format(
        role="ethics_officer", tier="high", name=name, version=version
    )
    assert lines[-1] == GATE_NOT_PROMOTED.format(alias="production")
    assert Registry(place.uri).get_alias_version(name, "production") is None

    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["four-fifths"].find("failure") is not None
    assert len([c for c in cases.values() if c.get("classname") == "govern.policy.gate-test"]) == 2

    code, out, _ = run(
        place,
        ["gate", name, "--version", version, "--policy", str(place.policy), "--format", "json"],
        capsys,
    )
    assert code == 1
    payload = json.loads(out)
    assert payload["open"] is False and payload["approvals_missing"] == ["ethics_officer"]


def test_gate_bad_input_exits_2(place: Workplace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        place, ["gate", "no-such-model", "--version", "1", "--policy", str(place.policy)], capsys
    )
    assert code == 2
    assert out == ""
    assert (
        err
        == "govern: error: "
        + MSG_MODEL_NOT_FOUND.format(name="no-such-model", uri=place.uri)
        + "\n"
    )
    name, version = place.models["fair"]
    code, _, err = run(place, ["gate", name, "--version", version, "--policy", "nope.yaml"], capsys)
    assert code == 2 and err.startswith("govern: error: ") and "Traceback" not in err
    # No policy named and none in govern.yaml: a usage error, not a gate that opens on whatever
    # policy the latest audit used.
    code, out, err = run(place, ["gate", name, "--version", version], capsys)
    assert (code, out) == (2, "")
    assert err == "govern: error: " + MSG_NO_POLICY + "\n"


@pytest.mark.slow
def test_gate_as_a_real_process(place: Workplace) -> None:
    name, version = place.models["biased"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": place.uri, "GOVERN_ACTOR": "ci-bot"}
    done = subprocess.run(
        [str(GOVERN), "gate", name, "--version", version, "--policy", str(place.policy)],
        cwd=place.root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(GATE_CLOSED.format(name=name, version=version))
    assert done.stderr == ""
    done = subprocess.run(
        [str(GOVERN), "verify"], cwd=place.root, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
