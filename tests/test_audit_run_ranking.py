"""``govern audit run`` for recommenders on a real SQLite register: the log's ranking evidence is
gathered, judged, recorded in MLflow and the trail, and the gate reads it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from govern.adapters.registry import Registry, register_model
from govern.adapters.trail import read_trail
from govern.cli.main import main
from govern.datasets import learning_pathways, talent_shortlist
from govern.evidence.ranking import RankingEvidence
from govern.metadata import GovernanceMetadata
from govern.services.audit import run_audit
from govern.services.gate import evaluate_gate
from govern.services.recommendations import MSG_NO_GROUPS, RankingColumns

LEARNING = RankingColumns(
    user="employee_id",
    rank="rank",
    k=5,
    item_category="course_category",
    categories=("leadership",),
    outcome="enrolled",
)


def _meta(name: str, sensitive: list[str]) -> GovernanceMetadata:
    purpose = "learning_recommendation" if name.startswith("learning") else "recruitment"
    return GovernanceMetadata(
        name=name,
        purpose=purpose,
        subjects=["employees"],
        owner="L&D",
        accountable_executive="Director of People",
        contact="ld@agency.example",
        appeal_route="Ask L&D",
        data_sources=["recommendation log"],
        sensitive_attributes=sensitive,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    folder = tmp_path_factory.mktemp("audit-run-ranking")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    trail = folder / "trail.jsonl"
    models = (("learning-recommender", ["sex"]), ("talent-ranker", ["candidate_sex"]),
              ("plain-ranker", []))  # fmt: skip
    for name, sensitive in models:
        register_model(name, metadata=_meta(name, sensitive), tracking_uri=uri, trail=trail)
    biased = folder / "biased.csv"
    learning_pathways(4000, seed=11, disparity=0.5).to_csv(biased, index=False)
    fair = folder / "fair.csv"
    learning_pathways(4000, seed=11, disparity=0.0).to_csv(fair, index=False)
    shortlist = folder / "shortlist.parquet"
    talent_shortlist(400, seed=2, disparity=0.3).to_parquet(shortlist)
    yield {"uri": uri, "trail": trail, "biased": biased, "fair": fair, "shortlist": shortlist,
           "folder": folder}  # fmt: skip


def test_a_biased_recommender_fails_and_is_recorded(world: dict[str, object]) -> None:
    uri, trail = str(world["uri"]), Path(str(world["trail"]))
    out = Path(str(world["folder"])) / "out"
    result = run_audit(
        "learning-recommender",
        version="1",
        data=world["biased"],  # type: ignore[arg-type]
        policy="recommendation-fairness",
        ranking=LEARNING,
        tracking_uri=uri,
        trail=trail,
        out_dir=out,
    )
    assert result.status == "fail"
    reach = result.policy.rules[0]  # type: ignore[union-attr]
    assert (reach.rule_id, reach.verdict, reach.group) == (
        "recommendation-category-reach",
        "fail",
        "female",
    )
    ranking = result.evidence.get(RankingEvidence)
    assert ranking is not None and ranking.attributes == ["sex"]  # from the model's metadata
    assert result.data.n_rows == 20000 and result.data.columns[:2] == ["employee_id", "rank"]
    tags = Registry(uri).get_version_tags("learning-recommender", "1")
    assert tags["govern.audit.status"] == "fail"
    # The attribute-wide figures are the audit run's MLflow metrics, as a classifier's are.
    from mlflow.tracking import MlflowClient

    logged = MlflowClient(uri).get_run(tags["govern.audit.run_id"]).data.metrics
    widest = ranking.find(
        "top_k_category_rate_ratio", category="leadership", attribute="sex", group="*"
    )
    assert widest and widest[0].value is not None
    assert logged["ranking/top_k_category_rate_ratio/sex/leadership"] == widest[0].value
    audit = json.loads((out / "audit.json").read_text())
    assert audit["evidence"]["ranking"]["k"] == 5
    record = read_trail(trail)[-1]
    assert record.kind == "audit" and record.model == "learning-recommender"
    gate = evaluate_gate(
        "learning-recommender",
        version="1",
        policy="recommendation-fairness",
        tracking_uri=uri,
        trail=trail,
    )
    assert not gate.open


def test_a_fair_recommender_passes_through_the_cli(
    world: dict[str, object], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(world["uri"]))
    monkeypatch.chdir(Path(str(world["folder"])))  # the default trail is .govern/ here
    code = main(
        [
            "audit", "run", "learning-recommender", "--version", "1", "--data",
            str(world["fair"]), "--policy", "recommendation-fairness", "--user", "employee_id",
            "--rank", "rank", "--k", "5", "--item-category", "course_category", "--category",
            "leadership", "--outcome", "enrolled",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, captured.err
    assert out.startswith("learning-recommender version 1: PASS under recommendation-fairness")


def test_a_talent_ranker_is_audited_on_its_items(world: dict[str, object]) -> None:
    result = run_audit(
        "talent-ranker",
        version="1",
        data=world["shortlist"],  # type: ignore[arg-type]
        policy="ranking-exposure",
        ranking=RankingColumns(
            user="post_id", rank="rank", k=5, item_sensitive="candidate_sex", outcome="qualified"
        ),
        tracking_uri=str(world["uri"]),
        trail=Path(str(world["trail"])),
    )
    ranking = result.evidence.get(RankingEvidence)
    assert ranking is not None
    # The metadata's candidate_sex is the items' attribute here, not the posts'.
    assert ranking.attributes == [] and ranking.item_attribute == "candidate_sex"
    assert result.status == "fail"


def test_a_ranker_with_no_groups_is_refused(world: dict[str, object]) -> None:
    from govern.errors import BadInputError

    with pytest.raises(BadInputError) as caught:
        run_audit(
            "plain-ranker",
            version="1",
            data=world["shortlist"],  # type: ignore[arg-type]
            policy="ranking-exposure",
            ranking=RankingColumns(user="post_id", rank="rank", k=5),
            tracking_uri=str(world["uri"]),
            trail=Path(str(world["trail"])),
        )
    assert str(caught.value) == MSG_NO_GROUPS.format(name="plain-ranker")


def test_partial_ranking_columns_are_a_usage_error(
    world: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["audit", "run", "learning-recommender", "--version", "1", "--data", str(world["fair"]),
         "--policy", "recommendation-fairness", "--user", "employee_id"]
    )  # fmt: skip
    assert code == 2
    assert "a recommendation log needs --rank, --k as well" in capsys.readouterr().err


def test_decision_columns_are_refused_for_a_log(world: dict[str, object]) -> None:
    from govern.errors import BadInputError
    from govern.services.recommendations import MSG_DECISION_COLUMNS

    with pytest.raises(BadInputError) as caught:
        run_audit(
            "learning-recommender",
            version="1",
            data=world["fair"],  # type: ignore[arg-type]
            policy="recommendation-fairness",
            ranking=LEARNING,
            y_true="enrolled",
            tracking_uri=str(world["uri"]),
            trail=Path(str(world["trail"])),
        )
    assert str(caught.value) == MSG_DECISION_COLUMNS.format(options="--y-true")


def test_a_log_reduced_by_duckdb_gives_the_same_recorded_evidence(
    world: dict[str, object],
) -> None:
    pytest.importorskip("duckdb")
    results = {
        engine: run_audit(
            "learning-recommender",
            version="1",
            data=world["biased"],  # type: ignore[arg-type]
            policy="recommendation-fairness",
            ranking=LEARNING,
            engine=engine,
            tracking_uri=str(world["uri"]),
            trail=Path(str(world["trail"])),
        )
        for engine in ("pandas", "duckdb")
    }
    pandas, duckdb = (results[e].evidence.get(RankingEvidence) for e in ("pandas", "duckdb"))
    assert pandas is not None and duckdb is not None
    assert (pandas.engine, duckdb.engine) == ("pandas", "duckdb")
    assert results["duckdb"].data.method.startswith("duckdb-hash-sum/")
    assert results["duckdb"].data.source == "biased.csv"
    pd.testing.assert_frame_equal(duckdb.to_frame(), pandas.to_frame(), rtol=0, atol=1e-12)
    assert [r.verdict for r in results["duckdb"].policy.rules] == [  # type: ignore[union-attr]
        r.verdict
        for r in results["pandas"].policy.rules  # type: ignore[union-attr]
    ]


def test_a_glob_of_log_files_is_audited_by_duckdb_through_the_cli(
    world: dict[str, object], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("duckdb")
    folder = Path(str(world["folder"])) / "fair-parts"
    folder.mkdir()
    fair = pd.read_csv(Path(str(world["fair"])))
    for i in range(2):
        fair.iloc[i::2].to_parquet(folder / f"part-{i}.parquet", index=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(world["uri"]))
    monkeypatch.chdir(Path(str(world["folder"])))
    code = main(
        [
            "audit", "run", "learning-recommender", "--version", "1", "--data",
            str(folder / "part-*.parquet"), "--policy", "recommendation-fairness", "--user",
            "employee_id", "--rank", "rank", "--k", "5", "--item-category", "course_category",
            "--category", "leadership", "--outcome", "enrolled", "--engine", "duckdb",
            "--format", "json",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    audit = json.loads(captured.out)
    assert audit["evidence"]["ranking"]["engine"] == "duckdb"
    assert audit["data"]["n_rows"] == len(fair)
    assert audit["data"]["method"].startswith("duckdb-hash-sum/")
