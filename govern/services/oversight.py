"""Audit human review of a model's recommendations from a decision log: ``govern audit oversight``.

With a policy this is :func:`govern.services.audit.audit_data` on the final decisions with the
oversight gatherer switched on (fairness of the final decisions, and how reviewers used the
recommendations), judged and written like any data audit. Without one, the same evidence is
measured and reported with no verdict.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from govern.policies import Policy, Waiver
    from govern.results import AuditResult

# The name of the rule-less policy that carries how to measure when no policy is given.
NO_POLICY_NAME = "measurement only"
MSG_WAIVERS_WITHOUT_POLICY = (
    "waivers are exceptions to a policy's rules: pass --policy too, or leave out --waivers."
)


def _roles(**columns: str | None) -> Any:
    from govern.evidence.oversight import OversightRoles

    return OversightRoles.model_validate(columns)


def _measuring_policy(settings: dict[str, Any]) -> Policy:
    """A policy with no rules, carrying only how to measure (for an audit without a verdict)."""
    from govern.policies.schema import Policy, Settings

    return Policy(name=NO_POLICY_NAME, version="0", settings=Settings(**settings))


def audit_oversight_data(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    recommendation: str,
    decision: str,
    sensitive: Sequence[str] | str,
    appeal: str | None = None,
    appeal_upheld: str | None = None,
    reviewer: str | None = None,
    recommended_at: str | None = None,
    decided_at: str | None = None,
    person: str | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    waivers: Sequence[Waiver] | str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
    today: dt.date | None = None,
) -> AuditResult:
    """Audit how reviewers used a model's recommendations, judged against ``policy`` if given.

    Parameters
    ----------
    data : DataFrame or path
        The decision log (CSV or Parquet), one row per person.
    recommendation, decision : str
        Columns of the model's recommendation and of the final human decision.
    sensitive : list of str or comma-separated str
        Sensitive attribute columns.
    appeal, appeal_upheld, reviewer, recommended_at, decided_at : str, optional
        Further columns of the log (see :func:`govern.audits.oversight.audit_oversight`).
    person : str, optional
        Column identifying who each row is about: a person on two rows is refused.
    policy : Policy, pack name or path, optional
        Judge the evidence (e.g. ``human-oversight``); without it nothing is judged and the
        result's status is ``no_policy``.
    waivers : list of Waiver or path, optional
        Time-limited exceptions for failing rules (with a policy).
    out_dir : path, optional
        Also write ``audit.json`` and the compliance report there (checked first).
    seed : int, default 0
        Seed of the bootstrap.
    settings : dict, optional
        Without a policy, how to measure: ``min_group_size``, ``n_boot``, ``alpha``,
        ``confidence_level``; with a policy its settings decide, and giving any is an error.

    Returns
    -------
    AuditResult
        Evidence of kinds ``fairness`` (the final decisions) and ``oversight``.

    Examples
    --------
    >>> result = audit_oversight_data("decisions.csv", recommendation="shortlisted",
    ...     decision="final_decision", sensitive="sex,ethnicity",
    ...     policy="human-oversight")  # doctest: +SKIP
    >>> result.status  # doctest: +SKIP
    'fail'
    """
    from govern.adapters.files import OutputFolder
    from govern.audits.oversight import decision_log
    from govern.services.audit import OUTPUT_FILES, render_reports
    from govern.services.data_audit import audit_data

    roles = _roles(
        recommendation=recommendation,
        decision=decision,
        appeal=appeal,
        appeal_upheld=appeal_upheld,
        reviewer=reviewer,
        recommended_at=recommended_at,
        decided_at=decided_at,
    )
    if policy is None and waivers is not None:
        from govern.errors import BadInputError

        raise BadInputError(MSG_WAIVERS_WITHOUT_POLICY)
    out = OutputFolder(out_dir, list(OUTPUT_FILES)) if out_dir is not None else None
    frame, source = _read(data)
    columns = _columns(sensitive)
    # The log is validated first, so that a message names the column by its part in the log
    # ("decision column ...") rather than by its role in the fairness audit.
    decision_log(frame, roles=roles, sensitive=columns, source=source, person=person)
    common: dict[str, Any] = {"y_pred": decision, "sensitive": columns, "seed": seed}
    if policy is not None:
        if settings:
            from govern.errors import BadInputError
            from govern.services.data_audit import MSG_SETTING_FROM_POLICY

            given = ", ".join(f"--{name.replace('_', '-')}" for name in settings)
            them = "it" if len(settings) == 1 else "them"
            raise BadInputError(MSG_SETTING_FROM_POLICY.format(options=given, them=them))
        result = audit_data(
            frame, policy=policy, waivers=waivers, today=today,
            gatherer_options={"oversight": roles}, **common,
        )  # fmt: skip
    else:
        result = _measured(
            frame, _measuring_policy(settings or {}), options={"oversight": roles}, **common
        )
    if source is not None:
        result = result.model_copy(
            update={"data": result.data.model_copy(update={"source": source})}
        )
    if out is not None:
        out.write(render_reports(result, None))
    return result


def _read(data: pd.DataFrame | str | os.PathLike[str]) -> tuple[pd.DataFrame, str | None]:
    import pandas as pd

    from govern.data import read_table

    if isinstance(data, pd.DataFrame):
        return data, None
    return read_table(data), os.path.basename(os.fspath(data))


def _columns(sensitive: Sequence[str] | str) -> list[str]:
    names = sensitive.split(",") if isinstance(sensitive, str) else list(sensitive)
    return [name.strip() for name in names if name.strip()]


def _measured(frame: pd.DataFrame, policy: Policy, **common: Any) -> AuditResult:
    """The evidence of every gatherer with no verdict (the report says no policy was applied),
    in its published form."""
    from govern import __version__
    from govern.disclosure import redact
    from govern.results import AuditResult
    from govern.services.audit import audit_inputs, gathered

    inputs = audit_inputs(frame, policy=policy, **common)
    return redact(
        AuditResult(
            govern_version=__version__,
            created_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            data=inputs.data_fingerprint(),
            evidence=gathered(inputs),
            disclosure=policy.disclosure(),
        )
    )
