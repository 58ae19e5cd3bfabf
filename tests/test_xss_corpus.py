"""The XSS corpus (tests/xss_corpus.py) through every field that is shown anywhere.

One world per database: for each payload N, an agency, a topic, a person, a session (with its
agenda item, appearance, notes in both languages, takeaway, material, feedback question and
answer), a participant whose display name and API token name carry it; every text field gets
payload N under its own marker. Half the sessions are past (summaries, recordings, follow-ups),
half upcoming (registrations, reminders, join links). Then every page that shows them, as a
visitor, a participant and an admin, in Thai and English, every e-mail in the outbox, the
calendar feeds, the schedule exports, the Atom feed and the API are checked: nothing that could
run, and each page really shows the markers it should (no vacuous pass).
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests import ical_check
from tests.conftest import DATABASES, built_app, login_as
from tests.xss_corpus import (
    MARKER,
    PAYLOADS,
    all_values,
    bare,
    describe,
    html_findings,
    marker,
    text_has,
    value,
)

P = len(PAYLOADS)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def url_value(index: int, code: str, limit: int = 300) -> str:
    """The payload alone (no Thai before it), so that javascript: or data: starts the value."""
    return PAYLOADS[index].text(marker(index, code))[:limit]


@dataclass
class World:
    app: Flask
    admin_id: int
    user_ids: list[int] = field(default_factory=list)
    agency_ids: list[int] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)
    topic_ids: list[int] = field(default_factory=list)
    calendar_tokens: list[str] = field(default_factory=list)
    join_tokens: list[str] = field(default_factory=list)
    certificate_codes: dict[int, str] = field(default_factory=dict)
    api_secret: str = ""

    def client(self, user_id: int | None = None, language: str = "th") -> FlaskClient:
        client = self.app.test_client()
        if user_id is not None:
            login_as(client, user_id)
        client.get(f"/language/{language}")
        return client


def past(index: int) -> bool:
    return index % 2 == 0


# --- building the world ------------------------------------------------------------------------


def _build(now: datetime) -> World:
    from exchange.db import db
    from exchange.models import (
        Agency,
        AgendaItem,
        Appearance,
        ContentStatus,
        FeedbackAnswer,
        FeedbackQuestion,
        FeedbackResponse,
        LearningSession,
        Material,
        Note,
        NoteSection,
        Person,
        Registration,
        RegistrationStatus,
        Role,
        SessionFormat,
        SessionReminder,
        SessionStatus,
        Takeaway,
        TakeawayKind,
        Topic,
        UserRole,
        Visibility,
    )
    from exchange.services import (
        api_tokens,
        calendars,
        certificates,
        followups,
        materials,
        schedule,
    )
    from exchange.services import registration as registration_service
    from exchange.services.accounts import create_user

    admin = create_user("admin@xss.go.th", "ผู้ดูแล", password=None, role=UserRole.ADMIN)
    db.session.flush()
    world = World(app=None, admin_id=admin.id)  # type: ignore[arg-type]
    pdf_kind = materials.sniff(io.BytesIO(PDF))
    assert pdf_kind is not None
    sessions: list[LearningSession] = []
    for k in range(P):
        agency = Agency(
            slug=f"agency-{k}",
            name_th=value(k, "agencyth", 300),
            name_en=value(k, "agencyen", 300),
            abbr_th=value(k, "abbrth", 60),
            abbr_en=value(k, "abbren", 60),
            website=url_value(k, "website"),
        )
        topic = Topic(
            slug=f"topic-{k}",
            name_th=value(k, "topicth", 200),
            name_en=value(k, "topicen", 200),
            description_th=value(k, "topicdescth"),
            description_en=value(k, "topicdescen"),
        )
        person = Person(
            slug=f"person-{k}",
            prefix_th=value(k, "prefixth", 60),
            name_th=value(k, "personth", 200),
            prefix_en=value(k, "prefixen", 60),
            name_en=value(k, "personen", 200),
        )
        start = now - timedelta(days=1) if past(k) else now + timedelta(hours=13)
        learning_session = LearningSession(
            slug=f"xss-{k}",
            title_th=value(k, "titleth", 400),
            title_en=value(k, "titleen", 400),
            description_th=value(k, "descth"),
            description_en=value(k, "descen"),
            organiser=agency,
            format=SessionFormat.HYBRID,
            venue=value(k, "venue", 400),
            platform=value(k, "platform", 120),
            join_url=url_value(k, "join", 1000),
            recording_url=url_value(k, "recording", 1000),
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            status=SessionStatus.PUBLISHED,
            topics=[topic],
            reminders=[SessionReminder(minutes_before=24 * 60)],
        )
        item = AgendaItem(
            position=0,
            title_th=value(k, "agendath", 400),
            title_en=value(k, "agendaen", 400),
            description_th=value(k, "agendadescth"),
            description_en=value(k, "agendadescen"),
            starts_at=start,
        )
        learning_session.agenda_items = [item]
        learning_session.appearances = [
            Appearance(
                person=person,
                role=Role.PANELLIST,
                position_title_th=value(k, "positionth", 300),
                position_title_en=value(k, "positionen", 300),
                agency=agency,
                agenda_item=item,
            )
        ]
        learning_session.takeaways = [
            Takeaway(
                kind=TakeawayKind.PRACTICE,
                statement_th=value(k, "takeawayth"),
                statement_en=value(k, "takeawayen"),
                agencies=[agency],
                topics=[topic],
                position=0,
                status=ContentStatus.PUBLISHED,
            )
        ]
        learning_session.notes = [
            Note(
                language=language,
                title=value(k, f"notetitle{language}", 400),
                body=value(k, f"notebody{language}"),
                conclusion=value(k, f"conclusion{language}"),
                source_name=value(k, f"sourcename{language}", 300),
                source_url=url_value(k, f"sourceurl{language}", 500),
                status=ContentStatus.PUBLISHED,
                published_at=now - timedelta(hours=1),
                sections=[
                    NoteSection(
                        position=0,
                        heading=value(k, f"heading{language}", 300),
                        body=value(k, f"section{language}"),
                        agency=agency,
                    )
                ],
            )
            for language in ("th", "en")
        ]
        learning_session.feedback_questions = [
            FeedbackQuestion(
                position=0,
                text_th=value(k, "questionth", 300),
                text_en=value(k, "questionen", 300),
            )
        ]
        learning_session.materials = [
            Material(
                title=value(k, "material", 300),
                filename=materials.clean_filename(value(k, "filename", 200) + ".pdf", pdf_kind),
                stored_name=f"xss-material-{k}",
                content_type=pdf_kind.content_type,
                size=len(PDF),
                visibility=Visibility.PUBLIC,
                position=1,
                uploaded_by_id=admin.id,
            )
        ]
        sessions.append(learning_session)
    db.session.add_all(sessions)
    db.session.flush()  # one flush: the search index is written once, for everything
    for k, learning_session in enumerate(sessions):
        start = learning_session.starts_at
        agency = learning_session.organiser
        topic = learning_session.topics[0]
        person = learning_session.appearances[0].person
        user = create_user(
            f"participant{k}@xss.go.th",
            value(k, "username", 200),
            password="correct horse" if k == 0 else None,  # hashing is slow; log-in tests use 0
            agency_id=agency.id,
            locale="th" if k % 4 < 2 else "en",
        )
        db.session.flush()
        if past(k):
            registration = Registration(
                session_id=learning_session.id,
                user_id=user.id,
                agency_id=agency.id,
                status=RegistrationStatus.CONFIRMED,
                queued_at=start - timedelta(days=3),
                confirmed_at=start - timedelta(days=3),
                checked_in_at=start if k % 4 == 0 else None,
            )
            db.session.add(registration)
            db.session.flush()
            if k % 4 == 0:
                certificate = certificates.issue(registration.id, user.display_name)
                world.certificate_codes[k] = certificate.code
                question = learning_session.feedback_questions[0]
                db.session.add(
                    FeedbackResponse(
                        session_id=learning_session.id,
                        registration_id=registration.id,
                        comment=value(k, "comment"),
                        created_at=now,
                        answers=[FeedbackAnswer(question_id=question.id, score=4)],
                    )
                )
        else:
            registration = registration_service.register(learning_session, user, now)
        _, secret = api_tokens.create_token(user, value(k, "token", 100), now)
        world.api_secret = world.api_secret or secret
        world.calendar_tokens.append(calendars.calendar_token(user))
        world.user_ids.append(user.id)
        world.agency_ids.append(agency.id)
        world.person_ids.append(person.id)
        world.topic_ids.append(topic.id)
        db.session.flush()
        world.join_tokens.append(registration.join_token or "")
    # an update and a cancellation, to the registrants of upcoming sessions
    later = db.session.get(LearningSession, _session_id("xss-1"))
    schedule.update_session(later, now, starts_at=later.starts_at + timedelta(minutes=30))
    cancelled = LearningSession(
        slug="xss-cancelled",
        title_th=value(0, "cancelledtitle", 400),
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=1),
        status=SessionStatus.PUBLISHED,
        venue=value(3, "cancelledvenue", 400),
    )
    db.session.add(cancelled)
    db.session.flush()
    for k in range(0, P, 4):
        registration_service.register(
            cancelled, db.session.get(type(admin), world.user_ids[k]), now
        )
    schedule.cancel_session(cancelled, now, message=all_values("cancelmsg"))
    followups.queue_due(now + timedelta(minutes=1))
    db.session.commit()
    return world


def _session_id(slug: str) -> int:
    from exchange.db import db
    from exchange.models import LearningSession

    return db.session.scalar(sa.select(LearningSession.id).filter_by(slug=slug))


@pytest.fixture(scope="module", params=list(DATABASES))
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    folder = tmp_path_factory.mktemp("xss-uploads")
    with built_app(DATABASES[request.param], UPLOAD_FOLDER=str(folder)) as app:
        with app.test_request_context("/"):  # the e-mails carry absolute links
            built = _build(datetime.now(UTC))
            built.app = app
        yield built


# --- checking ------------------------------------------------------------------------------------


def _page(client: FlaskClient, url: str, expect: list[str], status: int | None = 200) -> list[str]:
    """Findings on the page at *url* (which must answer *status*, or anything but a 5xx when
    it is None, and show every *expect*)."""
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    assert status is None or response.status_code == status, (url, response.status_code)
    html = response.get_data(as_text=True)
    missing = text_has(html, expect)
    findings = [f"{url}: not shown: {m}" for m in missing]
    return findings + html_findings(html, url)


def _session_markers(k: int, language: str) -> list[str]:
    suffix = "th" if language == "th" else "en"
    shown = [
        marker(k, f"title{suffix}"),
        marker(k, f"desc{suffix}"),
        marker(k, f"person{suffix}"),
        marker(k, f"position{suffix}"),
        marker(k, f"agenda{suffix}"),
        marker(k, "venue"),
        marker(k, f"takeaway{suffix}"),
        marker(k, f"agency{suffix}"),
    ]
    if past(k):
        shown += [marker(k, f"notebody{language}"), marker(k, f"heading{language}")]
    return shown


def test_public_pages(world: World) -> None:
    findings: list[str] = []
    for language in ("th", "en"):
        client = world.client(language=language)
        suffix = "th" if language == "th" else "en"
        findings += _page(client, "/", [marker(1, f"title{suffix}")])
        findings += _page(client, "/sessions", [marker(3, f"title{suffix}")])
        findings += _page(client, "/sessions?when=past", [marker(0, f"title{suffix}")])
        findings += _page(client, "/agencies", [marker(5, f"agency{suffix}")])
        findings += _page(client, "/topics", [marker(5, f"topic{suffix}")])
        findings += _page(client, "/takeaways", [marker(0, f"takeaway{suffix}")])
        findings += _page(client, "/sessions/xss-cancelled", [marker(0, "cancelledtitle")])
        for k in range(P):
            findings += _page(client, f"/sessions/xss-{k}", _session_markers(k, language))
            if language == "en" and k % 3:
                continue  # the English pages show the same templates: a third of them
            findings += _page(client, f"/sessions/xss-{k}/compare", [])
            findings += _page(client, f"/agencies/agency-{k}", [marker(k, f"agency{suffix}")])
            findings += _page(client, f"/topics/topic-{k}", [marker(k, f"topic{suffix}")])
            findings += _page(client, f"/people/person-{k}", [marker(k, f"person{suffix}")])
    assert findings == []


def _search_urls() -> list[tuple[str, list[str]]]:
    """Queries that hit the payloads (highlighting inside them), and payloads as queries
    (reflected in the form and in the "no results" text)."""
    urls = [(f"/search?q={marker(k, 'titleth')}", [marker(k, "titleth")]) for k in range(0, P, 3)]
    urls += [
        ("/search?q=script", []),
        ("/search?q=javascript", []),
        ("/search?q=onerror", []),
        ("/search?q=ไทย", []),
        ("/search?q=xss", []),
        ("/search?q=svg+onload", []),
        ("/search?q=href", []),
        ("/search?q=ครับ+script", []),
    ]
    for k in range(P):
        m = marker(k, "search")
        query = bare(k, "search")
        urls.append((f"/search?{_query({'q': query})}", [m]))
    return urls


def _bad_filter_urls() -> list[str]:
    """A payload in every argument: an unknown agency or topic may be a 404 page."""
    return [
        "/search?" + _query({"q": t, "type": t, "agency": t, "topic": t})
        for t in (bare(k, "filter") for k in range(P))
    ]


def _query(args: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(args)


def test_search_highlighting_and_reflected_queries(world: World) -> None:
    findings: list[str] = []
    client = world.client()
    for url, expect in _search_urls():
        findings += _page(client, url, expect)
    for url in _bad_filter_urls():
        findings += _page(client, url, [], status=None)
    client = world.client(language="en")
    for url, expect in _search_urls()[::4]:
        findings += _page(client, url, expect)
    assert findings == []


def test_reflected_query_strings_and_error_pages(world: World) -> None:
    from urllib.parse import quote

    client = world.client()
    findings: list[str] = []
    for k in range(P):
        m = marker(k, "reflected")
        text = bare(k, "reflected")
        args = _query({"q": text, "when": text, "topic": text, "agency": text, "page": text})
        urls = [f"/sessions?{args}", f"/certificates?{_query({'code': text})}"]
        urls += [f"/auth/login?{_query({'next': text})}", f"/sessions/{quote(text, safe='')}"]
        if k % 4 == 0:
            urls += [f"/takeaways?{args}", f"/certificates/{quote(text, safe='')}"]
            urls += [f"/agencies?{args}", f"/auth/signup?{_query({'next': text})}"]
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, url
            findings += html_findings(response.get_data(as_text=True), f"{url[:40]} ({m})")
    assert findings == []


NEXT_TARGETS = [
    "//evil.example/x",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "/%2F%2Fevil.example",
    "\t//evil.example",
    "///evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "https:evil.example",
    "\\\\evil.example",
]


def _stays_on_site(location: str) -> None:
    """A path of this site: a browser would not leave it (tabs and newlines are dropped)."""
    seen = re.sub(r"[\t\n\r]", "", location)
    assert seen.startswith("/"), location
    assert not seen.startswith(("//", "/\\")), location
    assert "evil" not in seen.split("?")[0].lower() or seen.startswith("/%2F"), location


@pytest.mark.parametrize("target", NEXT_TARGETS[:8])  # the log-in limit: 10 a minute
def test_login_next_is_never_an_open_redirect(world: World, target: str) -> None:
    client = world.app.test_client()
    response = client.post(
        f"/auth/login?{_query({'next': target})}",
        data={"email": "participant0@xss.go.th", "password": "correct horse"},
    )
    assert response.status_code in (302, 303), response.status_code
    _stays_on_site(response.headers["Location"])


def test_next_is_never_an_open_redirect_anywhere(world: World) -> None:
    """Logged in, /auth/login?next= and /auth/signup?next= go straight on; the language switch
    goes back to ?next=: every one stays on this site."""
    client = world.client(world.user_ids[0])
    for target in NEXT_TARGETS:
        for path in ("/auth/login", "/auth/signup", "/language/en", "/language/th"):
            response = client.get(f"{path}?{_query({'next': target})}")
            assert response.status_code in (302, 303), (path, target, response.status_code)
            _stays_on_site(response.headers["Location"])


def test_participant_pages(world: World) -> None:
    findings: list[str] = []
    for k in range(P):
        client = world.client(world.user_ids[k])
        expect = [marker(k, "username"), marker(k, "titleth")]
        findings += _page(client, "/me", expect)
        findings += _page(client, "/me/profile", [marker(k, "token")])
        if k % 3 == 0:
            findings += _page(client, f"/sessions/xss-{k}", [marker(k, "titleth")])
        if past(k):
            response = client.get(f"/sessions/xss-{k}/feedback")
            findings += html_findings(response.get_data(as_text=True), f"feedback xss-{k}")
        if k in world.certificate_codes:
            code = world.certificate_codes[k]
            findings += _page(client, f"/certificates/{code}", [marker(k, "username")])
            findings += _page(client, f"/certificates?code={code}", [], status=None)
    assert findings == []


def test_personal_join_link_never_redirects_to_a_script(world: World) -> None:
    """The platform's join link bypassed the form (as data loaded from elsewhere could): the
    personal link must not send a browser to javascript: or data:."""
    findings: list[str] = []
    for k in range(1, P, 2):
        client = world.client(world.user_ids[k])
        response = client.get(f"/j/{world.join_tokens[k]}")
        assert response.status_code < 500, k
        location = response.headers.get("Location", "")
        assert not location.lstrip().lower().startswith(("javascript", "data", "vbscript")), k
        assert not re.match(r"^\s*j\s*a\s*v\s*a", location, re.I), (k, location)
        findings += html_findings(response.get_data(as_text=True), f"/j/ for xss-{k}")
    assert findings == []


ORGANISER_PAGES = (
    "edit", "agenda", "people", "notes", "notes/en", "takeaways", "materials", "feedback",
    "registrations", "dashboard", "preview", "reminders", "note-takers",
)  # fmt: skip


def test_organiser_and_admin_pages(world: World) -> None:
    """The form pages (text in <input> and <textarea>) for every payload; the other workspace
    pages show the same fields through the same escaping, each for a quarter of them."""
    client = world.client(world.admin_id)
    findings: list[str] = []
    for url in ("/manage", "/manage/sessions", "/manage/agencies", "/manage/people",
                "/manage/topics", "/manage/users", "/manage/audit", "/manage/outbox"):  # fmt: skip
        findings += _page(client, url, [])
    for k in range(P):
        for n, part in enumerate(ORGANISER_PAGES):
            if part in ("edit", "notes") or n % 4 == k % 4:
                findings += _page(client, f"/manage/sessions/xss-{k}/{part}", [])
        if k % 3 == 0:
            findings += _page(client, f"/manage/agencies/{world.agency_ids[k]}/edit", [])
            findings += _page(client, f"/manage/agencies/{world.agency_ids[k]}/merge", [])
            findings += _page(client, f"/manage/people/{world.person_ids[k]}/edit", [])
            findings += _page(client, f"/manage/topics/{world.topic_ids[k]}/edit", [])
            findings += _page(client, f"/manage/users/{world.user_ids[k]}/edit", [])
    with world.app.app_context():
        from exchange.db import db
        from exchange.models import OutboxMessage

        ids = list(db.session.scalars(sa.select(OutboxMessage.id)))
    for message_id in ids[::3]:
        findings += _page(client, f"/manage/outbox/{message_id}", [])
    assert findings == []


def test_note_preview_sends_sanitised_html(world: World) -> None:
    """The editor's live preview puts the answer into the page with innerHTML."""
    client = world.client(world.admin_id)
    text = all_values("preview")
    response = client.post("/manage/sessions/xss-1/notes/preview", data={"text": text})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    html = response.get_json()["html"]
    assert marker(0, "preview") in html
    assert html_findings(html, "note preview", strict=True) == []


