"""Property-based tests (hypothesis) of every form of the web app, and of the list pages'
query strings: whatever is posted, never a 500, and a refused form writes nothing.

The routes come from the URL map (every rule that takes POST outside /api/v1), so a new form
without an entry in FORMS fails ``test_every_form_route_is_fuzzed``. Each is posted by the role
that may use it, CSRF off, with the real field names of its WTForms class (``form._fields``,
prefixes and FieldList entries included): arbitrary and Thai text, NUL, text one past its
maximum length, numbers out of range, dates in odd formats, empty, repeated and missing
fields, unknown ones, and files with odd bytes and names. The answer must be below 500; a
200 that shows the form again must show an error; and on a 4xx or a form shown again the
number of rows in every table is what it was (nothing half-written).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import Length

from exchange.db import db, utcnow
from exchange.models import (
    Agency,
    AgendaItem,
    Appearance,
    FeedbackQuestion,
    LearningSession,
    Material,
    NoteTaker,
    OutboxMessage,
    OutboxStatus,
    Person,
    Registration,
    RegistrationStatus,
    Role,
    SessionReminder,
    SessionStatus,
    Takeaway,
    TakeawayKind,
    Topic,
    User,
)
from exchange.services.demo import load_demo
from tests.conftest import DATABASES, built_app, login_as

SETTINGS = settings(
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FORM_EXAMPLES = 8  # per form route and database: ~60 routes on a shared machine
BUTTON_EXAMPLES = 3  # button-only routes: their only input is noise
LIST_EXAMPLES = 60

# --- values ---------------------------------------------------------------------------------

THAI = st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F)
ODD_TEXT = [
    "", " ", "\t\n", "\x00", "a\x00b", "\u200b", "\ufeff", "\u202e", "\u0e31\u0e48", "ก" * 3,
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
    "' OR 1=1 --", "%00", "%s%n", "{{7*7}}", "\\", "-1", "0", "1e309", "NaN", "None", "null",
    "99999999999999999999999", "\U0001f642", "ﷺ", "http://", "https://x", "https://ตัวอย่าง.ไทย/ก",
]  # fmt: skip
IDS = ["", "0", "1", "2", "3", "5", "-1", "None", "abc", "1.5", "٣", "999999",
       "9223372036854775808", "99999999999999999999999"]  # fmt: skip
DATES = [
    "", "2026-12-17T09:00", "2026-12-17T10:00", "2021-12-13T09:00", "2564-12-13T09:00",
    "0001-01-01T00:00", "9999-12-31T23:59", "2026-02-30T09:00", "2026-13-01T09:00",
    "2026-12-17T24:00", "2026-12-17 09:00", "2026-12-17", "13/12/2021 09:00", "17 Dec 2026",
    "2026-12-17T09:00:00Z", "2026-12-17T09:00+07:00", "+02026-12-17T09:00", "๒๕๖๙-๑๒-๑๗T๐๙:๐๐",
]  # fmt: skip
NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.integers(-5, 200).map(str),
    st.sampled_from(
        ["", " 5 ", "5.0", "1e3", "0x10", "٣", "๕", "+5", "-0", "100001", "100000", "9" * 5000]
    ),
)
text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=THAI, max_size=30),
    st.sampled_from(ODD_TEXT),
)
dates = st.one_of(
    st.sampled_from(DATES),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M")
    ),
    text,
)
FILE_NAMES = ["notes.pdf", "../../etc/passwd", "", "a" * 300 + ".pdf", "ไฟล์.docx", "x.exe",
              "slides.pdf.html", ".htaccess", "con.pdf", "x.svg", "a\x00b.pdf"]  # fmt: skip
MAGIC = [b"", b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"<svg onload=alert(1)>",
         b"<html><script>alert(1)</script>", b"\xff\xd8\xff", b"GIF89a"]  # fmt: skip
files = st.tuples(st.sampled_from(MAGIC), st.binary(max_size=600), st.sampled_from(FILE_NAMES))


def _choices(field: object) -> list[str]:
    values = []
    for choice in getattr(field, "choices", None) or []:
        value = getattr(choice, "value", choice[0] if isinstance(choice, tuple) else choice)
        values.append("" if value is None else str(value))
    return values


def _values(field: object) -> st.SearchStrategy:
    """Values for one posted key of *field* (a list: the key may repeat)."""
    if isinstance(field, DateTimeLocalField):
        one = dates
    elif isinstance(field, IntegerField):
        one = NUMBERS | text
    elif isinstance(field, BooleanField):
        one = st.sampled_from(["y", "on", "", "false", "0", "1"]) | text
    elif isinstance(field, (SelectField, RadioField, SelectMultipleField)):
        choices = _choices(field)
        one = st.one_of(st.sampled_from(choices or IDS), st.sampled_from(IDS), text)
    else:
        one = text
        maximum = next((v.max for v in field.validators if isinstance(v, Length)), None)
        if maximum and maximum > 0:
            one = one | st.sampled_from([maximum, maximum + 1]).map(lambda n: "ก" * n)
    most = 4 if isinstance(field, SelectMultipleField) else 2
    return st.lists(one, min_size=1, max_size=most)


def _keys(form: object) -> list[tuple[str, object]]:
    """(posted name, field) for every field, FieldList entries expanded (0, 1 and far out)."""
    keys = []
    for field in form._fields.values():
        if field.name == "csrf_token":
            continue
        if isinstance(field, FieldList):
            entry = field.unbound_field.bind(form=None, name="x", prefix="", _meta=form.meta)
            inner = entry.form_class(meta=form.meta) if isinstance(entry, FormField) else None
            subfields = list(inner._fields.values()) if inner else [entry]
            for index in (0, 1, 999):
                for sub in subfields:
                    name = f"{field.name}-{index}" + (f"-{sub.name}" if inner else "")
                    keys.append((name, sub))
        else:
            keys.append((field.name, field))
    return keys


@st.composite
def form_data(draw: st.DrawFn, keys: list[tuple[str, object]]) -> MultiDict:
    pairs: list[tuple[str, object]] = []
    for name, field in keys:
        if draw(st.integers(0, 9)) == 0:
            continue  # a missing field
        if field.type == "FileField":
            for head, tail, filename in draw(st.lists(files, min_size=1, max_size=2)):
                pairs.append((name, (io.BytesIO(head + tail), filename)))
            continue
        pairs += [(name, value) for value in draw(_values(field))]
    for name in draw(st.lists(st.sampled_from(["x", "id", "csrf_token", "next", "_method",
                                               "sections-0-body", "q1", "user_id", "role"]),
                              max_size=2)):  # fmt: skip
        pairs.append((name, draw(text)))  # unknown (or not-for-you) fields
    if draw(st.integers(0, 7)):  # most posts carry no NUL (one is a 400 before any view)
        pairs = [(k, v.replace("\x00", "") if isinstance(v, str) else v) for k, v in pairs]
    return MultiDict(pairs)


# --- the world: one app per database, and what each route's address needs ----------------------


@dataclass
class World:
    app: Flask
    users: dict[str, int]  # role -> user id
    fixed: dict[str, int | str]  # ids made once
    numbers: Iterator[int]


@pytest.fixture(scope="module", params=list(DATABASES))
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    overrides = {"UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")), "MAX_UPLOAD_MB": 1}
    with built_app(DATABASES[request.param], RATELIMIT_ENABLED=False, **overrides) as app:
        with app.app_context():  # (requests below run outside it: each gets its own)
            users, fixed = _populate()
        yield World(app, users, fixed, count(1))


def _populate() -> tuple[dict[str, int], dict[str, int | str]]:
    from exchange.models import UserRole
    from exchange.services import api_tokens
    from exchange.services.accounts import create_user

    now = utcnow()
    load_demo(now=datetime.now(UTC))
    opdc = db.session.scalar(select(Agency).filter_by(slug="opdc"))
    users = {}
    for role in ("admin", "organiser", "participant", "edited", "resetting"):
        user = create_user(
            f"{role}@fuzz.go.th",
            f"ผู้ใช้ {role}",
            password="correct horse",
            agency_id=opdc.id,
            role=UserRole(role if role in ("admin", "organiser") else "participant"),
        )
        users[role] = user.id
    db.session.flush()
    managed = _session("fuzz-managed", opdc, now + timedelta(days=20))
    ended = _session("fuzz-ended", opdc, now - timedelta(hours=3))
    participant = db.session.get(User, users["participant"])
    for learning_session in (managed, ended):  # (register() refuses an ended session)
        db.session.add(
            Registration(
                session_id=learning_session.id,
                user_id=participant.id,
                status=RegistrationStatus.CONFIRMED,
                confirmed_at=now,
                checked_in_at=learning_session.starts_at,
            )
        )
    for position in range(4):
        owner = (ended, managed)[position % 2]
        db.session.add(FeedbackQuestion(session_id=owner.id, position=position, text_th="ดีไหม"))
    db.session.add(SessionReminder(session_id=managed.id, minutes_before=60))
    db.session.add(
        NoteTaker(session_id=managed.id, user_id=users["edited"], granted_by_id=users["admin"])
    )
    db.session.add(
        OutboxMessage(
            to_address="a@fuzz.go.th", subject="s", body_text="b", status=OutboxStatus.FAILED
        )
    )
    db.session.flush()
    api_tokens.create_token(participant, "fuzz", now)
    db.session.commit()
    fixed = {"managed": managed.slug, "ended": ended.slug}
    fixed["registration"] = db.session.scalar(
        select(Registration.id).filter_by(session_id=managed.id, user_id=users["participant"])
    )
    return users, fixed


def _session(slug: str, agency: Agency, starts: datetime) -> LearningSession:
    topic = db.session.scalar(select(Topic).limit(1))
    people = db.session.scalars(select(Person).order_by(Person.id).limit(2)).all()
    learning_session = LearningSession(
        slug=slug,
        title_th=f"กิจกรรม {slug}",
        organiser=agency,
        status=SessionStatus.PUBLISHED,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=30,
        topics=[topic],
    )
    learning_session.agenda_items = [
        AgendaItem(title_th=f"ช่วง {n}", starts_at=starts, position=n) for n in range(2)
    ]
    learning_session.appearances = [
        Appearance(person=person, role=Role.SPEAKER, agency=agency, sort_order=n)
        for n, person in enumerate(people)
    ]
    learning_session.takeaways = [
        Takeaway(
            kind=TakeawayKind.PRACTICE, statement_th=f"บทเรียน {n}", agencies=[agency], position=n
        )
        for n in range(2)
    ]
    db.session.add(learning_session)
    db.session.flush()
    for n in range(2):
        db.session.add(
            Material(
                session_id=learning_session.id,
                title=f"ไฟล์ {n}",
                filename=f"f{n}.pdf",
                stored_name=f"{slug}-{n}",
                content_type="application/pdf",
                size=1,
                position=n,
            )
        )
    return learning_session


def _first(statement: sa.Select, fallback: int = 999_999) -> int:
    found = db.session.scalar(statement.limit(1))
    return fallback if found is None else found


def _managed_id() -> int:
    return db.session.scalar(select(LearningSession.id).filter_by(slug="fuzz-managed"))


def _record(world: World, model: type, **fields: object) -> int:
    """A throwaway agency, person or topic: delete and merge get a fresh one each time."""
    n = next(world.numbers)
    record = model(slug=f"fuzz-{model.__name__.lower()}-{n}", name_th=f"ชื่อ {n}", **fields)
    db.session.add(record)
    db.session.commit()
    return record.id


def _secret(world: World) -> str:
    from exchange.models import TokenPurpose
    from exchange.services.accounts import issue_token

    user = db.session.get(User, world.users["resetting"])
    secret = issue_token(user, TokenPurpose.PASSWORD_RESET, utcnow(), 1)
    db.session.commit()
    return secret


def _url_args(world: World, endpoint: str, arguments: set[str], part: str) -> dict[str, object]:
    """Values for a rule's arguments that name a row the role may act on (made when needed)."""
    session_id = _managed_id()
    args: dict[str, object] = {}
    if "slug" in arguments:
        args["slug"] = world.fixed["ended" if endpoint == "feedback.respond" else "managed"]
    if "part" in arguments:
        args["part"] = part
        args["row_id"] = _first(
            select(AgendaItem.id if part == "agenda" else Appearance.id).filter_by(
                session_id=session_id
            )
        )
    if "direction" in arguments:
        args["direction"] = "down"
    if "language" in arguments:
        args["language"] = "en"
    if "record_id" in arguments:
        kind = endpoint.split(".")[1].split("_")[0]
        model = {"agency": Agency, "person": Person, "topic": Topic}[kind]
        args["record_id"] = _record(world, model)
    by_session = {
        "question_id": (FeedbackQuestion.id, FeedbackQuestion.session_id, session_id),
        "material_id": (Material.id, Material.session_id, session_id),
        "takeaway_id": (Takeaway.id, Takeaway.session_id, session_id),
    }
    for name, (column, owner, owner_id) in by_session.items():
        if name in arguments:
            args[name] = _first(select(column).where(owner == owner_id).order_by(column))
    if "reminder_id" in arguments:
        args["reminder_id"] = _first(select(SessionReminder.id).filter_by(session_id=session_id))
    if "registration_id" in arguments:
        args["registration_id"] = world.fixed["registration"]
    if "message_id" in arguments:
        args["message_id"] = _first(select(OutboxMessage.id))
    if "user_id" in arguments:
        args["user_id"] = world.users["edited"]
    if "token_id" in arguments:
        from exchange.models import ApiToken

        args["token_id"] = _first(select(ApiToken.id).filter_by(user_id=world.users["participant"]))
    if "secret" in arguments:
        args["secret"] = _secret(world)
    return args


