"""Slow-query logging (SLOW_QUERY_MS): off by default; when on, slow SQL is logged with the
request it served, and never with its parameters."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import built_app


def test_off_by_default_nothing_is_logged(client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="exchange.sql"):
        assert client.get("/sessions").status_code == 200
    assert not [r for r in caplog.records if r.name == "exchange.sql"]


def test_statements_at_or_over_the_threshold_are_logged_with_the_request(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        built_app(database_url, SLOW_QUERY_MS=0) as app,
        caplog.at_level(logging.WARNING, logger="exchange.sql"),
    ):
        app.test_client().get("/auth/login")
        response = app.test_client().post(
            "/auth/login",
            data={"email": "secret.person@agency.go.th", "password": "not the one"},
        )
    assert response.status_code in (200, 400)
    lines = [r.getMessage() for r in caplog.records if r.name == "exchange.sql"]
    assert any("(POST /auth/login)" in line and "SELECT" in line for line in lines)
    assert all(line.startswith("slow query: ") and " ms" in line for line in lines)
    assert not any("secret.person" in line for line in lines)  # parameters are never logged


def test_a_high_threshold_logs_nothing(database_url: str, caplog) -> None:
    with (
        built_app(database_url, SLOW_QUERY_MS=60_000) as app,
        caplog.at_level(logging.WARNING, logger="exchange.sql"),
    ):
        app.test_client().get("/sessions")
    assert not [r for r in caplog.records if r.name == "exchange.sql"]
