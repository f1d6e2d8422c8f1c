"""Monitor a time-stamped decision log: judge the policy window by window, ``govern monitor``.

The steps, with the I/O at the edges:

1. **load** everything that can be refused: the policy and waivers, the output folder (checked
   before anything is recorded), the log, and, when a registered model is named, its version;
2. **validate** the whole log once: the time column, the decisions and sensitive attributes,
   the reviewer-stage columns if given (so no window can fail half-way);
3. **window**: cut the log into calendar periods and pool small ones into windows whose groups
   can be judged (:mod:`govern.audits.monitoring.pooling`);
4. **gather** each window's evidence with the audit service's gatherers;
5. **detect** drift of the impact ratios over the windows judged in full
   (:mod:`govern.audits.monitoring.drift`);
6. **judge** every window in order, with its place in the trend (monitoring evidence);
7. **record** each window like an audit when a model is named (the audit service's recording:
   an MLflow run, the version's tags, a trail record; all or nothing per window), skipping
   windows recorded before with the same data and policy;
8. **write** the trend (``trend.csv``, ``monitor.json``) and the latest window's ``audit.json``
   and compliance report, whose monitoring section shows the whole trend.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from govern.evidence.monitoring import DriftAlarm, PeriodInfo, TrendPoint, WindowInfo
from govern.results import (
    AuditResult,
    DataFingerprint,
    MetricRow,
    ModelRef,
    PolicyStatus,
    Verdict,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from govern.adapters.files import OutputFolder
    from govern.audits.monitoring.periods import Every, Period
    from govern.audits.monitoring.pooling import Window
    from govern.evidence import Evidence
    from govern.evidence.oversight import OversightRoles
    from govern.policies import Policy, Waiver
    from govern.services.gathering import AuditInputs

TREND_CSV = "trend.csv"
MONITOR_JSON = "monitor.json"

MSG_VERSION_WITHOUT_MODEL = "--version names a version of a registered model: pass --model too."
MSG_MODEL_WITHOUT_VERSION = "--model {name!r} needs the version monitored: pass --version N."
MSG_STAGE_NEEDS_RECOMMENDATION = (
    "appeal and reviewer columns describe a reviewer stage: name the model's recommendation "
    "too (--recommendation COLUMN), with the final decisions as --decision."
)
MSG_SAME_COLUMN = (
    "column {column!r} is used both as the time column and as {role}; the time column must be "
    "its own column."
)


class WindowOutcome(BaseModel):
    """One window's verdict, key figures, what changed, and where it was recorded."""

    window: WindowInfo
    status: PolicyStatus
    verdicts: dict[str, Verdict]
    rows: list[MetricRow] = Field(default_factory=list)
    changes: list[str] = Field(default_factory=list)
    alarms: list[DriftAlarm] = Field(
        default_factory=list, description="Changes detected at this window."
    )
    run_id: str | None = Field(None, description="The MLflow run that records the window.")
    recorded_before: bool = Field(False, description="Same data and policy recorded earlier.")


class MonitorResult(BaseModel):
    """What monitoring found: every window, every detection, and the latest window's audit."""

    model_config = ConfigDict(protected_namespaces=())

    govern_version: str
    created_at: dt.datetime
    data: DataFingerprint
    model: ModelRef | None = None
    policy_name: str
    policy_version: str
    time_column: str
    every: str
    periods: list[PeriodInfo]
    windows: list[WindowOutcome]
    detections: list[DriftAlarm] = Field(
        default_factory=list, description="Every change the drift detector found, oldest first."
    )
    detector: dict[str, float | int | str] = Field(default_factory=dict)
    latest: AuditResult = Field(description="The audit of the latest window.")

    @property
    def latest_window(self) -> WindowOutcome:
        return self.windows[-1]

    @property
    def current_alarms(self) -> list[DriftAlarm]:
        """Alarms at the window whose detector state is the log's current one."""
        from govern.evidence.monitoring import MonitoringEvidence

        part = self.latest.evidence.get(MonitoringEvidence)
        return [] if part is None else part.current_alarms

    @property
    def passed(self) -> bool:
        """The latest window passed and no alarm fired at it."""
        return self.latest.status == "pass" and not self.current_alarms


