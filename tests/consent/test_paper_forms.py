"""Paper consent forms printed by the system: one letter per child with its code and QR code, per
group for the families the school cannot mail, and the returned paper entered by its code with its
scan (admins only), through the one writer of decisions."""

from __future__ import annotations

import io

from pypdf import PdfReader
from reportlab.pdfgen import canvas
from sqlalchemy import select

from app.consent.form_files import sync_forms
from app.consent.models import ConsentForm, Decision, PaperCode, PaperReturn
from app.consent.purposes import purposes_of
from app.consent.vocabulary import Means
from app.extensions import db
from app.school.models import Group, Person
from tests.consent.conftest import form_text


def pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def printed_codes(app, text: str) -> set[str]:
    with app.app_context():
        codes = db.session.scalars(select(PaperCode.code)).all()
    return {code for code in codes if f"{code[:4]}-{code[4:]}" in text}


def a_scan_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "signed")
    page.save()
    return buffer.getvalue()


def code_of(app, person_id: int) -> str:
    with app.app_context():
        code = db.session.scalar(select(PaperCode.code).where(PaperCode.subject_id == person_id))
        assert code is not None
        return f"{code[:4]}-{code[4:]}"


def test_one_childs_letter_names_the_child_group_purposes_and_code(app, client, world, published_form, login_as):
    login_as("admin")
    response = client.get(f"/consent/paper-forms?person_id={world['sem']}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert "Sem" not in disposition and "Vries" not in disposition
    reader, text = pdf_text(response.data)
    assert "Sem de Vries" in text
    assert "5b" in text and "St. Jozefschool" in text
    assert "ouders of verzorgers" in text  # Dutch by default
    with app.app_context():
        form = db.session.scalars(select(ConsentForm)).one()
        labels = [p.label("nl") for p in purposes_of(form)]
    assert labels and all(label in text for label in labels)
    assert code_of(app, world["sem"]) in text
    metadata = reader.metadata or {}
    assert all("Sem" not in str(value) and "Vries" not in str(value) for value in metadata.values())
    # A reprint carries the same code.
    _reader, again = pdf_text(client.get(f"/consent/paper-forms?person_id={world['sem']}").data)
    assert code_of(app, world["sem"]) in again


def test_a_family_whose_account_is_in_english_gets_an_english_letter(app, client, world, published_form, login_as):
    with app.app_context():
        from app.accounts.models import User

        db.session.scalars(select(User).where(User.email == "parent2@example.org")).one().locale = "en"
        db.session.commit()
    login_as("admin")
    _reader, text = pdf_text(client.get(f"/consent/paper-forms?person_id={world['noah']}").data)
    assert "parents or guardians of Noah Jansen" in text and "Tick yes or no" in text


def test_the_group_pdf_has_one_letter_per_child_without_email(app, client, world, published_form, login_as):
    login_as("admin")
    response = client.get(f"/consent/paper-forms?group_id={world['5b']}&without_email=1")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="toestemming-groep-5b.pdf"'
    _reader, text = pdf_text(response.data)
    with app.app_context():
        pupils = db.session.get(Group, world["5b"]).pupils
        unreachable = [p.full_name for p in pupils if p.id not in (world["sem"], world["noah"])]
    assert len(unreachable) == 6
    assert all(name in text for name in unreachable)
    assert "Sem de Vries" not in text and "Noah Jansen" not in text  # a guardian has an e-mail address
    assert len(printed_codes(app, text)) == len(unreachable) == text.count("Code van dit formulier")
    # Without the filter, everyone in the group.
    _reader, everyone = pdf_text(client.get(f"/consent/paper-forms?group_id={world['5b']}").data)
    assert len(printed_codes(app, everyone)) == 8


def test_only_admins_print(client, world, published_form, login_as):
    login_as("teacher")
    assert client.get(f"/consent/paper-forms?group_id={world['5b']}").status_code in (403, 404)


def _enter(client, world, code: str, *, child: str = "sem", scan: tuple[bytes, str] | None = None, **answers):
    data = {"code": code, "decided_by": world["parent"], "signed_on": "2026-09-01", **answers}
    if scan is not None:
        data["scan"] = (io.BytesIO(scan[0]), scan[1])
    return client.submit(f"/consent/{world[child]}/paper", data, content_type="multipart/form-data")


def _purpose(app) -> str:
    with app.app_context():
        return purposes_of(db.session.scalars(select(ConsentForm).order_by(ConsentForm.version)).first())[0].key


def test_a_paper_entered_by_its_code_records_paper_decisions_with_the_scan(
    app, client, world, published_form, login_as
):
    login_as("admin")
    client.get(f"/consent/paper-forms?person_id={world['sem']}")
    code = code_of(app, world["sem"])
    # Typed in lower case with look-alikes, or opened from the QR code: the child's paper page.
    typed = code.lower().replace("0", "o").replace("1", "l")
    opened = client.get(f"/consent/paper-codes?code={typed}")
    assert opened.status_code == 302
    assert opened.headers["Location"].startswith(f"/consent/{world['sem']}/paper?code=")
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Sem de Vries" in page and code in page

    purpose = _purpose(app)
    scan = a_scan_pdf()
    response = _enter(client, world, code, scan=(scan, "scan.pdf"), **{f"photo__{purpose}": "grant"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        decision = db.session.scalars(select(Decision)).one()
        assert (decision.means, decision.purpose, decision.decided_by_id) == (Means.PAPER, purpose, world["parent"])
        paper = db.session.scalars(select(PaperReturn)).one()
        assert paper.scan_mime == "application/pdf" and [d.id for d in paper.decisions] == [decision.id]
        paper_id = paper.id

    history = client.get(f"/consent/{world['sem']}/history").get_data(as_text=True)
    assert f"/consent/paper-returns/{paper_id}/scan" in history
    download = client.get(f"/consent/paper-returns/{paper_id}/scan")
    assert download.status_code == 200 and download.data == scan
    assert download.mimetype == "application/pdf" and "Sem" not in download.headers["Content-Disposition"]

    client.post("/sign-out", data={"csrf_token": client.csrf_token()})
    login_as("parent")
    history = client.get(f"/consent/{world['sem']}/history").get_data(as_text=True)
    assert "paper-returns" not in history
    assert client.get(f"/consent/paper-returns/{paper_id}/scan").status_code in (403, 404)


def test_a_picture_scan_is_stored_as_a_clean_jpeg(app, client, world, published_form, login_as):
    from PIL import Image

    login_as("admin")
    client.get(f"/consent/paper-forms?person_id={world['sem']}")
    picture = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(picture, "PNG")
    response = _enter(
        client,
        world,
        code_of(app, world["sem"]),
        scan=(picture.getvalue(), "x.pdf"),
        **{f"film__{_purpose(app)}": "refuse"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(PaperReturn.scan_mime)).one() == "image/jpeg"


def nothing_recorded(app) -> bool:
    with app.app_context():
        return not db.session.scalars(select(Decision)).all() and not db.session.scalars(select(PaperReturn)).all()


def test_a_scan_that_is_not_a_pdf_or_picture_is_refused(app, client, world, published_form, login_as):
    login_as("admin")
    client.get(f"/consent/paper-forms?person_id={world['sem']}")
    code = code_of(app, world["sem"])
    purpose = _purpose(app)
    response = _enter(
        client, world, code, scan=(b"PK\x03\x04 a zip, not a scan", "scan.pdf"), **{f"photo__{purpose}": "grant"}
    )
    assert response.status_code == 415
    assert "stuur de scan als pdf of als afbeelding" in response.get_data(as_text=True).lower()
    broken = _enter(
        client, world, code, scan=(b"%PDF-1.7\n1 0 obj garbage", "scan.pdf"), **{f"photo__{purpose}": "grant"}
    )
    assert broken.status_code == 422
    assert nothing_recorded(app)


def test_a_code_of_another_child_is_refused(app, client, world, published_form, login_as):
    login_as("admin")
    client.get(f"/consent/paper-forms?person_id={world['noah']}")
    response = _enter(client, world, code_of(app, world["noah"]), **{f"photo__{_purpose(app)}": "grant"})
    assert response.status_code == 409
    assert "someone else" in response.get_data(as_text=True) or "iemand anders" in response.get_data(as_text=True)
    assert nothing_recorded(app)


def test_a_code_of_an_older_form_version_is_refused(app, client, world, published_form, login_as):
    login_as("admin")
    client.get(f"/consent/paper-forms?person_id={world['sem']}")
    code = code_of(app, world["sem"])
    with app.app_context():
        year = db.session.scalars(select(ConsentForm)).one().school_year
        (published_form / "beeldgebruik-v2.toml").write_text(form_text(year, version=2), encoding="utf-8")
        assert not sync_forms(published_form).problems
        db.session.commit()
    response = _enter(client, world, code, **{f"photo__{_purpose(app)}": "grant"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "versie 1" in page and "versie 2" in page and "nieuw" in page
    assert nothing_recorded(app)


def test_a_mistyped_code_is_refused_with_a_clear_message(client, world, published_form, login_as):
    login_as("admin")
    unknown = client.get("/consent/paper-codes?code=ZZZZ-ZZZZ")
    assert unknown.status_code == 404 and "ZZZZ-ZZZZ" in unknown.get_data(as_text=True)
    malformed = client.get("/consent/paper-codes?code=K7QP-4XM")
    assert malformed.status_code == 422
    on_page = _enter(client, world, "ZZZZ-ZZZZ", **{"photo__website": "grant"})
    assert on_page.status_code == 404


def test_erasing_a_child_removes_their_papers_and_scans(app, client, world, published_form, login_as):
    from app.accounts.models import User
    from app.media.ingest import media_storage
    from app.privacy.erasure import erase_person

    login_as("admin")
    client.get(f"/consent/paper-forms?person_id={world['sem']}")
    assert (
        _enter(
            client,
            world,
            code_of(app, world["sem"]),
            scan=(a_scan_pdf(), "s.pdf"),
            **{f"photo__{_purpose(app)}": "grant"},
        ).status_code
        == 302
    )
    with app.app_context():
        key = db.session.scalars(select(PaperReturn.scan_key)).one()
        assert media_storage().exists(key)
        admin = db.session.scalars(select(User).where(User.email == "admin@example.org")).one()
        erase_person(db.session.get(Person, world["sem"]), by=admin, reason="request")
        db.session.commit()
        assert not db.session.scalars(select(PaperReturn)).all() and not db.session.scalars(select(PaperCode)).all()
        assert not media_storage().exists(key)


def test_a_group_whose_families_can_all_be_mailed_has_no_paper_to_print(app, client, world, published_form, login_as):
    """Said on the campaigns page (it led to a page that does not exist: a 500)."""
    from tests.factories import GroupFactory, GuardianFactory, GuardianshipFactory, PupilFactory

    with app.app_context():
        group = GroupFactory(name="7c")
        GuardianshipFactory(guardian=GuardianFactory(email="mailable@example.org"), pupil=PupilFactory(group=group))
        db.session.commit()
        group_id = group.id
    login_as("admin")
    response = client.get(f"/consent/paper-forms?group_id={group_id}&without_email=1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent/campaigns")
    assert "7c" in client.get("/consent/campaigns").get_data(as_text=True)
