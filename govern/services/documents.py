"""Documents from the register: model cards, compliance reports and the public algorithm register.

Everything here reads what audits recorded (the version's tags, the audit run's ``audit.json``,
the model's audit runs for the history) through the registry adapter and renders it with
:mod:`govern.model_cards`. Nothing is recomputed: a report rendered later from a recorded run
shows the same verdicts as the one logged with it.

It also writes what MLflow's own UI shows about governance: the version's description (the
verdict in one line, with its date, policy and a link to the audit run) and the registered
model's description (its governance metadata and latest audit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from govern.errors import BadInputError
from govern.model_cards.format import count_of
from govern.model_cards.names import AUDIT_FILE, CARD_FILES, REGISTER_FILES, REPORT_FILES

if TYPE_CHECKING:
    from govern.adapters.registry import ModelVersionInfo, Registry, RunRecord
    from govern.metadata import GovernanceMetadata
    from govern.model_cards.card import ModelCard
    from govern.model_cards.register_page import RegisterEntry
    from govern.results import AuditHistoryEntry, AuditResult, DisclosureRule

Format = Literal["html", "markdown"]

# Run parameters an audit logs so that documents can be rebuilt without the policy file.
PARAM_AUDITED_AT = "audited_at"
PARAM_PARITY = "parity_ratios"
PARAM_PUBLIC_SIZE = "public_disclosure_min_size"
PARITY_METRIC = "demographic_parity_ratio"

MSG_NO_AUDIT = (
    "{name} version {version} has no recorded audit: run `govern audit run {name} --version "
    "{version} --data FILE --policy POLICY` first."
)
MSG_NOT_AN_AUDIT_OF = (
    "run {run_id} is not an audit of {name} version {version} (it records {found}). Pick a run "
    "from `govern models show {name}`, or leave out --run to use the latest audit."
)
MSG_AUDIT_UNREADABLE = "the audit.json of run {run_id} cannot be read as an audit ({problem})."
MSG_UNKNOWN_SUFFIX = (
    "cannot tell which format to write {path} in: give a file name ending in .html (a "
    "self-contained page) or .md (Markdown)."
)

VERSION_DESCRIPTION_START = "**Governance audit:"
VERSION_DESCRIPTION_END = "_(This paragraph is written by govern at each audit.)_"
VERSION_DESCRIPTION = (
    "{start} {verdict}** on {date} under policy {policy} {policy_version}{counts}. "
    "Audit run [{short}]({link}): its artifacts hold the compliance report, the model card and "
    "audit.json.\n\n{end}"
)
VERDICT_WORDS = {
    "pass": "passed",
    "fail": "did not pass",
    "inconclusive": "inconclusive",
    "no_policy": "no policy applied",
}
MODEL_LATEST_AUDIT = (
    "- **Latest audit:** version {version} {verdict} on {date} under {policy} "
    "(audit run `{run_id}`)."
)
NO_PUBLIC_DOCUMENTS = (
    "documents withheld: the public disclosure size of the audit's policy is not known"
)
NO_AUDIT_YET = "no audit yet"


def document_format(out: Path) -> Format:
    """The format a document is written in, from its file name: ``.md`` (or ``.markdown``) is
    Markdown, ``.html`` (or ``.htm``) is HTML; anything else is refused.

    Examples
    --------
    >>> document_format(Path("card.md"))
    'markdown'
    """
    suffix = out.suffix.lower()
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in (".html", ".htm"):
        return "html"
    raise BadInputError(MSG_UNKNOWN_SUFFIX.format(path=out))


# -- the audit history ---------------------------------------------------------------------


def _parity(run: RunRecord) -> dict[str, float]:
    raw = run.params.get(PARAM_PARITY)
    if raw:
        try:
            return {str(k): float(v) for k, v in json.loads(raw).items()}
        except (ValueError, AttributeError):
            pass
    prefix = PARITY_METRIC + "/"
    return {k[len(prefix) :]: v for k, v in run.metrics.items() if k.startswith(prefix)}


def _count(run: RunRecord, key: str) -> int | None:
    value = run.metrics.get(key)
    return None if value is None else int(value)


def history_entry(run: RunRecord) -> AuditHistoryEntry | None:
    """One audit run as a history entry; None for a run that is not a recorded audit."""
    from govern.results import AuditHistoryEntry

    status = run.tags.get("govern.audit.status")
    version = run.tags.get("govern.version")
    if status not in VERDICT_WORDS or version is None:
        return None
    try:
        audited_at = dt.datetime.fromisoformat(run.params[PARAM_AUDITED_AT])
    except (KeyError, ValueError):
        audited_at = run.started_at
    return AuditHistoryEntry(
        run_id=run.run_id,
        version=version,
        audited_at=audited_at,
        status=status,
        policy_name=run.params.get("policy_name", ""),
        policy_version=run.params.get("policy_version", ""),
        blocking_failed=_count(run, "rules_blocking_failed"),
        blocking_inconclusive=_count(run, "rules_blocking_inconclusive"),
        rules_total=_count(run, "rules_total"),
        parity_ratios=_parity(run),
    )


def parity_ratios(result: AuditResult) -> dict[str, float]:
    """Each attribute's demographic parity ratio, where the (published) audit holds one."""
    from govern.evidence.fairness import FairnessEvidence

    fairness = result.evidence.get(FairnessEvidence)
    if fairness is None:
        return {}
    return {
        row.attribute: float(row.value)
        for row in fairness.disparities
        if row.metric == PARITY_METRIC and row.group == "*" and row.value is not None
    }


