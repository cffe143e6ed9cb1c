"""Benchmark: the export gate. Clearance of an export of 100 photos, each with 25 tagged pupils of
one group, for the website channel, against a database with 5,000 pupils and 10k, 100k and 1M
decision events, compared in the same run with one hand-written SQL query that makes the same
decision (tags attested, no open face, not quarantined, every tagged pupil granted by a guardian
with parental authority and refused by none, not expired). Both answers are checked to agree.

Prints the median times (the two sides timed in turns), the ratio (goal <= 2x on PostgreSQL, <= 3x
on SQLite), the number of SQL statements of the first call at each size (goal <= 5; the very first
call in a process also reads the form's purpose labels, which are then kept), the gate's CPU time
(robust to load elsewhere; on SQLite it includes the database's work) and the growth from the
smallest to the largest history (goal <= 1.3x).

    python bench/gate.py [--sizes 10000,100000,1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from school_data import add_decisions, build_school

ITEMS = 100
TAGGED = 25
REPEATS = 15  # rounds; each times both sides, one after the other (shared machines are noisy)

HAND_WRITTEN = """
WITH subjects AS (
    SELECT DISTINCT person_id FROM media_tag WHERE media_id IN ({ids})
), latest AS (
    SELECT d.subject_id, d.action, f.valid_until,
           ROW_NUMBER() OVER (PARTITION BY d.subject_id, d.decided_by_id
                              ORDER BY d.decided_at DESC, d.id DESC) AS rn
    FROM decision d
    JOIN consent_form f ON f.id = d.form_id
    JOIN guardianship g ON g.pupil_id = d.subject_id AND g.guardian_id = d.decided_by_id
                       AND g.has_parental_authority
    WHERE d.subject_id IN (SELECT person_id FROM subjects)
      AND d.media_type = 'photo' AND d.purpose = :purpose AND d.decided_at <= :now
), verdict AS (
    SELECT subject_id,
           SUM(CASE WHEN action = 'grant' THEN 1 ELSE 0 END) AS grants,
           SUM(CASE WHEN action <> 'grant' THEN 1 ELSE 0 END) AS refusals
    FROM latest
    WHERE rn = 1 AND (valid_until IS NULL OR valid_until >= :today)
    GROUP BY subject_id
)
SELECT m.id,
       CASE WHEN m.tags_complete
             AND NOT EXISTS (SELECT 1 FROM media_face x WHERE x.media_id = m.id
                             AND x.person_id IS NULL AND x.dismissed_reason IS NULL)
             AND NOT EXISTS (SELECT 1 FROM media_quarantine q WHERE q.media_id = m.id
                             AND q.purpose = :purpose AND q.lifted_at IS NULL)
             AND NOT EXISTS (SELECT 1 FROM media_tag t LEFT JOIN verdict v ON v.subject_id = t.person_id
                             WHERE t.media_id = m.id
                               AND (v.grants IS NULL OR v.grants = 0 OR v.refusals > 0))
            THEN 1 ELSE 0 END AS cleared
