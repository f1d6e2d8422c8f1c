"""Documents from a real MLflow register: what MLflow's UI shows (the version's and the model's
descriptions, the audit tags), the card and report as artifacts of the audit run, the audit
history across versions, and ``govern card``, ``govern report`` and ``govern register-page`` with
their bad inputs.

Expected group counts are recomputed here from the data with pandas.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import mlflow_helpers
import pandas as pd
import pytest

from govern.adapters.registry import (
    AUDIT_EXPERIMENT,
    TAG_AUDIT_RUN_ID,
    TAG_AUDIT_STATUS,
    Registry,
    register_model,
)
from govern.adapters.trail import read_trail
from govern.cli.main import main
from govern.metadata import load_metadata
from govern.services.audit import run_audit
from govern.services.documents import (
    MSG_NO_AUDIT,
    MSG_NOT_AN_AUDIT_OF,
    VERSION_DESCRIPTION_END,
)

CARD = Path(__file__).parent / "fixtures" / "cards" / "cv_screening.yaml"
NAME = "screening"
TEAM_TEXT = "Retrained on the 2025 round; see the training run."
# The policy asks for a bigger group before anything is published to everyone.
POLICY_YAML = """\
name: screening-policy
version: "1"
extends: [eeoc-four-fifths]
settings:
  public_disclosure_min_size: 400
"""
EPOCH = "1795000000"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A model audited at two versions (biased, then fair), a third never audited, and a model
    registered in MLflow without govern metadata."""
    folder = tmp_path_factory.mktemp("documents")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    trail = folder / "trail.jsonl"
    policy = folder / "policy.yaml"
    policy.write_text(POLICY_YAML)
    meta_file = folder / "meta.yaml"
    meta_file.write_text(mlflow_helpers.META_YAML.format(name=NAME))
    previous_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH  # documents logged now and rendered later agree
    runs, data = [], {}
    try:
        for version, biased in (("1", True), ("2", False)):
            frame = mlflow_helpers.hiring_frame(600, seed=11, biased=biased)
            model_uri = mlflow_helpers.log_sklearn_model(uri, mlflow_helpers.train_model(frame))
            register_model(NAME, model_uri=model_uri, metadata=load_metadata(meta_file),
                           card=CARD, tracking_uri=uri, trail=trail)  # fmt: skip
            if version == "2":
                Registry(uri).set_version_description(NAME, "2", TEAM_TEXT)
            data[version] = mlflow_helpers.hiring_frame(600, seed=12, biased=biased)
            result = run_audit(NAME, version=version, data=data[version], policy=policy,
                               y_true="hired", tracking_uri=uri, trail=trail)  # fmt: skip
            assert result.model is not None
            runs.append(result.model.run_id)
        register_model(NAME, model_uri=model_uri, tracking_uri=uri, trail=trail)  # version 3
        Registry(uri).set_alias(NAME, "production", "2")  # what a gate that opened would do
        Registry(uri).ensure_model("legacy-ranker")  # in MLflow, unknown to govern
        yield {"folder": folder, "uri": uri, "trail": trail, "runs": runs, "data": data}
    finally:
        if previous_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous_epoch


@pytest.fixture
def env(
    world: dict[str, object], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, object]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(world["uri"]))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return world


def _runs(world: dict[str, object]) -> list[str]:
    runs = world["runs"]
    assert isinstance(runs, list)
    return runs


