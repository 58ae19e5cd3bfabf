"""The main benchmark (`make bench`): every public page, the feed, the API and registrations
on a large PostgreSQL dataset under gunicorn, each measured by wrk against a floor.

    .venv/bin/python bench/run.py [--database-url URL] [--fresh] [--duration 10] [--only ROWS]

Generates (or reuses) the dataset of bench/dataset.py, serves the app with
``gunicorn --workers 4`` as the README's deployment does, and beside it the floor of
bench/floor.py with the same settings; measures each row with
``wrk -c16 -t2 -d<duration>s --latency`` after a warm-up, then its floor right after it; prints a
Markdown table with every figure as a ratio to its floor and which targets were met, then the
resident memory of every worker. Exits 1 if any request failed (a missed target is reported,
not an error). All traffic goes to 127.0.0.1. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH = PROJECT_ROOT / "bench"
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: make `exchange` and `tests` importable
sys.path.insert(0, str(BENCH))
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import gunicorn  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from dataset import REGISTER_SLUG  # noqa: E402
from prepared import prepare  # noqa: E402
from psycopg import sql  # noqa: E402
from registrations import login_cookie  # noqa: E402
from report import print_report  # noqa: E402
from search import QUERIES  # noqa: E402
from wrkrun import WrkResult, run_wrk  # noqa: E402

from exchange import create_app  # noqa: E402
from exchange.db import db  # noqa: E402
from tests.served import READY_MARK, Server, serve  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/exchange_bench_large"
SEARCH_QUERY = "องค์การ"
RSS_LIMIT_MB = 150


@dataclass
class Row:
    """One measured request and what it is held to."""

    name: str
    path: str
    floor: str  # the floor's path
    target: str  # "page", "conditional", "cold", "search" or "" (reported only)
    expect: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    script: str | None = None
    script_args: tuple[str, ...] = ()
    connections: int | None = None  # None: --connections
    result: WrkResult | None = None
    floor_result: WrkResult | None = None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    ensure_database(url)
    with tempfile.TemporaryDirectory(prefix="exchange-bench-run-") as name:
        folder = Path(name)
        secret_key = os.urandom(32).hex()
        env = {
            "SECRET_KEY": secret_key,
            "DATABASE_URL": url,
            "EXCHANGE_INSTANCE_PATH": str(folder / "instance"),  # no instance/config.py
            "FLASK_WTF_CSRF_ENABLED": "false",
            "FLASK_RATELIMIT_ENABLED": "false",
            "FLASK_SESSION_COOKIE_SECURE": "false",  # plain http on loopback
            "PYTHAINLP_OFFLINE": "1",
            "PYTHAINLP_READ_ONLY": "1",
        }
        began = time.perf_counter()
        print(prepare(url, env, args.fresh), f"({time.perf_counter() - began:.0f} s)", flush=True)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key})
        try:
            return run(args, app, env, folder)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help="PostgreSQL (created if missing)"
    )
    parser.add_argument("--fresh", action="store_true", help="regenerate the dataset even if kept")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--duration", type=float, default=10, help="seconds measured per row")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per row")
    parser.add_argument("--only", default="", help="comma-separated row names (default: all)")
    return parser.parse_args(argv)


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it does not exist (kept afterwards: the dataset is reused)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit("the large benchmark runs on PostgreSQL only")
    admin = {"host": parsed.host, "port": parsed.port, "user": parsed.username}
    with psycopg.connect(**admin, password=parsed.password, dbname="postgres") as connection:
        connection.autocommit = True
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
        if not found:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database))
            )


def pick_targets(app) -> dict[str, str]:
    """Slugs of a rich session page, the busiest agency and topic; resets the POST target."""
    queries = {
        "session": """SELECT s.slug FROM learning_session s JOIN note n ON n.session_id = s.id
            JOIN takeaway t ON t.session_id = s.id WHERE s.status = 'published'
            GROUP BY s.slug ORDER BY count(*) DESC, s.slug LIMIT 1""",
        "agency": """SELECT a.slug FROM agency a JOIN learning_session s ON s.organiser_id = a.id
            GROUP BY a.slug ORDER BY count(*) DESC, a.slug LIMIT 1""",
        "topic": """SELECT t.slug FROM topic t JOIN session_topic st ON st.topic_id = t.id
            GROUP BY t.slug ORDER BY count(*) DESC, t.slug LIMIT 1""",
    }
    with app.app_context(), db.engine.begin() as connection:
        found = {k: connection.execute(sa.text(q)).scalar_one() for k, q in queries.items()}
        connection.execute(
            sa.text(
                "DELETE FROM registration WHERE session_id = "
                "(SELECT id FROM learning_session WHERE slug = :slug)"
            ),
            {"slug": REGISTER_SLUG},
        )
        connection.execute(sa.text("DELETE FROM outbox_message"))
        users = connection.execute(sa.text('SELECT id FROM "user" ORDER BY id')).scalars().all()
    found["users"] = users
    return found


def fetch(server: Server, method: str, path: str, headers: dict[str, str] | None = None):
    connection = server.connection()
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def build_rows(app, server: Server, folder: Path, args: argparse.Namespace) -> list[Row]:
    targets = pick_targets(app)
    cookie = login_cookie(app)
    cookies = folder / "cookies.txt"
    cookies.write_text(
        "\n".join(cookie(u)["Cookie"].removeprefix("session=") for u in targets["users"])
    )
    search = f"/search?q={quote(SEARCH_QUERY)}"
    # bench/search.py's queries, the overview and a page of takeaways: made for each request
    searches = folder / "searches.txt"
    searches.write_text(
        "\n".join(
            f"/search?q={quote(q)}{kind}" for _, q in QUERIES for kind in ("", "&type=takeaway")
        )
    )
    register = f"/sessions/{REGISTER_SLUG}/register"
    rows = [
        Row("home", "/", "/page/home", "page"),
        Row("home, logged in", "/", "/page/home", "", headers=cookie(targets["users"][0])),
        Row("session list", "/sessions", "/page/sessions", "page"),
        Row("session page", f"/sessions/{targets['session']}", "/page/session", "page"),
        # what a logged-in reader gets: the page made for them (never from the page cache)
        Row(
            "session page, logged in",
            f"/sessions/{targets['session']}",
            "/page/session",
            "",
            headers=cookie(targets["users"][0]),
        ),
        Row("agency page", f"/agencies/{targets['agency']}", "/page/agency", "page"),
        Row("topic page", f"/topics/{targets['topic']}", "/page/topic", "page"),
        Row(f"search {SEARCH_QUERY}", search, "/page/search", "page"),
        Row("search, one client", search, "/page/search", "search", connections=1),
        Row(
            "search made per query, one client",
            search,
            "/page/search",
            "search",
            script="queries.lua",
            script_args=(str(searches),),
            connections=1,
        ),
        Row("API /api/v1/sessions", "/api/v1/sessions", "/page/api", "page"),
        Row("feed cold", "/calendar.ics", "/feed.ics", "", headers={"X-Bench-Touch": "1"}),
        Row(
            "feed cold, one client",
            "/calendar.ics",
            "/feed.ics",
            "cold",
            headers={"X-Bench-Touch": "1"},
            connections=1,
        ),
        Row("feed If-None-Match", "/calendar.ics", "/feed.ics", "conditional", expect=304),
        Row(
            "registration POST",
            register,
            "/page/post",
            "",
            expect=302,
            script="post.lua",
            script_args=(register, str(cookies), str(args.threads)),
        ),
    ]
    response, _ = fetch(server, "GET", "/calendar.ics")
    rows[-2].headers = {"If-None-Match": response.getheader("ETag") or ""}
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        rows = [r for r in rows if r.name in wanted or r.name.split()[0] in wanted]
    return rows


def check_and_size(server: Server, rows: list[Row], cookie_file: Path) -> dict[str, int]:
    """One request per row: the expected status, and the body sizes the floor must match."""
    sizes: dict[str, int] = {}
    first_cookie = cookie_file.read_text().split("\n", 1)[0]
    for row in rows:
        method, headers = "GET", dict(row.headers)
        if row.script == "post.lua":
            method, headers = "POST", {"Cookie": f"session={first_cookie}"}
        headers.pop("X-Bench-Touch", None)
        response, body = fetch(server, method, row.path, headers)
        location = response.getheader("Location") or ""
        if response.status != row.expect or (method == "POST" and "/auth/" in location):
            raise SystemExit(f"{method} {row.path} answered {response.status} {location}")
        if row.floor.startswith("/page/"):
            sizes.setdefault(row.floor.removeprefix("/page/"), len(body))
        else:
            sizes.setdefault("feed", len(body))
    return sizes


def measure(row: Row, server: Server, floor: Server, args: argparse.Namespace, floors: dict):
    connections = row.connections or args.connections
    common = {"connections": connections, "threads": args.threads}
    app_url = f"http://127.0.0.1:{server.port}{row.path}"
    if "If-None-Match" in row.headers:  # the rows before (the cold feed) changed the version
        response, _ = fetch(server, "GET", row.path)
        row.headers = {**row.headers, "If-None-Match": response.getheader("ETag") or ""}
    options = {"headers": row.headers, "script": row.script, "script_args": row.script_args}
    if row.script != "post.lua":  # a warm-up would register the users the measured run needs
        run_wrk(app_url, seconds=args.warmup, **common, **options)
    row.result = run_wrk(app_url, seconds=args.duration, **common, **options)
    key = (row.floor, connections)
    if key not in floors:
        floor_url = f"http://127.0.0.1:{floor.port}{row.floor}"
        run_wrk(floor_url, seconds=min(args.warmup, 2), **common)
        floors[key] = run_wrk(floor_url, seconds=args.duration, **common)
    row.floor_result = floors[key]


def run(args: argparse.Namespace, app, env: dict[str, str], folder: Path) -> int:
    load_before = os.getloadavg()
    with serve(
        env,
        folder / "gunicorn.log",
        workers=args.workers,
        app="benchapp:app",
        extra_args=("--pythonpath", str(BENCH)),
    ) as server:
        rows = build_rows(app, server, folder, args)
        sizes = check_and_size(server, rows, folder / "cookies.txt")
        floor_env = {
            "BENCH_FLOOR_PAGES": json.dumps({k: v for k, v in sizes.items() if k != "feed"}),
            "BENCH_FLOOR_FEED": str(sizes.get("feed", 0)),
        }
        with serve(
            floor_env,
            folder / "floor.log",
            workers=args.workers,
            app="floor:app",
            extra_args=("--pythonpath", str(BENCH)),
        ) as floor:
            floors: dict = {}
            for row in rows:
                measure(row, server, floor, args, floors)
                rss = ", ".join(f"{mb:.0f}" for mb in worker_memory(server).values())
                print(f"  {row.name}: {row.result.rate:.1f} req/s; workers {rss} MB", flush=True)
            memory = worker_memory(server)
            floor_memory = worker_memory(floor)
        log = server.log()
    load_after = os.getloadavg()
    with app.app_context(), db.engine.connect() as connection:
        registered = connection.execute(
            sa.text(
                "SELECT count(*) FROM registration r JOIN learning_session s "
                "ON s.id = r.session_id WHERE s.slug = :slug"
            ),
            {"slug": REGISTER_SLUG},
        ).scalar_one()
    print(
        f"\n{describe(args, app)}; load average {load_before[0]:.2f} before the run, "
        f"{load_after[0]:.2f} after\n"
    )
    missed = print_report(rows, sizes, memory, floor_memory, registered, RSS_LIMIT_MB)
    failed = sum(r.result.failed for r in rows if r.result)
    if "Traceback" in log or failed:
        print(f"\n{failed} failed requests; gunicorn log (last 3000 characters):\n{log[-3000:]}")
    if missed:
        print(f"\ntargets missed: {', '.join(missed)}")
    return 1 if failed or "Traceback" in log else 0


def worker_memory(server: Server) -> dict[int, float]:
    """VmRSS in MB of every live worker: the children of the master of the logged workers."""
    pids = [int(p) for p in re.findall(rf"{READY_MARK} pid=(\d+)", server.log())]
    masters = set()
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            masters.add(int(re.search(r"PPid:\s+(\d+)", status.read_text()).group(1)))
    workers = set()
    for master in masters:
        children = Path(f"/proc/{master}/task/{master}/children")
        workers |= {int(p) for p in children.read_text().split()}
    memory = {}
    for pid in sorted(workers):
        text = Path(f"/proc/{pid}/status").read_text()
        memory[pid] = int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024
    return memory


def describe(args: argparse.Namespace, app) -> str:
    with app.app_context():
        version = ".".join(map(str, db.engine.dialect.server_version_info or ()))
    return (
        f"PostgreSQL {version}, gunicorn {gunicorn.__version__} ({args.workers} sync workers), "
        f"wrk -c{args.connections} -t{args.threads} -d{args.duration:g}s --latency "
        f"(after {args.warmup:g} s of warm-up); Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    sys.exit(main())