def entry_of(result: AuditResult, run_id: str) -> AuditHistoryEntry:
    """The history entry of an audit being recorded (its run is not finished yet)."""
    from govern.results import AuditHistoryEntry

    policy = result.policy
    assert result.model is not None
    return AuditHistoryEntry(
        run_id=run_id,
        version=result.model.version or "",
        audited_at=result.created_at,
        status=result.status,
        policy_name=policy.policy_name if policy else "",
        policy_version=policy.policy_version if policy else "",
        blocking_failed=len(policy.blocking_failures) if policy else None,
        blocking_inconclusive=len(policy.blocking_unknowns) if policy else None,
        rules_total=len(policy.rules) if policy else None,
        parity_ratios=parity_ratios(result),
    )


def audit_history(registry: Registry, name: str) -> list[AuditHistoryEntry]:
    """Every finished audit of model ``name``, oldest first (one query, no downloads)."""
    entries = [history_entry(run) for run in registry.audit_runs(name)]
    return [e for e in entries if e is not None]


# -- recorded audits -----------------------------------------------------------------------


def load_recorded_audit(registry: Registry, run_id: str) -> tuple[AuditResult, str]:
    """The audit a run recorded, and the SHA-256 of its ``audit.json`` (the trail's hash)."""
    from pydantic import ValidationError

    from govern.results import AuditResult

    text = registry.read_artifact_text(run_id, AUDIT_FILE)
    try:
        audit = AuditResult.model_validate_json(text)
    except ValidationError as error:
        raise BadInputError(
            MSG_AUDIT_UNREADABLE.format(run_id=run_id, problem=str(error).splitlines()[0])
        ) from error
    return audit, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _audit_run_of(registry: Registry, info: ModelVersionInfo, run_id: str | None) -> str:
    from govern.adapters.registry import TAG_AUDIT_RUN_ID

    if run_id is None:
        latest = info.tags.get(TAG_AUDIT_RUN_ID)
        if not latest:
            raise BadInputError(MSG_NO_AUDIT.format(name=info.name, version=info.version))
        return latest
    _, _, tags = registry.get_run_data(run_id)
    found = (tags.get("govern.model"), tags.get("govern.version"), tags.get("govern.kind"))
    if found != (info.name, info.version, "audit"):
        shown = (
            f"{found[2] or 'a run'} of {found[0]} version {found[1]}"
            if found[0]
            else "no govern audit"
        )
        raise BadInputError(
            MSG_NOT_AN_AUDIT_OF.format(
                run_id=run_id, name=info.name, version=info.version, found=shown
            )
        )
    return run_id


