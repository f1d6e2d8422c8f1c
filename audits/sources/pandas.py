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
from govern.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from govern.audits.sources.ranking import RankingRoles, UserTable

NOT_A_LOG = (
    "the data is an EvaluationData (decisions, one row per person), not a recommendation log; "
    "pass the log itself as a DataFrame or a CSV or Parquet file."
)


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

    def user_table(self, roles: RankingRoles) -> UserTable:
        """The per-user reduction of a recommendation log (see ``govern.audits.sources.ranking``).

        Examples
        --------
        >>> import pandas as pd
        >>> from govern.audits.sources.ranking import RankingRoles
        >>> log = pd.DataFrame({"user": ["a", "a", "b"], "rank": [1, 2, 1],
        ...                     "sex": ["F", "F", "M"]})
        >>> roles = RankingRoles.of(user="user", rank="rank", k=1, sensitive="sex")
        >>> PandasSource(log).user_table(roles).n_top.tolist()
        [1, 1]
        """
        from pathlib import Path

        from govern.audits.ranking.reduction import user_table_from_frame
        from govern.audits.sources.ranking import check_ranking_roles
        from govern.data import check_role_columns, read_table, table_columns

        if isinstance(self.data, EvaluationData):
            raise DataError(NOT_A_LOG)
        check_ranking_roles(roles)
        frame, name = self.data, self.source
        if isinstance(frame, str | os.PathLike):
            name = self.source or Path(frame).name
            # Only the named columns are read, after checking them against the file's header.
            check_role_columns(roles.role_columns(), table_columns(frame), name)
            frame = read_table(frame, columns=roles.columns)
        return user_table_from_frame(frame, roles, source=name, engine=self.engine)
