"""The transparency evidence in ``govern audit run``: a registered recruitment model on a real
SQLite register; audit.json holds every part (its importances are scikit-learn's) and the
compliance report shows the proxy table and the importance chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.inspection import permutation_importance

from govern.adapters.registry import Registry, log_sklearn_model, register_model
from govern.datasets import recruitment
from govern.services.audit import AUDIT_ARTIFACT, REPORT_ARTIFACT_HTML, run_audit
from govern.services.demo import DEMO_FEATURES, demo_metadata, train_screening_model


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("transparency-run")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    applicants = recruitment(2400, seed=9, disparity=0.3)
    train, holdout = applicants.iloc[:1200], applicants.iloc[1200:].reset_index(drop=True)
    model = train_screening_model(train)
    version = register_model(
        "screening",
        model_uri=log_sklearn_model(model, tracking_uri=uri),
        metadata=demo_metadata().model_copy(update={"name": "screening"}),
        tracking_uri=uri,
        trail=folder / "trail.jsonl",
    )
    run_audit(
        "screening", version=version, data=holdout, policy="public-sector-baseline",
        y_true="hired", tracking_uri=uri, out_dir=folder / "out", trail=folder / "trail.jsonl",
        seed=13,
    )  # fmt: skip
    return {"folder": folder, "uri": uri, "version": version, "holdout": holdout}


def test_audit_json_holds_every_transparency_part(audited: dict[str, object]) -> None:
    folder = audited["folder"]
    assert isinstance(folder, Path)
    audit = json.loads((folder / "out" / AUDIT_ARTIFACT).read_text())
    part = audit["evidence"]["transparency"]
    assert part["model_inputs"] == list(DEMO_FEATURES)
    assert part["direct_use"] == []
    for key in (
        "combined_proxies",
        "global_explanation",
        "accuracy_importance",
        "proxy_importance",
        "importance_by_group",
        "importance_gaps",
        "individual_fairness",
    ):
        assert part[key], key
    # The importances are scikit-learn's for the registered model, its decisions and the seed.
    loaded = Registry(str(audited["uri"])).load_model("screening", str(audited["version"]))
    frame = audited["holdout"][list(DEMO_FEATURES)]  # type: ignore[index]
    theirs = permutation_importance(
        loaded.predictor,
        frame,
        loaded.predict(frame),
        scoring="accuracy",
        n_repeats=5,
        random_state=13,
    )
    found = {f["feature"]: f["importance"] for f in part["global_explanation"]}
    assert found == dict(zip(DEMO_FEATURES, theirs.importances_mean, strict=True))
    verdicts = {r["rule_id"]: r["verdict"] for r in audit["policy"]["rules"]}
    assert verdicts["baseline-combined-proxies"] == "fail"  # the postcode area
    assert verdicts["baseline-no-sensitive-inputs"] == "pass"


def test_the_report_shows_the_proxy_table_and_the_chart(audited: dict[str, object]) -> None:
    folder = audited["folder"]
    assert isinstance(folder, Path)
    html = (folder / "out" / REPORT_ARTIFACT_HTML).read_text()
    section = html[html.index('id="transparency"') :]
    assert '<th scope="row">postcode_area</th><td>ethnicity</td>' in section
    assert 'aria-label="What drives the model\'s decisions, with 95% intervals"' in section
