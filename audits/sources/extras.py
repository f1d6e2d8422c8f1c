"""Optional engines: import them on use, with the install command when they are missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from govern.errors import BadInputError

# The extra of govern's pyproject.toml that installs each engine's module.
EXTRAS = {"duckdb": "duckdb", "pyspark": "spark"}

MISSING_ENGINE = (
    "the {engine} engine needs the {module!r} package, which is not installed. "
    "Install it with: pip install 'govern[{extra}]' (or choose another engine with --engine)."
)


class MissingEngineError(BadInputError):
    """An engine was asked for whose optional package is not installed."""


def available(module: str) -> bool:
    """True when ``module`` can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


def require(module: str) -> ModuleType:
    """Import an engine's module, or say which extra installs it.

    Examples
    --------
    >>> require("duckdb").__name__  # doctest: +SKIP
    'duckdb'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS[module]
        raise MissingEngineError(
            MISSING_ENGINE.format(
                engine=extra if extra != "spark" else "Spark", module=module, extra=extra
            )
        ) from None
