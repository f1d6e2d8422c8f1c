"""Human sign-off on a model version: who approved it, in which role, when and why.

A sign-off is stored twice: as a model-version tag ``govern.approval.<role>`` (JSON: by, at,
comment, the audit run it looked at, and the trail record it produced) that the deployment gate
reads, and as an ``approval`` record in the tamper-evident trail. Human oversight before use is
what the EU AI Act asks of high-risk systems (Regulation (EU) 2024/1689, Art. 14) and what the
Canadian Directive on Automated Decision-Making requires for its higher impact levels (approval
by the deputy head at Level III; a human making the final decision at Levels III-IV).

A sign-off is given on the latest audit of a model version and records that audit's run and
outcome; a later sign-off by the same role replaces it. The role must be one the policy's
``sign_off`` rules name. The gate counts a sign-off only while the audit it was given on is the
latest: a newer audit needs new sign-offs, because approvers sign off on the findings they read.
Signing off an audit that failed or was inconclusive is allowed (someone may accept the findings
while a waiver is prepared) but is recorded with a warning, and the gate stays closed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, ValidationError

from govern.adapters.registry import (
    TAG_AUDIT_POLICY,
    TAG_AUDIT_POLICY_SHA256,
    TAG_AUDIT_RUN_ID,
    TAG_AUDIT_STATUS,
)
from govern.errors import BadInputError
from govern.evidence.process import Approval
from govern.suggest import did_you_mean

if TYPE_CHECKING:
    from govern.policies import Policy

TAG_APPROVAL_PREFIX = "govern.approval."

# Roles become tag keys: keep them to lower-case words, as policies spell them.
ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")

MSG_BAD_ROLE = (
    "invalid role {role!r}: use 1-64 lower-case letters, digits, '_' or '-', starting with a "
    "letter, as the policy's sign_off rule spells it (e.g. 'ethics_officer')."
)
MSG_NO_APPROVER = "--by is empty: name the person signing off (e.g. 'Jane Doe')."
MSG_CONTROL_CHARACTERS = (
    "{option} holds a control character ({char!r}): sign-offs are kept in the trail and shown in "
    "reports and terminals, so write them as plain text (line breaks are fine in --comment)."
)
MSG_NO_COMMENT = (
    "--comment is empty: say what was reviewed and why it is approved (it is kept in the trail "
    "and shown to the oversight board)."
)
MSG_NO_POLICY_FOR_ROLES = (
    "no policy to check the role against: pass --policy, or name the organisation's policy in "
    "govern.yaml."
)
MSG_NO_AUDIT_TO_SIGN = (
    "model {name!r} version {version} has no audit to sign off: approvers sign off on an audit's "
    "findings. Run `govern audit run {name} --version {version} ...` first."
)
MSG_ROLE_NOT_REQUIRED = (
    "role {role!r} is not a role the policy {policy!r} asks to sign off{hint}; its roles are: "
    "{roles}. Use one of them (as the policy's sign_off rule spells it)."
)
MSG_POLICY_ASKS_NO_SIGN_OFF = (
    "the policy {policy!r} has no sign_off rule, so there is nothing to sign off for it."
)
MSG_SIGNING_UNPASSED_AUDIT = (
    "warning: the audit being signed off (run {run_id}) {outcome}; the sign-off is recorded with "
    "that status, and the deployment gate stays closed while the audit has not passed."
)
MSG_BAD_APPROVAL_TAG = (
    "model {name!r} version {version}: the sign-off tag {tag!r} is not a govern approval "
    "({problem}). Record the sign-off again with `govern approve`."
)


class RecordedApproval(Approval):
    """A sign-off as recorded by :func:`approve`: an ``Approval`` plus what ties it down."""

    audit_run_id: str | None = Field(
        default=None, description="The version's latest audit run when the sign-off was given."
    )
    audit_status: str | None = Field(
        default=None, description="That audit's outcome (pass, fail or inconclusive)."
    )
    warning: str | None = Field(
        default=None, description="Set when the audit signed off had not passed."
    )
    trail_index: int | None = Field(default=None, description="Index of its trail record.")
    trail_hash: str | None = Field(default=None, description="record_hash of its trail record.")


def _check_text(role: str, by: str, comment: str) -> None:
    if not ROLE_PATTERN.match(role):
        raise BadInputError(MSG_BAD_ROLE.format(role=role))
    if not by.strip():
        raise BadInputError(MSG_NO_APPROVER)
    if not comment.strip():
        raise BadInputError(MSG_NO_COMMENT)
    # A control character (an escape sequence above all) could rewrite what a reviewer's terminal
    # shows of the trail; names never need one and comments need only line breaks and tabs.
    for option, text, allowed in (("--by", by, ""), ("--comment", comment, "\n\t")):
        bad = next((c for c in text if unicodedata.category(c) == "Cc" and c not in allowed), None)
        if bad is not None:
            raise BadInputError(MSG_CONTROL_CHARACTERS.format(option=option, char=bad))


def approvals_from_tags(name: str, version: str, tags: dict[str, str]) -> list[RecordedApproval]:
    """The sign-offs held in a model version's tags, sorted by role.

    Examples
    --------
    >>> tags = {"govern.approval.dpo": '{"by": "Ana", "at": "2026-11-24T10:00:00+00:00",'
    ...         ' "comment": "ok"}'}
    >>> [(a.role, a.by) for a in approvals_from_tags("m", "1", tags)]
    [('dpo', 'Ana')]
    """
    found = []
    for key in sorted(tags):
        if not key.startswith(TAG_APPROVAL_PREFIX):
            continue
        role = key[len(TAG_APPROVAL_PREFIX) :]
        try:
            data = json.loads(tags[key])
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            found.append(RecordedApproval.model_validate({**data, "role": role}))
        except (ValueError, ValidationError) as error:
            problem = str(error).splitlines()[0][:200]
            raise BadInputError(
                MSG_BAD_APPROVAL_TAG.format(name=name, version=version, tag=key, problem=problem)
            ) from error
    return found


def read_approvals(
    name: str, *, version: str, tracking_uri: str | None = None
) -> list[RecordedApproval]:
    """Every sign-off recorded on a model version, sorted by role.

    Examples
    --------
    >>> read_approvals("cv-screening", version="3")  # doctest: +SKIP
    [RecordedApproval(role='ethics_officer', by='Jane Doe', ...)]
    """
    from govern.adapters.registry import Registry

    registry = Registry(tracking_uri)
    return approvals_from_tags(name, version, registry.get_version_tags(name, version))


def _check_role(role: str, policy: Policy, source: str) -> None:
    roles = policy.sign_off_roles()
    if not roles:
        raise BadInputError(MSG_POLICY_ASKS_NO_SIGN_OFF.format(policy=source))
    if role not in roles:
        raise BadInputError(
            MSG_ROLE_NOT_REQUIRED.format(
                role=role, policy=source, hint=did_you_mean(role, roles), roles=", ".join(roles)
            )
        )


def _policy_for(policy: str | Path | None, tags: dict[str, str]) -> tuple[Policy, str]:
    """The policy whose roles sign off: the one given, govern.yaml's, else the audit's own."""
    from govern.policies import load_policy
    from govern.settings import load_settings

    source = policy if policy is not None else load_settings(create_home=False).policy
    source = source if source is not None else tags.get(TAG_AUDIT_POLICY)
    if source is None:
        raise BadInputError(MSG_NO_POLICY_FOR_ROLES)
    loaded: Policy = load_policy(source)
    return loaded, str(source)


def approve(
    name: str,
    *,
    version: str,
    role: str,
    by: str,
    comment: str,
    policy: str | Path | None = None,
    tracking_uri: str | None = None,
    trail: Path | None = None,
    now: dt.datetime | None = None,
) -> RecordedApproval:
    """Record a human sign-off on the latest audit of a model version (a tag and a trail record).

    Parameters
    ----------
    name, version : str
        The registered model version signed off.
    role : str
        The role signing, one the policy's ``sign_off`` rules name (``ethics_officer``).
    by : str
        The person signing.
    comment : str
        What was reviewed and why it is approved.
    policy : str or Path, optional
        The policy whose roles sign off; default govern.yaml's ``policy``, else the policy the
        latest audit used.
    tracking_uri : str, optional
        Register to use (default: resolved by :mod:`govern.settings`).
    trail : Path, optional
        Trail file (default: ``govern.settings.trail_path()``).
    now : datetime, optional
        The time of the sign-off (default: now, UTC); for tests and back-filling.

    Returns
    -------
    RecordedApproval
        An :class:`govern.evidence.process.Approval` with the audit run, its status, and the
        trail record it is tied to; ``warning`` is set when that audit had not passed.

    Raises
    ------
    BadInputError
        No audit to sign off, a role the policy does not ask for (with "did you mean"), an
        empty ``by`` or ``comment``; RegistryError for an unknown model/version.

    Examples
    --------
    >>> approve("cv-screening", version="3", role="ethics_officer", by="Jane Doe",
    ...         comment="Reviewed the audit of 2026-11-20.")  # doctest: +SKIP
    RecordedApproval(role='ethics_officer', by='Jane Doe', ...)
    """
    from govern.adapters.registry import Registry
    from govern.adapters.trail import append_record

    _check_text(role, by, comment)
    registry = Registry(tracking_uri)
    tags = registry.get_version_tags(name, version)  # RegistryError naming an unknown version
    audit_run_id = tags.get(TAG_AUDIT_RUN_ID)
    if not audit_run_id:
        raise BadInputError(MSG_NO_AUDIT_TO_SIGN.format(name=name, version=version))
    the_policy, source = _policy_for(policy, tags)
    _check_role(role, the_policy, source)
    status = tags.get(TAG_AUDIT_STATUS)
    warning = None
    if status != "pass":
        outcome = "failed" if status == "fail" else f"is {status or 'of unknown status'}"
        warning = MSG_SIGNING_UNPASSED_AUDIT.format(run_id=audit_run_id, outcome=outcome)
    at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    # The trail record first: a sign-off that reached the register must also be in the trail.
    record = append_record(
        "approval",
        model=name,
        version=str(version),
        data_sha256=None,
        policy_sha256=tags.get(TAG_AUDIT_POLICY_SHA256),
        result_sha256=None,
        payload={
            "role": role,
            "by": by.strip(),
            "comment": comment.strip(),
            "approved_at": at.isoformat(),
            "audit_run_id": audit_run_id,
            "audit_status": status,
            "warning": warning,
        },
        path=trail,
    )
    approval = RecordedApproval(
        role=role,
        by=by.strip(),
        at=at,
        comment=comment.strip(),
        audit_run_id=audit_run_id,
        audit_status=status,
        warning=warning,
        trail_index=record.index,
        trail_hash=record.record_hash,
    )
    value = approval.model_dump_json(exclude={"role"})
    registry.set_version_tags(name, str(version), {TAG_APPROVAL_PREFIX + role: value})
    return approval
