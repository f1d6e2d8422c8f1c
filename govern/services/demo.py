"""The main job end to end on synthetic recruitment data: ``govern demo``.

Generate applicants with a planted disparity, train a screening model, register it in MLflow
with its governance metadata and model card, have simulated recruiters review its shortlist,
audit it (and their review) against a policy, write the audit, the model card, the compliance
report and the public algorithm register page, and run the deployment gate as a CI job would.
Then audit a second registered system, a learning-pathway recommender, on its recommendation
log (who is offered the leadership track) and write its compliance report beside the first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from govern.model_cards.card import ModelCard
    from govern.results import AuditResult
    from govern.services.gate import GateResult

DEMO_MODEL_NAME = "recruitment-screening"
DEMO_POLICY = "public-sector-baseline"
DEMO_SENSITIVE = ("sex", "ethnicity")
# What the screening model reads. Sex and ethnicity are left out, as is usual; the postcode
# area stays in, and the audit shows that it carries ethnicity in through the back door.
DEMO_FEATURES = (
    "education",
    "years_experience",
    "assessment_score",
    "interview_score",
    "postcode_area",
)
DEMO_TARGET = "hired"
DEMO_CARD_FILE = "demo_card.yaml"
# Recruiters review the model's shortlist; the demo plants a pattern for the audit to find:
# they turn down recommended women and black and asian applicants more often.
DEMO_REVIEWERS = 6
DEMO_OVERRIDE_BIAS = 0.15
# The learning-pathway recommender: audited on its log of each employee's top 5 courses.
DEMO_RECOMMENDER = "learning-pathways-recommender"
DEMO_RECOMMENDER_POLICY = "recommendation-fairness"
# The recommender's audit.json and compliance report go in a folder of this name in the demo's
# folder, under the names every command uses (govern.model_cards.names).
DEMO_RECOMMENDER_FOLDER = DEMO_RECOMMENDER


@dataclass
class DemoSummary:
    """What the demo did and where its files are."""

    model_name: str
    version: str
    tracking_uri: str
    audit: AuditResult
    gate: GateResult
    files: dict[str, Path] = field(default_factory=dict)
    recommendations: AuditResult | None = None

    @property
    def status(self) -> str:
        return self.audit.status


def demo_model_card(version: str = "") -> ModelCard:
    """The model card an organisation would write for the demo screening model.

    It lives in ``demo_card.yaml`` beside this module, the same YAML a team passes to
    ``govern register --card``, and is validated like any card.
    """
    from importlib.resources import files

    from govern.model_cards.card import parse_model_card

    text = (files("govern.services") / DEMO_CARD_FILE).read_text(encoding="utf-8")
    card = parse_model_card(text, DEMO_CARD_FILE)
    details = card.model_details.model_copy(update={"version": version})
    return card.model_copy(update={"model_details": details})


def demo_metadata() -> Any:
    """Governance metadata of the demo model, as the register stores it."""
    from govern.metadata import GovernanceMetadata

    return GovernanceMetadata(
        name=DEMO_MODEL_NAME,
        purpose="recruitment",
        subjects=["applicants"],
        owner="People Analytics team (J. Rivera)",
        accountable_executive="Director of People",
        contact="ai-governance@example.org",
        appeal_route="Human review of any sift decision on request, within 28 days",
        deployment_status="development",
        human_oversight="in_the_loop",
        data_sources=["Applicant tracking system, last hiring round"],
        sensitive_attributes=list(DEMO_SENSITIVE),
    )


def recommender_metadata() -> Any:
    """Governance metadata of the demo's learning-pathway recommender (a procured tool)."""
    from govern.metadata import GovernanceMetadata

    return GovernanceMetadata(
        name=DEMO_RECOMMENDER,
        purpose="learning_recommendation",
        subjects=["employees"],
        owner="Learning and Development team (S. Mensah)",
        accountable_executive="Director of People",
        contact="ai-governance@example.org",
        appeal_route="Employees can ask their manager or L&D for any pathway, whatever is shown",
        deployment_status="pilot",
        human_oversight="on_the_loop",
        data_sources=["Learning platform recommendation log, last quarter"],
        sensitive_attributes=["sex"],
    )


