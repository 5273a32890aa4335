"""The API's errors: one documented shape on every operation, JSON for unknown paths, detail
in the request's language, validated pagination; and what the views return is documented."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken

from accounts.models import User
from ctsportal.api import POLICY_CODES, Pagination
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method.upper(), operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def _api(user: User) -> Client:
    _token, secret = AuthToken.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {secret}")


def _is_error_shape(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("code"), str) and "detail" in body


def test_every_operation_documents_the_error_responses_it_can_answer(
    schema: dict[str, Any],
) -> None:
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "detail"]
    for path, method, operation in _operations(schema):
        public = {} in operation.get("security", [])
        errors = {status for status in operation["responses"] if status >= "400"}
        assert errors <= {"400", "401", "403", "404", "409", "422", "429"}, (method, path)
        # 422 only where a view declares it (an Idempotency-Key used for other details).
        assert ("422" in errors) is ((method, path) == ("POST", "/api/v1/rentals"))
        assert {"401", "429"} <= errors
        names_an_object = any(p["in"] == "path" for p in operation.get("parameters", []))
        assert ("404" in errors) is (not public or names_an_object), (method, path)
        assert ("403" in errors) is not public, (method, path)
        takes_input = "requestBody" in operation or any(
            parameter["in"] == "query" for parameter in operation.get("parameters", [])
        )
        if takes_input:
            assert "400" in errors, (method, path)
        for status in errors:
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}
        if not public:
            description = operation["responses"]["403"]["description"]
            assert all(code in description for code in POLICY_CODES)


def test_only_operations_with_a_state_to_conflict_with_document_409(
    schema: dict[str, Any],
) -> None:
    conflicts = {
        (method, path)
        for path, method, operation in _operations(schema)
        if "409" in operation["responses"]
    }
    assert conflicts == {
        ("PUT", "/api/v1/application"),
        ("POST", "/api/v1/application/submit"),
        ("POST", "/api/v1/cancellation"),
        ("DELETE", "/api/v1/cancellation"),
        ("DELETE", "/api/v1/members/{id}"),
        ("POST", "/api/v1/members/invitations"),
    }


def test_the_public_terms_are_documented_open_to_everyone(schema: dict[str, Any]) -> None:
    public = {
        (method, path)
        for path, method, operation in _operations(schema)
        if {} in operation.get("security", [])
    }
    assert public == {("GET", "/api/v1/terms"), ("GET", "/api/v1/terms/{slug}/versions/{label}")}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


def test_what_the_views_return_is_documented(
    schema: dict[str, Any], alice: User, charlie: User
) -> None:
    """Every operation, called signed out, as a person without a company, and by a member on
    an object that does not exist: each status returned is documented, and each error body
    has the shared shape."""
    newcomer = UserFactory(email="newcomer@example.jp")
    callers = {"anonymous": Client(), "newcomer": _api(newcomer), "alice": _api(alice)}
    seen: set[str] = set()
    for path, method, operation in _operations(schema):
        for name, client in callers.items():
            if method in ("DELETE", "POST", "PUT") and name == "alice" and "{" not in path:
                continue  # writes on real objects are covered by the views' own tests
            response = client.generic(method, _concrete(path), "{}", "application/json")
            status = str(response.status_code)
            seen.add(status)
            assert status in operation["responses"], (name, method, path, status)
            if response.status_code >= 400:
                assert _is_error_shape(response.json()), (name, method, path, response.json())
    assert {"401", "403", "404"} <= seen


def test_an_unknown_api_path_answers_the_json_error_shape(alice: User) -> None:
    for client in (Client(), _api(alice)):
        response = client.get("/api/v1/no-such-thing")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_found"
        # Written as the API's other answers are: UTF-8 text, not \u escapes.
        assert b"\\u" not in response.content


def test_error_detail_follows_the_requests_language() -> None:
    english = Client().get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en").json()
    japanese = Client().get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="ja").json()
    assert english["code"] == japanese["code"]
    assert english["detail"] != japanese["detail"]
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", japanese["detail"])
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", english["detail"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=x", "page_size"),
    ],
)
def test_pagination_parameters_are_validated(alice: User, query: str, field: str) -> None:
    response = _api(alice).get(f"/api/v1/notices?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"]


def test_valid_pagination_still_works(alice: User) -> None:
    assert _api(alice).get("/api/v1/notices?page=1&page_size=200").status_code == 200
    assert _api(alice).get("/api/v1/notices?page=last").status_code == 200


def test_the_schema_documents_the_pagination_bounds_that_are_enforced(
    schema: dict[str, Any],
) -> None:
    bounds = {
        (path, parameter["name"]): parameter["schema"]
        for path, _method, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["name"] in {"page", "page_size"}
    }
    assert ("/api/v1/notices", "page_size") in bounds
    for (_path, name), documented in bounds.items():
        expected = {"type": "integer", "minimum": 1}
        if name == "page_size":
            expected["maximum"] = Pagination.max_page_size
        assert documented == expected


def test_validation_and_parse_errors_are_in_the_requests_language(alice: User) -> None:
    """DRF has no Japanese for "Invalid input." nor for its JSON parse error: the detail of
    a 400 is in the caller's language like its field messages."""
    client = _api(alice)
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for language, expect_japanese in (("ja", True), ("en", False)):
        invalid = client.get("/api/v1/notices?page=0", HTTP_ACCEPT_LANGUAGE=language).json()
        assert invalid["code"] == "invalid"
        assert bool(japanese.search(invalid["detail"])) is expect_japanese, invalid
        parse = client.post(
            "/api/v1/rentals", "{bad", "application/json", HTTP_ACCEPT_LANGUAGE=language
        )
        assert parse.status_code == 400
        body = parse.json()
        assert body["code"] == "parse_error"
        assert bool(japanese.search(body["detail"])) is expect_japanese, body
        assert "line 1 column 2" in body["detail"]


