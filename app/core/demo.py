"""``flask demo load``: a small school to try Beeldrecht with (development only)."""

from __future__ import annotations

import contextlib
import random
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password
from app.audit.log import record
from app.extensions import db
from app.school.calendar import school_year_of
from app.school.models import Group, Guardianship, Location, Person, PersonKind, SchoolYear
from app.timestamps import school_today

demo_cli = AppGroup("demo", help="Demo data for development.")

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the documented demo password
FIRST_NAMES = [
    "Sem",
    "Emma",
    "Noah",
    "Julia",
    "Liam",
    "Mila",
    "Luuk",
    "Tess",
    "Daan",
    "Sophie",
    "Finn",
    "Zoë",
    "Levi",
    "Nora",
    "Bram",
    "Saar",
    "Jesse",
    "Evi",
    "Mees",
    "Lotte",
    "Thijs",
    "Fenna",
    "Ravi",
    "Yara",
    "Adam",
    "Amira",
    "Milan",
    "Lina",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "El Amrani",
    "Yilmaz",
]
ACCOUNTS = [
    ("admin@example.org", {Role.ADMIN}, "school administrator"),
    ("comms@example.org", {Role.COMMUNICATIONS}, "communications"),
    ("leader@example.org", {Role.LEADERSHIP}, "school leadership"),
    ("teacher@example.org", {Role.TEACHER}, "teacher of group 5b"),
    ("parent@example.org", {Role.PARENT}, "parent of Sem (5b) and Emma (3a)"),
    ("parent2@example.org", {Role.PARENT}, "parent of Noah (5b)"),
]


def _pupil(first: str, last: str, age: int, number: int, today: date) -> Person:
    born = date(today.year - age, 1 + number % 12, 1 + number % 28)
    return Person(
        kind=PersonKind.PUPIL, first_name=first, last_name=last, date_of_birth=born, external_id=f"DEMO{number:04d}"
    )


def _account(email: str, roles: set[Role], person: Person | None) -> User:
    user = User(email=email, password_hash=hash_password(DEMO_PASSWORD), person=person, locale="nl")
    user.set_roles(roles)
    db.session.add(user)
    return user


def load_demo_data(today: date | None = None) -> None:
    today = today or school_today()
    rng = random.Random(5)
    jozef = Location(name="St. Jozefschool", address="Kerkstraat 1")
    pontonnier = Location(name="De Pontonnier", address="Havenweg 12")
    name, starts, ends = school_year_of(today)
    year = SchoolYear(name=name, starts_on=starts, ends_on=ends)
    g5b = Group(name="5b", location=jozef, school_year=year)
    g3a = Group(name="3a", location=pontonnier, school_year=year)
    db.session.add_all([jozef, pontonnier, year, g5b, g3a])

    teacher = Person(kind=PersonKind.STAFF, first_name="Marieke", last_name="Hoekstra", email="teacher@example.org")
    comms = Person(kind=PersonKind.STAFF, first_name="Jeroen", last_name="Kok", email="comms@example.org")
    admin = Person(kind=PersonKind.STAFF, first_name="Annelies", last_name="Schouten", email="admin@example.org")
    leader = Person(kind=PersonKind.STAFF, first_name="Wim", last_name="Verhoeven", email="leader@example.org")
    volunteer = Person(kind=PersonKind.VOLUNTEER, first_name="Gerda", last_name="Post")
    g5b.teachers.append(teacher)

    sem = _pupil("Sem", "de Vries", 8, 1, today)
    emma = _pupil("Emma", "de Vries", 6, 2, today)
    noah = _pupil("Noah", "Jansen", 8, 3, today)
    parent = Person(kind=PersonKind.GUARDIAN, first_name="Karin", last_name="de Vries", email="parent@example.org")
    co_parent = Person(kind=PersonKind.GUARDIAN, first_name="Mark", last_name="de Vries")
    parent2 = Person(kind=PersonKind.GUARDIAN, first_name="Ahmed", last_name="Jansen", email="parent2@example.org")
    g5b.pupils.extend([sem, noah])
    g3a.pupils.append(emma)
    db.session.add_all([teacher, comms, admin, leader, volunteer, parent, co_parent, parent2])
    for child in (sem, emma):
        db.session.add(Guardianship(guardian=parent, pupil=child, has_parental_authority=True))
        db.session.add(Guardianship(guardian=co_parent, pupil=child, has_parental_authority=True))
    db.session.add(Guardianship(guardian=parent2, pupil=noah, has_parental_authority=True))

    number = 10
    for group, age, size in ((g5b, 8, 22), (g3a, 6, 18)):
        for _ in range(size):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            pupil = _pupil(first, last, age, number, today)
            guardian = Person(kind=PersonKind.GUARDIAN, first_name=rng.choice(FIRST_NAMES), last_name=last)
            group.pupils.append(pupil)
            db.session.add(Guardianship(guardian=guardian, pupil=pupil))
            number += 1

    people = {
        "admin@example.org": admin,
        "comms@example.org": comms,
        "leader@example.org": leader,
        "teacher@example.org": teacher,
        "parent@example.org": parent,
        "parent2@example.org": parent2,
    }
    accounts = {email: _account(email, roles, people[email]) for email, roles, _label in ACCOUNTS}
    db.session.flush()
    if _demo_decisions(rng, noah, parent2, [p for g in (g5b, g3a) for p in g.pupils if p not in (sem, emma, noah)]):
        _demo_proposal(g5b, [noah, *g5b.pupils[2:4]], accounts["teacher@example.org"], accounts["comms@example.org"])
    record("demo.loaded", persons=db.session.scalar(select(func.count(Person.id))))


