"""Admin pages: the audit log, who changed what and when, newest first.

Adds its routes to the admin blueprint (imported at the end of exchange/admin/__init__.py).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from exchange.admin.users import role_name
from exchange.admin.views import bp
from exchange.i18n import current_language
from exchange.labels import agency_kind_label
from exchange.models import AgencyKind, UserRole
from exchange.pagination import paginate
from exchange.permissions import admin_required
from exchange.services import user_admin

AUDIT_PER_PAGE = 50
VALUE_MAX_LENGTH = 160  # a long description is cut in the table (the full value stays stored)


def action_label(action: str) -> str:
    labels = {
        "create": _("Created"),
        "update": _("Changed"),
        "delete": _("Deleted"),
        "merge": _("Merged a duplicate into it"),
        "publish": _("Published"),
        "unpublish": _("Unpublished"),
        "cancel": _("Cancelled"),
        "reschedule": _("Rescheduled"),
        "duplicate": _("Copied"),
        "agenda": _("Agenda changed"),
        "agenda_delete": _("Agenda item removed"),
        "person_add": _("Person added"),
        "person_remove": _("Person removed"),
        "check_in": _("Checked in at the door"),
        "check_in_undo": _("Check-in undone"),
        "reminder_add": _("Reminder added"),
        "reminder_remove": _("Reminder removed"),
        "note_create": _("Summary written"),
        "note_update": _("Summary changed"),
        "note_publish": _("Summary published"),
        "note_unpublish": _("Summary back to draft"),
        "takeaway_add": _("Takeaway added"),
        "takeaway_update": _("Takeaway changed"),
        "takeaway_move": _("Takeaway moved"),
        "takeaway_remove": _("Takeaway removed"),
        "takeaway_publish": _("Takeaways published"),
        "note_taker_grant": _("Note-taker added"),
        "note_taker_revoke": _("Note-taker removed"),
        "api_token_create": _("API token created"),
        "api_token_revoke": _("API token revoked"),
    }
    return labels.get(action, action)


def entity_label(entity_type: str) -> str:
    labels = {
        "session": _("Session"),
        "agenda_item": _("Agenda item"),
        "agency": _("Agency"),
        "person": _("Person"),
        "topic": _("Topic"),
        "user": _("User"),
        "registration": _("Registration"),
        "appearance": _("Appearance"),
        "note": _("Summary"),
        "takeaway": _("Takeaway"),
        "api_token": _("API token"),
    }
    return labels.get(entity_type, entity_type)


def field_label(name: str) -> str:
    """A readable name for a changed field; unknown ones are shown as stored."""
    labels = {
        "name_th": _("Name in Thai"),
        "note_taker": _("Note-taker"),
        "name_en": _("Name in English"),
        "abbr_th": _("Abbreviation in Thai"),
        "abbr_en": _("Abbreviation in English"),
        "prefix_th": _("Prefix in Thai"),
        "prefix_en": _("Prefix in English"),
        "description_th": _("Description in Thai"),
        "description_en": _("Description in English"),
        "title_th": _("Title in Thai"),
        "title_en": _("Title in English"),
        "kind": _("Kind"),
        "parent_id": _("Part of"),
        "website": _("Website"),
        "slug": _("Web address name"),
        "role": _("Role"),
        "agency_id": _("Agency"),
        "active": _("Active"),
        "status": _("Status"),
        "merged_from": _("Merged from"),
        "sessions": _("Sessions"),
        "appearances": _("Appearances in sessions"),
        "takeaways": _("Takeaways"),
        "note_sections": _("Sections of summaries"),
        "registrations": _("Registrations"),
        "users": _("User accounts"),
        "children": _("Agencies under it"),
        "person": _("Person"),
        "copied_from": _("Copied from"),
    }
    return labels.get(name, name)


AGENCY_FIELDS = ("parent_id", "agency_id", "organiser_id")


def show_value(field: str, value: Any, agencies: dict[int, str]) -> str:
    """One stored value as text: agencies by name, roles and kinds in words, long text cut."""
    if field in AGENCY_FIELDS and isinstance(value, int):
        return f"{agencies.get(value, '')} (#{value})".strip()
    if field == "role" and value in {r.value for r in UserRole}:
        return role_name(UserRole(value))
    if field == "kind" and value in {k.value for k in AgencyKind}:
        return agency_kind_label(AgencyKind(value))
    if value is None or value == "":
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    text = str(value)
    return text if len(text) <= VALUE_MAX_LENGTH else text[: VALUE_MAX_LENGTH - 1] + "…"


def target_url(target: user_admin.Target) -> str | None:
    """Where an admin opens the record now (None: there is no page for it)."""
    endpoints = {
        "agency": ("directory.agency_edit", {"record_id": target.id}),
        "person": ("directory.person_edit", {"record_id": target.id}),
        "topic": ("directory.topic_edit", {"record_id": target.id}),
        "user": ("admin.user_edit", {"user_id": target.id}),
        # The session editor belongs to the organiser workspace; the roster page as a fallback.
        "session": (
            "organiser.edit_session"
            if "organiser.edit_session" in current_app.view_functions
            else "organiser.registrations",
            {"slug": target.slug},
        ),
    }
    endpoint, args = endpoints.get(target.entity_type, (None, {}))
    if endpoint is None or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **args)


@bp.get("/audit")
@admin_required
def audit() -> str:
    entity_type = request.args.get("entity", "").strip() or None
    user_arg = request.args.get("user", "")
    # at most 9 digits: an id fits a 32-bit INTEGER (beyond it, a 500 from either database)
    if user_arg and not (user_arg.isascii() and user_arg.isdecimal() and len(user_arg) <= 9):
        abort(404)
    user_id = int(user_arg) if user_arg else None
    per_page = current_app.config.get("AUDIT_PER_PAGE", AUDIT_PER_PAGE)
    pagination = paginate(user_admin.audit_query(entity_type, user_id), per_page)
    agency_ids = {
        value
        for entry in pagination.items
        for field, pair in (entry.changes or {}).items()
        if field in AGENCY_FIELDS
        for value in pair
        if isinstance(value, int)
    }
    agencies = user_admin.agency_names(agency_ids, current_language())
    targets = user_admin.existing_targets(pagination.items)
    links = {key: target_url(target) for key, target in targets.items()}
    types = sorted(user_admin.audit_entity_types(), key=lambda t: entity_label(t).casefold())
    return render_template(
        "admin/audit.html",
        pagination=pagination,
        links=links,
        entity_type=entity_type,
        user_id=user_id,
        entity_types=types,
        authors=user_admin.audit_authors(),
        action_label=action_label,
        entity_label=entity_label,
        field_label=field_label,
        show_value=lambda field, value: show_value(field, value, agencies),
    )
