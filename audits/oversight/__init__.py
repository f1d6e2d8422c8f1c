"""The oversight audit: how human reviewers used a model's recommendations, by group.

The public entry point is :func:`audit_oversight`; every rate comes from the fairness engine
(:mod:`govern.audits.fairness`) run on an indicator of the log, and the paired change in the
impact ratio from one table of the same people before and after review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.audits.oversight.audit import audit_oversight, oversight_from_log
    from govern.audits.oversight.log import decision_log

__all__ = ["audit_oversight", "decision_log", "oversight_from_log"]

_LAZY = {
    "audit_oversight": "govern.audits.oversight.audit",
    "oversight_from_log": "govern.audits.oversight.audit",
    "decision_log": "govern.audits.oversight.log",
}


def __getattr__(name: str) -> Any:
    # numpy/pandas load only when the audit is used, so importing the package stays cheap.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'govern.audits.oversight' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