def test_the_version_page_names_the_verdict_and_links_the_audit_run(
    world: dict[str, object],
) -> None:
    registry = Registry(str(world["uri"]))
    first, second = _runs(world)
    experiment = registry.client.get_experiment_by_name(AUDIT_EXPERIMENT).experiment_id
    one = registry.get_version(NAME, "1")
    assert one.tags[TAG_AUDIT_RUN_ID] == first and one.tags[TAG_AUDIT_STATUS] == "fail"
    day = one.tags["govern.audit.at"][:10]
    assert one.description.splitlines()[0] == (
        f"**Governance audit: did not pass** on {day} under policy screening-policy 1; 1 "
        f"blocking rule failed, 0 could not be checked. Audit run [{first[:8]}]"
        f"(#/experiments/{experiment}/runs/{first}): its artifacts hold the compliance report, "
        "the model card and audit.json."
    )
    two = registry.get_version(NAME, "2")
    assert two.tags[TAG_AUDIT_RUN_ID] == second and two.tags[TAG_AUDIT_STATUS] == "pass"
    assert two.description.startswith("**Governance audit: passed** on ")
    assert f"(#/experiments/{experiment}/runs/{second})" in two.description
    # what the team wrote is kept, below govern's paragraph
    assert two.description.endswith(f"{VERSION_DESCRIPTION_END}\n\n{TEAM_TEXT}")


def test_the_model_page_summarises_governance_and_the_latest_audit(
    world: dict[str, object],
) -> None:
    description = Registry(str(world["uri"])).get_model(NAME).description
    # in words, never the register's keys (recruitment, in_the_loop, development)
    assert description.startswith(
        "Purpose: Recruitment or selection, about applicants. Risk tier: high."
    )
    assert "- **Human oversight:** A person decides every case; the model only informs them. " in (
        description
    )
    assert "- **Owner:** Recruitment analytics; accountable executive: Director of People." in (
        description
    )
    assert "- **Appeal route:** https://agency.example/appeal." in description
    second = _runs(world)[1]
    assert re.search(
        rf"- \*\*Latest audit:\*\* version 2 passed on \d{{4}}-\d\d-\d\d under screening-policy "
        rf"\(audit run `{second}`\)\.",
        description,
    )


def test_the_card_and_report_are_artifacts_of_the_audit_run(world: dict[str, object]) -> None:
    registry = Registry(str(world["uri"]))
    trail = read_trail(world["trail"])  # type: ignore[arg-type]
    for run_id, verdict in zip(_runs(world), ("Did not pass", "Passed"), strict=True):
        report = registry.read_artifact_text(run_id, "compliance_report.html")
        assert f'<strong class="verdict-word">{verdict}</strong>' in report
        assert registry.read_artifact_text(run_id, "compliance_report.md").startswith(
            f"# Compliance report: cv-screening\n\nModel {NAME} version"
        )
        card = registry.read_artifact_text(run_id, "model_card.html")
        assert '<h2 id="governance">Governance</h2>' in card
        assert "Recruitment analytics" in card  # the register's owner, in the card
        assert registry.read_artifact_text(run_id, "model_card.md").startswith(
            "# Model card: cv-screening"
        )
        # the report quotes the hash that the audit's trail record holds
        audit_json = registry.read_artifact_text(run_id, "audit.json")
        sha = hashlib.sha256(audit_json.encode()).hexdigest()
        (record,) = [r for r in trail if r.kind == "audit" and r.payload["run_id"] == run_id]
        assert record.result_sha256 == sha and sha in report
        assert f"<code>{run_id}</code>" in report


def test_the_history_spans_the_versions(world: dict[str, object]) -> None:
    from govern.services.documents import audit_history

    registry = Registry(str(world["uri"]))
    report = registry.read_artifact_text(_runs(world)[1], "compliance_report.md")
    history = report.split("## Audit history")[1].split("## Where these results")[0]
    rows = [line for line in history.splitlines() if line.startswith("| 1") or line.startswith(
        "| 2")]  # fmt: skip
    assert len(rows) == 2
    assert "| Did not pass | 1 failed |" in rows[0]
    assert rows[1].startswith("| 2 (this audit) |") and "| Passed | 0 failed |" in rows[1]
    for row, entry in zip(rows, audit_history(registry, NAME), strict=True):
        assert row.endswith(f"| sex {entry.parity_ratios['sex']:.3f} |")


