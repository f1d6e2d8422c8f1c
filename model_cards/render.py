"""Render model cards and compliance reports as self-contained HTML or Markdown.

The public entry points of rendering. The work is done in small modules: :mod:`.report` (the
compliance report), :mod:`.card_page` (the model card), :mod:`.sections` (one section per
evidence kind), :mod:`.disclosure` (which groups may be shown), :mod:`.format` (numbers and
labels) and :mod:`.templating` (Jinja2). Rendering only reads results: it never computes a
metric or decides a verdict.
"""

from __future__ import annotations

import os
from pathlib import Path

from govern.errors import BadInputError
from govern.model_cards.card import ModelCard
from govern.model_cards.card_page import model_card_context, render_model_card
from govern.model_cards.report import render_report, report_context
from govern.model_cards.templating import (
    UNKNOWN_FORMAT,
    Format,
    render_template,
    template_environment,
)
from govern.results import AuditResult

__all__ = [
    "Format",
    "model_card_context",
    "render_model_card",
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
) -> dict[str, Path]:
    """Write the report (when ``audit`` is given) and the card (when ``card`` is), atomically.

    Files are ``report.html``, ``report.md``, ``model_card.html`` and ``model_card.md`` in
    ``out_dir`` (created if missing). Returns file name -> path of what was written.

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

    suffixes = {"html": "html", "markdown": "md"}
    written: dict[str, Path] = {}
    for fmt in formats:
        if fmt not in suffixes:
            raise BadInputError(UNKNOWN_FORMAT.format(fmt=fmt))
        if audit is not None:
            name = f"report.{suffixes[fmt]}"
            written[name] = write_text_atomic(
                safe_output_path(out_dir, name), render_report(audit, card=card, fmt=fmt)
            )
        if card is not None:
            name = f"model_card.{suffixes[fmt]}"
            written[name] = write_text_atomic(
                safe_output_path(out_dir, name), render_model_card(card, audit, fmt=fmt)
            )
    return written
