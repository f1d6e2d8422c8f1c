"""The gate's CI summary is inert Markdown: no HTML and no script links from user text."""

from __future__ import annotations

import datetime as dt
import re

from govern.adapters.junit import gate_summary_markdown
from govern.services.gate import GateCheck, GateResult

HOSTILE_LABEL = '<img src=x onerror="alert(1)">'
HOSTILE_LINK = "[details](javascript:alert(document.cookie))"


def _result() -> GateResult:
    message = f"group {HOSTILE_LABEL} of sex <script>steal()</script> failed; see {HOSTILE_LINK}"
    return GateResult(
        model="cv-screening",
        version="3",
        open=False,
        reasons=[message],
        checks=[GateCheck(name="audit_passed", title="audit", status="fail", message=message)],
        policy_name="<b>policy</b>",
        evaluated_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC),
    )


def test_gate_summary_holds_no_html_and_no_script_link() -> None:
    text = gate_summary_markdown(_result())
    assert not re.search(r"<[A-Za-z/!?]", text)
    assert "](javascript:" not in text
    assert '&lt;img src=x onerror="alert(1)">' in text
    assert "[details]\\(javascript:alert(document.cookie))" in text
    assert "&lt;script>steal()&lt;/script>" in text
