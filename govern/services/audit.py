"""Audit a registered model version (or a decision file) against a policy, and record it.

:func:`run_audit` is a few short steps with the I/O at the edges:

1. **load** everything that can be refused: the policy and waivers, the data, the version and
   its governance metadata from the register, its model card, and the output folder (checked
   before anything is recorded);
2. **decide**: the model's decisions on the data (or, for a procured tool, the recorded ones);
3. **gather** the evidence: every registered gatherer (:mod:`govern.services.gathering`:
   fairness with the policy's settings, transparency, ...), the documentation from the card and
   the process facts from the register;
4. **judge**: the policy's verdicts (:func:`govern.policies.evaluate`);
5. **record**, all or nothing: an MLflow run in ``govern-audits`` (params, headline metrics,
   ``audit.json``, the compliance report and the model card, HTML and Markdown), the version's
   ``govern.audit.*`` tags (with the index and hash of the audit's trail record, which anchor
   the trail outside its file; run id last, the tag readers key on) and description (the
   verdict in one line with a link to the run), the registered model's description (its
   governance and latest audit), the output files, and the trail record (EU AI Act Art. 12).
   If a step fails after the run started, the run is marked FAILED and the tags and
   descriptions are put back as
   they were, so nothing is left claiming an audit that was not recorded.

:func:`govern.services.data_audit.audit_data` is the same audit of a decision file with no
register (an ethics officer's audit of a vendor tool's historical outcomes): steps 1 to 4, and
the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import BadInputError, DataError
from govern.model_cards.names import AUDIT_FILE, CARD_FILES, REPORT_FILES

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from govern.adapters.files import OutputFolder
    from govern.adapters.registry import LoadedModel, ModelVersionInfo, Registry, RunRecorder
    from govern.adapters.trail import TrailRecord
    from govern.evidence import Evidence, EvidencePart
    from govern.evidence.fairness import FairnessEvidence
    from govern.evidence.ranking import RankingEvidence
    from govern.metadata import GovernanceMetadata
    from govern.model_cards.card import ModelCard
    from govern.model_cards.templating import Format
    from govern.policies import Policy, Waiver
    from govern.results import AuditHistoryEntry, AuditResult, ModelRef, PolicyResult
    from govern.services.gathering import AuditInputs
    from govern.services.recommendations import RankingColumns

# The same file names from every command and in MLflow (govern.model_cards.names).
AUDIT_ARTIFACT = AUDIT_FILE
REPORT_ARTIFACT_MD = REPORT_FILES["markdown"]
REPORT_ARTIFACT_HTML = REPORT_FILES["html"]
CARD_ARTIFACT_MD = CARD_FILES["markdown"]
CARD_ARTIFACT_HTML = CARD_FILES["html"]
OUTPUT_FILES = (
    AUDIT_ARTIFACT,
    REPORT_ARTIFACT_MD,
    REPORT_ARTIFACT_HTML,
    CARD_ARTIFACT_MD,
    CARD_ARTIFACT_HTML,
)
# The column the model's decisions are held in while auditing; never shown to a user.
DECISION_COLUMN = "__govern_decision__"

MSG_NO_SENSITIVE = (
    "no sensitive attribute to audit {name!r} on: pass --sensitive COLUMNS, or record "
    "sensitive_attributes in the model's metadata (govern register {name} --meta FILE)."
)
MSG_OUTCOME_ONLY_NEEDS_Y_PRED = (
    "model {name!r} version {version} is outcome-only (a procured tool without a model "
    "artifact): name the column of recorded decisions with --y-pred COLUMN."
)
MSG_MISSING_FEATURES = (
    "the data lacks {count} input column(s) that model {name!r} version {version} reads: "
    "{missing}. Available columns: {available}. Audit with data holding the model's inputs."
)
MSG_PREDICT_FAILED = (
    "model {name!r} version {version} could not predict on the data ({reason}). Check that "
    "the columns have the types the model was trained on."
)
MSG_PREDICTIONS_SHAPE = (
    "model {name!r} version {version} returned {found} predictions for {expected} rows; "
    "expected one decision per row."
)
MSG_PREDICTIONS_NOT_BINARY = (
    "model {name!r} version {version} predicted {found} on the audit data; an audit needs "
    "yes/no decisions coded 0/1 (or False/True). Register a model whose predict() returns "
    "decisions, or audit recorded decisions with --y-pred COLUMN."
)
MSG_BAD_CARD = "the model card stored with {name!r} version {version} cannot be read: {problem}"
MSG_BAD_SEED = "seed must be a whole number, 0 or more; found {seed!r}."
# Messages list at most this many column names.
MAX_LISTED = 25

_METRIC_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_./ -]+")


# -- step 1: load ------------------------------------------------------------------------------


def read_frame(data: pd.DataFrame | str | os.PathLike[str]) -> tuple[pd.DataFrame, str | None]:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data, None
    from govern.data import read_table

    return read_table(data), Path(data).name


def load_policy_source(policy: Policy | str | os.PathLike[str]) -> tuple[Policy, str]:
    """The resolved policy and how to name it again later (pack name or absolute path)."""
    from govern.policies import Policy, load_policy

    if isinstance(policy, Policy):
        return policy, policy.name
    source = str(policy)
    loaded = load_policy(source)
    if Path(source).is_file():
        source = str(Path(source).resolve())
    return loaded, source


def load_waivers_source(waivers: Sequence[Waiver] | str | os.PathLike[str] | None) -> list[Waiver]:
    if waivers is None:
        return []
    if isinstance(waivers, str | os.PathLike):
        from govern.policies import load_waivers

        return load_waivers(waivers)
    return list(waivers)


def sensitive_columns(
    sensitive: Sequence[str] | str | None, meta: GovernanceMetadata | None, name: str
) -> list[str]:
    if isinstance(sensitive, str):
        sensitive = [part.strip() for part in sensitive.split(",") if part.strip()]
    columns = list(sensitive) if sensitive else list(meta.sensitive_attributes if meta else [])
    if not columns:
        raise BadInputError(MSG_NO_SENSITIVE.format(name=name))
    return columns


def output_folder(out_dir: str | os.PathLike[str] | None) -> OutputFolder | None:
    """The output folder, checked now: nothing is recorded before outputs are known safe."""
    if out_dir is None:
        return None
    from govern.adapters.files import OutputFolder

    return OutputFolder(out_dir, list(OUTPUT_FILES))


def load_card(registry: Registry, info: ModelVersionInfo) -> ModelCard | None:
    """The model card stored with the version, or None when it has none."""
    from govern.adapters.registry import TAG_CARD_PATH, TAG_CARD_RUN_ID
    from govern.model_cards.card import parse_model_card

    run_id = info.tags.get(TAG_CARD_RUN_ID)
    card_path = info.tags.get(TAG_CARD_PATH)
    if not run_id or not card_path:
        return None
    text = registry.read_artifact_text(run_id, card_path)
    try:
        return parse_model_card(text, card_path)
    except BadInputError as error:
        raise BadInputError(
            MSG_BAD_CARD.format(name=info.name, version=info.version, problem=error)
        ) from error


# -- step 2: decide ----------------------------------------------------------------------------


def _feature_names(model: LoadedModel, frame: pd.DataFrame, reserved: set[str]) -> list[str]:
    if model.input_names is not None:
        return list(model.input_names)
    return [str(column) for column in frame.columns if column not in reserved]


def _check_decisions(predictions: np.ndarray, name: str, version: str) -> np.ndarray:
    import numpy as np

    distinct = np.unique(predictions)
    if not set(distinct.tolist()) <= {0, 1}:
        shown = ", ".join(repr(v) for v in distinct[:6].tolist())
        more = f" and {distinct.size - 6} more" if distinct.size > 6 else ""
        raise DataError(
            MSG_PREDICTIONS_NOT_BINARY.format(name=name, version=version, found=shown + more)
        )
    return predictions.astype(np.int8)


def _listed(names: list[str]) -> str:
    """Column names for a message: quoted, each cut short, at most MAX_LISTED of them."""
    shown = ", ".join(repr(n if len(n) <= 60 else n[:60] + "…") for n in names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def check_seed(seed: int) -> int:
    """``seed`` when it is a whole number from 0 (numpy's generators take no other)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BadInputError(MSG_BAD_SEED.format(seed=seed))
    return seed


def _check_user_columns(
    frame: pd.DataFrame, columns: list[str], y_true: str | None, score: str | None, where: str
) -> None:
    """The columns the user named exist in the data, checked before the model's decisions are
    added, so a message lists only the data's own columns."""
    from govern.data import check_role_columns

    roles = [("sensitive", column) for column in columns]
    roles += [(role, column) for role, column in (("y_true", y_true), ("score", score)) if column]
    check_role_columns(roles, [str(c) for c in frame.columns], where)


def predict_decisions(
    model: LoadedModel, frame: pd.DataFrame, features: list[str], name: str, version: str
) -> np.ndarray:
    """The model's 0/1 decision for every row, with messages that name the model."""
    import numpy as np

    missing = [feature for feature in features if feature not in frame.columns]
    if missing:
        raise DataError(
            MSG_MISSING_FEATURES.format(
                count=len(missing),
                name=name,
                version=version,
                missing=_listed([str(m) for m in missing]),
                available=_listed([str(c) for c in frame.columns]),
            )
        )
    try:
        predictions = np.asarray(model.predict(frame[features]))
    except Exception as error:  # any failure of the model's own code is the user's input
        raise DataError(
            MSG_PREDICT_FAILED.format(name=name, version=version, reason=str(error)[:300])
        ) from error
    if predictions.ndim > 1:
        predictions = predictions.reshape(len(predictions), -1)[:, 0]
    if predictions.shape[0] != len(frame):
        raise DataError(
            MSG_PREDICTIONS_SHAPE.format(
                name=name, version=version, found=predictions.shape[0], expected=len(frame)
            )
        )
    return _check_decisions(predictions, name, version)


# -- step 3: gather ----------------------------------------------------------------------------


def process_evidence(name: str, model_tags: dict[str, str], now: dt.datetime) -> EvidencePart:
    """Facts about the governance process, from the register's metadata of the model."""
    from govern.evidence.process import ProcessEvidence
    from govern.metadata import REQUIRED_FOR_REGISTER, metadata_from_tags

    meta = metadata_from_tags(name, model_tags)
    return ProcessEvidence(
        # This audit is the latest one: its age is zero on the day it runs.
        last_audit_at=now,
        owner=meta.owner if meta else None,
        appeal_route=meta.appeal_route if meta else None,
        risk_tier=meta.risk_tier if meta else None,
        purpose=meta.purpose if meta else None,
        # Sign-off is judged by the deployment gate, after the audit: approvers sign off on
        # the findings of an audit, so requiring their sign-off before it would be circular.
        approvals=None,
        register_missing_fields=meta.missing_fields() if meta else list(REQUIRED_FOR_REGISTER),
    )


def documentation_evidence(card: ModelCard | None, *, on_record: bool) -> EvidencePart | None:
    """The card's fields; a version known to have no card has every field missing."""
    from govern.evidence.documentation import DocumentationEvidence

    if card is not None:
        return card.documentation_evidence()
    return DocumentationEvidence(card_on_record=False) if on_record else None


# -- step 4: judge -----------------------------------------------------------------------------


def headline_metrics(
    fairness: FairnessEvidence | None, ranking: RankingEvidence | None = None
) -> dict[str, float]:
    """Attribute-wide disparities (group '*') as MLflow metric names.

    Fairness rows are named ``metric/attribute``; ranking rows ``ranking/metric/attribute``
    with ``/category`` for a per-category metric, so a recommender's figures sit beside a
    classifier's in MLflow's run comparison.

    Examples
    --------
    >>> headline_metrics(None)
    {}
    """
    metrics: dict[str, float] = {}
    for row in fairness.disparities if fairness is not None else []:
        if row.group == "*" and row.value is not None:
            key = _METRIC_NAME_UNSAFE.sub("_", f"{row.metric}/{row.attribute}")
            metrics[key] = float(row.value)
    for ranking_row in ranking.disparities if ranking is not None else []:
        if ranking_row.group == "*" and ranking_row.value is not None:
            name = f"ranking/{ranking_row.metric}/{ranking_row.attribute}"
            if ranking_row.category is not None:
                name += f"/{ranking_row.category}"
            metrics[_METRIC_NAME_UNSAFE.sub("_", name)] = float(ranking_row.value)
    return metrics


def render_reports(
    result: AuditResult,
    card: ModelCard | None,
    *,
    history: list[AuditHistoryEntry] | None = None,
    metadata: GovernanceMetadata | None = None,
) -> dict[str, str]:
    """``audit.json``, the compliance report and, when there is a card, the model card (each in
    Markdown and self-contained HTML). The report quotes the SHA-256 of this ``audit.json``,
    which the trail record of the audit holds."""
    from govern.model_cards.render import render_model_card, render_report

    audit_json = result.model_dump_json(indent=2)
    sha = hashlib.sha256(audit_json.encode("utf-8")).hexdigest()
    files = {AUDIT_ARTIFACT: audit_json}
    formats: tuple[Format, ...] = ("markdown", "html")
    for fmt in formats:
        files[REPORT_FILES[fmt]] = render_report(
            result, card=card, fmt=fmt, history=history, audit_sha256=sha
        )
    if card is not None:
        for fmt in formats:
            files[CARD_FILES[fmt]] = render_model_card(
                card, result, fmt=fmt, metadata=metadata, history=history
            )
    return files


# -- step 5: record ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Registered:
    """What step 1 loaded for a registered version."""

    name: str
    version: str
    registry: Registry
    info: ModelVersionInfo
    model_tags: dict[str, str]
    policy: Policy
    policy_source: str
    card: ModelCard | None
    sensitive: list[str]
    meta: GovernanceMetadata | None = None


def _log_run(
    run: RunRecorder, plan: _Registered, result: AuditResult, files: dict[str, str]
) -> None:
    from govern import __version__
    from govern.evidence.fairness import FairnessEvidence
    from govern.evidence.ranking import RankingEvidence
    from govern.policies import policy_sha256
    from govern.services.documents import (
        PARAM_AUDITED_AT,
        PARAM_PARITY,
        PARAM_PUBLIC_SIZE,
        parity_ratios,
    )

    assert result.policy is not None
    run.log_params(
        {
            "policy_name": plan.policy.name,
            "policy_version": plan.policy.version,
            "policy_sha256": policy_sha256(plan.policy),
            "policy_source": plan.policy_source,
            "data_sha256": result.data.sha256,
            "data_rows": result.data.n_rows,
            "data_source": result.data.source or "dataframe",
            "sensitive": ",".join(plan.sensitive),
            "decisions": "recorded"
            if plan.info.outcome_only or DECISION_COLUMN not in result.data.columns
            else "predicted",
            "govern_version": __version__,
            # What documents rebuilt later from this run need without the policy file.
            PARAM_AUDITED_AT: result.created_at.isoformat(),
            PARAM_PARITY: json.dumps(parity_ratios(result), sort_keys=True),
            PARAM_PUBLIC_SIZE: plan.policy.disclosure("public").min_size,
        }
    )
    run.log_metrics(
        {
            **headline_metrics(
                result.evidence.get(FairnessEvidence), result.evidence.get(RankingEvidence)
            ),
            "rules_blocking_failed": len(result.policy.blocking_failures),
            "rules_blocking_inconclusive": len(result.policy.blocking_unknowns),
            "rules_total": len(result.policy.rules),
        }
    )
    for artifact, text in files.items():
        run.log_text(text, artifact)
    run.set_tags({"govern.audit.status": result.status})


def _audit_tags(
    plan: _Registered, result: AuditResult, run_id: str, record: TrailRecord
) -> dict[str, str]:
    from govern.adapters.registry import (
        TAG_AUDIT_AT,
        TAG_AUDIT_POLICY,
        TAG_AUDIT_POLICY_SHA256,
        TAG_AUDIT_RUN_ID,
        TAG_AUDIT_STATUS,
        TAG_AUDIT_TRAIL_HASH,
        TAG_AUDIT_TRAIL_INDEX,
    )
    from govern.policies import policy_sha256

    # run_id last: readers key on it, so a reader never sees a half-written set.
    return {
        TAG_AUDIT_STATUS: result.status,
        TAG_AUDIT_POLICY: plan.policy_source,
        TAG_AUDIT_POLICY_SHA256: policy_sha256(plan.policy),
        TAG_AUDIT_AT: result.created_at.isoformat(),
        TAG_AUDIT_TRAIL_INDEX: str(record.index),
        TAG_AUDIT_TRAIL_HASH: record.record_hash,
        TAG_AUDIT_RUN_ID: run_id,
    }


def _trail_record(
    plan: _Registered, result: AuditResult, audit_json: str, trail: Path
) -> AbstractContextManager[TrailRecord]:
    """The audit's trail record, written when the ``with`` block around it succeeds."""
    from govern.adapters.trail import prepared_record
    from govern.policies import policy_sha256

    assert result.policy is not None and result.model is not None
    return prepared_record(
        "audit",
        model=plan.name,
        version=plan.version,
        data_sha256=result.data.sha256,
        policy_sha256=policy_sha256(plan.policy),
        result_sha256=hashlib.sha256(audit_json.encode("utf-8")).hexdigest(),
        payload={
            "status": result.status,
            "policy": plan.policy.name,
            "policy_version": plan.policy.version,
            "run_id": result.model.run_id,
            "n_rows": result.data.n_rows,
            "blocking_failures": [r.rule_id for r in result.policy.blocking_failures],
            "blocking_inconclusive": [r.rule_id for r in result.policy.blocking_unknowns],
            "verdicts": {r.rule_id: r.verdict for r in result.policy.rules},
        },
        path=trail,
    )


def _record(
    plan: _Registered,
    draft: AuditResult,
    out: OutputFolder | None,
    trail: Path | None,
) -> AuditResult:
    """Record the audit in MLflow, the version's tags, the output folder and the trail."""
    from govern.adapters.registry import AUDIT_EXPERIMENT
    from govern.disclosure import redact
    from govern.results import ModelRef
    from govern.services.documents import audit_history, complete_card, entry_of

    registry = plan.registry
    with registry.run(
        AUDIT_EXPERIMENT,
        run_name=f"audit {plan.name} v{plan.version}",
        tags={"govern.model": plan.name, "govern.version": plan.version, "govern.kind": "audit"},
    ) as run:
        # What leaves govern (MLflow, files, the caller) is the published form of the audit.
        result = redact(
            draft.model_copy(
                update={"model": ModelRef(name=plan.name, version=plan.version, run_id=run.run_id)}
            )
        )
        history = [*audit_history(registry, plan.name), entry_of(result, run.run_id)]
        card = complete_card(plan.card, plan.info, plan.meta)
        files = render_reports(result, card, history=history, metadata=plan.meta)
        _log_run(run, plan, result, files)
        previous = registry.get_version(plan.name, plan.version)
        previous_model = registry.get_model(plan.name).description
        trail_file = trail or registry.settings.trail_path
        tags: dict[str, str] = {}
        described = False
        try:
            # The trail stays locked while the tags (which anchor its record), the descriptions
            # and the files are written; the record itself is written last, when the block
            # succeeds.
            with _trail_record(plan, result, files[AUDIT_ARTIFACT], trail_file) as record:
                tags = _audit_tags(plan, result, run.run_id, record)
                registry.set_version_tags(plan.name, plan.version, tags)
                described = True
                _describe_in_mlflow(registry, plan, result, previous.description)
                if out is not None:
                    out.write(files)
        except BaseException:
            # Leave nothing claiming an audit that was not recorded in full.
            if tags:
                registry.restore_version_tags(plan.name, plan.version, previous.tags, list(tags))
            if described:
                _restore_descriptions(registry, plan, previous.description, previous_model)
            raise
    return result


def _describe_in_mlflow(
    registry: Registry, plan: _Registered, result: AuditResult, previous: str
) -> None:
    """What MLflow's UI shows without opening tags: the verdict on the version's page and the
    governance summary on the model's page."""
    from govern.services.documents import model_description, version_description

    assert result.model is not None and result.model.run_id is not None
    link = registry.run_link(result.model.run_id)
    registry.set_version_description(
        plan.name, plan.version, version_description(result, link, previous)
    )
    described = model_description(plan.meta, result)
    if described is not None:
        registry.set_model_description(plan.name, described)


def _restore_descriptions(
    registry: Registry, plan: _Registered, version_text: str, model_text: str
) -> None:
    """Best effort, like the tags: the failure being undone is the one the user sees."""
    import contextlib

    with contextlib.suppress(Exception):
        registry.set_version_description(plan.name, plan.version, version_text)
    with contextlib.suppress(Exception):
        registry.set_model_description(plan.name, model_text)


# -- the services ------------------------------------------------------------------------------


def run_audit(
    name: str,
    *,
    version: str,
    data: pd.DataFrame | str | os.PathLike[str],
    policy: Policy | str | os.PathLike[str],
    waivers: Sequence[Waiver] | str | os.PathLike[str] | None = None,
    y_true: str | None = None,
    y_pred: str | None = None,
    sensitive: Sequence[str] | str | None = None,
    score: str | None = None,
    tracking_uri: str | None = None,
    today: dt.date | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    trail: Path | None = None,
    seed: int = 0,
    engine: str = "auto",
    ranking: RankingColumns | None = None,
    options: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditResult:
    """Audit version ``version`` of registered model ``name`` against ``policy`` and record it.

    Parameters
    ----------
    name, version : str
        The registered model version.
    data : DataFrame or path
        Evaluation records (CSV or Parquet): the model's inputs and the sensitive attributes,
        or, for an outcome-only audit, the recorded decisions.
    policy : Policy, pack name or path
        The policy to judge against (``govern policy list`` shows the packs).
    waivers : list of Waiver or path, optional
        Time-limited exceptions for failing rules.
    y_true : str, optional
        Column of true outcomes (enables error-rate metrics).
    y_pred : str, optional
        Column of recorded decisions. Required for outcome-only versions; when given for a model
        with an artifact, the recorded decisions are audited instead of fresh predictions.
    sensitive : list of str or comma-separated str, optional
        Sensitive attribute columns; default: the model's ``sensitive_attributes`` metadata.
    score : str, optional
        Column of a continuous score.
    tracking_uri : str, optional
        Register to use (default from the environment, see :mod:`govern.settings`).
    today : date, optional
        Day of evaluation (waiver expiry); default: today (UTC).
    out_dir : path, optional
        Also write ``audit.json``, the compliance report and the model card there (checked
        before recording); the same files are artifacts of the audit run.
    trail : Path, optional
        Trail file (default: the configured one).
    seed : int, default 0
        Seed of the bootstrap and the permutation importances (same seed, same numbers).
    engine : {"auto", "pandas", "duckdb", "spark"}, default "auto"
        Who builds the fairness table (:mod:`govern.audits.sources.choose`; auto: DuckDB for
        a data file of 512 MiB or more, else pandas). Decisions are read into memory either
        way, since the model predicts on them; a recommendation log (``ranking``) is reduced
        to one row per user by that engine where it is, never loaded whole. Recorded as
        ``engine`` in the evidence.
    ranking : RankingColumns, optional
        For a recommender or a ranker (purpose ``learning_recommendation``, say): ``data`` is
        its log and these are its columns; the recorded recommendations are audited (ranking
        evidence), the model is not run, and ``sensitive`` (or the metadata) names the users'
        attributes.
    options : dict, optional
        Inputs of further gatherers (``AuditInputs.options``), e.g. ``{"oversight":
        OversightRoles(...)}`` to audit human review of the model's decisions.
    progress : callable, optional
        Called as ``progress(done, total)`` while the permutation importance shuffles the
        model's inputs (the longest step); the CLI draws a bar with it.

    Returns
    -------
    AuditResult
        ``result.status`` is ``"pass"``, ``"fail"`` or ``"inconclusive"``;
        ``result.model.run_id`` is the MLflow run.

    Raises
    ------
    govern.errors.BadInputError
        Unknown model or version, unreadable data or policy, missing columns, an output folder
        that cannot be written.

    Examples
    --------
    >>> result = run_audit("cv-screening", version="2", data="applicants.csv",
    ...                    policy="eeoc-four-fifths", sensitive=["sex"])  # doctest: +SKIP
    >>> result.status  # doctest: +SKIP
    'pass'
    """
    from govern.adapters.registry import Registry
    from govern.metadata import metadata_from_tags
    from govern.results import ModelRef

    version = str(version)
    check_seed(seed)
    the_policy, policy_source = load_policy_source(policy)
    the_waivers = load_waivers_source(waivers)
    out = output_folder(out_dir)
    # A recommendation log is reduced by its engine's source where it is (ranking_inputs);
    # decisions are read into memory, since the model predicts on them.
    frame, source = read_frame(data) if ranking is None else (None, None)
    registry = Registry(tracking_uri)
    info = registry.get_version(name, version)
    model_tags = registry.get_model_tags(name)
    meta = metadata_from_tags(name, model_tags)
    card = load_card(registry, info)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    purpose = meta.purpose if meta else None
    if ranking is not None:
        # A recommender is audited on its recorded recommendations, never re-run.
        from govern.services.recommendations import (
            ranking_inputs,
            ranking_sensitive,
            refuse_decision_columns,
        )

        refuse_decision_columns(y_pred=y_pred, y_true=y_true, score=score)
        columns = ranking_sensitive(sensitive, meta, ranking, name)
        inputs = ranking_inputs(
            data,
            ranking,
            policy=the_policy,
            sensitive=columns,
            seed=seed,
            purpose=purpose,
            engine=engine,
        )
    else:
        assert frame is not None
        columns = sensitive_columns(sensitive, meta, name)
        inputs = _decision_inputs(
            registry,
            info,
            frame,
            policy=the_policy,
            y_pred=y_pred,
            sensitive=columns,
            y_true=y_true,
            score=score,
            source=source,
            seed=seed,
            purpose=purpose,
            options={"engine": engine_for(engine, data), "progress": progress, **(options or {})},
        )
    plan = _Registered(
        name, version, registry, info, model_tags, the_policy, policy_source, card, columns, meta
    )
    evidence = gathered(inputs).with_parts(
        documentation_evidence(card, on_record=True), process_evidence(name, model_tags, now)
    )
    draft = judged(
        evidence,
        inputs,
        waivers=the_waivers,
        today=today or now.date(),
        now=now,
        model=ModelRef(name=name, version=version),
    )
    return _record(plan, draft, out, trail)


def _decision_inputs(
    registry: Registry,
    info: ModelVersionInfo,
    frame: pd.DataFrame,
    *,
    y_pred: str | None,
    sensitive: list[str],
    y_true: str | None,
    score: str | None,
    **fields: Any,
) -> AuditInputs:
    """Step 2 for a decision model: its decisions (recorded, or predicted now), then the inputs."""
    name, version = info.name, info.version
    model, features, decision_column = None, None, y_pred
    if decision_column is None:
        _check_user_columns(frame, sensitive, y_true, score, fields.get("source") or "the data")
        if info.outcome_only:
            raise BadInputError(MSG_OUTCOME_ONLY_NEEDS_Y_PRED.format(name=name, version=version))
        model = registry.load_model(name, version)
        features = _feature_names(model, frame, {*sensitive, *(c for c in (y_true, score) if c)})
        decisions = predict_decisions(model, frame, features, name, version)
        frame = frame.assign(**{DECISION_COLUMN: decisions})
        decision_column = DECISION_COLUMN
    return audit_inputs(
        frame,
        y_pred=decision_column,
        sensitive=sensitive,
        y_true=y_true,
        score=score,
        model=model,
        features=features,
        **fields,
    )


def engine_for(engine: str, data: pd.DataFrame | str | os.PathLike[str]) -> str:
    """The engine that builds the fairness table: as asked, or by the default rule."""
    from govern.audits.sources.choose import AUTO, choose_engine

    return choose_engine(data) if engine == AUTO else engine


def audit_inputs(frame: pd.DataFrame, **fields: Any) -> AuditInputs:
    """The gatherers' inputs, with the audited columns validated once (a misspelt column or a
    non-binary decision is refused here, naming the column)."""
    from govern.data import EvaluationData
    from govern.services.gathering import AuditInputs

    evaluation = EvaluationData.from_frame(
        frame,
        y_pred=fields["y_pred"],
        sensitive=fields["sensitive"],
        y_true=fields.get("y_true"),
        score=fields.get("score"),
        sample_weight=fields.pop("sample_weight", None),
        positive_label=fields.pop("positive_label", 1),
        source=fields.get("source"),
    )
    return AuditInputs(frame=frame, evaluation=evaluation, **fields)


def gathered(inputs: AuditInputs) -> Evidence:
    """Every registered gatherer's evidence for these inputs."""
    from govern.evidence import Evidence
    from govern.services.gathering import gather

    return Evidence.of(*gather(inputs))


def judged(
    evidence: Evidence,
    inputs: AuditInputs,
    *,
    waivers: list[Waiver],
    today: dt.date,
    now: dt.datetime,
    model: ModelRef | None,
) -> AuditResult:
    """The policy's verdicts on the evidence, as an audit result (not yet recorded)."""
    from govern import __version__
    from govern.policies import evaluate
    from govern.results import AuditResult

    verdicts: PolicyResult = evaluate(
        inputs.policy,
        evidence,
        waivers=waivers,
        today=today,
        model_name=model.name if model else None,
        model_version=model.version if model else None,
    )
    return AuditResult(
        govern_version=__version__,
        created_at=now,
        model=model,
        data=inputs.data_fingerprint(),
        evidence=evidence,
        policy=verdicts,
        disclosure=inputs.policy.disclosure(),
    )
