"""/api/v1/openapi.json: served, valid OpenAPI 3.1, and checked against the code.

Each test here fails when the description and the code part ways: a route without an
operation (or the reverse), a method, a permission, a query parameter, or an error
code the code can answer that the description does not list under its status.
Parts of the contract that other branches bring (api.openapi.COMING) are expected
failures that name them: when one starts passing, remove its mark.
"""

import ast
import re
import uuid
from pathlib import Path

import jsonschema_rs
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from schemathesis.specs.openapi.definitions import OPENAPI_31

from api import openapi
from tests.factories import ApiKeyFactory, BalanceFactory
from tests.helpers import CLIENT_IP, error_code

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = openapi.document()
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
OPERATION_IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]
# Modules whose refusals reach an API client.
ERROR_SOURCES = ("api/auth.py", "api/errors.py", "api/views.py", "api/validation.py")


def concrete(path: str) -> str:
    return path.replace("{id}", str(uuid.uuid4()))


def documented_codes() -> dict[int, set[str]]:
    schemas = DOCUMENT["components"]["schemas"]
    return {
        int(name.removeprefix("Error")): set(
            schema["properties"]["error"]["properties"]["code"]["enum"]
        )
        for name, schema in schemas.items()
        if re.fullmatch(r"Error\d{3}", name)
    }


def api_routes() -> set[str]:
    """Every /api/v1/ route the URL resolver has, with placeholders as {}."""
    found = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                found.add("/" + re.sub(r"<[^>]+>", "{}", route))

    walk(get_resolver().url_patterns)
    return found - {"/api/v1/openapi.json"}


# --- The document -----------------------------------------------------------------


def test_openapi_json_is_public_json_and_the_described_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == openapi.document()
    assert response.json()["openapi"] == "3.1.0"


def test_the_description_is_valid_openapi_3_1():
    errors = [
        error.message for error in jsonschema_rs.validator_for(OPENAPI_31).iter_errors(DOCUMENT)
    ]
    assert errors == []


def test_docs_page_links_to_the_openapi_description(client):
    page = client.get("/api-docs/").content.decode()
    assert 'href="/api/v1/openapi.json"' in page


def test_the_security_scheme_names_the_four_headers_and_the_payload():
    schemes = DOCUMENT["components"]["securitySchemes"]
    headers = {scheme["name"] for scheme in schemes.values() if scheme["in"] == "header"}
    assert headers == {
        "X-API-KEY",
        "X-API-TIMESTAMP",
        "X-API-RECV-WINDOW",
        "X-API-SIGNATURE",
        # The leak reports' (POST /api/v1/leaks), signed by a secret scanner.
        "GITHUB-PUBLIC-KEY-IDENTIFIER",
        "GITHUB-PUBLIC-KEY-SIGNATURE",
    }
    assert (
        "timestamp + api_key + recv_window + METHOD + path_with_query + body"
        in (schemes["Signature"]["description"])
    )


# --- Routes, methods, permissions ------------------------------------------------------


def test_every_api_route_is_described_and_every_described_path_is_routed():
    described = {re.sub(r"\{[^}]+\}", "{}", path) for path in DOCUMENT["paths"]}
    assert api_routes() == described


@pytest.mark.parametrize("path", list(DOCUMENT["paths"]))
def test_each_path_takes_exactly_the_documented_methods(client, path):
    documented = sorted(method.upper() for method in DOCUMENT["paths"][path])
    for method in HTTP_METHODS:
        response = client.generic(method, concrete(path))
        if method in documented:
            assert response.status_code != 405, method
        else:
            assert response.status_code == 405, method
            assert error_code(response) == "method_not_allowed"
            assert sorted(response["Allow"].split(", ")) == documented


def _key_for(permissions: set[str]):
    key = ApiKeyFactory(
        can_trade="trade" in permissions,
        can_withdraw="withdraw" in permissions,
        ip_whitelist=[f"{CLIENT_IP}/32"] if "withdraw" in permissions else [],
    )
    BalanceFactory(user=key.user, amount="100")
    return key


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_each_operation_needs_exactly_the_documented_permission(api, method, path, operation):
    permission = operation["x-permission"]
    body = {} if method == "POST" else None  # refused after authentication, never carried out
    if operation.get("x-signed-by"):
        # Signed by a secret scanner's own key (api/leaks.py), not an API key: an API
        # key's signature counts for nothing there.
        assert operation["security"] and permission is None
        for key in (None, _key_for({"read", "trade", "withdraw"})):
            refused = api.request(method, path, key, [{"token": "x"}])
            assert (refused.status_code, error_code(refused)) == (401, "missing_credentials")
        return
    if permission is None:
        assert operation["security"] == []
        assert api.request(method, path).status_code == 200
        return
    unsigned = api.request(method, concrete(path), body=body)
    assert (unsigned.status_code, error_code(unsigned)) == (401, "missing_credentials")

    granted = {"read": {"read"}, "trade": {"read", "trade"}, "withdraw": {"read", "withdraw"}}
    allowed = api.request(method, concrete(path), _key_for(granted[permission]), body)
    assert allowed.status_code not in (401, 403), allowed.content
    if permission != "read":
        lacking = granted[permission] - {permission}
        refused = api.request(method, concrete(path), _key_for(lacking), body)
        assert (refused.status_code, error_code(refused)) == (403, "permission_denied")


