"""The gate's result as JUnit XML and as a Markdown summary, for CI systems to show.

JUnit XML: one test case per gate condition and one per policy rule, so CI shows each rule
passing or failing, each finding counted once. What closes the gate is a ``<failure>`` (a
blocking rule that failed, type ``blocking``; one left without evidence, type
``inconclusive``; a failed condition, type ``gate``); a warning that did not hold passes with the
warning in its output; a rule not applicable, waived, or a non-blocking rule without enough data
is ``<skipped>`` with the reason, never a silent pass. Markdown: a short verdict, the reasons and
a table of rules, written for GitHub's ``$GITHUB_STEP_SUMMARY`` (which is appended to).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from govern.adapters.files import write_text_atomic
from govern.errors import BadInputError
from govern.markdown import table_cell
from govern.results import RuleResult
from govern.services.gate import COND_AUDIT_PASSED, GateResult

SKIPPED_VERDICTS = ("not_applicable", "insufficient_data", "waived")
CONDITIONS_CLASS = "govern.gate"
RULES_CLASS = "govern.policy"

MSG_SUMMARY_UNREADABLE = (
    "cannot append the gate summary to {path}: {error}. Give a writable file path to --summary."
)


def _rule_message(rule: RuleResult) -> str:
    text = rule.sentence
    if rule.verdict == "waived" and rule.waiver is not None:
        text += (
            f" Waived by {rule.waiver.approver} until {rule.waiver.expires.isoformat()}: "
            f"{rule.waiver.justification}"
        )
    return text


def _blocks(rule: RuleResult) -> bool:
    """True when the rule keeps the gate closed: a blocking failure, or a blocking rule left
    without evidence (an inconclusive audit)."""
    if rule.severity != "blocking":
        return False
    return rule.verdict == "fail" or (
        rule.verdict == "insufficient_data" and rule.on_insufficient_data == "block"
    )


def _rule_case(suite: ET.Element, rule: RuleResult, policy_class: str) -> str:
    """Add one rule's test case; returns its status (failure, skipped or passed)."""
    case = ET.SubElement(suite, "testcase", classname=policy_class, name=rule.rule_id)
    case.set("time", "0")
    message = _rule_message(rule)
    if _blocks(rule):
        kind = "blocking" if rule.verdict == "fail" else "inconclusive"
        failure = ET.SubElement(case, "failure", message=message, type=kind)
        failure.text = "\n".join(
            [
                f"{rule.title} ({rule.severity})",
                message,
                *([rule.to_conclude] if rule.to_conclude else []),
                *rule.details,
            ]
        )
        return "failure"
    if rule.verdict in SKIPPED_VERDICTS:
        ET.SubElement(case, "skipped", message=f"{rule.verdict}: {message}")
        return "skipped"
    out = ET.SubElement(case, "system-out")
    if rule.verdict == "fail":
        # A warning does not close the gate, so it must not turn a CI test report red.
        out.text = f"WARNING ({rule.severity} rule did not hold): {rule.title}: {message}"
    else:
        out.text = f"{rule.title}: {message}"
    return "passed"


