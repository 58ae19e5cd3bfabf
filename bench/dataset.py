"""The large benchmark dataset on PostgreSQL, written with COPY and kept between runs.

10,000 sessions (1,000 of them in the calendar feed's window), 2,000 agencies, 20,000 people
who appear in sessions, 20,000 participant accounts, 200,000 registrations, 50,000 takeaways
and 3,000 notes, with Thai written as Thai is written (runs of words without spaces, clauses
separated by spaces) and English mixed in. The text is varied but drawn from a bounded set of
Thai clauses (pieces of the demo seed article glued to words from PyThaiNLP's dictionary), so
that building the search index tokenises each clause once and not once per document: the
rows are what the app writes, the index is built by `exchange.search.index.rebuild` (the code
of `flask exchange reindex`) with PyThaiNLP's tokeniser memoised for this process only.

bench/prepared.py keeps it between runs.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from psycopg import sql

from exchange.models import (
    Agency,
    AgendaItem,
    Appearance,
    LearningSession,
    Note,
    NoteSection,
    Person,
    Registration,
    Takeaway,
    Topic,
    User,
    session_topic,
    takeaway_agency,
    takeaway_topic,
)

VERSION = 1  # change when the generated data changes: old databases are regenerated
COUNTS = {
    "sessions": 10_000,
    "in_feed": 1_000,  # sessions in /calendar.ics's window (the rest ended long ago)
    "agencies": 2_000,
    "people": 20_000,
    "users": 20_000,
    "registrations": 200_000,
    "takeaways": 50_000,
    "notes": 3_000,
    "topics": 40,
}
REGISTER_SLUG = "bench-register"  # the session the registration POSTs go to (reset each run)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED = PROJECT_ROOT.parent / "shared" / "seeds"
SEED_FILE = SEED / "opdc-pmqa-4.0-webinar-2021.th.txt"
ENGLISH = str.split(
    "mindset digital government service citizen data platform innovation policy hotline "
    "paperless sandbox tax justice care mental health land development revenue highland "
    "research agile leadership culture change management performance indicator open data "
    "cloud mobile application community network feedback quality award teamwork budget "
    "procurement training coaching evaluation risk audit transparency participation"
)
PREFIXES = [
    ("นาย", "Mr."),
    ("นาง", "Mrs."),
    ("นางสาว", "Ms."),
    ("ดร.", "Dr."),
    ("ผศ.ดร.", "Asst. Prof. Dr."),
]
AGENCY_WORDS = [("กรม", "Department of"), ("สำนักงาน", "Office of"), ("สถาบัน", "Institute of")]


class Vocabulary:
    """Bounded, reproducible Thai and English text."""

    def __init__(self, rng: random.Random, clauses: int = 4000) -> None:
        from pythainlp.corpus import thai_words

        seed = SEED_FILE.read_text(encoding="utf-8") if SEED_FILE.exists() else "การพัฒนาองค์การ"
        pieces = [p for p in seed.split() if len(p) > 3 and not p.isascii()]
        self.words = sorted(w for w in thai_words() if 2 <= len(w) <= 10 and " " not in w)
        self.rng = rng
        self.clauses = [
            rng.choice(pieces) + "".join(rng.choice(self.words) for _ in range(rng.randint(0, 2)))
            if rng.random() < 0.6
            else "".join(rng.choice(self.words) for _ in range(rng.randint(2, 4)))
            for _ in range(clauses)
        ]

    def thai(self, clauses: int) -> str:
        parts = self.rng.choices(self.clauses, k=clauses)
        if self.rng.random() < 0.3:
            parts.insert(self.rng.randrange(len(parts) + 1), self.rng.choice(ENGLISH))
        return " ".join(parts)

    def english(self, words: int) -> str:
        return " ".join(self.rng.choices(ENGLISH, k=words)).capitalize()

    def word(self) -> str:
        return self.rng.choice(self.words)


# -- writing rows --------------------------------------------------------------------------------


def _value(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)  # stored as naive UTC
    if isinstance(value, str):
        return str(value)  # StrEnum members as their value
    return value


def copy_rows(connection: sa.Connection, table: sa.Table, rows: Iterable[dict]) -> int:
    """COPY *rows* into *table*; columns a row leaves out get the model's Python default."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    defaults = {}
    for column in table.columns:
        default = column.default
        if default is None or column.name in first:
            continue
        defaults[column.name] = default.arg(None) if default.is_callable else default.arg
    names = [c.name for c in table.columns if c.name in first or c.name in defaults]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    count = 0
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in _chain(first, rows):
            copy.write_row([_value(row[n] if n in row else defaults[n]) for n in names])
            count += 1
    if "id" in table.c:
        connection.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "  # noqa: S608 -- a model's table name
                f'(SELECT max(id) FROM "{table.name}"))'
            )
        )
    return count


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest


