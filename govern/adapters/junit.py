"""The gate's result as JUnit XML and as a Markdown summary, for CI systems to show.

JUnit XML: one test case per gate condition and one per policy rule, so CI shows each rule
passing or failing. A rule that failed is a ``<failure>`` (its ``type`` says whether it was
blocking or a warning); a rule not applicable, without enough data, or waived is ``<skipped>``
with the reason, never a pass (unknown is not pass). Markdown: a short verdict, the reasons and
a table of rules, written for GitHub's ``$GITHUB_STEP_SUMMARY`` (which is appended to).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from govern.adapters.files import write_text_atomic
from govern.errors import BadInputError
from govern.markdown import table_cell
from govern.results import RuleResult
from govern.services.gate import GateResult

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


def gate_junit_xml(result: GateResult) -> str:
    """JUnit XML for a gate result: one test case per gate condition and per policy rule.

    Examples
    --------
    >>> xml = gate_junit_xml(result)  # doctest: +SKIP
    >>> xml.startswith("<?xml")  # doctest: +SKIP
    True
    """
    suite_name = f"govern gate {result.model} version {result.version}"
    suite = ET.Element("testsuite", name=suite_name)
    suite.set("timestamp", result.evaluated_at.isoformat())
    failures = skipped = 0
    for check in result.checks:
        case = ET.SubElement(
            suite, "testcase", classname=f"{CONDITIONS_CLASS}.conditions", name=check.name
        )
        case.set("time", "0")
        if check.status == "fail":
            failures += 1
            failure = ET.SubElement(case, "failure", message=check.message, type="gate")
            failure.text = check.message
        elif check.status == "skipped":
            skipped += 1
            ET.SubElement(case, "skipped", message=check.message)
    policy_class = f"{RULES_CLASS}.{result.policy_name or 'unknown'}"
    for rule in result.rules:
        case = ET.SubElement(suite, "testcase", classname=policy_class, name=rule.rule_id)
        case.set("time", "0")
        message = _rule_message(rule)
        if rule.verdict == "fail":
            failures += 1
            failure = ET.SubElement(case, "failure", message=message, type=rule.severity)
            failure.text = "\n".join([f"{rule.title} ({rule.severity})", message, *rule.details])
        elif rule.verdict in SKIPPED_VERDICTS:
            skipped += 1
            ET.SubElement(case, "skipped", message=f"{rule.verdict}: {message}")
        else:
            out = ET.SubElement(case, "system-out")
            out.text = f"{rule.title}: {message}"
    tests = len(result.checks) + len(result.rules)
    for element in (suite,):
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", "0")
        element.set("skipped", str(skipped))
    root = ET.Element("testsuites", name="govern gate")
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
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
