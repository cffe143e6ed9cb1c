"""One meaning of an answer, wherever it is given: the parent's one-tap cell (web), the API, the
guided form, "withdraw everything", the paper form and the command line record the same decision
kinds for the same answers, and refuse the same things with the same status."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.consent.models import Decision
from app.extensions import db

# A sequence of answers one parent gives for one cell, and what each should store (None: refused
# as already recorded, nothing stored).
SEQUENCES = [
    (["grant"], ["grant"]),
    (["refuse"], ["refuse"]),
    (["withdraw"], ["refuse"]),  # nothing to take back: a no is a refusal
    (["grant", "refuse"], ["grant", "withdraw"]),  # no after one's own yes is a withdrawal
    (["grant", "withdraw"], ["grant", "withdraw"]),
    (["grant", "grant"], ["grant", None]),
    (["refuse", "withdraw"], ["refuse", None]),
    (["grant", "refuse", "refuse"], ["grant", "withdraw", None]),
    (["refuse", "grant", "refuse", "grant"], ["refuse", "grant", "withdraw", "grant"]),
]


@pytest.fixture
def parent_token(runner, world, published_form):
    result = runner.invoke(args=["users", "token", "parent@example.org"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}


def stored(app, subject_id: int, purpose: str) -> list[str]:
    with app.app_context():
        rows = db.session.scalars(
            select(Decision.action)
            .where(Decision.subject_id == subject_id, Decision.purpose == purpose)
            .order_by(Decision.id)
        )
        return [action.value for action in rows]


def through_web(client, subject_id: int, purpose: str, answer: str) -> int:
    data = {"media_type": "photo", "purpose": purpose, "decision": answer}
    return client.submit(f"/consent/{subject_id}/decide", data).status_code


def through_api(client, headers, subject_id: int, purpose: str, answer: str) -> tuple[int, dict]:
    body = {"media_type": "photo", "purpose": purpose, "decision": answer}
    response = client.post(f"/api/v1/people/{subject_id}/consents", headers=headers, json=body)
    return response.status_code, response.get_json()


@pytest.mark.parametrize(("answers", "expected"), SEQUENCES)
def test_the_web_and_the_api_store_the_same_kinds(client, login_as, world, app, parent_token, answers, expected):
    login_as("parent")
    sem = world["sem"]
    web_statuses = [through_web(client, sem, "website", answer) for answer in answers]
    api_answers = [through_api(client, parent_token, sem, "newsletter", answer) for answer in answers]

    kinds = [kind for kind in expected if kind is not None]
    assert stored(app, sem, "website") == kinds
    assert stored(app, sem, "newsletter") == kinds
    # The same refusals, with the same status and code.
    assert [status == 409 for status in web_statuses] == [kind is None for kind in expected]
    assert [status for status, _body in api_answers] == [201 if kind else 409 for kind in expected]
    for (_status, body), kind in zip(api_answers, expected, strict=True):
        if kind is None:
            assert body["error"]["code"] == "already_recorded"
        else:
            assert body["decision"] == kind


def test_no_form_in_force_is_the_same_409_on_the_web_and_the_api(client, login_as, world, runner):
    token = runner.invoke(args=["users", "token", "parent@example.org"]).output.strip().splitlines()[-1]
    login_as("parent")
    assert through_web(client, world["sem"], "website", "grant") == 409
    status, body = through_api(client, {"Authorization": f"Bearer {token}"}, world["sem"], "website", "grant")
    assert status == 409
    assert body["error"]["code"] == "no_active_form"


def test_api_messages_follow_accept_language(client, world, parent_token):
    client.post(
        f"/api/v1/people/{world['sem']}/consents",
        headers=parent_token,
        json={"media_type": "photo", "purpose": "website", "decision": "grant"},
    )
    again = {"media_type": "photo", "purpose": "website", "decision": "grant"}
    url = f"/api/v1/people/{world['sem']}/consents"
    english = client.post(url, headers={**parent_token, "Accept-Language": "en"}, json=again).get_json()
    dutch = client.post(url, headers={**parent_token, "Accept-Language": "nl-NL,nl;q=0.9"}, json=again).get_json()
    assert english["error"]["message"] == "This choice was already recorded; nothing has changed."
    assert dutch["error"]["code"] == english["error"]["code"] == "already_recorded"
    assert dutch["error"]["message"] != english["error"]["message"]
    assert "niets" in dutch["error"]["message"].lower()


def test_no_on_the_guided_form_after_yes_is_a_withdrawal(client, login_as, world, app, published_form):
    login_as("parent")
    sem = world["sem"]
    assert through_web(client, sem, "website", "grant") == 302
    page = client.get(f"/consent/{sem}/form").get_data(as_text=True)
    assert 'name="photo__website"' in page
    answers = dict.fromkeys(_questions(page), "grant")
    answers["photo__website"] = "refuse"
    assert client.submit(f"/consent/{sem}/form", answers).status_code == 302
    assert stored(app, sem, "website")[:2] == ["grant", "withdraw"]


def test_withdraw_everything_withdraws_grants_and_refuses_nothing_else(client, login_as, world, app, published_form):
    login_as("parent")
    sem = world["sem"]
    assert through_web(client, sem, "website", "grant") == 302
    assert client.confirm(f"/consent/{sem}/all", decision="withdraw_all").status_code == 302
    assert stored(app, sem, "website") == ["grant", "withdraw"]
    assert stored(app, sem, "newsletter") == []


def test_the_paper_form_and_the_command_line_record_a_no_after_yes_as_a_withdrawal(
    client, login_as, world, app, runner, published_form
):
    login_as("parent")
    sem = world["sem"]
    assert through_web(client, sem, "website", "grant") == 302
    assert through_web(client, sem, "newsletter", "grant") == 302
    assert client.submit("/sign-out").status_code == 302
    login_as("admin")
    page = client.get(f"/consent/{sem}/paper")
    assert page.status_code == 200
    response = client.submit(
        f"/consent/{sem}/paper",
        {"decided_by": str(world["parent"]), "signed_on": "2026-09-01", "photo__website": "refuse"},
    )
    assert response.status_code == 302
    assert stored(app, sem, "website") == ["grant", "withdraw"]

    result = runner.invoke(
        args=[
            "consent",
            "record",
            str(sem),
            "photo:newsletter=no",
            "photo:press=no",
            "--signed-by",
            str(world["parent"]),
            "--signed-on",
            "2026-09-01",
            "--recorded-by",
            "admin@example.org",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "photo:newsletter: withdraw" in result.output and "photo:press: refuse" in result.output
    assert stored(app, sem, "newsletter") == ["grant", "withdraw"]
    assert stored(app, sem, "press") == ["refuse"]
    with app.app_context():
        paper = db.session.scalars(select(Decision).where(Decision.purpose == "press")).one()
        assert paper.means.value == "paper" and paper.decided_by_id == world["parent"]


def test_the_command_line_refuses_bad_input_and_stores_nothing(runner, world, app, published_form):
    base = ["consent", "record", str(world["sem"]), "--signed-on", "2026-09-01", "--recorded-by"]
    not_admin = runner.invoke(args=[*base, "parent@example.org", "--signed-by", str(world["parent"]), "photo:press=no"])
    assert not_admin.exit_code != 0 and "not an active administrator" in not_admin.output
    garbled = runner.invoke(args=[*base, "admin@example.org", "--signed-by", str(world["parent"]), "photo-press"])
    assert garbled.exit_code != 0 and "MEDIA:PURPOSE=yes" in garbled.output
    stranger = runner.invoke(args=[*base, "admin@example.org", "--signed-by", str(world["parent2"]), "photo:press=no"])
    assert stranger.exit_code != 0 and "not_entitled" in stranger.output
    unknown = runner.invoke(args=[*base, "admin@example.org", "--signed-by", str(world["parent"]), "photo:moon=no"])
    assert unknown.exit_code != 0 and "not_on_form" in unknown.output
    assert stored(app, world["sem"], "press") == []


def _questions(page: str) -> set[str]:
    import re

    return set(re.findall(r'name="((?:photo|film|audio)__\w+)"', page))
