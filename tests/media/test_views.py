"""The upload page, the library and the derivatives, through HTTP."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.media.models import MediaItem


def photo(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def media_root(app, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield
    app.config["MEDIA_ROOT"] = None


def upload(client, group_id, files, accept_json=True):
    data = {
        "csrf_token": client.csrf_token(),
        "group_id": group_id,
        "album_title": "Herfstwandeling",
        "album_date": "2026-10-14",
        "files": [(io.BytesIO(content), name) for name, content in files],
    }
    headers = {"Accept": "application/json"} if accept_json else {}
    return client.post("/media/upload", data=data, content_type="multipart/form-data", headers=headers)


def test_teacher_uploads_photos_and_sees_each_result(client, login_as, world, media_root, app):
    login_as("teacher")
    response = upload(
        client, world["5b"], [("a.jpg", photo()), ("a-again.jpg", photo()), ("evil.jpg", b"<script>x</script>")]
    )
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["added", "existing", "refused"]
    assert "JPEG" in results[2]["message"] and "Dit is geen bestand" in results[2]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(MediaItem.id))) == 1
    page = client.get("/media/").get_data(as_text=True)
    item_id = results[0]["id"]
    assert f"/media/{item_id}/thumbnail.jpg" in page
    thumb = client.get(f"/media/{item_id}/thumbnail.jpg")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.headers["Cache-Control"] == "private, no-store"
    assert thumb.headers["Content-Security-Policy"].strip() == "sandbox"
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    assert "beeldrecht-" in thumb.headers["Content-Disposition"] and "a.jpg" not in thumb.headers["Content-Disposition"]
    assert client.get(f"/media/{item_id}").status_code == 200


def test_the_form_works_without_javascript(client, login_as, world, media_root):
    login_as("teacher")
    response = upload(client, world["5b"], [("a.jpg", photo()), ("b.jpg", photo((0, 0, 200)))], accept_json=False)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('data-status="added"') == 2


def test_a_teacher_cannot_upload_to_or_see_another_group(client, login_as, world, media_root, app):
    login_as("teacher")
    assert upload(client, world["3a"], [("a.jpg", photo())]).status_code in (400, 404)
    client.submit("/sign-out")
    login_as("comms")
    item_id = upload(client, world["3a"], [("a.jpg", photo())]).get_json()["results"][0]["id"]
    client.submit("/sign-out")
    login_as("teacher")
    for url in (f"/media/{item_id}", f"/media/{item_id}/thumbnail.jpg", f"/media/{item_id}/display.jpg"):
        assert client.get(url).status_code == 404, url
    assert f"/media/{item_id}/" not in client.get("/media/").get_data(as_text=True)


def test_parents_and_visitors_never_reach_media(client, login_as, world, media_root):
    login_as("comms")
    item_id = upload(client, world["5b"], [("a.jpg", photo())]).get_json()["results"][0]["id"]
    client.submit("/sign-out")
    assert client.get(f"/media/{item_id}/display.jpg").status_code == 302  # to the sign-in page
    login_as("parent")
    for url in ("/media/", "/media/upload", f"/media/{item_id}", f"/media/{item_id}/display.jpg"):
        assert client.get(url).status_code == 404, url


def test_missing_fields_and_no_files_are_clear_4xx(client, login_as, world, media_root, app):
    login_as("teacher")
    no_album = client.post(
        "/media/upload",
        data={"csrf_token": client.csrf_token(), "group_id": world["5b"]},
        headers={"Accept": "application/json"},
    )
    assert no_album.status_code == 400 and no_album.get_json()["error"]["code"] == "invalid_input"
    no_files = upload(client, world["5b"], [])
    assert no_files.status_code == 422
    without_csrf = client.post("/media/upload", data={"group_id": world["5b"]})
    assert without_csrf.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(MediaItem.id))) == 0


def test_media_through_the_api(client, runner, world, media_root, app):
    token = runner.invoke(args=["users", "token", "teacher@example.org"]).output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}

    def post(content: bytes, group: int):
        return client.post(
            "/api/v1/media",
            headers=headers,
            content_type="multipart/form-data",
            data={"group_id": group, "album": "Schoolreis", "file": (io.BytesIO(content), "x.jpg")},
        )

    created = post(photo(), world["5b"])
    assert created.status_code == 201
    item = created.get_json()
    assert item["media_type"] == "photo" and item["width"] == 64 and item["tags"] == [] and item["faces"] == []
    assert item["thumbnail_url"].endswith("/thumbnail.jpg") and len(item["sha256"]) == 64
    again = post(photo(), world["5b"])
    assert again.status_code == 200 and again.get_json()["id"] == item["id"]
    refused = post(b"%PDF-1.7 not a photo", world["5b"])
    assert refused.status_code == 415 and refused.get_json()["error"]["code"] == "unsupported"
    assert post(photo((1, 2, 3)), world["3a"]).status_code == 404  # not their group
    missing = client.post("/api/v1/media", headers=headers, data={"group_id": world["5b"], "album": "x"})
    assert missing.status_code == 422
    assert client.get(f"/api/v1/media/{item['id']}", headers=headers).get_json()["id"] == item["id"]
    parent_token = runner.invoke(args=["users", "token", "parent@example.org"]).output.strip().splitlines()[-1]
    assert (
        client.get(f"/api/v1/media/{item['id']}", headers={"Authorization": f"Bearer {parent_token}"}).status_code
        == 404
    )


def test_admin_deletes_an_item_with_its_files(client, login_as, world, media_root, app):
    from app.audit.models import AuditEvent
    from app.media.ingest import media_storage

    login_as("admin")
    item_id = upload(client, world["5b"], [("a.jpg", photo())]).get_json()["results"][0]["id"]
    client.submit("/sign-out")
    login_as("teacher")
    assert client.submit(f"/media/{item_id}/delete").status_code == 404  # teachers do not delete
    client.submit("/sign-out")
    login_as("admin")
    assert client.submit(f"/media/{item_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(MediaItem, item_id) is None
        assert list(media_storage().entries()) == []
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "media.deleted")) is not None
    assert client.submit(f"/media/{item_id}/delete").status_code == 404


def test_expire_lists_then_deletes_items_past_retention(client, login_as, world, media_root, app, runner):
    from datetime import timedelta

    from sqlalchemy import text

    from app.timestamps import utcnow

    login_as("teacher")
    old_id, new_id = (
        upload(client, world["5b"], [(f"{n}.jpg", photo((n, n, n)))]).get_json()["results"][0]["id"] for n in (1, 2)
    )
    with app.app_context():
        long_ago = (utcnow() - timedelta(days=6 * 366)).replace(tzinfo=None)
        db.session.execute(text("UPDATE media_item SET uploaded_at = :t WHERE id = :id"), {"t": long_ago, "id": old_id})
        db.session.commit()
    listed = runner.invoke(args=["media", "expire"])
    assert f"media item {old_id}:" in listed.output and f"media item {new_id}:" not in listed.output
    with app.app_context():
        assert db.session.get(MediaItem, old_id) is not None  # listing deletes nothing
    applied = runner.invoke(args=["media", "expire", "--apply"])
    assert "1 items older than 5 years deleted" in applied.output
    with app.app_context():
        assert db.session.get(MediaItem, old_id) is None and db.session.get(MediaItem, new_id) is not None
