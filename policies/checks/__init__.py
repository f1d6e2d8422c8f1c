"""Check kinds: the plug-in seam of the policy language.

A check kind is one module that declares, under one key:

- its **schema**, a pydantic model (a :class:`CheckModel` with ``kind: Literal["key"]``) that a
  rule's ``check:`` mapping is validated against;
- the **evidence** kind it reads (a :class:`govern.evidence.EvidencePart` subclass), or none;
- its **evaluation**, a pure function of the check, the evidence part and a
  :class:`RuleContext` to a :class:`Finding` (verdict, one plain sentence, measured value);
- how it **describes** its requirement in words (``govern policy show``, reports).

It then calls :func:`register_check_kind`. The rule schema, its JSON Schema, ``policy show``,
the evaluator and the reports all find kinds here by key; a rule naming an unknown kind fails
when the policy is loaded, never at evaluation. The kinds that ship with govern are the modules
of this package, registered when it is imported.

What the evaluator does for every kind, so no kind has to: scope (``applies_to``), waivers, and
the rule of "unknown is never pass": when the evidence a kind reads was not gathered, the rule
is ``insufficient_data`` with the kind's advice on how to gather it (``not_applicable`` is kept
for rules out of scope).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from govern.evidence import Evidence, EvidencePart, kind_of
from govern.results import Verdict

if TYPE_CHECKING:
    from govern.policies.schema import Settings

MSG_KIND_MISMATCH = (
    "check kind {key!r}: its schema {schema} must declare kind: Literal[{key!r}] so that rules "
    "are told apart by their 'kind'."
)
MSG_KIND_TAKEN = "check kind {key!r} is already registered; give the new kind another key."
MSG_UNKNOWN_CHECK_KIND = "unknown check kind {key!r}; registered kinds: {known}."


class CheckModel(BaseModel):
    """Base of every check schema: strict (unknown keys are errors) and frozen; numbers are
    finite (a NaN or infinite threshold would make a rule pass or fail whatever is measured)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    kind: str


class Finding(BaseModel):
    """What a check found: the verdict, one sentence for an oversight board, and the figures.

    The evaluator adds the rule's identity (id, title, severity, references) to make a
    :class:`govern.results.RuleResult`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    verdict: Verdict
    sentence: str = Field(description="What was found, in plain language.")
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    threshold: float | None = None
    comparison: str | None = Field(default=None, description="For example 'impact_ratio >= 0.8'.")
    attribute: str | None = None
    group: str | None = None
    shortfalls: list[tuple[str, str]] = Field(
        default_factory=list, description="Every (attribute, group) that fell short of the rule."
    )
    details: list[str] = Field(default_factory=list)
    to_conclude: str | None = Field(
        default=None, description="For insufficient_data: what would settle the rule."
    )


@dataclass(frozen=True)
class RuleContext:
    """What every evaluation may read besides its own evidence part."""

    settings: Settings
    today: dt.date
    evidence: Evidence


C = TypeVar("C", bound=CheckModel)
P = TypeVar("P", bound=EvidencePart)


@dataclass(frozen=True)
class CheckKind(Generic[C, P]):
    """One registered check kind (see the module docstring)."""

    key: str
    schema: type[C]
    evidence: type[P] | None
    evaluate: Callable[[C, P | None, RuleContext], Finding]
    describe: Callable[[C], str]
    # Sentence and advice when the evidence part this kind reads was not gathered at all.
    missing_evidence: str = "No {kind} evidence was gathered, so this rule could not be judged."
    to_gather: str = "Gather the {kind} evidence this rule reads and run the audit again."
    # The name of the check field an extending policy may change with ``override: threshold``.
    threshold_field: str | None = None

    def judge(self, check: CheckModel, context: RuleContext) -> Finding:
        """Evaluate ``check`` on the context's evidence; unknown evidence is never a pass."""
        if not isinstance(check, self.schema):
            raise TypeError(f"check kind {self.key!r} was given a {type(check).__name__}")
        part: P | None = None
        if self.evidence is not None:
            part = context.evidence.get(self.evidence)
            if part is None:
                kind = kind_of(self.evidence)
                return Finding(
                    verdict="insufficient_data",
                    sentence=self.missing_evidence.format(kind=kind),
                    to_conclude=self.to_gather.format(kind=kind),
                )
        return self.evaluate(check, part, context)


