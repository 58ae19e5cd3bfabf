"""Every model, imported here so that Alembic and `db.create_all` see all tables."""

from exchange.models.agency import Agency, AgencyKind
from exchange.models.api_token import ApiToken
from exchange.models.audit import AuditEntry
from exchange.models.certificate import Certificate
from exchange.models.data_version import DataVersion
from exchange.models.feedback import FeedbackAnswer, FeedbackQuestion, FeedbackResponse
from exchange.models.learning_session import (
    ROLE_ORDER,
    AgendaItem,
    Appearance,
    AttendanceBasis,
    LearningSession,
    Role,
    SessionFormat,
    SessionStatus,
)
from exchange.models.material import Material, Visibility
from exchange.models.note import ContentStatus, Note, NoteSection, NoteTaker
from exchange.models.outbox import OutboxMessage, OutboxStatus
from exchange.models.person import Person
from exchange.models.registration import Registration, RegistrationStatus
from exchange.models.reminder import DEFAULT_REMINDERS, Notice, NoticeKind, SessionReminder
from exchange.models.search import (
    SearchDocument,
    SearchKind,
    search_document_agency,
    search_document_topic,
)
from exchange.models.takeaway import Takeaway, TakeawayKind, takeaway_agency
from exchange.models.topic import Topic, session_topic, takeaway_topic
from exchange.models.user import AuthToken, TokenPurpose, User, UserRole, normalise_email

__all__ = [
    "DEFAULT_REMINDERS",
    "ROLE_ORDER",
    "Agency",
    "AgencyKind",
    "AgendaItem",
    "ApiToken",
    "Appearance",
    "AttendanceBasis",
    "AuditEntry",
    "AuthToken",
    "Certificate",
    "ContentStatus",
    "DataVersion",
    "FeedbackAnswer",
    "FeedbackQuestion",
    "FeedbackResponse",
    "LearningSession",
    "Material",
    "Note",
    "NoteSection",
    "NoteTaker",
    "Notice",
    "NoticeKind",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "Registration",
    "RegistrationStatus",
    "Role",
    "SearchDocument",
    "SearchKind",
    "SessionFormat",
    "SessionReminder",
    "SessionStatus",
    "Takeaway",
    "TakeawayKind",
    "TokenPurpose",
    "Topic",
    "User",
    "UserRole",
    "Visibility",
    "normalise_email",
    "search_document_agency",
    "search_document_topic",
    "session_topic",
    "takeaway_agency",
    "takeaway_topic",
]