def _ended_id() -> int:
    return db.session.scalar(select(LearningSession.id).filter_by(slug="fuzz-ended"))


# --- which form each route takes, and who posts it ------------------------------------------


def _form(cls_path: str, **kwargs: object) -> Callable[[World, dict], object]:
    def make(world: World, url_args: dict) -> object:
        module, name = cls_path.rsplit(".", 1)
        cls = getattr(__import__(module, fromlist=[name]), name)
        if "prefix" in kwargs and callable(kwargs["prefix"]):
            return cls(formdata=None, prefix=kwargs["prefix"](url_args))
        return cls(formdata=None, **kwargs)

    return make


def _answer_form(world: World, url_args: dict) -> object:
    from exchange.feedback.forms import answer_form
    from exchange.services import feedback as feedback_service

    return answer_form(feedback_service.questions(_ended_id()))


@dataclass(frozen=True)
class Form:
    role: str  # anonymous, participant, organiser, admin
    make: Callable[[World, dict], object] | None = None  # None: a button-only form
    extra: tuple[str, ...] = ()  # fields read from request.form outside the form class
    shows_result: bool = False  # a 200 is its success (not the form shown again)


F = "exchange.forms"
DIRECTORY = "exchange.directory.forms"
NOTES = "exchange.organiser.note_forms"
MATERIALS = "exchange.organiser.material_forms"
BUTTON_ORGANISER = Form("organiser")
FORMS: dict[str, Form] = {
    "auth.confirm": Form("anonymous"),
    "auth.login": Form("anonymous", _form("exchange.auth.forms.LoginForm")),
    "auth.logout": Form("participant"),
    "auth.reset_request": Form("anonymous", _form("exchange.auth.forms.ResetRequestForm")),
    "auth.reset": Form("anonymous", _form("exchange.auth.forms.NewPasswordForm")),
    "auth.signup": Form("anonymous", _form("exchange.auth.forms.SignupForm")),
    "auth.signup_confirm": Form("anonymous"),
    "directory.agency_new": Form("organiser", _form(f"{DIRECTORY}.AgencyForm")),
    "directory.agency_edit": Form("organiser", _form(f"{DIRECTORY}.AgencyForm", editing=True)),
    "directory.agency_merge": Form("organiser", _form(f"{DIRECTORY}.MergeForm")),
    "directory.agency_delete": BUTTON_ORGANISER,
    "directory.person_new": Form("organiser", _form(f"{DIRECTORY}.PersonForm")),
    "directory.person_edit": Form("organiser", _form(f"{DIRECTORY}.PersonForm", editing=True)),
    "directory.person_merge": Form("organiser", _form(f"{DIRECTORY}.MergeForm")),
    "directory.person_delete": BUTTON_ORGANISER,
    "directory.topic_new": Form("organiser", _form(f"{DIRECTORY}.TopicForm")),
    "directory.topic_edit": Form("organiser", _form(f"{DIRECTORY}.TopicForm", editing=True)),
    "directory.topic_merge": Form("organiser", _form(f"{DIRECTORY}.MergeForm")),
    "directory.topic_delete": BUTTON_ORGANISER,
    "admin.retry": Form("admin"),
    "admin.user_edit": Form("admin", _form("exchange.admin.users.UserForm")),
    "organiser.new_session": Form("organiser", _form(f"{F}.sessions.SessionForm")),
    "organiser.edit_session": Form("organiser", _form(f"{F}.sessions.SessionForm")),
    "organiser.agenda": Form("organiser", _form(f"{F}.sessions.AgendaItemForm")),
    "organiser.people": Form("organiser", _form(f"{F}.sessions.AppearanceForm")),
    "organiser.remove_row": BUTTON_ORGANISER,
    "organiser.move_row": BUTTON_ORGANISER,
    "organiser.capacity": Form("organiser", _form("exchange.organiser.forms.CapacityForm")),
    "organiser.check_in": BUTTON_ORGANISER,
    "organiser.duplicate": Form("organiser", _form("exchange.organiser.sessions.DuplicateForm")),
    "organiser.feedback": Form("organiser", _form("exchange.organiser.feedback.QuestionForm")),
    "organiser.feedback_defaults": BUTTON_ORGANISER,
    "organiser.edit_feedback_question": Form(
        "organiser", _form("exchange.organiser.feedback.QuestionForm")
    ),
    "organiser.remove_feedback_question": BUTTON_ORGANISER,
    "organiser.move_feedback_question": BUTTON_ORGANISER,
    "organiser.materials": Form("organiser", _form(f"{MATERIALS}.UploadForm")),
    "organiser.edit_material": Form(
        "organiser",
        _form(f"{MATERIALS}.EditMaterialForm", prefix=lambda a: f"m{a['material_id']}-"),
    ),
    "organiser.remove_material": BUTTON_ORGANISER,
    "organiser.move_material": BUTTON_ORGANISER,
    "organiser.recording": Form("organiser", _form(f"{MATERIALS}.RecordingForm")),
    "organiser.notes": Form("organiser", _form(f"{NOTES}.NoteForm"), extra=("add_section",)),
    "organiser.note_preview": Form("organiser", extra=("text",), shows_result=True),
    "organiser.note_takers": Form("organiser", _form(f"{NOTES}.NoteTakerForm")),
    "organiser.revoke_note_taker": BUTTON_ORGANISER,
    "organiser.takeaways": Form("organiser", _form(f"{NOTES}.TakeawayForm")),
    "organiser.edit_takeaway": Form("organiser", _form(f"{NOTES}.TakeawayForm")),
    "organiser.remove_takeaway": BUTTON_ORGANISER,
    "organiser.move_takeaway": BUTTON_ORGANISER,
    "organiser.publish_takeaways": BUTTON_ORGANISER,
    "organiser.reminders": Form("organiser", _form("exchange.organiser.reminders.ReminderForm")),
    "organiser.remove_reminder": BUTTON_ORGANISER,
    "organiser.publish": BUTTON_ORGANISER,
    "organiser.unpublish": BUTTON_ORGANISER,
    "organiser.cancel": Form("organiser", _form("exchange.organiser.sessions.CancelForm")),
    "me.profile": Form("participant", _form("exchange.me.forms.ProfileForm")),
    "me.password": Form("participant", _form("exchange.me.forms.PasswordForm", prefix="pw")),
    "me.create_token": Form(
        "participant", _form("exchange.me.forms.ApiTokenForm", prefix="token"), shows_result=True
    ),
    "me.revoke_token": Form("participant"),
    "me.regenerate_calendar_token": Form("participant"),
    "registration.register": Form("participant"),
    "registration.register_guest": Form(
        "anonymous", _form("exchange.registration.forms.GuestRegistrationForm")
    ),
    "registration.cancel": Form("participant"),
    "feedback.respond": Form("participant", _answer_form),
}
# Last: they change the session the others post to (cancelled, back to draft).
LAST = ("organiser.publish", "organiser.unpublish", "organiser.cancel", "auth.logout")