def test_govern_report_renders_a_recorded_audit_again(
    env: dict[str, object], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    registry = Registry(str(env["uri"]))
    first, second = _runs(env)
    assert main(["report", NAME, "--version", "2", "--out", "latest.md"]) == 0
    assert capsys.readouterr().out == "wrote latest.md\n"
    # rendered later from the recorded run, it is the report logged with the audit
    logged = registry.read_artifact_text(second, "compliance_report.md")
    assert (tmp_path / "latest.md").read_text() == logged
    assert main(["report", NAME, "--version", "1", "--run", first, "--out", "first.html"]) == 0
    assert "Did not pass" in (tmp_path / "first.html").read_text()


def test_govern_card_renders_the_registered_card(
    env: dict[str, object], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["card", NAME, "--version", "2", "--out", "card.md", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"files": {"card.md": "card.md"}}
    text = (tmp_path / "card.md").read_text()
    assert "- **Owner:** Recruitment analytics\n" in text  # from the register
    assert "- **Type of model:** gradient-boosted trees\n" in text  # from the registered card
    assert "Latest audit (" in text and "): Passed." in text
    assert "## Audit history" in text
    # a version never audited: a card with no audit, still naming its governance
    assert main(["card", NAME, "--version", "3", "--out", "three.html"]) == 0
    three = (tmp_path / "three.html").read_text()
    assert "Latest audit" not in three and "Recruitment analytics" in three
    # a draft card from a file, rendered with the register's facts
    draft = tmp_path / "draft.yaml"
    draft.write_text("model_details:\n  name: screening\n  description: Draft for review.\n")
    assert main(["card", NAME, "--version", "2", "--card", str(draft), "--out", "d.md"]) == 0
    assert "Draft for review." in (tmp_path / "d.md").read_text()


def test_govern_register_page_lists_every_model_and_publishes_with_the_public_size(
    env: dict[str, object], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["register-page", "--out", "public/algorithm_register.md"]) == 0
    public = tmp_path / "public"
    written = capsys.readouterr().out.splitlines()
    assert written == [
        f"wrote {public / 'algorithm_register.md'}",
        f"wrote {public / 'models' / NAME / 'model_card.md'}",
        f"wrote {public / 'models' / NAME / 'compliance_report.md'}",
    ]
    page = (public / "algorithm_register.md").read_text()
    assert "2 models in the register, 1 of them not governed (flagged below)." in page
    assert "| legacy-ranker (**not governed**) | Not governed:" in page
    day = Registry(str(env["uri"])).get_version(NAME, "2").tags["govern.audit.at"][:10]
    # the version the production alias points at, with its documents linked
    assert (
        f"| {NAME} | Recruitment or selection | high | Recruitment analytics | Passed, {day}, "
        f"version 2 | [model card](models/{NAME}/model_card.md), "
        f"[compliance report](models/{NAME}/compliance_report.md) |"
    ) in page
    assert "- **Last audit:** Passed on " in page and "policy screening-policy 1)" in page
    # the internal report shows each sex's count; the public one withholds both (< 400 people)
    counts = env["data"]["2"]["sex"].value_counts()  # type: ignore[index]
    internal = Registry(str(env["uri"])).read_artifact_text(_runs(env)[1], "compliance_report.md")
    published = (public / "models" / NAME / "compliance_report.md").read_text()
    for group in ("female", "male"):
        assert f"| {group} | {counts[group]:,} |" in internal
        assert f"| {group} | suppressed |" in published
    assert "fewer than 400 people are withheld" in published


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["card", NAME], "give the model's NAME and --version"),
        (["card", NAME, "--version", "9", "--out", "x.html"], "has no version '9'"),
        (["card", "nobody", "--version", "1", "--out", "x.html"], "no registered model named"),
        (["report", NAME, "--version", "3", "--out", "x.html"], None),
        (["report", NAME, "--version", "2", "--run", "RUN1", "--out", "x.md"], None),
        (["report", NAME, "--version", "2", "--out", "x.pdf"], "give a file name ending in .html"),
        (["report", NAME, "--version", "2", "--out", "."], "is a directory"),
        (["register-page", "--out", "taken/algorithm_register.html"], "it is a file"),
    ],
)
def test_bad_input_is_exit_2_with_a_message(
    env: dict[str, object],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    message: str | None,
) -> None:
    first = _runs(env)[0]
    (tmp_path / "taken").write_text("a file, not a folder")
    args = [first if a == "RUN1" else a for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if args[:4] == ["report", NAME, "--version", "3"]:
        message = MSG_NO_AUDIT.format(name=NAME, version="3")
    if "--run" in args:
        message = MSG_NOT_AN_AUDIT_OF.format(
            run_id=first, name=NAME, version="2", found=f"audit of {NAME} version 1"
        )
    assert message is not None and message in err
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "x.md").exists()