def gate_junit_xml(result: GateResult) -> str:
    """JUnit XML for a gate result: one test case per gate condition and per policy rule.

    Each finding is counted once: the rules the gate judges itself (sign-off, audit age) appear
    as their conditions only, and the "audit passed" condition appears only when it failed for
    a reason the rules' own test cases do not show (a changed tag, an unreadable audit). A
    warning that did not hold is a passing case with the warning in its output, never a
    ``<failure>``: only what closes the gate is red.

    Examples
    --------
    >>> xml = gate_junit_xml(result)  # doctest: +SKIP
    >>> xml.startswith("<?xml")  # doctest: +SKIP
    True
    """
    suite = ET.Element("testsuite", name=f"govern gate {result.model} version {result.version}")
    suite.set("timestamp", result.evaluated_at.isoformat())
    rules = [r for r in result.rules if r.rule_id not in result.rules_judged_by_gate]
    shown_by_rules = any(_blocks(rule) for rule in rules)
    counts = {"failure": 0, "skipped": 0, "passed": 0}
    for check in result.checks:
        if check.name == COND_AUDIT_PASSED and (check.status != "fail" or shown_by_rules):
            continue
        case = ET.SubElement(
            suite, "testcase", classname=f"{CONDITIONS_CLASS}.conditions", name=check.name
        )
        case.set("time", "0")
        if check.status == "fail":
            counts["failure"] += 1
            failure = ET.SubElement(case, "failure", message=check.message, type="gate")
            failure.text = check.message
        elif check.status == "skipped":
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=check.message)
        else:
            counts["passed"] += 1
    policy_class = f"{RULES_CLASS}.{result.policy_name or 'unknown'}"
    for rule in rules:
        counts[_rule_case(suite, rule, policy_class)] += 1
    root = ET.Element("testsuites", name="govern gate")
    for element in (suite, root):
        element.set("tests", str(sum(counts.values())))
        element.set("failures", str(counts["failure"]))
        element.set("errors", "0")
        element.set("skipped", str(counts["skipped"]))
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(result: GateResult, path: str | Path) -> Path:
    """Write :func:`gate_junit_xml` to ``path`` atomically and return the path."""
    return write_text_atomic(path, gate_junit_xml(result))


def _cell(text: str | None) -> str:
    """Make text inert inside a Markdown table cell: no HTML, no unsafe link, no pipe or line
    break that would split the cell (:func:`govern.markdown.table_cell`)."""
    return table_cell(text)


VERDICT_MARK = {
    "pass": "pass",
    "fail": "**FAIL**",
    "waived": "waived",
    "not_applicable": "n/a",
    "insufficient_data": "insufficient data",
}


def gate_summary_markdown(result: GateResult) -> str:
    """A Markdown summary of a gate result: the verdict, every reason, a table of rules.

    Examples
    --------
    >>> print(gate_summary_markdown(result))  # doctest: +SKIP
    ## Deployment gate: CLOSED — cv-screening version 3
    ...
    """
    state = "OPEN" if result.open else "CLOSED"
    lines = [
        f"## Deployment gate: {state} — {_cell(result.model)} version {_cell(result.version)}",
        "",
    ]
    if result.policy_name:
        lines.append(
            f"Policy `{_cell(result.policy_name)}` (sha256 `{(result.policy_sha256 or '')[:12]}`), "
            f"latest audit run `{result.audit_run_id or 'none'}`, "
            f"risk tier {result.risk_tier or 'unknown'}."
        )
        lines.append("")
    if result.promoted:
        lines += [
            f"Promoted: alias `{result.promoted}` now points at version {result.version}.",
            "",
        ]
    elif result.promote:
        lines += [f"Not promoted: alias `{result.promote}` left unchanged.", ""]
    if result.reasons:
        lines.append("### Why the gate is closed")
        lines.append("")
        lines += [f"- {_cell(reason)}" for reason in result.reasons]
        lines.append("")
    lines += ["### Gate conditions", "", "| condition | status | detail |", "|---|---|---|"]
    for check in result.checks:
        status = "**FAIL**" if check.status == "fail" else check.status
        lines.append(f"| {_cell(check.title)} | {status} | {_cell(check.message)} |")
    lines.append("")
    if result.rules:
        lines += [
            "### Policy rules (latest audit)",
            "",
            "| rule | severity | verdict | finding |",
            "|---|---|---|---|",
        ]
        for rule in result.rules:
            lines.append(
                f"| {_cell(rule.rule_id)} | {rule.severity} | {VERDICT_MARK[rule.verdict]} "
                f"| {_cell(_rule_message(rule))} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_summary(result: GateResult, path: str | Path) -> Path:
    """Append the Markdown summary to ``path`` (created if absent), atomically.

    CI step-summary files collect the output of several steps, so the summary is added after
    what is there; the whole file is rewritten through a temporary sibling so a reader never
    sees half of it.
    """
    target = Path(path)
    try:
        existing = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        existing = ""
    except (OSError, UnicodeDecodeError) as error:
        raise BadInputError(MSG_SUMMARY_UNREADABLE.format(path=target, error=error)) from error
    if existing and not existing.endswith("\n"):
        existing += "\n"
    separator = "\n" if existing else ""
    return write_text_atomic(target, existing + separator + gate_summary_markdown(result))
