"""Issue 3's story in a real browser on a phone-sized screen: the demo parent answers the
form for both children, withdraws social-media photo consent for one, sees it in the history;
the other guardian's grant does not override it; the teacher of 5b finds the child on the
printed 'not for photos' list."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.e2e.conftest import keep_picture
from tests.e2e.test_first_visit import sign_in, sign_out

pytestmark = pytest.mark.browser


def answer_everything_yes(page) -> None:
    for radio in page.locator("input[type=radio][value=grant]").all():
        radio.check()
    page.click("main button[type=submit]")


def test_parent_answers_withdraws_and_the_teacher_sees_it(phone, live_app, tmp_path):
    from app.consent.operations import decide
    from app.consent.vocabulary import Means
    from app.extensions import db
    from app.school.models import Person

    sign_in(phone, "parent@example.org")
    children = phone.locator("#children a")
    assert children.count() == 2
    names = children.all_inner_texts()
    child_urls = [urlsplit(a.get_attribute("href")).path for a in children.all()]
    sem_url = next(u for u, name in zip(child_urls, names, strict=True) if "Sem" in name)
    for url in child_urls:
        phone.goto(url)
        assert urlsplit(phone.url).path.endswith("/form")  # a first visit is led through the form
        assert phone.locator(".card-body").first.inner_text().strip() != ""  # the form's text first
        answer_everything_yes(phone)
        assert phone.locator(".alert-success").count() == 1
        assert phone.locator("[data-state=granted]").count() == 18

    phone.goto(sem_url)
    cell = phone.locator("#photo-social_media")
    cell.locator("button[value=withdraw]").click()
    assert phone.locator("#photo-social_media").get_attribute("data-state") == "refused"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # The other guardian signs a paper form granting it again: the withdrawal still wins.
    with live_app.app_context():
        sem = db.session.scalar(select(Person).where(Person.first_name == "Sem"))
        mark = db.session.scalar(select(Person).where(Person.first_name == "Mark"))
        decide(sem, "photo", "social_media", "grant", decided_by=mark, recorded_by=None, means=Means.PAPER)
        db.session.commit()
        sem_id = sem.id
    phone.reload()
    assert phone.locator("#photo-social_media").get_attribute("data-state") == "refused"
    assert "Mark" in phone.locator("#photo-social_media").inner_text()

    # The API answers the same.
    from app.accounts.api_tokens import issue_api_token
    from app.accounts.models import User

    with live_app.app_context():
        _token, secret = issue_api_token(
            db.session.scalar(select(User).where(User.email == "parent@example.org")), "e2e"
        )
        db.session.commit()
    answer = phone.request.get(f"/api/v1/people/{sem_id}/consents", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200
    states = {(c["media_type"], c["purpose"]): c for c in answer.json()}
    assert states[("photo", "social_media")]["state"] == "refused"
    assert states[("photo", "social_media")]["explanation"]["conflict"] is True
    assert states[("film", "social_media")]["state"] == "granted"

    phone.click("a[href$='/history']")
    first = phone.locator("#history li").nth(1).inner_text()  # newest first: Mark's grant, then the withdrawal
    assert "Ingetrokken" in first and "Karin" in first
    keep_picture(phone, tmp_path / "history.png")
    sign_out(phone)

    sign_in(phone, "teacher@example.org")
    phone.goto("/groups")
    phone.locator("main a", has_text="5b").first.click()
    phone.locator("main a", has_text="Afdrukken").first.click()
    listed = phone.locator("main").inner_text()
    assert "Sem de Vries" in phone.locator("#some-uses").inner_text()  # yes to everything but social media
    assert "Emma" not in listed  # another group
    keep_picture(phone, tmp_path / "not-allowed.png")
    print("screenshots in", tmp_path)
