"""Issue 4's story, on a phone-sized window: the demo teacher uploads a dozen photos, a film and a
recording with progress shown, tags the pupils in them, resolves the detected faces (by saying who
it is, by setting one aside, and by drawing a box), and marks every item complete."""

from __future__ import annotations

import random

import pytest
import skimage.data
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import draw_box, keep_picture
from tests.e2e.test_first_visit import sign_in
from tests.media.samples import sound
from tests.media.test_faces import astronaut_film

pytestmark = pytest.mark.browser
ALBUM_DATE = "2026-12-05"


def make_files(folder) -> list[str]:
    rng = random.Random(5)
    files = []
    for n in range(10):  # class photos without faces: shapes on colour
        image = Image.new("RGB", (1600, 1200), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x, y = rng.randrange(1500), rng.randrange(1100)
            draw.rectangle(
                (x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300)), fill=(rng.randrange(256),) * 3
            )
        path = folder / f"IMG_{n:04d}.jpg"
        image.save(path, format="JPEG", quality=85)
        files.append(str(path))
    astronaut = Image.fromarray(skimage.data.astronaut())
    for n, size in enumerate((900, 1200)):  # two photos with a face in them
        path = folder / f"IMG_10{n}.jpg"
        astronaut.resize((size, size)).save(path, format="JPEG", quality=90)
        files.append(str(path))
    film = folder / "VID_0001.webm"
    film.write_bytes(astronaut_film(fmt="webm", codec="libvpx"))
    recording = folder / "Opname 1.mp3"
    recording.write_bytes(sound(seconds=2))
    return [*files, str(film), str(recording)]


def open_item(phone, item_id: int) -> None:
    phone.goto(f"/media/{item_id}")
    phone.wait_for_load_state("load")  # item.js has run: boxes placed, drawing and search active


def save(phone) -> None:
    phone.check("#complete")
    phone.click("#save-tags")
    phone.locator(".alert-success").wait_for()
    phone.wait_for_load_state("load")