@dataclass(frozen=True)
class MonitorRoles:
    """The log's columns: time, decisions, sensitive attributes, and a reviewer stage."""

    time: str
    y_pred: str
    sensitive: list[str]
    oversight: OversightRoles | None = None
    person: str | None = None


@dataclass(frozen=True)
class _Loaded:
    policy: Policy
    policy_source: str
    waivers: list[Waiver]
    out: OutputFolder | None
    frame: pd.DataFrame
    source: str | None
    plan: Any | None  # the audit service's plan of a registered version


# -- steps 1 and 2: load and validate --------------------------------------------------------------


def _registered(
    model: str | None,
    version: str | None,
    policy: Policy,
    policy_source: str,
    sensitive: list[str],
    tracking_uri: str | None,
) -> Any | None:
    from govern.errors import BadInputError

    if model is None:
        if version is not None:
            raise BadInputError(MSG_VERSION_WITHOUT_MODEL)
        return None
    if version is None:
        raise BadInputError(MSG_MODEL_WITHOUT_VERSION.format(name=model))
    from govern.adapters.registry import Registry
    from govern.services.audit import _Registered, load_card

    registry = Registry(tracking_uri)
    info = registry.get_version(model, str(version))
    return _Registered(
        model,
        str(version),
        registry,
        info,
        registry.get_model_tags(model),
        policy,
        policy_source,
        load_card(registry, info),
        sensitive,
    )


def _load(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    policy: Policy | str | os.PathLike[str],
    waivers: Sequence[Waiver] | str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str] | None,
    model: str | None,
    version: str | None,
    sensitive: list[str],
    tracking_uri: str | None,
) -> _Loaded:
    import pandas as pd

    from govern.adapters.files import OutputFolder
    from govern.data import read_table
    from govern.policies import load_waivers
    from govern.services.audit import OUTPUT_FILES, load_policy_source

    the_policy, policy_source = load_policy_source(policy)
    if isinstance(waivers, str | os.PathLike):
        the_waivers = load_waivers(waivers)
    else:
        the_waivers = list(waivers or [])
    out = None
    if out_dir is not None:
        out = OutputFolder(out_dir, [TREND_CSV, MONITOR_JSON, *OUTPUT_FILES])
    if isinstance(data, pd.DataFrame):
        frame, source = data, None
    else:
        frame, source = read_table(data), Path(data).name
    plan = _registered(model, version, the_policy, policy_source, sensitive, tracking_uri)
    return _Loaded(the_policy, policy_source, the_waivers, out, frame, source, plan)


def _validated(frame: pd.DataFrame, roles: MonitorRoles, source: str | None) -> Any:
    """The log's times (UTC) and its coded sensitive attributes, validated once."""
    from govern.audits.oversight import decision_log
    from govern.audits.oversight.log import yes_no_column
    from govern.audits.times import timestamps
    from govern.data import EvaluationData, check_role_columns
    from govern.errors import DataError

    where = source or "the data"
    available = [str(c) for c in frame.columns]
    check_role_columns([("time", roles.time)], available, where)
    others = [("decision", roles.y_pred), *(("sensitive", s) for s in roles.sensitive)]
    if roles.person is not None:
        others.append(("id", roles.person))
    for role, column in others:
        if column == roles.time:
            raise DataError(MSG_SAME_COLUMN.format(column=column, role=role))
    if roles.person is not None:
        check_role_columns(others, available, where)
    if roles.oversight is not None:
        decision_log(frame, roles=roles.oversight, sensitive=roles.sensitive, source=where)
    else:
        check_role_columns([("decision", roles.y_pred)], available, where)
        yes_no_column(frame, "decision", roles.y_pred, 1, where)
    evaluation = EvaluationData.from_frame(
        frame, y_pred=roles.y_pred, sensitive=roles.sensitive, source=where
    )
    return timestamps(frame, role="time", column=roles.time, source=where), evaluation


# -- steps 3 and 4: window and gather --------------------------------------------------------------


