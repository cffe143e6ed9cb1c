"""The OpenAPI document is valid, describes the real error body for every error answer and the
upload as multipart/form-data; and nothing under /api/v1 ever answers HTML."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.get_json()


def test_the_document_is_valid_openapi(spec):
    validate(spec)


def test_every_error_answer_is_documented_with_our_error_body(spec):
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message"}
    assert detail["properties"]["code"]["type"] == detail["properties"]["message"]["type"] == "string"
    responses = spec["components"]["responses"]

    def schema_of(response):
        if "$ref" in response:
            response = responses[response["$ref"].rsplit("/", 1)[1]]
        return response["content"]["application/json"]["schema"]

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            codes = set(operation["responses"])
            assert {"401", "404", "default"} <= codes, (method, path)
            if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
                assert {"400", "422"} <= codes, (method, path)
            if method != "get":
                assert {"403", "409"} <= codes, (method, path)
            for code, response in operation["responses"].items():
                if code == "default" or code.startswith("4"):
                    assert schema_of(response) == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_the_upload_is_documented_as_multipart_with_a_binary_file(spec):
    upload = spec["paths"]["/api/v1/media"]["post"]
    (content_type,) = upload["requestBody"]["content"]
    assert content_type == "multipart/form-data"
    form = spec["components"]["schemas"]["MediaForm"]
    assert form["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": form["properties"]["file"]["description"],
    }
    assert {"file", "group_id", "album"} <= set(form["required"])
    assert {"413", "415"} <= set(upload["responses"])
    item = spec["paths"]["/api/v1/media/{item_id}"]
    (parameter,) = [p for p in item["parameters"] if p["name"] == "item_id"]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


@pytest.fixture
def admin_token(runner, world):
    output = runner.invoke(args=["users", "token", "admin@example.org"]).output
    return {"Authorization": f"Bearer {output.strip().splitlines()[-1]}"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/no-such-thing", 404),
        ("get", "/api/v1/", 404),
        ("get", "/api/v1", 404),
        ("get", "/api/v1/media/1/nothing.jpg", 404),
        ("delete", "/api/v1/groups", 405),
        ("put", "/api/v1/openapi.json", 405),
    ],
)
@pytest.mark.parametrize("accept", ["text/html", "*/*"])
def test_nothing_under_the_api_answers_html(client, admin_token, method, path, status, accept):
    for headers in ({**admin_token, "Accept": accept}, {"Accept": accept}):
        answer = client.open(path, method=method.upper(), headers=headers)
        assert answer.status_code == status, (path, headers)
        assert answer.mimetype == "application/json"
        assert set(answer.get_json()["error"]) >= {"code", "message"}


def test_a_server_error_under_the_api_is_json(app, client, admin_token, monkeypatch):
    from app.school import api as school_api

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(school_api, "visible_groups", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    answer = client.get("/api/v1/groups", headers={**admin_token, "Accept": "text/html"})
    assert answer.status_code == 500 and answer.mimetype == "application/json"
    assert answer.get_json()["error"]["code"] == "server_error"
