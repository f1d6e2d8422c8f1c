"""Load a policy from a shipped pack or a file, resolving ``extends``, with located errors.

Every problem of a file (and of the files it extends) is collected and raised together in one
``PolicyError`` whose ``problems`` are lines of the form ``FILE:LINE:COL: key.path: what is
wrong; what was expected``. A policy that cannot be loaded is an error, never skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from govern.errors import BadInputError, PolicyError
from govern.limits import Limits, check_bootstrap
from govern.policies.checks import check_kind
from govern.policies.locate import locate_errors
from govern.policies.packs import PACKS_DIR, pack_names
from govern.policies.schema import (
    MSG_DUPLICATE_IDS,
    Policy,
    PolicyDocument,
    Rule,
    Settings,
)
from govern.suggest import did_you_mean
from govern.yaml_loader import EXCERPT_CHARS, LocatedDocument, YamlProblems, load_located_file

MSG_NOT_FOUND = "{source}: no such policy file or shipped pack{hint}; shipped packs: {packs}"
MSG_UNKNOWN_PACK = "unknown pack '{name}'{hint}; shipped packs: {packs} (paths end in .yaml)"
MSG_MISSING_FILE = "file {path} does not exist; give a path relative to this file"
MSG_OUTSIDE = (
    "{path} is outside the folders a policy may extend from ({roots}); extend a shipped pack by "
    "name, keep the file in this policy's folder, or name its folder under policy_paths in "
    "govern.yaml"
)
MSG_NUL_IN_PATH = "the path holds a NUL character; give a plain file name"
EMPTY_POLICY = "a mapping with at least 'name' and 'version'"
MSG_CYCLE = "extends cycle: {cycle}; remove one of these extends"
MSG_RULE_CLASH = (
    "rule '{id}' comes from both {first} and {second} with different definitions; "
    "disable it or redefine it here"
)
MSG_DISABLE_UNKNOWN = "no inherited rule '{id}' to disable{hint}"
MSG_OVERRIDE_UNKNOWN = "no inherited rule '{id}' to override{hint}"
MSG_THRESHOLD_NOT_METRIC = (
    "rule '{id}' is a {kind} rule, which has no threshold to override; remove 'threshold'"
)
MSG_BAD_THRESHOLD = "threshold for rule '{id}' is not allowed: {reason}"
MSG_PROBLEMS = "{source}: {count} problem(s) in the policy:\n{lines}"


@dataclass
class _Resolved:
    policy: Policy
    explicit_settings: dict[str, Any]
    origin: dict[str, str]  # rule id -> file that defined it


def _raise(source: str, problems: list[str]) -> None:
    lines = "\n".join(f"  {line}" for line in problems)
    raise PolicyError(
        MSG_PROBLEMS.format(source=source, count=len(problems), lines=lines), problems
    )


def _is_path(entry: str) -> bool:
    return entry.endswith((".yaml", ".yml")) or "/" in entry or os.sep in entry


def read_located(
    path: Path,
    display: str,
    *,
    limits: Limits,
    kind: str = "policy",
    expected: str = EMPTY_POLICY,
) -> LocatedDocument:
    """Read and parse one YAML file keeping positions; PolicyError listing problems."""
    try:
        return load_located_file(path, display, kind=kind, expected=expected, limits=limits)
    except YamlProblems as problems:
        _raise(display, problems.problems)
        raise AssertionError("unreachable") from None


@dataclass(frozen=True)
class _Context:
    """What every file of one policy is read with: the bounds, and the folders it may extend
    from (the top policy's own folder tree, the shipped packs, ``policy_paths`` in
    govern.yaml)."""

    limits: Limits
    roots: tuple[Path, ...]

    def allows(self, target: Path) -> bool:
        return any(target.is_relative_to(root) for root in self.roots)


def _configured(
    limits: Limits | None, policy_paths: Sequence[str | os.PathLike[str]] | None
) -> tuple[Limits, list[Path]]:
    if limits is not None and policy_paths is not None:
        return limits, [Path(p) for p in policy_paths]
    from govern.settings import load_settings

    settings = load_settings(create_home=False)
    return (
        limits if limits is not None else settings.limits,
        [Path(p) for p in policy_paths]
        if policy_paths is not None
        else list(settings.policy_paths),
    )


def _shown(entry: str) -> str:
    """An extends entry as messages quote it: the path the user wrote, cut short."""
    return repr(entry if len(entry) <= 2 * EXCERPT_CHARS else entry[: 2 * EXCERPT_CHARS] + "…")


def load_policy(
    source: str | os.PathLike[str],
    *,
    limits: Limits | None = None,
    policy_paths: Sequence[str | os.PathLike[str]] | None = None,
) -> Policy:
    """Load a policy by shipped-pack name or file path and resolve its ``extends``.

    ``extends`` may name shipped packs, and files inside the policy's own folder (and its
    subfolders) or inside a folder of ``policy_paths``; any other path is refused without being
    read, so a policy cannot be used to read (and echo in its error messages) other files.

    Parameters
    ----------
    source : str or Path
        A shipped pack name (``"nyc-ll144"``, see ``list_packs()``) or a YAML file path.
    limits : Limits, optional
        Size and depth bounds of the files and the most bootstrap replicates; default: those of
        ``govern.yaml`` (:mod:`govern.limits`).
    policy_paths : list of paths, optional
        More folders ``extends`` may read from; default: ``policy_paths`` in ``govern.yaml``.

    Returns
    -------
    Policy
        Complete settings and the final rules.

    Raises
    ------
    PolicyError
        With every problem found, each naming file, line, column and key.

    Examples
    --------
    >>> policy = load_policy("nyc-ll144")
    >>> policy.name, [r.severity for r in policy.rules][:1]
    ('nyc-ll144', ['warning'])
    """
    text = os.fspath(source)
    if not _is_path(text) and text in pack_names():
        path, display = PACKS_DIR / f"{text}.yaml", f"{text}.yaml"
    else:
        path, display = Path(text), text
        if not path.is_file():
            hint = "" if _is_path(text) else did_you_mean(text, set(pack_names()))
            message = MSG_NOT_FOUND.format(
                source=_shown(text)[1:-1], hint=hint, packs=", ".join(pack_names())
            )
            raise PolicyError(message, [message])
    the_limits, extra = _configured(limits, policy_paths)
    roots = (path.resolve().parent, PACKS_DIR, *(Path(p).resolve() for p in extra))
    context = _Context(limits=the_limits, roots=tuple(dict.fromkeys(roots)))
    problems: list[str] = []
    resolved = _resolve(path, display, [], problems, context)
    if problems or resolved is None:
        _raise(display, problems)
        raise AssertionError("unreachable")
    return resolved.policy


def _key(path: Path) -> str:
    return str(path.resolve())


def _resolve(
    path: Path,
    display: str,
    chain: list[tuple[str, str]],
    problems: list[str],
    context: _Context,
) -> _Resolved | None:
    try:
        doc = read_located(path, display, limits=context.limits)
    except PolicyError as error:
        problems.extend(error.problems)
        return None
    try:
        document = PolicyDocument.model_validate(doc.data)
    except ValidationError as error:
        problems.extend(locate_errors(error, doc, PolicyDocument))
        return None
    if document.settings.n_boot is not None:
        try:
            check_bootstrap(document.settings.n_boot, context.limits)
        except BadInputError as error:
            problems.append(doc.at(("settings", "n_boot"), str(error)))
            return None
    first: dict[str, int] = {}
    for index, rule in enumerate(document.rules):
        if rule.id in first:
            message = MSG_DUPLICATE_IDS.format(id=rule.id, first=first[rule.id])
            problems.append(doc.at(("rules", index, "id"), message))
        first.setdefault(rule.id, index)
    if len(first) < len(document.rules):
        return None
    chain = [*chain, (_key(path), display)]
    parents: list[tuple[str, _Resolved]] = []
    failed = False
    for index, entry in enumerate(document.extends):
        where = ("extends", index)
        if _is_path(entry):
            found = _extended_file(path, display, entry, context)
            if isinstance(found, str):
                problems.append(doc.at(where, found))
                failed = True
                continue
            target, target_display = found
        elif entry in pack_names():
            target, target_display = PACKS_DIR / f"{entry}.yaml", f"{entry}.yaml"
        else:
            hint = did_you_mean(entry, set(pack_names()))
            packs = ", ".join(pack_names())
            name = _shown(entry)[1:-1]
            problems.append(
                doc.at(where, MSG_UNKNOWN_PACK.format(name=name, hint=hint, packs=packs))
            )
            failed = True
            continue
        keys = [key for key, _ in chain]
        if _key(target) in keys:
            start = keys.index(_key(target))
            cycle = " -> ".join([name for _, name in chain[start:]] + [target_display])
            problems.append(doc.at(where, MSG_CYCLE.format(cycle=cycle)))
            failed = True
            continue
        parent = _resolve(target, target_display, chain, problems, context)
        if parent is None:
            failed = True
            continue
        parents.append((target_display, parent))
    if failed:
        return None
    return _merge(document, doc, parents, display, problems)


def _extended_file(
    path: Path, display: str, entry: str, context: _Context
) -> tuple[Path, str] | str:
    """The file an ``extends`` path names and how to show it, or the problem with it.

    The target is resolved (symbolic links followed) and must lie inside one of the allowed
    folders before anything of it is read.
    """
    if "\x00" in entry:
        return MSG_NUL_IN_PATH
    target = (path.parent / entry).resolve()
    if not context.allows(target):
        roots = ", ".join(str(root) for root in context.roots)
        return MSG_OUTSIDE.format(path=_shown(entry), roots=roots)
    target_display = os.path.normpath(os.path.join(os.path.dirname(display), entry))
    if not target.is_file():
        return MSG_MISSING_FILE.format(path=target_display)
    return target, target_display


def _merge(
    document: PolicyDocument,
    doc: LocatedDocument,
    parents: list[tuple[str, _Resolved]],
    display: str,
    problems: list[str],
) -> _Resolved | None:
    """The parents' rules, then this document's disable, override and rules, in that order."""
    before = len(problems)
    explicit, rules, origin = _inherit(doc, parents, problems)
    explicit.update(
        {name: getattr(document.settings, name) for name in document.settings.model_fields_set}
    )
    inherited = set(rules)
    _disable(document, doc, rules, inherited, problems)
    _override(document, doc, rules, inherited, problems)
    for rule in document.rules:
        rules[rule.id] = rule
        origin[rule.id] = display
    if len(problems) > before:
        return None
    policy = Policy(
        name=document.name,
        version=document.version,
        title=document.title,
        description=document.description,
        text_date=document.text_date,
        applies_to=document.applies_to,
        settings=Settings(**explicit),
        rules=list(rules.values()),
    )
    return _Resolved(policy=policy, explicit_settings=explicit, origin=origin)


def _inherit(
    doc: LocatedDocument, parents: list[tuple[str, _Resolved]], problems: list[str]
) -> tuple[dict[str, Any], dict[str, Rule], dict[str, str]]:
    """The parents' explicit settings, rules by id and each rule's file, in ``extends`` order."""
    explicit: dict[str, Any] = {}
    rules: dict[str, Rule] = {}
    origin: dict[str, str] = {}
    for parent_display, parent in parents:
        explicit.update(parent.explicit_settings)
        for rule in parent.policy.rules:
            # A pack's scope (purposes, tiers, start date) travels with its rules, so extending
            # the EU pack does not make its rules apply outside Annex III employment uses.
            if parent.policy.applies_to is not None and rule.applies_to is None:
                rule = rule.model_copy(update={"applies_to": parent.policy.applies_to})
            if rule.id in rules and rules[rule.id] != rule:
                clash = MSG_RULE_CLASH.format(
                    id=rule.id, first=origin[rule.id], second=parent.origin[rule.id]
                )
                problems.append(doc.at(("extends",), clash))
                continue
            rules[rule.id] = rule
            origin[rule.id] = parent.origin.get(rule.id, parent_display)
    return explicit, rules, origin


def _disable(
    document: PolicyDocument,
    doc: LocatedDocument,
    rules: dict[str, Rule],
    inherited: set[str],
    problems: list[str],
) -> None:
    """Drop the inherited rules the document disables; an unknown id is a problem."""
    for index, rule_id in enumerate(document.disable):
        if rule_id not in inherited:
            hint = did_you_mean(rule_id, inherited)
            problems.append(
                doc.at(("disable", index), MSG_DISABLE_UNKNOWN.format(id=rule_id, hint=hint))
            )
            continue
        rules.pop(rule_id, None)


def _override(
    document: PolicyDocument,
    doc: LocatedDocument,
    rules: dict[str, Rule],
    inherited: set[str],
    problems: list[str],
) -> None:
    """Apply the document's overrides to inherited rules (severity, threshold, ...)."""
    for rule_id, change in document.override.items():
        if rule_id not in inherited:
            hint = did_you_mean(rule_id, inherited)
            message = MSG_OVERRIDE_UNKNOWN.format(id=rule_id, hint=hint)
            problems.append(doc.at(("override", rule_id), message, key=True))
            continue
        if rule_id not in rules:
            continue  # disabled as well; nothing to change
        rule = rules[rule_id]
        update = change.model_dump(exclude_none=True, exclude={"threshold"})
        update = {k: v for k, v in update.items() if k in change.model_fields_set}
        if change.threshold is not None:
            check = _overridden_check(rule, change.threshold, doc, problems)
            if check is None:
                continue
            update["check"] = check
        rules[rule_id] = rule.model_copy(update=update)