def _window_info(window: Window, periods: list[Period], counts: np.ndarray) -> WindowInfo:
    first, last = periods[window.periods[0]], periods[window.periods[-1]]
    label = first.label if len(window.periods) == 1 else f"{first.label} to {last.label}"
    if len(window.periods) > 1 and " to " in first.label:
        label = f"{first.start.isoformat()} to {last.end.isoformat()}"
    return WindowInfo(
        label=label,
        start=first.start,
        end=last.end,
        periods=[periods[i].label for i in window.periods],
        n=int(counts[window.periods].sum()),
        provisional=window.provisional,
        small_groups=list(window.small_groups),
    )


def _one_row_per_person(
    frame: pd.DataFrame,
    roles: MonitorRoles,
    period_of_row: np.ndarray,
    periods: list[Period],
    source: str | None,
) -> None:
    """A person twice in one period is refused (twice in a pooled window is two decisions)."""
    from govern.audits.people import check_one_row_per_person

    if roles.person is None:
        return
    check_one_row_per_person(
        frame,
        column=roles.person,
        source=source or "the data",
        period_of_row=period_of_row,
        period_labels=[p.label for p in periods],
    )


def _windows(
    period_of_row: np.ndarray,
    periods: list[Period],
    evaluation: Any,
    policy: Policy,
    every: Every,
    max_periods: int | None,
) -> tuple[list[WindowInfo], list[list[int]]]:
    import numpy as np

    from govern.audits.monitoring.pooling import group_counts, pool_windows

    counts = group_counts(period_of_row, len(periods), evaluation.codes, evaluation.levels)
    windows = pool_windows(
        counts,
        len(periods),
        minimum=policy.settings.min_group_size,
        max_periods=max_periods or every.per_year,
        exclude_below_share=policy.settings.exclude_below_share,
    )
    per_period = np.bincount(period_of_row, minlength=len(periods))
    infos = [_window_info(w, periods, per_period) for w in windows]
    return infos, [w.periods for w in windows]


def _gather(
    frame: pd.DataFrame,
    rows: np.ndarray,
    window: WindowInfo,
    roles: MonitorRoles,
    policy: Policy,
    source: str | None,
    seed: int,
) -> tuple[AuditInputs, Evidence]:
    from govern.services.audit import audit_inputs, gathered

    subset = frame.loc[rows].reset_index(drop=True)
    options = {"oversight": roles.oversight} if roles.oversight is not None else {}
    inputs = audit_inputs(
        subset,
        policy=policy,
        y_pred=roles.y_pred,
        sensitive=roles.sensitive,
        source=f"{source or 'decisions'} ({window.label})",
        seed=seed,
        options=options,
    )
    return inputs, gathered(inputs)


# -- steps 5 and 6: detect and judge ---------------------------------------------------------------


@dataclass(frozen=True)
class _History:
    """Everything about the log's windows that a window's monitoring evidence draws on."""

    roles: MonitorRoles
    every: Every
    min_group_size: int
    periods: list[PeriodInfo]
    windows: list[WindowInfo]
    steps: list[Any]
    detections: list[DriftAlarm]
    detector: dict[str, float | int | str]

    def drift_window(self, index: int) -> str | None:
        """The window whose detector state applies at window ``index``."""
        for window in reversed(self.windows[: index + 1]):
            if not window.provisional:
                return window.label
        return None

    def evidence(self, index: int, points: list[TrendPoint]) -> Any:
        from govern.evidence.monitoring import MonitoringEvidence

        window = self.windows[index]
        closed = [w.label for w in self.windows if not w.provisional]
        drift_window = self.drift_window(index)
        seen = set(closed[: closed.index(drift_window) + 1]) if drift_window else set()
        return MonitoringEvidence(
            time_column=self.roles.time,
            every=self.every.text,
            min_group_size=self.min_group_size,
            window=window,
            periods=[p for p in self.periods if p.start <= window.end],
            trend=points,
            drift_window=drift_window,
            drift=[s for s in self.steps if s.window in seen],
            alarms=[a for a in self.detections if a.window in seen],
            detector=self.detector,
        )


