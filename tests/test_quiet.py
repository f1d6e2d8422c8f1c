"""aif360's import-time warnings about optional extras never reach the user's terminal."""

from __future__ import annotations

import subprocess
import sys


def test_aif360_imports_silently_through_govern() -> None:
    probe = (
        "from govern.audits.aif360_quiet import import_aif360_metrics\n"
        "dataset, metric = import_aif360_metrics()\n"
        "print(dataset.__name__, metric.__name__)\n"
        "import logging; logging.getLogger('after').warning('logging still works')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd="/", check=True
    )
    assert result.stdout == "BinaryLabelDataset ClassificationMetric\n"
    # only our own warning after the import: aif360's "No module named 'tensorflow'" is gone
    assert result.stderr == "logging still works\n"


def test_plain_aif360_import_is_noisy_which_is_why_the_wrapper_exists() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import aif360.metrics, aif360.algorithms.inprocessing"],
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
    )
    assert "No module named" in result.stderr
