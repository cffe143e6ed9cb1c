"""Benchmark: the consent overview of one group (30 pupils x 3 media types x 6 purposes)
against a database with 5,000 pupils and 10k, 100k and 1M decision events.

For each history size it reports the median time of ``consent_for`` for the group (three
queries, only the latest decision per decider read through ix_decision_lookup), and, as the
baseline measured in the same run, the median time of reading the group's pupils alone
(one indexed query). Machines are shared and noisy: read the ratios.

    python bench/consent_overview.py [--sizes 10000,100000,1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PUPILS = 5000
GROUP_SIZE = 30
REPEATS = 7


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from flask_migrate import upgrade
    from sqlalchemy import event, insert, select, text

    from app import create_app
    from app.consent.form_files import sync_forms
    from app.consent.models import ConsentForm, Decision
    from app.consent.queries import consent_for, now
    from app.consent.vocabulary import PURPOSES, MediaType
    from app.core.demo import current_school_year
    from app.extensions import db
    from app.school.models import Group, Guardianship, Location, Person, PersonKind, SchoolYear, group_pupil
    from app.timestamps import school_today

    folder = Path(tempfile.mkdtemp(prefix="bench-consent-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(3)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        name, starts, ends = current_school_year(school_today())
        year = SchoolYear(name=name, starts_on=starts, ends_on=ends)
        location = Location(name="St. Jozefschool")
        db.session.add_all([year, location])
        db.session.flush()
        groups = [Group(name=f"g{n}", location=location, school_year=year) for n in range(PUPILS // GROUP_SIZE + 1)]
        db.session.add_all(groups)
        db.session.flush()
        born = date.today() - timedelta(days=9 * 365)
        pupils = (
            db.session.execute(
                insert(Person).returning(Person.id),
                [
                    {"kind": PersonKind.PUPIL, "first_name": "K", "last_name": f"L{n}", "date_of_birth": born}
                    for n in range(PUPILS)
                ],
            )
            .scalars()
            .all()
        )
        guardians = (
            db.session.execute(
                insert(Person).returning(Person.id),
                [{"kind": PersonKind.GUARDIAN, "first_name": "O", "last_name": f"L{n}"} for n in range(PUPILS * 2)],
            )
            .scalars()
            .all()
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
            insert(group_pupil),
            [{"group_id": groups[i // GROUP_SIZE].id, "person_id": p} for i, p in enumerate(pupils)],
        )
        forms = folder / "forms"
        forms.mkdir()
        text_ = (Path(__file__).resolve().parents[1] / "consent_forms" / "beeldgebruik-2026-2027-v1.toml").read_text()
        (forms / "f.toml").write_text(text_.replace('school_year = "2026-2027"', f'school_year = "{name}"'))
        sync_forms(forms)
        db.session.commit()
        form_id = db.session.scalar(select(ConsentForm.id))
        target = groups[len(groups) // 2]
        target_pupils = db.session.scalars(
            select(group_pupil.c.person_id).where(group_pupil.c.group_id == target.id)
        ).all()
        keys = [(p, m, u) for p in target_pupils for m in MediaType for u in PURPOSES]
        moment = now()

        print(f"{PUPILS} pupils, group of {len(target_pupils)}: {len(keys)} keys; database {db.engine.dialect.name}")
        print(f"{'events':>10}{'baseline ms':>14}{'overview ms':>14}{'ratio':>8}{'selects':>9}")
        have = 0
        for size in sizes:
            batch = []
            for n in range(have, size):
                i = rng.randrange(PUPILS)
                batch.append(
                    {
                        "subject_id": pupils[i],
                        "media_type": rng.choice(list(MediaType)),
                        "purpose": rng.choice(PURPOSES),
                        "action": rng.choice(["grant", "refuse", "withdraw"]),
                        "decided_by_id": guardians[2 * i + rng.randrange(2)],
                        "means": "web",
                        "form_id": form_id,
                        "decided_at": moment.at - timedelta(minutes=n),
                        "recorded_at": moment.at,
                    }
                )
                if len(batch) == 20000:
                    db.session.execute(insert(Decision), batch)
                    batch = []
            if batch:
                db.session.execute(insert(Decision), batch)
            db.session.commit()
            have = size
            db.session.execute(text("ANALYZE"))
            db.session.commit()

            def baseline() -> None:
                db.session.scalars(select(group_pupil.c.person_id).where(group_pupil.c.group_id == target.id)).all()

            def overview() -> None:
                consent_for(keys, now())

            statements: list[str] = []

            def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
                if statement.lstrip().upper().startswith("SELECT"):
                    statements.append(statement)

            event.listen(db.engine, "before_cursor_execute", count)
            overview()
            event.remove(db.engine, "before_cursor_execute", count)
            base = statistics.median(_times(baseline))
            over = statistics.median(_times(overview))
            print(f"{size:>10}{base * 1000:>14.2f}{over * 1000:>14.2f}{over / base:>8.1f}{len(statements):>9}")
        db.engine.dispose()


def _times(action) -> list[float]:
    out = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        out.append(time.perf_counter() - start)
    return out


if __name__ == "__main__":
    main()
