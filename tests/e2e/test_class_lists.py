"""Issue 14, part 3, on a phone: the teacher's "not for photos" list in three sections as cards per
child, printed as one clean page (no menu, no footer), and the group overview as one card per child
instead of an 18-column table."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import keep_picture
from tests.e2e.test_first_visit import sign_in, sign_out

pytestmark = pytest.mark.browser


def test_the_teacher_reads_and_prints_the_class_list_on_a_phone(phone, live_app, tmp_path):
    sign_in(phone, "teacher@example.org")
    phone.goto("/groups")
    phone.locator("main a", has_text="5b").first.click()
    group_url = phone.url.replace("/groups/", "/consent/groups/")
    phone.goto(group_url)

    # The overview: a card per child, no sideways scrolling; a card opens to the states per use.
    assert phone.locator("#overview-cards details").count() >= 8
    assert not phone.locator("#overview").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    first = phone.locator("#overview-cards details").first
    first.locator("summary").click()
    assert first.locator("li[data-state]").first.is_visible()
    assert "Foto" in first.locator("summary").inner_text()

    # The list of who must not be photographed, in sections, as cards.
    phone.goto(group_url)
    phone.locator("main a", has_text="Afdrukken").first.click()
    keep_picture(phone, tmp_path / "class-list.png")
    headings = phone.locator("main h2").all_inner_texts()
    assert any(h.startswith("Nog niets gekozen") for h in headings)
    assert phone.locator(".class-list .card").count() >= 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # Printed: the list alone, on one page per group.
    phone.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(phone.pdf(format="A4")))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert len(pdf.pages) == 1
    assert "Groep 5b: niet voor foto" in text and "Nog niets gekozen" in text
    for chrome in ("Uitloggen", "Mijn account", "Taal wijzigen", "geen kind op een openbaar kanaal", "Video's"):
        assert chrome not in text
    phone.emulate_media(media="screen")
    sign_out(phone)
