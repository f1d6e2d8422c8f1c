"""Audit a recommendation log against a policy: the ranking steps of the audit service.

A recommender's output is a log, one row per (user, recommended item), not one decision per
person, so the audit's inputs are built differently: the log is reduced once to one row per user
(:mod:`govern.audits.sources.ranking`) and the ranking gatherer measures it
(:func:`govern.services.gathering.ranking_gatherer`). Everything after that (judging, the report,
recording) is the audit service's own steps (:mod:`govern.services.audit`), shared with
decision audits:

- :func:`audit_log` judges a log file with no register (``govern audit recommendations
  --policy``), as :func:`govern.services.audit.audit_data` judges a decision file;
- :func:`govern.services.audit.run_audit` audits a registered recommender when it is given
  :class:`RankingColumns` (``govern audit run --user ... --rank ... --k ...``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.errors import BadInputError

if TYPE_CHECKING:
    import pandas as pd

    from govern.audits.sources.ranking import RankingRoles
    from govern.metadata import GovernanceMetadata
    from govern.policies import Policy, Waiver
    from govern.results import AuditResult
    from govern.services.gathering import AuditInputs

MSG_DECISION_COLUMNS = (
    "{options} describe decisions, one per person; a recommendation log is audited on its "
    "ranks: name its outcome with --outcome and leave {options} out."
)
MSG_NO_GROUPS = (
    "nothing to compare in the recommendations of {name!r}: pass --sensitive (the users' "
    "attributes) or --item-sensitive (the items' attribute, such as the candidates' sex), or "
    "record sensitive_attributes in the model's metadata."
)


@dataclass(frozen=True)
class RankingColumns:
    """The columns of a recommendation log an audit reads, besides the users' attributes."""

    user: str
    rank: str
    k: int
    item_category: str | None = None
    categories: tuple[str, ...] | None = None
    item_sensitive: str | None = None
    outcome: str | None = None
    positive_label: Any = 1

    def roles(self, sensitive: Sequence[str]) -> RankingRoles:
        """The data-source roles of these columns with the users' attributes."""
        from govern.audits.sources.ranking import RankingRoles

        return RankingRoles.of(
            user=self.user,
            rank=self.rank,
            k=self.k,
            sensitive=list(sensitive),
            item_category=self.item_category,
            categories=self.categories,
            item_sensitive=self.item_sensitive,
            outcome=self.outcome,
            positive_label=self.positive_label,
        )


def split_columns(value: Sequence[str] | str | None) -> list[str]:
    """``"sex, ethnicity"`` or a list as a list of column names."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value)


def refuse_decision_columns(**columns: str | None) -> None:
    """A decision's columns (``y_pred=...``) given for a recommendation log are an error.

    Examples
    --------
    >>> refuse_decision_columns(y_pred=None, score=None)
    """
    given = [f"--{role.replace('_', '-')}" for role, column in columns.items() if column]
    if given:
        raise BadInputError(MSG_DECISION_COLUMNS.format(options=", ".join(given)))


def ranking_sensitive(
    sensitive: Sequence[str] | str | None,
    meta: GovernanceMetadata | None,
    columns: RankingColumns,
    name: str,
) -> list[str]:
    """The users' attributes: those given, else the metadata's that are not the items' column.

    A talent-list model's metadata names the candidates' attributes, which are the items'
    group here (``--item-sensitive``), not the users'.
    """
    named = split_columns(sensitive)
    if not named and meta is not None:
        named = [c for c in meta.sensitive_attributes if c != columns.item_sensitive]
    if not named and columns.item_sensitive is None:
        raise BadInputError(MSG_NO_GROUPS.format(name=name))
    return named


def ranking_inputs(
    frame: pd.DataFrame,
    columns: RankingColumns,
    *,
    policy: Policy,
    sensitive: Sequence[str],
    source: str | None,
    seed: int,
    purpose: str | None = None,
) -> AuditInputs:
    """The gatherers' inputs for a recommendation log, reduced once to one row per user (a
    misspelt column, a duplicate (user, rank) or a bad rank is refused here, naming it)."""
    from govern.audits.sources.pandas import PandasSource
    from govern.services.gathering import AuditInputs

    table = PandasSource(frame, source=source).user_table(columns.roles(sensitive))
    return AuditInputs(
        frame=frame,
        evaluation=None,
        policy=policy,
        y_pred=None,
        sensitive=list(sensitive),
        source=source,
        seed=seed,
        purpose=purpose,
        user_table=table,
    )


def audit_log(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    policy: Policy | str | os.PathLike[str],
    columns: RankingColumns,
    sensitive: Sequence[str] | str | None = None,
    waivers: Sequence[Waiver] | str | os.PathLike[str] | None = None,
    card: str | os.PathLike[str] | None = None,
    model_name: str | None = None,
    today: dt.date | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
) -> AuditResult:
    """Judge a recommendation log against a policy with no register (a vendor recommender).

    The ranking evidence (and, with ``card``, the documentation) is judged; rules about decisions,
    the register or the process have no evidence here and are ``insufficient_data``. Nothing is
    recorded in MLflow or the trail; ``out_dir`` receives ``audit.json`` and the report.

    Examples
    --------
    >>> result = audit_log("pathways.csv", policy="recommendation-fairness",
    ...                    columns=RankingColumns(user="employee_id", rank="rank", k=5,
    ...                                           item_category="course_category"),
    ...                    sensitive="sex")  # doctest: +SKIP
    >>> result.status  # doctest: +SKIP
    'fail'
    """
    from govern.services.audit import (
        _load_waivers,
        _output_folder,
        _read_frame,
        judge_file_audit,
        load_card_file,
        load_policy_source,
    )

    the_policy, _ = load_policy_source(policy)
    the_waivers = _load_waivers(waivers)
    out = _output_folder(out_dir)
    the_card = load_card_file(card)
    frame, source = _read_frame(data)
    users = ranking_sensitive(sensitive, None, columns, model_name or "the log")
    inputs = ranking_inputs(
        frame, columns, policy=the_policy, sensitive=users, source=source, seed=seed
    )
    return judge_file_audit(
        inputs, card=the_card, waivers=the_waivers, today=today, model_name=model_name, out=out
    )
