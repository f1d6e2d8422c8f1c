"""Evidence: what the audits measured, one pydantic model per evidence kind, held by kind.

Each audit module produces one kind (``fairness``, ``transparency``, ...); the policy evaluator
and the renderers look parts up by their model class. A kind is a subclass of
:class:`EvidencePart` whose ``kind`` field has a literal default, registered with
:func:`register_evidence_kind`, so a new audit adds a module rather than a field to a fixed
list. The built-in kinds live in this package, one module each, and are registered the first
time the registry is consulted.

Evidence is pure data: it serialises to JSON (``audit.json``) as a mapping ``kind -> part`` and
reads back with every part as its own class.

Examples
--------
>>> from govern.evidence import Evidence
>>> from govern.evidence.documentation import DocumentationEvidence
>>> evidence = Evidence.of(DocumentationEvidence(fields={"model_details.owner": "HR"}))
>>> evidence.kinds, evidence.get(DocumentationEvidence).fields["model_details.owner"]
(['documentation'], 'HR')
"""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from pydantic import BaseModel, Field, RootModel, SerializeAsAny, model_validator

# Modules defining the evidence kinds that ship with govern; each registers its kind on import.
BUILTIN_EVIDENCE_MODULES = (
    "govern.evidence.fairness",
    "govern.evidence.transparency",
    "govern.evidence.documentation",
    "govern.evidence.process",
    "govern.evidence.oversight",
    "govern.evidence.monitoring",
    "govern.evidence.ranking",
)

MSG_NO_KIND_DEFAULT = (
    "{model} cannot be an evidence kind: its 'kind' field needs a literal default naming the kind, "
    'e.g. kind: Literal["ranking"] = "ranking".'
)
MSG_KIND_TAKEN = "evidence kind {kind!r} is already registered by {other}; choose another name."
MSG_UNKNOWN_KIND = "unknown evidence kind {kind!r}; known kinds: {known}."
MSG_KIND_MISMATCH = (
    "evidence under key {key!r} is of kind {kind!r}; store each part under its kind."
)


class EvidencePart(BaseModel):
    """Base class of every evidence kind: pure data, no verdicts."""

    kind: str = Field(description="The evidence kind; subclasses fix it with a literal default.")


P = TypeVar("P", bound=EvidencePart)

_KINDS: dict[str, type[EvidencePart]] = {}
_builtins_loaded = False


def kind_of(model: type[EvidencePart]) -> str:
    """The kind name an evidence model declares (the default of its ``kind`` field)."""
    field = model.model_fields.get("kind")
    default = None if field is None else field.default
    if not isinstance(default, str) or not default:
        raise TypeError(MSG_NO_KIND_DEFAULT.format(model=model.__name__))
    return default


def register_evidence_kind(model: type[P]) -> type[P]:
    """Register an evidence model under its kind (usable as a class decorator).

    Registering the same class twice is harmless; another class under a taken name is an error.
    """
    kind = kind_of(model)
    other = _KINDS.get(kind)
    if other is not None and other is not model:
        raise ValueError(MSG_KIND_TAKEN.format(kind=kind, other=other.__qualname__))
    _KINDS[kind] = model
    return model


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        for module in BUILTIN_EVIDENCE_MODULES:
            importlib.import_module(module)


def evidence_kinds() -> dict[str, type[EvidencePart]]:
    """Every registered evidence kind: name -> model class."""
    _load_builtins()
    return dict(_KINDS)


def evidence_model(kind: str) -> type[EvidencePart]:
    """The model class of one evidence kind; ValueError naming the known kinds otherwise."""
    kinds = evidence_kinds()
    if kind not in kinds:
        raise ValueError(MSG_UNKNOWN_KIND.format(kind=kind, known=", ".join(sorted(kinds))))
    return kinds[kind]


class Evidence(RootModel[dict[str, SerializeAsAny[EvidencePart]]]):
    """Every evidence part one audit gathered, by kind. A kind that is absent was not gathered.

    Build it with :meth:`of` (or keywords, ``Evidence(fairness=part)``); read a part with
    :meth:`get`, which is typed by the model class asked for.
    """

    root: dict[str, SerializeAsAny[EvidencePart]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _parts_by_kind(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        parts: dict[str, EvidencePart] = {}
        for key, part in value.items():
            if part is None:
                continue  # "not gathered" is the absence of the key
            if not isinstance(part, EvidencePart):
                part = evidence_model(str(key)).model_validate(part)
            if part.kind != key:
                raise ValueError(MSG_KIND_MISMATCH.format(key=key, kind=part.kind))
            parts[str(key)] = part
        return parts

    @classmethod
    def of(cls, *parts: EvidencePart | None) -> Evidence:
        """Evidence holding these parts (``None`` entries are skipped)."""
        return cls.model_validate({part.kind: part for part in parts if part is not None})

    @property
    def kinds(self) -> list[str]:
        """The kinds gathered, in the order they were added."""
        return list(self.root)

    def get(self, model: type[P]) -> P | None:
        """The part of this model's kind, or None when that kind was not gathered."""
        part = self.root.get(kind_of(model))
        return part if isinstance(part, model) else None

    def with_parts(self, *parts: EvidencePart | None) -> Evidence:
        """A copy with these parts added (replacing parts of the same kind)."""
        merged: dict[str, EvidencePart] = dict(self.root)
        merged.update({part.kind: part for part in parts if part is not None})
        return Evidence.model_validate(merged)
