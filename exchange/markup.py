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


def safe_href(url: str | None) -> str:
    """*url* if it is a web or mail address, else "" (never a javascript: or data: link, even
    from data that bypassed the forms' checks)."""
    value = (url or "").strip()
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    return value if scheme in ("http", "https", "mailto") else ""


def excerpt(text: str | None, length: int = 220) -> str:
    """Plain text from Markdown, cut at a word (or Thai phrase) boundary near *length*."""
    plain = " ".join(_MARKUP.sub("", text or "").split())
    if len(plain) <= length:
        return plain
    cut = plain.rfind(" ", 0, length)
    return plain[: cut if cut > length // 2 else length].rstrip(" ,.;:") + "…"


def plain_text(text: str | None) -> str:
    """Markdown as readable plain text (for calendar descriptions): paragraphs kept apart,
    list items on their own lines, a link's address after its text, no markup characters."""
    # (text, group): lines of one list or table share a group and are joined by one newline
    blocks: list[tuple[str, int | None]] = []
    lists: list[list[int]] = []  # per open list: [ordered (0/1), items so far]
    prefix = ""
    row: list[str] | None = None
    group = 0
    for token in _md.parse(text or ""):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open", "table_open") and not lists:
            group += 1
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1) if kind == "ordered_list_open" else 1
            lists.append([int(kind == "ordered_list_open"), start - 1])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            lists[-1][1] += 1
            ordered, number = lists[-1]
            prefix = "  " * (len(lists) - 1) + (f"{number}. " if ordered else "- ")
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            blocks.append((" | ".join(row), group))
            row = None
        elif kind == "inline":
            line = _inline_text(token.children or [])
            if row is not None:
                row.append(line)
            else:
                blocks.append((prefix + line, group if lists else None))
                prefix = ""
        elif kind in ("fence", "code_block"):
            blocks.append((token.content.rstrip("\n"), None))
        elif kind == "hr":
            blocks.append(("---", None))
    parts: list[str] = []
    for index, (block, block_group) in enumerate(blocks):
        if index:
            same = block_group is not None and block_group == blocks[index - 1][1]
            parts.append("\n" if same else "\n\n")
        parts.append(block)
    return "".join(parts).strip()


def _inline_text(children: list) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []  # (href, where its text starts in out)
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "image":
            out.append(child.content)
        elif child.type == "link_open":
            links.append((str(child.attrGet("href") or ""), len(out)))
        elif child.type == "link_close" and links:
            href, start = links.pop()
            label = "".join(out[start:])
            if href and href not in (label, f"mailto:{label}"):
                out.append(f" ({href})")
    return "".join(out).strip()
