"""The pandas data source: a DataFrame, or a CSV or Parquet file read into one.

Validation and the fingerprint are :class:`govern.data.EvaluationData`'s; the table is one
``numpy.bincount`` (:class:`govern.audits.fairness.table.NumpyTableBuilder`). Files are read
with only the columns the roles name (CSV through pyarrow's reader).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from govern.audits.sources import Roles, SourceTable
from govern.data import EvaluationData

if TYPE_CHECKING:
    import pandas as pd


class PandasSource:
    """Records in memory (a DataFrame or an :class:`EvaluationData`) or in a CSV/Parquet file.

    Examples
    --------
    >>> import pandas as pd
    >>> from govern.audits.sources import Roles
    >>> frame = pd.DataFrame({"hired": [1, 0, 1], "sex": ["F", "M", None]})
    >>> roles = Roles.of(y_pred="hired", sensitive="sex")
    >>> PandasSource(frame).contingency_table(roles).unknown_counts
    {'sex': 1}
    """

    engine = "pandas"

    def __init__(
        self,
        data: pd.DataFrame | EvaluationData | str | os.PathLike[str],
        *,
        source: str | None = None,
    ) -> None:
        self.data = data
        self.source = source

    def evaluation_data(self, roles: Roles) -> EvaluationData:
        """The validated columns of the roles (read from the file if the data is a path)."""
        if isinstance(self.data, EvaluationData):
            return self.data
        options = {
            "y_pred": roles.y_pred,
            "sensitive": list(roles.sensitive),
            "y_true": roles.y_true,
            "score": roles.score,
            "sample_weight": roles.sample_weight,
            "positive_label": roles.positive_label,
        }
        if isinstance(self.data, str | os.PathLike):
            # Only the named columns are read, after checking them against the file's header.
            return EvaluationData.load(self.data, **options, source=self.source)
        return EvaluationData.from_frame(self.data, **options, source=self.source)

    def contingency_table(self, roles: Roles) -> SourceTable:
        from govern.audits.fairness.table import NumpyTableBuilder

        data = self.evaluation_data(roles)
        return SourceTable(
            table=NumpyTableBuilder().build(data),
            unknown_counts=dict(data.unknown_counts),
            fingerprint=data.fingerprint(),
            engine=self.engine,
        )