def _period_infos(
    periods: list[Period],
    period_of_row: np.ndarray,
    windows: list[WindowInfo],
    members: list[list[int]],
) -> list[PeriodInfo]:
    import numpy as np

    per_period = np.bincount(period_of_row, minlength=len(periods))
    owner: dict[int, str] = {}
    for window, indexes in zip(windows, members, strict=True):
        for index in indexes:
            if index not in owner or not window.provisional:
                owner.setdefault(index, window.label)
    return [
        PeriodInfo(
            label=p.label, start=p.start, end=p.end, n=int(per_period[i]), window=owner.get(i)
        )
        for i, p in enumerate(periods)
    ]


def _detect(
    windows: list[WindowInfo],
    evidences: list[Evidence],
    roles: MonitorRoles,
    every: Every,
    alarm_rate: float,
) -> tuple[list[Any], list[DriftAlarm], dict[str, float | int | str]]:
    from govern.audits.monitoring.drift import DriftSettings, detect_drift
    from govern.services.trend import window_counts

    counts = [
        window_counts(window.label, evidence, roles.sensitive)
        for window, evidence in zip(windows, evidences, strict=True)
        if not window.provisional
    ]
    return detect_drift(counts, DriftSettings(alpha=alarm_rate, windows_per_year=every.per_year))


def _judge_all(
    loaded: _Loaded,
    history: _History,
    gathered: list[tuple[AuditInputs, Evidence]],
    today: dt.date | None,
    now: dt.datetime,
) -> tuple[list[AuditResult], list[TrendPoint]]:
    from govern.evidence.fairness import FairnessEvidence
    from govern.services.audit import documentation_evidence, judged, process_evidence
    from govern.services.trend import alarm_notes, key_rows, pooling_notes, verdict_changes

    plan = loaded.plan
    model = ModelRef(name=plan.name, version=plan.version) if plan is not None else None
    drafts: list[AuditResult] = []
    points: list[TrendPoint] = []
    for index, (inputs, evidence) in enumerate(gathered):
        window = history.windows[index]
        here = [a for a in history.detections if a.window == window.label]
        fairness = evidence.get(FairnessEvidence)
        point = TrendPoint(
            window=window,
            rows=key_rows(evidence, history.roles.sensitive),
            groups=list(fairness.groups) if fairness is not None else [],
            changes=[*pooling_notes(window), *alarm_notes(here)],
        )
        parts = [history.evidence(index, [*points, point])]
        if plan is not None:
            parts += [
                documentation_evidence(plan.card, on_record=True),
                process_evidence(plan.name, plan.model_tags, now),
            ]
        draft = judged(
            evidence.with_parts(*parts),
            inputs,
            waivers=loaded.waivers,
            today=today or now.date(),
            now=now,
            model=model,
        )
        assert draft.policy is not None
        verdicts = {rule.rule_id: rule.verdict for rule in draft.policy.rules}
        changes = verdict_changes(points[-1] if points else None, draft.policy.status, verdicts)
        points.append(
            point.model_copy(
                update={
                    "status": draft.policy.status,
                    "verdicts": verdicts,
                    "changes": [*changes, *point.changes],
                }
            )
        )
        drafts.append(draft)
    return drafts, points


# -- steps 7 and 8: record and write ---------------------------------------------------------------


def _recorded_before(plan: Any, draft: AuditResult) -> str | None:
    """The run id of an earlier record of this window (same data, same policy), if any."""
    from govern.adapters.registry import AUDIT_EXPERIMENT
    from govern.policies import policy_sha256

    query = (
        f"tags.`govern.model` = '{plan.name}' and tags.`govern.version` = '{plan.version}' "
        f"and params.data_sha256 = '{draft.data.sha256}' "
        f"and params.policy_sha256 = '{policy_sha256(plan.policy)}'"
    )
    found = plan.registry.search_runs(AUDIT_EXPERIMENT, query)
    return found[0] if found else None


