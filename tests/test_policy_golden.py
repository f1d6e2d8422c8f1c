"""Golden policy cases: tests/fixtures/policies/<case>/ with case.yaml, evidence.json, waivers.

Each case names a policy (shipped pack or a file in the folder), the day of evaluation, the
model, and the verdict expected of every rule, worked out by hand from the evidence. A shipped
pack without cases that make it pass, fail, be waived, meet an expired waiver and lack data
fails the coverage test.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from govern.evidence import Evidence
from govern.policies import evaluate, list_packs, load_policy, load_waivers
from govern.results import PolicyResult

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
CASES = sorted(path.parent for path in FIXTURES.glob("*/case.yaml"))


def _case(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    return data


def _run(folder: Path) -> tuple[dict[str, Any], PolicyResult]:
    case = _case(folder)
    source = case["policy"]
    policy = load_policy(folder / source if source.endswith(".yaml") else source)
    evidence = Evidence.model_validate_json((folder / "evidence.json").read_text("utf-8"))
    waivers = load_waivers(folder / case["waivers"]) if "waivers" in case else []
    result = evaluate(
        policy,
        evidence,
        waivers=waivers,
        today=case["today"],
        model_name=case.get("model"),
        model_version=case.get("version"),
    )
    return case, result


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_golden_case(folder: Path) -> None:
    case, result = _run(folder)
    verdicts = {rule.rule_id: rule.verdict for rule in result.rules}
    assert verdicts == case["expected"]
    assert result.status == case["status"]
    assert result.evaluated_on == case["today"]
    by_id = {rule.rule_id: rule for rule in result.rules}
    for rule_id, sentence in (case.get("sentences") or {}).items():
        assert by_id[rule_id].sentence == sentence
    expired = set(case.get("expired_waivers") or [])
    for rule in result.rules:
        if rule.rule_id in expired:
            assert rule.waiver is not None and rule.waiver.expired
            assert rule.verdict != "waived"
            assert any("expired on" in line for line in rule.details)
        elif rule.verdict == "waived":
            assert rule.waiver is not None and not rule.waiver.expired
        # Every verdict comes with a sentence an oversight board can read.
        assert rule.sentence.endswith((".", ")")) and len(rule.sentence.split()) >= 5


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("pack", [p.name for p in list_packs()])
def test_every_shipped_pack_is_exercised(pack: str) -> None:
    seen: dict[str, set[str]] = {}
    expired_seen = False
    for folder in CASES:
        case = _case(folder)
        if case["policy"] != pack:
            continue
        for rule_id, verdict in case["expected"].items():
            seen.setdefault(rule_id, set()).add(verdict)
        expired_seen = expired_seen or bool(case.get("expired_waivers"))
    assert seen, f"shipped pack {pack} has no golden case in {FIXTURES}"
    all_verdicts = set().union(*seen.values())
    missing = {"pass", "fail", "waived", "insufficient_data"} - all_verdicts
    assert not missing, f"{pack}: no case gives {sorted(missing)}"
    assert expired_seen, f"{pack}: no case with an expired waiver"
    policy = load_policy(pack)
    for rule in policy.rules:
        verdicts = seen.get(rule.id, set())
        assert "pass" in verdicts, f"{pack}: rule {rule.id} never passes in a golden case"
        assert verdicts - {"pass", "not_applicable"}, f"{pack}: rule {rule.id} never falls short"


def test_evaluation_is_pure_and_repeatable() -> None:
    folder = FIXTURES / "eeoc-fail"
    first = _run(folder)[1]
    second = _run(folder)[1]
    assert first == second
    assert json.loads(first.model_dump_json())["rules"][0]["verdict"] == "fail"


def test_waiver_for_another_model_or_version_does_not_apply() -> None:
    folder = FIXTURES / "eeoc-waived"
    policy = load_policy("eeoc-four-fifths")
    evidence = Evidence.model_validate_json((folder / "evidence.json").read_text("utf-8"))
    waivers = load_waivers(folder / "waivers.yaml")
    today = dt.date(2026, 11, 24)
    for model, version in (("other-model", "3"), ("cv-screener", "4"), (None, None)):
        result = evaluate(
            policy, evidence, waivers=waivers, today=today, model_name=model, model_version=version
        )
        assert result.rules[0].verdict == "fail"
        assert result.rules[0].waiver is None
    # The expiry day itself is still covered; the day after is not.
    on_expiry = evaluate(
        policy,
        evidence,
        waivers=waivers,
        today=dt.date(2027, 1, 31),
        model_name="cv-screener",
        model_version="3",
    )
    after = evaluate(
        policy,
        evidence,
        waivers=waivers,
        today=dt.date(2027, 2, 1),
        model_name="cv-screener",
        model_version="3",
    )
    assert on_expiry.rules[0].verdict == "waived"
    assert after.rules[0].verdict == "fail" and after.rules[0].waiver is not None
    assert after.rules[0].waiver.expired
