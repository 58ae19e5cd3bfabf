"""Certificates of attendance: the participant's PDF and the public check of its code."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exchange.db import db, utcnow
from exchange.models import Certificate
from exchange.services import certificates

bp = Blueprint("certificates", __name__)

PRIVATE = {"Cache-Control": "private, no-store"}
# A holder's name is on the check page: say so to search engines, and keep it out of caches.
CHECK_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@bp.get("/me/certificates/<int:registration_id>.pdf")
@login_required
def download(registration_id: int) -> Response | tuple[str, int, dict[str, str]]:
    """The PDF, issued on the first download; ``?lang=th|en``, else the holder's language."""
    language = _pdf_language()
    registration = certificates.registration_for_certificate(registration_id)
    refused = certificates.refusal(registration, current_user.id, utcnow())
    if refused is not None:
        page = render_template("certificates/refused.html", reason=refused.value)
        return page, 404 if refused is certificates.Refusal.NOT_FOUND else 403, PRIVATE
    certificate = certificates.printable(id=_issued(registration_id))
    if certificate is None:  # the registration was deleted in between
        abort(404)
    pdf = _render(certificate, language)
    filename = f"certificate-{certificates.printed_code(certificate.code)}-{language}.pdf"
    headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(pdf, mimetype="application/pdf", headers=headers)


@bp.get("/certificates")
def lookup() -> Response | tuple[str, int, dict[str, str]]:
    """A form to type a code from paper; sends it on to the check page."""
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("certificates.verify", code=code))
    return render_template("certificates/lookup.html"), 200, CHECK_HEADERS


@bp.get("/certificates/<code>")
def verify(code: str) -> tuple[str, int, dict[str, str]]:
    """Public: is this a certificate we issued? Shows only what the certificate prints."""
    certificate = certificates.by_code(code)
    if certificate is None:
        return render_template("certificates/unknown.html", code=code), 404, CHECK_HEADERS
    page = render_template(
        "certificates/verify.html",
        certificate=certificate,
        s=certificate.registration.learning_session,
        printed_code=certificates.printed_code(certificate.code),
    )
    return page, 200, CHECK_HEADERS


def _pdf_language() -> str:
    requested = request.args.get("lang")
    if requested in current_app.config["LANGUAGES"]:
        return requested
    return current_user.locale if current_user.locale in current_app.config["LANGUAGES"] else "th"


def _issued(registration_id: int) -> int:
    """The id of the registration's certificate, issued now if this is the first download."""
    certificate = certificates.certificate_of(registration_id)
    if certificate is not None:
        return certificate.id
    holder_name = current_user.display_name
    db.session.commit()  # end the read: a SQLite transaction that has read cannot wait to write
    certificate_id = certificates.issue(registration_id, holder_name).id
    db.session.commit()
    return certificate_id


def _render(certificate: Certificate, language: str) -> bytes:
    printed = certificates.printed_code(certificate.code)
    with force_locale(language):
        html = render_template(
            "certificates/certificate.html",
            certificate=certificate,
            s=certificate.registration.learning_session,
            language=language,
            printed_code=printed,
            verify_url=url_for("certificates.verify", code=printed, _external=True),
        )
    # WeasyPrint loads Pango when imported: only when a PDF is asked for, so the rest of
    # the site runs on a machine without it.
    from exchange.certificates.pdf import render_pdf

    return render_pdf(html, Path(current_app.static_folder or "static"))