# --- Query parameters ----------------------------------------------------------------


def _valid_value(schema: dict) -> str:
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "integer":
        return str(schema.get("minimum", 1))
    return {openapi.SYMBOL_PATTERN: "BTCUSDT"}[schema["pattern"]]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_each_documented_query_parameter_is_accepted(api, method, path, operation):
    key = _key_for({"read", "trade", "withdraw"})
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        value = _valid_value(parameter["schema"])
        response = api.request(method, f"{path}?{parameter['name']}={value}", key)
        assert response.status_code == 200, (parameter["name"], response.content)


# The view functions that read a query string or a JSON body, and their operation.
READERS = {
    "list_orders": "GET /api/v1/orders",
    "list_withdrawals": "GET /api/v1/withdrawals",
    "place_order": "POST /api/v1/orders",
    "withdraw": "POST /api/v1/withdrawals",
}


def _names(node) -> set[str]:
    return {element.value for element in node.elts} if isinstance(node, ast.Tuple) else set()


def fields_the_views_read() -> dict[str, set[str]]:
    """{view function: the query parameters and JSON fields it allows}, from its
    ``@query_params(...)`` decorator or its ``query(allowed=...)`` and
    ``json_object(required=..., optional=...)`` calls."""
    tree = ast.parse((ROOT / "api/views.py").read_text())
    found = {}
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        names = set()
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == (
                "query_params"
            ):
                names |= {argument.value for argument in decorator.args}
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in (
                "query",
                "json_object",
            ):
                keywords = {keyword.arg: keyword.value for keyword in node.keywords}
                for name in ("allowed", "required", "optional"):
                    names |= _names(keywords.get(name))
        if names:
            found[function.name] = names
    return found


def documented_fields(operation: dict) -> set[str]:
    names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    if "requestBody" in operation:
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]]
        if schema.get("type") == "array":  # a leak report: not fields a view reads by name
            return names
        for variant in schema.get("oneOf", [schema]):
            names |= set(variant["properties"])
    return names


def test_each_view_reads_exactly_the_documented_parameters_and_fields():
    read = fields_the_views_read()
    assert set(read) == set(READERS)  # a new reader needs its operation here
    operations = dict(zip(OPERATION_IDS, (op for *_, op in OPERATIONS), strict=True))
    for view, operation_id in READERS.items():
        assert read[view] == documented_fields(operations[operation_id]), view
    others = set(operations) - set(READERS.values())
    assert all(not documented_fields(operations[name]) for name in others)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_an_undocumented_query_parameter_is_a_400(api, method, path, operation):
    key = _key_for({"read", "trade", "withdraw"})
    body = {} if method == "POST" else None
    response = api.request(method, concrete(path) + "?unknown_param=1", key, body)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_request",
        "field": "unknown_param",
        "message": response.json()["error"]["message"],
    }


# --- Error codes --------------------------------------------------------------------


def errors_the_code_answers() -> set[tuple[int, str]]:
    """(status, code) of every literal refusal in the modules that answer API clients."""
    found = set()
    for source in ERROR_SOURCES:
        tree = ast.parse((ROOT / source).read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "invalid_request":
                found.add((400, "invalid_request"))
            elif node.func.id in ("ApiError", "error_response") and len(node.args) >= 2:
                status, code = node.args[:2]
                if isinstance(status, ast.Constant) and isinstance(code, ast.Constant):
                    found.add((status.value, code.value))
    return found


def test_every_error_the_code_answers_is_documented_under_its_status():
    answered = errors_the_code_answers()
    assert len(answered) >= 10  # the walk finds the refusals at all
    documented = documented_codes()
    assert {
        (status, code) for status, code in answered if code not in documented.get(status, ())
    } == set()


def test_every_documented_error_is_one_the_code_answers_or_is_coming():
    documented = {(status, code) for status, codes in documented_codes().items() for code in codes}
    assert documented - errors_the_code_answers() == openapi.COMING_ERROR_CODES


def test_every_signed_operation_documents_the_refusal_statuses():
    for method, path, operation in OPERATIONS:
        if operation["x-permission"] is None:
            continue
        statuses = {int(status) for status in operation["responses"]}
        assert set(openapi.SIGNED_STATUSES) <= statuses, (method, path)


# --- Coming from other branches ------------------------------------------------------


def test_account_balances_carry_the_documented_precision_and_minimum(api):
    key = _key_for({"read"})
    balance = api.get(key, "/api/v1/account").json()["balances"][0]
    properties = DOCUMENT["components"]["schemas"]["Balance"]["properties"]
    assert set(balance) == set(properties)


def test_a_refusal_of_a_known_key_carries_the_rate_limit_headers(api):
    key = _key_for({"read"})
    refused = api.post(key, "/api/v1/orders", {})
    assert refused.status_code == 403
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining"} <= set(refused.headers)
