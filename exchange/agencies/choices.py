"""The agency filter of the list pages (sessions, takeaways, search): every agency, as
``<option>``s rendered once per language and data version.

Why: with 2,000 agencies, loading them and rendering their options was more than half of
making the search page (75 ms of 140); kept, it is a string copy per request.
"""

from __future__ import annotations

from flask import get_template_attribute
from markupsafe import Markup, escape

from exchange.i18n import current_language
from exchange.page_cache import remembered
from exchange.services import agencies


def filter_options(selected: str) -> Markup:
    """Every agency as an ``<option>`` in the reader's language, *selected* (a slug) marked."""
    language = current_language()
    rendered = remembered(("agency-filter-options", language), _render)
    if selected:  # the values are escaped slugs, each unique: mark the one chosen
        option = f'<option value="{escape(selected)}">'
        rendered = rendered.replace(option, option[:-1] + " selected>", 1)
    return Markup(rendered)  # noqa: S704 (rendered by the template, autoescaped)


def _render() -> str:
    render = get_template_attribute("_macros/forms.html", "filter_options")
    return str(render(agencies.filter_choices(), ""))
