"""Issue 10's story in a real browser on a phone-sized screen: the start of a school year. The
administrator imports next year's groups, publishes version 2 of the form with its new purposes,
starts a campaign, prints the paper forms of the families without e-mail (the PDF's text checked),
enters one returned paper with its scan and sees the list of who has not answered shrink, records a
withdrawal someone phoned in, and invites a pupil who turns 16, who then decides for herself while
her mother no longer sees her choices."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from tests.e2e.conftest import keep_picture
from tests.e2e.test_first_visit import sign_in, sign_out

pytestmark = pytest.mark.browser

SHIPPED_V2 = Path(__file__).parents[2] / "consent_forms" / "beeldgebruik-2026-2027-v2.toml"


def years_after(day, years: int):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def test_the_start_of_a_school_year(phone, live_app, tmp_path):
    from app.consent.operations import decide
    from app.consent.vocabulary import Means
    from app.extensions import db
    from app.school.models import Person
    from app.timestamps import school_today
    from tests.factories import school_year_of

    mail = live_app.extensions["mailman"]
    with live_app.app_context():
        today = school_today()
        this_year, _starts, _ends = school_year_of(today)
    start, end = int(this_year[:4]) + 1, int(this_year[:4]) + 2
    next_year = f"{start}-{end}"

    # 1. Next year's groups, imported before the year starts.
    sign_in(phone, "admin@example.org")
    phone.goto("/admin/years/new")
    phone.fill("input[name=name]", next_year)
    phone.fill("input[name=starts_on]", f"{start}-08-01")
    phone.fill("input[name=ends_on]", f"{end}-07-31")
    phone.click("main input[type=submit], main button[type=submit] >> nth=0")
    csv = tmp_path / "next-year.csv"
    csv.write_text(
        "leerlingnummer;roepnaam;achternaam;geboortedatum;groep;locatie\n"
        "LL00001;Sem;de Vries;02-02-2018;6b;St. Jozefschool\n"
        "LL00003;Noah;Jansen;03-03-2018;6b;St. Jozefschool\n",
        encoding="utf-8",
    )
    phone.goto("/admin/import")
    phone.set_input_files("input[name=file]", str(csv))
    phone.select_option("select[name=school_year]", label=next_year)
    phone.click("input[name=submit]")
    assert "2" in phone.locator("main").inner_text()
    phone.goto("/admin/groups")
    assert "6b" in phone.locator("main").inner_text() and next_year in phone.locator("main").inner_text()

    # 2. Version 2 of the form, with four new purposes, published from the form versions page.
    forms = Path(live_app.config["CONSENT_FORMS_DIR"])
    (forms / "v2.toml").write_text(
        SHIPPED_V2.read_text(encoding="utf-8").replace('school_year = "2026-2027"', f'school_year = "{this_year}"'),
        encoding="utf-8",
    )
    phone.goto("/consent/versions")
    assert "v2.toml" in phone.locator("#waiting-forms").inner_text()
    phone.click("#publish")
    published = phone.locator("#published-forms").inner_text()
    assert "Jaarboek van groep 8" in published and "Schoolfotograaf" in published

    # 3. A campaign for every family, with a deadline in two weeks.
    phone.goto("/consent/campaigns")
    phone.check("input[name=audience][value=families]")
    phone.fill("input[name=deadline]", (today + timedelta(days=14)).isoformat())
    phone.click("#start-campaign button[type=submit]")
    campaign_url = urlsplit(phone.url).path
    assert re.fullmatch(r"/consent/campaigns/\d+", campaign_url)

    def counts_of_5b() -> tuple[int, int]:
        """(answered, not yet answered: partly or not at all) of group 5b on the campaign's page."""
        phone.goto(campaign_url)
        cells = phone.locator("#counts tr[data-group='5b'] td")
        return int(cells.nth(2).inner_text()), int(cells.nth(3).inner_text()) + int(cells.nth(4).inner_text())

    answered, waiting = counts_of_5b()
    assert waiting >= 6  # at least the classmates, whose guardians have no e-mail address

    # 4. The paper forms of the families without e-mail, one PDF for group 5b.
    link = phone.locator("#without-email li", has_text="5b:").locator("a").get_attribute("href")
    response = phone.context.request.get(link)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert "toestemming" in response.headers["content-disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.body())).pages)
    codes = list(dict.fromkeys(re.findall(r"Code van dit formulier\s*([0-9A-Z]{4}-[0-9A-Z]{4})", text)))
    assert len(codes) == 6  # one letter per classmate without an e-mail address in the family
    assert text.count("Groep: 5b") == 6 and "Groep: 3a" not in text
    assert "Jaarboek van groep 8" in text and "Schoolfotograaf" in text  # version 2's purposes
    assert "Sem de Vries" not in text  # Karin has an account: no paper for Sem
    code = codes[0]

    # 5. One paper comes back: its code (typed sloppily), what it says, who signed, and its scan.
    phone.goto("/consent/campaigns")
    phone.click("#enter-paper")
    phone.fill("input[name=code]", code.lower().replace("-", " "))
    phone.click("main button")
    assert "/paper" in phone.url
    for radio in phone.locator("input[type=radio][value=grant]").all():
        radio.check()
    phone.fill("input[name=signed_on]", today.isoformat())
    scan = tmp_path / "scan.jpg"
    Image.new("RGB", (800, 1100), (250, 250, 245)).save(scan, format="JPEG")
    phone.set_input_files("input[name=scan]", str(scan))
    phone.click("main form button[type=submit]")
    assert phone.locator(".alert-success").count() == 1
    assert counts_of_5b() == (answered + 1, waiting - 1)  # the list of who has not answered shrank

    # 6. A father phones to withdraw: the administrator takes it down, he gets a confirmation.
    with live_app.app_context():
        noah = db.session.scalar(select(Person).where(Person.first_name == "Noah"))
        ahmed = db.session.scalar(select(Person).where(Person.first_name == "Ahmed"))
        for purpose in ("website", "newsletter"):
            decide(noah, "photo", purpose, "grant", decided_by=ahmed, recorded_by=None, means=Means.WEB)
        db.session.commit()
        noah_id = noah.id
    mail.outbox = []
    phone.goto(f"/admin/persons/{noah_id}")
    phone.click("text=Intrekking telefonisch of op school")
    phone.check("input[name=means][value=phone]")
    phone.fill("textarea[name=note]", "Belde om 8.15 uur")
    phone.click("#withdrawal-form button[type=submit]")
    assert phone.locator(".alert-success").count() == 1
    assert ["parent2@example.org"] in [m.to for m in mail.outbox]  # the confirmation
    phone.goto(f"/consent/{noah_id}/history")
    assert "telefonisch" in phone.locator("main").inner_text()

    # 7. Lotte turns 16: she decides for herself, her mother no longer sees her choices.
    phone.goto("/admin/persons/new")
    phone.select_option("select[name=kind]", "pupil")
    phone.fill("input[name=first_name]", "Lotte")
    phone.fill("input[name=last_name]", "de Vries")
    birthday_tomorrow = years_after(today, -16) + timedelta(days=1)
    phone.fill("input[name=date_of_birth]", birthday_tomorrow.isoformat())
    phone.fill("input[name=email]", "lotte@example.org")
    group_5b = phone.locator("select[name=group_id] option", has_text="5b").first.get_attribute("value")
    phone.select_option("select[name=group_id]", group_5b)
    phone.click("main input[type=submit], main button[type=submit] >> nth=0")
    lotte_id = int(re.search(r"/admin/persons/(\d+)", phone.url).group(1))
    guardian_form = phone.locator(f"form[action$='/admin/persons/{lotte_id}/guardians']")
    guardian_form.locator("input[name=email]").fill("parent@example.org")
    guardian_form.locator("input[type=submit], button[type=submit]").click()
    assert "Karin" in phone.locator("#guardianships").inner_text()
    sign_out(phone)
    sign_in(phone, "parent@example.org")
    phone.goto(f"/consent/{lotte_id}/form")
    for radio in phone.locator("input[type=radio][value=grant]").all():
        radio.check()
    phone.click("main button[type=submit]")
    assert phone.locator(".alert-success").count() == 1
    sign_out(phone)

    with live_app.app_context():  # a day passes: today is Lotte's 16th birthday
        lotte = db.session.get(Person, lotte_id)
        lotte.date_of_birth = years_after(today, -16)
        db.session.commit()
    mail.outbox = []
    sign_in(phone, "admin@example.org")
    phone.goto(f"/admin/persons/{lotte_id}")
    phone.click("#invite-pupil button")
    sign_out(phone)
    [invitation] = [m for m in mail.outbox if m.to == ["lotte@example.org"]]
    phone.goto(urlsplit(re.search(r"https?://\S+", invitation.body).group(0)).path)
    phone.fill("input[name=password]", "lotte beslist zelf")
    phone.fill("input[name=confirm]", "lotte beslist zelf")
    phone.click("input[type=submit]")
    home = phone.locator("main").inner_text()
    assert "kinderen" not in home.lower()
    phone.goto(f"/consent/{lotte_id}")
    assert phone.locator("[data-state=granted]").count() == 0  # her mother's "yes" no longer counts
    phone.goto(f"/consent/{lotte_id}/form")
    for radio in phone.locator("input[type=radio][value=refuse]").all():
        radio.check()
    phone.click("main button[type=submit]")
    assert phone.locator(".alert-success").count() == 1
    sign_out(phone)

    sign_in(phone, "parent@example.org")
    home = phone.locator("main").inner_text()  # Dutch, or English if an earlier story switched her account
    assert "Lotte" in home and ("beslist nu zelf" in home or "now decides for themself" in home)
    assert phone.goto(f"/consent/{lotte_id}").status == 404
    assert phone.goto(f"/consent/{lotte_id}/history").status == 404
    keep_picture(phone, tmp_path / "mother-home.png")
