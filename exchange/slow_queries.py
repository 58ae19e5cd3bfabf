"""Slow-query logging, switched on by configuration: ``SLOW_QUERY_MS`` (None = off).

Every SQL statement that takes at least that long is logged on the ``exchange.sql`` logger
(WARNING) with its duration and, inside a request, the method and path. The statement's
parameters are never logged: they may hold e-mail addresses, names or token hashes.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

logger = logging.getLogger("exchange.sql")
STATEMENT_MAX = 2000  # characters of SQL in one log line


def install(engine: sa.Engine, threshold_ms: float) -> None:
    """Time every statement on *engine*; log those of *threshold_ms* or more."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        if context is not None:
            context.exchange_started = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _end(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        started = getattr(context, "exchange_started", None)
        if started is None:
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        if elapsed_ms < threshold_ms:
            return
        where = f" ({request.method} {request.path})" if has_request_context() else ""
        sql = " ".join(statement.split())[:STATEMENT_MAX]
        logger.warning("slow query: %.1f ms%s: %s", elapsed_ms, where, sql)