def test_organiser_pages_show_the_markers(world: World) -> None:
    """Not vacuous: the workspace pages really carry the payloads they were checked with."""
    client = world.client(world.admin_id)
    k = 1
    html = {
        part: client.get(f"/manage/sessions/xss-{k}/{part}").get_data(as_text=True)
        for part in ("edit", "agenda", "people", "notes", "takeaways", "materials", "feedback")
    }
    assert marker(k, "titleth") in html["edit"]
    assert marker(k, "agendath") in html["agenda"]
    assert marker(k, "personth") in html["people"]
    assert marker(k, "notebodyth") in html["notes"]
    assert marker(k, "takeawayth") in html["takeaways"]
    assert marker(k, "material") in html["materials"]
    assert marker(k, "questionth") in html["feedback"]


# --- e-mails, feeds, exports, the API ------------------------------------------------------------


OVER_ESCAPED = re.compile(r"&(lt|gt|quot|#39|#x27|amp);")


def test_outbox_messages(world: World) -> None:
    from exchange.db import db
    from exchange.models import OutboxMessage

    with world.app.app_context():
        messages = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
    templates_seen = {m.subject.split(":")[0] for m in messages}
    assert len(templates_seen) >= 5, templates_seen  # confirmations, updates, cancellations …
    findings: list[str] = []
    joined = ""
    for message in messages:
        where = f"e-mail {message.id} ({message.subject[:40]!r})"
        assert message.body_html, where
        findings += html_findings(message.body_html, where)
        if OVER_ESCAPED.search(message.body_text) or OVER_ESCAPED.search(message.subject):
            findings.append(
                f"{where}: the plain text is HTML-escaped: {describe(message.body_text)}"
            )
        if "\n" in message.subject or "\r" in message.subject:
            findings.append(f"{where}: a line break in the subject")
        joined += message.body_text + message.body_html
        if message.ics:
            findings += _ics_findings(message.ics.encode(), where)
    assert findings == []
    for expected in (marker(0, "cancelmsg"), marker(1, "titleth"), marker(1, "username")):
        assert expected in joined, expected