def _post_rules() -> list[tuple[str, str]]:
    from tests.conftest import make_test_app

    app = make_test_app("sqlite://")
    rules = [
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/v1")
    ]
    return sorted(rules, key=lambda r: (r[0] in LAST, LAST.index(r[0]) if r[0] in LAST else 0, r))


POST_RULES = _post_rules()


def test_every_form_route_is_fuzzed() -> None:
    assert {endpoint for endpoint, _ in POST_RULES} == set(FORMS)


def _row_counts() -> dict[str, int]:
    tables = sorted(db.metadata.tables)
    selects = [
        select(sa.literal(name).label("t"), sa.func.count().label("n")).select_from(
            db.metadata.tables[name]
        )
        for name in tables
    ]
    return dict(db.session.execute(sa.union_all(*selects)).all())


ERROR_SHOWN = re.compile(r'class="field-error"|score--invalid|flash--warning|aria-invalid="true"')


FORM_FIELD = re.compile(r'<(?:input|textarea|select)\b[^>]*\bname="(?!q"|csrf_token")')


def _shows_error(response: TestResponse) -> bool:
    """A page with a form shows which field is wrong; a 4xx without one is an error page (or
    JSON naming the error)."""
    if response.is_json:
        return "error" in response.get_json()
    body = response.get_data(as_text=True)
    if ERROR_SHOWN.search(body):
        return True
    return response.status_code >= 400 and not FORM_FIELD.search(body)


