"""One vocabulary of purposes and risk tiers for the register and the policy packs."""

from __future__ import annotations

import datetime as dt
import typing

import pytest

from govern.evidence import Evidence
from govern.evidence.process import ProcessEvidence
from govern.metadata import GovernanceMetadata
from govern.policies import evaluate, list_packs, load_policy
from govern.vocabulary import PURPOSES, RISK_TIERS, Purpose, derive_risk_tier


def test_every_purpose_is_described_and_registrable() -> None:
    assert set(PURPOSES) == set(typing.get_args(Purpose))
    for purpose in PURPOSES:
        meta = GovernanceMetadata(name="m", purpose=purpose, subjects=["employees"])
        assert meta.risk_tier == derive_risk_tier(purpose)
        assert meta.risk_tier in RISK_TIERS


def _registrable_models() -> list[tuple[str, str]]:
    return [(purpose, derive_risk_tier(purpose)) for purpose in PURPOSES]


@pytest.mark.parametrize("pack", [p.name for p in list_packs()])
def test_every_pack_applies_to_some_model_that_can_be_registered(pack: str) -> None:
    # On a day after every pack's date of entry into force, some registrable (purpose, tier)
    # must leave at least one of the pack's rules in scope.
    policy = load_policy(pack)
    late = dt.date(2100, 1, 1)
    in_scope = []
    for purpose, tier in _registrable_models():
        facts = ProcessEvidence(purpose=purpose, risk_tier=tier)
        result = evaluate(policy, Evidence.of(facts), today=late)
        if any(rule.verdict != "not_applicable" for rule in result.rules):
            in_scope.append(purpose)
    assert in_scope, f"{pack} applies to no model that can be registered"


def test_pack_scopes_name_only_registrable_purposes_and_tiers() -> None:
    for pack in list_packs():
        policy = load_policy(pack.name)
        scopes = [policy.applies_to, *(rule.applies_to for rule in policy.rules)]
        for scope in scopes:
            if scope is None:
                continue
            assert set(scope.purposes) <= set(PURPOSES), pack.name
            assert set(scope.risk_tiers) <= set(RISK_TIERS), pack.name


def test_the_eu_pack_applies_to_a_registered_recruitment_model_from_its_date() -> None:
    policy = load_policy("eu-ai-act-high-risk-hr")
    assert policy.applies_to is not None and policy.applies_to.from_date is not None
    start = policy.applies_to.from_date
    facts = ProcessEvidence(purpose="recruitment", risk_tier="high")
    before = evaluate(policy, Evidence.of(facts), today=start - dt.timedelta(days=1))
    on = evaluate(policy, Evidence.of(facts), today=start)
    assert {rule.verdict for rule in before.rules} == {"not_applicable"}
    assert {rule.verdict for rule in on.rules} != {"not_applicable"}
    other = evaluate(
        policy, Evidence.of(ProcessEvidence(purpose="other", risk_tier="minimal")), today=start
    )
    assert {rule.verdict for rule in other.rules} == {"not_applicable"}