def complete_card(
    card: ModelCard | None, info: ModelVersionInfo, meta: GovernanceMetadata | None
) -> ModelCard:
    """``card`` with the version it describes filled in; without a card, one holding only what
    the register knows (every other field then reads "Not documented.")."""
    from govern.model_cards.card import ModelCard, ModelDetails

    if card is None:
        card = ModelCard(
            model_details=ModelDetails(name=info.name, owner=(meta.owner or "") if meta else "")
        )
    if not card.model_details.version:
        details = card.model_details.model_copy(update={"version": info.version})
        card = card.model_copy(update={"model_details": details})
    return card


def version_card(
    registry: Registry,
    info: ModelVersionInfo,
    meta: GovernanceMetadata | None,
    card_file: str | os.PathLike[str] | None = None,
) -> ModelCard:
    """The version's card: ``card_file`` when given, else the one registered with it, else a
    card holding only what the register knows."""
    from govern.model_cards.card import load_model_card
    from govern.services.audit import load_card

    card = load_model_card(card_file) if card_file is not None else load_card(registry, info)
    return complete_card(card, info, meta)


@dataclass(frozen=True)
class VersionDocuments:
    """What the card and report of one version are rendered from."""

    info: ModelVersionInfo
    meta: GovernanceMetadata | None
    card: ModelCard
    audit: AuditResult | None
    audit_sha256: str | None
    history: list[AuditHistoryEntry]


def gather_documents(
    registry: Registry,
    name: str,
    version: str,
    *,
    run_id: str | None = None,
    card_file: str | os.PathLike[str] | None = None,
    need_audit: bool = False,
) -> VersionDocuments:
    """Everything a version's card and report show, read from the register."""
    from govern.metadata import metadata_from_tags

    info = registry.get_version(name, str(version))
    meta = metadata_from_tags(name, registry.get_model_tags(name))
    card = version_card(registry, info, meta, card_file)
    audit, sha = None, None
    if run_id is not None or need_audit or info.tags.get("govern.audit.run_id"):
        audit, sha = load_recorded_audit(registry, _audit_run_of(registry, info, run_id))
    return VersionDocuments(info, meta, card, audit, sha, audit_history(registry, name))


def render_card_document(documents: VersionDocuments, fmt: Format) -> str:
    from govern.model_cards.render import render_model_card

    return render_model_card(
        documents.card,
        documents.audit,
        fmt=fmt,
        metadata=documents.meta,
        history=documents.history,
    )


def render_report_document(documents: VersionDocuments, fmt: Format) -> str:
    from govern.model_cards.render import render_report

    assert documents.audit is not None
    return render_report(
        documents.audit,
        card=documents.card,
        fmt=fmt,
        history=documents.history,
        audit_sha256=documents.audit_sha256,
    )


def write_document(out: str | os.PathLike[str], text: str) -> Path:
    """Write one document atomically, after checking the path can be written."""
    from govern.adapters.files import check_output_file, write_text_atomic

    return write_text_atomic(check_output_file(out), text)


def model_card_file(
    name: str,
    *,
    version: str,
    out: str | os.PathLike[str],
    card_file: str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
) -> Path:
    """Render the model card of a registered version into ``out`` (``govern card``), as HTML
    or Markdown by the file name (:func:`document_format`).

    Sources: the register's governance metadata, the card registered with the version (or
    ``card_file``), the version's latest audit and the model's audit history.

    Examples
    --------
    >>> model_card_file("cv-screening", version="3", out="card.html")  # doctest: +SKIP
    PosixPath('card.html')
    """
    from govern.adapters.files import check_output_file
    from govern.adapters.registry import Registry

    target = Path(out)
    the_format = document_format(target)
    check_output_file(target)
    documents = gather_documents(Registry(tracking_uri), name, version, card_file=card_file)
    return write_document(target, render_card_document(documents, the_format))


