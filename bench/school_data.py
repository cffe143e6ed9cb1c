"""Shared by the benchmarks: a school of 5,000 pupils (two guardians each, groups of 30) with a
published consent form, and random decision histories added in bulk."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PUPILS = 5000
GROUP_SIZE = 30


@dataclass
class School:
    pupils: list[int]
    guardians: list[int]  # guardians[2 * i] and guardians[2 * i + 1] belong to pupils[i]
    groups: list[Any]
    form_id: int


def build_school(folder: Path, pupils_wanted: int = PUPILS) -> School:
    """``pupils_wanted`` pupils (5,000 by default) in groups of 30, the last one possibly smaller."""
    from sqlalchemy import insert, select

    from app.consent.form_files import sync_forms
    from app.consent.models import ConsentForm
    from app.extensions import db
    from app.school.calendar import school_year_of
    from app.school.models import Group, Guardianship, Location, Person, PersonKind, SchoolYear, group_pupil
    from app.timestamps import school_today

    name, starts, ends = school_year_of(school_today())
    year = SchoolYear(name=name, starts_on=starts, ends_on=ends)
    location = Location(name="St. Jozefschool")
    db.session.add_all([year, location])
    db.session.flush()
    groups = [Group(name=f"g{n}", location=location, school_year=year) for n in range(-(-pupils_wanted // GROUP_SIZE))]
    db.session.add_all(groups)
    db.session.flush()
    born = date.today() - timedelta(days=9 * 365)
    pupils = list(
        db.session.execute(
            insert(Person).returning(Person.id),
            [
                {"kind": PersonKind.PUPIL, "first_name": "K", "last_name": f"L{n}", "date_of_birth": born}
                for n in range(pupils_wanted)
            ],
        ).scalars()
    )
    guardians = list(
        db.session.execute(
            insert(Person).returning(Person.id),
            [{"kind": PersonKind.GUARDIAN, "first_name": "O", "last_name": f"L{n}"} for n in range(pupils_wanted * 2)],
        ).scalars()
    )
    db.session.execute(
        insert(Guardianship),
        [
            {"guardian_id": guardians[2 * i + k], "pupil_id": p, "has_parental_authority": True}
            for i, p in enumerate(pupils)
            for k in (0, 1)
        ],
    )
    db.session.execute(
        insert(group_pupil), [{"group_id": groups[i // GROUP_SIZE].id, "person_id": p} for i, p in enumerate(pupils)]
    )
    forms = folder / "forms"
    forms.mkdir()
    shipped = Path(__file__).resolve().parents[1] / "consent_forms" / "beeldgebruik-2026-2027-v1.toml"
    (forms / "f.toml").write_text(shipped.read_text().replace('school_year = "2026-2027"', f'school_year = "{name}"'))
    sync_forms(forms)
    db.session.commit()
    return School(pupils, guardians, groups, int(db.session.scalar(select(ConsentForm.id))))


def add_decisions(school: School, start: int, stop: int, rng: random.Random, at: Any, choose: Any = None) -> None:
    """Decisions number ``start`` to ``stop`` (older the higher the number), by a random guardian
    of ``choose()`` (default: any pupil), about a random media type and purpose."""
    from sqlalchemy import insert

    from app.consent.models import Decision
    from app.consent.vocabulary import MediaType
    from app.extensions import db
    from tests.forms import FORM_PURPOSES as PURPOSES

    choose = choose or (lambda: rng.randrange(PUPILS))
    batch: list[dict[str, Any]] = []
    for n in range(start, stop):
        i = choose()
        batch.append(
            {
                "subject_id": school.pupils[i],
                "media_type": rng.choice(list(MediaType)),
                "purpose": rng.choice(PURPOSES),
                "action": rng.choice(["grant", "refuse", "withdraw"]),
                "decided_by_id": school.guardians[2 * i + rng.randrange(2)],
                "means": "web",
                "form_id": school.form_id,
                "decided_at": at - timedelta(minutes=n + 1),
                "recorded_at": at,
            }
        )
        if len(batch) == 20000:
            db.session.execute(insert(Decision), batch)
            batch = []
    if batch:
        db.session.execute(insert(Decision), batch)
    db.session.commit()
