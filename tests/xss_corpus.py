"""An XSS corpus and the checker that proves none of it can run where the app shows it.

Every payload carries a *marker*, ``xss<NN><field>`` (payload number, then a short code for the
field it was typed into), before it and inside its script, so a finding names both: "xss07title"
is payload 7 (``PAYLOADS[7]``) in a session title. Payloads call ``__xss('<marker>')`` (the
browser test defines it) and are wrapped in Thai text, as real input would be.

``html_findings`` parses a page (lxml.html; with ``strict``, tinyhtml5, a WHATWG parser that
builds the tree a browser builds, for sanitised fragments where mutation tricks matter) and
lists whatever could execute: a script that is not one of our own files, an ``on*`` handler,
a javascript:/data:/vbscript: address in a URL attribute, a frame, object, embed, SVG, MathML,
style, base or meta-refresh element that is not the app's own, a CSS ``expression()``, and a
template expression the server evaluated (``{{7*7}}`` shown as 49).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

import lxml.html

try:  # a WHATWG parser (it builds the tree a browser builds); WeasyPrint brings it
    import tinyhtml5
except ImportError:  # pragma: no cover
    tinyhtml5 = None

XHTML = "http://www.w3.org/1999/xhtml"


def _parse(html: str, strict: bool) -> ET.Element:
    """*strict*: the browser's tree (tinyhtml5, pure Python, ~50x slower); else lxml's, which
    shows the same elements wherever the page escaped its data (all a whole page is checked
    for); sanitised HTML fragments are checked strictly."""
    if strict and tinyhtml5 is not None:
        return tinyhtml5.parse(html)
    return lxml.html.document_fromstring(html or "<html></html>")  # type: ignore[return-value]


@dataclass(frozen=True)
class Payload:
    name: str
    template: str  # "{m}" is replaced by the marker
    kind: str = "html"  # where it bites: html, url, markdown, template, ical, xml

    def text(self, marker: str) -> str:
        return self.template.replace("{m}", marker)


HOOK = "__xss('{m}')"
B64_SCRIPT = "PHNjcmlwdD5wYXJlbnQuX194c3MoMSk8L3NjcmlwdD4="  # <script>parent.__xss(1)</script>

PAYLOADS: tuple[Payload, ...] = (
    Payload("script", f"<script>{HOOK}</script>"),
    Payload("attr-break-double", f'"><script>{HOOK}</script>'),
    Payload("attr-break-single", f"'><script>{HOOK}</script>"),
    Payload("img-onerror", f'<img src=x onerror="{HOOK}">'),
    Payload("svg-onload", f'<svg onload="{HOOK}">'),
    Payload("svg-script", f"<svg><script>{HOOK}</script></svg>"),
    Payload("javascript-url", f"javascript:{HOOK}", "url"),
    Payload("markdown-js-link", f"[คลิกที่นี่](javascript:{HOOK})", "markdown"),
    Payload("markdown-data-link", f"[เอกสาร](data:text/html;base64,{B64_SCRIPT})", "markdown"),
    Payload("data-url", f"data:text/html;base64,{B64_SCRIPT}", "url"),
    Payload("mixed-case-scheme", f'<a href="JaVaScRiPt:{HOOK}">ลิงก์</a>'),
    Payload("entity-scheme", "<a href=\"&#106;avascript:__xss('{m}')\">ลิงก์</a>"),
    Payload("markdown-entity-link", "[x](&#106;avascript:__xss('{m}'))", "markdown"),
    Payload("markdown-vbscript", "[x](vbscript:msgbox('{m}'))", "markdown"),
    Payload("iframe-js", f'<iframe src="javascript:{HOOK}"></iframe>'),
    Payload("iframe-srcdoc", "<iframe srcdoc=\"<script>parent.__xss('{m}')</script>\"></iframe>"),
    Payload("a-onmouseover", f"<a href=# onmouseover={HOOK}>ชี้ตรงนี้</a>"),
    Payload("math-mxss", f"<math><mtext><table><mglyph><style><img src=x onerror={HOOK}>"),
    Payload("style-import", "<style>@import 'javascript:__xss(\"{m}\")';</style>"),
    Payload("unclosed-tag", f"<img src=x onerror={HOOK} "),
    Payload("unclosed-attr", f'<a href="javascript:{HOOK}'),
    Payload("template-expression", "{{7*7}}", "template"),
    Payload("template-statement", "{% if 1 %}tplhit{% endif %}", "template"),
    Payload("close-textarea", f"</textarea><script>{HOOK}</script>"),
    Payload("close-title", f"</title><script>{HOOK}</script>"),
    Payload("css-expression", f'<div style="width:expression({HOOK})">กว้าง</div>'),
    Payload("body-onload", f"<body onload={HOOK}>"),
    Payload("object-data", f'<object data="javascript:{HOOK}"></object>'),
    Payload("embed-data", f'<embed src="data:text/html,<script>{HOOK}</script>">'),
    Payload("base-href", f'<base href="javascript:{HOOK}//">'),
    Payload("meta-refresh", f'<meta http-equiv="refresh" content="0;url=javascript:{HOOK}">'),
    Payload("details-ontoggle", f"<details open ontoggle={HOOK}>"),
    Payload("markdown-image", f'![รูป](x" onerror="{HOOK})', "markdown"),
    Payload("markdown-autolink", f"<javascript:{HOOK}>", "markdown"),
    Payload("comment-trick", f'<!--<img src="--><img src=x onerror={HOOK}//">'),
    Payload("noscript-mxss", f'<noscript><p title="</noscript><img src=x onerror={HOOK}>">'),
    Payload("attr-break-autofocus", "' autofocus onfocus='__xss(\"{m}\")' x='", "html"),
    Payload("close-script", f"</script><script>{HOOK}</script>"),
    Payload("xml-cdata", "]]><evil>{m}</evil><![CDATA[", "xml"),
    Payload("ical-injection", "a;b,c\\d\r\nX-INJECTED:{m}\r\nBEGIN:VALARM", "ical"),
    Payload("control-js-url", f" \tjava\nscript:{HOOK}", "url"),
)

THAI_BEFORE, THAI_AFTER = "ไทย", "ครับ"


def marker(index: int, field: str) -> str:
    """``xss07title``: payload 7 in the field coded ``title`` (lowercase letters only)."""
    assert field.isalpha(), field
    assert field.islower(), field
    return f"xss{index:02d}{field}"


def value(index: int, field: str, limit: int | None = None) -> str:
    """Payload *index* for *field*, in Thai text, cut to the column's *limit* (what is cut is
    broken markup, another case)."""
    m = marker(index, field)
    text = f"{THAI_BEFORE}{m}{PAYLOADS[index].text(m)}{THAI_AFTER}"
    return text if limit is None else text[:limit]


def bare(index: int, field: str) -> str:
    """The marker and payload *index* without Thai around it (a query string, a URL)."""
    m = marker(index, field)
    return m + PAYLOADS[index].text(m)


def all_values(field: str) -> str:
    """Every payload in one text (for a Markdown body or a message), one paragraph each."""
    return "\n\n".join(value(i, field) for i in range(len(PAYLOADS)))


MARKER = re.compile(r"xss(\d\d)([a-z]+)")
EVALUATED = re.compile(r"xss\d\d[a-z]+?(?:49|tplhit)")  # {{7*7}} or {% if %} run by Jinja
URL_ATTRIBUTES = frozenset({
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite",
    "longdesc", "ping", "lowsrc", "dynsrc", "codebase", "srcset", "icon", "manifest",
})  # fmt: skip
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
APP_SVG = frozenset({"chart__svg", "chart__swatch", "fill-bar"})
ACTIVE = frozenset({
    "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style", "base",
})  # fmt: skip


def describe(text: str) -> str:
    """The payloads and fields the markers in *text* name: "payload 7 (javascript-url) in
    title"."""
    found = {
        f"payload {int(n)} ({PAYLOADS[int(n)].name}) in {field}"
        for n, field in MARKER.findall(text)
        if int(n) < len(PAYLOADS)
    }
    return "; ".join(sorted(found)) or "no marker: not from user data?"


