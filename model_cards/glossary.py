"""The few technical terms a document still uses, explained in plain words.

A document's glossary lists only the terms its own text uses: :func:`render_with_glossary`
renders the document, looks for each term's spellings in what a reader would see, and renders it
again with those terms explained. A report section that brings a new term registers
it with :func:`register_term`, so the glossary grows with the audits instead of with a list kept
here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from govern.model_cards.context import GlossaryEntryContext
from govern.model_cards.templating import render_template

if TYPE_CHECKING:
    from pydantic import BaseModel


@dataclass(frozen=True)
class Term:
    """A term, its explanation, and the lower-case spellings that show a document uses it."""

    term: str
    definition: str
    spellings: tuple[str, ...]


_TERMS: dict[str, Term] = {}


def register_term(term: Term) -> None:
    """Explain ``term`` in the glossary of every document whose text uses one of its spellings."""
    _TERMS[term.term] = term


def terms_used(text: str) -> list[Term]:
    """The registered terms whose spellings occur in ``text``, in alphabetical order.

    Examples
    --------
    >>> [t.term for t in terms_used("The impact ratio of women was 0.7.")]
    ['Impact ratio']
    """
    lowered = text.lower()
    found = [t for t in _TERMS.values() if any(s in lowered for s in t.spellings)]
    return sorted(found, key=lambda t: t.term.lower())


_STYLE_OR_TAG = re.compile(r"<style>.*?</style>|<[^>]+>", flags=re.DOTALL)


def render_with_glossary(name: str, context: BaseModel) -> str:
    """Render ``context`` with template ``name``, its glossary holding exactly the registered
    terms the rendered text uses (the page is rendered once without a glossary to find them;
    charts are drawn before, in the context, so the second rendering is cheap)."""
    from govern.model_cards.sections import load_builtin_sections

    # Sections register their terms on import: load them all first, so a document's glossary
    # never depends on which documents the process happened to render before.
    load_builtin_sections()
    draft = render_template(name, context)
    text = html.unescape(_STYLE_OR_TAG.sub(" ", draft)) if name.endswith(".html.j2") else draft
    entries = [GlossaryEntryContext(term=t.term, definition=t.definition) for t in terms_used(text)]
    return render_template(name, context.model_copy(update={"glossary": entries}))


for _term in (
    Term(
        "Selection rate",
        "The share of a group who received the favourable decision (for example, were "
        "shortlisted).",
        ("selection rate",),
    ),
    Term(
        "Impact ratio",
        "A group's selection rate divided by the reference group's: 1 means the same rate. US "
        "guidance on employee selection (29 CFR 1607.4(D)) treats a ratio under 0.8, four "
        "fifths, as a sign of adverse impact.",
        ("impact ratio", "four-fifths", "four fifths"),
    ),
    Term(
        "Reference group",
        "The group every other group is compared with, usually the one with the highest "
        "selection rate.",
        ("reference group",),
    ),
    Term(
        "Confidence interval",
        "The range in which the true figure plausibly lies, given how many people it rests on. "
        "A 95% interval is wide when the group is small: the data can then tell little.",
        ("interval",),
    ),
    Term(
        "Statistically significant",
        "A gap too large to be put down to chance alone: the p-value (how likely a gap at least "
        "this large would be if there were no real difference) is below the policy's level, "
        "usually 0.05.",
        ("significant", "p-value", "p = ", "p < "),
    ),
    Term(
        "Holm's method",
        "A correction of p-values when several groups are tested at once, so that testing many "
        "groups does not by itself produce false alarms.",
        ("holm",),
    ),
    Term(
        "Shortfall",
        "How many more people of a group would have had to receive the favourable decision for "
        "the group to match the reference group's rate.",
        ("shortfall",),
    ),
    Term(
        "One person flips it",
        "Changing the outcome for a single person would reverse the finding, so it rests on too "
        "few people to be relied on (Uniform Guidelines Questions and Answers, Q&A 21).",
        ("flips it", "flip-flop"),
    ),
    Term(
        "Intersection",
        "Groups formed by combining attributes, such as women of one ethnic group: unfair "
        "treatment can show there and nowhere else.",
        ("intersection", " & "),
    ),
    Term(
        "True positive rate",
        "Of the people who truly qualified (the outcome the decision should predict), the share "
        "who received the favourable decision.",
        ("true positive rate",),
    ),
    Term(
        "False positive rate",
        "Of the people who did not qualify, the share who received the favourable decision anyway.",
        ("false positive rate",),
    ),
    Term(
        "Accuracy",
        "The share of decisions that matched the true outcome.",
        ("accuracy",),
    ),
    Term(
        "Demographic parity",
        "Whether groups receive the favourable decision at the same rate; the difference is the "
        "gap between the highest and lowest group's selection rate, the ratio the lowest over "
        "the highest.",
        ("demographic parity", "parity ratio"),
    ),
    Term(
        "Equalized odds and equal opportunity",
        "Whether the true positive rate (equal opportunity), and also the false positive rate "
        "(equalized odds), are the same across groups.",
        ("equalized odds", "equal opportunity"),
    ),
    Term(
        "Proxy",
        "An input that carries information about a sensitive attribute (a postcode can carry "
        "ethnicity), so that a model can treat groups differently without reading the attribute "
        "itself.",
        ("proxy", "proxies"),
    ),
    Term(
        "Cramér's V and the correlation ratio",
        "Measures of how strongly an input is associated with a sensitive attribute, from 0 (not "
        "at all) to 1 (the input gives the attribute away).",
        ("cramers_v", "cramér", "correlation_ratio", "correlation ratio"),
    ),
    Term(
        "Decision change",
        "How often the model's decision changes when one input is shuffled among the people "
        "audited: the more often, the more the model relies on that input.",
        ("decision_change", "decision change"),
    ),
    Term(
        "Suppressed",
        "A group's figures are withheld because it has too few people: they would be unreliable "
        "and could identify individuals. Its verdicts are still stated.",
        ("suppressed", "withheld"),
    ),
    Term(
        "Waiver",
        "A time-limited exception to a failing rule, approved by a named person with a written "
        "reason; a waived rule is not a pass.",
        ("waive",),
    ),
    Term(
        "Blocking rule",
        "A rule that must hold before the model is used; a rule that only warns is reported but "
        "does not stop deployment.",
        ("blocking",),
    ),
    Term(
        "Inconclusive",
        "The audit could not establish whether a blocking rule holds (evidence missing, or too "
        "few people): not a pass.",
        ("inconclusive", "could not be checked"),
    ),
    Term(
        "SHA-256 fingerprint",
        "A 64-character code computed from a file's exact content. Any change to the file "
        "changes the code, so it shows which data and policy were used.",
        ("sha-256",),
    ),
):
    register_term(_term)
