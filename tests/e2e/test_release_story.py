"""Issue 5's story in real Chromium: the teacher uploads a photo of three pupils and tags them;
communications tries Instagram and is refused, naming the one pupil without consent; that pupil's
parent grants; the export goes through and the bundle's image has no metadata; communications
records the Instagram address; the parent withdraws; a takedown task appears for communications
and the parent sees the pending removal.

Issue 9 on top: Instagram needs leadership's approval, so the cleared export is a request that the
leadership approves before the files can be downloaded; and after the takedown, communications
untags Sem and confirms the tags again: that waits as a proposal, and the leadership sees the item's
history (the takedown, the earlier refusal) next to it and rejects it."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from tests.e2e.conftest import keep_picture
from tests.e2e.test_first_visit import sign_in

pytestmark = pytest.mark.browser
POST = "https://www.instagram.com/p/sintjozef-gym-2026/"


def class_photo(path) -> None:
    """A picture with a phone's EXIF (maker, GPS, orientation) and a comment naming the children."""
    image = Image.new("RGB", (2400, 1600), (70, 130, 180))
    draw = ImageDraw.Draw(image)
    for n, x in enumerate((300, 1000, 1700)):
        draw.rectangle((x, 500, x + 400, 1300), fill=(200 - n * 50, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 0.0)}
    image.save(path, format="JPEG", exif=exif, comment=b"Sem, Noah en Liam", quality=90)