def _record_all(
    plan: Any, drafts: list[AuditResult], trail: Path | None
) -> list[tuple[AuditResult, str | None, bool]]:
    """Record each window in order (oldest first, so the version's tags end on the latest)."""
    from govern.services.audit import _record

    recorded: list[tuple[AuditResult, str | None, bool]] = []
    for draft in drafts:
        earlier = _recorded_before(plan, draft)
        if earlier is not None:
            from govern.disclosure import redact

            recorded.append((redact(draft), earlier, True))
            continue
        result = _record(plan, draft, None, trail)
        assert result.model is not None
        recorded.append((result, result.model.run_id, False))
    return recorded


def monitor_json(result: MonitorResult) -> str:
    """``monitor.json``: every window and detection (the latest audit is in audit.json)."""
    import json

    payload = result.model_dump(mode="json", exclude={"latest"})
    payload["latest_status"] = result.latest.status
    payload["current_alarms"] = [a.model_dump(mode="json") for a in result.current_alarms]
    payload["passed"] = result.passed
    return json.dumps(payload, indent=2)


def _outputs(result: MonitorResult, points: list[TrendPoint], card: Any) -> dict[str, str]:
    from govern.services.audit import render_reports
    from govern.services.trend import trend_csv

    return {
        TREND_CSV: trend_csv(points),
        MONITOR_JSON: monitor_json(result),
        **render_reports(result.latest, card),
    }


# -- the service -----------------------------------------------------------------------------------


def _roles(
    time: str,
    y_pred: str,
    sensitive: Sequence[str] | str,
    recommendation: str | None,
    appeal: str | None,
    appeal_upheld: str | None,
    reviewer: str | None,
    person: str | None = None,
) -> MonitorRoles:
    from govern.errors import BadInputError
    from govern.evidence.oversight import OversightRoles

    names = sensitive.split(",") if isinstance(sensitive, str) else list(sensitive)
    if recommendation is None and (appeal or appeal_upheld or reviewer):
        raise BadInputError(MSG_STAGE_NEEDS_RECOMMENDATION)
    oversight = None
    if recommendation is not None:
        oversight = OversightRoles(
            recommendation=recommendation,
            decision=y_pred,
            appeal=appeal,
            appeal_upheld=appeal_upheld,
            reviewer=reviewer,
        )
    columns = [name.strip() for name in names if name.strip()]
    return MonitorRoles(
        time=time, y_pred=y_pred, sensitive=columns, oversight=oversight, person=person
    )


def _published(
    loaded: _Loaded,
    history: _History,
    drafts: list[AuditResult],
    points: list[TrendPoint],
    evaluation: Any,
    now: dt.datetime,
    trail: Path | None,
) -> MonitorResult:
    """Record the windows (with a model) and the result in its published form: what leaves
    govern is redacted, as recording does for each window."""
    from govern import __version__
    from govern.disclosure import redact
    from govern.disclosure_kinds import redact_trend

    plan = loaded.plan
    recorded = (
        _record_all(plan, drafts, trail)
        if plan is not None
        else [(redact(draft), None, False) for draft in drafts]
    )
    published = redact_trend(points, loaded.policy.disclosure())
    outcomes = [
        WindowOutcome(
            window=point.window,
            status=point.status or result.status,
            verdicts=point.verdicts,
            rows=point.rows,
            changes=point.changes,
            alarms=[a for a in history.detections if a.window == point.window.label],
            run_id=run_id,
            recorded_before=before,
        )
        for point, (result, run_id, before) in zip(published, recorded, strict=True)
    ]
    return MonitorResult(
        govern_version=__version__,
        created_at=now,
        data=evaluation.fingerprint(),
        model=ModelRef(name=plan.name, version=plan.version) if plan is not None else None,
        policy_name=loaded.policy.name,
        policy_version=loaded.policy.version,
        time_column=history.roles.time,
        every=history.every.text,
        periods=history.periods,
        windows=outcomes,
        detections=history.detections,
        detector=history.detector,
        latest=recorded[-1][0],
    )