def _ics_findings(data: bytes, where: str) -> list[str]:
    """A calendar is text: no X-ALT-DESC (HTML), no property the payloads injected, every
    text value read back exactly as typed."""
    findings: list[str] = []
    events = ical_check.check(data)
    raw = data.decode()
    unfolded = raw.replace("\r\n ", "").replace("\r\n\t", "")
    for line in unfolded.split("\r\n"):
        name = re.split(r"[;:]", line, maxsplit=1)[0].upper()
        if name == "X-ALT-DESC" or name.startswith("X-INJECTED") or name == "ATTACH":
            findings.append(f"{where}: injected or HTML property {line[:120]!r}")
    assert events is not None
    return findings


def _ics_text_round_trips(data: bytes) -> list[str]:
    """Every SUMMARY and LOCATION carrying a marker reads back with its payload intact."""
    import icalendar

    problems = []
    for component in icalendar.Calendar.from_ical(data).walk("VEVENT"):
        for name in ("SUMMARY", "LOCATION"):
            text = str(component.get(name, ""))
            for n, code in MARKER.findall(text):
                k = int(n)
                if code in ("titleth", "titleen", "venue"):
                    expected = PAYLOADS[k].text(marker(k, code))
                    limit = 400 - len("ไทย") - len(marker(k, code))
                    if expected[:limit].replace("\r\n", "\n") not in text:
                        problems.append(f"{name} of payload {k} changed: {text[:120]!r}")
    return problems


