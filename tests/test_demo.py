"""`govern demo` end to end on a real SQLite register: it finds the planted disparity, and its
figures equal fairlearn's on the same held-out predictions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from browser import Browser, chromium_binary

from govern.adapters.registry import Registry
from govern.services.demo import (
    DEMO_FEATURES,
    DEMO_MODEL_NAME,
    DEMO_RECOMMENDER,
    demo_data,
    run_demo,
)

ROWS, SEED, DISPARITY = 10_000, 7, 0.3


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("demo")
    uri = f"sqlite:///{work}/.govern/mlflow.db"
    (work / ".govern").mkdir()
    previous = Path.cwd()
    os.chdir(work)  # the trail and artifacts live beside the register, under the work folder
    try:
        summary = run_demo(
            work / "out", rows=ROWS, seed=SEED, disparity=DISPARITY, tracking_uri=uri
        )
    finally:
        os.chdir(previous)
    assert summary.version == "1"
    return work, uri


DEMO_FILES = (
    "audit.json",
    "compliance_report.html",
    "compliance_report.md",
    "model_card.html",
    "model_card.md",
    "algorithm_register.html",
    "models/recruitment-screening/compliance_report.html",
    "models/recruitment-screening/model_card.html",
    "models/learning-pathways-recommender/compliance_report.html",
    "models/learning-pathways-recommender/model_card.html",
    "learning-pathways-recommender/audit.json",
    "learning-pathways-recommender/compliance_report.html",
    "learning-pathways-recommender/compliance_report.md",
    "learning-pathways-recommender/model_card.html",
    "learning-pathways-recommender/model_card.md",
    "gate.xml",
    "gate.md",
)


def test_demo_writes_the_files_the_readme_names(demo_run: tuple[Path, str]) -> None:
    work, _ = demo_run
    for name in DEMO_FILES:
        assert (work / "out" / name).stat().st_size > 500, name
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for name in DEMO_FILES[:6]:
        assert f"`{name}`" in readme, name


def _summary(report: str) -> str:
    """The executive summary of a Markdown report: from its heading to the rules."""
    return report.split("## Summary", 1)[1].split("## The rules, by outcome", 1)[0]


def test_demo_report_names_every_group_that_falls_short(demo_run: tuple[Path, str]) -> None:
    # The summary names each group of every rule that failed (blocking or warning), read from
    # audit.json's shortfalls, not from the evaluator's sentence (which names only the worst).
    work, _ = demo_run
    audit = json.loads((work / "out" / "audit.json").read_text())
    summary = _summary((work / "out" / "compliance_report.md").read_text())
    failed = [r for r in audit["policy"]["rules"] if r["verdict"] == "fail" and r["shortfalls"]]
    assert {r["rule_id"] for r in failed} >= {"four-fifths", "baseline-intersectional-impact"}
    for rule in failed:
        line = next(x for x in summary.splitlines() if x.startswith(f"- **{rule['title']}.**"))
        for attribute, group in rule["shortfalls"]:
            assert f"by {attribute}: " in line and group in line, (rule["rule_id"], group)
    # the intersection's own table and chart are in the report
    html = (work / "out" / "compliance_report.html").read_text()
    assert '<h3 id="fairness-sex-ethnicity">By sex &amp; ethnicity</h3>' in html
    assert 'aria-label="Selection rate and impact ratio by sex &amp; ethnicity' in html


def test_demo_audits_the_learning_pathway_recommender(demo_run: tuple[Path, str]) -> None:
    work, uri = demo_run
    audit = json.loads((work / "out" / DEMO_RECOMMENDER / "audit.json").read_text())
    assert audit["model"]["name"] == DEMO_RECOMMENDER
    assert audit["policy"]["policy_name"] == "recommendation-fairness"
    reach = audit["policy"]["rules"][0]
    assert (reach["rule_id"], reach["verdict"], reach["group"]) == (
        "recommendation-category-reach",
        "fail",
        "female",
    )
    ranking = audit["evidence"]["ranking"]
    assert (ranking["n_users"], ranking["k"], ranking["categories"]) == (
        ROWS // 2,
        5,
        ["leadership"],
    )
    report = (work / "out" / DEMO_RECOMMENDER / "compliance_report.html").read_text()
    assert "Who is offered each category" in report and "<svg" in report
    tags = Registry(uri).get_version_tags(DEMO_RECOMMENDER, "1")
    assert tags["govern.audit.status"] == "fail"


def test_demo_finds_the_planted_disparity(demo_run: tuple[Path, str]) -> None:
    work, _ = demo_run
    audit = json.loads((work / "out" / "audit.json").read_text())
    assert audit["policy"]["policy_name"] == "public-sector-baseline"
    four_fifths = next(r for r in audit["policy"]["rules"] if r["rule_id"] == "four-fifths")
    assert four_fifths["verdict"] == "fail"
    assert four_fifths["attribute"] == "ethnicity"
    assert four_fifths["group"] in {"black", "asian"}  # the groups the data penalises
    tests = audit["evidence"]["fairness"]["tests"]
    black = next(t for t in tests if t["attribute"] == "ethnicity" and t["group"] == "black")
    assert black["impact_ratio"] < 0.8 and black["significant"]


def test_demo_report_has_an_oversight_section(demo_run: tuple[Path, str]) -> None:
    work, _ = demo_run
    audit = json.loads((work / "out" / "audit.json").read_text())
    oversight = audit["evidence"]["oversight"]
    # the planted pattern: recommended women are turned down more often than men
    down = {
        r["group"]: r["value"]
        for r in oversight["metrics"]
        if r["attribute"] == "sex" and r["metric"] == "override_down_rate"
    }
    assert down["female"] > down["male"] + 0.05
    # README: "and so widens the gap the model had left: the lowest impact ratio by sex falls"
    (change,) = [
        r["value"]
        for r in oversight["stages"]
        if (r["attribute"], r["group"], r["metric"]) == ("sex", "*", "impact_ratio_change")
    ]
    assert change < 0
    report = (work / "out" / "compliance_report.html").read_text()
    assert "Human oversight: how reviewers used the model" in report
    assert "Did review narrow or widen the gap by sex?" in report


def test_the_readme_claims_about_the_demo_hold(demo_run: tuple[Path, str]) -> None:
    # README, "What the demo does": each sentence about the audit, checked against audit.json.
    work, _ = demo_run
    audit = json.loads((work / "out" / "audit.json").read_text())
    fairness = audit["evidence"]["fairness"]
    rules = {r["rule_id"]: r for r in audit["policy"]["rules"]}
    ratios = {
        (r["attribute"], r["group"]): r["value"]
        for r in fairness["disparities"]
        if r["metric"] == "impact_ratio"
    }
    # "group fairness by sex, ethnicity and their intersection"
    assert fairness["attributes"] == ["sex", "ethnicity", "sex & ethnicity"]
    # "black and asian applicants are shortlisted at about seven tenths of the rate of the
    # best-served group, a significant shortfall (also in the sex x ethnicity intersection)"
    for group in ("black", "asian"):
        assert 0.6 < ratios[("ethnicity", group)] < 0.8
        assert ("ethnicity", group) in [tuple(g) for g in rules["four-fifths"]["shortfalls"]]
    assert rules["four-fifths"]["verdict"] == "fail"
    intersection = rules["baseline-intersectional-impact"]
    assert intersection["verdict"] == "fail" and intersection["attribute"] == "sex & ethnicity"
    # "the postcode area is flagged as a proxy for ethnicity"
    proxies = rules["baseline-proxies"]
    assert proxies["verdict"] == "fail" and (proxies["group"], proxies["attribute"]) == (
        "postcode_area",
        "ethnicity",
    )
    # "its decisions for women and men are close"
    assert ratios[("sex", "female")] > 0.9 and ratios[("sex", "male")] > 0.9
    # "The policy fails and the gate stays closed"
    assert audit["verdict"] == "fail"
    gate = (work / "out" / "gate.md").read_text()
    assert "## Deployment gate: CLOSED" in gate


def test_demo_figures_equal_fairlearn(demo_run: tuple[Path, str]) -> None:
    from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate

    work, uri = demo_run
    audit = json.loads((work / "out" / "audit.json").read_text())
    _, holdout = demo_data(rows=ROWS, seed=SEED, disparity=DISPARITY)
    model = Registry(uri).load_model(DEMO_MODEL_NAME, "1")
    y_pred = pd.Series(model.predict(holdout[list(DEMO_FEATURES)])).astype(int)
    frame = MetricFrame(
        metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate},
        y_true=holdout["hired"],
        y_pred=y_pred,
        sensitive_features=holdout["ethnicity"],
    )
    rows = audit["evidence"]["fairness"]["metrics"]
    for metric in ("selection_rate", "true_positive_rate"):
        for group, expected in frame.by_group[metric].items():
            (ours,) = [
                r["value"]
                for r in rows
                if r["attribute"] == "ethnicity" and r["group"] == group and r["metric"] == metric
            ]
            assert ours == pytest.approx(expected, abs=1e-9), (metric, group)


def test_demo_report_holds_no_row_level_data(demo_run: tuple[Path, str]) -> None:
    work, _ = demo_run
    _, holdout = demo_data(rows=ROWS, seed=SEED, disparity=DISPARITY)
    for name in (
        "compliance_report.html",
        "model_card.html",
        "algorithm_register.html",
        "audit.json",
    ):
        text = (work / "out" / name).read_text()
        for applicant in holdout["applicant_id"].head(50):
            assert applicant not in text, (name, applicant)


def test_demo_report_shows_the_proxy_table_and_the_importance_chart(
    demo_run: tuple[Path, str],
) -> None:
    work, _ = demo_run
    html = (work / "out" / "compliance_report.html").read_text()
    section = html[html.index('id="transparency"') :]
    assert "Inputs that stand in for a sensitive attribute" in section
    assert '<th scope="row">postcode_area</th><td>ethnicity</td>' in section
    assert 'aria-label="What drives the model\'s decisions, with 95% intervals"' in section
    audit = json.loads((work / "out" / "audit.json").read_text())
    verdicts = {r["rule_id"]: r["verdict"] for r in audit["policy"]["rules"]}
    # The postcode area carries ethnicity in: the inputs together predict it well.
    assert verdicts["baseline-combined-proxies"] == "fail"


@pytest.mark.slow
def test_demo_command_exits_0_and_prints_the_verdict(tmp_path: Path) -> None:
    govern = Path(sys.executable).with_name("govern")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    result = subprocess.run(
        [str(govern), "demo", "--rows", "2000", "--out", "here"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Audit verdict: FAIL" in result.stdout
    assert "Deployment gate: CLOSED." in result.stdout
    assert "Recommender audit (learning-pathways-recommender" in result.stdout
    assert (tmp_path / ".govern" / "mlflow.db").exists()
    for name in ("compliance_report.html", "compliance_report.md", "model_card.html",
                 "model_card.md", "algorithm_register.html"):  # fmt: skip
        path = tmp_path / "here" / name
        assert path.exists() and f" {path}" in result.stdout, name


@pytest.mark.slow
@pytest.mark.skipif(chromium_binary() is None, reason="chromium is not installed")
def test_every_page_the_demo_writes_passes_the_browser_checks(demo_run: tuple[Path, str]) -> None:
    # The real documents, not hand-built ones: every section the demo's audits gather (fairness,
    # transparency, oversight, rankings), in a real Chromium: no console error or request, no
    # accessibility violation (chart text inside its chart included), nothing wider than the
    # window.
    work, _ = demo_run
    pages = sorted((work / "out").rglob("*.html"))
    assert len(pages) == 9
    browser = Browser(chromium_binary())  # type: ignore[arg-type]
    try:
        for page in pages:
            visit = browser.visit(page)
            shown = page.relative_to(work / "out")
            assert visit.errors == [] and visit.outside_requests == [], shown
            assert visit.violations == [], (shown, visit.violations)
            assert visit.facts["scripts"] == 0, shown
            assert visit.facts["width"] <= visit.facts["viewport"], shown
    finally:
        browser.close()
