"""`flask exchange demo`: the model webinar of 13 December 2021 and one upcoming session."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from exchange.db import db
from exchange.models import (
    Agency,
    AgendaItem,
    Appearance,
    ContentStatus,
    LearningSession,
    Note,
    NoteSection,
    Person,
    Role,
    SessionFormat,
    SessionStatus,
    Takeaway,
    TakeawayKind,
    Topic,
)
from exchange.services.demo import PANEL_AGENCIES, UPCOMING, WEBINAR, load_demo

MODELS = (
    Agency,
    Person,
    Topic,
    LearningSession,
    AgendaItem,
    Appearance,
    Note,
    NoteSection,
    Takeaway,
)
WEBINAR_TITLE_TH = "ไขกุญแจความสำเร็จ... เรื่อง (ไม่) ลับสู่การเป็นองค์การ 4.0"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    return {
        table.name: [
            tuple(row)
            for row in db.session.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in db.metadata.sorted_tables
    }


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _session(slug: str) -> LearningSession:
    return db.session.scalars(
        select(LearningSession)
        .filter_by(slug=slug)
        .options(
            selectinload(LearningSession.appearances).joinedload(Appearance.person),
            selectinload(LearningSession.appearances).joinedload(Appearance.agency),
            selectinload(LearningSession.appearances).joinedload(Appearance.agenda_item),
            selectinload(LearningSession.agenda_items),
            selectinload(LearningSession.topics),
            selectinload(LearningSession.notes)
            .selectinload(Note.sections)
            .joinedload(NoteSection.agency),
            selectinload(LearningSession.takeaways).selectinload(Takeaway.agencies),
            selectinload(LearningSession.takeaways).selectinload(Takeaway.topics),
        )
    ).one()


def test_cli_loads_demo_and_reports_records_created(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["exchange", "demo"])

    assert result.exit_code == 0, result.output
    reported = re.fullmatch(r"Demo loaded: (\d+) records created\.\n", result.output)
    assert reported is not None, result.output
    with app.app_context():
        assert int(reported[1]) == sum(_count(model) for model in MODELS)
        assert _count(Agency) == 13
        assert _count(Person) == 7
        assert _count(LearningSession) == 2


def test_second_run_reports_nothing_and_changes_no_row(app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["exchange", "demo"]).exit_code == 0
    with app.app_context():
        before = _snapshot()

    result = runner.invoke(args=["exchange", "demo"])

    assert result.exit_code == 0, result.output
    assert result.output == "Demo already loaded; nothing changed.\n"
    with app.app_context():
        after = _snapshot()
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in before.items()
    }
    assert after == before
    assert all(before[model.__table__.name] for model in MODELS)


def test_load_demo_later_creates_nothing(app: Flask, demo: None) -> None:
    with app.app_context():
        before = _snapshot()
        assert load_demo(now=datetime.now(UTC) + timedelta(days=30)) == 0
        assert _snapshot() == before  # load_demo flushed, so any change would show here


def test_load_demo_flushes_but_never_commits(app: Flask) -> None:
    with app.app_context():
        assert load_demo(now=datetime.now(UTC)) > 0
        assert _count(Takeaway) > 0  # flushed, so visible inside the transaction
        db.session.rollback()
    with app.app_context():
        assert all(_count(model) == 0 for model in MODELS)


def test_load_demo_refuses_a_naive_now(app: Flask) -> None:
    with app.app_context(), pytest.raises(ValueError, match="aware"):
        load_demo(now=datetime(2024, 1, 1, 9, 0))  # naive on purpose


def test_webinar_is_the_published_online_session_of_13_december_2021(
    app: Flask, demo: None
) -> None:
    with app.app_context():
        webinar = _session(WEBINAR.slug)

        assert webinar.title_th == WEBINAR_TITLE_TH
        assert webinar.title_en
        assert webinar.organiser is not None
        assert webinar.organiser.slug == "opdc"
        assert webinar.format is SessionFormat.ONLINE
        assert webinar.status is SessionStatus.PUBLISHED
        assert webinar.capacity is None
        assert webinar.timezone == "Asia/Bangkok"
        assert webinar.ical_sequence == 0
        assert webinar.starts_at == datetime(2021, 12, 13, 2, 0, tzinfo=UTC)  # 09:00 Bangkok
        assert webinar.ends_at == datetime(2021, 12, 13, 5, 0, tzinfo=UTC)  # 12:00 Bangkok
        assert webinar.starts_at.astimezone(ZoneInfo("Asia/Bangkok")).weekday() == 0  # Monday
        # The seed gives no time of day, and the description says so in both languages.
        assert "09.00–12.00" in webinar.description_th
        assert "09:00–12:00" in webinar.description_en
        assert "assumed" in webinar.description_en
        assert {topic.slug for topic in webinar.topics} >= {"pmqa-4-0", "mindset-change"}


def test_webinar_agenda_has_the_talk_then_the_panel(app: Flask, demo: None) -> None:
    with app.app_context():
        agenda = _session(WEBINAR.slug).agenda_items

        assert [item.position for item in agenda] == [0, 1]
        assert agenda[0].title_th == "PMQA 4.0 กับการเปลี่ยนแปลงระบบราชการ"
        assert WEBINAR_TITLE_TH in agenda[1].title_th
        assert agenda[0].starts_at == datetime(2021, 12, 13, 2, 0, tzinfo=UTC)
        assert agenda[0].ends_at == agenda[1].starts_at
        assert agenda[1].ends_at == datetime(2021, 12, 13, 5, 0, tzinfo=UTC)


def test_webinar_appearances_keep_roles_prefixes_positions_and_agencies(
    app: Flask, demo: None
) -> None:
    expected = [
        (Role.SPEAKER, "นาง", "อารีย์พันธ์ เจริญสุข", "รองเลขาธิการ ก.พ.ร.", "opdc", 0),
        (
            Role.PANELLIST,
            "นาย",
            "วัลลภ นาคบัว",
            "รองปลัดกระทรวงยุติธรรม",
            "office-of-the-permanent-secretary-ministry-of-justice",
            1,
        ),
        (
            Role.PANELLIST,
            "พญ.",
            "อัมพร เบญจพลพิทักษ์",
            "อธิบดีกรมสุขภาพจิต",
            "department-of-mental-health",
            1,
        ),
        (
            Role.PANELLIST,
            "นางสาว",
            "เบญจพร ชาครานนท์",
            "อธิบดีกรมพัฒนาที่ดิน",
            "land-development-department",
            1,
        ),
        (
            Role.PANELLIST,
            "นาย",
            "ปิ่นสาย สุรัสวดี",
            "ที่ปรึกษาด้านยุทธศาสตร์การจัดเก็บภาษี",
            "revenue-department",
            1,
        ),
        (
            Role.PANELLIST,
            "นาง",
            "เสาวนิตย์ พงษ์ประไพ",
            "ที่ปรึกษาด้านแผนงานและต่างประเทศ",
            "hrdi",
            1,
        ),
        (
            Role.MODERATOR,
            "ผศ.ดร.ทพญ.",
            "รัชฎา ฉายจิต",
            "รองคณบดีฝ่ายยุทธศาสตร์",
            "faculty-of-dentistry-khon-kaen-university",
            1,
        ),
    ]
    with app.app_context():
        appearances = _session(WEBINAR.slug).appearances

        assert [
            (
                appearance.role,
                appearance.person.prefix_th,
                appearance.person.name_th,
                appearance.position_title_th,
                appearance.agency.slug if appearance.agency else None,
                appearance.agenda_item.position if appearance.agenda_item else None,
            )
            for appearance in appearances
        ] == expected
        assert [appearance.sort_order for appearance in appearances] == list(range(7))
        assert all(appearance.position_title_en for appearance in appearances)
        moderator = appearances[-1].person
        assert moderator.display_name("th") == "ผศ.ดร.ทพญ.รัชฎา ฉายจิต"
        assert moderator.display_name("en") == "Asst. Prof. Dr. Rachada Chaijit"


@pytest.mark.parametrize(("language", "heading_field"), [("th", "name_th"), ("en", "name_en")])
def test_each_panel_agency_has_a_note_section(
    app: Flask, demo: None, language: str, heading_field: str
) -> None:
    with app.app_context():
        note = next(n for n in _session(WEBINAR.slug).notes if n.language == language)

        assert note.status is ContentStatus.PUBLISHED
        assert note.published_at == datetime(2021, 12, 14, 2, 0, tzinfo=UTC)
        assert note.source_url == "https://www.opdc.go.th"
        assert note.body
        assert note.conclusion
        assert [section.agency.slug for section in note.sections if section.agency] == list(
            PANEL_AGENCIES
        )
        assert [section.position for section in note.sections] == list(range(5))
        for section in note.sections:
            assert section.agency is not None
            assert section.heading == getattr(section.agency, heading_field)
            assert section.body


def test_thai_note_keeps_the_seed_wording_and_english_says_it_is_translated(
    app: Flask, demo: None
) -> None:
    with app.app_context():
        notes = {note.language: note for note in _session(WEBINAR.slug).notes}

        assert set(notes) == {"th", "en"}
        assert notes["th"].source_name == "สำนักงาน ก.พ.ร."
        assert notes["th"].body.startswith("เมื่อวันที่ 13 ธันวาคม 2564 สำนักงาน ก.พ.ร.")
        assert "Justice care" in notes["th"].sections[0].body
        assert "สายด่วนปรึกษาปัญหาสุขภาพจิต 1323" in notes["th"].sections[1].body
        assert notes["th"].conclusion.startswith("สุดท้ายสิ่งที่สำคัญที่สุด")
        assert "(Mindset)" in notes["th"].conclusion
        first_line = notes["en"].body.splitlines()[0]
        assert first_line.startswith("*Translated from the Thai original")
        assert first_line.endswith("*")


def test_mindset_conclusion_is_attributed_to_exactly_the_five_panel_agencies(
    app: Flask, demo: None
) -> None:
    with app.app_context():
        takeaways = _session(WEBINAR.slug).takeaways
        conclusions = [t for t in takeaways if t.kind is TakeawayKind.CONCLUSION]

        assert len(conclusions) == 1
        conclusion = conclusions[0]
        assert "ปรับกรอบความคิด (Mindset)" in conclusion.statement_th
        assert {agency.slug for agency in conclusion.agencies} == set(PANEL_AGENCIES)
        assert len(conclusion.agencies) == 5
        assert "mindset-change" in {topic.slug for topic in conclusion.topics}
        assert conclusion is takeaways[-1]


def test_takeaways_are_published_attributed_and_in_the_seed_order(app: Flask, demo: None) -> None:
    with app.app_context():
        takeaways = _session(WEBINAR.slug).takeaways

        assert [t.position for t in takeaways] == list(range(len(takeaways)))
        assert all(t.status is ContentStatus.PUBLISHED for t in takeaways)
        assert all(t.agencies and t.topics and t.statement_en for t in takeaways)
        initiatives = " ".join(
            t.statement_th for t in takeaways if t.kind is TakeawayKind.INITIATIVE
        )
        for name in ("Justice care", "1323", "Mental health check in", "e-service"):
            assert name in initiatives
        for name in ("Hackatax", "Tax sandbox", "AI น้องอารี", "ฐานข้อมูลดิจิทัล"):
            assert name in initiatives
        # Agencies speak in the seed's order: OPDC's talk, then the panel in turn.
        first_seen: list[str] = []
        for takeaway in takeaways:
            if len(takeaway.agencies) == 1 and takeaway.agencies[0].slug not in first_seen:
                first_seen.append(takeaway.agencies[0].slug)
        assert first_seen == ["opdc", *PANEL_AGENCIES]
        success_factors = {
            t.agencies[0].slug for t in takeaways if t.kind is TakeawayKind.SUCCESS_FACTOR
        }
        assert success_factors == set(PANEL_AGENCIES) - {"department-of-mental-health"}


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        ("opdc", "office-of-the-prime-minister"),
        ("office-of-the-permanent-secretary-ministry-of-justice", "ministry-of-justice"),
        ("department-of-mental-health", "ministry-of-public-health"),
        ("land-development-department", "ministry-of-agriculture-and-cooperatives"),
        ("revenue-department", "ministry-of-finance"),
        ("faculty-of-dentistry-khon-kaen-university", "khon-kaen-university"),
    ],
)
def test_agencies_sit_under_their_parent(app: Flask, demo: None, child: str, parent: str) -> None:
    with app.app_context():
        agency = db.session.scalars(select(Agency).filter_by(slug=child)).one()

        assert agency.parent is not None
        assert agency.parent.slug == parent


def test_upcoming_session_is_published_open_and_without_people(app: Flask, demo: None) -> None:
    with app.app_context():
        upcoming = _session(UPCOMING.slug)
        now = datetime.now(UTC)

        assert upcoming.starts_at > now
        assert upcoming.status is SessionStatus.PUBLISHED
        assert upcoming.capacity == 100
        assert upcoming.appearances == []
        assert upcoming.organiser is not None
        assert upcoming.organiser.slug == "opdc"
        assert upcoming.join_url.startswith("https://meet.example.org/")
        assert {topic.slug for topic in upcoming.topics} == {"mindset-change", "pmqa-4-0"}
        assert [item.position for item in upcoming.agenda_items] == [0, 1, 2]
        assert upcoming.registration_opens_at is not None
        assert upcoming.registration_opens_at <= now < upcoming.registration_closes_at
        assert upcoming.registration_closes_at == upcoming.starts_at


def test_upcoming_session_starts_at_nine_three_weeks_after_now_in_bangkok(app: Flask) -> None:
    now = datetime(2024, 5, 1, 20, 0, tzinfo=UTC)  # already 2 May in Bangkok
    with app.app_context():
        load_demo(now=now)
        db.session.commit()
    with app.app_context():
        upcoming = _session(UPCOMING.slug)

        assert upcoming.starts_at == datetime(2024, 5, 23, 2, 0, tzinfo=UTC)  # 09:00 Bangkok
        assert upcoming.ends_at == datetime(2024, 5, 23, 4, 0, tzinfo=UTC)  # 11:00 Bangkok
        assert upcoming.registration_opens_at == now


def test_every_slug_is_readable_ascii(app: Flask, demo: None) -> None:
    with app.app_context():
        for model in (Agency, Person, Topic, LearningSession):
            slugs = db.session.scalars(select(model.slug)).all()
            assert slugs
            for slug in slugs:
                assert slug.isascii()
                assert SLUG.fullmatch(slug), slug
