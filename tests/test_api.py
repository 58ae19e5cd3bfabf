"""The API's frame: its OpenAPI document, JSON errors everywhere under /api/v1, the API page."""

from __future__ import annotations

import pytest
from flask import Flask
from openapi_spec_validator import validate

from exchange.api import openapi
from tests.conftest import make_test_app

METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}


def _document(app: Flask) -> dict:
    with app.test_request_context("/", base_url="http://localhost"):
        return openapi.english_document()


def test_openapi_document_is_valid_openapi_3_1(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # against the OpenAPI 3.1 specification's schema
    assert document["servers"] == [{"url": "http://localhost/api/v1"}]


def test_every_api_route_is_described_and_every_description_has_a_route(app) -> None:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1")
        for name in rule.arguments:
            path = path.replace(f"<{name}>", f"{{{name}}}")
            for converter in ("int", "string", "path"):
                path = path.replace(f"<{converter}:{name}>", f"{{{name}}}")
        routes |= {(path, method.lower()) for method in rule.methods & METHODS}
    described = {
        (path, method)
        for path, operations in _document(app)["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }
    assert routes == described


def test_every_operation_has_an_id_a_summary_and_documents_its_errors(app) -> None:
    document = _document(app)
    ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            ids.append(operation["operationId"])
            assert operation["summary"], (method, path)
            assert operation["responses"], (method, path)
            if "{" in path:
                assert "404" in operation["responses"], (method, path)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)
    assert len(ids) == len(set(ids))


def test_unknown_api_address_is_a_json_404(client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"
    assert "Set-Cookie" not in response.headers


def test_wrong_method_is_a_json_405_with_allow(client) -> None:
    response = client.delete("/api/v1/openapi.json")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_error_messages_follow_lang_or_accept_language_without_a_cookie(client) -> None:
    thai = client.get("/api/v1/no-such-thing?lang=th").get_json()["error"]["message"]
    english = client.get(
        "/api/v1/no-such-thing", headers={"Accept-Language": "en-GB,en;q=0.9"}
    ).get_json()["error"]["message"]
    assert english.startswith("Nothing here")
    assert thai != english
    response = client.get("/api/v1/openapi.json?lang=en")
    assert "Set-Cookie" not in response.headers


def test_a_crash_under_the_api_is_a_json_500(database_url: str) -> None:
    app = make_test_app(database_url, PROPAGATE_EXCEPTIONS=False)

    def boom() -> None:
        raise RuntimeError("boom")

    app.add_url_rule("/api/v1/boom", "boom", boom)
    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "boom" not in response.get_data(as_text=True)


def test_pages_outside_the_api_keep_their_html_errors(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_get_answers_carry_an_etag_and_304_when_unchanged(client) -> None:
    first = client.get("/api/v1/openapi.json")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_cross_origin_reads_are_allowed(client) -> None:
    response = client.get("/api/v1/openapi.json", headers={"Origin": "https://intranet.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/openapi.json",
        headers={"Origin": "https://x.example", "Access-Control-Request-Headers": "Authorization"},
    )
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("lang", ["th", "en"])
def test_api_page_lists_every_operation_and_links_the_document(client, app, lang) -> None:
    response = client.get(f"/api?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/api/v1/openapi.json" in page
    for path in _document(app)["paths"]:
        assert f">{path}</code>" in page
    assert ("API สำหรับนักพัฒนา" in page) == (lang == "th")


def test_every_page_links_to_the_api_page(client) -> None:
    assert 'href="/api"' in client.get("/").get_data(as_text=True)