def _client(world: World, role: str) -> FlaskClient:
    client = world.app.test_client()
    if role != "anonymous":
        login_as(client, world.users[role])
    return client


ODD_IDS = st.one_of(st.integers(0, 2**70), st.sampled_from([2**31 - 1, 2**31, 2**63, 10**20]))
ODD_SLUGS = st.one_of(text, st.just("no-such-session"))


@pytest.mark.parametrize(("endpoint", "rule"), POST_RULES, ids=[r for _, r in POST_RULES])
def test_posting_anything_never_fails_and_refusals_write_nothing(
    world: World, endpoint: str, rule: str
) -> None:
    spec = FORMS[endpoint]
    url_rule = next(r for r in world.app.url_map.iter_rules(endpoint) if r.rule == rule)
    arguments = set(url_rule.arguments)
    statuses: list[int] = []

    def target(part: str, odd: dict[str, object]) -> tuple[str, list, dict[str, int]]:
        """The address (with *odd* values put in), the form's keys, the row counts now."""
        with world.app.test_request_context():
            url_args = _url_args(world, endpoint, arguments, part)
            keys = _keys(spec.make(world, url_args)) if spec.make else []
            url = url_for(endpoint, **{**url_args, **odd})
            return url, keys + [(name, _Extra()) for name in spec.extra], _row_counts()

    def check(url: str, posted: MultiDict, before: dict[str, int]) -> None:
        response = _client(world, spec.role).post(url, data=posted)
        statuses.append(response.status_code)
        assert response.status_code < 500, (url, posted)
        refused = 400 <= response.status_code < 500
        shown_again = response.status_code == 200 and not spec.shows_result
        if shown_again or refused:
            assert _shows_error(response), (url, posted)  # not silently dropped
            with world.app.app_context():
                assert _row_counts() == before, (url, posted)  # nothing half-written

    @settings(SETTINGS, max_examples=FORM_EXAMPLES if spec.make or spec.extra else BUTTON_EXAMPLES)
    @given(data=st.data(), part=st.sampled_from(["agenda", "people"]))
    def post(data: st.DataObject, part: str) -> None:
        odd = {}
        if data.draw(st.integers(0, 5), label="odd address?") == 0:  # ids past any row, slugs
            odd = {
                name: data.draw(ODD_SLUGS if name == "slug" else ODD_IDS, label=name)
                for name in arguments & {"slug", *(n for n in arguments if n.endswith("_id"))}
            }
        url, keys, before = target(part, odd)
        check(url, data.draw(form_data(keys), label="form"), before)

    post()
    # Explicit examples: a NUL in every field (a PostgreSQL 500 before the fix); an id past
    # a 32-bit INTEGER in the address (a 500 on both databases before the fix).
    url, keys, before = target("agenda", {})
    texts = [name for name, field in keys if field.type != "FileField"]
    check(url, MultiDict([(name, "ก\x00") for name in [*texts, "x"]]), before)
    if huge := {name: 2**31 for name in arguments if name.endswith("_id")}:
        url, _, before = target("people", huge)
        check(url, MultiDict(), before)
    # the route was reached as its role, not only turned away at the door
    assert any(status not in (401, 403, 404, 405) for status in statuses), statuses


