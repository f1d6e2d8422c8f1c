"""Human sign-off on a real SQLite MLflow register: the version tag, the trail record, errors."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from govern.adapters.registry import MSG_VERSION_NOT_FOUND, Registry
from govern.adapters.trail import read_trail, verify_trail
from govern.errors import BadInputError, RegistryError
from govern.services.approvals import (
    MSG_BAD_APPROVAL_TAG,
    MSG_BAD_ROLE,
    MSG_NO_APPROVER,
    MSG_NO_AUDIT_TO_SIGN,
    MSG_NO_COMMENT,
    MSG_ROLE_NOT_REQUIRED,
    MSG_SIGNING_UNPASSED_AUDIT,
    RecordedApproval,
    approvals_from_tags,
    approve,
    read_approvals,
)

if "gate_helpers" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "gate_helpers", Path(__file__).with_name("gate_helpers.py")
    )
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["gate_helpers"] = _module
    _spec.loader.exec_module(_module)
import gate_helpers as gh


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("GOVERN_ACTOR", "ci-bot")


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    return tmp_path / "trail.jsonl"


def sign(uri: str, name: str, version: str, trail: Path) -> RecordedApproval:
    return approve(
        name,
        version=version,
        role="ethics_officer",
        by="Jane Doe",
        comment="Reviewed the audit and the model card.",
        tracking_uri=uri,
        trail=trail,
    )


# -- approvals ---------------------------------------------------------------------------------


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    return gh.write_policy(tmp_path)


def test_approve_records_a_tag_and_a_trail_record(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    audit = gh.record_audit(uri, name, version, policy_path, biased=False)
    at = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    approval = approve(
        name,
        version=version,
        role="ethics_officer",
        by="  Jane Doe ",
        comment="Reviewed.",
        tracking_uri=uri,
        trail=trail,
        now=at,
    )
    assert (approval.role, approval.by, approval.at, approval.comment) == (
        "ethics_officer",
        "Jane Doe",
        at,
        "Reviewed.",
    )
    tag = json.loads(
        Registry(uri).get_version_tags(name, version)["govern.approval.ethics_officer"]
    )
    assert tag["by"] == "Jane Doe" and tag["comment"] == "Reviewed."
    assert dt.datetime.fromisoformat(tag["at"]) == at
    records = read_trail(trail)
    assert [r.kind for r in records] == ["register", "approval"]
    last = records[-1]
    assert (last.model, last.version, last.actor) == (name, version, "ci-bot")
    assert last.payload["role"] == "ethics_officer" and last.payload["by"] == "Jane Doe"
    # The sign-off names the audit it was given on, and that audit's outcome.
    run_id = Registry(uri).get_version_tags(name, version)["govern.audit.run_id"]
    assert (approval.audit_run_id, approval.audit_status) == (run_id, audit.status)
    assert last.payload["audit_run_id"] == run_id and approval.warning is None
    assert (tag["trail_index"], tag["trail_hash"]) == (last.index, last.record_hash)
    assert read_approvals(name, version=version, tracking_uri=uri) == [approval]
    assert verify_trail(trail).ok


@pytest.mark.parametrize(
    ("role", "by", "comment", "message"),
    [
        ("Ethics Officer", "Jane", "ok", MSG_BAD_ROLE.format(role="Ethics Officer")),
        ("ethics_officer", "  ", "ok", MSG_NO_APPROVER),
        ("ethics_officer", "Jane", "", MSG_NO_COMMENT),
    ],
)
def test_approve_rejects_bad_input(
    sqlite_tracking_uri: str, trail: Path, role: str, by: str, comment: str, message: str
) -> None:
    with pytest.raises(BadInputError) as info:
        approve(
            "any",
            version="1",
            role=role,
            by=by,
            comment=comment,
            tracking_uri=sqlite_tracking_uri,
            trail=trail,
        )
    assert str(info.value) == message
    assert not trail.exists()


def test_approve_unknown_version(sqlite_tracking_uri: str, trail: Path) -> None:
    name, _ = gh.governed_version(sqlite_tracking_uri, trail)
    with pytest.raises(RegistryError) as info:
        sign(sqlite_tracking_uri, name, "7", trail)
    assert str(info.value) == MSG_VERSION_NOT_FOUND.format(
        name=name, version="7", uri=sqlite_tracking_uri
    )
    assert [r.kind for r in read_trail(trail)] == ["register"]


def test_unreadable_approval_tag() -> None:
    with pytest.raises(BadInputError) as info:
        approvals_from_tags("m", "2", {"govern.approval.dpo": "yes"})
    assert str(info.value) == MSG_BAD_APPROVAL_TAG.format(
        name="m",
        version="2",
        tag="govern.approval.dpo",
        problem="Expecting value: line 1 column 1 (char 0)",
    )


def test_approve_needs_an_audit_to_sign_off(sqlite_tracking_uri: str, trail: Path) -> None:
    name, version = gh.governed_version(sqlite_tracking_uri, trail)
    with pytest.raises(BadInputError) as refused:
        sign(sqlite_tracking_uri, name, version, trail)
    assert str(refused.value) == MSG_NO_AUDIT_TO_SIGN.format(name=name, version=version)


def test_approve_checks_the_role_against_the_policy(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    gh.record_audit(uri, name, version, policy_path, biased=False)
    with pytest.raises(BadInputError) as refused:
        approve(
            name, version=version, role="ethics_oficer", by="Jane Doe", comment="Reviewed.",
            tracking_uri=uri, trail=trail,
        )  # fmt: skip
    assert str(refused.value) == MSG_ROLE_NOT_REQUIRED.format(
        role="ethics_oficer",
        policy=str(policy_path),
        hint=" (did you mean 'ethics_officer'?)",
        roles="ethics_officer",
    )
    assert [r.kind for r in read_trail(trail)] == ["register"]  # nothing recorded


def test_signing_off_a_failed_audit_is_recorded_with_a_warning(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    gh.record_audit(uri, name, version, policy_path, biased=True)
    approval = sign(uri, name, version, trail)
    run_id = Registry(uri).get_version_tags(name, version)["govern.audit.run_id"]
    assert approval.audit_status == "fail"
    assert approval.warning == MSG_SIGNING_UNPASSED_AUDIT.format(run_id=run_id, outcome="failed")
    assert read_trail(trail)[-1].payload["warning"] == approval.warning