def audit_recommender(
    out_dir: str | os.PathLike[str],
    *,
    employees: int,
    seed: int,
    disparity: float,
    tracking_uri: str,
) -> tuple[AuditResult, dict[str, Path]]:
    """Register the learning-pathway recommender, audit its log of top-5 courses, and write its
    ``audit.json``, compliance report and model card in ``out_dir/learning-pathways-recommender/``
    (the bytes the audit logs to MLflow).

    Its log plants the leadership gap of ``govern.datasets.learning_pathways`` (docs/datasets.md);
    the audit resamples employees, never rows, and judges the share of each sex offered the
    leadership track in its top 5 against the best-served group's.
    """
    from govern.adapters.files import safe_output_path
    from govern.adapters.registry import register_model
    from govern.datasets import learning_pathways
    from govern.services.audit import OUTPUT_FILES, run_audit
    from govern.services.recommendations import RankingColumns

    log = learning_pathways(employees, seed=seed, disparity=disparity)
    version = register_model(
        DEMO_RECOMMENDER, metadata=recommender_metadata(), tracking_uri=tracking_uri
    )
    folder = safe_output_path(out_dir, DEMO_RECOMMENDER_FOLDER)
    audit = run_audit(
        DEMO_RECOMMENDER,
        version=version,
        data=log,
        policy=DEMO_RECOMMENDER_POLICY,
        tracking_uri=tracking_uri,
        seed=seed,
        out_dir=folder,
        ranking=RankingColumns(
            user="employee_id",
            rank="rank",
            k=5,
            item_category="course_category",
            categories=("leadership",),
            outcome="enrolled",
        ),
    )
    # The card too: the register's facts make one for a tool registered without a card file.
    return audit, {
        f"{DEMO_RECOMMENDER_FOLDER}/{name}": safe_output_path(folder, name) for name in OUTPUT_FILES
    }


