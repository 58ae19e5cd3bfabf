"""Translated names of our enums, for templates (``role_label(appearance.role)``)."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from exchange.models import (
    AgencyKind,
    RegistrationStatus,
    Role,
    SessionFormat,
    SessionStatus,
    TakeawayKind,
)


def role_label(role: Role) -> str:
    return {
        Role.HOST: _("Host"),
        Role.KEYNOTE: _("Keynote speaker"),
        Role.SPEAKER: _("Speaker"),
        Role.MODERATOR: _("Moderator"),
        Role.PANELLIST: _("Panellist"),
    }[role]


def kind_label(kind: TakeawayKind, plural: bool = False) -> str:
    if plural:
        return {
            TakeawayKind.INITIATIVE: _("Initiatives"),
            TakeawayKind.PRACTICE: _("Practices"),
            TakeawayKind.SUCCESS_FACTOR: _("Secrets of success"),
            TakeawayKind.CONCLUSION: _("Conclusions"),
        }[kind]
    return {
        TakeawayKind.INITIATIVE: _("Initiative"),
        TakeawayKind.PRACTICE: _("Practice"),
        TakeawayKind.SUCCESS_FACTOR: _("Secret of success"),
        TakeawayKind.CONCLUSION: _("Conclusion"),
    }[kind]


def format_label(session_format: SessionFormat) -> str:
    return {
        SessionFormat.ONLINE: _("Online"),
        SessionFormat.ONSITE: _("On site"),
        SessionFormat.HYBRID: _("Hybrid"),
    }[session_format]


def status_label(status: SessionStatus) -> str:
    return {
        SessionStatus.DRAFT: _("Draft"),
        SessionStatus.PUBLISHED: _("Published"),
        SessionStatus.CANCELLED: _("Cancelled"),
    }[status]


def registration_status_label(status: RegistrationStatus) -> str:
    return {
        RegistrationStatus.CONFIRMED: _("Confirmed"),
        RegistrationStatus.WAITLISTED: _("Waitlisted"),
        RegistrationStatus.PENDING: _("Awaiting e-mail confirmation"),
        RegistrationStatus.CANCELLED: _("Cancelled"),
    }[status]


def agency_kind_label(kind: AgencyKind) -> str:
    return {
        AgencyKind.MINISTRY: _("Ministry"),
        AgencyKind.DEPARTMENT: _("Department"),
        AgencyKind.OFFICE: _("Office"),
        AgencyKind.INSTITUTE: _("Institute"),
        AgencyKind.UNIVERSITY: _("University"),
        AgencyKind.FACULTY: _("Faculty"),
        AgencyKind.OTHER: _("Agency"),
    }[kind]


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        role_label=role_label,
        kind_label=kind_label,
        format_label=format_label,
        status_label=status_label,
        registration_status_label=registration_status_label,
        agency_kind_label=agency_kind_label,
    )