def test_a_bad_card_file_is_named_with_its_line(
    env: dict[str, object], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_details:\n  name: s\n  ownr: typo\n")
    assert main(["card", NAME, "--version", "2", "--card", str(bad), "--out", "c.html"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3:3: model_details.ownr: unknown key" in err
    assert not (tmp_path / "c.html").exists()


def test_a_failed_recording_puts_the_descriptions_back(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    meta_file = tmp_path / "meta.yaml"
    meta_file.write_text(mlflow_helpers.META_YAML.format(name="fragile"))
    frame = mlflow_helpers.hiring_frame(300, seed=2, biased=False)
    model_uri = mlflow_helpers.log_sklearn_model(uri, mlflow_helpers.train_model(frame))
    trail = tmp_path / "trail.jsonl"
    register_model("fragile", model_uri=model_uri, metadata=load_metadata(meta_file),
                   tracking_uri=uri, trail=trail)  # fmt: skip
    registry = Registry(uri)
    registry.set_version_description("fragile", "1", TEAM_TEXT)
    before = registry.get_model("fragile").description
    in_the_way = tmp_path / "trail-is-a-folder"
    in_the_way.mkdir()  # the trail cannot be written: the last step of recording fails
    with pytest.raises(OSError):
        run_audit("fragile", version="1", data=frame, policy="eeoc-four-fifths",
                  tracking_uri=uri, trail=in_the_way)  # fmt: skip
    assert registry.get_version("fragile", "1").description == TEAM_TEXT
    assert registry.get_model("fragile").description == before
    assert not [
        k for k in registry.get_version_tags("fragile", "1") if k.startswith("govern.audit")
    ]


def test_the_history_reads_only_finished_audits_of_the_model(world: dict[str, object]) -> None:
    from govern.services.documents import audit_history

    registry = Registry(str(world["uri"]))
    entries = audit_history(registry, NAME)
    assert [(e.version, e.status, e.run_id) for e in entries] == [
        ("1", "fail", _runs(world)[0]),
        ("2", "pass", _runs(world)[1]),
    ]
    data = world["data"]
    assert isinstance(data, dict)
    for entry in entries:
        # lowest selection rate over highest, from the version's own predictions, with pandas
        frame: pd.DataFrame = data[entry.version]
        decisions = registry.load_model(NAME, entry.version).predict(frame[mlflow_helpers.FEATURES])
        rates = pd.Series(decisions).groupby(frame["sex"]).mean()
        assert entry.parity_ratios == {"sex": pytest.approx(rates.min() / rates.max(), abs=1e-12)}
    assert audit_history(registry, "legacy-ranker") == []


def test_a_report_rendered_again_is_the_one_the_audit_logged(
    world: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The history built while recording and the one read back from the runs agree, so the
    # report `govern report` renders is byte for byte the one logged to MLflow (time pinned).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    registry = Registry(str(world["uri"]))
    second = _runs(world)[1]
    logged = registry.read_artifact_text(second, "compliance_report.md")
    assert main(["report", NAME, "--version", "2", "--out", str(tmp_path / "again.md")]) == 0
    assert (tmp_path / "again.md").read_text(encoding="utf-8") == logged
