"""A scheduled session (webinar, panel, talk), its agenda and who appears in it."""

from __future__ import annotations

import enum
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from exchange.db import db, utcnow
from exchange.models.bilingual import Bilingual
from exchange.models.topic import session_topic

if TYPE_CHECKING:
    from exchange.models.agency import Agency
    from exchange.models.feedback import FeedbackQuestion
    from exchange.models.material import Material
    from exchange.models.note import Note
    from exchange.models.person import Person
    from exchange.models.registration import Registration
    from exchange.models.reminder import SessionReminder
    from exchange.models.takeaway import Takeaway
    from exchange.models.topic import Topic


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SessionFormat(enum.StrEnum):
    ONLINE = "online"
    ONSITE = "onsite"
    HYBRID = "hybrid"


class AttendanceBasis(enum.StrEnum):
    """What counts as having attended, for follow-ups and certificates."""

    EITHER = "either"  # checked in at the door or joined online
    CHECK_IN = "check_in"
    ONLINE = "online"


class Role(enum.StrEnum):
    """A person's part in a session, in the order pages list them."""

    HOST = "host"
    KEYNOTE = "keynote"
    SPEAKER = "speaker"
    MODERATOR = "moderator"
    PANELLIST = "panellist"


ROLE_ORDER = {role: n for n, role in enumerate(Role)}


class LearningSession(Bilingual, db.Model):
    __tablename__ = "learning_session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "registration_opens_at IS NULL OR registration_closes_at IS NULL"
            " OR registration_closes_at > registration_opens_at",
            name="registration_window_order",
        ),
        CheckConstraint("ical_sequence >= 0", name="sequence_not_negative"),
        Index("ix_learning_session_status_starts_at", "status", "starts_at"),
        # upcoming sessions (home, /sessions, topic pages): those not yet ended, a range of
        # this index, rather than a walk of (status, starts_at) past every ended session. No
        # index on starts_at alone: the planner would walk it for "upcoming, soonest first"
        Index("ix_learning_session_status_ends_at", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title_th: Mapped[str] = mapped_column(String(400))
    title_en: Mapped[str] = mapped_column(String(400), default="")
    description_th: Mapped[str] = mapped_column(Text, default="")  # Markdown
    description_en: Mapped[str] = mapped_column(Text, default="")
    organiser_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    format: Mapped[SessionFormat] = mapped_column(default=SessionFormat.ONLINE)
    venue: Mapped[str] = mapped_column(String(400), default="")  # a room and address, onsite
    platform: Mapped[str] = mapped_column(String(120), default="")  # "Zoom", online
    join_url: Mapped[str] = mapped_column(String(1000), default="")  # secret until registered
    starts_at: Mapped[datetime]  # aware UTC (see exchange.db.UTCDateTime)
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Bangkok")  # IANA name
    capacity: Mapped[int | None]  # None = unlimited
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    status: Mapped[SessionStatus] = mapped_column(default=SessionStatus.DRAFT)
    ical_sequence: Mapped[int] = mapped_column(default=0)
    recording_url: Mapped[str] = mapped_column(String(1000), default="")
    attendance_basis: Mapped[AttendanceBasis] = mapped_column(default=AttendanceBasis.EITHER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organiser: Mapped[Agency | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=session_topic, order_by="Topic.name_th")
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="learning_session",
        cascade="all, delete-orphan",
        order_by="AgendaItem.position",
    )
    appearances: Mapped[list[Appearance]] = relationship(
        back_populates="learning_session",
        cascade="all, delete-orphan",
        order_by="Appearance.sort_order",
    )
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="learning_session", cascade="all, delete-orphan", passive_deletes=True
    )
    notes: Mapped[list[Note]] = relationship(
        back_populates="learning_session", cascade="all, delete-orphan", passive_deletes=True
    )
    takeaways: Mapped[list[Takeaway]] = relationship(
        back_populates="learning_session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Takeaway.position",
    )

    reminders: Mapped[list[SessionReminder]] = relationship(
        back_populates="learning_session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SessionReminder.minutes_before.desc()",
    )
    materials: Mapped[list[Material]] = relationship(
        back_populates="learning_session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Material.position",
    )
    feedback_questions: Mapped[list[FeedbackQuestion]] = relationship(
        back_populates="learning_session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="FeedbackQuestion.position",
    )

    @validates("timezone")
    def _validate_timezone(self, key: str, value: str) -> str:
        """Only IANA names that zoneinfo knows: calendars need a VTIMEZONE for the TZID."""
        if not is_known_timezone(value):
            raise ValueError(f"unknown timezone: {value!r}")
        return value

    @validates("starts_at", "ends_at")
    def _validate_time(self, key: str, value: datetime | None) -> datetime:
        """Both ends are required and aware (the order is the CHECK's, and the services')."""
        if value is None:
            raise ValueError(f"{key} is required: a session has a start and an end")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{key} must be an aware datetime")
        return value

    def is_past(self, now: datetime) -> bool:
        return self.ends_at <= now

    def __repr__(self) -> str:
        return f"<LearningSession {self.slug}>"


_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})  # files, not places


@cache
def _timezone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def is_known_timezone(name: object) -> bool:
    """An IANA timezone name that zoneinfo can load ("Asia/Bangkok"), not "localtime" or "+07"."""
    if not isinstance(name, str) or name not in _timezone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class AgendaItem(Bilingual, db.Model):
    """An ordered part of a session (opening talk, panel, Q&A) with its own times."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("learning_session.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title_th: Mapped[str] = mapped_column(String(400))
    title_en: Mapped[str] = mapped_column(String(400), default="")
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]

    learning_session: Mapped[LearningSession] = relationship(back_populates="agenda_items")
    appearances: Mapped[list[Appearance]] = relationship(
        back_populates="agenda_item", order_by="Appearance.sort_order"
    )


class Appearance(Bilingual, db.Model):
    """A person in a role at a session, with position and agency *as they were then*."""

    __table_args__ = (UniqueConstraint("session_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("learning_session.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[Role]
    position_title_th: Mapped[str] = mapped_column(String(300), default="")
    position_title_en: Mapped[str] = mapped_column(String(300), default="")
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    sort_order: Mapped[int] = mapped_column(default=0)

    learning_session: Mapped[LearningSession] = relationship(back_populates="appearances")
    agenda_item: Mapped[AgendaItem | None] = relationship(back_populates="appearances")
    person: Mapped[Person] = relationship()
    agency: Mapped[Agency | None] = relationship()
