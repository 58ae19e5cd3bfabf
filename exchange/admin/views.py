"""Admin pages: the outbox, where every e-mail waits before and after delivery.

On a laptop without a mail server the outbox is how one reads confirmation links, so the
message page shows the text (with its links clickable) and the HTML in a sandboxed frame.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from exchange.db import db, utcnow
from exchange.forms import ConfirmForm
from exchange.models import OutboxMessage, OutboxStatus
from exchange.pagination import paginate
from exchange.permissions import admin_required
from exchange.security_headers import csp_allow
from exchange.services import mail

bp = Blueprint("admin", __name__)


@bp.get("/outbox")
@admin_required
def outbox() -> str:
    """Every message, newest first, optionally of one status."""
    status_arg = request.args.get("status", "")
    try:
        status = OutboxStatus(status_arg) if status_arg else None
    except ValueError:
        abort(404)
    pagination = paginate(mail.outbox_query(status), current_app.config["MAIL_OUTBOX_PER_PAGE"])
    return render_template(
        "admin/outbox.html",
        pagination=pagination,
        status=status,
        counts=mail.outbox_counts(),
        delivering=bool(current_app.config.get("MAIL_SERVER")),
        now=utcnow(),
    )


@bp.get("/outbox/<int:message_id>")
@admin_required
@csp_allow(style_src="'unsafe-inline'", font_src="data:")  # the mail's own styling, embedded fonts
def outbox_message(message_id: int) -> str:
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template(
        "admin/outbox_message.html",
        message=message,
        text_body=linkify(message.body_text),
        html_preview=preview_document(message.body_html) if message.body_html else "",
        can_retry=message.status in (OutboxStatus.FAILED, OutboxStatus.PENDING),
        form=ConfirmForm(),
        delivering=bool(current_app.config.get("MAIL_SERVER")),
        now=utcnow(),
    )


@bp.post("/outbox/<int:message_id>/retry")
@admin_required
def retry(message_id: int) -> Response:
    message = db.get_or_404(OutboxMessage, message_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if mail.retry_message(message, now=utcnow()):
        db.session.commit()
        flash(_("The message is back in the queue and will be sent shortly."), "success")
    else:
        flash(_("Only a failed or waiting message can be sent again."), "warning")
    return redirect(url_for(".outbox_message", message_id=message_id))


_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Escape *text* and make its http(s) addresses links (for the plain-text body)."""
    parts: list[str] = []
    position = 0
    for found in _URL.finditer(text):
        url = found.group().rstrip(".,;:!?)")
        parts.append(escape(text[position : found.start()]))
        parts.append(Markup('<a href="{0}" rel="noreferrer">{0}</a>').format(url))
        position = found.start() + len(url)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def preview_document(body_html: str) -> str:
    """The e-mail's HTML with Sarabun embedded, for the sandboxed frame.

    A sandboxed frame has an origin of its own, so it could not load our font files (fonts need
    CORS); without them, machines lacking a Thai font would show boxes. data: URLs always load.
    """
    style = f"<style>{_embedded_fonts()}</style>"
    head = re.search(r"<head[^>]*>", body_html, re.IGNORECASE)
    if head is None:
        return style + body_html
    return body_html[: head.end()] + style + body_html[head.end() :]


@cache
def _embedded_fonts() -> str:
    """Sarabun's normal and bold Thai and Latin faces from our own sarabun.css, as data: URLs."""
    folder = Path(current_app.static_folder or "") / "vendor" / "sarabun"
    css = folder / "sarabun.css"
    if not css.exists():
        return ""
    rules = []
    for rule in re.findall(r"@font-face\s*\{[^}]*\}", css.read_text(encoding="utf-8")):
        found = re.search(
            r'url\("\./files/(sarabun-(?:thai|latin)-(?:400|700)-normal\.woff2)"\)', rule
        )
        if found is None or not (folder / "files" / found.group(1)).exists():
            continue
        data = base64.b64encode((folder / "files" / found.group(1)).read_bytes()).decode("ascii")
        rules.append(rule.replace(found.group(0), f"url(data:font/woff2;base64,{data})"))
    return "".join(rules)