def _demo_decisions(rng: random.Random, noah: Person, parent2: Person, others: list[Person]) -> bool:
    """When a consent form is in force: Noah's parent has answered everything, and about half of
    the other families some of it. Sem and Emma are left for the demo parent to answer."""
    from app.consent.operations import decide
    from app.consent.queries import active_form
    from app.consent.vocabulary import Means

    form = active_form(school_today())
    if form is None:
        return False
    private = {"parent_portal", "newsletter"}
    for media in form.media_types:
        for purpose in form.purposes:
            action = "grant" if purpose in private or purpose == "website" else "refuse"
            decide(noah, media, purpose, action, decided_by=parent2, recorded_by=None, means=Means.WEB)
    for pupil in others[::2]:
        guardian = pupil.guardianships[0].guardian
        for media in form.media_types:
            for purpose in form.purposes:
                if rng.random() < 0.8:
                    action = "grant" if rng.random() < 0.75 else "refuse"
                    decide(pupil, media, purpose, action, decided_by=guardian, recorded_by=None, means=Means.PAPER)
    return True


def _demo_proposal(group: Group, shown: list[Person], teacher: User, comms: User) -> None:
    """One item for the leadership to look at: a sports-day photo of Noah and two classmates that
    communications tried to send to Instagram (refused: Noah's parent said no to social media), after
    which communications proposed to take Noah's tag off "because he is only seen from behind"."""
    import io

    from PIL import Image, ImageDraw

    from app.media.ingest import ingest_upload
    from app.media.operations import TagSpec, album_for, set_tags
    from app.release.approvals import change_tags
    from app.release.exports import ExportBlocked, export_media

    picture = Image.new("RGB", (1600, 1067), (96, 160, 72))
    draw = ImageDraw.Draw(picture)
    for n, x in enumerate((250, 700, 1150)):
        draw.ellipse((x, 300, x + 200, 500), fill=(230 - n * 40, 190, 150))
        draw.rectangle((x - 20, 500, x + 220, 950), fill=(40 + n * 70, 60, 160))
    data = io.BytesIO()
    picture.save(data, format="JPEG", quality=85)
    data.seek(0)
    album = album_for(group, "Sportdag", school_today())
    item = ingest_upload(data, album=album, uploaded_by=teacher).item
    set_tags(item, [TagSpec(p.id) for p in shown], complete=True, by=teacher)
    with contextlib.suppress(ExportBlocked):  # expected: the refusal (naming Noah) is the item's history
        export_media("instagram", [item.id], by=comms)
    reason = "Noah staat er alleen op de rug op; niet herkenbaar."
    change_tags(item, [TagSpec(p.id) for p in shown[1:]], complete=True, by=comms, reason=reason)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds people.")
def load_command(if_empty: bool) -> None:
    """Load the demo school and print the demo sign-ins."""
    if not current_app.config.get("DEMO_DATA"):
        raise click.ClickException("Demo data is for development only (BEELDRECHT_ENV=development).")
    has_data = db.session.scalar(select(func.count(Person.id))) or db.session.scalar(select(func.count(User.id)))
    if has_data:
        if if_empty:
            click.echo("The database already holds data; demo data not loaded.")
        else:
            raise click.ClickException("The database already holds data; demo data is only loaded into an empty one.")
    else:
        load_demo_data()
        db.session.commit()
        click.echo("Demo data loaded.")
    print_logins()


def print_logins() -> None:
    click.echo("")
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for email, _roles, label in ACCOUNTS:
        click.echo(f"  {email:<22} {label}")
    click.echo("")
