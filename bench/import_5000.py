"""Benchmark: importing a 5,000-row CSV export (pupils, groups, two guardians each).

Measures, in one run on a fresh SQLite database in a temporary folder:

* baseline: reading the same file with the csv module alone (the floor for any import);
* check: parsing and validating every row and planning against the database (a dry run);
* first import: the real code path, writing everything;
* second import: the same file again (idempotent: nothing changes).

Prints the median of several runs of each and the ratio to the baseline. The machines are
shared and noisy: read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import csv
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = 5000
REPEATS = 5
FIRST = ["Sem", "Emma", "Noah", "Julia", "Liam", "Mila", "Luuk", "Tess", "Daan", "Zoë", "Daniël", "Fenna"]
LAST = ["de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder"]
GROUPS = [f"{n}{c}" for n in range(1, 9) for c in "abc"]


def make_csv(rows: int) -> bytes:
    rng = random.Random(2026)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            "leerlingnummer",
            "roepnaam",
            "achternaam",
            "geboortedatum",
            "groep",
            "locatie",
            "ouder1_voornaam",
            "ouder1_achternaam",
            "ouder1_email",
            "ouder2_voornaam",
            "ouder2_achternaam",
            "ouder2_email",
        ]
    )
    for n in range(rows):
        last = rng.choice(LAST)
        writer.writerow(
            [
                f"{100000 + n}",
                rng.choice(FIRST),
                last,
                f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.randint(2013, 2021)}",
                rng.choice(GROUPS),
                rng.choice(["St. Jozefschool", "De Pontonnier"]),
                rng.choice(FIRST),
                last,
                f"ouder{n}a@example.org",
                rng.choice(FIRST),
                last,
                f"ouder{n}b@example.org",
            ]
        )
    return out.getvalue().encode("cp1252")


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.school.calendar import school_year_of
    from app.school.importing import apply_plan, check_file
    from app.school.models import Location, SchoolYear
    from app.timestamps import school_today

    data = make_csv(ROWS)
    print(f"{ROWS} rows, {len(data) / 1024:.0f} KiB, Windows-1252, semicolons")

    baseline = [
        timed(lambda: sum(1 for _ in csv.reader(io.StringIO(data.decode("cp1252")), delimiter=";")))
        for _ in range(REPEATS)
    ]

    checks, firsts, seconds = [], [], []
    for _ in range(REPEATS):
        folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}"})
        with app.app_context():
            upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
            name, starts, ends = school_year_of(school_today())
            db.session.add_all(
                [
                    Location(name="St. Jozefschool"),
                    Location(name="De Pontonnier"),
                    SchoolYear(name=name, starts_on=starts, ends_on=ends),
                ]
            )
            db.session.commit()
            today = school_today()
            checks.append(timed(lambda: check_file(data, today=today)))
            db.session.rollback()

            def run_import() -> None:
                plan = check_file(data, today=today)
                assert not plan.errors, plan.errors[:3]
                apply_plan(plan, via="bench")
                db.session.commit()

            firsts.append(timed(run_import))
            seconds.append(timed(run_import))
            db.engine.dispose()

    base = statistics.median(baseline)
    print(f"{'step':<28}{'median s':>10}{'x baseline':>12}")
    for label, values in (
        ("baseline: csv module only", baseline),
        ("check (dry run)", checks),
        ("first import (writes all)", firsts),
        ("second import (no change)", seconds),
    ):
        median = statistics.median(values)
        print(f"{label:<28}{median:>10.3f}{median / base:>12.1f}")


if __name__ == "__main__":
    main()