def _local(tag: object) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag."""
    if not isinstance(tag, str):
        return "", ""  # a comment or processing instruction
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name.lower()
    return "", tag.lower()


def _attr_name(name: str) -> str:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return ("xlink:" if namespace.endswith("xlink") else "") + local.lower()
    return name.lower()


def _scheme_of(url: str) -> str:
    """What a browser takes as the scheme: tabs and newlines anywhere, leading controls and
    spaces removed, lower case."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("\x00- ").lower()
    return cleaned


def _serialise(element: ET.Element) -> str:
    attributes = " ".join(f'{_attr_name(k)}="{v}"' for k, v in element.attrib.items())
    text = "".join(element.itertext())[:200]
    return f"<{_local(element.tag)[1]} {attributes}>{text}"


def html_findings(html: str, where: str, *, strict: bool = False) -> list[str]:
    """Everything in *html* that could run script; [] when the page is safe."""
    findings: list[str] = []
    for bad in EVALUATED.findall(html):
        findings.append(f"{where}: template evaluated: {bad!r} ({describe(bad)})")
    root = _parse(html, strict)
    for element in root.iter():
        namespace, name = _local(element.tag)
        if not name:
            continue
        shown = _serialise(element)
        problem = _element_problem(element, name, namespace, where, findings)
        if problem:
            findings.append(f"{where}: {problem}: {shown!r} ({describe(shown)})")
        for raw_name, attr_value in element.attrib.items():
            attr = _attr_name(raw_name)
            if attr.startswith("on"):
                findings.append(f"{where}: handler {attr}: {shown!r} ({describe(shown)})")
            elif attr in URL_ATTRIBUTES and _scheme_of(attr_value).startswith(BAD_SCHEMES):
                findings.append(
                    f"{where}: {attr} with a script scheme: {shown!r} ({describe(shown)})"
                )
            elif attr == "style" and re.search(r"expression\s*\(|javascript:", attr_value, re.I):
                findings.append(f"{where}: active CSS: {shown!r} ({describe(shown)})")
            elif attr == "srcdoc" and name != "iframe":
                findings.append(f"{where}: srcdoc: {shown!r} ({describe(shown)})")
    return findings


