"""Contract tests generated from /api/v1/openapi.json by schemathesis: for every operation,
inputs made from its schema (and broken ones), each answer must be documented, match its
schema and content type, and never be a 5xx — anonymously and with an admin's token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation

from exchange.db import db, utcnow
from exchange.models import User, UserRole
from exchange.services import api_tokens
from exchange.services.demo import load_demo
from tests.conftest import built_app

# A schema cannot say that a filter's slug must exist: ?agency=no-such-agency is valid JSON
# Schema and rightly a 400 naming the field, which this heuristic would call a rejection.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]
EXAMPLES = 30  # per operation and test; raise locally to search harder


@pytest.fixture
def api_app(database_url: str) -> Iterator[Flask]:
    with built_app(database_url, API_WRITE_RATE_LIMIT="100000 per minute") as app:
        with app.app_context():
            load_demo(now=datetime.now(UTC))
            db.session.commit()
        yield app


@pytest.fixture
def admin_token(api_app: Flask) -> str:
    from exchange.services.accounts import create_user

    with api_app.app_context():
        user = create_user("api-admin@agency.go.th", "ผู้ดูแล", password=None, role=UserRole.ADMIN)
        db.session.flush()
        admin = db.session.get(User, user.id)
        _token, secret = api_tokens.create_token(admin, "contract", utcnow())
        db.session.commit()
    return secret


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=list(HealthCheck),
)


def _check_every_operation(app: Flask, mode: GenerationMode, headers: dict[str, str]) -> int:
    """Run each operation's generated cases; return how many operations were tried.

    (A loop rather than ``@schema.parametrize``: schemathesis' lazy fixture loader reads a
    private pytest attribute that pytest 9 no longer has.)
    """
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tried = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @SETTINGS
        def run(case: schemathesis.Case) -> None:
            if headers and _broken_headers(case):
                return  # our token would replace the header the case broke: no longer broken
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

        run()
        tried += 1
    return tried


def _broken_headers(case: schemathesis.Case) -> bool:
    """Whether the case's headers (its Authorization, say) are the part made invalid."""
    meta = case.meta
    header = meta.components.get(ParameterLocation.HEADER) if meta else None
    return header is not None and header.mode == GenerationMode.NEGATIVE


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_anonymous_calls_keep_the_contract(api_app: Flask, mode: GenerationMode) -> None:
    assert _check_every_operation(api_app, mode, {}) > 10


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_calls_with_a_token_keep_the_contract(
    api_app: Flask, admin_token: str, mode: GenerationMode
) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    assert _check_every_operation(api_app, mode, headers) > 10
