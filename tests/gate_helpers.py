"""Helpers for the gate tests: a policy file, governed versions and recorded audits.

``record_audit`` records an audit the way ``govern audit run`` does (an MLflow run holding
``audit.json``, then the ``govern.audit.*`` version tags, run id last), from real evidence: the
fairness engine on decisions made here and the real policy evaluator. The tests that go through
``run_audit`` itself live in ``tests/test_cli_gate.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from govern import __version__
from govern.adapters.registry import Registry, register_model
from govern.audits.fairness import audit_fairness
from govern.evidence import Evidence
from govern.evidence.process import ProcessEvidence
from govern.metadata import GovernanceMetadata
from govern.policies import evaluate, load_policy, policy_sha256
from govern.results import AuditResult, DataFingerprint, ModelRef

POLICY_YAML = """\
name: gate-test
version: "1"
description: Policy used by the gate tests.
rules:
  - id: four-fifths
    title: Selection-rate impact ratio of at least 0.8
    severity: blocking
    rationale: A group selected at under 80% of the best group's rate shows adverse impact.
    references: ["29 CFR 1607.4(D)"]
    check:
      kind: metric
      metric: impact_ratio
      attributes: sensitive
      comparison: ">="
      threshold: 0.8
  - id: scores-ll144
    title: Scoring-rate impact ratio of at least 0.8
    severity: warning
    rationale: Scores are compared too when the tool gives them.
    check:
      kind: metric
      metric: scoring_impact_ratio
      attributes: sensitive
      comparison: ">="
      threshold: 0.8
      if_missing: not_applicable
  - id: ethics-sign-off
    title: An ethics officer signs off high-risk models
    severity: blocking
    rationale: Human oversight before use (EU AI Act Art. 14).
    check:
      kind: process
      requirement: sign_off
      roles: [ethics_officer]
      risk_tiers: [high]
  - id: recent-audit
    title: The audit is at most a year old
    severity: blocking
    rationale: NYC LL144 requires an audit no more than one year old.
    check:
      kind: process
      requirement: audit_recency
      max_audit_age_days: 365
"""


def write_policy(folder: Path, *, threshold: float = 0.8, name: str = "policy.yaml") -> Path:
    path = folder / name
    path.write_text(
        POLICY_YAML.replace(
            "threshold: 0.8\n  - id: scores", f"threshold: {threshold}\n  - id: scores", 1
        )
    )
    return path


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def governed_version(uri: str, trail: Path, *, purpose: str = "recruitment") -> tuple[str, str]:
    """A new governed model (outcome-only version 1); returns (name, version)."""
    name = unique("screening")
    meta = GovernanceMetadata(
        name=name,
        purpose=purpose,  # type: ignore[arg-type]
        subjects=["applicants"],
        owner="Recruitment analytics",
        appeal_route="https://agency.example/appeal",
    )
    version = register_model(name, metadata=meta, tracking_uri=uri, trail=trail)
    return name, version


def decisions(*, biased: bool, n_per_group: int = 200) -> pd.DataFrame:
    """Hiring decisions for two groups: women selected 40/200 (biased) or 90/200, men 100/200.

    Impact ratios by hand: 40/200 / (100/200) = 0.4 (biased), 90/200 / (100/200) = 0.9 (fair).
    Other group sizes keep the same shares (rounded to whole people).
    """
    women = round(n_per_group * (0.2 if biased else 0.45))
    men = round(n_per_group * 0.5)
    sex = np.array(["female"] * n_per_group + ["male"] * n_per_group)
    selected = np.array(
        [1] * women + [0] * (n_per_group - women) + [1] * men + [0] * (n_per_group - men)
    )
    return pd.DataFrame({"sex": sex, "selected": selected})


def record_audit(
    uri: str,
    name: str,
    version: str,
    policy_path: Path,
    *,
    biased: bool,
    at: dt.datetime | None = None,
    risk_tier: str = "high",
    n_per_group: int = 200,
) -> AuditResult:
    """Audit decisions under the policy and record it on the version, as the audit service
    does (an MLflow run with audit.json, then the version tags, run id last)."""
    policy = load_policy(policy_path)
    frame = decisions(biased=biased, n_per_group=n_per_group)
    fairness = audit_fairness(frame, y_pred="selected", sensitive=["sex"], n_boot=0)
    when = at or dt.datetime.now(dt.UTC)
    evidence = Evidence(
        fairness=fairness,
        # As the audit service does: sign-off is left to the gate (approvals=None).
        process=ProcessEvidence(
            last_audit_at=when, risk_tier=risk_tier, purpose="recruitment", approvals=None
        ),
    )
    verdicts = evaluate(policy, evidence, today=when.date(), model_name=name, model_version=version)
    result = AuditResult(
        govern_version=__version__,
        created_at=when,
        model=ModelRef(name=name, version=version),
        data=DataFingerprint(sha256="0" * 64, n_rows=len(frame), columns=list(frame.columns)),
        evidence=evidence,
        policy=verdicts,
    )
    registry = Registry(uri)
    with registry.run("govern-audits", run_name=f"audit-{name}-{version}") as run:
        run.log_text(result.model_dump_json(indent=2), "audit.json")
        run_id = run.run_id
    registry.set_version_tags(
        name,
        version,
        {
            "govern.audit.status": result.status,
            "govern.audit.policy_sha256": policy_sha256(policy),
            "govern.audit.policy": str(policy_path),
            "govern.audit.at": when.isoformat(),
            "govern.audit.run_id": run_id,
        },
    )
    return result