def test_teacher_uploads_tags_and_resolves_faces_on_a_phone(phone, live_app, tmp_path):
    from app.extensions import db
    from app.media.models import Album, MediaItem
    from app.school.models import Person

    live_app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    files = make_files(tmp_path)
    sign_in(phone, "teacher@example.org")
    phone.goto("/media/upload")
    phone.fill("input[name=album_title]", "Sinterklaas 2026")
    phone.fill("input[name=album_date]", ALBUM_DATE)
    phone.set_input_files("input[name=files]", files)
    phone.click("main button[type=submit]")
    assert phone.locator("#upload-progress").is_visible()
    phone.locator("#upload-list li[data-status]").nth(len(files) - 1).wait_for(timeout=60_000)
    statuses = phone.eval_on_selector_all("#upload-list li", "items => items.map(i => i.dataset.status)")
    assert statuses == ["added"] * len(files)
    assert phone.locator("#overall-bar").get_attribute("style") == "width: 100%;"
    keep_picture(phone, tmp_path / "1-upload.png")

    with live_app.app_context():
        album = db.session.scalar(select(Album).where(Album.title == "Sinterklaas 2026"))
        items = db.session.scalars(select(MediaItem).where(MediaItem.album_id == album.id).order_by(MediaItem.id)).all()
        assert len(items) == 14
        by_kind = {kind: [i for i in items if i.media_type.value == kind] for kind in ("photo", "film", "audio")}
        with_faces = [i.id for i in items if i.faces]
        people = {
            first: db.session.scalar(select(Person.id).where(Person.first_name == first, Person.last_name == last))
            for first, last in (("Sem", "de Vries"), ("Noah", "Jansen"), ("Ahmed", "Jansen"))
        }
    assert [len(by_kind[k]) for k in ("photo", "film", "audio")] == [12, 1, 1]
    photo_a, photo_b = [i.id for i in by_kind["photo"] if i.faces]
    film_id, recording_id = by_kind["film"][0].id, by_kind["audio"][0].id
    assert film_id in with_faces and len(with_faces) == 3

    # The album, filtered to what has faces to resolve.
    phone.click("#upload-done")
    phone.check("#faces")
    phone.click("form.row button")
    assert phone.locator("#library a[href^='/media/']").count() == 3

    # Photo A: click the detected face and say who it is.
    open_item(phone, photo_a)
    phone.locator(".box-face").first.click()
    row = phone.locator(".face-row.face-highlight")
    row.wait_for()
    row.locator("select.face-person").select_option(label="Sem de Vries")
    assert phone.is_checked(f"#tag-{people['Sem']}")  # giving a face to Sem ticks Sem
    save(phone)
    assert phone.locator("#faces .badge.text-bg-success").first.is_visible()

    # Photo B: the face is set aside as not recognisable; then Noah is tagged by drawing a box.
    open_item(phone, photo_b)
    phone.click("#faces button[value=not_recognisable]")
    phone.locator("#faces .badge.text-bg-success").first.wait_for()
    # The picture decides the stage's size: measure only once it has loaded and is in view (the page
    # may have come back at an anchor below).
    expect(phone.locator("#display")).to_have_js_property("complete", True)
    draw_box(phone, (0.6, 0.5), (0.8, 0.8))
    phone.select_option("#box-person", label="Noah Jansen")
    phone.click("#box-ok")
    save(phone)
    assert phone.locator("#stage .box-tag").count() == 1  # Noah's box, drawn back from the saved tag
    keep_picture(phone, tmp_path / "2-photo.png")

    # The film: it plays (the tag-free copy), and its face track is Sem.
    open_item(phone, film_id)
    phone.locator("video#player").wait_for()
    for _ in range(50):
        if phone.evaluate("document.getElementById('player').readyState") >= 1:
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate("document.getElementById('player').duration") == pytest.approx(2.0, abs=0.2)
    for chooser in phone.locator("select.face-person").all():
        chooser.select_option(label="Sem de Vries")
    save(phone)

    # The recording: it plays, and Sem and Noah are heard.
    open_item(phone, recording_id)
    for _ in range(50):
        if phone.evaluate("document.getElementById('player').readyState") >= 1:
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate("document.getElementById('player').duration") > 1.5
    phone.check(f"#tag-{people['Sem']}")
    phone.check(f"#tag-{people['Noah']}")
    save(phone)

    # The other ten photos, one after the other with "save and go to the next": Sem is on all of
    # them; on the first, the search finds Noah's father too.
    plain = [i.id for i in by_kind["photo"] if i.id not in (photo_a, photo_b)]
    open_item(phone, plain[0])
    for n, item_id in enumerate(plain):
        assert phone.url.endswith(f"/media/{item_id}")
        phone.check(f"#tag-{people['Sem']}")
        if n == 0:
            phone.fill("#people-search", "Ahmed")
            phone.locator("#search-results button").first.click()
            assert phone.is_checked(f"#tag-{people['Ahmed']}")
        phone.check("#complete")
        phone.click("#save-next")
        phone.wait_for_load_state("load")
    assert "/media/?album=" in phone.url  # back to the album: nothing left to do
    assert phone.locator(".alert-success").count() == 2

    # Nothing left to resolve or to tag in this album.
    phone.goto(f"/media/?album={album.id}&faces=1")
    assert phone.locator("#library").count() == 0
    phone.goto(f"/media/?album={album.id}&incomplete=1")
    assert phone.locator("#library").count() == 0
    with live_app.app_context():
        items = db.session.scalars(select(MediaItem).where(MediaItem.album_id == album.id)).all()
        assert all(i.tags_complete for i in items)
        assert all(f.status.value != "open" for i in items for f in i.faces)
        noah_box = [t.box for i in items if i.id == photo_b for t in i.tags]
        assert noah_box and noah_box[0] is not None and 0.55 < noah_box[0][0] < 0.65
        assert {t.person_id for i in items if i.id == recording_id for t in i.tags} == {people["Sem"], people["Noah"]}
        assert people["Ahmed"] in {t.person_id for i in items if i.id == plain[0] for t in i.tags}
    live_app.config["MEDIA_ROOT"] = None
    print("screenshots:", tmp_path)
