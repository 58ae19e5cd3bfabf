"""Benchmark /calendar.ics with 1,000 sessions under gunicorn: cold, warm and 304, and a floor.

    .venv/bin/python bench/feed.py [--database-url URL] [--sessions 1000] [--workers 4]
                                   [--requests 400] [--cold-requests 64] [--concurrency 16]

Builds a fresh database (by default a SQLite file in a temporary folder; PostgreSQL or another
SQLite file with --database-url, which must be empty), seeds the sessions with realistic Thai and
English text, serves the app with gunicorn on 127.0.0.1 and measures, from --concurrency client
threads, a bounded number of requests of:

- the floor: a static file as large as the feed, sent by the same gunicorn and Flask;
- cold: /calendar.ics right after a session changed (each request is preceded by a change, so
  the worker finds a new version and builds the feed: one aggregate query, one query for the
  sessions, icalendar, then the bytes go into its cache);
- warm: /calendar.ics unchanged (the version query, then the cached bytes);
- conditional: /calendar.ics with If-None-Match (the version query, then 304).

Prints a Markdown table. All traffic goes to 127.0.0.1; the run stops by itself. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: make `exchange` and `tests` importable
sys.path.insert(0, str(PROJECT_ROOT / "bench"))
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import gunicorn  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from registrations import Result, build_schema  # noqa: E402
from registrations import load as registrations_load  # noqa: E402

from exchange import create_app  # noqa: E402
from exchange.db import db  # noqa: E402
from exchange.models import (  # noqa: E402
    Agency,
    LearningSession,
    SessionFormat,
    SessionStatus,
    Topic,
)
from tests.served import Server, serve  # noqa: E402

FEED = "/calendar.ics"
FLOOR = "/bench-floor.ics"

# A WSGI module for gunicorn: the app, plus the floor file sent through Flask like /static is.
BENCH_APP = """
import os
from flask import send_from_directory
from exchange import create_app

