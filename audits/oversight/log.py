"""The decision log of an oversight audit, validated once: which column plays which part.

Everything that would make the audit meaningless is refused here with a message naming the
column: a misspelt or missing column, a recommendation or decision that is not binary, appeal
outcomes without the appeal column, an appeal upheld for someone who did not appeal, half a
timestamp pair, a decision taken before its recommendation, and (when the log names who each
row is about) one person on two rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.audits.people import check_one_row_per_person
from govern.audits.times import timestamps
from govern.data import EMPTY_DATA, binary_column, check_role_columns
from govern.errors import DataError
from govern.evidence.oversight import OversightRoles

if TYPE_CHECKING:
    import pandas as pd

UPHELD_NEEDS_APPEAL = (
    "appeal outcomes ({column!r}) need the column that says who appealed: name it too "
    "(--appeal COLUMN)."
)
UPHELD_WITHOUT_APPEAL = (
    "appeal_upheld column {column!r} in {source} records {count} upheld appeal(s) for people "
    "who did not appeal (appeal column {appeal!r} is 0; first at row {row}). Check the two "
    "columns."
)
TIMES_COME_IN_PAIRS = (
    "recommended_at and decided_at go together: name both timestamp columns or neither "
    "(--recommended-at COLUMN --decided-at COLUMN)."
)
DECIDED_BEFORE_RECOMMENDED = (
    "decided_at column {decided!r} in {source} is earlier than recommended_at column "
    "{recommended!r} in {count} record(s) (first at row {row}); a decision follows its "
    "recommendation. Check the two columns."
)
NO_SENSITIVE = "no sensitive attribute given: name at least one column with --sensitive."
NOT_YES_NO = (
    "{role} column {column!r} in {source} is not a yes/no column: found the values {found}. "
    "Code it {positive!r} for yes and one other value (such as 0) for no."
)

# Appeal outcome codes: upheld, not upheld, no appeal or not yet decided.
UPHELD, NOT_UPHELD, NO_OUTCOME = 1, 0, -1
UNKNOWN_REVIEWER = "unknown"


@dataclass(frozen=True)
class DecisionLog:
    """Validated columns of a decision log, row-aligned, as plain arrays."""

    frame: pd.DataFrame  # the sensitive columns only, for the fairness engine
    sensitive: list[str]
    roles: OversightRoles
    recommended: np.ndarray  # 0/1
    decided: np.ndarray  # 0/1
    appealed: np.ndarray | None  # 0/1
    upheld: np.ndarray | None  # UPHELD / NOT_UPHELD / NO_OUTCOME
    reviewer: np.ndarray | None  # labels (object), UNKNOWN_REVIEWER where missing
    review_minutes: np.ndarray | None  # float, NaN where a time is missing
    source: str

    @property
    def n_rows(self) -> int:
        return int(self.recommended.shape[0])


def yes_no_column(
    df: pd.DataFrame, role: str, column: str, positive_label: Any, where: str
) -> np.ndarray:
    """The column as 0/1, or a message that says how to code it (missing values keep theirs)."""
    import pandas as pd

    try:
        return binary_column(
            df, role=role, column=column, positive_label=positive_label, source=where
        )
    except DataError:
        if df[column].isna().any():
            raise
        found = sorted(str(v) for v in pd.unique(df[column]))
        shown = ", ".join(repr(v) for v in found[:6]) + (
            f" and {len(found) - 6} more" if len(found) > 6 else ""
        )
        raise DataError(
            NOT_YES_NO.format(
                role=role, column=column, source=where, found=shown, positive=positive_label
            )
        ) from None


def _roles(roles: OversightRoles, sensitive: list[str]) -> list[tuple[str, str]]:
    pairs = [("recommendation", roles.recommendation), ("decision", roles.decision)]
    for role in ("appeal", "appeal_upheld", "reviewer", "recommended_at", "decided_at"):
        column = getattr(roles, role)
        if column is not None:
            pairs.append((role, column))
    return pairs + [("sensitive", column) for column in sensitive]


def _upheld(
    df: pd.DataFrame, roles: OversightRoles, appealed: np.ndarray, positive_label: Any, where: str
) -> np.ndarray:
    assert roles.appeal_upheld is not None and roles.appeal is not None
    column = roles.appeal_upheld
    values = df[column]
    known = ~values.isna().to_numpy()
    outcome = np.full(len(df), NO_OUTCOME, dtype=np.int8)
    if known.any():
        # Only the recorded outcomes need to be binary; empty cells are pending or no appeal.
        recorded = df.loc[known, [column]].reset_index(drop=True)
        flags = yes_no_column(recorded, "appeal_upheld", column, positive_label, where)
        outcome[known] = np.where(flags == 1, UPHELD, NOT_UPHELD)
    stray = (outcome == UPHELD) & (appealed == 0)
    if stray.any():
        raise DataError(
            UPHELD_WITHOUT_APPEAL.format(
                column=column,
                source=where,
                count=int(stray.sum()),
                appeal=roles.appeal,
                row=int(np.argmax(stray)) + 1,
            )
        )
    outcome[appealed == 0] = NO_OUTCOME
    return outcome


def _review_minutes(df: pd.DataFrame, roles: OversightRoles, where: str) -> np.ndarray | None:
    if roles.recommended_at is None and roles.decided_at is None:
        return None
    if roles.recommended_at is None or roles.decided_at is None:
        raise DataError(TIMES_COME_IN_PAIRS)
    start = timestamps(
        df, role="recommended_at", column=roles.recommended_at, source=where, allow_missing=True
    )
    end = timestamps(
        df, role="decided_at", column=roles.decided_at, source=where, allow_missing=True
    )
    minutes = (end - start) / np.timedelta64(1, "m")
    backwards = np.nan_to_num(minutes, nan=0.0) < 0
    if backwards.any():
        raise DataError(
            DECIDED_BEFORE_RECOMMENDED.format(
                decided=roles.decided_at,
                recommended=roles.recommended_at,
                source=where,
                count=int(backwards.sum()),
                row=int(np.argmax(backwards)) + 1,
            )
        )
    return minutes.astype(float)


def _reviewers(df: pd.DataFrame, column: str) -> np.ndarray:
    values = df[column]
    labels = values.astype("string").fillna(UNKNOWN_REVIEWER).str.strip()
    labels = labels.mask(labels == "", UNKNOWN_REVIEWER)
    return labels.to_numpy(dtype=object)


def decision_log(
    df: pd.DataFrame,
    *,
    roles: OversightRoles,
    sensitive: list[str],
    positive_label: Any = 1,
    source: str | None = None,
    person: str | None = None,
) -> DecisionLog:
    """Validate ``df`` as a decision log with these roles (DataError naming the column).

    ``person`` names the column that identifies who each row is about; given, a person on two
    rows is refused (:func:`govern.audits.people.check_one_row_per_person`).
    """
    where = source or "the data"
    if not sensitive:
        raise DataError(NO_SENSITIVE)
    if roles.appeal_upheld is not None and roles.appeal is None:
        raise DataError(UPHELD_NEEDS_APPEAL.format(column=roles.appeal_upheld))
    named = _roles(roles, sensitive) + ([("id", person)] if person is not None else [])
    check_role_columns(named, [str(c) for c in df.columns], where)
    if len(df) == 0:
        raise DataError(EMPTY_DATA.format(source=where))
    if person is not None:
        check_one_row_per_person(df, column=person, source=where)
    recommended = yes_no_column(df, "recommendation", roles.recommendation, positive_label, where)
    decided = yes_no_column(df, "decision", roles.decision, positive_label, where)
    appealed = upheld = None
    if roles.appeal is not None:
        appealed = yes_no_column(df, "appeal", roles.appeal, positive_label, where)
        if roles.appeal_upheld is not None:
            upheld = _upheld(df, roles, appealed, positive_label, where)
    return DecisionLog(
        frame=df[sensitive].reset_index(drop=True),
        sensitive=list(sensitive),
        roles=roles,
        recommended=recommended,
        decided=decided,
        appealed=appealed,
        upheld=upheld,
        reviewer=_reviewers(df, roles.reviewer) if roles.reviewer is not None else None,
        review_minutes=_review_minutes(df, roles, where),
        source=where,
    )
