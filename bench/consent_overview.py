"""Benchmark: the consent overview of one group (30 pupils x 3 media types x 6 purposes)
against a database with 5,000 pupils and 10k, 100k and 1M decision events.

For each history size it reports the median time of ``consent_for`` for the group with the
database's clock read first, as the page does (three queries: "now", the subjects, and only the
latest decision per decider, from the decision_latest table), and, as the baseline measured in
the same run, the median time of reading the group's pupils alone (one indexed query). Machines
are shared and noisy: read the ratios. The overview still grows until every pupil's keys have a
decision of each guardian (the rows it reads grow up to 30 x 18 x 2), not with the history.

    python bench/consent_overview.py [--sizes 10000,100000,1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from school_data import PUPILS, add_decisions, build_school

REPEATS = 15  # rounds; each times both sides, one after the other (shared machines are noisy)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from flask_migrate import upgrade
    from sqlalchemy import event, select, text

    from app import create_app
    from app.consent.operations import rebuild_latest_decisions
    from app.consent.queries import consent_for, now
    from app.consent.vocabulary import MediaType
    from app.extensions import db
    from app.school.models import group_pupil
    from tests.forms import FORM_PURPOSES as PURPOSES

    folder = Path(tempfile.mkdtemp(prefix="bench-consent-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(3)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        school = build_school(folder)
        groups = school.groups
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
            add_decisions(school, have, size, rng, moment.at)
            have = size
            rebuild_latest_decisions()  # written in bulk past decide_answers, filled as the migration does
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
            base_times, over_times = _interleaved(baseline, overview)
            base, over = statistics.median(base_times), statistics.median(over_times)
            print(f"{size:>10}{base * 1000:>14.2f}{over * 1000:>14.2f}{over / base:>8.1f}{len(statements):>9}")
        db.engine.dispose()


def _interleaved(first, second) -> tuple[list[float], list[float]]:
    """Both actions timed in turns, so a burst of load elsewhere hits both sides of the ratio."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(REPEATS):
        for action, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            action()
            out.append(time.perf_counter() - start)
    return times


if __name__ == "__main__":
    main()