# -- the data ------------------------------------------------------------------------------------


def generate(connection: sa.Connection, counts: dict[str, int] = COUNTS) -> dict[str, int]:
    """Write every row; returns the counts written."""
    rng = random.Random(20211213)  # noqa: S311 -- reproducible data, not secrets
    text = Vocabulary(rng)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    written: dict[str, int] = {}

    topics = [
        {
            "id": n + 1,
            "slug": f"topic-{n + 1}",
            "name_th": text.word() + text.word(),
            "name_en": text.english(2),
            "description_th": text.thai(4),
        }
        for n in range(counts["topics"])
    ]
    written["topics"] = copy_rows(connection, Topic.__table__, topics)

    ministries = 20
    agencies = []
    for n in range(counts["agencies"]):
        th, en = rng.choice(AGENCY_WORDS)
        agencies.append(
            {
                "id": n + 1,
                "slug": f"agency-{n + 1}",
                "name_th": f"{'กระทรวง' if n < ministries else th}{text.word()}{text.word()}",
                "name_en": f"{'Ministry of' if n < ministries else en} {text.english(2)}",
                "abbr_th": "",
                "abbr_en": f"A{n + 1}",
                "kind": "ministry" if n < ministries else "department",
                "parent_id": None if n < ministries else rng.randint(1, ministries),
            }
        )
    written["agencies"] = copy_rows(connection, Agency.__table__, agencies)
    agency_ids = range(1, len(agencies) + 1)

    people = []
    for n in range(counts["people"]):
        th, en = rng.choice(PREFIXES)
        people.append(
            {
                "id": n + 1,
                "slug": f"person-{n + 1}",
                "prefix_th": th,
                "prefix_en": en,
                "name_th": f"{text.word()} {text.word()}{text.word()}",
                "name_en": f"{text.english(1)} {text.english(1)}son",
            }
        )
    written["people"] = copy_rows(connection, Person.__table__, people)

    users = [
        {
            "id": n + 1,
            "email": f"bench{n + 1}@agency.go.th",
            "display_name": f"ผู้ทดสอบ {n + 1}",
            "role": "participant",
            "agency_id": rng.choice(agency_ids),
            "locale": "th",
            "active": True,
        }
        for n in range(counts["users"])
    ]
    written["users"] = copy_rows(connection, User.__table__, users)

    sessions, session_topics, agenda, appearances = [], [], [], []
    past = counts["sessions"] - counts["in_feed"]
    for n in range(counts["sessions"]):
        if n < past:  # from about eight years ago to 35 days ago
            start = now - timedelta(days=35 + (past - n) * 3000 // past, hours=-2)
        else:  # 25 days ago to a year ahead: the feed's window
            start = now + timedelta(days=-25 + (n - past) * 390 // counts["in_feed"], hours=3)
        status = "draft" if n % 37 == 3 else "cancelled" if n % 97 == 5 else "published"
        slug = REGISTER_SLUG if n == past + counts["in_feed"] // 2 else f"s-{n + 1}"
        if slug == REGISTER_SLUG:
            status = "published"
        fmt = rng.choice(("online", "onsite", "hybrid"))
        sessions.append(
            {
                "id": n + 1,
                "slug": slug,
                "title_th": text.thai(3),
                "title_en": text.english(6),
                "description_th": "\n\n".join(text.thai(12) for _ in range(3)),
                "description_en": text.english(60),
                "organiser_id": rng.choice(agency_ids),
                "format": fmt,
                "venue": "" if fmt == "online" else "ห้องประชุม 1 อาคารรัฐประศาสนศาสตร์ กรุงเทพมหานคร",
                "platform": "" if fmt == "onsite" else "Zoom",
                "join_url": f"https://meet.example.org/{slug}",
                "starts_at": start,
                "ends_at": start + timedelta(hours=rng.choice((2, 3))),
                "status": status,
                "ical_sequence": 1 if status == "cancelled" else 0,
                "capacity": None,
            }
        )
        for topic in rng.sample(range(1, len(topics) + 1), rng.randint(1, 3)):
            session_topics.append({"session_id": n + 1, "topic_id": topic})
        for p in range(3):
            agenda.append(
                {
                    "id": len(agenda) + 1,
                    "session_id": n + 1,
                    "position": p,
                    "title_th": text.thai(2),
                    "title_en": text.english(4),
                    "starts_at": start + timedelta(minutes=40 * p),
                    "ends_at": start + timedelta(minutes=40 * p + 40),
                }
            )
        roles = ["host", "speaker", "speaker", "panellist", "moderator"]
        for k, person in enumerate(rng.sample(range(1, len(people) + 1), rng.randint(2, 5))):
            appearances.append(
                {
                    "id": len(appearances) + 1,
                    "session_id": n + 1,
                    "person_id": person,
                    "role": roles[k],
                    "position_title_th": "ผู้อำนวยการ" + text.word(),
                    "agency_id": rng.choice(agency_ids),
                    "sort_order": k,
                }
            )
    written["sessions"] = copy_rows(connection, LearningSession.__table__, sessions)
    copy_rows(connection, session_topic, session_topics)
    copy_rows(connection, AgendaItem.__table__, agenda)
    written["appearances"] = copy_rows(connection, Appearance.__table__, appearances)

    written["registrations"] = copy_rows(
        connection, Registration.__table__, _registrations(rng, sessions, counts, now)
    )

    done = [s for s in sessions if s["ends_at"] < now and s["status"] == "published"]
    takeaways, t_agencies, t_topics = [], [], []
    for n in range(counts["takeaways"]):
        s = rng.choice(done)
        takeaways.append(
            {
                "id": n + 1,
                "session_id": s["id"],
                "kind": rng.choice(("initiative", "practice", "success_factor", "conclusion")),
                "statement_th": text.thai(rng.randint(2, 6)),
                "statement_en": text.english(12),
                "position": n % 8,
                "status": "draft" if n % 20 == 0 else "published",
                "created_at": s["ends_at"] + timedelta(days=2),
            }
        )
        for agency in {rng.choice(agency_ids), rng.choice(agency_ids)}:
            t_agencies.append({"takeaway_id": n + 1, "agency_id": agency})
        t_topics.append({"takeaway_id": n + 1, "topic_id": rng.randint(1, len(topics))})
    written["takeaways"] = copy_rows(connection, Takeaway.__table__, takeaways)
    copy_rows(connection, takeaway_agency, t_agencies)
    copy_rows(connection, takeaway_topic, t_topics)

    notes, sections = [], []
    for n, s in enumerate(rng.sample(done, counts["notes"])):
        published = s["ends_at"] + timedelta(days=5)
        notes.append(
            {
                "id": n + 1,
                "session_id": s["id"],
                "language": "th",
                "title": text.thai(3),
                "body": "\n\n".join(text.thai(15) for _ in range(2)),
                "conclusion": text.thai(10),
                "status": "published",
                "published_at": published,
                "created_at": published,
                "updated_at": published,
            }
        )
        for p in range(2):
            sections.append(
                {
                    "id": len(sections) + 1,
                    "note_id": n + 1,
                    "agency_id": rng.choice(agency_ids),
                    "position": p,
                    "heading": text.thai(2),
                    "body": text.thai(20),
                }
            )
    written["notes"] = copy_rows(connection, Note.__table__, notes)
    copy_rows(connection, NoteSection.__table__, sections)
    return written


def _registrations(
    rng: random.Random, sessions: list[dict], counts: dict[str, int], now: datetime
) -> Iterator[dict]:
    """About counts["registrations"] rows, 1..40 per public session, none for the POST target."""
    public = [s for s in sessions if s["status"] != "draft" and s["slug"] != REGISTER_SLUG]
    mean = counts["registrations"] / len(public)
    remaining = counts["registrations"]
    users = range(1, counts["users"] + 1)
    row_id = 0
    for k, s in enumerate(public):
        left = len(public) - k
        size = (
            remaining if left == 1 else min(remaining, max(1, round(rng.uniform(0.2, 1.8) * mean)))
        )
        remaining -= size
        held = s["ends_at"] < now
        for user in rng.sample(users, size):
            row_id += 1
            when = s["starts_at"] - timedelta(days=rng.randint(1, 20))
            cancelled = rng.random() < 0.05
            yield {
                "id": row_id,
                "session_id": s["id"],
                "user_id": user,
                "status": "cancelled" if cancelled else "confirmed",
                "created_at": when,
                "queued_at": when,
                "confirmed_at": when,
                "cancelled_at": when + timedelta(hours=5) if cancelled else None,
                "checked_in_at": s["starts_at"]
                if held and not cancelled and rng.random() < 0.7
                else None,
                "join_count": 0,
            }
