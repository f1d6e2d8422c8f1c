"""Text from users made inert in Markdown: no HTML, and links only to http(s) and mailto.

Reports, model cards and the gate's CI summary are Markdown that many viewers render as HTML
(GitHub, GitLab, wikis). Anything that came from a user (model names, group labels, metadata,
card text) is passed through :func:`inert` before it is written there:

- a ``<`` that could open a tag, a comment or an autolink (one before a letter, ``/``, ``!`` or
  ``?``) becomes the entity ``&lt;``, and an ``&`` that would start an entity (``&lt;``,
  ``&#60;``) becomes ``&amp;``, so no HTML can open and no entity can smuggle one in; viewers
  show the entities as the original characters, and text such as ``a <= b`` or ``sex & age``
  is left as it reads;
- a Markdown link or image whose target is not ``http://``, ``https://`` or ``mailto:`` is
  broken up (``[x]\\(javascript:...)``) so it shows as text, and a line that starts like a link
  reference definition (``[x]: target``) is escaped the same way.
"""

from __future__ import annotations

import re

_TAG_OPENER = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_START = re.compile(r"&(?=[A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")
# "](" followed by the link's target, up to white space or the closing parenthesis.
_LINK_TARGET = re.compile(r"\]\(\s*([^)\s]*)")
_SAFE_TARGET = re.compile(r"(?i)(?:https?://|mailto:)")
_REFERENCE_DEFINITION = re.compile(r"(?m)^( {0,3})\[(?=[^\]]*\]:)")
LINK_SCHEMES = ("http", "https", "mailto")


def _link(match: re.Match[str]) -> str:
    if _SAFE_TARGET.match(match.group(1)):
        return match.group(0)
    return "]\\(" + match.group(0)[2:]


def inert(text: str) -> str:
    """``text`` with HTML turned into entities and unsafe links turned into text.

    Examples
    --------
    >>> inert("<img src=x onerror=alert(1)> & &lt; a <= b")
    '&lt;img src=x onerror=alert(1)> & &amp;lt; a <= b'
    >>> inert("[appeal](javascript:alert(1)) or [web](https://agency.example)")
    '[appeal]\\\\(javascript:alert(1)) or [web](https://agency.example)'
    """
    text = _ENTITY_START.sub("&amp;", text)
    text = _TAG_OPENER.sub("&lt;", text)
    text = _LINK_TARGET.sub(_link, text)
    return _REFERENCE_DEFINITION.sub(r"\1\\[", text)


def table_cell(text: str | None) -> str:
    """Inert text that stays inside one Markdown table cell (pipes escaped, lines folded).

    Examples
    --------
    >>> table_cell("a | b\\n<c>")
    'a \\\\| b &lt;c>'
    """
    folded = " ".join((text or "").split())
    return inert(folded.replace("\\", "\\\\").replace("|", "\\|"))