FROM media_item m WHERE m.id IN ({ids})
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--show-statements", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from flask_migrate import upgrade
    from sqlalchemy import event, insert, select, text

    from app import create_app
    from app.consent.operations import rebuild_latest_decisions
    from app.consent.queries import now
    from app.extensions import db
    from app.media.models import Album, MediaItem, Tag
    from app.release import clearance
    from app.release.models import Channel
    from app.school.models import group_pupil

    folder = Path(tempfile.mkdtemp(prefix="bench-gate-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(5)
    with app.test_request_context(), app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        school = build_school(folder)
        target = school.groups[len(school.groups) // 2]
        members = list(db.session.scalars(select(group_pupil.c.person_id).where(group_pupil.c.group_id == target.id)))
        index = {p: i for i, p in enumerate(school.pupils)}
        album = Album(group_id=target.id, title="Bench", taken_on=date(2026, 11, 1))
        db.session.add(album)
        db.session.flush()
        items = list(
            db.session.execute(
                insert(MediaItem).returning(MediaItem.id),
                [
                    {
                        "sha256": f"{n:064x}",
                        "media_type": "photo",
                        "mime_type": "image/jpeg",
                        "size_bytes": 1,
                        "group_id": target.id,
                        "album_id": album.id,
                        "tags_complete": True,
                    }
                    for n in range(ITEMS)
                ],
            ).scalars()
        )
        db.session.execute(
            insert(Tag), [{"media_id": m, "person_id": p} for m in items for p in rng.sample(members, TAGGED)]
        )
        db.session.commit()
        channel = db.session.scalar(select(Channel).where(Channel.key == "website"))
        moment = now()
        # All but one of the group's families granted: a realistic mix of cleared and blocked items.
        granted = set(rng.sample(members, len(members) - 1))  # one pupil's parent refused
        print(
            f"5000 pupils; {ITEMS} items x {TAGGED} tagged pupils (group of {len(members)}); database {db.engine.dialect.name}"
        )
        print(
            f"{'events':>10}{'SQL ms':>9}{'gate ms':>9}{'ratio':>7}{'statements':>12}{'cleared':>9}{'gate CPU ms':>13}"
        )
        have = 0
        gate_times: list[float] = []
        gate_cpu: list[float] = []
        for size in sizes:
            add_decisions(school, have, size, rng, moment.at)
            have = size
            # Both guardians of each group member decide last about photos on the website.
            db.session.execute(
                text(
                    "INSERT INTO decision (subject_id, media_type, purpose, action, decided_by_id, means, form_id,"
                    " decided_at, recorded_at) VALUES (:s, 'photo', 'website', :a, :g, 'web', :f, :t, :t)"
                ),
                [
                    {
                        "s": p,
                        "a": "grant" if p in granted or k == 1 else "refuse",
                        "g": school.guardians[2 * index[p] + k],
                        "f": school.form_id,
                        "t": moment.at,
                    }
                    for p in members
                    for k in (0, 1)
                ],
            )
            # Written in bulk past decide_answers: the latest-decision table is filled as the migration does.
            rebuild_latest_decisions()
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            sql = text(HAND_WRITTEN.format(ids=",".join(map(str, items))))
            at = now()
            db.session.refresh(channel)  # loaded again after the commit, outside the counted statements

            def by_hand() -> dict[int, bool]:
                rows = db.session.execute(sql, {"purpose": "website", "now": at.at, "today": at.day})
                return {row.id: bool(row.cleared) for row in rows}

            def gate() -> dict[int, bool]:
                return {i: a.cleared for i, a in clearance.clear(items, channel, at).items()}

            statements: list[str] = []

            def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
                if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    statements.append(statement)

            event.listen(db.engine, "before_cursor_execute", count)
            answer = gate()
            event.remove(db.engine, "before_cursor_execute", count)
            assert answer == by_hand(), "the gate and the hand-written query disagree"
            if "--show-statements" in sys.argv:
                for statement in statements:
                    print("   ", " ".join(statement.split())[:110])
            hand_times, ours_times = _interleaved(by_hand, gate)
            hand, ours = statistics.median(hand_times), statistics.median(ours_times)
            gate_times.append(ours)
            gate_cpu.append(_cpu_time(gate))
            cleared = sum(answer.values())
            print(
                f"{size:>10}{hand * 1000:>9.1f}{ours * 1000:>9.1f}{ours / hand:>7.2f}{len(statements):>12}{cleared:>9}"
                f"{gate_cpu[-1] * 1000:>13.2f}"
            )
        print(
            f"growth of the gate from {sizes[0]} to {sizes[-1]} events: {gate_times[-1] / gate_times[0]:.2f}x"
            f" (CPU time of this process: {gate_cpu[-1] / gate_cpu[0]:.2f}x)"
        )
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


def _cpu_time(action) -> float:
    """The median CPU time of this process per call: load elsewhere on a shared machine hardly
    moves it. On SQLite it includes the database's own work; on PostgreSQL only the client's."""
    out = []
    for _ in range(REPEATS):
        start = time.process_time()
        for _ in range(10):
            action()
        out.append((time.process_time() - start) / 10)
    return statistics.median(out)


if __name__ == "__main__":
    main()