def test_drfs_field_messages_without_japanese_of_its_own_are_in_japanese(alice: User) -> None:
    """DRF's Japanese catalogue lacks some of its field messages (a boolean, a string, a
    surrogate) and never translates "No data provided": a Japanese caller got them in English."""
    client = _api(alice)
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    wrong = {
        "product": 1,
        "quantity": 1,
        "site_name": "\ud800",
        "site_address": ["a list"],
        "desired_start": "2099-01-01",
        "backhoe_acknowledged": "maybe",
    }
    errors = client.post(
        "/api/v1/rentals", wrong, "application/json", HTTP_ACCEPT_LANGUAGE="ja"
    ).json()["errors"]
    assert errors == {
        "site_name": ["サロゲート文字は使用できません：U+D800。"],
        "site_address": ["文字列を指定してください。"],
        "backhoe_acknowledged": ["true または false を指定してください。"],
    }
    for language, expect_japanese in (("ja", True), ("en", False)):
        null = client.post(
            "/api/v1/rentals", "null", "application/json", HTTP_ACCEPT_LANGUAGE=language
        )
        assert null.status_code == 400
        [message] = null.json()["errors"]["non_field_errors"]
        assert bool(japanese.search(message)) is expect_japanese, message
    english = client.post(
        "/api/v1/rentals", wrong, "application/json", HTTP_ACCEPT_LANGUAGE="en"
    ).json()["errors"]
    assert english["backhoe_acknowledged"] == ["Must be a valid boolean."]


def test_options_describes_no_request_body_the_schema_contradicts(alice: User) -> None:
    # DRF's metadata described POST /api/v1/rentals by the rental it answers: every field
    # read-only and none of the request's (product, quantity, ...) writable.
    response = _api(alice).options("/api/v1/rentals")
    assert response.status_code == 200
    body = response.json()
    assert "actions" not in body
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["parses"] == ["application/json"]
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