def test_export_is_refused_then_released_then_taken_down(browser, live_app, tmp_path):
    from app.consent.operations import decide
    from app.consent.vocabulary import Means
    from app.extensions import db
    from app.school.models import Group, Person

    live_app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    base = live_app.config["BASE_URL"]
    with live_app.test_request_context(), live_app.app_context():
        group = db.session.scalar(select(Group).where(Group.name == "5b"))
        sem = db.session.scalar(select(Person).where(Person.first_name == "Sem", Person.last_name == "de Vries"))
        noah = db.session.scalar(select(Person).where(Person.first_name == "Noah", Person.last_name == "Jansen"))
        third = next(p for p in group.pupils if p.id not in (sem.id, noah.id) and p.guardianships)
        # Noah's and the third pupil's families said yes to photos on social media earlier.
        for pupil in (noah, third):
            guardian = pupil.guardianships[0].guardian
            decide(pupil, "photo", "social_media", "grant", decided_by=guardian, recorded_by=None, means=Means.WEB)
        db.session.commit()
        names = {"sem": sem.full_name, "noah": noah.full_name, "third": third.full_name}
        ids = {"sem": sem.id, "noah": noah.id, "third": third.id}

    def window(width: int = 390, height: int = 844):
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=base, accept_downloads=True)
        return context, context.new_page()

    # The teacher uploads the photo and tags the three pupils.
    teacher_context, teacher = window()
    photo = tmp_path / "IMG_2001.jpg"
    class_photo(photo)
    sign_in(teacher, "teacher@example.org")
    teacher.goto("/media/upload")
    teacher.fill("input[name=album_title]", "Gymles")
    teacher.fill("input[name=album_date]", "2026-11-23")
    teacher.set_input_files("input[name=files]", [str(photo)])
    teacher.click("main button[type=submit]")
    teacher.locator("#upload-list li[data-status] a").first.click()
    teacher.wait_for_load_state("load")
    item_id = int(teacher.url.rstrip("/").rsplit("/", 1)[1])
    for who in ("sem", "noah", "third"):
        teacher.check(f"#tag-{ids[who]}")
    teacher.check("#complete")
    teacher.click("#save-tags")
    teacher.locator(".alert-success").wait_for()
    teacher_context.close()

    # Communications tries Instagram: refused, naming Sem only.
    comms_context, comms = window(1280, 900)
    sign_in(comms, "comms@example.org")
    comms.goto("/media/?album=&type=photo")
    comms.check(f"input.tile-pick[value='{item_id}']")
    comms.select_option("#export-channel", "instagram")
    comms.click("#export-button")
    comms.locator("#blockers").wait_for()
    blockers = comms.locator("#blockers li[data-code]").all_inner_texts()
    assert len(blockers) == 1 and names["sem"] in blockers[0], blockers
    assert names["noah"] not in comms.content()

    # Sem's parent says yes to photos on social media.
    parent_context, parent = window()
    sign_in(parent, "parent@example.org")
    parent.goto(f"/consent/{ids['sem']}?overview=1")
    parent.click("#photo-social_media button[value=grant]")
    parent.locator(".alert-success").wait_for()

    # Now the export goes through; the bundle's image carries nothing but pixels.
    comms.goto("/media/?type=photo")
    comms.check(f"input.tile-pick[value='{item_id}']")
    comms.select_option("#export-channel", "instagram")
    comms.click("#export-button")
    comms.locator("#export-status[data-status=awaiting_approval]").wait_for()
    export_url = comms.url

    # The school leadership approves the request: the gate runs again, then the files exist.
    leader_context, leader = window(1280, 900)
    sign_in(leader, "leader@example.org")
    leader.goto("/release/approvals")
    request = leader.locator("#approvals article[data-status=open]").first
    assert "Instagram" in request.inner_text()
    request.locator("button", has_text="Goedkeuren").click()
    leader.locator(".alert-success").wait_for()
    comms.goto(export_url)
    comms.locator("#download").wait_for()
    with comms.expect_download() as info:
        comms.click("#download")
    bundle = info.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        [name] = archive.namelist()
        assert name.startswith("beeldrecht-") and name.endswith("-1.jpg")
        data = archive.read(name)
    with Image.open(io.BytesIO(data)) as exported:
        assert exported.size == (720, 1080)  # upright (EXIF orientation 6) and 1080 px for Instagram
        assert not exported.getexif() and "comment" not in exported.info and "icc_profile" not in exported.info
    assert b"PhoneMaker" not in data and b"Sem" not in data

    # Communications records where it was posted.
    comms.fill(f"#url-{item_id}", POST)
    comms.click(f"#entry-{item_id} button")
    comms.locator(".alert-success").wait_for()
    assert POST in comms.content()

    # The parent withdraws: told what will be removed, and sees the removal pending.
    parent.goto(f"/consent/{ids['sem']}?overview=1")
    assert POST in parent.content()
    parent.click("#photo-social_media button[value=withdraw]")
    parent.locator(".alert-info").wait_for()
    assert "Instagram" in parent.locator(".alert-info").inner_text()
    assert parent.locator("#published .removal-pending").count() == 1
    keep_picture(parent, tmp_path / "parent.png")

    # Communications finds the takedown task.
    comms.goto("/release/takedowns")
    task = comms.locator("#takedowns li").filter(has_text=POST)
    assert task.count() == 1 and names["sem"] in task.inner_text()
    keep_picture(comms, tmp_path / "takedowns.png")

    # Communications tries to talk the gate around: untag Sem and confirm the tags again.
    comms.goto(f"/media/{item_id}")
    assert comms.locator("#guarded").count() == 1
    comms.uncheck(f"#tag-{ids['sem']}")
    comms.fill("#explanation", "Sem staat er niet echt op")
    comms.click("#save-tags")
    comms.locator(".alert-info").wait_for()
    assert comms.locator(f"#tag-{ids['sem']}").is_checked()  # nothing weakened yet
    assert comms.locator(".waiting-proposal").count() == 1

    # The leadership sees the proposal with the item's history beside it, and rejects it.
    leader.goto("/release/approvals")
    proposal = leader.locator("#approvals article[data-status=open]").first
    text = proposal.inner_text()
    assert names["sem"] in proposal.locator(".proposal").inner_text()
    assert "Sem staat er niet echt op" in text
    assert proposal.locator(".history-takedown").count() == 1 and POST in text
    assert proposal.locator(".history-block").filter(has_text=names["sem"]).count() == 1
    keep_picture(leader, tmp_path / "approvals.png")
    proposal.locator("input[name=note]").fill("Sem is duidelijk herkenbaar")
    proposal.locator("button", has_text="Afwijzen").click()
    leader.locator(".alert-success").wait_for()
    comms.goto(f"/media/{item_id}")
    assert comms.locator(f"#tag-{ids['sem']}").is_checked()
    leader_context.close()
    comms_context.close()
    parent_context.close()
    live_app.config["MEDIA_ROOT"] = None
    print("screenshots:", tmp_path)
