"""Render model cards, compliance reports and the algorithm register as self-contained HTML or
Markdown.

The public entry points of rendering. The work is done in small modules: :mod:`.report` (the
compliance report), :mod:`.summary` (its executive summary), :mod:`.card_page` (the model card),
:mod:`.register_page` (the public algorithm register), :mod:`.history` (audits across versions),
:mod:`.sections` (one section per evidence kind), :mod:`.glossary` (the terms a document uses),
:mod:`.disclosure` (how withheld figures look), :mod:`.format` (numbers and labels),
:mod:`.names` (file names) and :mod:`.templating` (Jinja2). Rendering only reads results: it
never computes a metric or decides a verdict.
"""

from __future__ import annotations

import os
from pathlib import Path

from govern.errors import BadInputError
from govern.model_cards.card import ModelCard
from govern.model_cards.card_page import model_card_context, render_model_card
from govern.model_cards.names import AUDIT_FILE, CARD_FILES, REGISTER_FILES, REPORT_FILES
from govern.model_cards.register_page import RegisterEntry, render_register_page
from govern.model_cards.report import render_report, report_context
from govern.model_cards.templating import (
    UNKNOWN_FORMAT,
    Format,
    render_template,
    template_environment,
)
from govern.results import AuditHistoryEntry, AuditResult

__all__ = [
    "AUDIT_FILE",
    "CARD_FILES",
    "REGISTER_FILES",
    "REPORT_FILES",
    "Format",
    "RegisterEntry",
    "model_card_context",
    "render_model_card",
    "render_register_page",
    "render_report",
    "render_template",
    "report_context",
    "template_environment",
    "write_outputs",
]


def write_outputs(
    out_dir: str | os.PathLike[str],
    *,
    audit: AuditResult | None = None,
    card: ModelCard | None = None,
    formats: tuple[Format, ...] = ("html", "markdown"),
    history: list[AuditHistoryEntry] | None = None,
) -> dict[str, Path]:
    """Write the report (when ``audit`` is given) and the card (when ``card`` is), atomically.

    Files are ``compliance_report.html``, ``compliance_report.md``, ``model_card.html`` and
    ``model_card.md`` in ``out_dir`` (created if missing): the names every command uses
    (:mod:`govern.model_cards.names`). Returns file name -> path of what was written.

    Examples
    --------
    >>> import tempfile
    >>> from govern.model_cards.card import ModelCard, ModelDetails
    >>> card = ModelCard(model_details=ModelDetails(name="m"))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sorted(write_outputs(folder, card=card))
    ['model_card.html', 'model_card.md']
    """
    from govern.adapters.files import safe_output_path, write_text_atomic

    written: dict[str, Path] = {}
    for fmt in formats:
        if fmt not in REPORT_FILES:
            raise BadInputError(UNKNOWN_FORMAT.format(fmt=fmt))
        if audit is not None:
            name = REPORT_FILES[fmt]
            text = render_report(audit, card=card, fmt=fmt, history=history)
            written[name] = write_text_atomic(safe_output_path(out_dir, name), text)
        if card is not None:
            name = CARD_FILES[fmt]
            text = render_model_card(card, audit, fmt=fmt, history=history)
            written[name] = write_text_atomic(safe_output_path(out_dir, name), text)
    return written
