"""The transparency section of the compliance report: the proxy table, the importance chart with
its intervals, group profiles and individual fairness, in plain words; reproducible bytes.

The golden Markdown lives in tests/fixtures/reports/; regenerate it after an intended change with
``GOVERN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_transparency_report.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from govern.evidence import Evidence
from govern.evidence.transparency import (
    CombinedProxy,
    DirectUse,
    FeatureImportance,
    GroupAUC,
    GroupImportance,
    ImportanceGap,
    IndividualFairness,
    ProxyCarrier,
    ProxyImportanceShare,
    ProxyScore,
    TransparencyEvidence,
)
from govern.model_cards.render import render_report
from govern.model_cards.sections.transparency import transparency_body
from govern.results import AuditResult, DataFingerprint, ModelRef

GOLDEN = Path(__file__).parent / "fixtures" / "reports" / "transparency.md"
EPOCH = "1795000000"


@pytest.fixture(autouse=True)
def _pinned_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _importance(feature: str, value: float, half: float) -> FeatureImportance:
    return FeatureImportance(
        feature=feature,
        importance=value,
        method="decision_change",
        std=half / 3,
        ci_low=value - half,
        ci_high=value + half,
        n_repeats=5,
        n=5000,
    )


def evidence(*, direct: bool = False) -> TransparencyEvidence:
    inputs = ["interview_score", "assessment_score", "postcode_area", "education"]
    shares = {"white": (0.36, 0.37, 0.10, 0.17), "black": (0.36, 0.33, 0.17, 0.14)}
    return TransparencyEvidence(
        model_inputs=[*inputs, "ethnicity"] if direct else inputs,
        sensitive_attributes=["sex", "ethnicity"],
        input_source="the fitted model's feature names",
        direct_use=[DirectUse(input="ethnicity", attribute="ethnicity", reason="is_attribute",
                              source="the fitted model's feature names",
                              detail="input 'ethnicity' is the sensitive attribute ethnicity")]
        if direct else [],
        proxies=[
            ProxyScore(feature="postcode_area", attribute="ethnicity", strength=0.546,
                       method="cramers_v", ci_low=0.530, ci_high=0.558,
                       mutual_information=0.217, n=5000),
            ProxyScore(feature="education", attribute="sex", strength=0.034, method="cramers_v",
                       ci_low=0.0, ci_high=0.045, mutual_information=0.001, n=5000),
            ProxyScore(feature="interview_score", attribute="sex", strength=0.021,
                       method="correlation_ratio", ci_low=0.0, ci_high=0.045,
                       mutual_information=0.001, n=5000),
            ProxyScore(feature="assessment_score", attribute="sex", strength=0.01,
                       method="correlation_ratio", ci_low=0.0, ci_high=0.03, n=5000),
        ],
        combined_proxies=[
            CombinedProxy(attribute="ethnicity", n=5000, auc=0.866, ci_low=0.834, ci_high=0.899,
                          group="other", macro_auc=0.855,
                          groups=[GroupAUC(group="other", n=166, auc=0.866)],
                          carriers=[ProxyCarrier(feature="postcode_area", auc_drop=0.31),
                                    ProxyCarrier(feature="education", auc_drop=0.001)]),
            CombinedProxy(attribute="sex", n=4925, auc=0.509, ci_low=0.492, ci_high=0.525,
                          group="male", macro_auc=0.509,
                          carriers=[ProxyCarrier(feature="postcode_area", auc_drop=0.01)]),
        ],
        global_explanation=[
            _importance("interview_score", 0.306, 0.008),
            _importance("assessment_score", 0.304, 0.008),
            _importance("postcode_area", 0.099, 0.006),
            _importance("education", 0.055, 0.005),
        ],
        accuracy_importance=[
            FeatureImportance(feature="interview_score", importance=0.06, method="accuracy_drop"),
        ],
        proxy_importance=ProxyImportanceShare(share=0.117, ci_low=0.111, ci_high=0.123, n=5000,
                                              features=["postcode_area"], flag_strength=0.3),
        importance_by_group=[
            GroupImportance(attribute="ethnicity", group=group, n=n, feature=feature, share=value)
            for group, n in (("black", 414), ("white", 3664))
            for feature, value in zip(inputs, shares[group], strict=True)
        ],
        importance_gaps=[
            ImportanceGap(attribute="ethnicity", feature="postcode_area", high_group="black",
                          high_share=0.17, low_group="white", low_share=0.10, gap=0.07,
                          ci_low=0.04, ci_high=0.10, groups_measured=["black", "white"],
                          not_measured=["other"]),
        ],
        individual_fairness=IndividualFairness(
            n=5000, consistency=0.911, consistency_ci_low=0.906, consistency_ci_high=0.916,
            consistency_n=5000, theil_index=0.157, theil_ci_low=0.149, theil_ci_high=0.166,
        ),
        settings={"level": 0.95},
    )  # fmt: skip


def audit(part: TransparencyEvidence) -> AuditResult:
    return AuditResult(
        govern_version="0.1.0",
        created_at=dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC),
        model=ModelRef(name="recruitment-screening", version="1"),
        data=DataFingerprint(sha256="0" * 64, n_rows=5000, columns=["hired"], source="x.csv"),
        evidence=Evidence.of(part),
    )


def test_golden_markdown() -> None:
    text = render_report(audit(evidence()), fmt="markdown")
    if os.environ.get("GOVERN_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_the_proxy_table_speaks_plainly() -> None:
    body = transparency_body(evidence(), with_chart=False)
    first = body.proxies[0]
    assert (first.input, first.attribute, first.strength, first.interval) == (
        "postcode_area",
        "ethnicity",
        "0.55",
        "0.53 to 0.56",
    )
    assert first.words == "strong: it gives the attribute away for many people"
    # Pairs under 0.1 are listed only to make up the strongest three.
    assert [p.input for p in body.proxies] == ["postcode_area", "education", "interview_score"]
    assert body.proxies_hidden == 1
    ethnicity, sex = body.combined
    assert ethnicity.words == "well" and ethnicity.carriers == "postcode_area"
    assert "The model could tell ethnicity without being given it." in ethnicity.sentence
    # Nothing to carry when the inputs hardly beat guessing.
    assert sex.words == "hardly better than guessing" and sex.carriers == "—"


def test_the_html_has_the_chart_with_intervals_and_proxies_in_red() -> None:
    html = render_report(audit(evidence()), fmt="html")
    section = html[html.index('id="transparency"') :]
    svg = re.search(r"<svg.*?</svg>", section, re.DOTALL)
    assert svg is not None
    assert 'aria-label="What drives the model\'s decisions, with 95% intervals"' in svg.group(0)
    assert "#a4282a" in svg.group(0)  # the proxy's bar
    assert "Drawn red and hatched as proxies: postcode_area." in section
    assert (
        "Inputs that stand in for a sensitive attribute (postcode_area) carry 12% of what "
        "drives the decisions (95% interval 11% to 12%)." in section
    )
    assert '<td class="num">30.6%<span class="ci">29.8% to 31.4%</span></td>' in section


def test_direct_use_is_said_first() -> None:
    body = transparency_body(evidence(direct=True), with_chart=False)
    assert body.direct_use == (
        "The model reads sensitive attributes among its 5 inputs (read from the fitted model's "
        "feature names): ethnicity."
    )
    assert body.direct_details == ["input 'ethnicity' is the sensitive attribute ethnicity"]


def test_same_evidence_same_bytes() -> None:
    part = evidence()
    assert render_report(audit(part), fmt="html") == render_report(audit(part), fmt="html")


def test_a_tool_without_a_model_says_what_is_missing() -> None:
    part = TransparencyEvidence(model_inputs=None, sensitive_attributes=["sex"])
    body = transparency_body(part, with_chart=True)
    assert body.direct_use.startswith("The model's inputs are not known")
    assert body.importance_sentence.startswith("No explanation of the model was measured")
    assert body.chart_svg == "" and body.proxies == [] and body.individual == []


def test_the_model_card_shows_what_the_model_reads_and_what_drives_it() -> None:
    from govern.model_cards.card import ModelCard, ModelDetails
    from govern.model_cards.render import render_model_card

    card = ModelCard(model_details=ModelDetails(name="recruitment-screening"))
    markdown = render_model_card(card, audit(evidence()), fmt="markdown")
    section = markdown[markdown.index("## Transparency: what the model reads") :]
    assert markdown.index("## Quantitative analyses") < markdown.index("## Transparency")
    assert "| postcode_area | ethnicity | 0.55 (0.53 to 0.56) | Cramér's V |" in section
    html = render_model_card(card, audit(evidence()), fmt="html")
    assert 'aria-label="What drives the model\'s decisions, with 95% intervals"' in html
