"""Issue 14, part 5, on a phone (390 x 844): communications ticks a cleared and a blocked photo of a
school trip, is refused with the blocked one named by album, date and number and its reason, exports
only the cleared one, and finds in the library why the other is blocked; the tiles' badges sit
under the thumbnails, never over them.

The story makes its own album, pupils and photos in the live app, so other stories do not change it."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from tests.e2e.conftest import keep_picture, steady_box
from tests.e2e.test_first_visit import sign_in, sign_out

pytestmark = pytest.mark.browser
ALBUM = "Schoolreis Efteling"


def trip_photo(colour: tuple[int, int, int]) -> io.BytesIO:
    image = Image.new("RGB", (1200, 900), colour)
    draw = ImageDraw.Draw(image)
    for n in range(0, 1200, 60):
        draw.line((n, 0, 1200 - n, 900), fill=(255 - colour[0], 90, 30), width=4)
    data = io.BytesIO()
    image.save(data, format="JPEG", quality=90)
    data.seek(0)
    return data


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def make_trip(live_app: Any) -> dict[str, Any]:
    """An album of a group of its own (other stories count 5b's pupils) with two photos: Lotte's (her parent said yes to the newsletter) and
    Daan's (his parent said yes, then withdrew)."""
    from app.accounts.models import User
    from app.consent.operations import decide
    from app.consent.vocabulary import Means
    from app.extensions import db
    from app.media.ingest import ingest_upload
    from app.media.models import Album
    from app.media.operations import TagSpec, set_tags
    from tests.factories import GroupFactory, GuardianFactory, GuardianshipFactory, PupilFactory

    with live_app.test_request_context(), live_app.app_context():
        group = GroupFactory(name="6m")
        teacher = db.session.scalar(select(User).where(User.email == "admin@example.org"))  # tags in any group
        album = Album(group_id=group.id, title=ALBUM, taken_on=date(2026, 9, 12))
        db.session.add(album)
        pupils = {}
        for first, last in (("Lotte", "Verbeek"), ("Daan", "Mulder")):
            pupil = PupilFactory(first_name=first, last_name=last, age=9, group=group)
            guardian = GuardianFactory(first_name="Ouder", last_name=last)
            GuardianshipFactory(guardian=guardian, pupil=pupil)
            pupils[first] = (pupil, guardian)
        db.session.flush()
        items = {}
        for first, colour in (("Lotte", (40, 140, 90)), ("Daan", (160, 60, 140))):
            item = ingest_upload(trip_photo(colour), album=album, uploaded_by=None).item
            set_tags(item, [TagSpec(pupils[first][0].id, None, ())], complete=True, by=teacher)
            items[first] = item.id
        db.session.commit()
        for first, actions in (("Lotte", ["grant"]), ("Daan", ["grant", "withdraw"])):
            pupil, guardian = pupils[first]
            for action in actions:
                decide(pupil, "photo", "newsletter", action, decided_by=guardian, recorded_by=None, means=Means.WEB)
                db.session.commit()
        return {"album": album.id, "cleared": items["Lotte"], "blocked": items["Daan"]}


def test_communications_exports_only_the_cleared_photo_of_a_mixed_selection(phone, live_app, tmp_path):
    live_app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    trip = make_trip(live_app)
    cleared, blocked = trip["cleared"], trip["blocked"]
    blocked_name = f"{ALBUM} · 12 sep 2026 · nr. 2"

    sign_in(phone, "comms@example.org")
    phone.goto(f"/media/?album={trip['album']}")
    phone.locator(f"#tile-{blocked}").wait_for()

    # On a phone the thumbnails are whole: no badge or reason lies over a picture.
    for item in (cleared, blocked):
        picture = phone.locator(f"#tile-{item} img")
        phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
        image = steady_box(picture)
        covering = phone.locator(f"#tile-{item} .tile-badges .badge, #tile-{item} .tile-reasons summary")
        assert covering.count() >= 2
        for n in range(covering.count()):
            box = covering.nth(n).bounding_box()
            assert box and not overlaps(box, image), (item, n, box, image)
    assert phone.locator(f"#tile-{cleared} .cleared-badge", has_text="Nieuwsbrief").count() == 1

    # The library says why Daan's photo is blocked, in words visible on the tile and on a tap.
    summary = phone.locator(f"#tile-{blocked} .tile-reasons summary")
    assert summary.is_visible() and "toestemming ingetrokken" in summary.inner_text()
    summary.tap()
    newsletter = phone.locator(f"#tile-{blocked} .tile-reasons li", has_text="Nieuwsbrief")
    newsletter.wait_for()
    assert (
        "Daan Mulder (groep 6m)" in newsletter.inner_text() and "ingetrokken door een ouder" in newsletter.inner_text()
    )
    picker = phone.locator(f"input.tile-pick[value='{blocked}']")
    assert picker.get_attribute("aria-label") == f"Kies {blocked_name}"
    keep_picture(phone, tmp_path / "library.png")

    # Communications ticks both photos for the newsletter: refused, the blocked one named with its reason.
    phone.check(f"input.tile-pick[value='{cleared}']")
    picker.check()
    phone.select_option("#export-channel", "newsletter")
    phone.fill("#export-caption", "Wat een mooie dag in de Efteling!")
    phone.click("#export-button")
    phone.locator("#blockers").wait_for()
    refusal = phone.locator(f"#blocked-{blocked}")
    assert refusal.locator(".item-name").inner_text() == blocked_name
    assert "ingetrokken door een ouder" in refusal.inner_text()
    assert phone.locator(f"#blocked-{cleared}").count() == 0
    assert "Item " not in phone.locator("main").inner_text()
    offer = phone.locator("#partial-export-button")
    assert offer.inner_text() == "Alleen de vrijgegeven items exporteren (1 van 2)"
    assert f"{ALBUM} · 12 sep 2026 · nr. 1" in phone.locator("#partial-items").inner_text()
    keep_picture(phone, tmp_path / "refused.png")

    # Only the cleared photo goes out, with the text of the post.
    offer.click()
    phone.locator("#download").wait_for()
    assert phone.locator(".alert-success").count() == 1
    assert phone.locator("#caption").inner_text() == "Wat een mooie dag in de Efteling!"
    entries = phone.locator("li[id^=entry-]")
    assert entries.count() == 1 and phone.locator(f"#entry-{cleared}").count() == 1
    assert f"{ALBUM} · 12 sep 2026 · nr. 1" in entries.first.inner_text()
    keep_picture(phone, tmp_path / "export.png")
    sign_out(phone)
    live_app.config["MEDIA_ROOT"] = None
    print("screenshots:", tmp_path)
