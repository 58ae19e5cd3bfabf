"""Public pages for readers who are not logged in, kept in each worker's memory and checked
against the data's version on every request.

Why: on the day a session is announced thousands of people open the same page within minutes;
making it costs templates, date formatting and a handful of queries (tens of milliseconds),
answering it from memory costs one one-row query. The queries stay what they are (bounded,
proven by the query-count tests); this only avoids running them again for the same answer.

When a kept page is used — all of these, else the view runs as usual:

* the view is marked ``@cached_page`` and the request is a GET or HEAD;
* the visitor is not logged in, sends no ``Authorization`` and has no message waiting in the
  session (a flash);
* a page was made for the same host, path, query string and language, at the **current data
  version**, less than ``PAGE_CACHE_SECONDS`` ago (what changes with the clock alone, such as a
  session moving from upcoming to past, is at most that late).

The data version (``exchange.models.DataVersion``) is raised inside every transaction that
changes rows through the ORM session — new, changed or deleted objects, or an ORM
INSERT/UPDATE/DELETE statement — just before it commits, so a reader never gets a page older
than the last commit. Rows no cached page shows (the outbox, the audit log, log-in and API
tokens) do not raise it, so sending mail does not empty the cache. Code that writes around the
session (a restore through ``session.connection()``) calls ``data_changed()``.

A page is kept only if the view answered 200, set no cookie and changed nothing in the session
but the CSRF token. Forms on a kept page (the guest registration form) carry the visitor's own
token: the one made while rendering is kept as a marker and replaced on each answer. The
inline-style hashes of the Content-Security-Policy are kept with the page.

Each worker keeps at most ``PAGE_CACHE_BYTES`` of pages, least recently used first out.
``PAGE_CACHE_SECONDS = 0`` switches the cache off (the version is still raised).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from exchange.db import db
from exchange.i18n import current_language
from exchange.models import (
    ApiToken,
    AuditEntry,
    AuthToken,
    DataVersion,
    OutboxMessage,
)
from exchange.models.data_version import ROW_ID

F = TypeVar("F", bound=Callable[..., Any])
V = TypeVar("V")

# Rows that no cached page shows: writing them leaves the version alone.
UNSHOWN = (OutboxMessage, AuditEntry, AuthToken, ApiToken, DataVersion)
_CHANGED = "exchange.data_changed"  # keys in Session.info
_UNCOUNTED = "exchange.data_uncounted"
_CSRF_FIELD = "csrf_token"
# g attributes read after the view (security_headers) that a kept page must bring back
_G_KEPT = ("csp_style_hashes", "csp_allow")
# Session keys a view may set without the page being personal: the CSRF secret (its token is
# replaced per visitor) and Flask-Login's note that an anonymous visitor is not "fresh".
_SESSION_BOOKKEEPING = frozenset({_CSRF_FIELD, "_fresh"})
_HEADERS_DROPPED = frozenset({"set-cookie", "content-length", "date"})


def install(app: Flask) -> None:
    """Give *app* its page store; raise the data version on every changing commit."""
    app.extensions["page_cache"] = PageStore(int(app.config["PAGE_CACHE_BYTES"]))
    _listen_once()


# --- the version -----------------------------------------------------------------------------


def data_changed(target: Session | None = None) -> None:
    """Say that the current transaction changed shown data in a way the ORM cannot see."""
    (target or db.session()).info[_CHANGED] = True


def uncounted() -> None:
    """Leave the version alone when this transaction commits: for rows loaded into an older
    schema that has no version yet (a restore, which raises it once it reaches the head)."""
    db.session().info.pop(_CHANGED, None)
    db.session().info[_UNCOUNTED] = True


def current_version() -> int | None:
    """The committed data version (None if the table has no row: nothing is then kept).
    Read before anything the answer shows is read."""
    # Plain SQL: the ORM's statement machinery would be a third of a kept page's whole cost.
    # On PostgreSQL outside any transaction (autocommit): a kept page then costs one round
    # trip, not BEGIN, SELECT and ROLLBACK; what the view reads next is read later still.
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return db.session.connection().exec_driver_sql(_VERSION_SQL).scalar()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.exec_driver_sql(_VERSION_SQL).scalar()


def _request_version() -> int | None:
    """`current_version()`, read once per GET or HEAD request (which commits nothing): a kept
    page, and every value `remembered` for a page made for its reader, are then checked
    against one read. Read again on each call otherwise (a POST may commit in between)."""
    version = g.get("data_version")
    if version is None:
        version = current_version()
        if has_request_context() and request.method in ("GET", "HEAD"):
            g.data_version = version
    return version


def remembered(key: Hashable, compute: Callable[[], V]) -> V:
    """*compute()*'s value, kept under *key* while the data version stands (at most
    PAGE_CACHE_SECONDS): for what every visitor's request computes alike, such as a calendar
    feed's version (the aggregate that answers If-None-Match)."""
    max_age = float(current_app.config["PAGE_CACHE_SECONDS"])
    version = _request_version() if max_age > 0 else None
    if version is None:
        return compute()
    values = store().values
    found = values.get(key, version, max_age)
    if found is not None:
        return found.value
    value = compute()
    values.put(key, Remembered(version, time.monotonic(), value))
    return value


def _shown(objects: Any) -> bool:
    return any(not isinstance(item, UNSHOWN) for item in objects)