def _element_problem(
    element: ET.Element, name: str, namespace: str, where: str, findings: list[str]
) -> str:
    if name == "script":
        src = element.attrib.get("src", "")
        own = namespace in ("", XHTML) and src.startswith("/static/")
        if not own or "".join(element.itertext()).strip():
            return "a script that is not one of our files"
        return ""
    if name == "meta" and element.attrib.get("http-equiv", "").lower() == "refresh":
        return "a meta refresh"
    if name == "iframe":
        # The outbox shows an e-mail in a frame sandboxed without scripts: check what it holds.
        if element.attrib.get("sandbox") == "" and "src" not in element.attrib:
            srcdoc = element.attrib.get("srcdoc", "")
            findings.extend(html_findings(srcdoc, f"{where} (frame)", strict=True))
            return ""
        return "a frame"
    if name == "style" and not MARKER.search(_subtree(element)):
        return ""  # the app's own (the certificate's stylesheet): no user data in it
    if name == "svg" and element.attrib.get("class") in APP_SVG and not _marked(element):
        return ""  # the app's own chart (templates/_macros/charts.html; user data only as text)
    if name in ACTIVE:
        return f"an active element <{name}>"
    return ""


def _subtree(element: ET.Element) -> str:
    """All text and attribute values in *element* and below (where a marker would show)."""
    parts = [str(v) for e in element.iter() for v in e.attrib.values()]
    return " ".join(parts) + "".join(element.itertext())


def _marked(element: ET.Element) -> bool:
    """Whether a marker is in an attribute of *element* or below (text is harmless)."""
    return any(MARKER.search(str(v)) for e in element.iter() for v in e.attrib.values())


def text_has(html: str, markers: Iterable[str]) -> list[str]:
    """The *markers* that do not appear in *html* at all (so a check cannot pass vacuously)."""
    return [m for m in markers if m not in html]
