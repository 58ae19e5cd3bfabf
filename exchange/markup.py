"""Markdown to safe HTML (markdown-it-py, then nh3: no script, handler or javascript: link)."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False}).enable("table")  # raw HTML is shown as text

_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "li", "ol", "p",
    "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_MARKUP = re.compile(r"[*_`#>\[\]]|\(https?://[^)]*\)")


def render_markdown(text: str | None) -> Markup:
    """Render Markdown and keep only harmless tags; links get rel="noopener noreferrer"."""
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 -- sanitised by nh3 just above


def excerpt(text: str | None, length: int = 220) -> str:
    """Plain text from Markdown, cut at a word (or Thai phrase) boundary near *length*."""
    plain = " ".join(_MARKUP.sub("", text or "").split())
    if len(plain) <= length:
        return plain
    cut = plain.rfind(" ", 0, length)
    return plain[: cut if cut > length // 2 else length].rstrip(" ,.;:") + "…"
