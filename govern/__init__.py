"""govern: responsible-AI governance and audits for models that decide or recommend about people.

The public API is imported lazily so that ``import govern`` (and ``govern --help``) stays fast:
pandas, mlflow, fairlearn and aif360 load only when a function that needs them is called.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> "module:attribute"
_LAZY_API: dict[str, str] = {
    "audit_fairness": "govern.audits.fairness:audit_fairness",
    "EvaluationData": "govern.data:EvaluationData",
    "load_policy": "govern.policies:load_policy",
    "evaluate_policy": "govern.policies:evaluate",
    "load_waivers": "govern.policies:load_waivers",
    "register_model": "govern.adapters.registry:register_model",
    "run_audit": "govern.services.audit:run_audit",
    "gate": "govern.services.gate:evaluate_gate",
    "verify_trail": "govern.adapters.trail:verify_trail",
    "run_demo": "govern.services.demo:run_demo",
    "GovernError": "govern.errors:GovernError",
    "BadInputError": "govern.errors:BadInputError",
}

__all__ = ["__version__", *sorted(_LAZY_API)]


def __getattr__(name: str) -> Any:
    target = _LAZY_API.get(name)
    if target is None:
        raise AttributeError(f"module 'govern' has no attribute {name!r}")
    module_name, attribute = target.split(":")
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY_API])
