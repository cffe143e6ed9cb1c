"""The picture and playback addresses the API answers with are fetched with the same bearer token,
under the same access rules as the item: an API client can show a picture and play a film."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.accounts.models import Role
from app.extensions import db
from app.school.models import Group
from tests.factories import StaffFactory, UserFactory
from tests.media.samples import film, sound
from tests.media.test_views import photo


@pytest.fixture
def media_root(app, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield
    app.config["MEDIA_ROOT"] = None


def bearer(runner, email: str) -> dict[str, str]:
    token = runner.invoke(args=["users", "token", email]).output.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


def uploaded(client, headers, group_id: int, content: bytes, name: str) -> dict:
    response = client.post(
        "/api/v1/media",
        headers=headers,
        content_type="multipart/form-data",
        data={"group_id": group_id, "album": "Sportdag", "file": (io.BytesIO(content), name)},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def teacher_3a(app, world):
    with app.app_context():
        person = StaffFactory(first_name="Fenna", last_name="Bakker", email="teacher3a@example.org")
        group = db.session.get(Group, world["3a"])
        group.teachers.append(person)
        UserFactory(email="teacher3a@example.org", person=person, roles={Role.TEACHER})
        db.session.commit()
    return "teacher3a@example.org"


def test_a_photos_pictures_are_fetched_with_the_token_that_got_them(client, runner, world, media_root, teacher_3a):
    headers = bearer(runner, "teacher@example.org")
    item = uploaded(client, headers, world["5b"], photo(), "a.jpg")
    assert item["poster_url"] is None and item["playback_url"] is None
    for url in (item["thumbnail_url"], item["display_url"]):
        assert url.startswith("/api/v1/media/")
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
        assert Image.open(io.BytesIO(answer.data)).size == (64, 48)
        assert answer.headers["Cache-Control"] == "private, no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Content-Security-Policy"].strip() == "sandbox"
        other = client.get(url, headers=bearer(runner, teacher_3a))  # a teacher of another group
        assert other.status_code == 404 and other.get_json()["error"]["code"] == "not_found"
        parent = client.get(url, headers=bearer(runner, "parent@example.org"))
        assert parent.status_code == 404
        anonymous = client.get(url)
        assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"


def test_a_films_poster_and_playback_copy_are_fetched_with_the_token(client, runner, world, media_root):
    headers = bearer(runner, "teacher@example.org")
    item = uploaded(client, headers, world["5b"], film(), "f.mp4")
    assert item["display_url"] is None
    poster = client.get(item["poster_url"], headers=headers)
    assert poster.status_code == 200 and poster.data[:2] == b"\xff\xd8"
    played = client.get(item["playback_url"], headers=headers)
    assert played.status_code == 200 and played.mimetype == "video/mp4"
    part = client.get(item["playback_url"], headers={**headers, "Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.data) == 10
    assert client.get(item["playback_url"]).status_code == 401


def test_sound_has_no_pictures_and_a_photo_no_playback(client, runner, world, media_root):
    headers = bearer(runner, "teacher@example.org")
    recording = uploaded(client, headers, world["5b"], sound(), "s.mp3")
    assert recording["thumbnail_url"] is None and recording["playback_url"]
    assert client.get(f"/api/v1/media/{recording['id']}/thumbnail.jpg", headers=headers).status_code == 404
    assert client.get(recording["playback_url"], headers=headers).status_code == 200
    picture = uploaded(client, headers, world["5b"], photo((5, 5, 5)), "b.jpg")
    assert client.get(f"/api/v1/media/{picture['id']}/playback", headers=headers).status_code == 404


def test_the_web_addresses_still_want_a_session(client, runner, login_as, world, media_root):
    item = uploaded(client, bearer(runner, "teacher@example.org"), world["5b"], photo(), "a.jpg")
    web = f"/media/{item['id']}/thumbnail.jpg"
    assert client.get(web).status_code == 302  # a browser without a session goes to the sign-in page
    login_as("teacher")
    assert client.get(web).status_code == 200
    assert client.get(item["thumbnail_url"]).status_code == 401  # the API never takes the session cookie
