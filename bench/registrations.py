"""Benchmark one-click registration under gunicorn, against a trivial static file as the floor.

    .venv/bin/python bench/registrations.py [--database-url URL] [--workers 4] [--users 2000]
                                            [--concurrency 16] [--keep]

Builds a fresh database (by default its own PostgreSQL database, dropped at the end), seeds one
session with capacity users/2 and the users, serves the app with gunicorn on 127.0.0.1, then
measures from a pool of client threads: GET of a static file, GET of the session page, and one
registration POST per user. Prints a Markdown table and checks that exactly `capacity` people
got a seat and everyone else a distinct place in line. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import queue
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: make `exchange` and `tests` importable
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import gunicorn  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from psycopg import sql  # noqa: E402

from exchange import create_app  # noqa: E402
from exchange.db import db  # noqa: E402
from exchange.models import (  # noqa: E402
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
)
from exchange.services.accounts import create_user  # noqa: E402
from exchange.services.registration import waitlist_places  # noqa: E402
from tests.served import Server, serve  # noqa: E402

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
BENCH_DATABASE = "exchange_bench"
SLUG = "bench"
WARMUP_SLUG = "bench-warmup"
STATIC_PATH = "/static/favicon.svg"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.time_limit
    with tempfile.TemporaryDirectory(prefix="exchange-bench-") as folder, database(args) as url:
        secret_key = secrets.token_hex(32)
        env = {
            "SECRET_KEY": secret_key,
            "DATABASE_URL": url,
            "EXCHANGE_INSTANCE_PATH": str(Path(folder) / "instance"),  # no instance/config.py
            "FLASK_WTF_CSRF_ENABLED": "false",
            "FLASK_RATELIMIT_ENABLED": "false",
            "FLASK_SESSION_COOKIE_SECURE": "false",  # plain http on loopback
            "PYTHAINLP_OFFLINE": "1",
            "PYTHAINLP_READ_ONLY": "1",
        }
        build_schema(env, args.create_all, url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key})
        try:
            return run(args, app, env, Path(folder), deadline)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url",
        help="an existing, empty database to use (its tables are dropped at the end); default: "
        f"create {BENCH_DATABASE} on {POSTGRES_SERVER} and drop it at the end",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--users", type=int, default=2000, help="registrations to make")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--create-all", action="store_true", help="db.create_all() instead of `flask db upgrade`"
    )
    parser.add_argument(
        "--time-limit", type=float, default=600, help="seconds; requests stop when it is reached"
    )
    args = parser.parse_args(argv)
    if args.users < 2 or args.workers < 1 or args.concurrency < 1:
        parser.error("need --users >= 2, --workers >= 1, --concurrency >= 1")
    return args


# -- the database --------------------------------------------------------------------------------


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """The URL of an empty database for this run; afterwards dropped unless --keep."""
    if args.database_url:
        url = args.database_url
        sqlite_file = _sqlite_file(url)
        if sqlite_file is None and sa.make_url(url).get_backend_name() == "sqlite":
            raise SystemExit("gunicorn's workers cannot share an in-memory SQLite: give a file")
        created = sqlite_file is not None and not sqlite_file.exists()
        with _engine(url) as engine:
            if tables := sa.inspect(engine).get_table_names():
                raise SystemExit(f"{url} is not empty ({len(tables)} tables): refusing to use it")
        try:
            yield url
        finally:
            if args.keep:
                print(f"\nkept {url}")
            elif created:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
            else:
                _drop_tables(url)
        return
    server = sa.make_url(POSTGRES_SERVER)
    admin = {
        "host": server.host,
        "port": server.port,
        "user": server.username,
        "password": server.password,
        "dbname": "postgres",
        "autocommit": True,
    }
    name = sql.Identifier(BENCH_DATABASE)
    with psycopg.connect(**admin) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield server.set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    finally:
        if args.keep:
            print(f"\nkept database {BENCH_DATABASE}")
        else:
            with psycopg.connect(**admin) as connection:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _sqlite_file(url: str) -> Path | None:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


@contextmanager
def _engine(url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _drop_tables(url: str) -> None:
    with _engine(url) as engine:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)


def build_schema(env: dict[str, str], create_all: bool, url: str) -> None:
    """As a deployment does (`flask db upgrade`), or from the models with --create-all."""
    if create_all:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": env["SECRET_KEY"]})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        return
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env, "FLASK_APP": "app.py"},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def seed(app: Flask, users: int, warmup_users: int) -> tuple[int, list[int], list[int]]:
    """The measured session (capacity users/2), an unlimited warm-up one, and the accounts."""
    start = datetime.now(UTC) + timedelta(days=7)
    with app.app_context():
        sessions = [
            LearningSession(
                slug=slug,
                title_th=title,
                status=SessionStatus.PUBLISHED,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                capacity=capacity,
            )
            for slug, title, capacity in (
                (SLUG, "การประชุมทดสอบความเร็ว", users // 2),
                (WARMUP_SLUG, "อุ่นเครื่อง", None),
            )
        ]
        db.session.add_all(sessions)
        accounts = [
            create_user(f"bench{n}@agency.go.th", f"ผู้ทดสอบ {n}", locale="th")
            for n in range(users + warmup_users)
        ]
        db.session.commit()
        ids = [user.id for user in accounts]
        session_id = sessions[0].id
        db.session.remove()
    return session_id, ids[:users], ids[users:]


def invariant(app: Flask, session_id: int, users: int) -> tuple[bool, str]:
    """Exactly `capacity` seats, one row per user, everyone else a distinct place in line."""
    with app.app_context():
        capacity = db.session.get(LearningSession, session_id).capacity
        registrations = list(
            db.session.scalars(sa.select(Registration).filter_by(session_id=session_id))
        )
        places = sorted(waitlist_places(registrations).values())
        db.session.remove()
    statuses = Counter(r.status for r in registrations)
    confirmed = statuses[RegistrationStatus.CONFIRMED]
    waitlisted = statuses[RegistrationStatus.WAITLISTED]
    distinct_users = len({r.user_id for r in registrations})
    ok = (
        confirmed == capacity
        and waitlisted == users - capacity
        and len(registrations) == distinct_users == users
        and places == list(range(1, waitlisted + 1))
    )
    in_line = f"1..{waitlisted}, distinct" if places == list(range(1, waitlisted + 1)) else "WRONG"
    text = (
        f"{confirmed} confirmed (capacity {capacity}), {waitlisted} waitlisted, "
        f"{len(registrations)} rows for {distinct_users} users, places in line {in_line}"
    )
    return ok, text


# -- the load ------------------------------------------------------------------------------------


@dataclass
class Result:
    """Latencies of the answered requests, failures, and the wall time of the whole batch."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    unsent: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


