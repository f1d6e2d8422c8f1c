"""Evaluation data: which column plays which role, validated once, with a fingerprint.

An audit reads decisions (``y_pred``), optionally outcomes (``y_true``), an optional continuous
``score``, optional ``sample_weight`` and one or more sensitive attributes. Everything that would
make an audit meaningless (a misspelt column, an empty file, decisions that are not binary, an
outcome with a single class) is refused here with a message that names the column and says what
to do, so the engine downstream only ever sees clean, binary, numeric arrays.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.errors import DataError
from govern.results import UNKNOWN_GROUP, DataFingerprint

if TYPE_CHECKING:
    import pandas as pd

# Messages a user sees (tests assert the exact text).
MISSING_FILE = "data file {path} does not exist. Check the path passed to --data."
UNSUPPORTED_SUFFIX = (
    "cannot read {path}: unsupported file type {suffix!r}. Use a .csv or .parquet file."
)
UNREADABLE_FILE = "cannot read {path}: {reason}. Check that it is a valid {kind} file."
EMPTY_DATA = "{source} has no rows: an audit needs at least one record. Check the file or filter."
UNKNOWN_COLUMN = (
    "{role} column {column!r} is not in {source}. Available columns: {available}.{hint}"
)
DID_YOU_MEAN = " Did you mean {suggestion!r}?"
NO_SENSITIVE = "no sensitive attribute given: name at least one column with --sensitive."
DUPLICATE_ROLE = (
    "column {column!r} is used both as {first} and as {second}; each role needs its own column."
)
MISSING_VALUES = (
    "{role} column {column!r} in {source} has {count} missing value(s) (first at row {row}). "
    "Fill or drop them before the audit."
)
NON_BINARY = (
    "{role} column {column!r} in {source} is not binary for positive label {positive!r}: "
    "found the values {found}. Pass --positive-label with the value that means a positive "
    "outcome (for example --positive-label {example})."
)
SINGLE_CLASS = (
    "y_true column {column!r} in {source} has a single class ({value!r}): true and false "
    "positive rates need both outcomes. Use data that holds both, or omit --y-true."
)
NON_NUMERIC = (
    "{role} column {column!r} in {source} is not numeric: found {found}. "
    "Convert it to numbers before the audit."
)
NEGATIVE_WEIGHT = (
    "sample_weight column {column!r} in {source} has {count} negative value(s) "
    "(first at row {row}). Weights must be zero or positive."
)

_SUFFIXES = {".csv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}


def _describe_values(values: list[Any], limit: int = 6) -> str:
    shown = ", ".join(repr(_plain(v)) for v in values[:limit])
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return f"{shown}{more}"


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, so messages read ``1`` and not ``np.int64(1)``."""
    return value.item() if isinstance(value, np.generic) else value


