"""The file names of govern's documents, the same from every command and in MLflow.

``govern audit run --out``, ``govern audit fairness --out``, ``govern demo``, ``govern card``,
``govern report``, ``govern register-page`` and the artifacts of an audit run in MLflow all use
these names, so a reader finds the same file wherever it was written.
"""

from __future__ import annotations

AUDIT_FILE = "audit.json"
REPORT_FILES = {"html": "compliance_report.html", "markdown": "compliance_report.md"}
CARD_FILES = {"html": "model_card.html", "markdown": "model_card.md"}
REGISTER_FILES = {"html": "algorithm_register.html", "markdown": "algorithm_register.md"}
