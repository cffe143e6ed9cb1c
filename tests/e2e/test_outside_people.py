"""On a phone: the teacher marks a detected face as a visitor and draws a box around a passer-by;
the administrator records the visitor's own consent with a photo of the signed paper."""

from __future__ import annotations

import io
from datetime import date

import pytest
import skimage.data
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import draw_box
from tests.e2e.test_first_visit import sign_in, sign_out

pytestmark = pytest.mark.browser


def test_teacher_marks_people_from_outside_the_school_and_the_admin_records_consent(phone, live_app, tmp_path):
    from app.extensions import db
    from app.media.ingest import ingest_upload
    from app.media.models import Album, MediaItem, OutsidePerson
    from app.school.models import Group

    live_app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    with live_app.app_context():
        group = db.session.scalar(select(Group).where(Group.name == "5b"))
        album = Album(group_id=group.id, title="Toernooi", taken_on=date(2026, 11, 20))
        db.session.add(album)
        db.session.flush()
        data = io.BytesIO()
        Image.fromarray(skimage.data.astronaut()).resize((1200, 1200)).save(data, format="JPEG")
        data.seek(0)
        item = ingest_upload(data, album=album, uploaded_by=None).item
        db.session.commit()
        item_id = item.id
    paper = tmp_path / "papier.jpg"
    Image.new("RGB", (600, 800), (250, 250, 245)).save(paper, format="JPEG")

    sign_in(phone, "teacher@example.org")
    phone.goto(f"/media/{item_id}")
    phone.wait_for_load_state("load")
    # The detected face is a visitor: resolved, shown as outside the school.
    phone.click("details.outside-face summary")
    phone.fill("details.outside-face input[name=name]", "Bezoeker: opa van een leerling")
    phone.click("details.outside-face button[value=add]")
    phone.locator("#faces .badge.text-bg-info").wait_for()
    assert "outside the school" in phone.content() or "buiten de school" in phone.content()
    # A passer-by without a detected face: draw a box, describe them in the box panel.
    # The picture decides the stage's size: measure only once it has loaded and is in view (the page
    # may have come back at an anchor below).
    expect(phone.locator("#display")).to_have_js_property("complete", True)
    draw_box(phone, (0.05, 0.6), (0.25, 0.9))
    phone.fill("#box-outsider", "Voorbijganger")
    phone.click("#box-outsider-ok")
    phone.locator("#stage div.box-outside").wait_for()
    assert phone.locator("#outside-people li.outsider").count() == 2
    sign_out(phone)

    sign_in(phone, "admin@example.org")
    phone.goto(f"/media/{item_id}")
    phone.locator("#outside-people a", has_text="toestemming").first.click()
    phone.check("input[name=purposes][value=website]")
    phone.set_input_files("input[name=scan]", str(paper))
    phone.click("main form button[type=submit] >> nth=-1")
    phone.locator("#outside-consents").wait_for()
    assert phone.locator("#outside-consents a", has_text="scan").count() == 1

    with live_app.app_context():
        people = db.session.scalars(
            select(OutsidePerson).where(OutsidePerson.media_id == item_id).order_by(OutsidePerson.id)
        ).all()
        assert [p.name for p in people] == ["Bezoeker: opa van een leerling", "Voorbijganger"]
        assert [f.status.value for f in db.session.get_one(MediaItem, item_id).faces] == ["outside"]
        assert people[0].box is None and len(people[0].faces) == 1
        box = people[1].box
        assert box is not None and 0.0 < box[0] < 0.1 and 0.55 < box[1] < 0.65 and 0.15 < box[2] < 0.25
        assert [(c.media_type.value, c.purpose, c.scan_key is not None) for c in people[0].consents] == [
            ("photo", "website", True)
        ]
        assert people[1].consents == []
    live_app.config["MEDIA_ROOT"] = None