def _matches_label(values: pd.Series, positive_label: Any) -> np.ndarray:
    """Boolean mask of ``values == positive_label``, tolerant of 1 vs "1" vs 1.0 from a CLI."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(values.dtype):
        text = str(positive_label).strip().lower()
        if text in {"true", "1"}:
            return values.to_numpy(dtype=bool)
        if text in {"false", "0"}:
            return ~values.to_numpy(dtype=bool)
        return np.zeros(len(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values.dtype):
        try:
            target = float(positive_label)
        except (TypeError, ValueError):
            return np.zeros(len(values), dtype=bool)
        return values.to_numpy(dtype=float) == target
    return (values.astype(str) == str(positive_label)).to_numpy(dtype=bool)


def _group_labels(values: pd.Series) -> tuple[np.ndarray, int]:
    """Sensitive values as string labels; missing ones become ``UNKNOWN_GROUP``."""
    import pandas as pd

    missing = values.isna().to_numpy()
    if pd.api.types.is_float_dtype(values.dtype):
        present = values[~missing].to_numpy(dtype=float)
        # An integer-coded column read with missing values becomes float; keep "2", not "2.0".
        if present.size and np.all(np.isfinite(present)) and np.all(present == np.round(present)):
            text = np.array([str(int(v)) for v in present], dtype=object)
        else:
            text = np.array([str(v) for v in present], dtype=object)
        labels = np.full(len(values), UNKNOWN_GROUP, dtype=object)
        labels[~missing] = text
    else:
        text_labels = values.astype(object).where(~values.isna(), UNKNOWN_GROUP).astype(str)
        labels = text_labels.to_numpy(dtype=object)
    return labels, int(missing.sum())


@dataclass(frozen=True)
class EvaluationData:
    """Validated evaluation data: each column's role and clean arrays ready for the engine.

    Build it with :meth:`from_frame` or :meth:`load`; the constructor is not meant to be called
    directly.

    Attributes
    ----------
    y_pred : numpy.ndarray
        Decisions as 0/1 (``int8``), 1 meaning ``positive_label``.
    y_true : numpy.ndarray or None
        Outcomes as 0/1 (``int8``), when given.
    score : numpy.ndarray or None
        Continuous score (``float64``), when given.
    sample_weight : numpy.ndarray or None
        Non-negative weights (``float64``), when given.
    sensitive : dict of str to numpy.ndarray
        Group labels per attribute (strings; missing values are ``"unknown"``).
    unknown_counts : dict of str to int
        Records whose attribute was missing, per attribute.
    columns : dict of str to str or None
        The source column behind each role.
    source : str or None
        File name the data came from (never a path with row data).
    """

    y_pred: np.ndarray
    y_true: np.ndarray | None
    score: np.ndarray | None
    sample_weight: np.ndarray | None
    sensitive: dict[str, np.ndarray]
    unknown_counts: dict[str, int]
    columns: dict[str, str | None]
    positive_label: Any = 1
    source: str | None = None
    _fingerprint: list[DataFingerprint] = field(default_factory=list, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        return int(self.y_pred.shape[0])

    @property
    def sensitive_names(self) -> list[str]:
        return list(self.sensitive)

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        y_pred: str,
        sensitive: list[str],
        y_true: str | None = None,
        score: str | None = None,
        sample_weight: str | None = None,
        positive_label: Any = 1,
        source: str | None = None,
    ) -> EvaluationData:
        """Validate ``df`` and keep the columns an audit needs.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per person (or per decision).
        y_pred : str
            Column holding the decision; binary, ``positive_label`` meaning selected.
        sensitive : list of str
            Columns holding sensitive attributes (sex, ethnicity, ...).
        y_true : str, optional
            Column holding the true outcome, binary in the same encoding as ``y_pred``.
        score : str, optional
            Column holding a continuous score.
        sample_weight : str, optional
            Column holding non-negative weights.
        positive_label : scalar, default 1
            The value meaning a positive decision or outcome.
        source : str, optional
            Name of the file the data came from, used in messages and the fingerprint.

        Returns
        -------
        EvaluationData

        Raises
        ------
        DataError
            Unknown column, empty data, missing or non-binary decisions, single-class outcome.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"hired": [1, 0, 1], "sex": ["F", "M", None]})
        >>> data = EvaluationData.from_frame(df, y_pred="hired", sensitive=["sex"])
        >>> data.unknown_counts
        {'sex': 1}
        """
        import pandas as pd

        where = source or "the data"
        if isinstance(sensitive, str):
            sensitive = [sensitive]
        if not sensitive:
            raise DataError(NO_SENSITIVE)
        roles: list[tuple[str, str]] = [("y_pred", y_pred)]
        roles += [("y_true", y_true)] if y_true is not None else []
        roles += [("score", score)] if score is not None else []
        roles += [("sample_weight", sample_weight)] if sample_weight is not None else []
        roles += [("sensitive", column) for column in sensitive]
        available = [str(c) for c in df.columns]
        seen: dict[str, str] = {}
        for role, column in roles:
            if column not in df.columns:
                close = difflib.get_close_matches(str(column), available, n=1)
                raise DataError(
                    UNKNOWN_COLUMN.format(
                        role=role,
                        column=column,
                        source=where,
                        available=", ".join(available) or "(none)",
                        hint=DID_YOU_MEAN.format(suggestion=close[0]) if close else "",
                    )
                )
            if column in seen:
                raise DataError(
                    DUPLICATE_ROLE.format(column=column, first=seen[column], second=role)
                )
            seen[column] = role
        if len(df) == 0:
            raise DataError(EMPTY_DATA.format(source=where))

        def require_complete(role: str, column: str) -> pd.Series:
            values = df[column]
            missing = values.isna().to_numpy()
            if missing.any():
                raise DataError(
                    MISSING_VALUES.format(
                        role=role,
                        column=column,
                        source=where,
                        count=int(missing.sum()),
                        row=int(np.argmax(missing)) + 1,
                    )
                )
            return values

        def binary(role: str, column: str) -> np.ndarray:
            values = require_complete(role, column)
            found = list(pd.unique(values))
            mask = _matches_label(values, positive_label)
            others = list(pd.unique(values[~mask]))
            # Binary means at most one value besides the positive label; when the positive label
            # does not occur at all, only the conventional 0/1 (or False/True) encoding is taken
            # as "nobody selected" rather than as a wrong --positive-label.
            conventional = all(_plain(v) in (0, 1, False, True) for v in found) and str(
                positive_label
            ) in ("1", "True", "true")
            if len(others) > 1 or (not mask.any() and not conventional):
                try:
                    found_sorted = sorted(found)
                except TypeError:
                    found_sorted = found
                raise DataError(
                    NON_BINARY.format(
                        role=role,
                        column=column,
                        source=where,
                        positive=_plain(positive_label),
                        found=_describe_values(found_sorted),
                        example=_plain(found_sorted[-1]) if found_sorted else 1,
                    )
                )
            return mask.astype(np.int8)

        def numeric(role: str, column: str) -> np.ndarray:
            values = require_complete(role, column)
            if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
                values.dtype
            ):
                found = _describe_values(list(pd.unique(values)))
                raise DataError(
                    NON_NUMERIC.format(role=role, column=column, source=where, found=found)
                )
            return values.to_numpy(dtype=np.float64)

        pred = binary("y_pred", y_pred)
        true = None
        if y_true is not None:
            true = binary("y_true", y_true)
            if true.min() == true.max():
                value = df[y_true].iloc[0]
                raise DataError(
                    SINGLE_CLASS.format(column=y_true, source=where, value=_plain(value))
                )
        score_values = numeric("score", score) if score is not None else None
        weights = None
        if sample_weight is not None:
            weights = numeric("sample_weight", sample_weight)
            negative = weights < 0
            if negative.any():
                raise DataError(
                    NEGATIVE_WEIGHT.format(
                        column=sample_weight,
                        source=where,
                        count=int(negative.sum()),
                        row=int(np.argmax(negative)) + 1,
                    )
                )
        groups: dict[str, np.ndarray] = {}
        unknown: dict[str, int] = {}
        for column in sensitive:
            groups[column], unknown[column] = _group_labels(df[column])
        return cls(
            y_pred=pred,
            y_true=true,
            score=score_values,
            sample_weight=weights,
            sensitive=groups,
            unknown_counts=unknown,
            columns={
                "y_pred": y_pred,
                "y_true": y_true,
                "score": score,
                "sample_weight": sample_weight,
            },
            positive_label=positive_label,
            source=source,
        )

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        y_pred: str,
        sensitive: list[str],
        y_true: str | None = None,
        score: str | None = None,
        sample_weight: str | None = None,
        positive_label: Any = 1,
        source: str | None = None,
    ) -> EvaluationData:
        """Read a CSV or Parquet file (by suffix) and validate it like :meth:`from_frame`.

        Only the named columns are read from Parquet files. ``source`` defaults to the file name.

        Examples
        --------
        >>> data = EvaluationData.load("decisions.csv", y_pred="hired", sensitive=["sex"])
        ... # doctest: +SKIP
        """
        frame = read_table(path)
        return cls.from_frame(
            frame,
            y_pred=y_pred,
            sensitive=sensitive,
            y_true=y_true,
            score=score,
            sample_weight=sample_weight,
            positive_label=positive_label,
            source=source or Path(path).name,
        )

    def fingerprint(self) -> DataFingerprint:
        """sha256 over a canonical serialisation of the columns used, and their roles.

        The same values in the same order give the same hash whatever the file format, column
        order or dtype they were read with; the file name goes in ``source`` only.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"hired": [1, 0], "sex": ["F", "M"]})
        >>> a = EvaluationData.from_frame(df, y_pred="hired", sensitive=["sex"])
        >>> b = EvaluationData.from_frame(df, y_pred="hired", sensitive=["sex"], source="x.csv")
        >>> a.fingerprint().sha256 == b.fingerprint().sha256
        True
        """
        if self._fingerprint:
            return self._fingerprint[0]
        digest = hashlib.sha256()

        def part(name: str, payload: bytes) -> None:
            header = f"{name}\x1f{len(payload)}\x1e".encode()
            digest.update(header)
            digest.update(payload)

        part("n_rows", str(self.n_rows).encode())
        part("y_pred", self.y_pred.astype("<i1").tobytes())
        if self.y_true is not None:
            part("y_true", self.y_true.astype("<i1").tobytes())
        if self.score is not None:
            part("score", self.score.astype("<f8").tobytes())
        if self.sample_weight is not None:
            part("sample_weight", self.sample_weight.astype("<f8").tobytes())
        for name, labels in self.sensitive.items():
            part(f"sensitive:{name}", "\x1f".join(labels.tolist()).encode("utf-8"))
        used = [c for c in self.columns.values() if c is not None] + list(self.sensitive)
        result = DataFingerprint(
            sha256=digest.hexdigest(), n_rows=self.n_rows, columns=used, source=self.source
        )
        self._fingerprint.append(result)
        return result


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV or Parquet file, choosing the reader by suffix.

    Raises
    ------
    DataError
        The file is missing, has another suffix, or cannot be parsed.
    """
    import pandas as pd

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in _SUFFIXES:
        raise DataError(UNSUPPORTED_SUFFIX.format(path=target, suffix=target.suffix))
    if not target.is_file():
        raise DataError(MISSING_FILE.format(path=target))
    kind = _SUFFIXES[suffix]
    try:
        if kind == "CSV":
            return pd.read_csv(target)
        return pd.read_parquet(target)
    except pd.errors.EmptyDataError:
        raise DataError(EMPTY_DATA.format(source=target.name)) from None
    except (ValueError, OSError, pd.errors.ParserError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(UNREADABLE_FILE.format(path=target, reason=reason, kind=kind)) from None
