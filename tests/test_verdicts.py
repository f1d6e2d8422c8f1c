"""Verdicts that can be trusted, through the CLI, on the cases a public body meets.

- A promotion round of a few dozen people, where two groups of under ten passed at about
  three-fifths of the largest group's rate: inconclusive under eeoc-four-fifths (never "Passed"),
  the gate stays closed, and under nyc-ll144 every category gets its impact ratio.
- A procured tool registered without a model card is not passed by public-sector-baseline.
- No written output shows a count or rate of a group under the disclosure size, and a withheld
  group that falls short of a rule is still reported as falling short.
- The EU pack applies to a registered recruitment model from its date of entry into force.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from govern.adapters.registry import Registry
from govern.cli.main import main
from govern.services.audit import run_audit

META = """\
name: {name}
purpose: {purpose}
subjects: [employees]
owner: People analytics, J. Okafor
accountable_executive: Director of People
contact: people-ai@agency.example
appeal_route: https://agency.example/appeal
data_sources: [promotion rounds 2026]
sensitive_attributes: [ethnicity]
"""
# 40 white candidates (25 promoted), 7 black (3), 9 asian (3): impact ratios 0.69 and 0.53, in
# groups too small (under 10) to judge or to publish.
COHORT = [("white", 40, 25), ("black", 7, 3), ("asian", 9, 3)]
SMALL_RATES = ("0.4286", "0.429", "42.9%", "43%", "0.3333", "0.333", "33.3%", "33%")


def cohort() -> pd.DataFrame:
    rows = []
    for group, n, promoted in COHORT:
        rows += [{"ethnicity": group, "promoted": int(i < promoted)} for i in range(n)]
    return pd.DataFrame(rows)


class Place:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.uri = f"sqlite:///{root / 'register.db'}"
        self.data = root / "cohort.csv"
        cohort().to_csv(self.data, index=False)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    yield Place(tmp_path_factory.mktemp("verdicts"))


def run(place: Place, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(place.root)
        patch.setenv("MLFLOW_TRACKING_URI", place.uri)
        patch.setenv("GOVERN_ACTOR", "ci-bot")
        code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def register(place: Place, capsys: pytest.CaptureFixture[str], name: str, purpose: str) -> None:
    meta = place.root / f"{name}.meta.yaml"
    meta.write_text(META.format(name=name, purpose=purpose))
    code, _, err = run(place, capsys, "register", name, "--meta", str(meta))
    assert code == 0, err


def written_text(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir()) if path.is_file()}


def test_a_small_promotion_cohort_is_inconclusive_never_passed(
    place: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    out = place.root / "eeoc-out"
    code, stdout, _ = run(
        place, capsys, "audit", "fairness", "--data", str(place.data), "--y-pred", "promoted",
        "--sensitive", "ethnicity", "--policy", "eeoc-four-fifths", "--out", str(out),
    )  # fmt: skip
    assert code == 1
    assert "INCONCLUSIVE under eeoc-four-fifths" in stdout
    audit = json.loads((out / "audit.json").read_text())
    assert audit["verdict"] == "inconclusive"
    rule = next(r for r in audit["policy"]["rules"] if r["rule_id"] == "four-fifths")
    assert rule["verdict"] == "insufficient_data"
    assert "29 CFR 1607.4(D)" in rule["to_conclude"]
    assert (
        "too small to publish its figures (fewer than 10 people), has an impact ratio"
        in (rule["sentence"])
    )
    assert sorted(tuple(g) for g in rule["shortfalls"]) == [
        ("ethnicity", "asian"),
        ("ethnicity", "black"),
    ]
    for name, text in written_text(out).items():
        assert "Passed" not in text and "passed" not in text.split("Rules:")[0], name
        assert "Inconclusive" in text or name == "audit.json", name


def test_the_gate_stays_closed_on_an_inconclusive_cohort(
    place: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    register(place, capsys, "promotion-tool", "promotion")
    code, stdout, _ = run(
        place, capsys, "audit", "run", "promotion-tool", "--version", "1", "--data",
        str(place.data), "--y-pred", "promoted", "--policy", "eeoc-four-fifths",
    )  # fmt: skip
    assert code == 1 and "INCONCLUSIVE" in stdout
    code, stdout, _ = run(
        place, capsys, "gate", "promotion-tool", "--version", "1", "--policy", "eeoc-four-fifths",
        "--promote", "production",
    )  # fmt: skip
    assert code == 1
    assert "was inconclusive" in stdout
    assert Registry(place.uri).get_alias_version("promotion-tool", "production") is None


def test_ll144_reports_an_impact_ratio_for_every_category(
    place: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    out = place.root / "ll144-out"
    code, _, _ = run(
        place, capsys, "audit", "fairness", "--data", str(place.data), "--y-pred", "promoted",
        "--sensitive", "ethnicity", "--policy", "nyc-ll144", "--out", str(out),
    )  # fmt: skip
    assert code == 1  # no register entry or card: the audit-age and summary rules are open
    audit = json.loads((out / "audit.json").read_text())
    ratios = {
        r["group"]: r["value"]
        for r in audit["evidence"]["fairness"]["disparities"]
        if r["metric"] == "impact_ratio" and r["attribute"] == "ethnicity"
    }
    assert ratios["black"] == pytest.approx((3 / 7) / (25 / 40))
    assert ratios["asian"] == pytest.approx((3 / 9) / (25 / 40))
    rule = next(r for r in audit["policy"]["rules"] if r["rule_id"] == "ll144-impact-ratio")
    assert rule["verdict"] == "fail" and any("small sample" in d for d in rule["details"])
    report = (out / "compliance_report.md").read_text()
    assert "6 RCNY 5-303(a)" in report  # the law that requires every category to be published


def test_a_procured_tool_without_a_card_is_not_passed(
    place: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    register(place, capsys, "vendor-tool", "recruitment")
    data = place.root / "vendor.csv"
    frame = pd.DataFrame(
        {"ethnicity": ["white"] * 60 + ["black"] * 60, "promoted": ([1] * 30 + [0] * 30) * 2}
    )
    frame.to_csv(data, index=False)
    out = place.root / "vendor-out"
    code, _, _ = run(
        place, capsys, "audit", "run", "vendor-tool", "--version", "1", "--data", str(data),
        "--y-pred", "promoted", "--policy", "public-sector-baseline", "--out", str(out),
    )  # fmt: skip
    assert code == 1
    audit = json.loads((out / "audit.json").read_text())
    assert audit["verdict"] != "pass"
    verdicts = {r["rule_id"]: r["verdict"] for r in audit["policy"]["rules"]}
    assert verdicts["baseline-documentation"] == "fail"  # no card on record: fields missing
    assert verdicts["baseline-fria"] == "fail"
    assert verdicts["baseline-no-sensitive-inputs"] == "insufficient_data"
    for name, text in written_text(out).items():
        assert "Verdict: Passed" not in text, name


def test_no_output_shows_a_withheld_group_and_withheld_shortfalls_are_still_reported(
    place: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    register(place, capsys, "promotion-tool-2", "promotion")
    out = place.root / "withheld-out"
    junit, summary = place.root / "gate.xml", place.root / "gate.md"
    code, stdout, _ = run(
        place, capsys, "audit", "run", "promotion-tool-2", "--version", "1", "--data",
        str(place.data), "--y-pred", "promoted", "--policy", "eeoc-four-fifths", "--out", str(out),
    )  # fmt: skip
    assert code == 1
    gate_code, gate_out, _ = run(
        place, capsys, "gate", "promotion-tool-2", "--version", "1", "--policy",
        "eeoc-four-fifths", "--junit", str(junit), "--summary", str(summary),
    )  # fmt: skip
    assert gate_code == 1
    registry = Registry(place.uri)
    run_id = registry.get_version_tags("promotion-tool-2", "1")["govern.audit.run_id"]
    stored = {
        name: registry.read_artifact_text(run_id, name)
        for name in ("audit.json", "compliance_report.md", "compliance_report.html")
    }
    outputs = {
        **written_text(out),
        **{f"mlflow:{k}": v for k, v in stored.items()},
        "gate.xml": junit.read_text(),
        "gate.md": summary.read_text(),
        "stdout": stdout + gate_out,
    }
    for where, text in outputs.items():
        for figure in SMALL_RATES:
            assert figure not in text, (where, figure)
    # audit.json: the withheld groups keep their names and verdicts, none of their figures.
    fairness = json.loads(stored["audit.json"])["evidence"]["fairness"]
    for group in ("black", "asian"):
        summary_row = next(g for g in fairness["groups"] if g["group"] == group)
        assert summary_row["n"] is None and summary_row["withheld"] == "small"
        assert not [r for r in fairness["metrics"] + fairness["disparities"] if r["group"] == group]
        assert not [t for t in fairness["tests"] if t["group"] == group]
    # Every line of the reports that names a withheld group holds no figure, and says it falls
    # short of the four-fifths rule.
    for where in ("compliance_report.md", "compliance_report.html"):
        text = outputs[where]
        rows = [
            line
            for line in text.splitlines()
            if re.search(r"\b(black|asian)\b", line) and ("suppressed" in line)
        ]
        assert len(rows) >= 2, where
        for line in rows:
            visible = re.sub(r"<[^>]+>", " ", line)
            visible = visible.replace("four-fifths", "").replace("1607.4(D)", "")
            assert not re.search(r"\d", visible), (where, visible)
            assert "falls short of" in visible, (where, visible)


def test_the_eu_pack_applies_to_a_registered_recruitment_model_from_its_date(
    place: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    from govern.policies import load_policy

    register(place, capsys, "cv-screener", "recruitment")
    data = place.root / "cv.csv"
    pd.DataFrame(
        {"ethnicity": ["white"] * 60 + ["black"] * 60, "hired": ([1] * 30 + [0] * 30) * 2}
    ).to_csv(data, index=False)
    policy = load_policy("eu-ai-act-high-risk-hr")
    assert policy.applies_to is not None and policy.applies_to.from_date is not None
    start = policy.applies_to.from_date
    options = {
        "version": "1",
        "data": data,
        "policy": "eu-ai-act-high-risk-hr",
        "y_pred": "hired",
        "tracking_uri": place.uri,
        "trail": place.root / "trail.jsonl",
    }
    before = run_audit("cv-screener", today=start - dt.timedelta(days=1), **options)
    on = run_audit("cv-screener", today=start, **options)
    assert before.policy is not None and on.policy is not None
    assert {r.verdict for r in before.policy.rules} == {"not_applicable"}
    in_force = {r.rule_id: r.verdict for r in on.policy.rules}
    assert in_force["eu-registration"] == "pass"
    assert in_force["eu-annex-iv-documentation"] == "fail"  # registered without a card
