"""Certificates of attendance: who may have one, issuing it once, finding it by its code."""

from __future__ import annotations

import enum
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from exchange.db import db
from exchange.models import (
    Certificate,
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
)

# No 0/O, 1/I/L: a code is read off paper and typed back, so no two characters look alike.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31**12 ≈ 8 * 10**17: not guessable, and a collision is only retried
CODE_GROUP = 4
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]+")  # spaces and dashes, as printed or typed


class Refusal(enum.StrEnum):
    """Why a registration has no certificate (the page tells which, in the reader's language)."""

    NOT_FOUND = "not_found"  # no such registration, or someone else's: 404, reveals nothing
    NOT_CONFIRMED = "not_confirmed"
    CANCELLED = "cancelled"  # the session was cancelled
    NOT_ENDED = "not_ended"
    NOT_ATTENDED = "not_attended"


def refusal(registration: Registration | None, user_id: int, now: datetime) -> Refusal | None:
    """None if *user_id* may have a certificate for *registration*, else why not (no query
    beyond the registration's session, which callers load with it)."""
    if registration is None or registration.user_id != user_id:
        return Refusal.NOT_FOUND
    learning_session = registration.learning_session
    if learning_session.status is SessionStatus.CANCELLED:
        return Refusal.CANCELLED
    if learning_session.status is not SessionStatus.PUBLISHED:
        return Refusal.NOT_FOUND
    if registration.status is not RegistrationStatus.CONFIRMED:
        return Refusal.NOT_CONFIRMED
    if learning_session.ends_at > now:
        return Refusal.NOT_ENDED
    if not registration.attended(learning_session.attendance_basis):
        return Refusal.NOT_ATTENDED
    return None


def registration_for_certificate(registration_id: int) -> Registration | None:
    """A registration with its session and organiser, in one query."""
    return db.session.scalar(
        select(Registration)
        .where(Registration.id == registration_id)
        .options(joinedload(Registration.learning_session).joinedload(LearningSession.organiser))
    )


def certificate_of(registration_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).filter_by(registration_id=registration_id))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def issue(registration_id: int, holder_name: str) -> Certificate:
    """Insert the registration's certificate, or return the one a simultaneous request made.

    Inserts first and reads after a unique violation, so callers on SQLite should start a fresh
    transaction before calling (a transaction that has read cannot wait for the write lock).
    Flushes, never commits.
    """
    for _attempt in range(5):
        certificate = Certificate(
            registration_id=registration_id, holder_name=holder_name[:200], code=new_code()
        )
        try:
            with db.session.begin_nested():  # a lost race undoes only this insert
                db.session.add(certificate)
        except IntegrityError:
            existing = certificate_of(registration_id)
            if existing is not None:
                return existing  # the other request issued it first
            # else the code was taken (practically never): draw another
        else:
            return certificate
    raise RuntimeError("No free certificate code after 5 draws.")


def normalise_code(raw: str) -> str | None:
    """The stored form of a code as printed or typed ("abcd efgh-jkmn"), or None if it cannot
    be one (then there is nothing to look up)."""
    code = _SEPARATORS.sub("", raw).upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def printed_code(code: str) -> str:
    """ "ABCDEFGHJKMN" -> "ABCD-EFGH-JKMN": easier to read off paper and to type back."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def printable(**where: object) -> Certificate | None:
    """A certificate (by ``id=`` or ``code=``) with its session and organiser, in one query."""
    return db.session.scalar(
        select(Certificate)
        .filter_by(**where)
        .options(
            joinedload(Certificate.registration)
            .joinedload(Registration.learning_session)
            .joinedload(LearningSession.organiser)
        )
    )


def by_code(raw: str) -> Certificate | None:
    """The certificate a visitor's code names, however they spaced or cased it."""
    code = normalise_code(raw)
    return printable(code=code) if code else None
