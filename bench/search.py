"""Benchmark the search service over 50,000 takeaways and notes, on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--database-url URL] [--takeaways 40000] [--notes 10000]
                                     [--sessions 500] [--repeat 30] [--keep] [--reuse]

Builds a fresh database (by default a SQLite file in a temporary folder; with --database-url an
existing database that must be empty, whose tables are dropped at the end), writes sessions,
takeaways and notes with Thai and English text made from the demo seed article and PyThaiNLP's
word list (Thai written without spaces, as people write it), builds the search index with the
same code as `flask exchange reindex`, then times `exchange.services.search.search()` for a set
of queries: Thai words inside sentences, English, mixed, a very common word and a rare one.

Each query runs --repeat times after two warm-up runs, four ways: the grouped overview (what
/search?q= shows), one page of takeaways (/search?q=…&type=takeaway), one of sessions (the
oldest documents after a reindex: the most bands to walk) and the overview filtered by the
agency and by the topic with the most documents (&agency=, &topic=). The time includes
building the highlighted snippets. Prints a Markdown table with p50/p95/max in milliseconds.
No network: everything runs in this process against the given database.

With --keep the tables stay at the end; --reuse then times the data kept by an earlier --keep
run (no seeding, no index build; the sizes printed are counted from the database; the tables
stay) so that a change to the query code can be measured again in seconds instead of minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import sqlalchemy as sa  # noqa: E402

from exchange import create_app  # noqa: E402
from exchange.db import db  # noqa: E402
from exchange.models import (  # noqa: E402
    Agency,
    ContentStatus,
    LearningSession,
    Note,
    SearchDocument,
    SearchKind,
    SessionStatus,
    Takeaway,
    TakeawayKind,
    Topic,
    search_document_agency,
    search_document_topic,
    takeaway_agency,
    takeaway_topic,
)
from exchange.search.index import rebuild  # noqa: E402
from exchange.services.search import search  # noqa: E402

SEED = PROJECT_ROOT.parent / "shared" / "seeds" / "opdc-pmqa-4.0-webinar-2021.th.txt"
RARE = "blockchain"  # put in a handful of documents only
QUERIES = [
    ("Thai inside sentences", "องค์การ"),
    ("Thai inside sentences", "ความเป็นธรรม"),
    ("Thai inside sentences", "สุขภาพจิต"),
    ("Thai phrase", "ระบบราชการ 4.0"),
    ("English", "mindset"),
    ("English, two words", "digital government"),
    ("mixed Thai-English", "สุขภาพจิต 1323"),
    ("very common syllable", "การ"),
    ("very common word", "ประชาชน"),
    ("rare word", RARE),
    ("no match", "ควอนตัมคอมพิวเตอร์"),
]
ENGLISH = str.split(
    "mindset digital government service citizen data platform innovation policy hotline "
    "paperless sandbox tax justice care mental health land development revenue highland "
    "research agile leadership culture change management performance indicator open data "
    "cloud mobile application community network feedback quality award teamwork"
)


def fragments() -> tuple[list[str], list[str]]:
    """Space-separated pieces of the seed article, and Thai dictionary words."""
    from pythainlp.corpus import thai_words

    seed = SEED.read_text(encoding="utf-8") if SEED.exists() else "การพัฒนาองค์การ ระบบราชการ"
    pieces = [p for p in seed.split() if len(p) > 3]
    words = sorted(w for w in thai_words() if 2 <= len(w) <= 12)
    return pieces, words


def sentence(rng: random.Random, pieces: list[str], words: list[str], size: int) -> str:
    """Thai runs without spaces (seed pieces glued to dictionary words), a few English words."""
    parts = []
    for _ in range(size):
        run = "".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        parts.append(rng.choice(pieces) + run if rng.random() < 0.6 else run)
        if rng.random() < 0.25:
            parts.append(rng.choice(ENGLISH).capitalize() if rng.random() < 0.3 else "")
    return " ".join(p for p in parts if p)


def seed_data(args: argparse.Namespace) -> None:
    rng = random.Random(20211213)  # noqa: S311 -- reproducible text, not secrets
    pieces, words = fragments()
    now = datetime.now(UTC)
    agencies = [
        Agency(slug=f"agency-{n}", name_th=f"กรม{rng.choice(words)}", name_en=f"Dept {n}")
        for n in range(12)
    ]
    topics = [
        Topic(slug=f"topic-{n}", name_th=rng.choice(words), name_en=f"T{n}") for n in range(8)
    ]
    db.session.add_all(agencies + topics)
    db.session.flush()
    sessions = []
    for n in range(args.sessions):
        start = now - timedelta(days=n)
        sessions.append(
            {
                "slug": f"s-{n}",
                "title_th": sentence(rng, pieces, words, 3),
                "title_en": " ".join(rng.sample(ENGLISH, 4)).capitalize(),
                "description_th": sentence(rng, pieces, words, 30),
                "description_en": " ".join(rng.choices(ENGLISH, k=40)),
                "organiser_id": rng.choice(agencies).id,
                "format": "online",
                "venue": "",
                "platform": "",
                "join_url": "",
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "timezone": "Asia/Bangkok",
                "status": SessionStatus.PUBLISHED if n % 10 else SessionStatus.DRAFT,
                "ical_sequence": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(sa.insert(LearningSession), sessions)
    session_ids = list(db.session.scalars(sa.select(LearningSession.id)))
    rare_at = set(rng.sample(range(args.takeaways), 5))
    takeaways = []
    for n in range(args.takeaways):
        statement = sentence(rng, pieces, words, rng.randint(2, 6))
        if n in rare_at:
            statement += f" {RARE}"
        takeaways.append(
            {
                "session_id": rng.choice(session_ids),
                "kind": rng.choice(list(TakeawayKind)),
                "statement_th": statement,
                "statement_en": " ".join(rng.choices(ENGLISH, k=rng.randint(6, 14))),
                "position": n,
                "status": ContentStatus.PUBLISHED if n % 20 else ContentStatus.DRAFT,
                "created_at": now,
            }
        )
    for start in range(0, len(takeaways), 5000):
        db.session.execute(sa.insert(Takeaway), takeaways[start : start + 5000])
    takeaway_ids = list(db.session.scalars(sa.select(Takeaway.id)))
    db.session.execute(
        sa.insert(takeaway_agency),
        [{"takeaway_id": t, "agency_id": rng.choice(agencies).id} for t in takeaway_ids],
    )
    db.session.execute(
        sa.insert(takeaway_topic),
        [{"takeaway_id": t, "topic_id": rng.choice(topics).id} for t in takeaway_ids],
    )
    notes = []
    for n in range(args.notes):
        notes.append(
            {
                "session_id": session_ids[n % len(session_ids)],
                "language": f"x{n // len(session_ids)}",  # unique per session and "language"
                "title": sentence(rng, pieces, words, 3),
                "body": "\n\n".join(sentence(rng, pieces, words, 25) for _ in range(3)),
                "conclusion": sentence(rng, pieces, words, 15),
                "source_name": "",
                "source_url": "",
                "status": ContentStatus.PUBLISHED,
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(notes), 2000):
        db.session.execute(sa.insert(Note), notes[start : start + 2000])
    db.session.commit()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(query: str, repeat: int, **kwargs) -> tuple[list[float], str]:
    for _ in range(2):
        results = search(query, **kwargs)
        db.session.rollback()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        results = search(query, **kwargs)
        times.append((time.perf_counter() - began) * 1000)
        db.session.rollback()
    return times, f"{results.total:,}" + ("+ (capped)" if results.capped else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--takeaways", type=int, default=40_000)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="leave the tables for --reuse")
    parser.add_argument("--reuse", action="store_true", help="time the data of a --keep run")
    args = parser.parse_args()
    if (args.keep or args.reuse) and not args.database_url:
        parser.error("--keep and --reuse need --database-url (the default file is temporary)")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'search.sqlite'}"
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            tables = sa.inspect(db.engine).get_table_names()
            if args.reuse != bool(tables):
                state = "is empty" if args.reuse else "is not empty"
                print(f"refused: {db.engine.url.render_as_string()} {state}", file=sys.stderr)
                return 2
            if not args.reuse:
                db.create_all()
            try:
                return run(args)
            finally:
                db.session.remove()
                if not (args.keep or args.reuse):
                    db.drop_all()
                db.engine.dispose()


def run(args: argparse.Namespace) -> int:
    if args.reuse:
        seeded = indexed = 0.0
        args.takeaways = db.session.scalar(sa.select(sa.func.count()).select_from(Takeaway))
        args.notes = db.session.scalar(sa.select(sa.func.count()).select_from(Note))
        args.sessions = db.session.scalar(sa.select(sa.func.count()).select_from(LearningSession))
        counts = dict(
            db.session.execute(
                sa.select(SearchDocument.kind, sa.func.count()).group_by(SearchDocument.kind)
            ).all()
        )
        counts = {k: counts.get(k, 0) for k in SearchKind}
        db.session.rollback()
    else:
        began = time.perf_counter()
        seed_data(args)
        seeded = time.perf_counter() - began
        began = time.perf_counter()
        counts = rebuild(db.session)
        db.session.commit()
        indexed = time.perf_counter() - began
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    origin = "reused" if args.reuse else f"seeded in {seeded:.1f} s"
    built = "" if args.reuse else f" built in {indexed:.1f} s"
    print(
        f"## search on {db.engine.dialect.name} ({platform.python_version()}, "
        f"load {os.getloadavg()[0]:.2f})\n\n"
        f"{args.takeaways:,} takeaways and {args.notes:,} notes in {args.sessions} sessions "
        f"({origin}); index: {sum(counts.values()):,} public documents "
        f"({', '.join(f'{k.value} {n:,}' for k, n in counts.items())}){built}.\n"
    )
    # the agency and the topic with the most documents, for the filtered overviews
    busiest = {
        link.c[column].key: db.session.scalar(
            sa.select(link.c[column]).group_by(link.c[column]).order_by(sa.func.count().desc())
        )
        for link, column in (
            (search_document_agency, "agency_id"),
            (search_document_topic, "topic_id"),
        )
    }
    db.session.rollback()
    print(
        "| query | kind | matches | overview p50 | p95 | max | takeaways page p50 | p95 "
        "| sessions page p50 | p95 | one agency p50 | p95 | one topic p50 | p95 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    for label, query in QUERIES:
        overview, total = measure(query, args.repeat)
        paged, _ = measure(query, args.repeat, kind=SearchKind.TAKEAWAY)
        sessions, _ = measure(query, args.repeat, kind=SearchKind.SESSION)
        agency, _ = measure(query, args.repeat, agency_id=busiest["agency_id"])
        topic, _ = measure(query, args.repeat, topic_id=busiest["topic_id"])
        runs = (overview, paged, sessions, agency, topic)
        worst = max(worst, *(percentile(t, 0.95) for t in runs))
        print(
            f"| `{query}` | {label} | {total} | {statistics.median(overview):.1f} | "
            f"{percentile(overview, 0.95):.1f} | {max(overview):.1f} | "
            + " | ".join(
                f"{statistics.median(t):.1f} | {percentile(t, 0.95):.1f}" for t in runs[1:]
            )
            + " |"
        )
    print(f"\nworst p95: {worst:.1f} ms (target < 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
