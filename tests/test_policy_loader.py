"""Loader, schema and CLI: the malformed corpus, extends, the JSON Schema, a round trip."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.cli.main import main
from govern.errors import PolicyError
from govern.policies import (
    METRIC_NAMES,
    DocumentationCheck,
    MetricCheck,
    ProcessCheck,
    TransparencyCheck,
    dump_policy,
    list_packs,
    load_policy,
    load_waivers,
    policy_json_schema,
    policy_sha256,
)
from govern.policies.checks.combined_proxy import CombinedProxyCheck
from govern.policies.checks.importance_by_group import ImportanceByGroupCheck
from govern.policies.checks.individual_fairness import IndividualFairnessCheck
from govern.policies.checks.proxy_importance import ProxyImportanceCheck
from govern.policies.schema import Policy, Rule, Settings

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
MALFORMED = sorted((FIXTURES / "malformed").glob("*.yaml"))
GOVERN = Path(__file__).parents[1] / ".venv" / "bin" / "govern"


def _expected(path: Path) -> list[str]:
    return path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()


def test_corpus_is_large_enough() -> None:
    assert len(MALFORMED) >= 20
    for path in MALFORMED:
        assert path.with_suffix(".expected").is_file(), f"{path.name} has no .expected"


@pytest.mark.parametrize("path", MALFORMED, ids=[p.stem for p in MALFORMED])
def test_malformed_policy_gives_its_message(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    relative = f"malformed/{path.name}"
    with pytest.raises(PolicyError) as caught:
        load_policy(relative)
    assert caught.value.problems == _expected(path)
    for problem in caught.value.problems:
        assert problem.startswith("malformed/") and problem.split(":")[1].isdigit()


@pytest.mark.parametrize("path", MALFORMED, ids=[p.stem for p in MALFORMED])
def test_cli_validate_exits_2_with_every_problem(
    path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(FIXTURES)
    code = main(["policy", "validate", f"malformed/{path.name}"])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.splitlines() == [*_expected(path), "1 of 1 policy file(s) have problems"]
    assert "Traceback" not in out + err


@pytest.mark.slow
def test_cli_end_to_end_bad_policy_no_traceback() -> None:
    result = subprocess.run(
        [str(GOVERN), "policy", "show", "malformed/02-python-object-tag.yaml"],
        cwd=FIXTURES,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "govern: error: malformed/02-python-object-tag.yaml: 1 problem(s) in the policy:\n"
        "  malformed/02-python-object-tag.yaml:3:14: description: YAML tag "
        "!!python/object/apply:os.system is not allowed"
    )


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    policy = tmp_path / "p.yaml"
    policy.write_text(
        f'name: x\nversion: "1"\ndescription: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    with pytest.raises(PolicyError):
        load_policy(policy)
    assert not marker.exists()


def test_unknown_source_suggests_a_pack() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy("nyc-ll-144")
    assert str(caught.value) == (
        "nyc-ll-144: no such policy file or shipped pack (did you mean 'nyc-ll144'?); shipped "
        "packs: eeoc-four-fifths, eu-ai-act-high-risk-hr, human-oversight, nyc-ll144, "
        "public-sector-baseline, ranking-exposure, recommendation-fairness"
    )


@pytest.mark.parametrize("pack", [p.name for p in list_packs()])
def test_shipped_pack_validates_against_json_schema(pack: str) -> None:
    schema = policy_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(
        (Path(load_policy.__module__ and list_packs()[0].path).parent / f"{pack}.yaml").read_text()
    )
    jsonschema.Draft202012Validator(schema).validate(data)
    policy = load_policy(pack)
    assert policy.rules and all(rule.rationale and rule.references for rule in policy.rules)
    assert policy.text_date is not None


def test_schema_rejects_what_the_loader_rejects() -> None:
    validator = jsonschema.Draft202012Validator(policy_json_schema())
    assert not validator.is_valid({"name": "x", "version": "1", "rule": []})
    bad_kind = {
        "name": "x",
        "version": "1",
        "rules": [{"id": "a", "title": "t", "rationale": "r", "check": {"kind": "metrc"}}],
    }
    assert not validator.is_valid(bad_kind)


def test_cli_schema_is_valid_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == policy_json_schema()


def test_cli_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "list", "--format", "json"]) == 0
    packs = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in packs] == [
        "eeoc-four-fifths",
        "eu-ai-act-high-risk-hr",
        "human-oversight",
        "nyc-ll144",
        "public-sector-baseline",
        "ranking-exposure",
        "recommendation-fairness",
    ]
    assert main(["policy", "show", "public-sector-baseline", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    resolved = load_policy("public-sector-baseline")
    assert shown["sha256"] == policy_sha256(resolved)
    assert [r["id"] for r in shown["rules"]] == [r.id for r in resolved.rules]
    assert main(["policy", "show", "nyc-ll144"]) == 0
    text = capsys.readouterr().out
    assert "- ll144-impact-ratio [warning] metric: impact_ratio >= 0.8" in text


def test_cli_validate_ok_files(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(p.path) for p in list_packs()]
    assert main(["policy", "validate", *paths]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{paths[0]}: ok (2 rules after extends)"


def test_extends_resolution_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        'name: base\nversion: "1"\nextends: [nyc-ll144]\nsettings:\n  alpha: 0.01\n  n_boot: 500\n'
        "disable: [ll144-scoring-impact-ratio]\n"
    )
    (tmp_path / "org.yaml").write_text(
        'name: org\nversion: "2"\nextends: [base.yaml, eeoc-four-fifths]\n'
        "settings:\n  min_group_size: 50\n"
        "override:\n  ll144-impact-ratio:\n    severity: blocking\n    threshold: 0.85\n"
    )
    policy = load_policy(tmp_path / "org.yaml")
    ids = [rule.id for rule in policy.rules]
    assert "ll144-scoring-impact-ratio" not in ids
    assert ids[-2:] == ["four-fifths", "selection-rates-on-record"]
    rule = policy.rule("ll144-impact-ratio")
    assert rule.severity == "blocking"
    assert isinstance(rule.check, MetricCheck) and rule.check.threshold == 0.85
    # Settings: later files override earlier ones key by key; unset keys keep their defaults.
    assert policy.settings.alpha == 0.05  # eeoc-four-fifths, extended after base.yaml, sets it
    assert policy.settings.n_boot == 500
    assert policy.settings.min_group_size == 50
    assert policy.settings.exclude_below_share == 0.02  # from nyc-ll144, through base.yaml
    # The pack itself is untouched.
    assert load_policy("nyc-ll144").rule("ll144-impact-ratio").severity == "warning"


def test_policy_helpers_for_runner_and_gate() -> None:
    baseline = load_policy("public-sector-baseline")
    assert baseline.required_approvals("high") == ["ethics_board", "senior_responsible_owner"]
    assert baseline.required_approvals("limited") == []
    assert baseline.required_approvals(None) == []
    assert baseline.max_audit_age_days() == 365
    assert load_policy("eeoc-four-fifths").max_audit_age_days() is None
    ll144 = load_policy("nyc-ll144")
    assert ll144.needs_intersections() is True
    assert load_policy("eeoc-four-fifths").needs_intersections() is False
    assert ll144.required_attributes() == "all"
    assert "impact_ratio" in ll144.required_metrics()


def test_waiver_file_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(
        "waivers:\n  - rule: four-fifths\n    model: cv\n    justification: short\n"
        "    approver: A\n    expires: next year\n"
    )
    with pytest.raises(PolicyError) as caught:
        load_waivers(path)
    assert caught.value.problems == [
        f"{path}:4:20: waivers[0].justification: found 'short'; string should have at least "
        "10 characters",
        f"{path}:6:14: waivers[0].expires: found 'next year'; expected a date written YYYY-MM-DD",
    ]


def test_hash_changes_with_any_rule_change() -> None:
    policy = load_policy("eeoc-four-fifths")
    changed = policy.model_copy(update={"rules": policy.rules[:1]})
    assert policy_sha256(policy) != policy_sha256(changed)
    assert policy_sha256(policy) == policy_sha256(load_policy("eeoc-four-fifths"))


# --- hypothesis: load -> dump -> load gives the same policy --------------------------------

_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s != "")
_ids = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,12}", fullmatch=True)
_metric = st.builds(
    MetricCheck,
    kind=st.just("metric"),
    metric=st.sampled_from(sorted(METRIC_NAMES)),
    attributes=st.one_of(
        st.sampled_from(["all", "sensitive", "intersections"]),
        st.lists(st.sampled_from(["sex", "ethnicity", "sex & ethnicity"]), min_size=1),
    ),
    comparison=st.sampled_from([">=", ">", "<=", "<"]),
    threshold=st.floats(-10, 10, allow_nan=False),
    judge=st.sampled_from(["point", "least_favourable"]),
    require_significance=st.booleans(),
)
_transparency = st.one_of(
    st.builds(
        TransparencyCheck,
        kind=st.just("transparency"),
        requirement=st.sampled_from(["no_sensitive_inputs", "global_explanation"]),
    ),
    st.builds(
        TransparencyCheck,
        kind=st.just("transparency"),
        requirement=st.just("max_proxy_strength"),
        max_strength=st.floats(0, 1),
    ),
)
_judge = st.sampled_from(["point", "least_favourable"])
_transparency_measures = st.one_of(
    st.builds(CombinedProxyCheck, kind=st.just("combined_proxy"), max_auc=st.floats(0.5, 1),
              attributes=st.one_of(st.none(), st.lists(_text, min_size=1, max_size=2)),
              judge=_judge),
    st.builds(ProxyImportanceCheck, kind=st.just("proxy_importance"), max_share=st.floats(0, 1),
              proxy_strength=st.floats(0.01, 1), judge=_judge),
    st.builds(ImportanceByGroupCheck, kind=st.just("importance_by_group"),
              max_gap=st.floats(0, 1), judge=_judge),
    st.builds(IndividualFairnessCheck, kind=st.just("individual_fairness"),
              measure=st.sampled_from(["consistency", "theil_index"]),
              threshold=st.floats(0, 2), judge=_judge),
)  # fmt: skip
_documentation = st.builds(
    DocumentationCheck,
    kind=st.just("documentation"),
    fields=st.lists(
        st.sampled_from(
            ["ethical_considerations", "training_data.provenance", "human_oversight.measures"]
        ),
        min_size=1,
    ),
    min_words=st.integers(0, 50),
)
_process = st.one_of(
    st.builds(
        ProcessCheck,
        kind=st.just("process"),
        requirement=st.just("audit_recency"),
        max_audit_age_days=st.integers(0, 2000),
    ),
    st.builds(
        ProcessCheck,
        kind=st.just("process"),
        requirement=st.just("sign_off"),
        roles=st.lists(_text, min_size=1, max_size=3),
        risk_tiers=st.lists(st.sampled_from(["high", "limited", "minimal"]), unique=True),
    ),
)
_rule = st.builds(
    Rule,
    id=_ids,
    title=_text,
    severity=st.sampled_from(["blocking", "warning", "info"]),
    rationale=_text,
    references=st.lists(_text, max_size=3),
    check=st.one_of(_metric, _transparency, _transparency_measures, _documentation, _process),
)
_policy = st.builds(
    Policy,
    name=_text,
    version=st.one_of(_text, st.just("1.0"), st.just("2026-01-01")),
    description=st.text(max_size=40),
    settings=st.builds(
        Settings,
        alpha=st.floats(0.001, 0.5),
        n_boot=st.integers(0, 5000),
        exclude_below_share=st.one_of(st.none(), st.floats(0, 0.5)),
    ),
    rules=st.lists(_rule, max_size=4, unique_by=lambda r: r.id),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=_policy)
def test_round_trip_load_dump_load(policy: Policy) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.yaml"
        path.write_text(dump_policy(policy), encoding="utf-8")
        loaded = load_policy(path)
        assert loaded == policy
        path.write_text(dump_policy(loaded), encoding="utf-8")
        assert load_policy(path) == loaded
        assert policy_sha256(loaded) == policy_sha256(policy)
