"""Keep third-party noise out of the user's terminal.

aif360 logs a warning on import for every optional extra that is not installed (tensorflow,
inFairness, ...). Those extras are not used by govern, so the warnings would only confuse.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_imports() -> Iterator[None]:
    """Silence root-logger warnings and Python warnings while importing noisy libraries."""
    root = logging.getLogger()
    previous_level = root.level
    previous_handlers = list(root.handlers)
    previous_disable = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous_disable)
        root.setLevel(previous_level)
        # aif360 warns through the module-level logging.warning(), which quietly calls
        # basicConfig() and leaves a handler on the root logger: take back what was added.
        for handler in root.handlers[:]:
            if handler not in previous_handlers:
                root.removeHandler(handler)


def import_aif360_metrics() -> tuple[type, type]:
    """aif360's ``BinaryLabelDataset`` and ``ClassificationMetric``, imported without noise."""
    with quiet_imports():
        from aif360.datasets import BinaryLabelDataset
        from aif360.metrics import ClassificationMetric
    return BinaryLabelDataset, ClassificationMetric
