"""The floor: a bare Flask app that does only what every page must do, at the same sizes.

Served by gunicorn with the same settings as the app (``gunicorn floor:app`` with
``--pythonpath bench``). For each measured page it renders, through Jinja with autoescaping,
a template looping over an in-memory list of rows (no database, no translations, no dates),
sized to exactly the bytes of the real page; and it sends the feed as a fixed byte string of
the real feed's size. The sizes come from the environment, measured on the real app first:

- ``BENCH_FLOOR_PAGES``: JSON ``{"name": bytes, ...}``, served at ``/page/<name>``;
- ``BENCH_FLOOR_FEED``: bytes, served at ``/feed.ics`` (``text/calendar``).
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, abort, render_template
from jinja2 import Template

PAGE = """<!doctype html>
<html lang="th"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="/static/css/app.css"></head>
<body><main><h1>{{ title }}</h1>
<ul class="cards">
{%- for row in rows %}
<li class="card"><a href="/sessions/{{ row.slug }}">{{ row.title }}</a>
<p class="meta">{{ row.when }} · {{ row.agency }}</p><p>{{ row.text }}</p></li>
{%- endfor %}
</ul><!-- {{ pad }} --></main></body></html>
"""
ROW = {
    "slug": "s-1234",
    "title": "แลกเปลี่ยนเรียนรู้การพัฒนาองค์การสู่การเป็นระบบราชการ 4.0 & <PMQA>",
    "when": "14 ธ.ค. 2564 09:00–12:00",
    "agency": "สำนักงาน ก.พ.ร. (Office of the Public Sector Development Commission)",
    "text": "ผู้บริหารจากหน่วยงานต่าง ๆ แบ่งปันประสบการณ์ในการนำเกณฑ์คุณภาพการบริหารจัดการภาครัฐไปใช้",
}

app = Flask(__name__)
_template: Template = app.jinja_env.from_string(PAGE)
_pages: dict[str, dict[str, object]] = {}


def _size(rows: list[dict[str, str]], pad: str) -> int:
    with app.test_request_context():
        return len(render_template(_template, title="Floor", rows=rows, pad=pad).encode())


def context_of_size(target: int) -> dict[str, object]:
    """Rows and ASCII padding that make the rendered page exactly *target* bytes (or the
    smallest page possible, if *target* is smaller than that)."""
    empty = _size([], "")
    per_row = _size([ROW], "") - empty
    rows = [dict(ROW, slug=f"s-{n}") for n in range(max(0, (target - empty) // per_row))]
    while rows and _size(rows, "") > target:
        rows.pop()
    pad = "x" * max(0, target - _size(rows, ""))
    return {"title": "Floor", "rows": rows, "pad": pad}


for _name, _bytes in json.loads(os.environ.get("BENCH_FLOOR_PAGES", "{}")).items():
    _pages[_name] = context_of_size(int(_bytes))
_feed = b"BEGIN:VCALENDAR\r\n".ljust(int(os.environ.get("BENCH_FLOOR_FEED", "0")), b"x")


@app.get("/")
def index() -> str:
    return "floor"


@app.get("/page/<name>")
def page(name: str) -> str:
    context = _pages.get(name)
    if context is None:
        abort(404)
    return render_template(_template, **context)


@app.get("/feed.ics")
def feed() -> Response:
    return Response(_feed, mimetype="text/calendar")