app = create_app()
app.add_url_rule(
    "/bench-floor.ics",
    "bench_floor",
    lambda: send_from_directory(os.environ["BENCH_FLOOR_DIR"], "floor.ics"),
)
"""

AGENCIES = [
    ("สำนักงาน ก.พ.ร.", "Office of the Public Sector Development Commission"),
    ("กรมสุขภาพจิต", "Department of Mental Health"),
    ("กรมพัฒนาที่ดิน", "Land Development Department"),
    ("กรมสรรพากร", "Revenue Department"),
    ("สถาบันวิจัยและพัฒนาพื้นที่สูง", "Highland Research and Development Institute"),
    ("สำนักงานปลัดกระทรวงยุติธรรม", "Office of the Permanent Secretary, Ministry of Justice"),
    ("สำนักงานพัฒนารัฐบาลดิจิทัล", "Digital Government Development Agency"),
    ("กรมบัญชีกลาง", "Comptroller General's Department"),
]
TOPICS = [
    ("PMQA 4.0", "PMQA 4.0"),
    ("ระบบราชการ 4.0", "Bureaucracy 4.0"),
    ("การปรับกรอบความคิด", "Mindset change"),
    ("รัฐบาลดิจิทัล", "Digital government"),
    ("การบริการที่ยึดประชาชนเป็นศูนย์กลาง", "Citizen-centred services"),
    ("ภาวะผู้นำ", "Leadership"),
    ("นวัตกรรม", "Innovation"),
    ("การตัดสินใจด้วยข้อมูล", "Data-driven decisions"),
]
THAI_PARAGRAPHS = [
    "สำนักงาน ก.พ.ร. จัดกิจกรรมแลกเปลี่ยนเรียนรู้ของหน่วยงานที่โดดเด่นด้านการพัฒนาองค์การ"
    "สู่การเป็นระบบราชการ 4.0 ผ่านสื่ออิเล็กทรอนิกส์ เพื่อให้ส่วนราชการได้เรียนรู้แนวทางปฏิบัติที่ดี",
    "ผู้บริหารจากหน่วยงานต่าง ๆ จะแบ่งปันประสบการณ์ในการนำเกณฑ์คุณภาพการบริหารจัดการภาครัฐ"
    " (PMQA 4.0) ไปใช้ การปรับกรอบความคิดของบุคลากร และการนำข้อมูลมาใช้ในการตัดสินใจ",
    "ช่วงเสวนาเปิดโอกาสให้ผู้เข้าร่วมซักถามและแลกเปลี่ยนความคิดเห็น"
    " เรื่องการให้บริการประชาชนแบบดิจิทัล ความเป็นธรรม และธรรมาภิบาลในการบริหารราชการ",
    "**ผู้เข้าร่วม** จะได้รับเอกสารประกอบการบรรยายและเกียรติบัตรอิเล็กทรอนิกส์"
    " หลังจบกิจกรรม ดูรายละเอียดเพิ่มเติมได้ที่ [เว็บไซต์ของผู้จัด](https://www.opdc.go.th)",
]
ENGLISH_PARAGRAPHS = [
    "An online knowledge-sharing session of agencies outstanding in developing their"
    " organisations towards Thailand's Bureaucracy 4.0.",
    "Executives share how they apply the Public Sector Management Quality Award (PMQA 4.0),"
    " change the mindset of their staff, and use data to decide.",
    "The panel is followed by questions and answers on digital services for citizens,"
    " fairness and good governance.",
]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.time_limit
    with tempfile.TemporaryDirectory(prefix="exchange-feed-bench-") as name:
        folder = Path(name)
        url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
        secret_key = secrets.token_hex(32)
        env = {
            "SECRET_KEY": secret_key,
            "DATABASE_URL": url,
            "EXCHANGE_INSTANCE_PATH": str(folder / "instance"),  # no instance/config.py
            "FLASK_SESSION_COOKIE_SECURE": "false",
            "FLASK_RATELIMIT_ENABLED": "false",
            "BENCH_FLOOR_DIR": str(folder),
            "PYTHAINLP_OFFLINE": "1",
            "PYTHAINLP_READ_ONLY": "1",
        }
        with empty_database(url, drop_after=bool(args.database_url) and not args.keep):
            build_schema(env, args.create_all, url)
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key})
            try:
                return run(args, app, env, folder, deadline)
            finally:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url",
        help="an existing, empty database (its tables are dropped at the end); "
        "default: a SQLite file in a temporary folder",
    )
    parser.add_argument("--sessions", type=int, default=1000, help="sessions in the feed")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--requests", type=int, default=400, help="warm, 304 and floor each")
    parser.add_argument("--cold-requests", type=int, default=64, help="cold requests")
    parser.add_argument("--keep", action="store_true", help="keep the database's tables")
    parser.add_argument(
        "--create-all", action="store_true", help="db.create_all() instead of `flask db upgrade`"
    )
    parser.add_argument(
        "--time-limit", type=float, default=600, help="seconds; requests stop when it is reached"
    )
    args = parser.parse_args(argv)
    if min(args.sessions, args.workers, args.concurrency, args.requests, args.cold_requests) < 1:
        parser.error("every count must be at least 1")
    return args


@contextmanager
def empty_database(url: str, *, drop_after: bool) -> Iterator[None]:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise SystemExit("gunicorn's workers cannot share an in-memory SQLite: give a file")
    engine = sa.create_engine(url)
    try:
        if tables := sa.inspect(engine).get_table_names():
            raise SystemExit(f"{url} is not empty ({len(tables)} tables): refusing to use it")
    finally:
        engine.dispose()
    try:
        yield
    finally:
        if drop_after:
            engine = sa.create_engine(url)
            try:
                metadata = sa.MetaData()
                metadata.reflect(engine)
                metadata.drop_all(engine)
            finally:
                engine.dispose()


def seed(app: Flask, count: int) -> list[int]:
    """*count* published sessions from 25 days ago to a year ahead, a few cancelled."""
    rng = random.Random(4)  # noqa: S311 -- the same data every run, not a secret
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with app.app_context():
        agencies = [
            Agency(slug=f"agency-{n}", name_th=th, name_en=en)
            for n, (th, en) in enumerate(AGENCIES)
        ]
        topics = [
            Topic(slug=f"topic-{n}", name_th=th, name_en=en) for n, (th, en) in enumerate(TOPICS)
        ]
        db.session.add_all([*agencies, *topics])
        sessions = []
        for n in range(count):
            topic_th, topic_en = TOPICS[n % len(TOPICS)]
            start = now + timedelta(days=-25 + (390 * n) // count, hours=rng.choice((2, 3, 6, 7)))
            session_format = rng.choice(list(SessionFormat))
            sessions.append(
                LearningSession(
                    slug=f"bench-{n}",
                    title_th=f"แลกเปลี่ยนเรียนรู้ครั้งที่ {n + 1}: {topic_th} สู่การเป็นองค์การ 4.0",
                    title_en=f"Knowledge exchange {n + 1}: {topic_en} for a 4.0 organisation",
                    description_th="\n\n".join(rng.sample(THAI_PARAGRAPHS, 3)),
                    description_en="\n\n".join(rng.sample(ENGLISH_PARAGRAPHS, 2)),
                    organiser=agencies[n % len(agencies)],
                    topics=[topics[n % len(topics)], topics[(n * 3 + 1) % len(topics)]],
                    format=session_format,
                    venue=""
                    if session_format is SessionFormat.ONLINE
                    else "ห้องประชุม 1 อาคารรัฐประศาสนศาสตร์ ถนนพิษณุโลก กรุงเทพมหานคร",
                    platform="" if session_format is SessionFormat.ONSITE else "Zoom",
                    join_url=f"https://meet.example.org/bench-{n}",
                    starts_at=start,
                    ends_at=start + timedelta(hours=rng.choice((2, 3))),
                    status=SessionStatus.CANCELLED if n % 97 == 5 else SessionStatus.PUBLISHED,
                    ical_sequence=1 if n % 97 == 5 else 0,
                )
            )
        db.session.add_all(sessions)
        db.session.commit()
        ids = [s.id for s in sessions]
        db.session.remove()
    return ids


Request = tuple[str, dict[str, str]]  # path, headers


def load(
    server: Server,
    name: str,
    requests: list[Request],
    concurrency: int,
    expect: int,
    deadline: float,
    before: Callable[[], None] | None = None,
) -> Result:
    """GET each (path, headers) with the registrations bench's load generator."""
    gets = [("GET", path, headers) for path, headers in requests]
    return registrations_load(server, name, gets, concurrency, expect, deadline, before=before)


