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
from typing import TYPE_CHECKING, Any, Literal

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
NON_FINITE = (
    "{role} column {column!r} in {source} has {count} infinite value(s) (first at row {row}). "
    "Replace them with finite numbers before the audit."
)
ZERO_WEIGHTS = (
    "sample_weight column {column!r} in {source} sums to zero: no record carries any weight, "
    "so no rate can be computed. Check the weights column."
)
DUPLICATE_COLUMN = (
    "column {column!r} appears {count} times in {source}; a column an audit reads must have a "
    "unique name. Rename the copies."
)
NOT_SCALAR = (
    "sensitive column {column!r} in {source} holds lists or other non-scalar values; a "
    "sensitive attribute needs one plain value (text or number) per record."
)
TOO_MANY_GROUPS = (
    "sensitive column {column!r} in {source} has more than {limit} distinct values "
    "(limits.max_groups in govern.yaml): a sensitive attribute is a handful of groups, not an "
    "identifier. Check the column, or group its values before the audit."
)
NEGATIVE_WEIGHT = (
    "sample_weight column {column!r} in {source} has {count} negative value(s) "
    "(first at row {row}). Weights must be zero or positive."
)

_SUFFIXES = {".csv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}

# Messages list at most this many available columns (a file may have thousands).
MAX_LISTED = 25


def _describe_values(values: list[Any], limit: int = 6) -> str:
    shown = ", ".join(repr(_plain(v)) for v in values[:limit])
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return f"{shown}{more}"


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, so messages read ``1`` and not ``np.int64(1)``."""
    return value.item() if isinstance(value, np.generic) else value


def _matches_label(values: pd.Series, positive_label: Any) -> np.ndarray:
    """Boolean mask of ``values == positive_label``, tolerant of 1 vs "1" vs 1.0 from a CLI.

    Called on the distinct values of a column (a handful), never on every row.
    """
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


def _code_dtype(n_levels: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type that holds codes ``0 .. n_levels - 1``."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_levels <= np.iinfo(dtype).max + 1:
            return dtype
    return np.int64


def _group_codes(
    values: pd.Series, where: str, max_groups: int
) -> tuple[np.ndarray, tuple[str, ...], int]:
    """Factorise a sensitive column: per-row codes, the label of each code, missing count.

    Only the distinct values are turned into text labels, never the rows: on millions of rows
    of Arrow-backed strings, per-row Python strings cost most of an audit's time and memory.
    Labels are sorted with the unknown group (missing values) last; distinct values with the
    same text (``1`` and ``"1"`` in an object column, or a value spelt ``"unknown"``) share a
    group, as they would if every row were labelled.
    """
    import pandas as pd

    try:
        raw, uniques = pd.factorize(values)  # missing values get the code -1
    except TypeError:  # unhashable values: lists, arrays, mappings (e.g. a Parquet list column)
        raise DataError(NOT_SCALAR.format(column=values.name, source=where)) from None
    if len(uniques) > max_groups:
        raise DataError(TOO_MANY_GROUPS.format(column=values.name, source=where, limit=max_groups))
    present = uniques.tolist()
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = np.asarray(present, dtype=float)
        # An integer-coded column read with missing values becomes float; keep "2", not "2.0".
        if numbers.size and np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)):
            text = [str(int(v)) for v in numbers]
        else:
            text = [str(float(v)) for v in numbers]
    else:
        text = [str(v) for v in present]
    missing = int(np.count_nonzero(raw < 0)) if raw.size else 0
    named = set(text)
    labels = sorted(named - {UNKNOWN_GROUP})
    if missing or UNKNOWN_GROUP in named:
        labels.append(UNKNOWN_GROUP)
    position = {label: i for i, label in enumerate(labels)}
    dtype = _code_dtype(len(labels))
    # The last entry is where code -1 (missing) lands when indexing with the raw codes.
    remap = np.array([position[t] for t in text] + [position.get(UNKNOWN_GROUP, 0)], dtype=dtype)
    return remap[raw], tuple(labels), missing


def group_labels(distinct: pd.Series, where: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """The group code of each distinct value of a sensitive column, and the sorted labels.

    The same labels as the pandas source gives the whole column (rule 3 of
    :mod:`govern.audits.sources`), for a source that reads only the distinct values; a missing
    value (None or NaN) gets the code of the unknown group.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, labels = group_labels(pd.Series([2.0, None, 1.0]), "x")
    >>> labels, codes.tolist()
    (('1', '2', 'unknown'), [1, 2, 0])
    """
    codes, labels, _ = _group_codes(distinct, where, _configured_max_groups())
    return codes, labels


def _binary_mask(values: pd.Series, positive_label: Any) -> tuple[np.ndarray, list[Any], list[Any]]:
    """Per-row 0/1 (``int8``) for ``values == positive_label``, the distinct values, the others.

    The label is matched against the distinct values only; the per-row mask is then one vector
    comparison (numbers, booleans) or one lookup through factorised codes (text).
    """
    import pandas as pd

    dtype = values.dtype
    array = values.to_numpy() if isinstance(dtype, np.dtype) else None
    if array is not None and array.dtype.kind in "biuf":
        if array.dtype.kind in "iu" and array.size:
            low, high = int(array.min()), int(array.max())
            # The usual 0/1 column: its distinct values follow from min and max, no hashing.
            found = list(range(low, high + 1)) if low >= 0 and high <= 1 else None
        elif array.dtype.kind == "b":
            found = sorted({bool(array.min()), bool(array.max())}) if array.size else []
        else:
            found = None
        if found is None:
            found = pd.unique(array).tolist()
        distinct = pd.Series(np.asarray(found, dtype=array.dtype))
        matched = _matches_label(distinct, positive_label)
        others = [v for v, hit in zip(found, matched, strict=True) if not hit]
        if not matched.any():
            return np.zeros(array.shape[0], dtype=np.int8), found, others
        target = found[int(np.argmax(matched))]
        # A bool result viewed as int8: one pass, one byte per row.
        return (array == target).view(np.int8), found, others
    codes, uniques = pd.factorize(values)
    distinct_series = pd.Series(uniques)
    matched = _matches_label(distinct_series, positive_label)
    found = uniques.tolist()
    others = [v for v, hit in zip(found, matched, strict=True) if not hit]
    lookup = np.append(matched, False).astype(np.int8)
    return lookup[codes], found, others


def role_columns(
    *,
    y_pred: str,
    sensitive: list[str],
    y_true: str | None = None,
    score: str | None = None,
    sample_weight: str | None = None,
) -> list[tuple[str, str]]:
    """(role, column) pairs in the order they are checked and reported."""
    roles: list[tuple[str, str]] = [("y_pred", y_pred)]
    roles += [("y_true", y_true)] if y_true is not None else []
    roles += [("score", score)] if score is not None else []
    roles += [("sample_weight", sample_weight)] if sample_weight is not None else []
    roles += [("sensitive", column) for column in sensitive]
    return roles


def _available(names: list[str]) -> str:
    """The available columns for a message, at most MAX_LISTED of them."""
    if not names:
        return "(none)"
    shown = ", ".join(n if len(n) <= 60 else n[:60] + "…" for n in names[:MAX_LISTED])
    return shown if len(names) <= MAX_LISTED else f"{shown} and {len(names) - MAX_LISTED} more"


def check_role_columns(roles: list[tuple[str, str]], available: list[str], where: str) -> None:
    """Every role's column exists, once, and no column plays two roles (DataError otherwise)."""
    present = set(available)
    seen: dict[str, str] = {}
    for role, column in roles:
        if column not in present:
            close = difflib.get_close_matches(str(column), available, n=1)
            raise DataError(
                UNKNOWN_COLUMN.format(
                    role=role,
                    column=column,
                    source=where,
                    available=_available(available),
                    hint=DID_YOU_MEAN.format(suggestion=close[0]) if close else "",
                )
            )
        if available.count(column) > 1:
            raise DataError(
                DUPLICATE_COLUMN.format(column=column, source=where, count=available.count(column))
            )
        if column in seen:
            raise DataError(DUPLICATE_ROLE.format(column=column, first=seen[column], second=role))
        seen[column] = role


def _complete(df: pd.DataFrame, role: str, column: str, where: str) -> pd.Series:
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


def _binary(
    df: pd.DataFrame, role: str, column: str, positive_label: Any, where: str
) -> np.ndarray:
    values = _complete(df, role, column, where)
    mask, found, others = _binary_mask(values, positive_label)
    check_binary(
        found, others, role=role, column=column, positive_label=positive_label, where=where
    )
    return mask


def check_binary(
    found: list[Any],
    others: list[Any],
    *,
    role: str,
    column: str,
    positive_label: Any,
    where: str,
) -> None:
    """Refuse a decision or outcome column that is not binary for ``positive_label``.

    ``found`` are the column's distinct (non-missing) values and ``others`` those that are not
    the positive label. A source that reads only distinct values (DuckDB, Spark) applies the
    same rule as the pandas source through this function.
    """
    # ``found`` are the distinct values, so the label occurs iff one of them matched.
    any_positive = len(others) < len(found)
    # Binary means at most one value besides the positive label; when the positive label
    # does not occur at all, only the conventional 0/1 (or False/True) encoding is taken
    # as "nobody selected" rather than as a wrong --positive-label.
    conventional = all(_plain(v) in (0, 1, False, True) for v in found) and str(positive_label) in (
        "1",
        "True",
        "true",
    )
    if len(others) > 1 or (not any_positive and not conventional):
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


def binary_lookup(
    distinct: pd.Series, positive_label: Any, *, role: str, column: str, where: str
) -> np.ndarray:
    """0/1 for each distinct value of a decision or outcome column (DataError if not binary).

    Examples
    --------
    >>> import pandas as pd
    >>> binary_lookup(pd.Series(["no", "yes"]), "yes", role="y_pred", column="d", where="x")
    array([0, 1], dtype=int8)
    """
    mask, found, others = _binary_mask(distinct, positive_label)
    check_binary(
        found, others, role=role, column=column, positive_label=positive_label, where=where
    )
    return mask


def _numeric(df: pd.DataFrame, role: str, column: str, where: str) -> np.ndarray:
    import pandas as pd

    values = _complete(df, role, column, where)
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        found = _describe_values(list(pd.unique(values)))
        raise DataError(NON_NUMERIC.format(role=role, column=column, source=where, found=found))
    array = values.to_numpy(dtype=np.float64)
    infinite = ~np.isfinite(array)
    if infinite.any():
        raise DataError(
            NON_FINITE.format(
                role=role,
                column=column,
                source=where,
                count=int(infinite.sum()),
                row=int(np.argmax(infinite)) + 1,
            )
        )
    return array


def _weights(df: pd.DataFrame, column: str, where: str) -> np.ndarray:
    weights = _numeric(df, "sample_weight", column, where)
    negative = weights < 0
    if negative.any():
        raise DataError(
            NEGATIVE_WEIGHT.format(
                column=column,
                source=where,
                count=int(negative.sum()),
                row=int(np.argmax(negative)) + 1,
            )
        )
    if not weights.sum() > 0:
        raise DataError(ZERO_WEIGHTS.format(column=column, source=where))
    return weights


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
    codes : dict of str to numpy.ndarray
        Per attribute, each record's group as a small integer (``int8`` for up to 128 groups):
        an index into ``levels``. Rows are never turned into per-row strings.
    levels : dict of str to tuple of str
        Per attribute, the group label of each code, sorted, with ``"unknown"`` (missing values)
        last.
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
    codes: dict[str, np.ndarray]
    levels: dict[str, tuple[str, ...]]
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
        return list(self.codes)

    @property
    def sensitive(self) -> dict[str, np.ndarray]:
        """Per-row group labels per attribute (object arrays; missing values are ``"unknown"``).

        Built on request from ``codes`` and ``levels``, for inspection and small data; the engine
        never needs it, and on millions of rows it costs a Python string reference per row.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"hired": [1, 0, 1], "sex": ["F", "M", None]})
        >>> EvaluationData.from_frame(df, y_pred="hired", sensitive=["sex"]).sensitive["sex"]
        array(['F', 'M', 'unknown'], dtype=object)
        """
        return {
            name: np.asarray(self.levels[name], dtype=object)[codes]
            for name, codes in self.codes.items()
        }

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
        where = source or "the data"
        if isinstance(sensitive, str):
            sensitive = [sensitive]
        if not sensitive:
            raise DataError(NO_SENSITIVE)
        roles = role_columns(
            y_pred=y_pred,
            sensitive=sensitive,
            y_true=y_true,
            score=score,
            sample_weight=sample_weight,
        )
        check_role_columns(roles, [str(c) for c in df.columns], where)
        if len(df) == 0:
            raise DataError(EMPTY_DATA.format(source=where))
        pred = _binary(df, "y_pred", y_pred, positive_label, where)
        true = None
        if y_true is not None:
            true = _binary(df, "y_true", y_true, positive_label, where)
            if np.all(true == true[0]):
                value = df[y_true].iloc[0]
                raise DataError(
                    SINGLE_CLASS.format(column=y_true, source=where, value=_plain(value))
                )
        score_values = _numeric(df, "score", score, where) if score is not None else None
        weights = _weights(df, sample_weight, where) if sample_weight is not None else None
        codes: dict[str, np.ndarray] = {}
        levels: dict[str, tuple[str, ...]] = {}
        unknown: dict[str, int] = {}
        max_groups = _configured_max_groups()
        for column in sensitive:
            codes[column], levels[column], unknown[column] = _group_codes(
                df[column], where, max_groups
            )
        return cls(
            y_pred=pred,
            y_true=true,
            score=score_values,
            sample_weight=weights,
            codes=codes,
            levels=levels,
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

        Only the columns the roles name are read (after checking them against the file's
        header, so a misspelt column is reported with the file's own column names).
        ``source`` defaults to the file name.

        Examples
        --------
        >>> data = EvaluationData.load("decisions.csv", y_pred="hired", sensitive=["sex"])
        ... # doctest: +SKIP
        """
        if isinstance(sensitive, str):
            sensitive = [sensitive]
        if not sensitive:
            raise DataError(NO_SENSITIVE)
        name = source or Path(path).name
        roles = role_columns(
            y_pred=y_pred,
            sensitive=sensitive,
            y_true=y_true,
            score=score,
            sample_weight=sample_weight,
        )
        check_role_columns(roles, table_columns(path), name)
        frame = read_table(path, columns=list(dict.fromkeys(column for _, column in roles)))
        return cls.from_frame(
            frame,
            y_pred=y_pred,
            sensitive=sensitive,
            y_true=y_true,
            score=score,
            sample_weight=sample_weight,
            positive_label=positive_label,
            source=name,
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
        used = [c for c in self.columns.values() if c is not None] + list(self.codes)
        result = DataFingerprint(
            sha256=canonical_sha256(
                y_pred=self.y_pred,
                y_true=self.y_true,
                score=self.score,
                sample_weight=self.sample_weight,
                codes=self.codes,
                levels=self.levels,
            ),
            n_rows=self.n_rows,
            columns=used,
            source=self.source,
        )
        self._fingerprint.append(result)
        return result


def canonical_sha256(
    *,
    y_pred: np.ndarray,
    y_true: np.ndarray | None,
    score: np.ndarray | None,
    sample_weight: np.ndarray | None,
    codes: dict[str, np.ndarray],
    levels: dict[str, tuple[str, ...]],
) -> str:
    """The data fingerprint: sha256 over the audited columns in a canonical serialisation.

    Decisions and outcomes as 0/1 bytes, scores and weights as little-endian float64, each
    sensitive attribute as its sorted labels and one code per row (an index into the labels, at
    the narrowest integer width that holds them). Any data source that can produce these arrays
    in row order gets the same fingerprint for the same data.
    """
    digest = hashlib.sha256()

    def part(name: str, payload: bytes) -> None:
        digest.update(f"{name}\x1f{len(payload)}\x1e".encode())
        digest.update(payload)

    def array_part(name: str, values: np.ndarray, dtype: str) -> None:
        # The array's own buffer when it already has the canonical dtype: no copy.
        payload = np.ascontiguousarray(values, dtype=dtype)
        digest.update(f"{name}\x1f{payload.nbytes}\x1f{dtype}\x1e".encode())
        digest.update(payload.data.cast("B"))

    part("n_rows", str(int(y_pred.shape[0])).encode())
    array_part("y_pred", y_pred, "<i1")
    if y_true is not None:
        array_part("y_true", y_true, "<i1")
    if score is not None:
        array_part("score", score, "<f8")
    if sample_weight is not None:
        array_part("sample_weight", sample_weight, "<f8")
    for name, values in codes.items():
        # Labels are sorted and codes index them, so equal data gives equal codes and labels
        # whatever the reader or dtype; codes are hashed at a width fixed by the label count.
        labels = levels[name]
        part(f"sensitive:{name}:levels", "\x1f".join(labels).encode("utf-8"))
        width = np.dtype(_code_dtype(len(labels))).newbyteorder("<").str
        array_part(f"sensitive:{name}:codes", values, width)
    return digest.hexdigest()


def _configured_max_groups() -> int:
    from govern.settings import load_settings

    return load_settings(create_home=False).limits.max_groups


def _checked_file(path: str | os.PathLike[str]) -> tuple[Path, str]:
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in _SUFFIXES:
        raise DataError(UNSUPPORTED_SUFFIX.format(path=target, suffix=target.suffix))
    if not target.is_file():
        raise DataError(MISSING_FILE.format(path=target))
    return target, _SUFFIXES[suffix]


def _unreadable(target: Path, kind: str, error: BaseException) -> DataError:
    reason = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
    return DataError(UNREADABLE_FILE.format(path=target, reason=reason, kind=kind))


def table_columns(path: str | os.PathLike[str]) -> list[str]:
    """The column names of a CSV (its header line) or Parquet file (its schema), unread data.

    Raises
    ------
    DataError
        The file is missing, has another suffix, is empty or cannot be parsed.
    """
    import csv

    target, kind = _checked_file(path)
    try:
        if kind == "Parquet":
            import pyarrow.parquet as pq

            return [str(name) for name in pq.read_schema(target).names]
        # utf-8-sig: a byte-order mark is not part of the first column's name.
        with target.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as error:
        raise _unreadable(target, kind, error) from None
    if not header:
        raise DataError(EMPTY_DATA.format(source=target.name))
    return header


def read_table(path: str | os.PathLike[str], *, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file, choosing the reader by suffix; only ``columns`` if given.

    CSV files are parsed with pyarrow's multi-threaded reader when pyarrow is installed (the
    same values and dtypes as pandas' own reader, several times faster on large files).

    Raises
    ------
    DataError
        The file is missing, has another suffix, or cannot be parsed.
    """
    import pandas as pd

    target, kind = _checked_file(path)
    if columns is None:
        # Every column is read (a model's inputs): readers would rename or drop a repeated
        # name silently, so it is refused, as it is for a column an audit names.
        from collections import Counter

        repeated = [(n, k) for n, k in Counter(table_columns(target)).items() if k > 1]
        if repeated:
            name, count = repeated[0]
            raise DataError(DUPLICATE_COLUMN.format(column=name, source=target.name, count=count))
    try:
        if kind == "CSV":
            return pd.read_csv(target, usecols=columns, engine=_csv_engine())
        return pd.read_parquet(target, columns=columns)
    except pd.errors.EmptyDataError:
        raise DataError(EMPTY_DATA.format(source=target.name)) from None
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise _unreadable(target, kind, error) from None


def _csv_engine() -> Literal["pyarrow", "c"]:
    import importlib.util

    return "pyarrow" if importlib.util.find_spec("pyarrow") is not None else "c"


def binary_column(
    df: pd.DataFrame, *, role: str, column: str, positive_label: Any = 1, source: str | None = None
) -> np.ndarray:
    """One binary column validated like a decision: per-row 0/1 (``int8``), 1 meaning
    ``positive_label``; messages name the column by ``role`` (e.g. ``recommendation``).

    Raises
    ------
    DataError
        Missing values, or more than two values (or a label that does not occur).

    Examples
    --------
    >>> import pandas as pd
    >>> binary_column(pd.DataFrame({"appealed": [0, 1, 1]}), role="appeal", column="appealed")
    array([0, 1, 1], dtype=int8)
    """
    return _binary(df, role, column, positive_label, source or "the data")
