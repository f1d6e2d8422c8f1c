"""Fairness of recommendations and rankings: who is served, and who gets shown.

The entry point is :func:`audit_recommendations`. A data source reduces the recommendation log
to one row per user (:mod:`govern.audits.sources.ranking`); the modules here compute from that
table only:

- :mod:`~govern.audits.ranking.reduction`: the reduction in memory (pandas and numpy);
- :mod:`~govern.audits.ranking.bootstrap`: the user-level (and list-level) bootstrap;
- :mod:`~govern.audits.ranking.user_side`: whom the system serves, per group of users;
- :mod:`~govern.audits.ranking.item_side`: who gets shown, per group of items (candidates);
- :mod:`~govern.audits.ranking.engine`: the audit, assembling the evidence;
- :mod:`~govern.audits.ranking.summary`: text and JSON views for the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.audits.ranking.engine import audit_recommendations, ranking_from_table

__all__ = ["audit_recommendations", "ranking_from_table"]

_LAZY = {
    "audit_recommendations": "govern.audits.ranking.engine",
    "ranking_from_table": "govern.audits.ranking.engine",
}


def __getattr__(name: str) -> Any:
    # numpy/pandas load only when an audit runs, so importing the package stays cheap.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'govern.audits.ranking' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