def fetch(server: Server, path: str, headers: dict[str, str] | None = None):
    connection = server.connection()
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def run(
    args: argparse.Namespace, app: Flask, env: dict[str, str], folder: Path, deadline: float
) -> int:
    load_before = os.getloadavg()[0]
    seeding = time.perf_counter()
    ids = seed(app, args.sessions)
    seeding = time.perf_counter() - seeding
    (folder / "bench_app.py").write_text(textwrap.dedent(BENCH_APP))
    (folder / "floor.ics").write_bytes(b"")
    with app.app_context():
        engine = db.engine
    table = LearningSession.__table__
    rng = random.Random(7)  # noqa: S311 -- which session changes, not a secret
    rng_lock = threading.Lock()

    def change() -> None:
        """What an organiser's edit does to the feed's version: a newer updated_at."""
        with rng_lock:
            session_id = rng.choice(ids)
        with engine.begin() as connection:
            connection.execute(
                sa.update(table)
                .where(table.c.id == session_id)
                .values(updated_at=datetime.now(UTC))
            )

    log_path = folder / "gunicorn.log"
    with serve(
        env,
        log_path,
        workers=args.workers,
        app="bench_app:app",
        extra_args=("--pythonpath", str(folder)),
    ) as server:
        response, body = fetch(server, FEED)
        if response.status != 200:
            raise SystemExit(f"GET {FEED} answered {response.status}")
        events = body.count(b"BEGIN:VEVENT")
        in_window = args.sessions  # every seeded session is recent or ahead
        if events != in_window or b"meet.example.org" in body:
            raise SystemExit(
                f"the feed holds {events} events (expected {in_window}) or a join link"
            )
        (folder / "floor.ics").write_bytes(body)  # the floor: the same number of bytes
        warmup = [(FEED, {}), (FLOOR, {})] * (args.workers * 4)
        load(server, "warm-up", warmup, args.concurrency, expect=200, deadline=deadline)
        floor = load(
            server,
            f"GET {FLOOR} (floor: static file, same size)",
            [(FLOOR, {})] * args.requests,
            args.concurrency,
            expect=200,
            deadline=deadline,
        )
        cold = load(
            server,
            f"GET {FEED} cold (after a change)",
            [(FEED, {})] * args.cold_requests,
            args.concurrency,
            expect=200,
            deadline=deadline,
            before=change,
        )
        load(server, "warm-up", [(FEED, {})] * (args.workers * 4), 4, 200, deadline)
        warm = load(
            server,
            f"GET {FEED} warm (cached bytes)",
            [(FEED, {})] * args.requests,
            args.concurrency,
            expect=200,
            deadline=deadline,
        )
        response, _ = fetch(server, FEED)
        etag = response.getheader("ETag") or ""
        conditional = load(
            server,
            f"GET {FEED} If-None-Match (304)",
            [(FEED, {"If-None-Match": etag})] * args.requests,
            args.concurrency,
            expect=304,
            deadline=deadline,
        )
        log = server.log()
    results = [floor, cold, warm, conditional]
    report(args, app, load_before, seeding, len(body), results, floor)
    errors = sum(sum(r.errors.values()) + r.unsent for r in results)
    if "Traceback" in log or errors:
        print(f"\ngunicorn log (last 3000 characters):\n{log[-3000:]}")
    return 0 if not errors else 1


def report(
    args: argparse.Namespace,
    app: Flask,
    load_before: float,
    seeding: float,
    size: int,
    results: list[Result],
    floor: Result,
) -> None:
    with app.app_context():
        dialect = db.engine.dialect.name
        version = db.engine.dialect.server_version_info
    print(
        f"\n{dialect} {'.'.join(map(str, version or ()))}, gunicorn {gunicorn.__version__} "
        f"({args.workers} sync workers), {args.concurrency} client threads; "
        f"{args.sessions} sessions, feed {size / 1024:.0f} KiB; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load_before:.1f} before the run; seeding took {seeding:.1f} s\n"
    )
    print("| request | answered | errors | seconds | req/s | p50 ms | p95 ms | p99 ms | vs floor |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        errors = sum(r.errors.values()) + r.unsent
        detail = f" ({', '.join(f'{k}: {n}' for k, n in r.errors.items())})" if r.errors else ""
        ratio = r.rate / floor.rate if floor.rate else float("nan")
        print(
            f"| {r.name} | {len(r.latencies)} | {errors}{detail} | {r.seconds:.2f} | "
            f"{r.rate:.1f} | {r.percentile(50) * 1000:.1f} | {r.percentile(95) * 1000:.1f} | "
            f"{r.percentile(99) * 1000:.1f} | {ratio:.2f} |"
        )


if __name__ == "__main__":
    sys.exit(main())