def _overridden_check(
    rule: Rule, threshold: float, doc: LocatedDocument, problems: list[str]
) -> Any | None:
    """The rule's check with a new threshold; None (and a problem) when it cannot take one."""
    where = ("override", rule.id, "threshold")
    field = check_kind(rule.check.kind).threshold_field
    if field is None or getattr(rule.check, field, None) is None:
        problems.append(
            doc.at(where, MSG_THRESHOLD_NOT_METRIC.format(id=rule.id, kind=rule.check.kind))
        )
        return None
    try:
        return type(rule.check).model_validate({**rule.check.model_dump(), field: threshold})
    except ValidationError as error:
        reason = error.errors()[0]["msg"].removeprefix("Value error, ")
        problems.append(doc.at(where, MSG_BAD_THRESHOLD.format(id=rule.id, reason=reason)))
        return None


def dump_policy(policy: Policy) -> str:
    """The resolved policy as a self-contained YAML policy file (no ``extends``).

    Examples
    --------
    >>> text = dump_policy(load_policy("eeoc-four-fifths"))
    >>> text.splitlines()[0]
    'name: eeoc-four-fifths'
    """
    data = policy.model_dump(mode="json", exclude_none=True)
    text = json.dumps(data, ensure_ascii=False)
    # YAML reads NEL and the Unicode line and paragraph separators as line breaks inside
    # scalars, so text holding them is written escaped to survive a round trip.
    readable = not any(char in text for char in _YAML_BREAKS)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=readable, width=100)


_YAML_BREAKS = ("\x85", "\u2028", "\u2029")
