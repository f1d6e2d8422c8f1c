"""``govern audit``: the audit commands."""

from __future__ import annotations

import click

from govern.cli.lazy import LazyGroup

AUDIT_COMMANDS: dict[str, tuple[str, str]] = {
    "fairness": (
        "govern.cli.audit_fairness:fairness",
        "Data-only fairness audit of decisions in a file (no registry, no policy).",
    ),
    "oversight": (
        "govern.cli.audit_oversight:oversight",
        "How human reviewers used a model's recommendations: overrides, appeals, signals.",
    ),
    "recommendations": (
        "govern.cli.audit_recommendations:recommendations",
        "Fairness of a recommendation log: who is served, who is shown (no registry).",
    ),
    "run": (
        "govern.cli.audit_run:run",
        "Audit a registered model version against a policy and record the evidence.",
    ),
    "transparency": (
        "govern.cli.audit_transparency:transparency",
        "What a model reads, its proxies, what drives its decisions (with intervals).",
    ),
}


@click.group(cls=LazyGroup, lazy_commands=AUDIT_COMMANDS)
def audit() -> None:
    """Audit data or a registered model for fairness and transparency."""