class _Extra:
    """A field read from request.form directly (no WTForms field): posted as text."""

    type = "StringField"
    validators: tuple = ()


# --- list and filter pages: query strings ----------------------------------------------------

LIST_PAGES = ["/", "/sessions", "/takeaways", "/agencies", "/topics", "/search", "/feed.atom",
              "/calendar.ics", "/certificates", "/manage", "/manage/sessions", "/manage/agencies",
              "/manage/people", "/manage/topics", "/manage/users", "/manage/audit",
              "/manage/outbox", "/me", "/agencies/opdc", "/sessions/fuzz-managed",
              *(f"/manage/sessions/fuzz-managed/{tab}" for tab in
                ("registrations", "registrations.csv", "feedback", "dashboard", "takeaways")),
              "/schedule.json", "/schedule.xml"]  # fmt: skip
ARGS = ["agency", "code", "entity", "from", "group", "kind", "lang", "next", "page", "q",
        "register", "role", "status", "to", "topic", "type", "user", "when", "year"]  # fmt: skip
WORDS = ["th", "en", "past", "upcoming", "opdc", "practice", "2021", "draft", "published",
         "session", "admin", "csv"]  # fmt: skip
ARG_VALUES = st.one_of(text, NUMBERS, st.sampled_from(DATES + IDS + WORDS))


@settings(SETTINGS, max_examples=LIST_EXAMPLES)
@given(
    path=st.sampled_from(LIST_PAGES),
    role=st.sampled_from(["anonymous", "admin", "participant"]),
    args=st.lists(st.tuples(st.sampled_from(ARGS) | st.text(max_size=5), ARG_VALUES), max_size=4),
)
@example(path="/sessions", role="anonymous", args=[("agency", "\x00")])  # PostgreSQL 500
@example(path="/takeaways", role="anonymous", args=[("topic", "a\x00"), ("kind", "\x00")])
@example(path="/manage/people", role="admin", args=[("q", "\x00"), ("page", str(2**70))])
@example(path="/manage/audit", role="admin", args=[("from", "9999-99-99"), ("user", str(2**64))])
@example(path="/manage/audit", role="admin", args=[("user", "9" * 5000)])  # int(): > 4300 digits
@example(path="/sessions", role="anonymous", args=[("page", "1" * 5000)])  # (every paginated page)
def test_list_pages_take_any_query_string(
    world: World, path: str, role: str, args: list[tuple[str, str]]
) -> None:
    response = _client(world, role).get(path, query_string=MultiDict(args))
    assert response.status_code < 500, (path, args)
