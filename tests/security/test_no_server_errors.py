"""Input that used to give a 500 (issue #23): every one is now a 401, 404, 409 or 422 with a
sentence, in the documented error body; and the OpenAPI documents those answers everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError

from streetorder.platform.api import errors
from streetorder.platform.api.errors import ErrorBody
from tests.security.city import City, build_city

HUGE = "9" * 25  # beyond 64 bits


@pytest.fixture
def city(database_url: str, tmp_path: Path) -> Iterator[City]:
    built = build_city(database_url, tmp_path)
    try:
        yield built
    finally:
        built.client.close()
        built.db.dispose()


def error_of(response, status: int) -> ErrorBody:
    assert response.status_code == status, response.text
    body = ErrorBody.model_validate(response.json())
    assert body.detail.strip(), "an error says why"
    return body


def test_bad_input_is_never_a_server_error(city: City) -> None:
    c, admin = city.client, city.headers("admin")
    a = city.sides["a"]
    for raw in ("Bearer tökén", "Bearer \u4e2d\u6587.x", "Bearer sok_\u00ff"):
        header = {"Authorization": raw.encode("utf-8")}  # bytes beyond ASCII, as sent
        error_of(c.get("/api/v1/cases", headers=header), 401)
        error_of(c.get("/api/mobile/v1/tasks", headers=header), 401)
    for path, params in (
        (f"/api/v1/cases/{HUGE}", {}),
        ("/api/v1/cases/9999999999999999999", {}),  # 2**63 and more
        ("/api/v1/cases", {"offset": HUGE}),
        ("/api/v1/cases", {"squad_id": HUGE}),
        ("/api/v1/alerts", {"case_id": HUGE}),
        ("/api/v1/sms", {"case_id": "-1"}),
        (f"/api/v1/work-orders/{HUGE}", {}),
        (f"/api/v1/evidence/{HUGE}", {}),
    ):
        body = error_of(c.get(path, params=params, headers=admin), 422)
        assert body.errors, path
    error_of(c.get(f"/api/v1/cases/{a.case_id}9", headers=admin), 404)  # in range, unknown
    # NUL in a query, a path and a JSON body
    assert "NUL" in error_of(c.get("/api/v1/users?role=%00", headers=admin), 422).detail
    error_of(c.get("/api/v1/merchants/shop%00a", headers=admin), 422)
    r = c.patch(f"/api/v1/merchants/{a.shop_id}", json={"name": "a\u0000b"}, headers=admin)
    assert "NUL" in error_of(r, 422).detail
    # a PATCH may leave a field out, not null it
    r = c.patch(f"/api/v1/merchants/{a.shop_id}", json={"risk_colour": None}, headers=admin)
    assert "risk_colour may be left out but not set to null" in error_of(r, 422).detail
    r = c.patch(f"/api/v1/merchants/{a.shop_id}", json={"risk_colour": "red"}, headers=admin)
    assert r.status_code == 200 and r.json()["risk_colour"] == "red"
    # a zone that cases refer to stays
    zone = f"/api/v1/nodes/edge-01/cameras/cam-01/zones/{a.zone_code}"
    assert "has cases and cannot be deleted" in error_of(c.delete(zone, headers=admin), 409).detail
    assert c.get("/api/v1/nodes/edge-01/cameras/cam-01/zones", headers=admin).json()
    # the officer app bounds and NULs the same way
    mobile = city.headers("officer-a", "mobile")
    error_of(c.get("/api/mobile/v1/tasks", params={"offset": HUGE}, headers=mobile), 422)
    error_of(c.get("/api/mobile/v1/tasks?kind=%00", headers=mobile), 422)
    error_of(c.get(f"/api/mobile/v1/work-orders/{HUGE}", headers=mobile), 422)


def test_database_refusals_are_409_and_422_with_a_sentence() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/api/v1/dup")
    def dup() -> None:
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    @app.get("/api/v1/range")
    def out_of_range() -> None:
        raise DataError("SELECT", {}, Exception("value out of range for type bigint"))

    @app.get("/api/v1/big")
    def too_big() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    client = TestClient(app)
    assert "conflicts with stored data" in error_of(client.get("/api/v1/dup"), 409).detail
    assert "out of range" in error_of(client.get("/api/v1/range"), 422).detail
    assert "out of range" in error_of(client.get("/api/v1/big"), 422).detail


def test_openapi_documents_the_errors_with_their_body(city: City) -> None:
    schema = city.client.get("/api/v1/openapi.json").json()
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    operations = [
        (path, method, op)
        for path, ops in schema["paths"].items()
        if path.startswith(("/api/v1/", "/api/mobile/v1/"))
        for method, op in ops.items()
    ]
    assert len(operations) > 90
    for path, method, op in operations:
        for code in ("401", "403", "404", "409", "422"):
            documented = op["responses"].get(code)
            assert documented, (method, path, code)
            assert documented["content"]["application/json"]["schema"] == ref, (path, code)
    assert "HTTPValidationError" not in repr(operations)  # FastAPI's other 422 body
    declared = schema["components"]["schemas"]["ErrorBody"]
    assert declared["required"] == ["detail"]
    with pytest.raises(ValidationError):
        ErrorBody.model_validate({"detail": [{"loc": ["query"], "msg": "x", "type": "y"}]})
