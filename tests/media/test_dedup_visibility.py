"""The same bytes uploaded into another group: the de-duplication looks only among the items the
uploader may see, so a teacher never gets another group's item (its album, its tags) back; the
upload becomes an item of their own group that shares the stored files, which stay until the last
item that uses them is deleted."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.media.ingest import media_storage
from app.media.models import MediaItem, Tag
from app.media.storage import original_key
from app.school.models import Group
from tests.factories import StaffFactory, UserFactory
from tests.media.test_views import photo, upload


@pytest.fixture
def media_root(app, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield
    app.config["MEDIA_ROOT"] = None


@pytest.fixture
def teacher_3a(app, world):
    """A teacher of 3a only (teacher@ teaches 5b)."""
    with app.app_context():
        person = StaffFactory(first_name="Fenna", last_name="Bakker", email="teacher3a@example.org")
        group = db.session.get(Group, world["3a"])
        group.teachers.append(person)
        UserFactory(email="teacher3a@example.org", person=person, roles={Role.TEACHER})
        db.session.commit()
    return "teacher3a@example.org"


def bearer(runner, email: str) -> dict[str, str]:
    token = runner.invoke(args=["users", "token", email]).output.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


def post_media(client, headers, group_id: int, content: bytes, album: str):
    return client.post(
        "/api/v1/media",
        headers=headers,
        content_type="multipart/form-data",
        data={"group_id": group_id, "album": album, "file": (io.BytesIO(content), "x.jpg")},
    )


@pytest.fixture
def item_in_3a(app, client, runner, world, media_root, teacher_3a):
    """A photo in 3a's album "Geheim kamp 3a" with Emma (3a) tagged."""
    created = post_media(client, bearer(runner, teacher_3a), world["3a"], photo((9, 99, 199)), "Geheim kamp 3a")
    assert created.status_code == 201
    item_id = created.get_json()["id"]
    with app.app_context():
        db.session.add(Tag(media_id=item_id, person_id=world["emma"]))
        db.session.commit()
    return item_id


def _leaks(body: str, world, item_id: int) -> list[str]:
    return [
        what
        for what, text in (
            ("album", "Geheim kamp 3a"),
            ("emma", f'"person_id":{world["emma"]}'),
            ("id", f'"id":{item_id}'),
        )
        if text in body.replace(" ", "")
    ]


def test_the_api_makes_a_new_item_in_the_uploaders_group_and_names_nothing_of_the_other(
    app, client, runner, world, item_in_3a
):
    answer = post_media(client, bearer(runner, "teacher@example.org"), world["5b"], photo((9, 99, 199)), "Schoolreis")
    assert answer.status_code == 201
    mine = answer.get_json()
    assert mine["id"] != item_in_3a and mine["group_id"] == world["5b"]
    assert mine["album"]["title"] == "Schoolreis" and mine["tags"] == []
    assert _leaks(answer.get_data(as_text=True), world, item_in_3a) == []
    with app.app_context():
        theirs, new = db.session.get(MediaItem, item_in_3a), db.session.get(MediaItem, mine["id"])
        assert theirs.sha256 == new.sha256 and [t.person_id for t in theirs.tags] == [world["emma"]]
        assert (new.width, new.height, new.mime_type) == (theirs.width, theirs.height, theirs.mime_type)
        assert [f.box for f in new.faces] == [f.box for f in theirs.faces]
    again = post_media(client, bearer(runner, "teacher@example.org"), world["5b"], photo((9, 99, 199)), "Anders")
    assert again.status_code == 200 and again.get_json()["id"] == mine["id"]  # now they have it: their own item


def test_someone_who_sees_the_item_still_gets_it_back(client, runner, world, item_in_3a):
    answer = post_media(client, bearer(runner, "comms@example.org"), world["5b"], photo((9, 99, 199)), "Schoolreis")
    assert answer.status_code == 200 and answer.get_json()["id"] == item_in_3a


def test_the_web_upload_adds_an_item_of_their_own(app, client, login_as, world, item_in_3a):
    login_as("teacher")
    answer = upload(client, world["5b"], [("kamp.jpg", photo((9, 99, 199)))])
    assert answer.status_code == 200
    (result,) = answer.get_json()["results"]
    assert result["status"] == "added" and result["id"] != item_in_3a
    assert _leaks(answer.get_data(as_text=True), world, item_in_3a) == []
    page = client.get(f"/media/{result['id']}").get_data(as_text=True)
    assert "Geheim kamp 3a" not in page and "Emma" not in page


def test_deleting_one_item_keeps_the_files_the_other_uses(app, client, login_as, runner, world, item_in_3a):
    mine = post_media(client, bearer(runner, "teacher@example.org"), world["5b"], photo((9, 99, 199)), "Schoolreis")
    mine_id = mine.get_json()["id"]
    login_as("admin")
    assert client.submit(f"/media/{item_in_3a}/delete").status_code == 302
    with app.app_context():
        sha = db.session.get(MediaItem, mine_id).sha256
        stored = sorted(key for key, _mtime in media_storage().entries())
        assert original_key(sha) in stored and len(stored) == 3  # the original, thumbnail and display image
    thumbnail = client.get(f"/media/{mine_id}/thumbnail.jpg")
    assert thumbnail.status_code == 200 and thumbnail.data[:2] == b"\xff\xd8"
    assert runner.invoke(args=["media", "fsck"]).exit_code == 0
    assert client.submit(f"/media/{mine_id}/delete").status_code == 302
    with app.app_context():
        assert list(media_storage().entries()) == []
        assert db.session.scalar(select(MediaItem.id)) is None


@pytest.mark.parametrize("state", ["processing", "refused", "failed"])
def test_a_film_not_ready_in_another_group_is_not_shared(app, client, runner, world, media_root, teacher_3a, state):
    """The same film while its first copy is still processing (or was refused, or failed): the new
    item gets nothing from it (no derivatives, no faces exist yet) and is processed on its own, so it
    is never an unscanned 'ready' item the gate would pass."""
    from app.jobs.models import Job
    from app.media.models import Face, ProcessingState
    from tests.media.test_faces import astronaut_film

    film = astronaut_film()
    first = post_media(client, bearer(runner, teacher_3a), world["3a"], film, "Toneel 3a")
    assert first.status_code == 201
    first_id = first.get_json()["id"]
    with app.app_context():
        db.session.get_one(MediaItem, first_id).processing_state = ProcessingState(state)
        db.session.commit()
    again = post_media(client, bearer(runner, "teacher@example.org"), world["5b"], film, "Toneel 5b")
    assert again.status_code == 201
    second_id = again.get_json()["id"]
    assert second_id != first_id
    with app.app_context():
        second = db.session.get_one(MediaItem, second_id)
        # Its own processing job ran (eagerly, in the tests) and found the astronaut itself.
        assert db.session.scalar(select(Job).where(Job.kind == "film.process", Job.target_id == second_id))
        assert second.processing_state is ProcessingState.READY
        assert db.session.scalar(select(Face).where(Face.media_id == second_id)) is not None
