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
from govern.services.data_audit import Measurement

if TYPE_CHECKING:
    from govern.audits.sources.ranking import RankingRoles
    from govern.metadata import GovernanceMetadata
    from govern.policies import Policy, Waiver
    from govern.results import AuditResult
    from govern.services.gathering import AuditInputs

MSG_NOT_A_RANKING_SETTING = (
    "{names}: not a setting of a ranking audit (it has n_boot, min_group_size, confidence_level "
    "and reference)."
)
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
    data: Any,
    columns: RankingColumns,
    *,
    policy: Policy,
    sensitive: Sequence[str],
    seed: int,
    purpose: str | None = None,
    engine: str = "auto",
) -> AuditInputs:
    """The gatherers' inputs for a recommendation log, reduced once to one row per user by the
    engine's source (a misspelt column, a duplicate (user, rank) or a bad rank is refused here,
    naming it).

    ``data`` is a DataFrame, a Spark DataFrame, or a file (with DuckDB or Spark, also a glob, a
    folder or several files); ``engine`` chooses the source (:mod:`govern.audits.sources.choose`,
    ``auto``: DuckDB for a folder, a glob or a file of 512 MiB or more). A log in a file is never
    loaded whole: the source reads only the named columns (pandas) or reduces it where it is
    (DuckDB, Spark), so ``frame`` is the log only when it was given as a pandas DataFrame.
    """
    import pandas as pd

    from govern.audits.sources.choose import open_ranking_source
    from govern.services.gathering import AuditInputs

    table = open_ranking_source(data, engine).user_table(columns.roles(sensitive))
    return AuditInputs(
        frame=data if isinstance(data, pd.DataFrame) else pd.DataFrame(),
        evaluation=None,
        policy=policy,
        y_pred=None,
        sensitive=list(sensitive),
        source=table.fingerprint.source,
        seed=seed,
        purpose=purpose,
        user_table=table,
    )


def _measure_log(
    data: Any,
    roles: RankingRoles,
    *,
    intersections: bool,
    measurement: Measurement,
    seed: int,
    engine: str,
) -> AuditResult:
    """The evidence of a log audit with no policy (the figures, no verdict)."""
    from govern import __version__
    from govern.audits.ranking.engine import RankingOptions, ranking_from_table
    from govern.audits.sources.choose import open_ranking_source
    from govern.evidence import Evidence
    from govern.results import AuditResult

    options = measurement.options()
    unused = sorted(set(options) - {"n_boot", "min_group_size", "confidence_level", "reference"})
    if unused:
        raise BadInputError(MSG_NOT_A_RANKING_SETTING.format(names=", ".join(unused)))
    # pandas reads only the named columns of a file; DuckDB and Spark reduce it where it is.
    table = open_ranking_source(data, engine).user_table(roles)
    evidence = ranking_from_table(
        table, RankingOptions(seed=seed, intersections=intersections, **options)
    )
    return AuditResult(
        govern_version=__version__,
        created_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        data=table.fingerprint,
        evidence=Evidence.of(evidence),
    )


def audit_log(
    data: Any,
    *,
    columns: RankingColumns,
    sensitive: Sequence[str] | str | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    intersections: bool = False,
    measurement: Measurement | None = None,
    seed: int = 0,
    waivers: Sequence[Waiver] | str | os.PathLike[str] | None = None,
    card: str | os.PathLike[str] | None = None,
    model_name: str | None = None,
    today: dt.date | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    engine: str = "auto",
) -> AuditResult:
    """Audit a recommendation log with no register; with ``policy``, judge it against it.

    The counterpart of :func:`govern.services.data_audit.audit_data` for a log: without a
    policy the result holds the ranking evidence and no verdict; with one, the policy's settings
    decide how to measure (a ``measurement`` or ``intersections`` given as well is refused), the
    ranking evidence (and, with ``card``, the documentation) is judged, and rules about
    decisions, the register or the process are ``insufficient_data``. Nothing is recorded in
    MLflow or the trail; ``out_dir`` receives ``audit.json`` and the report. ``engine``
    (``pandas``, ``duckdb``, ``spark`` or ``auto``) chooses who reduces the log to one row per
    user (:func:`ranking_inputs`); the figures are the same whichever does.

    Examples
    --------
    >>> result = audit_log("pathways.csv", policy="recommendation-fairness",
    ...                    columns=RankingColumns(user="employee_id", rank="rank", k=5,
    ...                                           item_category="course_category"),
    ...                    sensitive="sex")  # doctest: +SKIP
    >>> result.status  # doctest: +SKIP
    'fail'
    """
    from govern.disclosure import redact
    from govern.services import audit as steps
    from govern.services.data_audit import MSG_SETTING_FROM_POLICY, judge_inputs, load_card_file

    measurement = measurement or Measurement()
    out = steps.output_folder(out_dir)
    users = split_columns(sensitive)  # none at all is refused with the roles (NOTHING_TO_COMPARE)
    the_card = None
    if policy is None:
        result = _measure_log(
            data,
            columns.roles(users),
            intersections=intersections,
            measurement=measurement,
            seed=seed,
            engine=engine,
        )
    else:
        given = [f"--{name.replace('_', '-')}" for name in measurement.given()]
        given += ["--intersect"] if intersections else []
        if given:
            them = "it" if len(given) == 1 else "them"
            raise BadInputError(MSG_SETTING_FROM_POLICY.format(options=", ".join(given), them=them))
        the_policy, _ = steps.load_policy_source(policy)
        the_waivers = steps.load_waivers_source(waivers)
        the_card = load_card_file(card)
        inputs = ranking_inputs(
            data, columns, policy=the_policy, sensitive=users, seed=seed, engine=engine
        )
        result = judge_inputs(
            inputs, waivers=the_waivers, card=the_card, model_name=model_name, today=today
        )
    result = redact(result)  # what leaves govern is the published form of the audit
    if out is not None:
        out.write(steps.render_reports(result, the_card))
    return result
