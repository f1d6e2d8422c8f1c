"""Inputs shared by the document tests: the register's metadata, an audit history and the
entries of a register page (the audits themselves come from report_helpers)."""

from __future__ import annotations

import datetime as dt

from govern.metadata import GovernanceMetadata
from govern.model_cards.register_page import RegisterEntry
from govern.results import AuditHistoryEntry

HOSTILE = "<script>alert(1)</script>"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)


def governance_meta(**changes: object) -> GovernanceMetadata:
    """The register's metadata of cv-screening, with ``changes``."""
    fields: dict[str, object] = {
        "name": "cv-screening",
        "purpose": "recruitment",
        "subjects": ["applicants"],
        "owner": "HR Analytics team",
        "accountable_executive": "Director of People",
        "contact": "ai-register@example.gov",
        "appeal_route": "Write to the contact address within 28 days",
        "human_oversight": "in_the_loop",
        "deployment_status": "pilot",
        "data_sources": ["ATS 2021-2025"],
        "sensitive_attributes": ["sex", "ethnicity"],
    }
    return GovernanceMetadata.model_validate({**fields, **changes})


def hostile_meta(name: str) -> GovernanceMetadata:
    """Metadata whose owner is HOSTILE. Registration refuses markup in metadata
    (govern.metadata), so this is built without validation: it stands for a tag edited in
    MLflow's own UI, which the documents must still show as text, running nothing."""
    valid = governance_meta(name=name)
    return GovernanceMetadata.model_construct(**{**dict(valid), "owner": HOSTILE})


def history() -> list[AuditHistoryEntry]:
    """Three audits of cv-screening, the last one the audit of report_helpers.make_audit."""

    def entry(
        run: str, version: str, day: int, status: str, parity: dict[str, float]
    ) -> AuditHistoryEntry:
        return AuditHistoryEntry(
            run_id=run,
            version=version,
            audited_at=dt.datetime(2026, 11, day, 9, 30, tzinfo=dt.UTC),
            status=status,  # type: ignore[arg-type]
            policy_name="public-sector-recruitment",
            policy_version="1.0.0",
            blocking_failed=0 if status == "pass" else 1,
            blocking_inconclusive=0,
            rules_total=3,
            parity_ratios=parity,
        )

    return [
        entry("run1", "1", 2, "fail", {"sex": 0.61, "ethnicity": 0.52}),
        entry("run2", "2", 10, "pass", {"sex": 0.85}),
        entry("abc123", "3", 24, "fail", {"sex": 0.68, "ethnicity": 0.53}),
    ]


def register_entries() -> list[RegisterEntry]:
    """A governed and audited model, an ungoverned one, and one never audited."""
    return [
        RegisterEntry(
            name="cv-screening",
            metadata=governance_meta(),
            version="3",
            audit_status="fail",
            audited_at=dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC),
            policy="public-sector-recruitment 1.0.0",
            card_href="models/cv-screening/model_card.html",
            report_href="models/cv-screening/compliance_report.html",
        ),
        RegisterEntry(name="legacy-ranker", metadata=None, version="1", note="no audit yet"),
        RegisterEntry(
            name="pathways",
            metadata=governance_meta(
                name="pathways",
                purpose="learning_recommendation",
                subjects=["employees"],
                human_oversight="on_the_loop",
            ),
            version="2",
            note="no audit yet",
        ),
    ]