def compliance_report_file(
    name: str,
    *,
    version: str,
    out: str | os.PathLike[str],
    run_id: str | None = None,
    tracking_uri: str | None = None,
) -> Path:
    """Render the compliance report of a recorded audit into ``out`` (``govern report``), as
    HTML or Markdown by the file name.

    The audit is the version's latest, or the run ``run_id`` (which must be an audit of that
    version); the report shows the model's audit history up to now.

    Examples
    --------
    >>> compliance_report_file("cv-screening", version="3", out="report.md")  # doctest: +SKIP
    PosixPath('report.md')
    """
    from govern.adapters.files import check_output_file
    from govern.adapters.registry import Registry

    target = Path(out)
    the_format = document_format(target)
    check_output_file(target)
    documents = gather_documents(
        Registry(tracking_uri), name, version, run_id=run_id, need_audit=True
    )
    return write_document(target, render_report_document(documents, the_format))


# -- the public algorithm register ---------------------------------------------------------


def public_rule(registry: Registry, audit: AuditResult, run_id: str) -> DisclosureRule | None:
    """The disclosure rule for published documents: the public size of the audit's policy, as
    the audit run recorded it (or, for older runs, as the policy says); None when unknown."""
    from govern.adapters.registry import TAG_AUDIT_POLICY

    params, _, _ = registry.get_run_data(run_id)
    size: int | None = None
    if params.get(PARAM_PUBLIC_SIZE, "").isdigit():
        size = int(params[PARAM_PUBLIC_SIZE])
    elif audit.model is not None and audit.model.version is not None:
        source = registry.get_version_tags(audit.model.name, audit.model.version).get(
            TAG_AUDIT_POLICY
        )
        try:
            from govern.policies import load_policy

            size = load_policy(source).disclosure("public").min_size if source else None
        except BadInputError:
            size = None
    if size is None:
        return None
    return audit.disclosure.model_copy(
        update={"min_size": max(size, audit.disclosure.min_size), "audience": "public"}
    )


def _shown_version(registry: Registry, name: str) -> ModelVersionInfo | None:
    """The version a register shows: the one the ``production`` alias points at, else the
    latest."""
    versions = registry.list_versions(name)
    if not versions:
        return None
    alias = registry.get_model(name).aliases.get("production")
    chosen = [v for v in versions if v.version == alias]
    return chosen[0] if chosen else versions[-1]


def _documents_folder(name: str) -> str:
    return f"models/{quote(name, safe='')}"


def _register_entry(
    registry: Registry, name: str, files: dict[str, str], fmt: Format, *, documents: bool
) -> tuple[RegisterEntry, int | None]:
    from govern.adapters.registry import TAG_AUDIT_AT, TAG_AUDIT_RUN_ID
    from govern.metadata import metadata_from_tags
    from govern.model_cards.register_page import RegisterEntry

    meta = metadata_from_tags(name, registry.get_model_tags(name))
    info = _shown_version(registry, name)
    if info is None:
        return RegisterEntry(name=name, metadata=meta, note="no version registered"), None
    run_id = info.tags.get(TAG_AUDIT_RUN_ID)
    at = info.tags.get(TAG_AUDIT_AT)
    policy = None
    if run_id:
        # The policy's name and version as the run recorded them (never a file path).
        params, _, _ = registry.get_run_data(run_id)
        policy = f"{params.get('policy_name', '')} {params.get('policy_version', '')}".strip()
    entry = RegisterEntry(
        name=name,
        metadata=meta,
        version=info.version,
        audit_status=info.tags.get("govern.audit.status"),
        audited_at=dt.datetime.fromisoformat(at) if at else None,
        policy=policy,
        note="" if run_id else NO_AUDIT_YET,
    )
    if not documents or meta is None or not run_id:
        return entry, None
    gathered = gather_documents(registry, name, info.version)
    assert gathered.audit is not None
    rule = public_rule(registry, gathered.audit, run_id)
    if rule is None:
        return RegisterEntry(**{**entry.__dict__, "note": NO_PUBLIC_DOCUMENTS}), None
    public = gathered.audit.model_copy(update={"disclosure": rule})
    published = VersionDocuments(
        gathered.info, meta, gathered.card, public, gathered.audit_sha256, gathered.history
    )
    folder = _documents_folder(name)
    card_name, report_name = f"{folder}/{CARD_FILES[fmt]}", f"{folder}/{REPORT_FILES[fmt]}"
    files[card_name] = render_card_document(published, fmt)
    files[report_name] = render_report_document(published, fmt)
    return (
        RegisterEntry(**{**entry.__dict__, "card_href": card_name, "report_href": report_name}),
        rule.min_size,
    )


