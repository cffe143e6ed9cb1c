"""Issue 14's "fewer taps" in a real browser on a phone-sized screen: a parent of two children says
yes to all photo uses on the form in one tap per media type, copies those answers to the second
child after seeing the list, and "withdraw everything" shows what will be removed before it
happens. The family is made for this story, so the other stories' people are untouched."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.e2e.conftest import keep_picture
from tests.e2e.test_first_visit import sign_in

pytestmark = pytest.mark.browser

EMAIL = "fewer.taps@example.org"
POST_URL = "https://school.example/fewer-taps/daan"


def make_family(live_app) -> dict[str, int]:
    """A guardian with an account and two children in a group of their own."""
    from app.accounts.models import Role
    from app.extensions import db
    from tests.factories import (
        GroupFactory,
        GuardianFactory,
        GuardianshipFactory,
        LocationFactory,
        PupilFactory,
        UserFactory,
    )

    with live_app.app_context():
        group = GroupFactory(location=LocationFactory(name="De Pontonnier"))
        mother = GuardianFactory(first_name="Inge", last_name="Bakker", email=EMAIL)
        fenna = PupilFactory(first_name="Fenna", last_name="Bakker", age=9, group=group)
        daan = PupilFactory(first_name="Daan", last_name="Bakker", age=7, group=group)
        for child in (fenna, daan):
            GuardianshipFactory(guardian=mother, pupil=child)
        UserFactory(email=EMAIL, person=mother, roles={Role.PARENT})
        db.session.commit()
        return {"fenna": fenna.id, "daan": daan.id, "group": group.id}


def publish_photo_of(live_app, person_id: int, group_id: int) -> None:
    """A photo showing the child, published on the school website (written directly: the release
    story drives the real export)."""
    from app.consent.vocabulary import MediaType
    from app.extensions import db
    from app.media.models import MediaItem, Tag
    from app.release.models import Channel, Export, ExportItem, Publication
    from tests.factories import AlbumFactory

    with live_app.app_context():
        album = AlbumFactory(group_id=group_id)
        item = MediaItem(
            sha256="fe" * 32,
            media_type=MediaType.PHOTO,
            mime_type="image/jpeg",
            size_bytes=1,
            group_id=group_id,
            album_id=album.id,
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(Tag(media_id=item.id, person_id=person_id))
        channel = db.session.scalar(select(Channel).where(Channel.key == "website"))
        export = Export(channel_id=channel.id, bundle_token="fe" * 32)
        export.items.append(ExportItem(media_id=item.id, position=1, file_name="beeldrecht-1.jpg", evidence={}))
        db.session.add(export)
        db.session.flush()
        db.session.add(
            Publication(
                export_id=export.id,
                media_id=item.id,
                channel_id=channel.id,
                url=POST_URL,
                published_on=date(2026, 10, 2),
            )
        )
        db.session.commit()


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_parent_answers_a_media_type_at_once_copies_it_and_withdraws_everything(phone, live_app, tmp_path):
    ids = make_family(live_app)
    sign_in(phone, EMAIL)
    children = phone.locator("#children a")
    assert children.count() == 2

    # Fenna: the form, "yes to everything" for photos and "no to everything" for films and sound.
    phone.locator("#children a", has_text="Fenna").click()
    assert urlsplit(phone.url).path == f"/consent/{ids['fenna']}/form"
    photos, films, sound = (phone.locator("fieldset").nth(n) for n in range(3))
    assert "Foto" in photos.locator("legend").inner_text()
    photos.locator("[data-answer-all=grant]").click()
    films.locator("[data-answer-all=refuse]").click()
    sound.locator("[data-answer-all=refuse]").click()
    assert photos.locator("input[value=grant]:checked").count() == photos.locator("input[value=grant]").count() == 6
    assert films.locator("input[value=refuse]:checked").count() == 6
    fits_the_phone(phone)
    keep_picture(phone, tmp_path / "form.png")
    phone.click("main button[type=submit]")  # the parent still reviews and saves
    assert phone.locator(".alert-success").count() == 1
    assert urlsplit(phone.url).path == f"/consent/{ids['fenna']}"
    assert phone.locator("[data-state=granted]").count() == 6
    assert phone.locator("#photo-website").get_attribute("data-state") == "granted"
    assert phone.locator("#film-website").get_attribute("data-state") == "refused"

    # Daan: a first visit leads to the form, which offers Fenna's answers; the list comes first.
    phone.goto(f"/consent/{ids['daan']}")
    assert urlsplit(phone.url).path == f"/consent/{ids['daan']}/form"
    phone.locator("#copy-sources a", has_text="Fenna").click()
    assert urlsplit(phone.url).path == f"/consent/{ids['daan']}/same-as/{ids['fenna']}"
    assert phone.locator("#changes li").count() == 18
    assert "ja" in phone.locator("#change-photo-website").inner_text()
    fits_the_phone(phone)
    keep_picture(phone, tmp_path / "same-answers.png")
    phone.click("#confirm")
    assert phone.locator(".alert-success").count() == 1
    assert "Fenna" in phone.locator(".alert-success").inner_text()
    assert phone.locator("[data-state=granted]").count() == 6
    assert phone.locator("#photo-website").get_attribute("data-state") == "granted"

    # A photo of Daan is on the school website. "Withdraw all consent" shows first what changes and
    # what will be removed; nothing happens before the confirm.
    publish_photo_of(live_app, ids["daan"], ids["group"])
    phone.reload()
    phone.locator("#everything a").first.click()
    assert phone.locator("#changes li").count() == 6
    assert phone.locator("#changes [data-action=withdraw]").count() == 6
    assert "Website, 2 oktober 2026" in phone.locator("#removals").inner_text()
    fits_the_phone(phone)
    keep_picture(phone, tmp_path / "withdraw-everything.png")
    phone.goto(f"/consent/{ids['daan']}")
    assert phone.locator("[data-state=granted]").count() == 6  # nothing withdrawn yet
    phone.locator("#everything a").first.click()
    phone.click("#confirm")
    assert phone.locator(".alert-success").count() == 1
    assert "Website" in phone.locator(".alert-info").inner_text()  # the removal the school is asked to do
    assert phone.locator("[data-state=granted]").count() == 0
    assert phone.locator("#photo-website").get_attribute("data-state") == "refused"
    assert phone.locator("#published .removal-pending").count() == 1
    fits_the_phone(phone)
    print("screenshots in", tmp_path)
