"""Report sections, one per evidence kind: the rendering seam of new audits.

A section builder turns one evidence part into a :class:`SectionContext`: a title, an
introduction in plain words, the partial templates that draw it (HTML and Markdown) and its own
typed context. Builders register under the evidence model they read; the compliance report shows
a section for every registered kind the audit gathered, in registration order. A new audit adds
a module here (and its two partials in ``templates/``) instead of editing the report.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from govern.evidence import Evidence, EvidencePart, kind_of
from govern.model_cards.context import SectionContext
from govern.model_cards.templating import Format
from govern.results import DisclosureRule, RuleResult

# Modules defining the sections that ship with govern; each registers its builder on import.
BUILTIN_SECTION_MODULES = (
    "govern.model_cards.sections.fairness",
    "govern.model_cards.sections.transparency",
    "govern.model_cards.sections.oversight",
    "govern.model_cards.sections.monitoring",
    "govern.model_cards.sections.ranking",
)


@dataclass(frozen=True)
class SectionInputs:
    """What a builder may read besides its evidence part."""

    fmt: Format
    evidence: Evidence
    disclosure: DisclosureRule = field(default_factory=DisclosureRule)
    rules: list[RuleResult] = field(default_factory=list)


P = TypeVar("P", bound=EvidencePart)
SectionBuilder = Callable[[Any, SectionInputs], "SectionContext | None"]

_BUILDERS: dict[str, SectionBuilder] = {}
_builtins_loaded = False


def register_report_section(model: type[P], builder: Callable[[P, SectionInputs], Any]) -> None:
    """Show a section built by ``builder`` for every audit holding evidence of ``model``."""
    _BUILDERS[kind_of(model)] = builder


def load_builtin_sections() -> None:
    """Import the built-in section modules (each registers its builder and its glossary terms)."""
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        for module in BUILTIN_SECTION_MODULES:
            importlib.import_module(module)


def report_sections(
    evidence: Evidence,
    fmt: Format,
    *,
    disclosure: DisclosureRule | None = None,
    rules: list[RuleResult] | None = None,
) -> list[SectionContext]:
    """The sections of every evidence kind gathered that has a registered builder."""
    load_builtin_sections()
    inputs = SectionInputs(
        fmt=fmt,
        evidence=evidence,
        disclosure=disclosure or DisclosureRule(),
        rules=list(rules or []),
    )
    sections = []
    for kind, builder in _BUILDERS.items():
        part = evidence.root.get(kind)
        if part is None:
            continue
        section = builder(part, inputs)
        if section is not None:
            sections.append(section)
    return sections


__all__ = [
    "SectionContext",
    "SectionInputs",
    "load_builtin_sections",
    "register_report_section",
    "report_sections",
]
