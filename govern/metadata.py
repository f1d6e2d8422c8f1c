"""Governance metadata of a registered model: what it is for, who answers for it, how risky it is.

Stored on the MLflow registered model as ``govern.meta.*`` tags (lists as JSON) plus a readable
description, and written by people as YAML (``govern register NAME --meta FILE``)::

    name: cv-screening
    purpose: recruitment
    subjects: [applicants]
    owner: Recruitment analytics team
    accountable_executive: Director of People
    contact: hr-ai@agency.example
    appeal_route: https://agency.example/appeal
    human_oversight: in_the_loop
    data_sources: [ATS applications 2021-2025]
    sensitive_attributes: [sex, ethnicity, age_band]

The risk tier is derived from the purpose (see :func:`derive_risk_tier`); a different tier may be
written only together with ``risk_tier_justification``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from govern.errors import BadInputError
from govern.vocabulary import Purpose, RiskTier, derive_risk_tier

Subject = Literal["applicants", "employees", "citizens"]
HumanOversight = Literal["in_the_loop", "on_the_loop", "none"]
DeploymentStatus = Literal["development", "pilot", "production", "retired"]

TAG_PREFIX = "govern.meta."
TAG_SCHEMA = "govern.meta.schema"
SCHEMA_VERSION = "1"

# Fields that the register expects to be filled in for every governed model.
REQUIRED_FOR_REGISTER = (
    "owner",
    "accountable_executive",
    "contact",
    "appeal_route",
    "data_sources",
    "sensitive_attributes",
)

MSG_META_UNREADABLE = "{path}: cannot read the metadata file ({reason}). Check the path."
MSG_META_YAML = "{path}:{line}:{column}: not valid YAML ({problem}). Fix the syntax and retry."
MSG_META_NOT_MAPPING = (
    "{path}:{line}:{column}: expected a mapping of metadata fields (name, purpose, subjects, "
    "owner, ...), found {found}."
)
MSG_META_FIELD = "{path}:{line}:{column}: {key}: {problem}"
MSG_OVERRIDE_NEEDS_JUSTIFICATION = (
    "risk_tier {given!r} differs from {derived!r}, the tier derived from purpose {purpose!r} "
    "(EU AI Act Annex III point 4 and Art. 6(3) make decisions and recommendations about people "
    "at work high risk); add risk_tier_justification explaining why, or remove risk_tier"
)
MSG_NAME_MISMATCH = (
    "the metadata names the model {meta!r} but it is being registered as {name!r}. Make the "
    "'name' field in the metadata file match the NAME argument."
)
MSG_BAD_TAGS = (
    "model {name!r} has unreadable governance tags ({problem}). Re-register its metadata."
)


class GovernanceMetadata(BaseModel):
    """What the register knows about a model beyond its artifact.

    Examples
    --------
    >>> meta = GovernanceMetadata(name="cv-screening", purpose="recruitment",
    ...                           subjects=["applicants"], owner="HR analytics")
    >>> meta.risk_tier
    'high'
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, description="Registered model name.")
    purpose: Purpose = Field(description="What the model is used for (govern.vocabulary.PURPOSES).")
    subjects: list[Subject] = Field(
        min_length=1, description="Who it decides about or recommends to."
    )
    owner: str | None = Field(default=None, description="Team that runs the model.")
    accountable_executive: str | None = Field(
        default=None, description="Senior person who answers for the model."
    )
    contact: str | None = Field(default=None, description="Where questions go.")
    appeal_route: str | None = Field(
        default=None, description="How a person affected by a decision contests it."
    )
    risk_tier: RiskTier | None = Field(
        default=None, description="Derived from purpose unless overridden with a justification."
    )
    risk_tier_justification: str | None = Field(
        default=None, description="Why the risk tier differs from the derived one."
    )
    deployment_status: DeploymentStatus = "development"
    human_oversight: HumanOversight = Field(
        default="in_the_loop", description="in_the_loop: a person decides every case."
    )
    data_sources: list[str] = Field(default_factory=list)
    sensitive_attributes: list[str] = Field(default_factory=list)
    vendor: str | None = Field(default=None, description="Supplier of a procured tool.")

    @model_validator(mode="after")
    def _risk_tier_rule(self) -> GovernanceMetadata:
        derived = derive_risk_tier(self.purpose)
        if self.risk_tier is None:
            self.risk_tier = derived
        elif self.risk_tier != derived and not (self.risk_tier_justification or "").strip():
            raise ValueError(
                MSG_OVERRIDE_NEEDS_JUSTIFICATION.format(
                    given=self.risk_tier, derived=derived, purpose=self.purpose
                )
            )
        return self

    @property
    def derived_risk_tier(self) -> RiskTier:
        return derive_risk_tier(self.purpose)

    def missing_fields(self) -> list[str]:
        """Register fields still empty (for process evidence)."""
        return [name for name in REQUIRED_FOR_REGISTER if not getattr(self, name)]


