"""The synthetic recruitment data, judged by the public-sector baseline's transparency rules: a
model using the postcode area is flagged for a proxy, one trained without it is not, and a model
fed a sensitive attribute (under its own name, another name or as a recoded copy) is flagged for
direct use."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from govern.audits.transparency import transparency_evidence
from govern.audits.transparency.direct_use import direct_use, pipeline_feature_names
from govern.datasets import recruitment
from govern.evidence import Evidence
from govern.evidence.transparency import TransparencyEvidence
from govern.policies import evaluate, load_policy
from govern.services.transparency import transparency_settings

SENSITIVE = ["sex", "ethnicity"]
CATEGORICAL = {"education", "postcode_area", "ethnicity", "sex", "group_code"}
WITH_POSTCODE = [
    "education",
    "years_experience",
    "assessment_score",
    "interview_score",
    "postcode_area",
]
WITHOUT_POSTCODE = WITH_POSTCODE[:-1]
PROXY_RULES = ("baseline-proxies", "baseline-combined-proxies")


@pytest.fixture(scope="module")
def applicants() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = recruitment(6000, seed=21, disparity=0.3)
    # A recoded copy of ethnicity under a name that does not say so.
    codes = {"white": 1, "asian": 2, "black": 3, "mixed": 4, "other": 5}
    frame["group_code"] = frame["ethnicity"].map(codes).astype(str)
    return frame.iloc[:3000], frame.iloc[3000:].reset_index(drop=True)


def _fit(train: pd.DataFrame, features: list[str]) -> Pipeline:
    categories = [f for f in features if f in CATEGORICAL]
    numbers = [f for f in features if f not in CATEGORICAL]
    model = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("categories", OneHotEncoder(handle_unknown="ignore"), categories),
                        ("numbers", StandardScaler(), numbers),
                    ]
                ),
            ),
            ("classifier", LogisticRegression(max_iter=1000, class_weight="balanced")),
        ]
    )
    return model.fit(train[features].fillna("unknown"), train["hired"])


def _audit(
    applicants: tuple[pd.DataFrame, pd.DataFrame], features: list[str]
) -> tuple[TransparencyEvidence, dict[str, str]]:
    train, holdout = applicants
    model = _fit(train, features)
    policy = load_policy("public-sector-baseline")
    evidence = transparency_evidence(
        model,
        holdout.fillna({"sex": "unknown"}) if "sex" in features else holdout,
        features=None,
        sensitive=SENSITIVE,
        y_true=holdout["hired"].to_numpy(),
        settings=transparency_settings(policy, seed=4),
    )
    result = evaluate(policy, Evidence.of(evidence), today=dt.date(2027, 1, 4))
    return evidence, {r.rule_id: r.verdict for r in result.rules}


def test_a_model_using_the_postcode_area_is_flagged_for_a_proxy(applicants: tuple) -> None:
    evidence, verdicts = _audit(applicants, WITH_POSTCODE)
    assert all(verdicts[rule] == "fail" for rule in PROXY_RULES)
    top = evidence.proxies[0]
    assert (top.feature, top.attribute) == ("postcode_area", "ethnicity")
    assert top.ci_low is not None and top.ci_low > 0.5
    (combined,) = [c for c in evidence.combined_proxies if c.attribute == "ethnicity"]
    assert combined.auc > 0.8 and combined.carried_by()[0] == "postcode_area"
    share = evidence.proxy_importance
    assert share is not None and share.features == ["postcode_area"] and share.share > 0.05
    assert verdicts["baseline-no-sensitive-inputs"] == "pass"


def test_a_model_trained_without_it_is_not(applicants: tuple) -> None:
    evidence, verdicts = _audit(applicants, WITHOUT_POSTCODE)
    assert all(verdicts[rule] == "pass" for rule in PROXY_RULES)
    assert max(p.strength for p in evidence.proxies) < 0.1
    assert all(c.auc < 0.6 for c in evidence.combined_proxies)
    assert verdicts["baseline-proxy-importance"] == "pass"
    assert evidence.proxy_importance is not None and evidence.proxy_importance.features == []


@pytest.mark.parametrize(
    ("fed", "reason"),
    [("ethnicity", "is_attribute"), ("group_code", "copies_values")],
)
def test_a_model_fed_a_sensitive_attribute_is_flagged_for_direct_use(
    applicants: tuple, fed: str, reason: str
) -> None:
    evidence, verdicts = _audit(applicants, [*WITHOUT_POSTCODE, fed])
    assert verdicts["baseline-no-sensitive-inputs"] == "fail"
    assert evidence.direct_use is not None
    assert [(u.input, u.attribute, u.reason) for u in evidence.direct_use] == [
        (fed, "ethnicity", reason)
    ]
    assert evidence.direct_use[0].source == "the fitted model's feature names"


def test_names_that_contain_the_attribute_are_direct_use() -> None:
    frame = pd.DataFrame(
        {
            "Ethnicity_Code": ["1", "2"] * 20,
            "ethnicity": ["a", "b"] * 20,
            "ethnicityless": [1.0, 2.0] * 20,
        }
    )
    found = direct_use(
        frame,
        inputs=["Ethnicity_Code", "ethnicityless"],
        sensitive=["ethnicity"],
        source="the columns fed",
    )
    # 'ethnicityless' is another word; its values do copy the attribute, though.
    assert [(u.input, u.reason) for u in found] == [
        ("Ethnicity_Code", "name_matches"),
        ("ethnicityless", "copies_values"),
    ]


def test_a_feature_the_pipeline_builds_from_the_attribute_is_direct_use() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "code": rng.choice(["1", "2"], 200),
            "score": rng.normal(size=200),
            "sex": rng.choice(["f", "m"], 200),
        }
    )
    model = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("sex", OneHotEncoder(), ["code"]), ("scaled", StandardScaler(), ["score"])]
                ),
            ),
            ("classifier", LogisticRegression()),
        ]
    ).fit(frame[["code", "score"]], rng.integers(0, 2, 200))
    assert pipeline_feature_names(model) == ["sex__code_1", "sex__code_2", "scaled__score"]
    found = direct_use(
        frame,
        inputs=["code", "score"],
        sensitive=["sex"],
        source="the fitted model's feature names",
        predictor=model,
    )
    assert [(u.input, u.reason) for u in found] == [
        ("sex__code_1", "encoded_feature"),
        ("sex__code_2", "encoded_feature"),
    ]


def test_a_column_too_short_to_tell_is_not_a_copy() -> None:
    frame = pd.DataFrame({"flag": [0, 1, 0, 1], "sex": list("fmfm")})
    assert direct_use(frame, inputs=["flag"], sensitive=["sex"], source="x") == []