def monitor_log(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    time: str,
    every: str,
    policy: Policy | str | os.PathLike[str],
    y_pred: str,
    sensitive: Sequence[str] | str,
    recommendation: str | None = None,
    appeal: str | None = None,
    appeal_upheld: str | None = None,
    reviewer: str | None = None,
    person: str | None = None,
    waivers: Sequence[Waiver] | str | os.PathLike[str] | None = None,
    model: str | None = None,
    version: str | None = None,
    tracking_uri: str | None = None,
    trail: Path | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    alarm_rate: float = 0.05,
    max_periods: int | None = None,
    seed: int = 0,
    today: dt.date | None = None,
) -> MonitorResult:
    """Judge ``policy`` on a decision log period by period, pool small periods, detect drift.

    Parameters
    ----------
    data : DataFrame or path
        The log (CSV or Parquet): one row per decision, with a time column.
    time : str
        Column of when each decision was taken (ISO 8601).
    every : str
        ``"month"``, ``"quarter"`` or ``"N days"``.
    policy : Policy, pack name or path
        Judged on every window (e.g. ``eeoc-four-fifths``; ``human-oversight`` with a
        reviewer stage).
    y_pred : str
        Column of the decisions audited (with ``recommendation``: the final human decisions).
    sensitive : list of str or comma-separated str
        Sensitive attribute columns.
    recommendation, appeal, appeal_upheld, reviewer : str, optional
        A reviewer stage: the model's recommendation and the other oversight columns.
    person : str, optional
        Column identifying who each row is about: a person on two rows of one period is
        refused (a person may come back in a later period).
    waivers : list of Waiver or path, optional
        Time-limited exceptions, applied to every window.
    model, version : str, optional
        A registered model version: each window is recorded like an audit of it.
    tracking_uri, trail : optional
        Where the register and the trail are (default: the configured ones).
    out_dir : path, optional
        Write ``trend.csv``, ``monitor.json``, and the latest window's ``audit.json`` and
        compliance report there (checked before anything is recorded).
    alarm_rate : float, default 0.05
        False alarms a year the drift detector allows on a stable log.
    max_periods : int, optional
        Most periods pooled into one window (default: a year of periods).
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    MonitorResult
        ``result.passed`` is True when the latest window passed and no alarm fired at it.

    Examples
    --------
    >>> result = monitor_log("decisions.csv", time="decided_at", every="month",
    ...                      policy="eeoc-four-fifths", y_pred="shortlisted",
    ...                      sensitive="sex")  # doctest: +SKIP
    >>> [w.window.label for w in result.windows][:2]  # doctest: +SKIP
    ['2025-01', '2025-02']
    """
    import numpy as np

    from govern.audits.monitoring.periods import assign_periods, parse_every

    roles = _roles(time, y_pred, sensitive, recommendation, appeal, appeal_upheld, reviewer, person)
    period = parse_every(every)
    loaded = _load(
        data,
        policy=policy,
        waivers=waivers,
        out_dir=out_dir,
        model=model,
        version=version,
        sensitive=roles.sensitive,
        tracking_uri=tracking_uri,
    )
    times, evaluation = _validated(loaded.frame, roles, loaded.source)
    period_of_row, periods = assign_periods(times, period)
    _one_row_per_person(loaded.frame, roles, period_of_row, periods, loaded.source)
    windows, members = _windows(
        period_of_row, periods, evaluation, loaded.policy, period, max_periods
    )
    gathered = [
        _gather(loaded.frame, np.isin(period_of_row, indexes), window, roles, loaded.policy,
                loaded.source, seed)
        for window, indexes in zip(windows, members, strict=True)
    ]  # fmt: skip
    steps, detections, detector = _detect(
        windows, [evidence for _, evidence in gathered], roles, period, alarm_rate
    )
    history = _History(
        roles=roles,
        every=period,
        min_group_size=loaded.policy.settings.min_group_size,
        periods=_period_infos(periods, period_of_row, windows, members),
        windows=windows,
        steps=steps,
        detections=detections,
        detector=detector,
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    drafts, points = _judge_all(loaded, history, gathered, today, now)
    result = _published(loaded, history, drafts, points, evaluation, now, trail)
    if loaded.out is not None:
        from govern.disclosure_kinds import redact_trend

        published = redact_trend(points, loaded.policy.disclosure())
        loaded.out.write(_outputs(result, published, loaded.plan.card if loaded.plan else None))
    return result