def metadata_to_tags(meta: GovernanceMetadata) -> dict[str, str]:
    """``govern.meta.*`` tags: text fields as text, lists as JSON; unset fields are omitted.

    Examples
    --------
    >>> meta = GovernanceMetadata(name="m", purpose="other", subjects=["citizens"])
    >>> tags = metadata_to_tags(meta)
    >>> tags["govern.meta.subjects"]
    '["citizens"]'
    """
    tags = {TAG_SCHEMA: SCHEMA_VERSION}
    for key, value in meta.model_dump().items():
        if value is None:
            continue
        tags[TAG_PREFIX + key] = json.dumps(value) if isinstance(value, list) else str(value)
    return tags


def metadata_from_tags(name: str, tags: dict[str, str]) -> GovernanceMetadata | None:
    """Rebuild metadata from a registered model's tags; None when it carries none (ungoverned)."""
    if TAG_SCHEMA not in tags:
        return None
    raw: dict[str, object] = {}
    list_fields = {"subjects", "data_sources", "sensitive_attributes"}
    try:
        for key, value in tags.items():
            if not key.startswith(TAG_PREFIX) or key == TAG_SCHEMA:
                continue
            field = key[len(TAG_PREFIX) :]
            if field not in GovernanceMetadata.model_fields:
                continue
            raw[field] = json.loads(value) if field in list_fields else value
        raw.setdefault("name", name)
        return GovernanceMetadata.model_validate(raw)
    except (ValueError, ValidationError) as error:
        raise BadInputError(MSG_BAD_TAGS.format(name=name, problem=str(error)[:300])) from error


def metadata_description(meta: GovernanceMetadata) -> str:
    """A readable paragraph for the MLflow registered model's description."""
    subjects = ", ".join(meta.subjects)
    parts = [
        f"Purpose: {meta.purpose} about {subjects}. Risk tier: {meta.risk_tier}.",
        f"Owner: {meta.owner or 'not recorded'}; accountable executive: "
        f"{meta.accountable_executive or 'not recorded'}.",
        f"Human oversight: {meta.human_oversight}. Status: {meta.deployment_status}.",
        f"Appeal route: {meta.appeal_route or 'not recorded'}.",
    ]
    if meta.vendor:
        parts.append(f"Procured from {meta.vendor}.")
    if meta.risk_tier_justification:
        parts.append(f"Risk tier justification: {meta.risk_tier_justification}")
    return " ".join(parts) + "\n\n(Managed by govern; edit with 'govern register --meta'.)"


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return repr(node.value)
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def _node_at(root: yaml.Node, loc: tuple[int | str, ...]) -> tuple[yaml.Node, bool]:
    """The deepest node along a pydantic error location; True when the key itself was found."""
    node = root
    found = True
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == part]
            if not match:
                found = False
                break
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                found = False
                break
            node = node.value[part]
        else:
            break
    return node, found


def load_metadata(path: str | os.PathLike[str]) -> GovernanceMetadata:
    """Load governance metadata from YAML; every problem is reported with file:line:column.

    Raises
    ------
    govern.errors.BadInputError
        The file is missing, not YAML, or breaks the schema (all problems listed).

    Examples
    --------
    >>> meta = load_metadata("cv-screening.meta.yaml")  # doctest: +SKIP
    >>> meta.risk_tier  # doctest: +SKIP
    'high'
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise BadInputError(
            MSG_META_UNREADABLE.format(path=source, reason=error.strerror or error)
        ) from error
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise BadInputError(
            MSG_META_YAML.format(path=source, line=line, column=column, problem=error.problem)
        ) from error
    if root is None or not isinstance(data, dict):
        line, column = (root.start_mark.line + 1, root.start_mark.column + 1) if root else (1, 1)
        raise BadInputError(
            MSG_META_NOT_MAPPING.format(
                path=source,
                line=line,
                column=column,
                found="an empty file" if root is None else _describe(root),
            )
        )
    try:
        return GovernanceMetadata.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(item["loc"])
            node, found = _node_at(root, loc)
            key = ".".join(str(p) for p in loc) or "(top level)"
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "missing":
                message = "required field is missing"
            elif item["type"] == "extra_forbidden":
                message = "unknown field; check the spelling or remove it"
                # point at the key, not its value
                for k, _v in root.value:
                    if k.value == loc[0]:
                        node = k
            elif not found:
                message = f"{message}"
            problems.append(
                MSG_META_FIELD.format(
                    path=source,
                    line=node.start_mark.line + 1,
                    column=node.start_mark.column + 1,
                    key=key,
                    problem=message,
                )
            )
        raise BadInputError("\n".join(problems)) from error
