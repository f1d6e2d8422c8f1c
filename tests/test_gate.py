"""Approvals and the deployment gate on a real SQLite MLflow register; JUnit and Markdown output."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from govern.adapters.junit import gate_junit_xml, gate_summary_markdown, write_junit, write_summary
from govern.adapters.registry import MSG_VERSION_NOT_FOUND, Registry
from govern.adapters.trail import TrailError, read_trail, verify_trail
from govern.errors import BadInputError, PolicyError, RegistryError
from govern.policies import load_policy, policy_sha256
from govern.services.approvals import (
    RecordedApproval,
    approve,
)
from govern.services.gate import (
    MSG_APPROVAL_MISSING,
    MSG_APPROVAL_STALE,
    MSG_AUDIT_FAILED,
    MSG_AUDIT_INCONCLUSIVE,
    MSG_AUDIT_PASSED,
    MSG_AUDIT_TAG_MISMATCH,
    MSG_AUDIT_TOO_OLD,
    MSG_BAD_ALIAS,
    MSG_NEGATIVE_AGE,
    MSG_NO_AUDIT,
    MSG_NO_POLICY,
    MSG_POLICY_MISMATCH,
    MSG_REJUDGED,
    MSG_SNAPSHOT,
    MSG_UNGOVERNED,
    TAG_GATE_LAST,
    GateResult,
    evaluate_gate,
)


def _load_helpers() -> object:
    if "gate_helpers" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "gate_helpers", Path(__file__).with_name("gate_helpers.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["gate_helpers"] = module
        spec.loader.exec_module(module)
    return sys.modules["gate_helpers"]


_load_helpers()
import gate_helpers as gh  # noqa: E402


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("GOVERN_ACTOR", "ci-bot")


@pytest.fixture(scope="module")
def policy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gh.write_policy(tmp_path_factory.mktemp("policy"))


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


# -- the gate ----------------------------------------------------------------------------------


def test_fair_audit_with_sign_off_opens_and_promotes(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    audit = gh.record_audit(uri, name, version, policy_path, biased=False)
    # The audit ran before the sign-off, so its sign-off rule was left to the gate; the gate
    # judges sign-offs now, and the audit's fairness rules passed.
    assert audit.policy is not None
    verdicts = {rule.rule_id: rule.verdict for rule in audit.policy.rules}
    assert verdicts == {
        "four-fifths": "pass",
        "scores-ll144": "not_applicable",
        "ethics-sign-off": "not_applicable",
        "recent-audit": "pass",
    }
    sign(uri, name, version, trail)
    result = evaluate_gate(
        name,
        version=version,
        policy=policy_path,
        promote="production",
        tracking_uri=uri,
        trail=trail,
    )
    assert result.open, result.reasons
    assert result.reasons == []
    assert [(c.name, c.status) for c in result.checks] == [
        ("governed", "pass"),
        ("audit_present", "pass"),
        ("audit_passed", "pass"),
        ("policy_hash", "pass"),
        ("audit_age", "pass"),
        ("approval:ethics_officer", "pass"),
    ]
    assert result.checks[2].message == MSG_AUDIT_PASSED
    assert result.policy_sha256 == policy_sha256(load_policy(policy_path))
    assert result.max_age_days == 365
    assert result.risk_tier == "high"
    assert result.approvals_required == ["ethics_officer"]
    assert result.approvals_missing == []
    assert [r.rule_id for r in result.rules] == list(verdicts)
    # The sign-off rule was left to the gate at audit time; the gate judges it now.
    assert result.rules_judged_by_gate == ["ethics-sign-off", "recent-audit"]
    sign_off = result.rules[2]
    assert sign_off.verdict == "pass"
    assert sign_off.sentence == MSG_REJUDGED.format(
        at=result.evaluated_at.isoformat(), sentence=result.checks[5].message
    )
    assert sign_off.details[-1] == MSG_SNAPSHOT.format(
        verdict="not_applicable", sentence=audit.policy.rules[2].sentence
    )
    assert result.promoted == "production"
    assert Registry(uri).get_alias_version(name, "production") == version
    # Recorded: a gate trail record, and its hash on the version.
    records = read_trail(trail)
    assert [r.kind for r in records] == ["register", "approval", "gate"]
    gate_record = records[-1]
    assert gate_record.payload["open"] is True and gate_record.payload["promoted"] == "production"
    assert gate_record.payload["rules"]["four-fifths"] == "pass"
    assert (result.trail_index, result.trail_hash) == (gate_record.index, gate_record.record_hash)
    last = json.loads(Registry(uri).get_version_tags(name, version)[TAG_GATE_LAST])
    assert last["open"] is True and last["trail_hash"] == gate_record.record_hash
    assert verify_trail(trail).ok


def test_without_a_policy_the_gate_is_a_usage_error_unless_govern_yaml_names_one(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path, tmp_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    gh.record_audit(uri, name, version, policy_path, biased=False)
    sign(uri, name, version, trail)
    with pytest.raises(BadInputError) as refused:
        evaluate_gate(name, version=version, tracking_uri=uri, trail=trail)
    assert str(refused.value) == MSG_NO_POLICY
    (tmp_path / "govern.yaml").write_text(f"policy: {policy_path}\n")
    result = evaluate_gate(name, version=version, tracking_uri=uri, trail=trail)
    assert result.open, result.reasons
    assert result.policy_name == "gate-test"


def test_an_audit_under_a_weaker_policy_does_not_open_the_gate(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path, tmp_path: Path
) -> None:
    # Audited once under the organisation's policy (it fails), then again under a weaker pack:
    # the gate, judging against the organisation's policy, stays closed.
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    gh.record_audit(uri, name, version, policy_path, biased=True)
    weaker = gh.write_policy(tmp_path, threshold=0.3, name="weaker.yaml")
    gh.record_audit(uri, name, version, weaker, biased=True)
    sign(uri, name, version, trail)
    result = evaluate_gate(name, version=version, policy=policy_path, tracking_uri=uri, trail=trail)
    assert not result.open
    assert any(check.name == "policy_hash" and check.status == "fail" for check in result.checks)


def test_a_sign_off_does_not_carry_over_to_a_newer_audit(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    gh.record_audit(uri, name, version, policy_path, biased=False)
    first = sign(uri, name, version, trail)
    newer = gh.record_audit(uri, name, version, policy_path, biased=False)
    result = evaluate_gate(name, version=version, policy=policy_path, tracking_uri=uri, trail=trail)
    assert not result.open
    run_id = Registry(uri).get_version_tags(name, version)["govern.audit.run_id"]
    assert newer.model is not None
    assert result.reasons == [
        MSG_APPROVAL_STALE.format(
            by="Jane Doe",
            role="ethics_officer",
            at=first.at.isoformat(),
            signed=first.audit_run_id,
            run_id=run_id,
            name=name,
            version=version,
        )
    ]
    sign(uri, name, version, trail)
    again = evaluate_gate(name, version=version, policy=policy_path, tracking_uri=uri, trail=trail)
    assert again.open, again.reasons


def test_an_inconclusive_audit_keeps_the_gate_closed(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    audit = gh.record_audit(uri, name, version, policy_path, biased=False, n_per_group=3)
    assert audit.status == "inconclusive"
    sign(uri, name, version, trail)
    result = evaluate_gate(name, version=version, policy=policy_path, tracking_uri=uri, trail=trail)
    assert not result.open
    (reason,) = result.reasons
    assert reason.startswith(
        MSG_AUDIT_INCONCLUSIVE.format(
            run_id=result.audit_run_id, rules="rule four-fifths", advice=""
        ).strip()
    )


def test_biased_audit_without_sign_off_closes_with_every_reason(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    audit = gh.record_audit(uri, name, version, policy_path, biased=True)
    assert audit.status == "fail"
    result = evaluate_gate(
        name,
        version=version,
        policy=policy_path,
        promote="production",
        tracking_uri=uri,
        trail=trail,
    )
    assert not result.open
    assert result.reasons == [
        MSG_AUDIT_FAILED.format(run_id=result.audit_run_id, rules="rule four-fifths"),
        MSG_APPROVAL_MISSING.format(role="ethics_officer", tier="high", name=name, version=version),
    ]
    assert result.approvals_missing == ["ethics_officer"]
    assert result.promoted is None
    assert Registry(uri).get_alias_version(name, "production") is None
    four_fifths = next(r for r in result.rules if r.rule_id == "four-fifths")
    assert four_fifths.verdict == "fail"
    assert four_fifths.value == pytest.approx(0.4)  # 40/200 over 100/200, by hand
    gate_record = read_trail(trail)[-1]
    assert gate_record.kind == "gate" and gate_record.payload["open"] is False
    assert gate_record.payload["reasons"] == result.reasons


def test_no_audit(sqlite_tracking_uri: str, trail: Path, policy_path: Path) -> None:
    name, version = gh.governed_version(sqlite_tracking_uri, trail)
    result = evaluate_gate(
        name, version=version, policy=policy_path, tracking_uri=sqlite_tracking_uri, trail=trail
    )
    assert not result.open
    assert result.reasons == [
        MSG_NO_AUDIT.format(name=name, version=version),
        MSG_APPROVAL_MISSING.format(role="ethics_officer", tier="high", name=name, version=version),
    ]
    statuses = {c.name: c.status for c in result.checks}
    assert statuses["audit_passed"] == statuses["policy_hash"] == "skipped"
    assert statuses["audit_age"] == "skipped"


def test_different_policy_closes(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path, tmp_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    gh.record_audit(uri, name, version, policy_path, biased=False)
    sign(uri, name, version, trail)
    stricter = gh.write_policy(tmp_path, threshold=0.85, name="stricter.yaml")
    result = evaluate_gate(name, version=version, policy=stricter, tracking_uri=uri, trail=trail)
    assert result.reasons == [
        MSG_POLICY_MISMATCH.format(
            audited=str(policy_path),
            audited_sha=policy_sha256(load_policy(policy_path)),
            policy=str(stricter),
            policy_sha=policy_sha256(load_policy(stricter)),
        )
    ]


def test_old_audit_closes(sqlite_tracking_uri: str, trail: Path, policy_path: Path) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    at = dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)
    gh.record_audit(uri, name, version, policy_path, biased=False, at=at)
    sign(uri, name, version, trail)
    now = at + dt.timedelta(days=400, hours=1)
    result = evaluate_gate(
        name, version=version, policy=policy_path, tracking_uri=uri, trail=trail, now=now
    )
    assert result.reasons == [MSG_AUDIT_TOO_OLD.format(age=400, limit=365)]
    # --max-age overrides the policy's limit, both ways.
    result = evaluate_gate(
        name,
        version=version,
        policy=policy_path,
        max_age_days=500,
        tracking_uri=uri,
        trail=trail,
        now=now,
    )
    assert result.open
    result = evaluate_gate(
        name,
        version=version,
        policy=policy_path,
        max_age_days=10,
        tracking_uri=uri,
        trail=trail,
        now=at + dt.timedelta(days=11),
    )
    assert result.reasons == [MSG_AUDIT_TOO_OLD.format(age=11, limit=10)]


def test_ungoverned_model_closes(sqlite_tracking_uri: str, trail: Path, policy_path: Path) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    gh.record_audit(uri, name, version, policy_path, biased=False)
    sign(uri, name, version, trail)
    registry = Registry(uri)
    registry.delete_model_tags(name, [k for k in registry.get_model_tags(name)])
    result = evaluate_gate(name, version=version, policy=policy_path, tracking_uri=uri, trail=trail)
    # Unknown tier: the sign-off rule limited to high risk cannot be required, but the gate
    # still closes because the model is ungoverned.
    assert result.reasons == [MSG_UNGOVERNED.format(name=name)]


def test_changed_status_tag_is_caught(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    gh.record_audit(uri, name, version, policy_path, biased=True)
    sign(uri, name, version, trail)
    Registry(uri).set_version_tags(name, version, {"govern.audit.status": "pass"})
    result = evaluate_gate(name, version=version, policy=policy_path, tracking_uri=uri, trail=trail)
    assert result.reasons == [
        MSG_AUDIT_TAG_MISMATCH.format(tag="pass", run_id=result.audit_run_id, recorded="fail")
    ]


def test_bad_input(sqlite_tracking_uri: str, trail: Path, policy_path: Path) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    with pytest.raises(RegistryError) as info:
        evaluate_gate(name, version="99", policy=policy_path, tracking_uri=uri, trail=trail)
    assert str(info.value) == MSG_VERSION_NOT_FOUND.format(name=name, version="99", uri=uri)
    with pytest.raises(PolicyError):
        evaluate_gate(name, version=version, policy="no-such-pack", tracking_uri=uri, trail=trail)
    with pytest.raises(BadInputError) as bad:
        evaluate_gate(
            name,
            version=version,
            policy=policy_path,
            max_age_days=-1,
            tracking_uri=uri,
            trail=trail,
        )
    assert str(bad.value) == MSG_NEGATIVE_AGE.format(value=-1)
    with pytest.raises(BadInputError) as bad:
        evaluate_gate(
            name,
            version=version,
            policy=policy_path,
            promote="prod uction",
            tracking_uri=uri,
            trail=trail,
        )
    assert str(bad.value) == MSG_BAD_ALIAS.format(alias="prod uction")


def test_promotion_is_undone_when_the_trail_refuses_it(
    sqlite_tracking_uri: str, trail: Path, policy_path: Path
) -> None:
    uri = sqlite_tracking_uri
    name, version = gh.governed_version(uri, trail)
    gh.record_audit(uri, name, version, policy_path, biased=False)
    sign(uri, name, version, trail)
    with trail.open("a") as handle:
        handle.write("{not a record\n")
    with pytest.raises(TrailError):
        evaluate_gate(
            name,
            version=version,
            policy=policy_path,
            promote="production",
            tracking_uri=uri,
            trail=trail,
        )
    assert Registry(uri).get_alias_version(name, "production") is None


# -- JUnit XML and Markdown --------------------------------------------------------------------


@pytest.fixture(scope="module")
def closed_result(
    sqlite_tracking_uri: str, policy_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> GateResult:
    trail = tmp_path_factory.mktemp("junit") / "trail.jsonl"
    name, version = gh.governed_version(sqlite_tracking_uri, trail)
    gh.record_audit(sqlite_tracking_uri, name, version, policy_path, biased=True)
    return evaluate_gate(
        name, version=version, policy=policy_path, tracking_uri=sqlite_tracking_uri, trail=trail
    )


def test_junit_has_one_case_per_rule_and_condition(
    closed_result: GateResult, tmp_path: Path
) -> None:
    path = write_junit(closed_result, tmp_path / "out" / "gate.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    names = [case.get("name") for case in cases]
    # Each finding once: the failing rule is not repeated as "audit passed", and sign-off and
    # audit age appear as the gate's conditions, not again as rules.
    assert names == [
        "governed",
        "audit_present",
        "policy_hash",
        "audit_age",
        "approval:ethics_officer",
        "four-fifths",
        "scores-ll144",
    ]
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
    assert failed == ["approval:ethics_officer", "four-fifths"]
    assert skipped == ["scores-ll144"]
    assert suite.get("tests") == root.get("tests") == "7"
    assert suite.get("failures") == "2" and suite.get("skipped") == "1"
    four_fifths = cases[names.index("four-fifths")].find("failure")
    assert four_fifths is not None and four_fifths.get("type") == "blocking"
    rule = next(r for r in closed_result.rules if r.rule_id == "four-fifths")
    assert four_fifths.get("message") == rule.sentence
    na = cases[names.index("scores-ll144")].find("skipped")
    assert na is not None and (na.get("message") or "").startswith("not_applicable: ")
    assert cases[0].get("classname") == "govern.gate.conditions"
    assert cases[5].get("classname") == "govern.policy.gate-test"


def test_junit_shows_a_warning_without_a_failure(closed_result: GateResult) -> None:
    warned = [
        rule.model_copy(update={"verdict": "fail", "severity": "warning"})
        if rule.rule_id == "scores-ll144"
        else rule
        for rule in closed_result.rules
    ]
    root = ET.fromstring(gate_junit_xml(closed_result.model_copy(update={"rules": warned})))
    (case,) = [c for c in root.iter("testcase") if c.get("name") == "scores-ll144"]
    assert case.find("failure") is None and case.find("skipped") is None
    output = case.find("system-out")
    assert output is not None and (output.text or "").startswith("WARNING")


def test_junit_escapes_text(closed_result: GateResult) -> None:
    tricky = closed_result.model_copy(update={"model": 'a<b>&"c"'})
    root = ET.fromstring(gate_junit_xml(tricky))
    assert root.find("testsuite").get("name") == 'govern gate a<b>&"c" version 1'  # type: ignore[union-attr]


def test_summary_appends_with_rules_and_reasons(closed_result: GateResult, tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("# Earlier step\n")
    write_summary(closed_result, path)
    text = path.read_text()
    assert text.startswith("# Earlier step\n\n## Deployment gate: CLOSED — ")
    assert text.endswith(gate_summary_markdown(closed_result))
    for reason in closed_result.reasons:
        assert f"- {reason}" in text
    assert "| four-fifths | blocking | **FAIL** |" in text
    assert "| scores-ll144 | warning | n/a |" in text
    write_summary(closed_result, path)
    assert path.read_text().count("## Deployment gate: CLOSED") == 2


def test_summary_escapes_pipes(closed_result: GateResult) -> None:
    rules = [r.model_copy(update={"sentence": "a | b\nc"}) for r in closed_result.rules]
    text = gate_summary_markdown(closed_result.model_copy(update={"rules": rules}))
    assert "| a \\| b c |" in text
