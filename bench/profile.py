"""Profile one page of the benchmark's dataset in this process, with pyinstrument.

    .venv/bin/python bench/profile.py PATH [--requests 50] [--database-url URL] [--sql] [--uncached]

Requests PATH through Flask's test client (after five unprofiled warm-up requests), then prints
pyinstrument's call tree of the profiled ones, the average time per request and, with --sql,
the number of SQL statements per request. Needs the dataset bench/run.py generated (the same
default database) and pyinstrument (``pip install pyinstrument``; not a product dependency).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import sqlalchemy as sa  # noqa: E402

from exchange import create_app  # noqa: E402
from exchange.db import db, engines, listening  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/exchange_bench_large"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--sql", action="store_true", help="count SQL statements per request")
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    parser.add_argument(
        "--uncached", action="store_true", help="page cache off: profile making the page"
    )
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each SELECT of one request"
    )
    args = parser.parse_args()
    from pyinstrument import Profiler

    config = {"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "profile"}
    if args.uncached:
        config["PAGE_CACHE_SECONDS"] = 0
    app = create_app(config)
    headers = dict(h.split(": ", 1) for h in args.header)
    client = app.test_client(use_cookies="Cookie" not in headers)  # else its jar replaces ours
    for _ in range(5):
        client.get(args.path, headers=headers)
    statements = [0]
    if args.sql:

        def count(*_: object) -> None:
            statements[0] += 1

        with app.app_context():  # for the whole run; search has its own engine on PostgreSQL
            for engine in engines():
                sa.event.listen(engine, "before_cursor_execute", count)

    if args.explain:
        explain(app, client, args.path, headers)
        return 0
    profiler = Profiler(interval=0.001)
    began = time.perf_counter()
    profiler.start()
    for _ in range(args.requests):
        response = client.get(args.path, headers=headers)
    profiler.stop()
    elapsed = time.perf_counter() - began
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(
        f"{args.path}: HTTP {response.status_code}, {len(response.data)} bytes, "
        f"{elapsed / args.requests * 1000:.1f} ms per request (profiled)"
        + (f", {statements[0] / args.requests:.1f} SQL statements" if args.sql else "")
    )
    return 0


def explain(app, client, path: str, headers: dict[str, str]) -> None:
    """Each SELECT one request runs, slowest first, with PostgreSQL's plan and timing."""
    with app.app_context():
        engine = db.engine
        every = engines()  # search's statement too (explained here with a plan made for it)
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    with listening(every, "before_cursor_execute", keep):
        client.get(path, headers=headers)
    plans = []
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for statement, parameters in seen:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            lines = [row[0] for row in cursor.fetchall()]
            total = float(lines[-1].split()[-2])
            plans.append((total, statement, lines))
    for total, statement, lines in sorted(plans, key=lambda p: p[0], reverse=True):
        print(f"--- {total:.1f} ms\n{statement}\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
