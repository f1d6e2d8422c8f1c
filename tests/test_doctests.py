"""Every runnable example in the library's docstrings runs and shows what it says.

Examples are documentation a user copies; one that no longer runs is a false claim. Spark's
modules are left to their own tests, which share one Spark session (starting one per module here
would cost minutes).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import govern

MODULES = sorted(
    module.name
    for module in pkgutil.walk_packages(govern.__path__, "govern.")
    if "spark" not in module.name.rsplit(".", 1)[-1]
)


def test_the_walk_finds_the_library() -> None:
    assert {"govern.audits.fairness.engine", "govern.policies.loader", "govern.cli.main"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    # Examples run in an empty folder with no tracking server named, as a new user's would.
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(importlib.import_module(name), optionflags=flags)
    assert result.failed == 0
