"""The contract every data source must meet (see ``govern.audits.sources``), as reusable checks.

A source passes when, for the same records, it gives the pandas source's contingency table
(levels, counts, record counts, sums of squared weights, score bins and sums, unknown counts,
row count) and therefore the same tidy rows from ``audit_fairness`` to 1e-12, for every
configuration of roles below, and
refuses the same bad inputs with a DataError. ``tests/test_datasource_contract.py`` runs it for
the pandas source and a test-only source; the DuckDB and Spark sources run it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from govern.audits.fairness import audit_fairness
from govern.audits.sources import DataSource, Roles
from govern.audits.sources.pandas import PandasSource
from govern.errors import DataError

SourceFactory = Callable[[list[dict[str, Any]]], DataSource]


def contract_records(n: int = 400, *, seed: int = 11) -> list[dict[str, Any]]:
    """Records that exercise every rule: unknown values, integer codes read as floats, a value
    spelt 'unknown', weights, a coarse and a fine score, outcomes and decisions."""
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(n):
        sex = str(rng.choice(["female", "male", "non-binary"], p=[0.45, 0.45, 0.1]))
        region = str(rng.choice(["north", "south", "east", "unknown"], p=[0.4, 0.3, 0.2, 0.1]))
        band = float(rng.integers(1, 4))
        records.append(
            {
                "decision": int(rng.random() < 0.4),
                "outcome": int(rng.random() < 0.5),
                "coarse_score": float(rng.integers(0, 10)) / 10,
                "fine_score": float(np.round(rng.random(), 6)),
                "weight": float(rng.choice([0.5, 1.0, 2.5])),
                "sex": None if rng.random() < 0.05 else sex,
                "region": region,
                "band": None if rng.random() < 0.08 else band,
                "unused": "ignored",
            }
        )
    return records


# Role configurations a source must handle.
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "decisions only": {"y_pred": "decision", "sensitive": ["sex"]},
    "outcomes and two attributes": {
        "y_pred": "decision",
        "y_true": "outcome",
        "sensitive": ["sex", "region"],
    },
    "integer codes with missing values": {"y_pred": "decision", "sensitive": ["band", "sex"]},
    "weights": {
        "y_pred": "decision",
        "y_true": "outcome",
        "sample_weight": "weight",
        "sensitive": ["sex", "region"],
    },
    "exact score bins": {
        "y_pred": "decision",
        "y_true": "outcome",
        "score": "coarse_score",
        "sensitive": ["region"],
    },
    "quantile score bins with weights": {
        "y_pred": "decision",
        "y_true": "outcome",
        "score": "fine_score",
        "sample_weight": "weight",
        "sensitive": ["sex"],
    },
}


def _close(a: np.ndarray | None, b: np.ndarray | None) -> None:
    assert (a is None) == (b is None)
    if a is not None and b is not None:
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def check_table(make_source: SourceFactory, records: list[dict[str, Any]], roles: Roles) -> None:
    """The source's table equals the pandas source's for the same records."""
    expected = PandasSource(pd.DataFrame(records)).contingency_table(roles)
    found = make_source(records).contingency_table(roles)
    assert found.table.attributes == expected.table.attributes
    assert found.table.levels == expected.table.levels
    assert found.table.has_y_true == expected.table.has_y_true
    assert found.table.n_rows == expected.table.n_rows
    assert found.unknown_counts == expected.unknown_counts
    _close(found.table.counts, expected.table.counts)
    _close(found.table.record_counts, expected.table.record_counts)
    _close(found.table.weight_squares, expected.table.weight_squares)
    _close(found.table.score_sums, expected.table.score_sums)
    if expected.table.bins is None:
        assert found.table.bins is None
    else:
        assert found.table.bins is not None
        _close(found.table.bins.edges, expected.table.bins.edges)
        assert found.table.bins.median == pytest.approx(expected.table.bins.median, abs=1e-12)
        assert found.table.bins.exact == expected.table.bins.exact
        _close(found.table.bins.calibration_bin, expected.table.bins.calibration_bin)


def check_tidy_rows(
    make_source: SourceFactory, records: list[dict[str, Any]], columns: dict[str, Any]
) -> None:
    """audit_fairness gives the same tidy rows, tests and groups as with the pandas source."""
    options = {
        **columns,
        "intersections": len(columns["sensitive"]) > 1,
        "n_boot": 50,
        "seed": 5,
        "min_group_size": 5,
    }
    expected = audit_fairness(pd.DataFrame(records), **options)
    found = audit_fairness(make_source(records), **options)
    left, right = found.to_frame(), expected.to_frame()
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=0, atol=1e-12)
    assert found.groups == expected.groups
    assert found.reference_groups == expected.reference_groups
    assert len(found.tests) == len(expected.tests)
    for mine, theirs in zip(found.tests, expected.tests, strict=True):
        for key, value in theirs.model_dump().items():
            other = getattr(mine, key)
            if isinstance(value, float) and not isinstance(value, bool):
                assert other == pytest.approx(value, rel=1e-12, abs=1e-12), key
            else:
                assert other == value, key


def check_refusals(make_source: SourceFactory, records: list[dict[str, Any]]) -> None:
    """Bad inputs are DataErrors, whatever the source."""
    source = make_source(records)
    with pytest.raises(DataError, match="'decison'"):
        source.contingency_table(Roles.of(y_pred="decison", sensitive="sex"))
    with pytest.raises(DataError, match="not binary"):
        source.contingency_table(Roles.of(y_pred="fine_score", sensitive="sex"))
    with pytest.raises(DataError, match="not numeric"):
        source.contingency_table(Roles.of(y_pred="decision", score="region", sensitive="sex"))


def check_source(make_source: SourceFactory) -> None:
    """Every check of the contract, on the contract records."""
    records = contract_records()
    for columns in CONFIGURATIONS.values():
        check_table(make_source, records, Roles.of(**columns))
        check_tidy_rows(make_source, records, columns)
    check_refusals(make_source, records)