def demo_data(*, rows: int, seed: int, disparity: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's applicants split in halves: (training data, held-out evaluation data)."""
    from govern.datasets import recruitment

    applicants = recruitment(rows, seed=seed, disparity=disparity)
    in_training = applicants.index.isin(applicants.sample(frac=0.5, random_state=seed).index)
    return applicants[in_training], applicants[~in_training].reset_index(drop=True)


def train_screening_model(train: pd.DataFrame) -> Any:
    """A scikit-learn pipeline that predicts ``hired`` from the demo features."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = ["education", "postcode_area"]
    numeric = [name for name in DEMO_FEATURES if name not in categorical]
    pipeline = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("categories", OneHotEncoder(handle_unknown="ignore"), categorical),
                        ("numbers", StandardScaler(), numeric),
                    ]
                ),
            ),
            # Balanced class weights make the model shortlist about two in five applicants, as a
            # first sift does, instead of the quarter who were hired.
            ("classifier", LogisticRegression(max_iter=1000, class_weight="balanced")),
        ]
    )
    return pipeline.fit(train[list(DEMO_FEATURES)], train[DEMO_TARGET])


def demo_oversight_roles() -> Any:
    """The columns of the recruiters' review, beside the model's own decisions."""
    from govern.evidence.oversight import OversightRoles
    from govern.services.audit import DECISION_COLUMN

    return OversightRoles(
        recommendation=DECISION_COLUMN,
        decision="final_decision",
        appeal="appealed",
        appeal_upheld="appeal_upheld",
        reviewer="reviewer",
    )


def with_review(holdout: pd.DataFrame, model: Any, *, seed: int) -> pd.DataFrame:
    """The held-out applicants with the recruiters' decisions on the model's shortlist."""
    import numpy as np

    from govern.datasets.recruitment import PENALISED_ETHNICITIES
    from govern.datasets.review import reviewer_stage

    recommended = np.asarray(model.predict(holdout[list(DEMO_FEATURES)])).astype(np.int64)
    disadvantaged = (holdout["sex"] == "female").to_numpy() | holdout["ethnicity"].isin(
        PENALISED_ETHNICITIES
    ).to_numpy()
    stage = reviewer_stage(
        recommended,
        disadvantaged,
        seed=seed,
        reviewers=DEMO_REVIEWERS,
        override_bias=DEMO_OVERRIDE_BIAS,
    )
    return holdout.assign(**stage)  # type: ignore[arg-type]


def run_demo(
    out_dir: str | os.PathLike[str] = "govern-demo",
    *,
    rows: int = 10_000,
    seed: int = 7,
    disparity: float = 0.3,
    policy: str = DEMO_POLICY,
    tracking_uri: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Run the main job end to end and return what happened.

    Parameters
    ----------
    out_dir : path
        Folder for ``audit.json``, ``compliance_report.html``, ``model_card.html`` (and their
        Markdown copies), ``algorithm_register.html`` (with the public documents it links in
        ``models/``) and the gate's ``gate.xml`` and ``gate.md``.
    rows, seed, disparity
        Size, seed and planted disparity of the synthetic recruitment data.
    policy : str
        Policy pack or file to audit against.
    tracking_uri : str, optional
        Register to use; default: the embedded SQLite store under ``.govern/``.
    progress : callable, optional
        Receives one line per step, for a progress display.

    Examples
    --------
    >>> summary = run_demo("govern-demo")  # doctest: +SKIP
    >>> summary.status, summary.gate.open  # doctest: +SKIP
    ('fail', False)
    """
    import tempfile

    import yaml

    from govern.adapters.files import safe_output_path
    from govern.adapters.junit import write_junit, write_summary
    from govern.adapters.registry import Registry, log_sklearn_model, register_model
    from govern.model_cards.names import REGISTER_FILES
    from govern.services.audit import OUTPUT_FILES, run_audit
    from govern.services.documents import register_page_files
    from govern.services.gate import evaluate_gate

    say = progress or (lambda _line: None)
    registry = Registry(tracking_uri)
    uri = registry.tracking_uri

    say(f"Generating {rows:,} synthetic applicants (seed {seed}, planted disparity {disparity})")
    train, holdout = demo_data(rows=rows, seed=seed, disparity=disparity)

    say("Training a screening model (logistic regression, scikit-learn)")
    model = train_screening_model(train)
    model_uri = log_sklearn_model(
        model, input_example=train[list(DEMO_FEATURES)].head(5), tracking_uri=uri
    )

    say(f"Registering {DEMO_MODEL_NAME} in MLflow ({uri})")
    card = demo_model_card()
    with tempfile.TemporaryDirectory() as scratch:
        card_source = Path(scratch, "model_card.yaml")
        card_source.write_text(
            yaml.safe_dump(card.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
        )
        version = register_model(
            DEMO_MODEL_NAME,
            model_uri=model_uri,
            metadata=demo_metadata(),
            card=card_source,
            tracking_uri=uri,
        )

    say("Recruiters review the model's shortlist (a planted override pattern)")
    holdout = with_review(holdout, model, seed=seed)

    say(f"Auditing version {version} against the {policy} policy, and the human review")
    audit = run_audit(
        DEMO_MODEL_NAME,
        version=version,
        data=holdout,
        policy=policy,
        y_true=DEMO_TARGET,
        sensitive=list(DEMO_SENSITIVE),
        tracking_uri=uri,
        seed=seed,
        out_dir=out_dir,  # audit.json, the report and the card: the bytes logged to MLflow
        options={"oversight": demo_oversight_roles()},
    )
    files = {name: safe_output_path(out_dir, name) for name in OUTPUT_FILES}

    say("Running the deployment gate, as a CI job would")
    gate = evaluate_gate(DEMO_MODEL_NAME, version=version, policy=policy, tracking_uri=uri)
    files["gate.xml"] = write_junit(gate, safe_output_path(out_dir, "gate.xml"))
    summary_path = safe_output_path(out_dir, "gate.md")
    summary_path.unlink(missing_ok=True)  # write_summary appends, as CI step summaries expect
    files["gate.md"] = write_summary(gate, summary_path)

    employees = max(rows // 2, 100)
    say(
        f"Auditing {DEMO_RECOMMENDER} on the top-5 courses it recommended to {employees:,} "
        f"employees, against the {DEMO_RECOMMENDER_POLICY} policy"
    )
    recommendations, written = audit_recommender(
        out_dir, employees=employees, seed=seed, disparity=disparity, tracking_uri=uri
    )
    files.update(written)

    say("Writing the public algorithm register page")
    register = register_page_files(
        safe_output_path(out_dir, REGISTER_FILES["html"]), tracking_uri=uri
    )
    files.update({Path(name).as_posix(): path for name, path in register.items()})
    return DemoSummary(
        model_name=DEMO_MODEL_NAME,
        version=version,
        tracking_uri=uri,
        audit=audit,
        gate=gate,
        files=dict(sorted(files.items())),
        recommendations=recommendations,
    )