def register_page_files(
    out: str | os.PathLike[str] | None = None,
    *,
    documents: bool = True,
    tracking_uri: str | None = None,
) -> dict[str, Path]:
    """Write the public algorithm register (``govern register-page``) and, beside it in
    ``models/NAME/``, the card and latest report of every governed, audited model, rendered
    with each policy's public disclosure size; HTML or Markdown by the page's file name.
    Returns file name -> path.

    Examples
    --------
    >>> register_page_files("public/algorithm_register.html")  # doctest: +SKIP
    {'algorithm_register.html': PosixPath('public/algorithm_register.html'), ...}
    """
    from govern.adapters.files import OutputFolder
    from govern.adapters.registry import Registry
    from govern.model_cards.register_page import render_register_page

    page = Path(out) if out is not None else Path(REGISTER_FILES["html"])
    the_format = document_format(page)
    OutputFolder(page.parent, [page.name])  # refuse a bad destination before any work
    registry = Registry(tracking_uri)
    files: dict[str, str] = {}
    entries, sizes = [], []
    for model in registry.list_models():
        entry, size = _register_entry(registry, model.name, files, the_format, documents=documents)
        entries.append(entry)
        sizes.append(size)
    known = [s for s in sizes if s is not None]
    files = {
        page.name: render_register_page(
            entries, fmt=the_format, public_size=min(known) if known else None
        ),
        **files,
    }
    return OutputFolder(page.parent, list(files)).write(files)


# -- what MLflow's UI shows ----------------------------------------------------------------


def version_description(result: AuditResult, link: str, previous: str) -> str:
    """The version's description: the verdict in one line (date, policy, blocking rules, a link
    to the audit run), then whatever the team wrote, kept as it was."""
    policy = result.policy
    assert result.model is not None and result.model.run_id is not None
    counts = ""
    if policy is not None and (policy.blocking_failures or policy.blocking_unknowns):
        counts = (
            f"; {count_of(len(policy.blocking_failures), 'blocking rule')} failed, "
            f"{len(policy.blocking_unknowns)} could not be checked"
        )
    line = VERSION_DESCRIPTION.format(
        start=VERSION_DESCRIPTION_START,
        verdict=VERDICT_WORDS[result.status],
        date=result.created_at.date().isoformat(),
        policy=policy.policy_name if policy else "-",
        policy_version=policy.policy_version if policy else "",
        counts=counts,
        short=result.model.run_id[:8],
        link=link,
        end=VERSION_DESCRIPTION_END,
    )
    kept = previous
    if previous.startswith(VERSION_DESCRIPTION_START):
        _, marker, rest = previous.partition(VERSION_DESCRIPTION_END)
        kept = rest.strip() if marker else ""
    return f"{line}\n\n{kept}" if kept else line


def model_description(meta: GovernanceMetadata | None, result: AuditResult) -> str | None:
    """The registered model's description: its governance metadata and the latest audit."""
    from govern.metadata import metadata_description

    if meta is None:
        return None
    policy = result.policy
    assert result.model is not None
    latest = MODEL_LATEST_AUDIT.format(
        version=result.model.version,
        verdict=VERDICT_WORDS[result.status],
        date=result.created_at.date().isoformat(),
        policy=policy.policy_name if policy else "no policy",
        run_id=result.model.run_id,
    )
    return metadata_description(meta, latest_audit=latest)