def _after_flush(target: Session, flush: UOWTransaction) -> None:
    if _shown(target.new) or _shown(target.dirty) or _shown(target.deleted):
        target.info[_CHANGED] = True


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table.name in _UNSHOWN_TABLES:
        return
    state.session.info[_CHANGED] = True


def _before_commit(target: Session) -> None:
    if target.info.get(_UNCOUNTED):
        return
    if target.new or target.dirty or target.deleted:
        target.flush()  # the flush decides (after_flush) whether shown rows changed
    if target.info.pop(_CHANGED, False):
        # Last lock of the transaction, held only while it commits: no deadlock can form.
        target.execute(
            sa.update(DataVersion)
            .where(DataVersion.id == ROW_ID)
            .values(value=DataVersion.value + 1)
        )


def _forget(target: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint inside it
        target.info.pop(_CHANGED, None)
        target.info.pop(_UNCOUNTED, None)


_VERSION_SQL = f"SELECT value FROM data_version WHERE id = {ROW_ID:d}"  # noqa: S608 -- an int
_UNSHOWN_TABLES = frozenset(model.__tablename__ for model in UNSHOWN)
_LISTENERS = (
    ("after_flush", _after_flush),
    ("do_orm_execute", _on_execute),
    ("before_commit", _before_commit),
    ("after_transaction_end", _forget),
)


def _listen_once() -> None:
    for name, listener in _LISTENERS:
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)


# --- the store -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Remembered:
    version: int
    made: float  # time.monotonic()
    value: Any
    size: int = 200


@dataclass(frozen=True)
class KeptPage:
    version: int
    made: float
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    csrf_marker: bytes | None  # where the visitor's CSRF token goes, if the page has a form
    g_values: tuple[tuple[str, Any], ...]

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200

    def response(self) -> Response:
        body = self.body
        if self.csrf_marker is not None:
            body = body.replace(self.csrf_marker, generate_csrf().encode("ascii"))
        for name, value in self.g_values:
            setattr(g, name, value)
        response = Response(body, status=self.status, headers=Headers(list(self.headers)))
        # as the page made for this visitor would say (Flask adds it when the session is read):
        # a shared cache must not give a kept page to someone logged in
        response.vary.add("Cookie")
        if "ETag" in response.headers:
            response.make_conditional(request)
        return response


class Store:
    """Entries (pages, values) by key, least recently used first out past *limit* bytes;
    an entry is found only at the version it was made at and while young enough. Safe
    across threads (the development server)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._pages: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: int, max_age: float) -> Any:
        with self._lock:
            page = self._pages.get(key)
            if page is None or page.version != version or time.monotonic() - page.made > max_age:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return page

    def put(self, key: Hashable, page: KeptPage | Remembered) -> None:
        if page.size > self.limit // 4:  # one huge page must not push out everything else
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self.size -= old.size
            self._pages[key] = page
            self.size += page.size
            while self.size > self.limit:
                _key, dropped = self._pages.popitem(last=False)
                self.size -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self.size = 0


class PageStore(Store):
    """This app's pages, and (``values``) what ``remembered`` keeps."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.values = Store(max(limit // 16, 64 * 1024))


def store() -> PageStore:
    return current_app.extensions["page_cache"]


# --- the decorator ---------------------------------------------------------------------------


def cached_page(view: F) -> F:
    """Answer from the page store when the rules of this module allow it."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        max_age = float(current_app.config["PAGE_CACHE_SECONDS"])
        if max_age <= 0 or not _anonymous_read():
            return view(*args, **kwargs)
        version = _request_version()
        if version is None:
            return view(*args, **kwargs)
        # the host too: answers hold absolute links (the API's), built from the request's host
        key = (
            request.host_url,
            request.path,
            request.query_string.decode("latin-1"),
            current_language(),
        )
        pages = store()
        if (page := pages.get(key, version, max_age)) is not None:
            return page.response()
        before = session.copy()  # a plain dict's copy: not counted as reading the session
        response = make_response(view(*args, **kwargs))
        if (page := _keepable(response, version, before)) is not None:
            pages.put(key, page)
        return response

    return wrapped  # type: ignore[return-value]


def _anonymous_read() -> bool:
    if request.method not in ("GET", "HEAD") or "Authorization" in request.headers:
        return False
    config = current_app.config
    names = (config["SESSION_COOKIE_NAME"], config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    if not any(name in request.cookies for name in names):
        return True  # without touching the session: the API's answers do not vary by cookie
    return "_flashes" not in session and not current_user.is_authenticated


def _keepable(response: Response, version: int, before: dict[str, Any]) -> KeptPage | None:
    if response.status_code != 200 or response.is_streamed or "Set-Cookie" in response.headers:
        return None
    after = session.copy()
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    if changed - _SESSION_BOOKKEEPING:
        return None
    body = response.get_data()
    marker = None
    if (token := g.get(_CSRF_FIELD)) is not None:
        marker = b"\x00csrf-" + secrets.token_hex(8).encode("ascii") + b"\x00"
        body = body.replace(token.encode("ascii"), marker)
    headers = tuple(
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in _HEADERS_DROPPED
    )
    kept = tuple((name, g.get(name)) for name in _G_KEPT if name in g)
    return KeptPage(version, time.monotonic(), 200, headers, body, marker, kept)
