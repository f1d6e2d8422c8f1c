"""The Jinja2 environments of the documents: one per output format, typed contexts only."""

from __future__ import annotations

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


def _markdown_text(value: object) -> object:
    """Make a value printed into a Markdown template inert (:func:`govern.markdown.inert`)."""
    if isinstance(value, str):
        from govern.markdown import inert

        return inert(value)
    return value


@lru_cache(maxsize=2)
def template_environment(fmt: Format = "html") -> Environment:
    """The Jinja2 environment for one output format, with ``StrictUndefined`` so that a missing
    context field fails instead of rendering blank.

    HTML is autoescaped. In Markdown every value printed is made inert instead
    (:func:`govern.markdown.inert`: ``<`` that could open a tag and ``&`` that could start an
    entity as entities, links only to http(s) and mailto), so user text cannot inject markup or
    a script link into a Markdown viewer.
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
