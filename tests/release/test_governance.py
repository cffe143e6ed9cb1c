"""Release governance through the API: no single person can weaken an item's evidence after it was
held back, exports to approval channels wait for leadership, the gate runs again at approval and at
download, and a channel's register decides who may export to it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.media.ingest import media_storage
from app.release.exports import bundle_key
from app.release.models import Approval, Channel, Export
from tests.release.helpers import Release


@pytest.fixture
def release(app, client, runner, world, published_form, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Release(app, client, runner, world)
    app.config["MEDIA_ROOT"] = None


def taken_down(release, world) -> int:
    """A photo of Sem and Noah, released to Instagram, posted, then withdrawn for Sem: taken down."""
    item = release.upload(release.photo_of_two())
    release.tag(item, [world["sem"], world["noah"]], complete=True)
    release.decide("sem", "photo", "social_media", "grant")
    release.decide("noah", "photo", "social_media", "grant")
    export = release.export("instagram", [item]).get_json()["id"]
    posted = release.comms.post(
        "/api/v1/publications", json={"export_id": export, "media_id": item, "url": "https://instagram.com/p/x"}
    )
    assert posted.status_code == 201
    release.decide("sem", "photo", "social_media", "withdraw")
    assert len(release.comms.get("/api/v1/takedowns?status=open").get_json()) == 1
    return item


def codes(response) -> list[str]:
    return [b["code"] for b in response.get_json()["error"]["blockers"]]


def test_untagging_a_taken_down_pupil_waits_for_a_second_person(release, world, app):
    item = taken_down(release, world)
    # The takedown is done: the quarantine lifts, but the history stays.
    [task] = release.comms.get("/api/v1/takedowns?status=open").get_json()
    assert release.comms.post(f"/api/v1/takedowns/{task['id']}/resolve", json={"note": "deleted"}).status_code == 200

    # Communications removes Sem's tag: without a reason nothing changes at all.
    body = {"tags": [{"person_id": world["noah"]}], "complete": True}
    refused = release.comms.put(f"/api/v1/media/{item}/tags", json=body)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (422, "reason_required")
    # With a reason it becomes a proposal (202); Sem stays tagged and the item stays blocked.
    proposed = release.comms.put(f"/api/v1/media/{item}/tags", json={**body, "explanation": "he is not in it"})
    assert proposed.status_code == 202, proposed.get_data(as_text=True)
    proposal = proposed.get_json()
    assert (proposal["kind"], proposal["status"], proposal["change"]) == (
        "tags",
        "open",
        {"remove": [world["sem"]], "attest": False},
    )
    again = release.comms.put(f"/api/v1/media/{item}/tags", json={**body, "explanation": "he is not in it"})
    assert again.get_json()["id"] == proposal["id"]  # a double submit proposes nothing new
    tagged = {t["person_id"] for t in release.comms.get(f"/api/v1/media/{item}").get_json()["tags"]}
    assert tagged == {world["sem"], world["noah"]}
    clearance = release.comms.get(f"/api/v1/media/{item}/clearance?channel=instagram").get_json()
    assert "approval_pending" in {b["code"] for b in clearance["blockers"]}
    blocked = release.comms.post("/api/v1/exports", json={"channel": "instagram", "media_ids": [item]})
    assert blocked.status_code == 409 and "approval_pending" in codes(blocked)

    # Only leadership decides: communications and the teacher don't get the endpoint at all.
    assert release.comms.post(f"/api/v1/approvals/{proposal['id']}/approve", json={}).status_code == 404
    assert release.teacher.get("/api/v1/approvals").status_code == 404
    listed = release.leader.get("/api/v1/approvals?status=open").get_json()
    assert [a["id"] for a in listed] == [proposal["id"]]

    # Leadership rejects it with a note; a rejected change cannot be approved afterwards.
    assert release.leader.post(f"/api/v1/approvals/{proposal['id']}/reject", json={}).status_code == 422
    rejected = release.leader.post(f"/api/v1/approvals/{proposal['id']}/reject", json={"note": "Sem is clearly on it"})
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    late = release.leader.post(f"/api/v1/approvals/{proposal['id']}/approve", json={})
    assert (late.status_code, late.get_json()["error"]["code"]) == (409, "already_decided")
    tagged = {t["person_id"] for t in release.comms.get(f"/api/v1/media/{item}").get_json()["tags"]}
    assert tagged == {world["sem"], world["noah"]}
    blocked = release.comms.post("/api/v1/exports", json={"channel": "instagram", "media_ids": [item]})
    assert blocked.status_code == 409 and codes(blocked) == ["no_consent"]
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("release.approval%")).order_by(AuditEvent.id)
            )
        )
    # The first is the Instagram export's own approval (an export request).
    assert actions == ["release.approval_approved", "release.approval_proposed", "release.approval_rejected"]


def test_an_approved_change_is_applied_and_never_by_its_proposer(release, world, app):
    item = taken_down(release, world)
    body = {"tags": [{"person_id": world["noah"]}], "complete": True, "explanation": "wrong child tagged"}
    proposal = release.leader.put(f"/api/v1/media/{item}/tags", json=body).get_json()
    own = release.leader.post(f"/api/v1/approvals/{proposal['id']}/approve", json={})
    assert (own.status_code, own.get_json()["error"]["code"]) == (403, "own_proposal")
    assert {t["person_id"] for t in release.comms.get(f"/api/v1/media/{item}").get_json()["tags"]} == {
        world["sem"],
        world["noah"],
    }
    # A second leader approves: the tag goes; the quarantine of the open takedown still holds it back.
    with app.app_context():
        from app.accounts.models import Role
        from tests.factories import StaffFactory, UserFactory

        UserFactory(email="leader2@example.org", person=StaffFactory(), roles={Role.LEADERSHIP})
        db.session.commit()
    second = release.token("leader2")
    approved = second.post(f"/api/v1/approvals/{proposal['id']}/approve", json={"note": "checked the picture"})
    assert approved.status_code == 200 and approved.get_json()["decided_by"] == "leader2@example.org"
    assert {t["person_id"] for t in release.comms.get(f"/api/v1/media/{item}").get_json()["tags"]} == {world["noah"]}
    blocked = release.comms.post("/api/v1/exports", json={"channel": "instagram", "media_ids": [item]})
    assert codes(blocked) == ["quarantined"]


def test_fresh_items_stay_one_persons_job_and_deleted_items_cannot_be_approved(release, world, client, login_as):
    fresh = release.upload(release.photo_of_two((1, 2, 3)))
    release.tag(fresh, [world["sem"], world["noah"]], complete=False)
    release.tag(fresh, [world["noah"]], complete=True)  # untag and attest at once: 200, no proposal
    assert release.leader.get("/api/v1/approvals").get_json() == []

    item = taken_down(release, world)
    body = {"tags": [{"person_id": world["noah"]}], "complete": True, "explanation": "not him"}
    proposal = release.comms.put(f"/api/v1/media/{item}/tags", json=body).get_json()
    login_as("admin")
    assert client.submit(f"/media/{item}/delete", {}).status_code == 302
    gone = release.leader.post(f"/api/v1/approvals/{proposal['id']}/approve", json={})
    assert (gone.status_code, gone.get_json()["error"]["code"]) == (409, "item_gone")
    assert release.leader.post("/api/v1/approvals/999999/approve", json={}).status_code == 404


def test_dismissing_a_face_after_a_refused_clearance_waits(release, world):
    item = release.upload(release.astronaut())
    faces = release.comms.get(f"/api/v1/media/{item}").get_json()["faces"]
    assert len(faces) == 1
    release.tag(item, [world["sem"]], complete=True)
    # A clearance that names Sem (no consent) is part of the item's history.
    clearance = release.comms.get(f"/api/v1/media/{item}/clearance?channel=website").get_json()
    assert {b["person_id"] for b in clearance["blockers"] if b["code"] == "no_consent"} == {world["sem"]}
    url = f"/api/v1/media/{item}/faces/{faces[0]['id']}/dismiss"
    missing = release.comms.post(url, json={"reason": "not_recognisable"})
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (422, "reason_required")
    proposed = release.comms.post(url, json={"reason": "not_recognisable", "explanation": "seen from behind"})
    assert proposed.status_code == 202 and proposed.get_json()["change"]["reason"] == "not_recognisable"
    assert release.comms.get(f"/api/v1/media/{item}").get_json()["faces"][0]["status"] == "open"
    assert release.leader.post(f"/api/v1/approvals/{proposed.get_json()['id']}/approve", json={}).status_code == 200
    assert release.comms.get(f"/api/v1/media/{item}").get_json()["faces"][0]["status"] == "dismissed"


def test_an_export_to_an_approval_channel_is_a_request_checked_again_at_approval(release, world, app):
    item = release.cleared_photo("website")
    requested = release.comms.post("/api/v1/exports", json={"channel": "website", "media_ids": [item]})
    assert requested.status_code == 202
    assert requested.get_json()["status"] == "awaiting_approval" and requested.get_json()["download_url"] is None
    export = requested.get_json()["id"]
    early = release.comms.get(f"/api/v1/exports/{export}/download")
    assert (early.status_code, early.get_json()["error"]["code"]) == (409, "awaiting_approval")
    posted = release.comms.post(
        "/api/v1/publications", json={"export_id": export, "media_id": item, "url": "https://school.nl/nieuws/1"}
    )
    assert (posted.status_code, posted.get_json()["error"]["code"]) == (409, "not_released")
    # Sem's parent withdraws before leadership looks: approving runs the gate again and refuses.
    release.decide("sem", "photo", "website", "withdraw")
    [approval] = release.leader.get("/api/v1/approvals?status=open").get_json()
    refused = release.leader.post(f"/api/v1/approvals/{approval['id']}/approve", json={})
    assert refused.status_code == 409 and codes(refused) == ["no_consent"]
    assert release.comms.get(f"/api/v1/exports/{export}").get_json()["status"] == "awaiting_approval"
    rejected = release.leader.post(f"/api/v1/approvals/{approval['id']}/reject", json={"note": "consent withdrawn"})
    assert rejected.status_code == 200
    after = release.comms.get(f"/api/v1/exports/{export}/download")
    assert (after.status_code, after.get_json()["error"]["code"]) == (409, "export_rejected")
    with app.app_context():
        assert not media_storage().exists(bundle_key(db.session.get_one(Export, export)))


def test_the_gate_runs_again_at_download_and_deletes_the_bundle(release, world, app):
    item = release.cleared_photo("newsletter")
    made = release.export("newsletter", [item])
    assert made.status_code == 201  # the newsletter needs no approval
    with app.app_context():
        key = bundle_key(db.session.get_one(Export, made.get_json()["id"]))
        assert media_storage().exists(key)
    release.decide("sem", "photo", "newsletter", "withdraw")
    refused = release.comms.get(made.get_json()["download_url"])
    assert refused.status_code == 409 and codes(refused) == ["no_consent"]
    with app.app_context():
        assert not media_storage().exists(key)
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "release.download_refused")) == 1


def test_only_the_listed_exporters_may_export_to_a_channel(release, world, app):
    item = release.cleared_photo("newsletter")
    with app.app_context():
        from app.accounts.models import User

        channel = db.session.scalar(select(Channel).where(Channel.key == "newsletter"))
        channel.exporters = [db.session.scalar(select(User).where(User.email == "leader@example.org"))]
        db.session.commit()
    refused = release.comms.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "not_listed")
    assert (
        release.leader.post("/api/v1/exports", json={"channel": "newsletter", "media_ids": [item]}).status_code == 201
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(Export.id))) == 1
        assert db.session.scalar(select(func.count(Approval.id))) == 0


def test_leadership_is_invited_from_the_command_line_and_approves_once(release, world, runner, app):
    from app.accounts.models import Role, User

    result = runner.invoke(args=["users", "invite", "directie@example.org", "--role", "leadership"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        invited = db.session.scalar(select(User).where(User.email == "directie@example.org"))
        assert invited.roles == {Role.LEADERSHIP}
    item = release.cleared_photo("website")
    request = release.comms.post("/api/v1/exports", json={"channel": "website", "media_ids": [item]}).get_json()
    [approval] = release.leader.get("/api/v1/approvals?status=open").get_json()
    assert approval["export_id"] == request["id"]
    assert release.leader.post(f"/api/v1/approvals/{approval['id']}/approve", json={}).status_code == 200
    twice = release.leader.post(f"/api/v1/approvals/{approval['id']}/approve", json={})
    assert (twice.status_code, twice.get_json()["error"]["code"]) == (409, "already_decided")
    released = release.comms.get(f"/api/v1/exports/{request['id']}").get_json()
    assert released["status"] == "released" and released["download_url"]


def test_the_admin_keeps_the_channel_register(client, login_as, world, app, published_form):
    from app.accounts.models import User

    login_as("admin")
    with app.app_context():
        channel = db.session.scalar(select(Channel).where(Channel.key == "instagram"))
        assert channel.needs_approval  # a public purpose: on by default
        comms = db.session.scalar(select(User.id).where(User.email == "comms@example.org"))
        channel_id = channel.id
    form = {
        "key": "instagram",
        "name": "Instagram",
        "purpose": "social_media",
        "export_side": "1080",
        "enabled": "y",
        "needs_approval": "y",
        "handle": "@sintjozefschool",
        "owner": str(comms),
        "credentials_keeper": "Jeroen Kok",
        "two_factor": "y",
        "exporters": [str(comms)],
    }
    assert client.submit(f"/release/channels/{channel_id}", form).status_code == 302
    page = client.get("/release/channels").get_data(as_text=True)
    assert "@sintjozefschool" in page and "Jeroen Kok" in page
    with app.app_context():
        channel = db.session.get_one(Channel, channel_id)
        assert channel.two_factor and [u.email for u in channel.exporters] == ["comms@example.org"]
        assert channel.owner.email == "comms@example.org"
    # Bad input: a too long keeper's name changes nothing.
    assert (
        client.submit(f"/release/channels/{channel_id}", {**form, "credentials_keeper": "x" * 200}).status_code == 422
    )
    with app.app_context():
        assert db.session.get_one(Channel, channel_id).credentials_keeper == "Jeroen Kok"


def test_outside_people_on_an_item_with_a_history_change_only_with_approval(release, world):
    item = release.upload(release.astronaut())
    [face] = release.comms.get(f"/api/v1/media/{item}").get_json()["faces"]
    visitor = release.comms.post(f"/api/v1/media/{item}/outside-people", json={"name": "Bezoeker"})
    assert visitor.status_code == 201  # a fresh item: one person's job
    release.tag(item, [world["sem"]], complete=True)
    release.comms.get(f"/api/v1/media/{item}/clearance?channel=website")  # names Sem: a history now
    # Giving the face to someone from outside the school would resolve it: that waits.
    url = f"/api/v1/media/{item}/outside-people"
    missing = release.comms.post(url, json={"name": "Passant", "face_id": face["id"]})
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (422, "reason_required")
    marked = release.comms.post(url, json={"name": "Passant", "face_id": face["id"], "explanation": "a passer-by"})
    assert marked.status_code == 202 and marked.get_json()["change"]["outside"] == "Passant"
    assert release.comms.get(f"/api/v1/media/{item}").get_json()["faces"][0]["status"] == "open"
    # Removing the visitor would drop a blocker: that waits too.
    removal = release.comms.delete(f"{url}/{visitor.get_json()['id']}?explanation=left%20before%20the%20photo")
    assert removal.status_code == 202 and removal.get_json()["kind"] == "outsider"
    for proposal in (marked.get_json(), removal.get_json()):
        assert release.leader.post(f"/api/v1/approvals/{proposal['id']}/approve", json={}).status_code == 200
    after = release.comms.get(f"/api/v1/media/{item}").get_json()
    assert after["faces"][0]["status"] == "outside"
    assert [p["name"] for p in after["outside_people"]] == ["Passant"]
