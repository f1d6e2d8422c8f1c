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
import re
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from govern.errors import BadInputError
from govern.limits import Limits
from govern.vocabulary import (
    DEPLOYMENT_WORDS,
    OVERSIGHT_WORDS,
    PURPOSE_WORDS,
    Purpose,
    RiskTier,
    derive_risk_tier,
)
from govern.yaml_loader import field_problems, load_located_file

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
EMPTY_METADATA = "a mapping of metadata fields (name, purpose, subjects, owner, ...)"
MSG_META_FIELD = "{path}:{line}:{column}: {key}: {problem}"
MSG_NOT_PLAIN_TEXT = (
    "holds {what}; write plain text (it is shown in reports, model cards and the register)"
)
MSG_BAD_LINK = (
    "is a {scheme!r} link; only http, https and mailto links are allowed, or write plain text"
)
MSG_LINK_WITHOUT_HOST = (
    "is a web link without a host; write it in full, e.g. https://agency.example"
)
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


# "<" before a letter, "/", "!" or "?" opens HTML in many viewers.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A URI scheme written as a link ("javascript:x"), not a label followed by text ("Phone: 555").
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):(?!\s)")
LINK_SCHEMES = ("http", "https", "mailto")
LINK_FIELDS = ("contact", "appeal_route")


def _plain_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(MSG_NOT_PLAIN_TEXT.format(what="control characters"))
    if _MARKUP.search(value):
        raise ValueError(MSG_NOT_PLAIN_TEXT.format(what="HTML markup"))
    return value


def check_link(value: str) -> str:
    """``value`` when it is plain text or an http(s)/mailto link; ValueError naming the scheme.

    Examples
    --------
    >>> check_link("https://agency.example/appeal")
    'https://agency.example/appeal'
    >>> check_link("javascript:alert(1)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: is a 'javascript' link; only http, https and mailto links are allowed, ...
    """
    from urllib.parse import urlsplit

    match = _SCHEME.match(value)
    if match is None:
        return value
    scheme = match.group(1).lower()
    if scheme not in LINK_SCHEMES:
        raise ValueError(MSG_BAD_LINK.format(scheme=scheme[:20]))
    if scheme != "mailto" and not urlsplit(value.strip()).netloc:
        raise ValueError(MSG_LINK_WITHOUT_HOST)
    return value


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

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_plain(cls, value: object, info: ValidationInfo) -> object:
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str):
                _plain_text(text)
                if info.field_name in LINK_FIELDS:
                    check_link(text)
        return value

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


def metadata_description(meta: GovernanceMetadata, *, latest_audit: str | None = None) -> str:
    """The MLflow registered model's description, in Markdown (MLflow's UI renders it): the
    governance metadata at a glance, and the latest audit when given, so the model's page shows
    them without opening its tags.

    Examples
    --------
    >>> meta = GovernanceMetadata(name="m", purpose="recruitment", subjects=["applicants"])
    >>> metadata_description(meta).splitlines()[0]
    'Purpose: Recruitment or selection, about applicants. Risk tier: high.'
    """
    subjects = ", ".join(meta.subjects)
    purpose = PURPOSE_WORDS.get(meta.purpose, meta.purpose)
    oversight = OVERSIGHT_WORDS.get(meta.human_oversight, meta.human_oversight)
    status = DEPLOYMENT_WORDS.get(meta.deployment_status, meta.deployment_status)
    lines = [
        f"Purpose: {purpose}, about {subjects}. Risk tier: {meta.risk_tier}.",
        "",
        f"- **Owner:** {meta.owner or 'not recorded'}; accountable executive: "
        f"{meta.accountable_executive or 'not recorded'}.",
        f"- **Human oversight:** {oversight} Status: {status}.",
        f"- **Appeal route:** {meta.appeal_route or 'not recorded'}.",
        f"- **Contact:** {meta.contact or 'not recorded'}.",
    ]
    if meta.vendor:
        lines.append(f"- **Procured from:** {meta.vendor}.")
    if meta.risk_tier_justification:
        lines.append(f"- **Risk tier justification:** {meta.risk_tier_justification}")
    if latest_audit:
        lines.append(latest_audit)
    return "\n".join(lines) + "\n\n(Managed by govern; edit with 'govern register --meta'.)"


def load_metadata(
    path: str | os.PathLike[str], *, limits: Limits | None = None
) -> GovernanceMetadata:
    """Load governance metadata from YAML; every problem is reported with file:line:column.

    The file is read with govern's one YAML loader (:mod:`govern.yaml_loader`) and its limits.

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
    if limits is None:
        from govern.settings import load_settings

        limits = load_settings(create_home=False).limits
    if not source.exists():
        raise BadInputError(MSG_META_UNREADABLE.format(path=source, reason="no such file"))
    doc = load_located_file(
        source, str(source), kind="metadata", expected=EMPTY_METADATA, limits=limits
    )
    try:
        return GovernanceMetadata.model_validate(doc.data)
    except ValidationError as error:
        problems = []
        for problem in field_problems(error, doc):
            message = problem.message
            if problem.type == "missing":
                message = "required field is missing"
            elif problem.type == "extra_forbidden":
                message = "unknown field; check the spelling or remove it"
            problems.append(
                MSG_META_FIELD.format(
                    path=source,
                    line=problem.line,
                    column=problem.column,
                    key=problem.key,
                    problem=message,
                )
            )
        raise BadInputError("\n".join(problems)) from error