Request = tuple[str, str, dict[str, str]]  # method, path, headers


def load(
    server: Server,
    name: str,
    requests: list[Request],
    concurrency: int,
    expect: int | None,
    deadline: float,
    before: Callable[[], None] | None = None,
) -> Result:
    """Send *requests* from *concurrency* threads, each reusing one connection (keep-alive when
    the server allows it; gunicorn's sync workers close after each response, so http.client
    reconnects). A request counts as an error unless answered with status *expect* (any if None).
    *before* runs ahead of each request, untimed (bench/feed.py uses it to change the data)."""
    work: queue.SimpleQueue[Request] = queue.SimpleQueue()
    for request in requests:
        work.put(request)
    result = Result(name)
    lock = threading.Lock()

    def client() -> None:
        connection = server.connection(timeout=30)
        try:
            while time.monotonic() < deadline:
                try:
                    method, path, headers = work.get_nowait()
                except queue.Empty:
                    return
                if before is not None:
                    before()
                began = time.perf_counter()
                try:
                    connection.request(method, path, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    outcome = (
                        None if expect in (None, response.status) else f"HTTP {response.status}"
                    )
                except (OSError, http.client.HTTPException) as exc:
                    outcome = type(exc).__name__
                    connection.close()  # the next request opens a fresh connection
                elapsed = time.perf_counter() - began
                with lock:
                    if outcome is None:
                        result.latencies.append(elapsed)
                    else:
                        result.errors[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    result.unsent = len(requests) - len(result.latencies) - sum(result.errors.values())
    return result


def login_cookie(app: Flask) -> Callable[[int], dict[str, str]]:
    """Headers carrying the session cookie Flask-Login writes at login, signed alike."""
    serializer = app.session_interface.get_signing_serializer(app)
    assert serializer is not None

    def headers(user_id: int) -> dict[str, str]:
        cookie = serializer.dumps({"_user_id": str(user_id), "_fresh": True})
        return {"Cookie": f"session={cookie}"}

    return headers


def run(
    args: argparse.Namespace, app: Flask, env: dict[str, str], folder: Path, deadline: float
) -> int:
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure
    warmup_users = max(args.workers, args.concurrency) * 4
    seeding = time.perf_counter()
    session_id, users, warmers = seed(app, args.users, warmup_users)
    seeding = time.perf_counter() - seeding
    cookie = login_cookie(app)
    register = f"/sessions/{SLUG}/register"
    page = f"/sessions/{SLUG}"
    log_path = folder / "gunicorn.log"
    with serve(env, log_path, workers=args.workers) as server:
        # Warm-up: every worker loads its templates, catalogues, mail code and connections.
        warm = [("GET", STATIC_PATH, {}), ("GET", page, {}), ("GET", "/", {})] * warmup_users
        warm += [("POST", f"/sessions/{WARMUP_SLUG}/register", cookie(u)) for u in warmers]
        load(server, "warm-up", warm, args.concurrency, expect=None, deadline=deadline)
        static = load(
            server,
            f"GET {STATIC_PATH} (floor)",
            [("GET", STATIC_PATH, {})] * args.users,
            args.concurrency,
            expect=200,
            deadline=deadline,
        )
        detail = load(
            server,
            f"GET {page}",
            [("GET", page, {})] * args.users,
            args.concurrency,
            expect=200,
            deadline=deadline,
        )
        registrations = load(
            server,
            f"POST {register}",
            [("POST", register, cookie(u)) for u in users],
            args.concurrency,
            expect=302,
            deadline=deadline,
        )
        log = server.log()
    ok, invariant_text = invariant(app, session_id, args.users)
    report(
        args, app, load_before, seeding, [static, detail, registrations], static, ok, invariant_text
    )
    errors = sum(sum(r.errors.values()) + r.unsent for r in (static, detail, registrations))
    if "Traceback" in log or errors:
        print(f"\ngunicorn log (last 3000 characters):\n{log[-3000:]}")
    return 0 if ok and not errors else 1


def report(
    args: argparse.Namespace,
    app: Flask,
    load_before: float,
    seeding: float,
    results: list[Result],
    floor: Result,
    ok: bool,
    invariant_text: str,
) -> None:
    with app.app_context():
        dialect = db.engine.dialect.name
        version = db.engine.dialect.server_version_info
    print(
        f"\n{dialect} {'.'.join(map(str, version or ()))}, gunicorn {gunicorn.__version__} "
        f"({args.workers} sync workers), {args.concurrency} client threads, "
        f"{args.users} users, capacity {args.users // 2}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load_before:.1f} before the run; "
        f"seeding took {seeding:.1f} s\n"
    )
    print(
        "| requests | answered | errors | seconds | req/s | p50 ms | p95 ms | p99 ms | vs floor |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        errors = sum(r.errors.values()) + r.unsent
        detail = f" ({', '.join(f'{k}: {n}' for k, n in r.errors.items())})" if r.errors else ""
        ratio = r.rate / floor.rate if floor.rate else float("nan")
        print(
            f"| {r.name} | {len(r.latencies)} | {errors}{detail} | {r.seconds:.2f} | "
            f"{r.rate:.0f} | {r.percentile(50) * 1000:.1f} | {r.percentile(95) * 1000:.1f} | "
            f"{r.percentile(99) * 1000:.1f} | {ratio:.2f} |"
        )
    print(f"\ninvariant {'OK' if ok else 'BROKEN'}: {invariant_text}")


if __name__ == "__main__":
    sys.exit(main())
