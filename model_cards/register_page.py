"""The public algorithm register: every model in the register, what it is for, who answers for
it, how people can contest its decisions, and its last audit, with links to its card and report.

The page public bodies are asked to publish (for example under the UK Algorithmic Transparency
Recording Standard, and the EU AI Act's registration of high-risk systems, Art. 49 and 71). It
holds no figure about any group, only verdicts and dates; the card and report it links to are
rendered with the policy's public disclosure size (:mod:`govern.services.documents`). A model
registered without governance metadata is listed and flagged, never left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from govern import __version__
from govern.model_cards.context import RegisterPageContext, RegisterRowContext
from govern.model_cards.format import anchor, count_of, generated_at, purpose_label, stamp
from govern.model_cards.glossary import render_with_glossary
from govern.model_cards.history import HISTORY_VERDICTS
from govern.model_cards.templating import Format, stylesheet, template_name
from govern.vocabulary import DEPLOYMENT_WORDS, OVERSIGHT_WORDS

if TYPE_CHECKING:
    from govern.metadata import GovernanceMetadata

REGISTER_TITLE = "Algorithm register"
REGISTER_INTRO = (
    "The algorithmic systems this organisation uses or is building to recommend or decide "
    "things about people: what each is for, how risky it is, who answers for it, how a person "
    "can contest a decision, and what its last independent audit found. Each model's card and "
    "latest compliance report are linked."
)
UNGOVERNED = "Not governed: registered without a governance record (purpose, owner, appeal route)."
NEVER_AUDITED = "Never audited"
NOT_RECORDED = "Not recorded"
REGISTER_DISCLOSURE = (
    "This register holds no figure about any group of people. The linked cards and reports "
    "withhold the figures of groups with fewer than {size} people, the public disclosure size of "
    "each model's policy."
)
REGISTER_DISCLOSURE_NONE = "This register holds no figure about any group of people."


@dataclass(frozen=True)
class RegisterEntry:
    """One model as the register page shows it (built by the documents service)."""

    name: str
    metadata: GovernanceMetadata | None
    version: str | None = None
    audit_status: str | None = None
    audited_at: dt.datetime | None = None
    policy: str | None = None
    card_href: str = ""
    report_href: str = ""
    note: str = ""


def _row(entry: RegisterEntry) -> RegisterRowContext:
    meta = entry.metadata
    status = entry.audit_status if entry.audit_status in HISTORY_VERDICTS else None
    return RegisterRowContext(
        name=entry.name,
        anchor=f"model-{anchor(entry.name)}",
        governed=meta is not None,
        purpose=purpose_label(meta.purpose) if meta else UNGOVERNED,
        subjects=", ".join(meta.subjects) if meta else NOT_RECORDED,
        risk_tier=(meta.risk_tier or NOT_RECORDED) if meta else NOT_RECORDED,
        owner=(meta.owner or NOT_RECORDED) if meta else NOT_RECORDED,
        accountable=(meta.accountable_executive or NOT_RECORDED) if meta else NOT_RECORDED,
        deployment=DEPLOYMENT_WORDS.get(meta.deployment_status, NOT_RECORDED)
        if meta
        else NOT_RECORDED,
        oversight=OVERSIGHT_WORDS.get(meta.human_oversight, NOT_RECORDED) if meta else NOT_RECORDED,
        contact=(meta.contact or NOT_RECORDED) if meta else NOT_RECORDED,
        appeal_route=(meta.appeal_route or NOT_RECORDED) if meta else NOT_RECORDED,
        version=entry.version or "",
        verdict=status or "never",
        verdict_label=HISTORY_VERDICTS[status] if status else NEVER_AUDITED,
        audited_at=entry.audited_at.date().isoformat() if entry.audited_at else "",
        policy=entry.policy or "",
        card_href=entry.card_href,
        report_href=entry.report_href,
        note=entry.note,
    )


def register_page_context(
    entries: list[RegisterEntry], *, public_size: int | None = None
) -> RegisterPageContext:
    """The register page's context: one row per model, sorted by name."""
    rows = [_row(e) for e in sorted(entries, key=lambda e: e.name)]
    ungoverned = sum(not r.governed for r in rows)
    counts = f"{count_of(len(rows), 'model')} in the register"
    if ungoverned:
        counts += f", {ungoverned} of them not governed (flagged below)"
    return RegisterPageContext(
        title=REGISTER_TITLE,
        css=stylesheet(),
        intro=REGISTER_INTRO,
        counts=counts + ".",
        rows=rows,
        disclosure=REGISTER_DISCLOSURE.format(size=public_size)
        if public_size is not None
        else REGISTER_DISCLOSURE_NONE,
        glossary=[],  # filled by render_with_glossary
        generated_at=stamp(generated_at()),
        govern_version=__version__,
    )


def render_register_page(
    entries: list[RegisterEntry], *, fmt: Format = "html", public_size: int | None = None
) -> str:
    """The public algorithm register as one self-contained HTML page or Markdown.

    Examples
    --------
    >>> page = render_register_page([RegisterEntry(name="legacy-ranker", metadata=None)],
    ...                             fmt="markdown")
    >>> "Not governed" in page
    True
    """
    name = template_name("register", fmt)
    return render_with_glossary(name, register_page_context(entries, public_size=public_size))
