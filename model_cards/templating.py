"""The Jinja2 environments of the documents: one per output format, typed contexts only."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from govern.errors import BadInputError

if TYPE_CHECKING:
    from jinja2 import Environment

Format = Literal["html", "markdown"]

UNKNOWN_FORMAT = "unknown output format {fmt!r}; use 'html' or 'markdown'."


def _markdown_cell(value: object) -> str:
    """Keep a value inside one Markdown table cell: escape pipes, fold newlines."""
    return " ".join(str(value).split()).replace("|", "\\|")


# In Markdown, "<" followed by a letter, "/", "!" or "?" can open raw HTML, which many viewers
# render. A backslash makes it a literal "<" (CommonMark backslash escape) and leaves "<=" alone.
_MARKDOWN_HTML_OPENER = re.compile(r"<(?=[A-Za-z/!?])")


def _markdown_text(value: object) -> object:
    """Neutralise raw HTML in a value printed into a Markdown template."""
    if isinstance(value, str):
        return _MARKDOWN_HTML_OPENER.sub(r"\\<", value)
    return value


@lru_cache(maxsize=2)
def template_environment(fmt: Format = "html") -> Environment:
    """The Jinja2 environment for one output format, with ``StrictUndefined`` so that a missing
    context field fails instead of rendering blank.

    HTML is autoescaped. Markdown is not (entities such as ``&amp;`` would show up verbatim in a
    terminal or a plain-text diff); every value printed into it has its HTML openers escaped
    instead, so user text cannot inject markup into a Markdown viewer either.
    """
    from jinja2 import Environment, PackageLoader, StrictUndefined

    markdown = fmt == "markdown"
    environment = Environment(
        loader=PackageLoader("govern.templates", "."),
        autoescape=not markdown,  # noqa: S701 - Markdown is neutralised by finalize below
        finalize=_markdown_text if markdown else None,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["md"] = _markdown_cell
    return environment


def template_name(kind: str, fmt: str) -> str:
    """``report`` + ``html`` -> ``report.html.j2``."""
    if fmt == "html":
        return f"{kind}.html.j2"
    if fmt == "markdown":
        return f"{kind}.md.j2"
    raise BadInputError(UNKNOWN_FORMAT.format(fmt=fmt))


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The documents' CSS, inlined so every page is self-contained."""
    from importlib.resources import files

    return (files("govern.templates") / "report.css").read_text(encoding="utf-8")


def render_template(name: str, context: BaseModel) -> str:
    """Render one template with its typed context (its fields become template variables)."""
    fmt: Format = "markdown" if name.endswith(".md.j2") else "html"
    template = template_environment(fmt).get_template(name)
    return template.render(**dict(context))
