"""An administrator takes down a withdrawal made by phone, at the desk or by letter: it goes
through the one writer of decisions, opens takedowns, confirms by mail, and can never grant."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.consent.models import Decision
from app.consent.operations import decide
from app.consent.vocabulary import Means
from app.extensions import db
from app.school.models import Person
from tests.release.helpers import Release

PAGE = "/consent/{}/withdrawal"


def give(app, world, child: str, media: str, purpose: str, guardian: str = "parent") -> None:
    with app.app_context():
        decide(
            db.session.get(Person, world[child]),
            media,
            purpose,
            "grant",
            decided_by=db.session.get(Person, world[guardian]),
            recorded_by=None,
            means=Means.WEB,
        )
        db.session.commit()


def decisions(app) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(Decision).order_by(Decision.id)).all()
        return [(d.media_type.value, d.purpose, d.action.value, d.means.value) for d in rows]


def co_parent(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Person.id).where(Person.first_name == "Mark"))


def test_a_phone_call_withdraws_what_was_granted_and_the_parent_gets_a_confirmation(
    client, login_as, world, published_form, app, outbox
):
    give(app, world, "sem", "photo", "website")
    give(app, world, "sem", "film", "newsletter")
    login_as("admin")
    page = client.get(PAGE.format(world["sem"])).get_data(as_text=True)
    # Everything granted now is ticked by default; who may withdraw are Sem's guardians.
    ticked = set(re.findall(r'<input checked[^>]*value="([a-z_:]+)"', page))
    assert ticked == {"photo:website", "film:newsletter"}
    assert "Karin de Vries" in page and "Mark de Vries" in page
    response = client.submit(
        PAGE.format(world["sem"]),
        {
            "withdrawn_by": world["parent"],
            "means": "phone",
            "choices": ["photo:website", "film:newsletter"],
            "note": "Moeder belde om 9.10 uur",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert decisions(app)[2:] == [
        ("photo", "website", "withdraw", "phone"),
        ("film", "newsletter", "withdraw", "phone"),
    ]
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        taken = db.session.scalars(select(Decision).where(Decision.means == Means.PHONE)).all()
        assert {(d.decided_by_id, d.recorded_by_id, d.note) for d in taken} == {
            (world["parent"], admin.id, "Moeder belde om 9.10 uur")
        }
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.withdrawal_taken"))
        assert audit.actor_id == admin.id and "belde" not in str(audit.details)  # the note stays out of the log
    [mail] = outbox
    assert mail.to == ["parent@example.org"]
    assert mail.body.startswith("Beste Karin,")  # greeted by name, not as "parent, guardian or staff"
    assert "telefonisch" in mail.body and "Sem" in mail.body and "Website" in mail.body
    # The parent sees it in the history, taken by the school.
    client.submit("/sign-out")
    login_as("parent")
    history = client.get(f"/consent/{world['sem']}/history").get_data(as_text=True)
    assert "telefonisch" in history and "ingevoerd door de school" in history


def test_a_guardian_without_an_address_withdraws_at_the_desk_without_mail(
    client, runner, login_as, world, published_form, app, outbox
):
    give(app, world, "sem", "photo", "social_media")
    login_as("admin")
    mark = co_parent(app)
    response = client.submit(
        PAGE.format(world["sem"]), {"withdrawn_by": mark, "means": "desk", "choices": ["photo:social_media"]}
    )
    assert response.status_code == 302
    # Mark never granted himself: his "no" is a refusal (rules.action_for), and it blocks.
    assert decisions(app)[-1] == ("photo", "social_media", "refuse", "desk")
    assert outbox == []
    state = {
        (c["media_type"], c["purpose"]): c["state"]
        for c in Release(app, client, runner, world)
        .token("admin")
        .get(f"/api/v1/people/{world['sem']}/consents")
        .get_json()
    }
    assert state[("photo", "social_media")] == "refused"


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


def test_a_letter_opens_the_takedown_like_any_withdrawal(release, world, app, client, login_as):
    item = release.cleared_photo("instagram")
    export = release.export("instagram", [item]).get_json()["id"]
    posted = release.comms.post(
        "/api/v1/publications", json={"export_id": export, "media_id": item, "url": "https://instagram.com/p/abc"}
    )
    assert posted.status_code == 201
    login_as("admin")
    response = client.submit(
        PAGE.format(world["sem"]),
        {"withdrawn_by": world["parent"], "means": "letter", "choices": ["photo:social_media"]},
    )
    assert response.status_code == 302
    [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
    assert task["media_id"] == item and task["person_id"] == world["sem"]


def test_the_api_takes_everything_granted_and_refuses_a_grant(client, runner, world, published_form, app, outbox):
    give(app, world, "noah", "photo", "website", guardian="parent2")
    admin = Release(app, client, runner, world).token("admin")
    url = f"/api/v1/people/{world['noah']}/withdrawals"
    grant = admin.post(
        url,
        json={
            "withdrawn_by": world["parent2"],
            "means": "phone",
            "choices": [{"media_type": "photo", "purpose": "press", "decision": "grant"}],
        },
    )
    assert (grant.status_code, grant.get_json()["error"]["code"]) == (422, "grant_not_allowed")
    assert len(decisions(app)) == 1
    response = admin.post(url, json={"withdrawn_by": world["parent2"], "means": "phone"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert [(d["media_type"], d["purpose"], d["decision"]) for d in response.get_json()] == [
        ("photo", "website", "withdraw")
    ]
    assert [m.to for m in outbox] == [["parent2@example.org"]]
    again = admin.post(url, json={"withdrawn_by": world["parent2"], "means": "phone"})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "nothing_granted")


@pytest.mark.parametrize(
    ("data", "status", "why"),
    [
        ({"withdrawn_by": "parent", "means": "phone", "choices": ["photo:website"]}, 409, "no decision about Emma"),
        ({"withdrawn_by": "teacher", "means": "phone", "choices": ["photo:website"]}, 400, "not a guardian"),
        ({"withdrawn_by": "parent", "means": "", "choices": ["photo:website"]}, 400, "how is missing"),
        ({"withdrawn_by": "parent", "means": "web", "choices": ["photo:website"]}, 400, "not a phone means"),
        ({"withdrawn_by": "parent", "means": "phone", "choices": []}, 400, "nothing ticked"),
        ({"withdrawn_by": "parent", "means": "phone", "choices": ["photo:nonsense"]}, 400, "not on the form"),
    ],
)
def test_bad_withdrawals_record_nothing(client, login_as, world, published_form, app, outbox, data, status, why):
    login_as("admin")
    data = dict(data, withdrawn_by=world[data["withdrawn_by"]])
    response = client.submit(PAGE.format(world["emma"]), data)
    assert response.status_code == status, why
    if status == 409:
        assert "Er is niets besloten over Emma de Vries" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Decision.id))) == 0
    assert outbox == []


def test_only_administrators_take_withdrawals(client, login_as, world, published_form):
    login_as("comms")
    assert client.get(PAGE.format(world["sem"])).status_code == 404
    client.submit("/sign-out")
    login_as("admin")
    assert client.get(PAGE.format(999999)).status_code == 404


def test_the_command_line_takes_a_withdrawal_and_refuses_a_grant(runner, world, published_form, app, outbox):
    give(app, world, "sem", "audio", "parent_portal")
    base = [
        "consent",
        "withdraw",
        str(world["sem"]),
        "--by",
        str(world["parent"]),
        "--how",
        "letter",
        "--recorded-by",
        "admin@example.org",
    ]
    refused = runner.invoke(args=[*base, "photo:press=yes"])
    assert refused.exit_code == 1 and "grant_not_allowed" in refused.output
    done = runner.invoke(args=[*base, "--note", "brief van 3 december"])
    assert done.exit_code == 0, done.output
    assert "audio:parent_portal: withdraw" in done.output and "confirmation mailed" in done.output
    assert decisions(app)[-1] == ("audio", "parent_portal", "withdraw", "letter")
    nobody = runner.invoke(args=["consent", "withdraw", str(world["noah"]), *base[3:]])
    assert nobody.exit_code == 1 and "no_decision" in nobody.output