def test_calendar_feeds(world: World) -> None:
    client = world.client()
    findings: list[str] = []
    urls = ["/calendar.ics"]
    urls += [f"/sessions/xss-{k}.ics" for k in range(P)]
    urls += [f"/agencies/agency-{k}/calendar.ics" for k in range(0, P, 5)]
    urls += [f"/topics/topic-{k}/calendar.ics" for k in range(0, P, 5)]
    urls += [f"/me/calendar/{token}.ics" for token in world.calendar_tokens[:4] if token]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/calendar", url
        findings += _ics_findings(response.data, url)
        findings += [f"{url}: {p}" for p in _ics_text_round_trips(response.data)]
    data = client.get("/calendar.ics").data.decode()
    assert marker(1, "titleth") in data.replace("\r\n ", "")
    assert findings == []


def test_schedule_exports(world: World) -> None:
    client = world.client()
    for base in ("/schedule", "/agencies/agency-3/schedule", "/topics/topic-3/schedule"):
        response = client.get(f"{base}.xml")
        assert response.status_code == 200
        root = ET.fromstring(response.data)  # noqa: S314 -- our own output; raises if not well-formed
        text = "".join(root.itertext())
        assert marker(3, "titleth") in text or marker(3, "titleen") in text, base
        assert not any(_tag(e) == "evil" for e in root.iter()), "markup became XML elements"
        response = client.get(f"{base}.json")
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        data = json.loads(response.data)
        assert marker(3, "titleth") in json.dumps(data, ensure_ascii=False) or marker(
            3, "titleen"
        ) in json.dumps(data, ensure_ascii=False)


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def test_atom_feed(world: World) -> None:
    response = world.client().get("/feed.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.data)  # noqa: S314 -- our own output, well-formed
    assert not any(_tag(e) in ("evil", "script", "svg", "iframe") for e in root.iter())
    feed = feedparser.parse(response.data)
    assert feed.entries, "no entries: the summaries were not published"
    findings: list[str] = []
    shown = ""
    for entry in feed.entries:
        for content in [*entry.get("content", []), entry.get("summary_detail", {})]:
            if not content:
                continue
            shown += content.get("value", "")
            if "html" in content.get("type", ""):
                findings += html_findings(content["value"], f"atom entry {entry.get('id')}")
        shown += entry.get("title", "")
    # feedparser sanitises what it reads, so check the raw entries' HTML too
    for element in root.iter():
        if _tag(element) in ("content", "summary") and element.get("type") == "html":
            findings += html_findings(element.text or "", "atom (raw)")
    assert MARKER.search(shown), "the feed shows none of the payloads"
    assert findings == []


def _strings(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, f"{path}[{n}]")
    elif isinstance(value, str):
        yield path, value


def test_api_json(world: World) -> None:
    client = world.app.test_client()
    urls = ["/api/v1/sessions", "/api/v1/agencies", "/api/v1/people", "/api/v1/topics",
            "/api/v1/takeaways", "/api/v1/search?q=script", "/api/v1/search?q=ไทย"]  # fmt: skip
    urls += [f"/api/v1/sessions/xss-{k}" for k in range(P)]
    urls += [f"/api/v1/agencies/agency-{k}" for k in range(0, P, 3)]
    urls += [f"/api/v1/people/person-{k}" for k in range(0, P, 3)]
    urls += [f"/api/v1/topics/topic-{k}" for k in range(0, P, 3)]
    findings: list[str] = []
    html_fields = 0
    for url in urls:
        response = client.get(url, headers={"Authorization": f"Bearer {world.api_secret}"})
        assert response.status_code == 200, url
        assert response.mimetype == "application/json", url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url
        for path, text in _strings(response.get_json()):
            if path.endswith((".html", "_html")):
                html_fields += 1
                findings += html_findings(text, f"{url} {path}", strict=True)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {world.api_secret}"})
    assert marker(0, "username") in response.get_data(as_text=True)
    assert html_fields >= P, html_fields
    assert findings == []


# --- the checker has teeth ------------------------------------------------------------------------


def test_the_checker_flags_every_payload_left_unescaped() -> None:
    """Unescaped in an element or an attribute, every payload is found (and named); escaped,
    none is: so a clean page above means escaped, not unseen."""
    from markupsafe import escape

    for k in range(P):
        if PAYLOADS[k].kind not in ("html", "url"):
            continue  # Markdown, template and format payloads are harmless as raw HTML
        m = marker(k, "probe")
        raw = value(k, "probe")
        page = f"<title>{raw}</title><p>{raw}</p><a href='{bare(k, 'probe')}'>x</a>"
        page += f'<textarea>{raw}</textarea><input value="{raw}"><a href="{PAYLOADS[k].text(m)}">'
        found = html_findings(page, "probe") + html_findings(page, "probe", strict=True)
        assert found, PAYLOADS[k].name
        safe = f'<title>{escape(raw)}</title><p>{escape(raw)}</p><input value="{escape(raw)}">'
        assert html_findings(safe, "probe", strict=True) == [], PAYLOADS[k].name
    assert "payload 3 (img-onerror) in probe" in describe(marker(3, "probe"))
    assert html_findings(f"<p>{marker(21, 'probe')}49</p>", "probe"), "{{7*7}} evaluated"


def test_the_checker_catches_a_renderer_that_lets_html_through(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With raw HTML allowed and nh3 off, the session pages fail the check: the Markdown
    renderer's two layers are what keeps them clean."""
    from markdown_it import MarkdownIt

    from exchange import markup

    monkeypatch.setattr(markup, "_md", MarkdownIt("commonmark", {"html": True}))
    monkeypatch.setattr(markup.nh3, "clean", lambda html, **_: html)
    client = world.client()
    findings = _page(client, "/sessions/xss-3", [])
    assert any("xss03descth" in f for f in findings), findings


# --- the forms: payloads typed in, links refused -------------------------------------------------

SCRIPT_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " \tjava\nscript:alert(1)",
    "&#106;avascript:alert(1)",
    "vbscript:msgbox(1)",
    f"data:text/html;base64,{'PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='}",
    "javascript://example.go.th/%0aalert(1)",
    'https://example.go.th" onmouseover="alert(1)',
]


def _organiser(app: Flask, make_user) -> tuple[int, int]:
    from exchange.db import db
    from exchange.models import Agency

    with app.app_context():
        agency = Agency(slug="opdc", name_th="สำนักงาน ก.พ.ร.", name_en="OPDC")
        db.session.add(agency)
        db.session.commit()
        agency_id = agency.id
    return make_user("org@opdc.go.th", role="organiser", agency_id=agency_id), agency_id


def _session_form(agency_id: int, **changes: str) -> dict[str, str]:
    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    data = {
        "title_th": value(1, "formtitle", 400),
        "title_en": value(2, "formtitleen", 400),
        "description_th": all_values("formdesc"),
        "description_en": value(7, "formdescen"),
        "organiser": str(agency_id),
        "format": "hybrid",
        "platform": value(4, "formplatform", 120),
        "venue": value(23, "formvenue", 400),
        "join_url": "https://meet.example.go.th/room",
        "timezone": "Asia/Bangkok",
        "starts_at": f"{day}T09:00",
        "ends_at": f"{day}T12:00",
        "capacity": "50",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "slug": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("link", SCRIPT_LINKS)
def test_link_fields_refuse_script_addresses(app: Flask, make_user, link: str) -> None:
    """The join link (new, edit and the API), the recording link, an agency's website and a
    note's source: a form error, nothing saved."""
    from exchange.db import db
    from exchange.models import LearningSession, Note, User
    from exchange.services import api_tokens, notes

    organiser, agency_id = _organiser(app, make_user)
    client = app.test_client()
    login_as(client, organiser)
    new = _session_form(agency_id, join_url=link)
    response = client.post("/manage/sessions/new?lang=en", data=new)
    assert response.status_code == 200
    assert "https://" in response.get_data(as_text=True)
    response = client.post("/manage/sessions/new", data=_session_form(agency_id, slug="ok"))
    assert response.status_code == 302
    edit = _session_form(agency_id, join_url=link, slug="ok")
    response = client.post("/manage/sessions/ok/edit?lang=en", data=edit)
    assert response.status_code in (200, 400)
    assert "https://" in response.get_data(as_text=True)
    response = client.post("/manage/sessions/ok/recording", data={"recording_url": link})
    assert response.status_code == 400
    with app.app_context():
        saved = db.session.scalar(sa.select(LearningSession).filter_by(slug="ok"))
        assert (saved.join_url, saved.recording_url) == ("https://meet.example.go.th/room", "")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LearningSession)) == 1
    with app.test_request_context("/"):
        saved = db.session.scalar(sa.select(LearningSession).filter_by(slug="ok"))
        note = notes.NoteData(body="x", source_url=link)
        with pytest.raises(notes.NotesError):
            notes.save_note(saved, "th", note, user_id=organiser)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 0
        user = db.session.get(User, organiser)
        _token, secret = api_tokens.create_token(user, "xss", datetime.now(UTC))
        db.session.commit()
    body = {"title_th": "x", "starts_at": "2030-01-01T09:00", "ends_at": "2030-01-01T10:00"}
    response = client.post(
        "/api/v1/sessions",
        json={**body, "join_url": link},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "join_url" in response.get_data(as_text=True)
    login_as(client, make_user("admin@opdc.go.th", role="admin"))
    agency = {"name_th": "กรมใหม่", "name_en": "", "abbr_th": "", "abbr_en": "",
              "kind": "department", "parent_id": "", "website": link, "slug": ""}  # fmt: skip
    response = client.post("/manage/agencies/new?lang=en", data=agency)
    assert response.status_code == 200
    assert "starts with http:// or https://" in response.get_data(as_text=True)


@pytest.fixture
def upload_app(database_url: str, tmp_path) -> Iterator[Flask]:
    """The usual test app, with uploads kept in a temporary folder."""
    with built_app(database_url, UPLOAD_FOLDER=str(tmp_path / "uploads")) as app:
        yield app


def test_payloads_typed_into_the_forms_stay_text(upload_app: Flask) -> None:
    """Sign-up name, API token name, a whole session and an uploaded file's title and name,
    typed in through the forms: every page that shows them passes the check (and shows
    them); the file comes back as an attachment of its own type."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    from exchange.models import UserRole
    from exchange.services.accounts import create_user

    app = upload_app
    with app.app_context():
        from exchange.db import db
        from exchange.models import Agency

        agency = Agency(slug="opdc", name_th="สำนักงาน ก.พ.ร.", name_en="OPDC")
        db.session.add(agency)
        db.session.flush()
        agency_id = agency.id
        organiser = create_user(
            "org@opdc.go.th", "ผู้จัด", password=None, role=UserRole.ORGANISER, agency_id=agency_id
        ).id
        db.session.commit()
    client = app.test_client()
    name = value(3, "signup", 200)
    response = client.post(
        "/auth/signup",
        data={
            "display_name": name,
            "email": "new@xss.go.th",
            "password": "a long enough secret",
            "confirm": "a long enough secret",
            "agency": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        from exchange.models import OutboxMessage

        body = db.session.scalars(
            sa.select(OutboxMessage.body_text).order_by(OutboxMessage.id.desc())
        ).first()
    confirm = re.search(r"http://localhost(/auth/signup/confirm/[^\s?]+)", body).group(1)
    findings = _page(client, confirm, [marker(3, "signup")])  # the e-mailed link's page
    assert client.post(confirm).status_code == 302
    token = {"token-name": value(0, "formtoken", 100), "token-expires": "30"}
    response = client.post("/me/tokens", data=token)
    assert response.status_code in (200, 302)
    findings += _page(client, "/me", [marker(3, "signup")])
    findings += _page(client, "/me/profile", [marker(0, "formtoken")])
    login_as(client, organiser)
    response = client.post("/manage/sessions/new", data=_session_form(agency_id, slug="typed"))
    assert response.status_code == 302
    assert client.post("/manage/sessions/typed/publish").status_code in (302, 303)
    for url in ("/manage/sessions/typed/edit", "/manage/sessions/typed/preview",
                "/sessions/typed", "/sessions"):  # fmt: skip
        findings += _page(client, url, [marker(1, "formtitle")])
    findings += _page(client, "/sessions/typed", [marker(k, "formdesc") for k in range(0, P, 5)])
    findings += _page(client, "/search?q=xss01formtitle", [marker(1, "formtitle")])
    upload = {"title": value(4, "formmaterial", 300), "agenda_item": "", "visibility": "public"}
    upload["file"] = FileStorage(io.BytesIO(PDF), filename=value(1, "formfile", 200) + ".pdf")
    boundary, body = encode_multipart(upload)
    response = client.post(
        "/manage/sessions/typed/materials",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code in (302, 303), response.status_code
    findings += _page(client, "/manage/sessions/typed/materials", [marker(4, "formmaterial")])
    page = client.get("/sessions/typed").get_data(as_text=True)
    findings += html_findings(page, "/sessions/typed with a material")
    [link] = re.findall(r'href="(/sessions/typed/materials/[^"]+)"', page)
    response = client.get(link.replace("&amp;", "&"))
    response.close()  # a file response: close it, or its file is left open
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "<" not in disposition.split("filename*=")[0], disposition
    assert findings == []