_KINDS: dict[str, CheckKind[Any, Any]] = {}
# Models whose schema embeds the union of check schemas; rebuilt when a kind is added.
_DEPENDENTS: list[type[BaseModel]] = []


def register_check_kind(kind: CheckKind[C, P]) -> CheckKind[C, P]:
    """Add a check kind; every policy loaded afterwards may use it.

    Raises ValueError when the key is taken by another kind, TypeError when the schema's
    ``kind`` field does not name the key.
    """
    field = kind.schema.model_fields.get("kind")
    if field is None or getattr(field.annotation, "__args__", None) != (kind.key,):
        raise TypeError(MSG_KIND_MISMATCH.format(key=kind.key, schema=kind.schema.__name__))
    existing = _KINDS.get(kind.key)
    if existing is not None and existing != kind:
        raise ValueError(MSG_KIND_TAKEN.format(key=kind.key))
    _KINDS[kind.key] = kind
    for model in _DEPENDENTS:
        model.model_rebuild(force=True)
    return kind


def unregister_check_kind(key: str) -> None:
    """Remove a kind (for tests that add one of their own); built-in kinds stay."""
    if key in BUILTIN_CHECK_KINDS:
        raise ValueError(f"check kind {key!r} ships with govern and cannot be removed")
    if _KINDS.pop(key, None) is not None:
        for model in _DEPENDENTS:
            model.model_rebuild(force=True)


def rebuild_when_kinds_change(model: type[BaseModel]) -> None:
    """Register a model that embeds :data:`AnyCheck`, to be rebuilt when kinds change."""
    _DEPENDENTS.append(model)


def check_kind(key: str) -> CheckKind[Any, Any]:
    """The registered kind with this key (KeyError with the known keys otherwise)."""
    try:
        return _KINDS[key]
    except KeyError:
        raise KeyError(
            MSG_UNKNOWN_CHECK_KIND.format(key=key, known=", ".join(sorted(_KINDS)))
        ) from None


def check_kinds() -> list[str]:
    """The keys of every registered check kind, in registration order."""
    return list(_KINDS)


class _AnyCheckSchema:
    """Validates a ``check:`` mapping as the registered schema its ``kind`` names."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        choices: dict[Any, CoreSchema] = {
            key: handler.generate_schema(kind.schema) for key, kind in _KINDS.items()
        }
        return core_schema.tagged_union_schema(choices, discriminator="kind")


def describe_check(check: CheckModel) -> str:
    """The requirement of a check in words, by its kind's ``describe``."""
    return check_kind(check.kind).describe(check)


# A rule's check: statically a CheckModel, validated as the schema of the kind it names.
if TYPE_CHECKING:
    AnyCheck = CheckModel
else:
    from typing import Annotated

    AnyCheck = Annotated[CheckModel, _AnyCheckSchema]


# The kinds that ship with govern, in the order messages and `policy show` list them.
BUILTIN_CHECK_MODULES = (
    "metric",
    "transparency",
    "documentation",
    "process",
    "combined_proxy",
    "proxy_importance",
    "importance_by_group",
    "individual_fairness",
    "oversight",
    "drift",
    "ranking",
)


def _register_builtins() -> tuple[str, ...]:
    import importlib

    modules = [importlib.import_module(f"{__name__}.{name}") for name in BUILTIN_CHECK_MODULES]
    return tuple(module.KIND.key for module in modules)


BUILTIN_CHECK_KINDS: tuple[str, ...] = _register_builtins()
