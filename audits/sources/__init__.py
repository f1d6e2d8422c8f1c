"""Data sources: where records come from and how they become a contingency table.

This is the seam between the fairness engine and the data. A source is given the **roles** of
its columns (decision, outcome, score, weight, sensitive attributes) and returns a
:class:`SourceTable`: the contingency table every fairness figure is computed from, the count
of records whose attribute is unknown, and the data's fingerprint. The engine never sees rows,
so the same audit runs on pandas in memory, on DuckDB over files larger than memory, or on
Spark, and only this step differs.

Rules every source follows (``tests/datasource_contract.py`` holds each source to them and to
the pandas source's tidy rows to 1e-12):

1. **Columns**: only the columns named by the roles are read. A role naming a column the data
   lacks is a :class:`govern.errors.DataError` naming the column, the available columns and the
   closest match; so are an empty data set, a missing decision, outcome, score or weight, a
   decision or outcome that is not binary for the positive label, an outcome with one class,
   a non-numeric score or weight, and a negative or non-finite weight.
2. **Decisions and outcomes** become 0/1, 1 meaning the positive label; the label matches
   ``1``, ``"1"`` and ``1.0`` alike, and ``True``/``False`` columns by their text.
3. **Group labels** are the text of each distinct value (a float column holding whole numbers,
   as an integer column read with missing values becomes, gives ``"2"``, not ``"2.0"``);
   labels are sorted as Python sorts strings, and a missing value is the group
   :data:`govern.results.UNKNOWN_GROUP`, placed last (a value spelt ``"unknown"`` joins it).
4. **Counts**: ``counts`` holds summed weights (record counts when unweighted) with shape
   ``(*level sizes, 2, 2, score bins)``; with weights, ``record_counts`` holds the unweighted
   records per cell (the bootstrap redraws records, not units of weight) and
   ``weight_squares`` the sum of squared weights per cell (Kish's effective sample size behind
   the closed-form intervals of weighted rates). Without an outcome
   every record sits at ``y_true == 0``. Empty groups are kept (levels list every label seen).
5. **Scores** are binned by :func:`govern.audits.fairness.table.score_bins`: one bin per
   distinct value when there are at most ``MAX_SCORE_BINS`` of them, else weighted quantile
   edges with the median as an edge; ``score_sums`` holds the weighted score sum per cell.
6. **Fingerprint**: sha256 over the roles and the canonical arrays, as
   :meth:`govern.data.EvaluationData.fingerprint` computes it (the same values in the same
   order give the same hash whatever the file format or dtype; ``method="rows-sha256"``). A
   source that cannot compute it in row order says so with its own ``fingerprint.method``: the
   DuckDB and Spark sources sum their engine's 64-bit hash of each record's audited columns
   (order-free: the same whatever the row order, file split or partitioning), see
   :mod:`govern.audits.sources.sql`.

The sources: :mod:`~govern.audits.sources.pandas` (in memory),
:mod:`~govern.audits.sources.duckdb` (files, out of core) and
:mod:`~govern.audits.sources.spark` (a Spark DataFrame or files, on a cluster); the last two share
:mod:`~govern.audits.sources.sql`. :func:`govern.audits.sources.choose.open_source` picks one
by ``--engine`` or the default rule.

Recommendation logs are not reduced to a contingency table of rows but to one row per user:
every source above also implements ``user_table(RankingRoles) -> UserTable``
(:class:`govern.audits.sources.ranking.RankingSource`; its rules are in that module; the SQL
sources share :mod:`~govern.audits.sources.sql_ranking`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from govern.audits.fairness.table import ContingencyTable
    from govern.results import DataFingerprint


@dataclass(frozen=True)
class Roles:
    """Which column plays which part in an audit."""

    y_pred: str
    sensitive: tuple[str, ...]
    y_true: str | None = None
    score: str | None = None
    sample_weight: str | None = None
    positive_label: Any = 1

    @classmethod
    def of(
        cls,
        *,
        y_pred: str,
        sensitive: Sequence[str] | str,
        y_true: str | None = None,
        score: str | None = None,
        sample_weight: str | None = None,
        positive_label: Any = 1,
    ) -> Roles:
        names = (sensitive,) if isinstance(sensitive, str) else tuple(sensitive)
        return cls(y_pred, names, y_true, score, sample_weight, positive_label)

    @property
    def columns(self) -> list[str]:
        """Every column the roles name, each once, in role order."""
        named = [self.y_pred, self.y_true, self.score, self.sample_weight, *self.sensitive]
        return list(dict.fromkeys(name for name in named if name is not None))


@dataclass(frozen=True)
class SourceTable:
    """What a source hands the fairness engine: the table and what it knows about the data."""

    table: ContingencyTable
    unknown_counts: dict[str, int]
    fingerprint: DataFingerprint
    engine: str = field(default="pandas")


@runtime_checkable
class DataSource(Protocol):
    """Anything that turns roles into a :class:`SourceTable` (see the module docstring)."""

    engine: str

    def contingency_table(self, roles: Roles) -> SourceTable: ...
