"""Who may reach what: the expected answer for every route of the app, role by role.

`tests/test_authorisation_matrix.py` sends each request and compares; it also fails when a
route in the app's URL map has no row here, or a row names a route that is gone, so a new
route cannot ship without someone deciding who may use it.

A row is keyed by (endpoint, method). `expect` gives one answer per role, in `ROLES` order;
`draft` the answers when the session in the URL is a draft (rows without a session in their
URL have none). `args` says which value of the seeded world (`seed`, at the end) fills each
URL argument when the default for its name (`DEFAULT_ARGS`) is not the right one.

On a draft's workspace pages another agency's organiser gets 403, as for a published session
(the workspace's rule is "log in, then 404, then 403"); on public addresses a draft is a 404
for everyone, its organisers included (they see it at /manage/sessions/<slug>/preview).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from exchange.db import db
from exchange.models import (
    Agency,
    AgendaItem,
    Appearance,
    ContentStatus,
    FeedbackQuestion,
    LearningSession,
    Material,
    Note,
    NoteTaker,
    OutboxMessage,
    Person,
    Registration,
    RegistrationStatus,
    Role,
    SessionFormat,
    SessionReminder,
    SessionStatus,
    Takeaway,
    TakeawayKind,
    TokenPurpose,
    Topic,
    UserRole,
    Visibility,
)

ROLES = ("anonymous", "participant", "note_taker", "other_organiser", "organiser", "admin")
# participant: a confirmed registrant of the session under test (and an attendee of the past
#   one); note_taker: a participant account named note-taker of the session; other_organiser:
#   an organiser of agency B; organiser: an organiser of agency A, which runs the sessions.

OK = "ok"  # allowed: 2xx, 3xx (not to the log-in page) or 400/409/413/422 for an empty form
LOGIN = "login"  # 302 to /auth/login?next=…

Expect = tuple[str | int, ...]


def roles(*answers: str | int) -> Expect:
    assert len(answers) == len(ROLES)
    return answers


EVERYONE = roles(OK, OK, OK, OK, OK, OK)
SIGNED_IN = roles(LOGIN, OK, OK, OK, OK, OK)
ORGANISERS = roles(LOGIN, 403, 403, OK, OK, OK)  # any organiser (the shared directory)
MANAGERS = roles(LOGIN, 403, 403, 403, OK, OK)  # the session's agency's organisers, admins
NOTE_WRITERS = roles(LOGIN, 403, OK, 403, OK, OK)  # managers and the session's note-takers
ADMINS = roles(LOGIN, 403, 403, 403, 403, OK)
HIDDEN = roles(404, 404, 404, 404, 404, 404)  # a draft on a public address
# The API knows a caller only by a Bearer token: none is a 401, never a log-in page.
API_EVERYONE = EVERYONE
API_SIGNED_IN = roles(401, OK, OK, OK, OK, OK)
API_ORGANISERS = roles(401, 403, 403, OK, OK, OK)
API_MANAGERS = roles(401, 403, 403, 403, OK, OK)


@dataclass(frozen=True)
class Row:
    expect: Expect
    draft: Expect | None = None
    args: dict[str, str] = field(default_factory=dict)
    api: bool = False


# URL argument -> the fixture value that fills it (see `World` in the test module).
DEFAULT_ARGS = {
    "slug": "session",
    "material_id": "material",
    "filename": "filename",
    "registration_id": "registration",
    "takeaway_id": "takeaway",
    "question_id": "question",
    "reminder_id": "reminder",
    "row_id": "agenda_item",
    "user_id": "note_taker",
    "token_id": "api_token",
    "message_id": "message",
    "record_id": "agency",
    "secret": "reset_secret",
    "token": "join_token",
    "code": "certificate_code",
    "kind": "schedule_kind",  # the <any(…)> parts: one of their words
    "part": "part",
    "direction": "direction",
    "language": "language",
}

AGENCY = {"slug": "agency_slug"}
TOPIC = {"slug": "topic_slug"}
PERSON = {"slug": "person_slug"}
PAST = {"slug": "past_session"}


def _api(expect: Expect, draft: Expect | None = None, **args: str) -> Row:
    return Row(expect, draft, args, api=True)


MATRIX: dict[tuple[str, str], Row] = {
    # --- public pages, feeds and exports ---------------------------------------------------
    ("main.index", "GET"): Row(EVERYONE),
    ("main.set_language", "GET"): Row(EVERYONE, args={"code": "language"}),
    ("sessions.index", "GET"): Row(EVERYONE),
    ("sessions.detail", "GET"): Row(EVERYONE, HIDDEN),
    ("sessions.compare", "GET"): Row(EVERYONE, HIDDEN),
    ("ics.session_file", "GET"): Row(EVERYONE, HIDDEN),
    ("ics.feed", "GET"): Row(EVERYONE),
    ("ics.agency_feed", "GET"): Row(EVERYONE, args=AGENCY),
    ("ics.topic_feed", "GET"): Row(EVERYONE, args=TOPIC),
    # a secret address: whoever holds it gets the owner's feed, by design (renewable on /me)
    ("ics.personal_feed", "GET"): Row(EVERYONE, args={"token": "calendar_token"}),
    ("agencies.index", "GET"): Row(EVERYONE),
    ("agencies.detail", "GET"): Row(EVERYONE, args=AGENCY),
    ("knowledge.takeaways", "GET"): Row(EVERYONE),
    ("knowledge.topics", "GET"): Row(EVERYONE),
    ("knowledge.topic", "GET"): Row(EVERYONE, args=TOPIC),
    ("knowledge.person", "GET"): Row(EVERYONE, args=PERSON),
    ("knowledge.atom", "GET"): Row(EVERYONE),
    ("search.index", "GET"): Row(EVERYONE),
    ("schedule_export.programme", "GET"): Row(EVERYONE),
    ("schedule_export.agency_programme", "GET"): Row(EVERYONE, args=AGENCY),
    ("schedule_export.topic_programme", "GET"): Row(EVERYONE, args=TOPIC),
    ("certificates.lookup", "GET"): Row(EVERYONE),
    ("certificates.verify", "GET"): Row(EVERYONE),
    # the personal join link is a capability: it is the registrant's, whoever follows it
    ("join.follow", "GET"): Row(EVERYONE),
    ("api_docs.docs", "GET"): Row(EVERYONE),
    # --- accounts ------------------------------------------------------------------------
    ("auth.signup", "GET"): Row(EVERYONE),
    ("auth.signup", "POST"): Row(EVERYONE),
    ("auth.signup_sent", "GET"): Row(EVERYONE),
    # the e-mailed link is the proof of the address: whoever holds it may finish the sign-up
    ("auth.signup_confirm", "GET"): Row(EVERYONE, args={"secret": "signup_secret"}),
    ("auth.signup_confirm", "POST"): Row(EVERYONE, args={"secret": "signup_secret"}),
    ("auth.login", "GET"): Row(EVERYONE),
    ("auth.login", "POST"): Row(EVERYONE),
    ("auth.logout", "POST"): Row(EVERYONE),
    ("auth.reset_request", "GET"): Row(EVERYONE),
    ("auth.reset_request", "POST"): Row(EVERYONE),
    ("auth.reset", "GET"): Row(EVERYONE),
    ("auth.reset", "POST"): Row(EVERYONE),
    ("auth.confirm", "GET"): Row(EVERYONE, args={"secret": "confirm_secret"}),
    ("auth.confirm", "POST"): Row(EVERYONE, args={"secret": "confirm_secret"}),
    # --- a participant's own things --------------------------------------------------------
    ("registration.register", "POST"): Row(SIGNED_IN, HIDDEN),
    ("registration.register_guest", "POST"): Row(EVERYONE, HIDDEN),
    ("registration.cancel", "POST"): Row(SIGNED_IN, HIDDEN),
    # registrants-only material: confirmed registrants and the session's managers
    ("materials.download", "GET"): Row(
        roles(LOGIN, OK, 403, 403, OK, OK), roles(404, 404, 404, 404, OK, OK)
    ),
    # the evaluation of the past session: its attendee only (others see why not: 403)
    ("feedback.respond", "GET"): Row(roles(LOGIN, OK, 403, 403, 403, 403), HIDDEN, PAST),
    ("feedback.respond", "POST"): Row(roles(LOGIN, OK, 403, 403, 403, 403), HIDDEN, PAST),
    ("feedback.thanks", "GET"): Row(SIGNED_IN, HIDDEN, PAST),
    ("me.index", "GET"): Row(SIGNED_IN),
    ("me.profile", "GET"): Row(SIGNED_IN),
    ("me.profile", "POST"): Row(SIGNED_IN),  # but an organiser cannot change agency there
    ("me.password", "POST"): Row(SIGNED_IN),
    ("me.regenerate_calendar_token", "POST"): Row(SIGNED_IN),
    ("me.create_token", "POST"): Row(SIGNED_IN),
    # the participant's own token and certificate: someone else's is not found, admins too
    ("me.revoke_token", "POST"): Row(roles(LOGIN, OK, 404, 404, 404, 404)),
    ("certificates.download", "GET"): Row(
        roles(LOGIN, OK, 404, 404, 404, 404), args={"registration_id": "past_registration"}
    ),
    # --- the organiser workspace: any organiser ------------------------------------------
    ("organiser.dashboard", "GET"): Row(ORGANISERS),
    ("organiser.sessions", "GET"): Row(ORGANISERS),
    ("organiser.new_session", "GET"): Row(ORGANISERS),
    ("organiser.new_session", "POST"): Row(ORGANISERS),
    ("directory.agencies", "GET"): Row(ORGANISERS),
    ("directory.agency_new", "GET"): Row(ORGANISERS),
    ("directory.agency_new", "POST"): Row(ORGANISERS),
    ("directory.agency_edit", "GET"): Row(ORGANISERS),
    ("directory.agency_edit", "POST"): Row(ORGANISERS),
    # any organiser merges a plain duplicate; one that organises sessions or has organisers
    # changes who manages what, so only an admin (see the tests at the end of the test module)
    ("directory.agency_merge", "GET"): Row(ORGANISERS),
    ("directory.agency_merge", "POST"): Row(ORGANISERS),
    ("directory.agency_delete", "POST"): Row(ORGANISERS),
    ("directory.people", "GET"): Row(ORGANISERS),
    ("directory.person_new", "GET"): Row(ORGANISERS),
    ("directory.person_new", "POST"): Row(ORGANISERS),
    ("directory.person_edit", "GET"): Row(ORGANISERS, args={"record_id": "person"}),
    ("directory.person_edit", "POST"): Row(ORGANISERS, args={"record_id": "person"}),
    ("directory.person_merge", "GET"): Row(ORGANISERS, args={"record_id": "person"}),
    ("directory.person_merge", "POST"): Row(ORGANISERS, args={"record_id": "person"}),
    ("directory.person_delete", "POST"): Row(ORGANISERS, args={"record_id": "person"}),
    ("directory.topics", "GET"): Row(ORGANISERS),
    ("directory.topic_new", "GET"): Row(ORGANISERS),
    ("directory.topic_new", "POST"): Row(ORGANISERS),
    ("directory.topic_edit", "GET"): Row(ORGANISERS, args={"record_id": "topic"}),
    ("directory.topic_edit", "POST"): Row(ORGANISERS, args={"record_id": "topic"}),
    ("directory.topic_merge", "GET"): Row(ORGANISERS, args={"record_id": "topic"}),
    ("directory.topic_merge", "POST"): Row(ORGANISERS, args={"record_id": "topic"}),
    ("directory.topic_delete", "POST"): Row(ORGANISERS, args={"record_id": "topic"}),
    # --- one session's workspace: its agency's organisers and admins ----------------------
    ("organiser.edit_session", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.edit_session", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.preview", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.publish", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.unpublish", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.cancel", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.duplicate", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.agenda", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.agenda", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.people", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.people", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.move_row", "POST"): Row(MANAGERS),
    ("organiser.remove_row", "POST"): Row(MANAGERS),
    ("organiser.registrations", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.registrations_csv", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.check_in", "POST"): Row(MANAGERS),
    ("organiser.capacity", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.session_dashboard", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.note_takers", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.note_takers", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.revoke_note_taker", "POST"): Row(MANAGERS),
    ("organiser.reminders", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.reminders", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.remove_reminder", "POST"): Row(MANAGERS),
    ("organiser.materials", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.materials", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.edit_material", "POST"): Row(MANAGERS),
    ("organiser.move_material", "POST"): Row(MANAGERS),
    ("organiser.remove_material", "POST"): Row(MANAGERS),
    ("organiser.recording", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.feedback", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.feedback", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.feedback_csv", "GET"): Row(MANAGERS, MANAGERS),
    ("organiser.feedback_defaults", "POST"): Row(MANAGERS, MANAGERS),
    ("organiser.edit_feedback_question", "GET"): Row(MANAGERS),
    ("organiser.edit_feedback_question", "POST"): Row(MANAGERS),
    ("organiser.move_feedback_question", "POST"): Row(MANAGERS),
    ("organiser.remove_feedback_question", "POST"): Row(MANAGERS),
    # --- what was learned: managers and the session's note-takers --------------------------
    ("organiser.notes", "GET"): Row(NOTE_WRITERS, NOTE_WRITERS),
    ("organiser.notes", "POST"): Row(NOTE_WRITERS, NOTE_WRITERS),
    ("organiser.note_preview", "POST"): Row(NOTE_WRITERS, NOTE_WRITERS),
    ("organiser.takeaways", "GET"): Row(NOTE_WRITERS, NOTE_WRITERS),
    ("organiser.takeaways", "POST"): Row(NOTE_WRITERS, NOTE_WRITERS),
    ("organiser.edit_takeaway", "GET"): Row(NOTE_WRITERS),
    ("organiser.edit_takeaway", "POST"): Row(NOTE_WRITERS),
    ("organiser.move_takeaway", "POST"): Row(NOTE_WRITERS),
    ("organiser.remove_takeaway", "POST"): Row(NOTE_WRITERS),
    ("organiser.publish_takeaways", "POST"): Row(NOTE_WRITERS, NOTE_WRITERS),
    # --- admins ----------------------------------------------------------------------------
    ("admin.users", "GET"): Row(ADMINS),
    ("admin.user_edit", "GET"): Row(ADMINS, args={"user_id": "participant"}),
    ("admin.user_edit", "POST"): Row(ADMINS, args={"user_id": "participant"}),
    ("admin.audit", "GET"): Row(ADMINS),
    ("admin.outbox", "GET"): Row(ADMINS),
    ("admin.outbox_message", "GET"): Row(ADMINS),
    ("admin.retry", "POST"): Row(ADMINS),
    # --- the JSON API (a Bearer token per role; its own tests check the rest) ---------------
    ("api.openapi_document", "GET"): _api(API_EVERYONE),
    ("api.sessions", "GET"): _api(API_EVERYONE),
    ("api.session", "GET"): _api(API_EVERYONE, HIDDEN),
    ("api.agencies", "GET"): _api(API_EVERYONE),
    ("api.agency", "GET"): _api(API_EVERYONE, **AGENCY),
    ("api.people", "GET"): _api(API_EVERYONE),
    ("api.person", "GET"): _api(API_EVERYONE, **PERSON),
    ("api.topics", "GET"): _api(API_EVERYONE),
    ("api.topic", "GET"): _api(API_EVERYONE, **TOPIC),
    ("api.takeaways", "GET"): _api(API_EVERYONE),
    ("api.search", "GET"): _api(API_EVERYONE),
    ("api.me", "GET"): _api(API_SIGNED_IN),
    ("api.my_registrations", "GET"): _api(API_SIGNED_IN),
    ("api.register", "POST"): _api(API_SIGNED_IN, roles(401, 404, 404, 404, 404, 404)),
    # only the participant holds a seat to cancel: the others' is a 404 (no registration)
    ("api.cancel_registration", "DELETE"): _api(
        roles(401, OK, 404, 404, 404, 404), roles(401, 404, 404, 404, 404, 404)
    ),
    ("api.managed_sessions", "GET"): _api(API_ORGANISERS),
    ("api.managed_session", "GET"): _api(API_MANAGERS, API_MANAGERS),
    ("api.create_session", "POST"): _api(API_ORGANISERS),
    ("api.update_session", "PATCH"): _api(API_MANAGERS, API_MANAGERS),
    ("api.publish_session", "POST"): _api(API_MANAGERS, API_MANAGERS),
    ("api.unpublish_session", "POST"): _api(API_MANAGERS, API_MANAGERS),
    ("api.cancel_session", "POST"): _api(API_MANAGERS, API_MANAGERS),
}

# Rules the matrix does not cover, with the reason.
SKIPPED_ENDPOINTS = {
    "static": "files from static/, the same for everyone (no view code runs)",
}
# Methods Werkzeug adds to every rule: HEAD answers as GET does, OPTIONS lists the methods.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


# --- the world the rows name ------------------------------------------------------------------

STORED_FILES = ("m-upcoming", "m-draft")  # the materials of the upcoming and draft sessions
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _session(agency: Agency, slug: str, status: SessionStatus, start: datetime) -> LearningSession:
    return LearningSession(
        slug=slug,
        title_th=f"กิจกรรม {slug}",
        title_en=f"Session {slug}",
        organiser=agency,
        status=status,
        format=SessionFormat.ONLINE,
        join_url="https://meet.example.org/matrix",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=50,
    )


def _fill(s: LearningSession, agency: Agency, topic: Topic, person: Person) -> None:
    """Give *s* every child row a workspace page can name by id."""
    s.topics = [topic]
    s.agenda_items = [AgendaItem(title_th="เปิดงาน", starts_at=s.starts_at, position=0)]
    s.appearances = [Appearance(person=person, role=Role.SPEAKER, agency=agency, sort_order=0)]
    s.takeaways = [
        Takeaway(kind=TakeawayKind.PRACTICE, statement_th="บทเรียน", agencies=[agency], position=0)
    ]
    s.feedback_questions = [FeedbackQuestion(text_th="พอใจไหม", position=0)]
    s.reminders = [SessionReminder(minutes_before=60)]


def _material(s: LearningSession, folder: Path, name: str) -> Material:
    (folder / name).write_bytes(PDF)
    return Material(
        learning_session=s,
        title="สไลด์",
        filename="slides.pdf",
        stored_name=name,
        content_type="application/pdf",
        size=len(PDF),
        visibility=Visibility.REGISTRANTS,
    )


def seed(folder: Path) -> dict[str, object]:
    """Agency A's sessions and everyone around them; returns what fills URLs and logs in."""
    from exchange.services import accounts, api_tokens, certificates, join_links

    now = datetime.now(UTC)
    a = Agency(slug="agency-a", name_th="หน่วยงาน ก", name_en="Agency A")
    b = Agency(slug="agency-b", name_th="หน่วยงาน ข", name_en="Agency B")
    topic = Topic(slug="mindset", name_th="กรอบความคิด", name_en="Mindset")
    person = Person(slug="somchai", name_th="สมชาย")
    db.session.add_all([a, b, topic, person])
    db.session.flush()
    users = {
        "participant": accounts.create_user("p@example.org", "ผู้เข้าร่วม"),
        "note_taker": accounts.create_user("n@example.org", "ผู้จดบันทึก"),
        "other_organiser": accounts.create_user(
            "b@example.org", "ผู้จัด ข", agency_id=b.id, role=UserRole.ORGANISER
        ),
        "organiser": accounts.create_user(
            "a@example.org", "ผู้จัด ก", agency_id=a.id, role=UserRole.ORGANISER
        ),
        "admin": accounts.create_user("admin@example.org", "ผู้ดูแล", role=UserRole.ADMIN),
    }
    guest = accounts.create_user("guest@example.org", "แขก")
    participant = users["participant"]
    participant.calendar_token = "matrix-calendar-token"
    upcoming = _session(a, "upcoming", SessionStatus.PUBLISHED, now + timedelta(days=7))
    past = _session(a, "past", SessionStatus.PUBLISHED, now - timedelta(days=2))
    draft = _session(a, "draft", SessionStatus.DRAFT, now + timedelta(days=7))
    for s in (upcoming, past, draft):
        _fill(s, a, topic, person)
    upcoming.notes = [
        Note(language="th", title="สรุป", status=ContentStatus.PUBLISHED, published_at=now)
    ]
    materials = [
        _material(s, folder, name) for s, name in zip((upcoming, draft), STORED_FILES, strict=True)
    ]
    mine = Registration(
        learning_session=upcoming, user=participant, status=RegistrationStatus.CONFIRMED
    )
    attended = Registration(
        learning_session=past,
        user=participant,
        status=RegistrationStatus.CONFIRMED,
        checked_in_at=past.starts_at,
    )
    pending = Registration(learning_session=upcoming, user=guest)
    mail = OutboxMessage(to_address=participant.email, subject="ยืนยัน", body_text="ยืนยัน")
    db.session.add_all([upcoming, past, draft, *materials, mine, attended, pending, mail])
    db.session.flush()
    for s in (upcoming, draft):
        db.session.add(NoteTaker(session_id=s.id, user_id=users["note_taker"].id))
    tokens = {role: api_tokens.create_token(u, "matrix", now) for role, u in users.items()}
    for token, _secret in tokens.values():
        token.last_used_at = now  # else the first use of each writes it, after every restore
    certificate = certificates.issue(attended.id, participant.display_name)
    values: dict[str, object] = {
        "session": upcoming.slug,
        "past_session": past.slug,
        "draft_session": draft.slug,
        "agency_slug": a.slug,
        "topic_slug": topic.slug,
        "person_slug": person.slug,
        "agency": a.id,
        "topic": topic.id,
        "person": person.id,
        "material": materials[0].id,
        "draft_material": materials[1].id,
        "filename": "slides.pdf",
        "registration": mine.id,
        "past_registration": attended.id,
        "takeaway": upcoming.takeaways[0].id,
        "question": upcoming.feedback_questions[0].id,
        "reminder": upcoming.reminders[0].id,
        "agenda_item": upcoming.agenda_items[0].id,
        "draft_takeaway": draft.takeaways[0].id,
        "draft_question": draft.feedback_questions[0].id,
        "draft_reminder": draft.reminders[0].id,
        "draft_agenda_item": draft.agenda_items[0].id,
        "note_taker": users["note_taker"].id,
        "api_token": api_tokens.tokens_of(participant)[0].id,
        "reset_secret": accounts.issue_token(participant, TokenPurpose.PASSWORD_RESET, now, 1),
        "confirm_secret": accounts.issue_token(
            guest, TokenPurpose.CONFIRM_REGISTRATION, now, 1, registration=pending
        ),
        "signup_secret": accounts.signup_token(
            accounts.SignupRequest(
                email="newcomer@example.org",
                display_name="ผู้มาใหม่",
                password_hash=accounts.hash_password("matrix password"),
                agency_id=a.id,
                locale="th",
                register=upcoming.slug,
            )
        ),
        "join_token": join_links.ensure_join_token(mine),
        "calendar_token": participant.calendar_token,
        "certificate_code": certificates.printed_code(certificate.code),
        "message": mail.id,
        "language": "en",
        "schedule_kind": "json",
        "part": "agenda",
        "direction": "down",
    }
    values.update({role: u.id for role, u in users.items()})
    values.update({f"{role}_api_token": secret for role, (_token, secret) in tokens.items()})
    db.session.commit()
    return values
