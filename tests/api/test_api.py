"""The JSON API through HTTP with bearer tokens: the same authorization as the web."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.consent.models import Decision
from app.extensions import db


@pytest.fixture
def token_for(runner, world, published_form):
    def issue(who: str) -> dict[str, str]:
        result = runner.invoke(args=["users", "token", f"{who}@example.org", "--name", "test"])
        assert result.exit_code == 0, result.output
        return {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}

    return issue


def test_openapi_document_is_generated_and_public(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/purposes",
        "/api/v1/groups",
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/people/{person_id}/consents",
    ):
        assert path in spec["paths"], path
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/people/{person_id}/consents"])
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_no_bad_or_revoked_token_is_401(client, token_for, runner):
    assert client.get("/api/v1/people").status_code == 401
    assert client.get("/api/v1/people", headers={"Authorization": "Bearer bdr_nonsense"}).status_code == 401
    headers = token_for("parent")
    assert client.get("/api/v1/people", headers=headers).status_code == 200
    token_id = runner.invoke(args=["users", "token", "parent@example.org"]).output.split()[2]
    assert runner.invoke(args=["users", "revoke-token", token_id]).exit_code == 0
    first_id = str(int(token_id) - 1)
    assert runner.invoke(args=["users", "revoke-token", first_id]).exit_code == 0
    assert client.get("/api/v1/people", headers=headers).status_code == 401
    assert runner.invoke(args=["users", "revoke-token", "999999"]).exit_code != 0
    assert runner.invoke(args=["users", "token", "nobody@example.org"]).exit_code != 0


def test_a_signed_in_browser_cannot_use_the_api_without_a_token(client, login_as, world):
    login_as("admin")
    response = client.post(
        "/api/v1/people/1/consents", json={"media_type": "photo", "purpose": "website", "decision": "grant"}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_parent_sees_only_their_family(client, token_for, world):
    headers = token_for("parent")
    people = client.get("/api/v1/people", headers=headers).get_json()
    assert {p["name"] for p in people} == {"Karin de Vries", "Sem de Vries", "Emma de Vries"}
    sem = next(p for p in people if p["name"] == "Sem de Vries")
    assert sem["kind"] == "pupil" and sem["group_ids"] == [world["5b"]]
    for url in (f"/api/v1/people/{world['noah']}", f"/api/v1/people/{world['noah']}/consents", "/api/v1/people/999999"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found", url
    assert client.get("/api/v1/groups", headers=headers).get_json() == []


def test_teacher_lists_own_group_filtered(client, token_for, world):
    headers = token_for("teacher")
    assert [g["name"] for g in client.get("/api/v1/groups", headers=headers).get_json()] == ["5b"]
    pupils = client.get(f"/api/v1/people?group_id={world['5b']}&kind=pupil", headers=headers).get_json()
    assert "Noah Jansen" in {p["name"] for p in pupils} and all(p["kind"] == "pupil" for p in pupils)
    assert client.get("/api/v1/people?kind=alien", headers=headers).status_code == 422


def test_decide_through_the_api_and_read_the_same_state(client, token_for, world, app):
    headers = token_for("parent")
    url = f"/api/v1/people/{world['sem']}/consents"
    created = client.post(
        url, headers=headers, json={"media_type": "photo", "purpose": "social_media", "decision": "grant"}
    )
    assert created.status_code == 201 and created.get_json()["decision"] == "grant"
    state = {(c["media_type"], c["purpose"]): c for c in client.get(url, headers=headers).get_json()}
    assert len(state) == 18
    cell = state[("photo", "social_media")]
    assert cell["state"] == "granted" and cell["explanation"]["rule"] == "guardian_granted"
    assert cell["explanation"]["decision_ids"] == [created.get_json()["id"]]
    assert state[("film", "social_media")]["state"] == "none"
    again = client.post(
        url, headers=headers, json={"media_type": "photo", "purpose": "social_media", "decision": "grant"}
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_recorded"
    withdrawn = client.post(
        url, headers=headers, json={"media_type": "photo", "purpose": "social_media", "decision": "withdraw"}
    )
    assert withdrawn.status_code == 201
    assert {(c["media_type"], c["purpose"]): c["state"] for c in client.get(url, headers=headers).get_json()}[
        ("photo", "social_media")
    ] == "refused"
    with app.app_context():
        assert db.session.scalar(select(func.count(Decision.id)).where(Decision.means == "api")) == 2


@pytest.mark.parametrize(
    ("who", "subject", "body", "status", "code"),
    [
        ("parent", "noah", {"media_type": "photo", "purpose": "website", "decision": "grant"}, 404, "not_found"),
        ("teacher", "sem", {"media_type": "photo", "purpose": "website", "decision": "grant"}, 403, "not_entitled"),
        (
            "parent",
            "sem",
            {"media_type": "photo", "purpose": "billboard", "decision": "grant"},
            422,
            "not_on_form",
        ),  # not a purpose of the form in force
        ("parent", "sem", {"media_type": "photo", "purpose": "website"}, 422, "invalid_input"),
        ("parent", "sem", {"media_type": "photo", "purpose": "website", "decision": "maybe"}, 422, "invalid_input"),
    ],
)
def test_refused_decisions_change_nothing(client, token_for, world, app, who, subject, body, status, code):
    response = client.post(f"/api/v1/people/{world[subject]}/consents", headers=token_for(who), json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    with app.app_context():
        assert db.session.scalar(select(func.count(Decision.id))) == 0


def test_malformed_json_is_a_clear_4xx(client, token_for, world):
    response = client.post(
        f"/api/v1/people/{world['sem']}/consents",
        headers=token_for("parent"),
        data="{not json",
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500
    assert "error" in response.get_json()
