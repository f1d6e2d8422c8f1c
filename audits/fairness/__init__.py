"""The fairness engine: every group metric from one contingency table.

The public entry point is :func:`audit_fairness`; the table-building step is the data source
(:mod:`govern.audits.sources`), so the same audit runs on pandas, DuckDB or Spark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.audits.fairness.engine import audit_fairness
    from govern.audits.fairness.table import ContingencyTable, NumpyTableBuilder

__all__ = ["ContingencyTable", "NumpyTableBuilder", "audit_fairness"]

_LAZY = {
    "audit_fairness": "govern.audits.fairness.engine",
    "ContingencyTable": "govern.audits.fairness.table",
    "NumpyTableBuilder": "govern.audits.fairness.table",
}


def __getattr__(name: str) -> Any:
    # numpy/pandas load only when the engine is used, so importing the package stays cheap.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'govern.audits.fairness' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
