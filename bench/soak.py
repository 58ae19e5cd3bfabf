"""Soak: a long mixed load on gunicorn, with a worker killed and the mail server down a while.

    .venv/bin/python bench/soak.py [--minutes 10] [--database-url URL] [--sessions 300]
                                   [--users 3000] [--clients 6] [--workers 4] [--keep]

Seeds sessions with small capacities (so waitlists form), serves the app with gunicorn, runs the
mail worker (`flask exchange worker`) against an SMTP server on 127.0.0.1 that records every
message, and drives reads, feeds, search, the API, registrations and cancellations from client
threads. Mid-run it SIGKILLs one gunicorn worker and stops the SMTP server for a minute (scaled
down for short runs). At the end, once the outbox has drained, it checks: no 5xx, seats never
above capacity, every freed seat given to the first in line, the outbox delivered exactly once,
and each worker's memory flat over the second half. Exits 1 on any violation. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: make `exchange`, `bench`, `tests` found
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from flask import Flask  # noqa: E402
from flask_babel import force_locale  # noqa: E402
from psycopg import sql  # noqa: E402

from bench.registrations import _drop_tables, _sqlite_file, build_schema  # noqa: E402
from exchange import create_app  # noqa: E402
from exchange.db import db  # noqa: E402
from exchange.models import (  # noqa: E402
    Agency,
    LearningSession,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Topic,
    User,
)
from exchange.services import followups  # noqa: E402
from exchange.services import registration as registration_service  # noqa: E402
from exchange.services.accounts import create_user  # noqa: E402
from tests.served import HOST, Server, serve  # noqa: E402

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
SOAK_DATABASE = "exchange_soak"
SECRET_KEY = "soak-" + "0" * 59  # the runs are on loopback; any fixed key will do
# gunicorn kills a worker whose request takes longer (default 30 s): on a shared 2-CPU machine
# under this load a cold request can take that long, and the soak is about correctness.
WORKER_TIMEOUT = 120
RETRIES = 5  # a request that failed at the connection level is sent again, this many times
SEARCH_WORDS = ["ดิจิทัล", "นวัตกรรม", "PMQA", "mindset", "ข้อมูล", "บริการ", "กรมสรรพากร", "open"]
AGENCIES = [
    ("สำนักงาน ก.พ.ร.", "Office of the Public Sector Development Commission"),
    ("กรมสุขภาพจิต", "Department of Mental Health"),
    ("กรมพัฒนาที่ดิน", "Land Development Department"),
    ("กรมสรรพากร", "Revenue Department"),
    ("สถาบันวิจัยและพัฒนาพื้นที่สูง", "Highland Research and Development Institute"),
    ("สำนักงานปลัดกระทรวงยุติธรรม", "Office of the Permanent Secretary, Ministry of Justice"),
]
TOPICS = [
    ("PMQA 4.0", "PMQA 4.0"),
    ("รัฐบาลดิจิทัล", "Digital government"),
    ("การเปลี่ยนกรอบความคิด", "Mindset change"),
    ("ข้อมูลเปิดภาครัฐ", "Open government data"),
    ("การบริการประชาชน", "Public service"),
    ("นวัตกรรมภาครัฐ", "Public-sector innovation"),
]


@dataclass
class Settings:
    """One run's shape; the defaults are `make soak`'s."""

    seconds: float = 600
    sessions: int = 300
    users: int = 3000
    clients: int = 6
    workers: int = 4
    seed: int = 9
    kill_at: float = 0.25  # fractions of the run
    outage_at: float = 0.45
    outage_seconds: float | None = None  # None: 60 s, or a tenth of a shorter run
    rss_tolerance_mb: float = 10
    sample_every: float = 3
    warm_rounds: int = 3  # every kind of request, per worker, before the clock starts
    drain_timeout: float = 420
    create_all: bool = False  # build the schema from the models (tests) instead of migrations

    @property
    def outage(self) -> float:
        if self.outage_seconds is not None:
            return self.outage_seconds
        return min(60.0, self.seconds / 10)


# -- the dataset ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    slugs: list[str]
    weights: list[float]  # a few hot sessions take most registrations
    agencies: list[str]
    topics: list[str]
    user_ids: list[int]
    seeded: dict[tuple[int, int], RegistrationStatus]  # (session id, user id): as seeded
    slug_of: dict[int, str]  # session id → slug


def seed(app: Flask, settings: Settings) -> Dataset:
    """Agencies, topics, published sessions with 2–10 seats, users, and seats already taken
    (rows written directly, without e-mail): most sessions start full, some with a line."""
    rng = random.Random(settings.seed)  # noqa: S311 -- reproducible data, not secrets
    now = datetime.now(UTC)
    with app.app_context():
        agencies = [
            Agency(slug=f"agency-{n}", name_th=f"{th} {n}", name_en=f"{en} {n}")
            for n, (th, en) in enumerate(AGENCIES * 4)
        ]
        topics = [
            Topic(slug=f"topic-{n}", name_th=th, name_en=en) for n, (th, en) in enumerate(TOPICS)
        ]
        db.session.add_all([*agencies, *topics])
        sessions = []
        for n in range(settings.sessions):
            topic, agency = rng.choice(topics), rng.choice(agencies)
            # A few start within a day: the worker sends their reminders during the run.
            start = now + (timedelta(hours=20) if n % 50 == 7 else timedelta(days=2 + n % 60))
            sessions.append(
                LearningSession(
                    slug=f"soak-{n}",
                    title_th=f"{topic.name_th} ครั้งที่ {n}: แนวปฏิบัติของ{agency.name_th}",
                    title_en=f"{topic.name_en} no. {n}: practices of the {agency.name_en}",
                    description_th="แลกเปลี่ยนเรียนรู้เรื่องนวัตกรรมและการบริการประชาชนแบบดิจิทัล",
                    organiser=agency,
                    topics=[topic],
                    status=SessionStatus.PUBLISHED,
                    starts_at=start,
                    ends_at=start + timedelta(hours=2),
                    capacity=rng.randint(2, 10),
                )
            )
        db.session.add_all(sessions)
        users = [
            create_user(
                f"soak{n}@agency{n % 40}.go.th", f"ผู้ทดสอบ {n}", locale=["th", "en", "th"][n % 3]
            )
            for n in range(settings.users)
        ]
        db.session.flush()
        seeded = _take_seats(rng, sessions, [u.id for u in users], now)
        db.session.commit()
        dataset = Dataset(
            slugs=[s.slug for s in sessions],
            weights=[8.0 if n % 10 == 0 else 1.0 for n in range(len(sessions))],
            agencies=[a.slug for a in agencies],
            topics=[t.slug for t in topics],
            user_ids=[u.id for u in users],
            seeded=seeded,
            slug_of={s.id: s.slug for s in sessions},
        )
        db.session.remove()
    return dataset


def _take_seats(
    rng: random.Random, sessions: list[LearningSession], user_ids: list[int], now: datetime
) -> dict[tuple[int, int], RegistrationStatus]:
    seeded = {}
    for learning_session in sessions:
        capacity = learning_session.capacity or 0
        confirmed = max(capacity - rng.choice([0, 0, 1, 2]), 0)
        waiting = rng.randint(0, 3) if confirmed == capacity else 0
        for position, user_id in enumerate(rng.sample(user_ids, confirmed + waiting)):
            at = now - timedelta(days=1) + timedelta(seconds=position)
            status = (
                RegistrationStatus.CONFIRMED
                if position < confirmed
                else (RegistrationStatus.WAITLISTED)
            )
            db.session.add(
                Registration(
                    session_id=learning_session.id,
                    user_id=user_id,
                    status=status,
                    queued_at=at,
                    confirmed_at=at if status is RegistrationStatus.CONFIRMED else None,
                )
            )
            seeded[(learning_session.id, user_id)] = status
    return seeded


# -- the mail server and the mail worker ---------------------------------------------------------


class MailSink:
    """An SMTP server on 127.0.0.1 that keeps every message's Message-ID and subject; it can
    be stopped and started again on the same port (the outage)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []  # (Message-ID, subject), in arrival order
        self.port = _free_port()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook
        headers = BytesHeaderParser(policy=policy.default).parsebytes(envelope.original_content)
        self.received.append((str(headers["Message-ID"]), str(headers["Subject"])))
        return "250 Message accepted"

    def start(self) -> None:
        self._controller = Controller(self, hostname=HOST, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def mail_worker(
    env: dict[str, str], sink: MailSink, web_port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`flask exchange worker --interval 1`, as a deployment runs it next to gunicorn."""
    environment = {
        **os.environ,
        **env,
        "FLASK_APP": "app.py",
        "FLASK_SERVER_NAME": f"{HOST}:{web_port}",
        "FLASK_MAIL_SERVER": HOST,
        "FLASK_MAIL_PORT": str(sink.port),
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "exchange", "worker", "--interval", "1"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # ends the loop between rounds ("Stopped.")
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


# -- the load ------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw, by kind of request."""

    answered: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_errors: list[tuple[str, str]] = field(default_factory=list)  # (kind, what): 5xx
    unexpected: list[tuple[str, str]] = field(default_factory=list)  # other statuses
    connection_errors: Counter[str] = field(default_factory=Counter)  # retried
    gave_up: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Load:
    """Client threads sending a mix of requests until stopped."""

    MIX: tuple[tuple[str, int], ...] = (
        ("home", 8),
        ("session list", 6),
        ("session page", 12),
        ("agency page", 4),
        ("topic page", 4),
        ("my page", 4),
        ("calendar.ics", 3),
        ("calendar.ics conditional", 5),
        ("search", 8),
        ("api sessions", 6),
        ("register", 25),
        ("cancel", 15),
    )

    def __init__(self, server: Server, app: Flask, data: Dataset, settings: Settings) -> None:
        self.server, self.data, self.settings = server, data, settings
        self.tally = Tally()
        self.stop = threading.Event()
        # (user id, slug) of registrations someone may cancel: the seeded ones at first
        self.registered = [(user, data.slug_of[session]) for session, user in data.seeded]
        self.etag = ""
        self._state = threading.Lock()
        serializer = app.session_interface.get_signing_serializer(app)
        assert serializer is not None
        self._sign = lambda user_id: serializer.dumps({"_user_id": str(user_id), "_fresh": True})
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True)
            for n in range(settings.clients)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def warm_up(self) -> None:
        """Every kind of request a few times from as many threads as workers, so each worker
        has loaded its templates, catalogues and search dictionary before the clock starts."""

        def client(number: int) -> None:
            rng = random.Random(number)  # noqa: S311 -- not a secret
            for _round in range(self.settings.warm_rounds):
                for kind, _weight in self.MIX:
                    self._do(kind, rng)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(self.settings.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def finish(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(120)

    def _client(self, number: int) -> None:
        rng = random.Random(self.settings.seed * 1000 + number)  # noqa: S311 -- not a secret
        kinds, weights = zip(*self.MIX, strict=True)
        while not self.stop.is_set():
            kind = rng.choices(kinds, weights)[0]
            self._do(kind, rng)

    def _do(self, kind: str, rng: random.Random) -> None:
        data = self.data
        slug = rng.choices(data.slugs, data.weights)[0]
        user_id = rng.choice(data.user_ids)
        if kind == "cancel":
            with self._state:
                if self.registered:
                    user_id, slug = self.registered.pop(rng.randrange(len(self.registered)))
                else:
                    kind = "register"
        paths: dict[str, tuple[str, str, dict[str, str], set[int]]] = {
            "home": ("GET", "/", {}, {200}),
            "session list": ("GET", "/sessions", {}, {200}),
            "session page": ("GET", f"/sessions/{slug}", {}, {200}),
            "agency page": ("GET", f"/agencies/{rng.choice(data.agencies)}", {}, {200}),
            "topic page": ("GET", f"/topics/{rng.choice(data.topics)}", {}, {200}),
            "my page": ("GET", "/me", self._cookie(user_id), {200}),
            "calendar.ics": ("GET", "/calendar.ics", {}, {200}),
            "calendar.ics conditional": (
                "GET",
                "/calendar.ics",
                {"If-None-Match": self.etag} if self.etag else {},
                {200, 304},
            ),
            "search": ("GET", f"/search?q={quote(rng.choice(SEARCH_WORDS))}", {}, {200}),
            "api sessions": ("GET", f"/api/v1/sessions?page={rng.randint(1, 3)}", {}, {200}),
            "register": ("POST", f"/sessions/{slug}/register", self._cookie(user_id), {302}),
            "cancel": ("POST", f"/sessions/{slug}/cancel", self._cookie(user_id), {302}),
        }
        method, path, headers, expected = paths[kind]
        response = self.send(kind, method, path, headers, expected)
        if response is None:
            return
        if kind.startswith("calendar.ics") and response.getheader("ETag"):
            self.etag = response.getheader("ETag", "")
        if kind == "register" and response.status == 302:
            with self._state:
                self.registered.append((user_id, slug))

    def _cookie(self, user_id: int) -> dict[str, str]:
        return {"Cookie": f"session={self._sign(user_id)}"}

    def send(
        self, kind: str, method: str, path: str, headers: dict[str, str], expected: set[int]
    ) -> http.client.HTTPResponse | None:
        """One request; sent again (RETRIES times) when the connection fails, as a browser's
        user would: registering and cancelling are idempotent, so a retry after a lost answer
        changes nothing."""
        tally = self.tally
        for attempt in range(RETRIES):
            connection = self.server.connection(timeout=120)
            began = time.perf_counter()
            try:
                connection.request(method, path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                with tally.lock:
                    tally.connection_errors[f"{kind}: {type(exc).__name__}"] += 1
                time.sleep(0.2 * (attempt + 1))
                continue
            finally:
                connection.close()
            elapsed = time.perf_counter() - began
            with tally.lock:
                tally.answered[kind] += 1
                tally.latencies[kind].append(elapsed)
                if response.status >= 500:
                    tally.server_errors.append((kind, f"{response.status} {method} {path}"))
                elif response.status not in expected:
                    tally.unexpected.append((kind, f"{response.status} {method} {path}"))
            return response
        with tally.lock:
            tally.gave_up.append(f"{method} {path}")
        return None


# -- watching the run: worker memory and the seat invariant in flight ---------------------------


def master_pid(server: Server) -> int:
    found = re.search(r"Listening at: \S+ \((\d+)\)", server.log())
    assert found is not None, server.log()
    return int(found.group(1))


def worker_pids(master: int) -> list[int]:
    """The master's children (its workers), from /proc."""
    children = Path(f"/proc/{master}/task/{master}/children")
    with suppress(OSError):
        return [int(pid) for pid in children.read_text().split()]
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
    return pids


def rss_mb(pid: int) -> float | None:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def seats_now() -> list[tuple[int, int | None, int, int]]:
    """(session id, capacity, confirmed, waitlisted) for every session, in one statement (one
    snapshot of the database)."""
    status = Registration.status
    confirmed = sa.func.count(Registration.id).filter(status == RegistrationStatus.CONFIRMED)
    waiting = sa.func.count(Registration.id).filter(status == RegistrationStatus.WAITLISTED)
    rows = db.session.execute(
        sa.select(LearningSession.id, LearningSession.capacity, confirmed, waiting)
        .outerjoin(Registration, Registration.session_id == LearningSession.id)
        .group_by(LearningSession.id, LearningSession.capacity)
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def seat_problems(rows: list[tuple[int, int | None, int, int]]) -> list[str]:
    """Seats above capacity, or people waiting while a seat is free (a cancellation that
    promoted nobody)."""
    problems = []
    for session_id, capacity, confirmed, waiting in rows:
        if capacity is not None and confirmed > capacity:
            problems.append(f"session {session_id}: {confirmed} confirmed > capacity {capacity}")
        if capacity is not None and waiting and confirmed < capacity:
            problems.append(
                f"session {session_id}: {waiting} waiting, {confirmed}/{capacity} seats"
            )
    return problems


@dataclass
class Watch:
    """Samples taken during the run (t = seconds since the load started)."""

    rss: dict[int, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    seat_checks: int = 0
    seat_problems: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    killed: int | None = None
    respawned: bool = False


# -- a run ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    violations: list[str]
    lines: list[str]  # the report, Markdown


def app_env(url: str, folder: Path) -> dict[str, str]:
    return {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": url,
        "EXCHANGE_INSTANCE_PATH": str(folder / "instance"),  # not the developer's config
        "FLASK_WTF_CSRF_ENABLED": "false",
        "FLASK_RATELIMIT_ENABLED": "false",
        "FLASK_SESSION_COOKIE_SECURE": "false",  # plain http on loopback
        "PYTHAINLP_OFFLINE": "1",
        "PYTHAINLP_READ_ONLY": "1",
    }


def run_soak(
    url: str, settings: Settings, folder: Path, say: Callable[[str], None] = print
) -> Outcome:
    """Seed the empty database at *url*, run the load with its incidents, check everything."""
    env = app_env(url, folder)
    build_schema(env, settings.create_all, url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    try:
        began = time.perf_counter()
        data = seed(app, settings)
        say(f"seeded in {time.perf_counter() - began:.1f} s")
        load_before = os.getloadavg()
        sink = MailSink()
        sink.start()
        try:
            with (
                serve(
                    env,
                    folder / "gunicorn.log",
                    workers=settings.workers,
                    startup_timeout=180,  # importing the app is slow on a busy machine
                    extra_args=("--timeout", str(WORKER_TIMEOUT)),
                ) as server,
                mail_worker(env, sink, server.port, folder / "worker.log") as worker,
            ):
                load = Load(server, app, data, settings)
                watch = _drive(app, server, sink, load, settings, say)
                drained, drain_seconds = _drain(app, worker, settings.drain_timeout)
                worker_alive = worker.poll() is None
            gunicorn_log = server.log()
        finally:
            sink.stop()
        worker_log = (folder / "worker.log").read_text(errors="replace")
        load_after = os.getloadavg()
        with app.app_context():
            violations, checks = verify(app, data, load.tally, watch, sink, settings)
            version = db.engine.dialect.server_version_info or ()
            dialect = f"{db.engine.dialect.name} {'.'.join(map(str, version))}"
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
    if not drained:
        violations.append(f"the outbox did not drain within {settings.drain_timeout:.0f} s")
    if not worker_alive:
        violations.append("the mail worker died")
    if "Traceback" in gunicorn_log:
        violations.append("a traceback in the gunicorn log")
    failed_rounds = worker_log.count("the round failed")
    lines = report(
        settings,
        dialect,
        load.tally,
        watch,
        checks,
        load_before,
        load_after,
        drain_seconds,
        failed_rounds,
        gunicorn_log.count("WORKER TIMEOUT"),
    )
    if violations:
        lines += ["", "**VIOLATIONS**", *[f"- {v}" for v in violations]]
        lines += ["", "gunicorn log (end):", "```", gunicorn_log[-3000:], "```"]
        lines += ["mail worker log (end):", "```", worker_log[-3000:], "```"]
    return Outcome(violations, lines)


def _drive(
    app: Flask,
    server: Server,
    sink: MailSink,
    load: Load,
    settings: Settings,
    say: Callable[[str], None],
) -> Watch:
    """Run the load for the whole duration; kill a worker and take the mail server down on
    schedule; sample memory and seats every few seconds."""
    watch = Watch()
    master = master_pid(server)
    duration = settings.seconds
    kill_at, outage_at = duration * settings.kill_at, duration * settings.outage_at
    outage_ends = outage_at + settings.outage
    load.warm_up()
    say(f"warmed up: {sum(load.tally.answered.values())} requests")
    start = time.monotonic()
    load.start()
    say(f"load started: {settings.clients} clients for {duration:.0f} s")
    while (t := time.monotonic() - start) < duration:
        pids = worker_pids(master)
        for pid in pids:
            if (rss := rss_mb(pid)) is not None:
                watch.rss[pid].append((t, rss))
        if watch.killed is not None and not watch.respawned:
            watch.respawned = len(pids) == settings.workers and watch.killed not in pids
            if watch.respawned:
                watch.events.append(f"{t:.0f} s: the master has {len(pids)} workers again")
        if watch.killed is None and t >= kill_at and pids:
            watch.killed = sorted(pids)[len(pids) // 2]
            os.kill(watch.killed, signal.SIGKILL)
            watch.events.append(f"{t:.0f} s: SIGKILL to gunicorn worker {watch.killed}")
            say(watch.events[-1])
        if outage_at <= t < outage_ends and sink._controller is not None:
            sink.stop()
            watch.events.append(f"{t:.0f} s: SMTP server stopped")
            say(watch.events[-1])
        if t >= outage_ends and sink._controller is None:
            sink.start()
            watch.events.append(f"{t:.0f} s: SMTP server started again")
            say(watch.events[-1])
        with app.app_context():
            problems = seat_problems(seats_now())
            db.session.remove()
        watch.seat_checks += 1
        watch.seat_problems += [f"{t:.0f} s: {p}" for p in problems]
        upcoming = [at - t for at in (kill_at, outage_at, outage_ends, duration) if at > t]
        time.sleep(max(min([settings.sample_every, *upcoming]), 0.05))
    if sink._controller is None:
        sink.start()
    load.finish()
    say(f"load stopped; {sum(load.tally.answered.values())} answers")
    return watch


def _drain(app: Flask, worker: subprocess.Popen[bytes], timeout: float) -> tuple[bool, float]:
    """Wait until the worker has delivered everything (messages that failed during the outage
    wait for their back-off, 1 then 2 … minutes)."""
    began = time.monotonic()
    waiting = (OutboxStatus.PENDING, OutboxStatus.SENDING)
    while time.monotonic() - began < timeout and worker.poll() is None:
        with app.app_context():
            left = db.session.scalar(
                sa.select(sa.func.count()).where(OutboxMessage.status.in_(waiting))
            )
            db.session.remove()
        if not left:
            return True, time.monotonic() - began
        time.sleep(1)
    return False, time.monotonic() - began


# -- the checks at the end -----------------------------------------------------------------------


def verify(
    app: Flask, data: Dataset, tally: Tally, watch: Watch, sink: MailSink, settings: Settings
) -> tuple[list[str], list[tuple[str, bool, str]]]:
    """Every invariant, as (name, held, detail); and the violations, in words."""
    checks: list[tuple[str, bool, str]] = []

    def check(name: str, held: bool, detail: str) -> None:
        checks.append((name, held, detail))

    check(
        "no 5xx", not tally.server_errors, f"{len(tally.server_errors)} {tally.server_errors[:5]}"
    )
    check(
        "only expected statuses",
        not tally.unexpected,
        f"{len(tally.unexpected)} {tally.unexpected[:5]}",
    )
    retried = sum(tally.connection_errors.values())
    check(
        "every request answered (connection errors retried)",
        not tally.gave_up,
        f"{retried} connection errors retried, {len(tally.gave_up)} given up",
    )
    check("killed worker replaced", watch.respawned, f"worker {watch.killed}")
    rows = seats_now()
    full = sum(1 for _, c, confirmed, _ in rows if c is not None and confirmed == c)
    lines = sum(1 for *_, waiting in rows if waiting)
    problems = seat_problems(rows)
    check(
        "seats: confirmed ≤ capacity; nobody waits beside a free seat (at the end)",
        not problems,
        f"{len(rows)} sessions, {full} full, {lines} with a waitlist; {problems[:3]}",
    )
    check(
        "seats, sampled during the run",
        not watch.seat_problems,
        f"{watch.seat_checks} snapshots; {watch.seat_problems[:3]}",
    )
    registrations = list(db.session.scalars(sa.select(Registration)))
    told: Counter[str] = Counter()
    replay = replay_problems(app, data, registrations, told)
    check(
        "the e-mails replay to the final state: every freed seat went to the first in line",
        not replay,
        ", ".join(f"{k.removeprefix('registration_')} {n}" for k, n in sorted(told.items()))
        + f"; {replay[:3]}",
    )
    pending = sum(1 for r in registrations if r.status is RegistrationStatus.PENDING)
    check("no registration left pending", not pending, str(pending))
    outbox = Counter(db.session.scalars(sa.select(OutboxMessage.status)))
    sent_ids = {
        _message_id(m): m.id
        for m in db.session.execute(
            sa.select(OutboxMessage.id, OutboxMessage.created_at, OutboxMessage.status)
        )
        if m.status is OutboxStatus.SENT
    }
    check(
        "outbox drained: all sent, none pending, sending or failed",
        set(outbox) <= {OutboxStatus.SENT},
        ", ".join(f"{s.value} {n}" for s, n in sorted(outbox.items())),
    )
    received = Counter(message_id for message_id, _ in sink.received)
    twice = [m for m, n in received.items() if n > 1]
    check("no message received twice", not twice, f"{len(sink.received)} received; {twice[:3]}")
    lost, extra = set(sent_ids) - set(received), set(received) - set(sent_ids)
    check(
        "received == sent (by Message-ID)",
        not lost and not extra,
        f"{len(sent_ids)} sent; not received {len(lost)}, unknown {len(extra)}",
    )
    retried_mail = db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.attempts > 1))
    check(
        "mail that failed during the outage went out later",
        True,
        f"{retried_mail} needed more than one attempt",
    )
    memory = memory_problems(watch, settings)
    check(
        f"worker memory flat over the second half (≤ mid-run + {settings.rss_tolerance_mb:g} MB)",
        not memory,
        "; ".join(memory[:3]),
    )
    return [f"{name}: {detail}" for name, held, detail in checks if not held], checks


def replay_problems(
    app: Flask, data: Dataset, registrations: list[Registration], told: Counter[str]
) -> list[str]:
    """Replay every session's registration e-mails in outbox order from the seeded state.

    Each change and its e-mail are written in one transaction under the session's lock, so
    the outbox ids of one session follow the order of its changes: the replay must obey the
    rules at every step (a seat only when one is free and nobody waits, a promotion only of the
    first in line, one right after each cancellation that freed a seat while people waited) and
    end in the database's state (same seats, same line in the same order): no change happened
    without its message, and none was told wrongly."""
    kinds = _subject_kinds(app)
    user_of = dict(db.session.execute(sa.select(User.email, User.id)).all())
    capacity = dict(
        db.session.execute(sa.select(LearningSession.id, LearningSession.capacity)).all()
    )
    events: dict[int, list[tuple[str, int]]] = defaultdict(list)
    unknown = 0
    for to_address, subject in db.session.execute(
        sa.select(OutboxMessage.to_address, OutboxMessage.subject).order_by(OutboxMessage.id)
    ):
        kind_and_session = kinds.get(subject)
        if kind_and_session is None:
            unknown += 1
        elif kind_and_session[0] != "reminder":
            events[kind_and_session[1]].append((kind_and_session[0], user_of[to_address]))
    problems = [f"{unknown} e-mails of an unknown kind"] if unknown else []
    told.update(kind for changes in events.values() for kind, _ in changes)
    # seeded in line order
    seeded_line = [k for k, s in data.seeded.items() if s is RegistrationStatus.WAITLISTED]
    seats = {
        sid: {
            u
            for (s, u), st in data.seeded.items()
            if s == sid and st is RegistrationStatus.CONFIRMED
        }
        for sid in capacity
    }
    lines = {sid: [u for s, u in seeded_line if s == sid] for sid in capacity}
    for session_id, changes in events.items():
        problems += _replay(
            session_id, capacity[session_id], seats[session_id], lines[session_id], changes
        )
    final_seats: dict[int, set[int]] = defaultdict(set)
    final_lines: dict[int, list[Registration]] = defaultdict(list)
    for r in registrations:
        if r.status is RegistrationStatus.CONFIRMED:
            final_seats[r.session_id].add(r.user_id)
        elif r.status is RegistrationStatus.WAITLISTED:
            final_lines[r.session_id].append(r)
    for session_id in capacity:
        line = [
            r.user_id for r in sorted(final_lines[session_id], key=lambda r: (r.queued_at, r.id))
        ]
        if seats[session_id] != final_seats[session_id]:
            problems.append(f"session {session_id}: the seats differ from what the e-mails said")
        if lines[session_id] != line:
            problems.append(f"session {session_id}: the line differs from what the e-mails said")
    return problems


def _replay(
    session_id: int,
    capacity: int | None,
    seats: set[int],
    line: list[int],
    changes: list[tuple[str, int]],
) -> list[str]:
    """Apply one session's changes in order (mutating *seats* and *line*); what broke a rule."""
    problems = []
    owed = 0  # promotions due after cancellations that freed a seat
    free = lambda: capacity is None or len(seats) < capacity  # noqa: E731
    for kind, user in changes:
        where = f"session {session_id}, user {user}: {kind}"
        if owed and kind != "registration_promoted":
            problems.append(f"{where} while a freed seat had not gone to the line")
            owed = 0
        if kind in ("registration_confirmed", "registration_waitlisted") and (
            user in seats or user in line
        ):
            problems.append(f"{where}, but already registered")
        if kind == "registration_confirmed":
            if not free() or line:
                problems.append(f"{where} with no free seat or people waiting")
            seats.add(user)
        elif kind == "registration_waitlisted":
            if free() and not line:
                problems.append(f"{where} beside a free seat")
            line.append(user)
        elif kind == "registration_cancelled":
            if user in seats:
                seats.discard(user)
                owed = 1 if line else 0
            elif user in line:
                line.remove(user)
            else:
                problems.append(f"{where}, but not registered")
        elif kind == "registration_promoted":
            if not line or line[0] != user or not free():
                problems.append(f"{where}, not the first in line for a free seat")
            if user in line:
                line.remove(user)
            seats.add(user)
            owed = 0
    if owed:
        problems.append(f"session {session_id}: the last freed seat did not go to the line")
    return problems


def _subject_kinds(app: Flask) -> dict[str, tuple[str, int]]:
    """Every subject the run can produce, in both languages → (kind, session id)."""
    subjects = {**registration_service.SUBJECTS, "reminder": followups.SUBJECTS["reminder"]}
    kinds = {}
    with app.test_request_context():
        for learning_session in db.session.scalars(sa.select(LearningSession)):
            for language in app.config["LANGUAGES"]:
                with force_locale(language):
                    title = learning_session.loc("title", language)
                    for kind, subject in subjects.items():
                        text = " ".join(str(subject(title)).split())[:500]
                        kinds[text] = (kind, learning_session.id)
    return kinds


def _message_id(row: sa.Row) -> str:
    """As exchange.services.mail.build_email writes it (the sender's domain by default)."""
    return f"<outbox.{row.id}.{int(row.created_at.timestamp())}@localhost>"


def memory_problems(watch: Watch, settings: Settings) -> list[str]:
    """For each worker judged (alive from well before mid-run to the end): the largest RSS
    in the last quarter against the sample at mid-run."""
    problems = []
    for pid, series in memory_series(watch, settings).items():
        if series["judged"] and series["late max"] > series["mid"] + settings.rss_tolerance_mb:
            problems.append(
                f"worker {pid}: {series['mid']:.0f} MB at mid-run, "
                f"{series['late max']:.0f} MB in the last quarter"
            )
    return problems


def memory_series(watch: Watch, settings: Settings) -> dict[int, dict[str, float]]:
    """Each worker's RSS: first sample, at mid-run, the largest in the last quarter, last.
    A worker born during the run less than a minute (or a fifth of the run) before mid-run
    may still be loading code and data on first use: it is shown, not judged; so is one gone
    before the end."""
    mid, last_quarter = settings.seconds / 2, settings.seconds * 3 / 4
    warm_up = max(60.0, settings.seconds / 5)  # a respawned worker loads code on first use
    nan = float("nan")
    summary = {}
    for pid, samples in watch.rss.items():
        at_mid = [rss for t, rss in samples if t >= mid]
        late = [rss for t, rss in samples if t >= last_quarter]
        born = samples[0][0]
        summary[pid] = {
            "born": born,
            "first": samples[0][1],
            "mid": at_mid[0] if at_mid else nan,
            "late max": max(late) if late else nan,
            "end": samples[-1][1],
            "judged": float(bool(at_mid and late and (born < 1 or born <= mid - warm_up))),
        }
    return summary


# -- the report ----------------------------------------------------------------------------------


def report(
    settings: Settings,
    dialect: str,
    tally: Tally,
    watch: Watch,
    checks: list[tuple[str, bool, str]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    drain_seconds: float,
    failed_rounds: int,
    worker_timeouts: int,
) -> list[str]:
    out = [
        f"{dialect}; gunicorn {settings.workers} sync workers; {settings.clients} client threads; "
        f"{settings.seconds:.0f} s of load; {settings.sessions} sessions, {settings.users} users; "
        f"{os.cpu_count()} CPUs; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after (1 min), {load_after[2]:.1f} (15 min) — a shared machine",
        "",
        "| requests | answered | req/s | p50 ms | p99 ms | 5xx | other unexpected |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, _weight in Load.MIX:
        latencies = tally.latencies.get(kind, [])
        errors = sum(1 for k, _ in tally.server_errors if k == kind)
        out.append(
            f"| {kind} | {tally.answered[kind]} | {tally.answered[kind] / settings.seconds:.1f} | "
            f"{_percentile(latencies, 50):.0f} | {_percentile(latencies, 99):.0f} | "
            f"{errors} | {sum(1 for k, _ in tally.unexpected if k == kind)} |"
        )
    total = sum(tally.answered.values())
    out.append(
        f"| **all** | {total} | {total / settings.seconds:.1f} | | | "
        f"{len(tally.server_errors)} | {len(tally.unexpected)} |"
    )
    errors = ", ".join(f"{k} ×{n}" for k, n in tally.connection_errors.items()) or "none"
    out += [
        "",
        "Incidents: " + "; ".join(watch.events) + ".",
        f"Connection-level errors (retried by the client): {errors}.",
        f"Outbox drained {drain_seconds:.0f} s after the load stopped; mail worker rounds "
        f"that failed: {failed_rounds}; gunicorn worker timeouts: {worker_timeouts}.",
        "",
        "| check | result | detail |",
        "|---|---|---|",
    ]
    out += [
        f"| {name} | {'ok' if held else '**FAILED**'} | {detail} |" for name, held, detail in checks
    ]
    out += [
        "",
        "| worker | born at s | first MB | mid-run MB | last-quarter max MB | end MB | judged |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for pid, s in sorted(memory_series(watch, settings).items()):
        out.append(
            f"| {pid} | {s['born']:.0f} | {s['first']:.1f} | {s['mid']:.1f} | "
            f"{s['late max']:.1f} | {s['end']:.1f} | {'yes' if s['judged'] else 'no'} |"
        )
    return out


def _percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


# -- the command ---------------------------------------------------------------------------------


@contextmanager
def database(url: str | None, keep: bool) -> Iterator[str]:
    """An empty database: its own PostgreSQL database by default, else *url* (must be empty)."""
    if url is None:
        admin = {
            "host": "127.0.0.1",
            "port": 5432,
            "user": "postgres",
            "dbname": "postgres",
            "autocommit": True,
        }
        name = sql.Identifier(SOAK_DATABASE)
        with psycopg.connect(**admin) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
        try:
            yield f"{POSTGRES_SERVER}/{SOAK_DATABASE}"
        finally:
            if not keep:
                with psycopg.connect(**admin) as connection:
                    connection.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name)
                    )
        return
    sqlite_file = _sqlite_file(url)
    if sqlite_file is None and sa.make_url(url).get_backend_name() == "sqlite":
        raise SystemExit("gunicorn's workers cannot share an in-memory SQLite: give a file")
    created = sqlite_file is not None and not sqlite_file.exists()
    engine = sa.create_engine(url)
    try:
        if tables := sa.inspect(engine).get_table_names():
            raise SystemExit(f"{url} is not empty ({len(tables)} tables): refusing to use it")
    finally:
        engine.dispose()
    try:
        yield url
    finally:
        if keep:
            pass
        elif created:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        else:
            _drop_tables(url)


class _Folder(type(Path())):  # type: ignore[misc]
    keep = False


@contextmanager
def logs(prefix: str) -> Iterator[_Folder]:
    """A temporary folder for the logs, kept (and named) when the run found a violation."""
    folder = _Folder(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        if folder.keep:
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="length of the load")
    parser.add_argument(
        "--database-url", help="an empty database (default: its own PostgreSQL one)"
    )
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=6, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--outage", type=float, help="seconds without SMTP (60, less if short)")
    parser.add_argument("--rss-tolerance", type=float, default=10, help="MB")
    parser.add_argument("--create-all", action="store_true", help="schema from the models")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    settings = Settings(
        seconds=args.minutes * 60,
        sessions=args.sessions,
        users=args.users,
        clients=args.clients,
        workers=args.workers,
        outage_seconds=args.outage,
        rss_tolerance_mb=args.rss_tolerance,
        create_all=args.create_all,
    )
    with (
        logs(prefix="exchange-soak-") as folder,
        database(args.database_url, args.keep) as url,
    ):
        outcome = run_soak(url, settings, folder, say=lambda line: print(line, flush=True))
        folder.keep = bool(outcome.violations)
    print("\n".join(["", *outcome.lines]))
    print(f"\n{'FAILED' if outcome.violations else 'OK'}: {len(outcome.violations)} violations")
    return 1 if outcome.violations else 0


if __name__ == "__main__":
    sys.exit(main())
