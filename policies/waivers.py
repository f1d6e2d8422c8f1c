"""Waivers: a named person accepts, until a date, that one rule fails for one model.

A waived failure is reported as ``waived`` (never ``pass``); a waiver past its expiry date no
longer applies and the rule is reported as failing, with the expired waiver named.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govern.errors import PolicyError
from govern.policies.locate import locate_errors
from govern.policies.schema import RULE_ID_PATTERN

MSG_WAIVER_PROBLEMS = "{source}: {count} problem(s) in the waivers:\n{lines}"
EMPTY = "a mapping with a 'waivers:' list"


class Waiver(BaseModel):
    """One accepted exception to one rule for one model (and optionally one version)."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    rule: str = Field(pattern=RULE_ID_PATTERN, description="Id of the rule waived.")
    model: str = Field(min_length=1, description="Registered model name.")
    version: str | None = Field(None, description="Model version; empty means every version.")
    justification: str = Field(min_length=10, description="Why the failure is accepted.")
    approver: str = Field(min_length=1, description="Who accepted it (name and role).")
    expires: dt.date = Field(description="Last day the waiver applies (YYYY-MM-DD).")

    def covers(self, rule_id: str, model_name: str | None, model_version: str | None) -> bool:
        """True when the waiver names this rule, model and (if it names one) version."""
        return (
            self.rule == rule_id
            and model_name is not None
            and self.model == model_name
            and (self.version is None or self.version == model_version)
        )

    def expired_on(self, today: dt.date) -> bool:
        """A waiver applies up to and including its expiry date."""
        return today > self.expires


class WaiverFile(BaseModel):
    """A waivers file: a top-level ``waivers:`` list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: list[Waiver] = Field(default_factory=list)


def load_waivers(path: str | os.PathLike[str]) -> list[Waiver]:
    """Read a waivers YAML file (``waivers: [{rule, model, version, justification, approver,
    expires}]``), reporting every problem with its file, line and column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.yaml"
    >>> _ = p.write_text("waivers:\\n- rule: four-fifths\\n  model: cv\\n  justification: "
    ...     "pilot with 40 applicants\\n  approver: A. Chair (ethics board)\\n"
    ...     "  expires: 2027-01-31\\n")
    >>> load_waivers(p)[0].expires
    datetime.date(2027, 1, 31)
    """
    from govern.policies.loader import read_located
    from govern.settings import load_settings

    display = os.fspath(path)
    limits = load_settings(create_home=False).limits
    doc = read_located(Path(display), display, limits=limits, kind="waivers", expected=EMPTY)
    try:
        return list(WaiverFile.model_validate(doc.data).waivers)
    except ValidationError as error:
        problems = locate_errors(error, doc, WaiverFile)
        lines = "\n".join(f"  {line}" for line in problems)
        raise PolicyError(
            MSG_WAIVER_PROBLEMS.format(source=display, count=len(problems), lines=lines), problems
        ) from None
