"""The CSV import, through the CLI and the admin page: good files in every dialect Dutch
schools export, and every bad file answered with line numbers and nothing changed."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.school.models import Group, Guardianship, Person, PersonKind

HEADER = "external_id;first_name;last_name;date_of_birth;group;location;guardian1_first_name;guardian1_last_name;guardian1_email"
GOOD_ROWS = [
    "2001;Daniël;van Dijk;03-04-2017;5b;St. Jozefschool;Ans;van Dijk;ans@example.org",
    "2002;Zoë;Bakker;2017-09-12;6a;De Pontonnier;Piet;Bakker;piet@example.org",
    "2003;Fenna;Bakker;1-2-2016;6a;De Pontonnier;Piet;Bakker;PIET@example.org",
]


def csv_bytes(*rows: str, header: str = HEADER, sep: str = ";", encoding: str = "utf-8") -> bytes:
    text = "\r\n".join([header, *rows]).replace(";", sep) + "\r\n"
    return text.encode(encoding)


def snapshot(app) -> tuple:
    with app.app_context():
        persons = db.session.execute(
            select(Person.id, Person.first_name, Person.last_name, Person.date_of_birth, Person.updated_at).order_by(
                Person.id
            )
        ).all()
        links = db.session.execute(
            select(Guardianship.guardian_id, Guardianship.pupil_id).order_by(Guardianship.id)
        ).all()
        groups = db.session.scalar(select(func.count(Group.id)))
        return persons, links, groups


def run_import(runner, tmp_path, data: bytes, *args: str):
    path = tmp_path / "leerlingen.csv"
    path.write_bytes(data)
    return runner.invoke(args=["people", "import", str(path), *args])


def test_import_creates_pupils_guardians_groups_and_is_idempotent(runner, world, app, tmp_path):
    result = run_import(runner, tmp_path, csv_bytes(*GOOD_ROWS))
    assert result.exit_code == 0, result.output
    assert "3 pupils were created" in result.output
    assert "2 guardians were created" in result.output  # Piet is one guardian of two children
    assert "1 groups were created" in result.output
    with app.app_context():
        daniel = db.session.scalar(select(Person).where(Person.external_id == "2001"))
        assert daniel.first_name == "Daniël" and [g.name for g in daniel.pupil_groups] == ["5b"]
        piet = db.session.scalar(select(Person).where(Person.email == "piet@example.org"))
        assert piet.kind == PersonKind.GUARDIAN and len(piet.wards) == 2
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "people.imported")).one()
        assert audit.details["created"] == 3 and audit.details["via"] == "cli"
        assert "Daniël" not in str(audit.details)
    before = snapshot(app)
    again = run_import(runner, tmp_path, csv_bytes(*GOOD_ROWS))
    assert again.exit_code == 0
    assert "0 pupils were created, 0 updated, 3 unchanged" in again.output
    assert snapshot(app) == before


def test_semicolon_utf8_with_bom_and_dutch_headers(runner, world, app, tmp_path):
    header = "Leerlingnummer;Roepnaam;Tussenvoegsel;Achternaam;Geboortedatum;Groep"
    data = "\ufeff".encode() + csv_bytes("3001;Sem;de;Boer;14-03-2018;5b", header=header)
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Person.last_name).where(Person.external_id == "3001")) == "de Boer"


def test_comma_separated_windows_1252(runner, world, app, tmp_path):
    data = csv_bytes("4001;Zoë;Daniëls;2016-05-06;5b;;;;", sep=",", encoding="cp1252")
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    with app.app_context():
        pupil = db.session.scalar(select(Person).where(Person.external_id == "4001"))
        assert (pupil.first_name, pupil.last_name) == ("Zoë", "Daniëls")


def test_dry_run_writes_nothing(runner, world, app, tmp_path):
    before = snapshot(app)
    result = run_import(runner, tmp_path, csv_bytes(*GOOD_ROWS), "--dry-run")
    assert result.exit_code == 0
    assert "3 pupils would be created" in result.output and "nothing was written" in result.output
    assert snapshot(app) == before


def test_changed_pupil_is_updated_and_moved(runner, world, app, tmp_path):
    run_import(runner, tmp_path, csv_bytes(*GOOD_ROWS))
    changed = "2001;Daniël;van Dijk-Smit;03-04-2017;3a;De Pontonnier;Ans;van Dijk;ans@example.org"
    result = run_import(runner, tmp_path, csv_bytes(changed, *GOOD_ROWS[1:]))
    assert result.exit_code == 0, result.output
    assert "0 pupils were created, 1 updated, 2 unchanged" in result.output
    with app.app_context():
        daniel = db.session.scalar(select(Person).where(Person.external_id == "2001"))
        assert daniel.last_name == "van Dijk-Smit" and [g.name for g in daniel.pupil_groups] == ["3a"]


BAD_FILES = [
    (
        "missing required column",
        csv_bytes("1;A;B;01-01-2017", header="external_id;first_name;last_name;date_of_birth"),
        "line 1",
        "required column 'group'",
    ),
    (
        "unknown column",
        csv_bytes("1;A;B;01-01-2017;5b;x", header="external_id;first_name;last_name;date_of_birth;group;shoe_size"),
        "line 1",
        "unknown column 'shoe_size'",
    ),
    ("bad date", csv_bytes("5001;A;B;31-02-2017;5b;;;;"), "line 2", "not a date"),
    ("future date", csv_bytes("5001;A;B;01-01-2099;5b;;;;"), "line 2", "in the future"),
    ("pupil without group", csv_bytes("5001;A;B;01-01-2017;;;;;"), "line 2", "no group"),
    ("invalid guardian email", csv_bytes("5001;A;B;01-01-2017;5b;;C;D;not-an-email"), "line 2", "not valid"),
    ("guardian without email", csv_bytes("5001;A;B;01-01-2017;5b;;C;D;"), "line 2", "no email"),
    (
        "same external id twice",
        csv_bytes("5001;A;B;01-01-2017;5b;;;;", "5001;E;F;01-01-2017;5b;;;;"),
        "line 3",
        "also appears on line 2",
    ),
    ("too many fields", csv_bytes("5001;A;B;01-01-2017;5b;;;;;extra"), "line 2", "too many fields"),
    ("too few fields", csv_bytes("5001;A;B;01-01-2017"), "line 2", "too few fields"),
    ("unknown location", csv_bytes("5001;A;B;01-01-2017;7c;Nowhere;;;"), "line 2", "unknown location"),
    ("new group without location", csv_bytes("5001;A;B;01-01-2017;7c;;;;"), "line 2", "location column"),
]


@pytest.mark.parametrize(("case", "data", "where", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_rows_are_reported_and_nothing_changes(runner, world, app, tmp_path, case, data, where, message):
    good_first = (
        data.replace(b"\r\n", b"\r\n" + GOOD_ROWS[0].encode() + b"\r\n", 1)
        if case not in ("missing required column", "unknown column", "same external id twice")
        else data
    )
    before = snapshot(app)
    result = run_import(runner, tmp_path, good_first)
    assert result.exit_code == 1, result.output
    assert "nothing was imported" in result.output
    expected_line = where if good_first is data else f"line {int(where.split()[1]) + 1}"
    assert any(expected_line in line and message in line for line in result.output.splitlines()), result.output
    assert snapshot(app) == before


def test_every_wrong_row_is_reported_at_once(runner, world, tmp_path):
    data = csv_bytes(
        "6001;A;B;99-99-2017;5b;;;;", GOOD_ROWS[0], "6003;C;D;01-01-2017;;;;;", "6004;E;F;01-01-2017;5b;;G;H;bad@"
    )
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 1
    for line in ("line 2", "line 4", "line 5"):
        assert line in result.output
    assert "line 3" not in result.output


@pytest.mark.parametrize(
    ("case", "data", "message"),
    [
        ("empty file", b"", "empty"),
        ("only whitespace", b"  \r\n \r\n", "empty"),
        ("header only", HEADER.encode() + b"\r\n", "no rows"),
        ("binary file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    ],
)
def test_unreadable_files_are_refused(runner, world, app, tmp_path, case, data, message):
    before = snapshot(app)
    result = run_import(runner, tmp_path, data)
    assert result.exit_code != 0
    assert message in result.output
    assert snapshot(app) == before


def test_progress_bar_for_large_files(runner, world, tmp_path):
    rows = [f"{7000 + n};Kind{n};Achternaam;01-01-2017;5b;;;;" for n in range(600)]
    result = run_import(runner, tmp_path, csv_bytes(*rows))
    assert result.exit_code == 0, result.output
    assert "600 pupils were created" in result.output


# --- Through the admin page ---------------------------------------------------------------


def upload(client, data: bytes, button: str = "submit"):
    return client.post(
        "/admin/import",
        data={"csrf_token": client.csrf_token(), "file": (io.BytesIO(data), "leerlingen.csv"), button: "x"},
        content_type="multipart/form-data",
    )


def test_admin_checks_then_imports_through_the_page(client, login_as, app):
    login_as("admin")
    before = snapshot(app)
    checked = upload(client, csv_bytes(*GOOD_ROWS), button="check")
    assert checked.status_code == 200
    assert 'id="import-summary"' in checked.get_data(as_text=True)
    assert snapshot(app) == before
    done = upload(client, csv_bytes(*GOOD_ROWS))
    assert done.status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(Person.id)).where(Person.external_id.in_(["2001", "2002", "2003"])))
            == 3
        )
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "people.imported")).one()
        assert audit.details["via"] == "web"


def test_page_lists_wrong_rows_with_400_and_changes_nothing(client, login_as, app):
    login_as("admin")
    before = snapshot(app)
    response = upload(client, csv_bytes(GOOD_ROWS[0], "5001;A;B;31-02-2017;5b;;;;"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="import-errors"' in page and "<td>3</td>" in page
    assert "geboortedatum &#39;31-02-2017&#39; is geen datum" in page  # in the page's language
    assert snapshot(app) == before


def test_page_refuses_binary_missing_and_oversized_files(client, login_as, app):
    login_as("admin")
    assert upload(client, b"\x00\x01\x02binary").status_code == 400
    missing = client.post(
        "/admin/import", data={"csrf_token": client.csrf_token(), "submit": "x"}, content_type="multipart/form-data"
    )
    assert missing.status_code == 400
    big = upload(client, b"a;b\r\n" * (1024 * 1024 + 10))
    assert big.status_code in (400, 413)


def test_upload_without_csrf_token_is_refused(client, login_as, app):
    login_as("admin")
    before = snapshot(app)
    response = client.post(
        "/admin/import",
        data={"file": (io.BytesIO(csv_bytes(*GOOD_ROWS)), "x.csv"), "submit": "x"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert snapshot(app) == before


@pytest.mark.parametrize("who", ["parent", "teacher", "comms"])
def test_only_admins_import(client, login_as, who):
    login_as(who)
    assert client.get("/admin/import").status_code == 404
