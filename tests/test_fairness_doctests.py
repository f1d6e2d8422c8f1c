"""The runnable examples in the fairness engine's docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "govern.audits.fairness.attribute_wide",
    "govern.audits.fairness.engine",
    "govern.audits.fairness.intervals",
    "govern.audits.fairness.metrics",
    "govern.audits.fairness.stats",
    "govern.audits.fairness.summary",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
