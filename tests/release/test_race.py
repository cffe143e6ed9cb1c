"""Race-free release: a withdrawal or a tag that commits before an export is always seen by it.

Two parts, on a database of their own, run the same on SQLite and PostgreSQL.

**In order, by force.** Pairs of operations on one pupil's photo: a withdrawal, a tag change
(tagging a pupil whose consent was withdrawn, or removing that tag again) and an export. The first
of a pair runs in a thread and, the moment it holds its lock (the hook after ``decide``'s lock on
its subject, ``lock_items`` of a tag change, ``lock_for_release`` of an export), lets the second
start while its own transaction is still open. On PostgreSQL the first then keeps its transaction
open until the database shows the second waiting for a row lock: proof that the two met and that
the lock, not luck, put them in order (without the lock the second never waits and the test fails).
On SQLite the second waits for BEGIN IMMEDIATE's write lock; the first holds it a moment. Either
way the export's outcome is fixed by the order: refused after a withdrawal or a tag of a pupil
without consent, cleared before one (or after the tag is removed). So "the race was on" is
asserted exactly, every run: each pair met, and both outcomes occurred. A last pair withdraws
consent for a pupil on a published photo while an export waits for that pupil: the withdrawal's
quarantine row points at the item the export holds, which FOR SHARE allows (FOR UPDATE deadlocks);
and an export that waited for a deletion of its item answers "does not exist (any more)".

**All at once.** Threads that withdraw and grant, that add and remove tags (a pupil whose consent
was withdrawn, or a classmate whose consent is toggling), and that export, meet at a barrier
before every round and then run together; the outcomes are left to the scheduler.

**The safety check** replays the audit log over both parts. Its ids are handed out under a lock
held until commit, so their order is the order in which transactions committed. Decisions are
there ("consent.decided": subject, media type, purpose, decision), and so are tags: every tag
change goes through ``set_tags``, whose "media.tags_changed" row names everyone tagged after it
(``people``); the photos are tagged that way from the start too. At every "release.exported"
row, every person tagged on each exported item at that point must have had consent by the
decisions committed before it. On PostgreSQL this holds because an export locks its items (FOR
SHARE) and then the people tagged, a tag change its item (FOR NO KEY UPDATE) and a decision its
subject (FOR UPDATE); on SQLite because every write transaction starts with BEGIN IMMEDIATE.
"""

from __future__ import annotations

import functools
import io
import os
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from tests.conftest import form_text, make_app

pytestmark = pytest.mark.own_database
PUPILS = 6
PAIR_ROUNDS = 1
FREE_ROUNDS = 10
EXPORTERS = 3
TAGGERS = 2
SQLITE_HOLD = 0.03  # seconds the first of a pair keeps SQLite's write lock after letting the second go
WAIT_LIMIT = 30.0  # seconds to wait for the second to queue up behind the first (PostgreSQL)


@pytest.fixture
def own_app(db_kind, tmp_path):
    from flask_migrate import upgrade

    if db_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
        drop = None
    else:
        import psycopg

        base = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@localhost/test"))
        name = f"beeldrecht_race_{secrets.token_hex(4)}"
        admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    app = make_app(url, MEDIA_ROOT=str(tmp_path / "media"))
    with app.app_context():
        upgrade(directory=str(os.path.join(os.path.dirname(__file__), "..", "..", "migrations")))
    try:
        yield app
    finally:
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()
        if drop:
            drop()


@dataclass(frozen=True)
class World:
    pupils: list[int]  # pupil k is on photo k
    guardians: list[int]
    items: list[int]
    withdrawn: int  # a pupil in 5b whose guardian granted and then withdrew consent
    withdrawn_guardian: int

    def owner(self, item: int) -> int:
        return self.pupils[self.items.index(item)]


@contextmanager
def transaction(app: Any) -> Iterator[None]:
    """An app context of its own (so a session and a connection of its own), committed at the end."""
    from app.extensions import db

    with app.app_context(), app.test_request_context():
        yield
        db.session.commit()


def comms() -> Any:
    from app.accounts.models import User
    from app.extensions import db

    return db.session.scalar(select(User).where(User.email == "comms@example.org"))


def decide_now(app: Any, subject_id: int, guardian_id: int, action: str) -> str:
    from app.consent.operations import decide
    from app.consent.vocabulary import Means
    from app.extensions import db
    from app.school.models import Person

    with transaction(app):
        subject, guardian = db.session.get_one(Person, subject_id), db.session.get_one(Person, guardian_id)
        decide(subject, "photo", "website", action, decided_by=guardian, recorded_by=None, means=Means.WEB)
    return action


def tag_now(app: Any, item_id: int, people: list[int]) -> str:
    from app.extensions import db
    from app.media.models import MediaItem
    from app.media.operations import TagSpec, set_tags

    with transaction(app):
        item = db.session.get_one(MediaItem, item_id)
        set_tags(item, [TagSpec(p) for p in people], complete=True, by=comms())
    return "tagged"


def export_now(app: Any, item_ids: list[int]) -> str:
    from app.release.exports import ExportBlocked, export_media

    with transaction(app):
        try:
            export_media("website", item_ids, by=comms())
        except ExportBlocked:
            return "refused"  # the refused attempt's audit row is committed all the same
    return "exported"


def setup_school(app, tmp_path) -> World:
    """The test school, a form, and per pupil a photo tagged (through ``set_tags``, so audited)
    and attested, with consent granted; one more pupil whose consent was granted and withdrawn."""
    from app.consent.form_files import sync_forms
    from app.extensions import db
    from app.media.ingest import ingest_upload
    from app.release.models import Channel
    from app.school.models import Group
    from app.timestamps import school_today
    from tests.factories import AlbumFactory, build_school, school_year_of

    with transaction(app):
        build_school()
        forms = tmp_path / "forms"
        forms.mkdir()
        name, _start, _end = school_year_of(school_today())
        (forms / "form.toml").write_text(form_text(name), encoding="utf-8")
        assert not sync_forms(forms).problems
        group = db.session.scalar(select(Group).where(Group.name == "5b"))
        album = AlbumFactory(group=group, title="Race", taken_on=date(2026, 11, 1))
        pupils = [p for p in group.pupils if p.guardianships][: PUPILS + 1]
        assert len(pupils) == PUPILS + 1
        pairs = [(p.id, p.guardianships[0].guardian_id) for p in pupils]
        items = []
        for n in range(PUPILS):
            picture = io.BytesIO()
            Image.new("RGB", (32, 32), (n * 40, 10, 200)).save(picture, format="PNG")
            picture.seek(0)
            items.append(ingest_upload(picture, album=album, uploaded_by=None).item.id)
        # Released at once (no leadership approval), so every cleared export is a release to check.
        db.session.execute(update(Channel).where(Channel.key == "website").values(needs_approval=False))
    for (pupil, guardian), item in zip(pairs, items, strict=False):
        tag_now(app, item, [pupil])
        decide_now(app, pupil, guardian, "grant")
    withdrawn, withdrawn_guardian = pairs[PUPILS]
    decide_now(app, withdrawn, withdrawn_guardian, "grant")
    decide_now(app, withdrawn, withdrawn_guardian, "withdraw")
    return World(
        pupils=[p for p, _g in pairs[:PUPILS]],
        guardians=[g for _p, g in pairs[:PUPILS]],
        items=items,
        withdrawn=withdrawn,
        withdrawn_guardian=withdrawn_guardian,
    )


# -- In order, by force ------------------------------------------------------------------------

_first = threading.local()


def hold_when_locked(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original``, followed (in the first of a pair only, once) by what that thread must do
    while it holds the lock ``original`` took."""

    @functools.wraps(original)
    def locked(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        keep = getattr(_first, "keep", None)
        if keep is not None:
            _first.keep = None
            keep()
        return result

    return locked


@pytest.fixture
def hooks(monkeypatch):
    """The three places where a withdrawal, a tag change and an export hold their locks."""
    from app.consent import operations as consent_operations
    from app.media import operations as media_operations
    from app.release import clearance

    monkeypatch.setattr(consent_operations, "_lock_subject", hold_when_locked(consent_operations._lock_subject))
    monkeypatch.setattr(media_operations, "lock_items", hold_when_locked(media_operations.lock_items))
    monkeypatch.setattr(clearance, "lock_for_release", hold_when_locked(clearance.lock_for_release))


def waiters(app: Any) -> int:
    """Sessions of this database waiting for a row lock (a fresh snapshot each time)."""
    from app.extensions import db

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return int(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND wait_event <> 'advisory'"
                )
            )
        )


def in_order(app: Any, first: Callable[[], str], second: Callable[[], str]) -> tuple[str, str]:
    """Run ``first`` in a thread; once it holds its lock, run ``second`` here while ``first``'s
    transaction is still open. On PostgreSQL ``first`` goes on only when the database shows
    ``second`` waiting for it (and fails if that never happens); on SQLite after a moment."""
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    go = threading.Event()
    result: dict[str, Any] = {}

    def keep() -> None:
        go.set()
        if not postgres:
            time.sleep(SQLITE_HOLD)
            return
        deadline = time.monotonic() + WAIT_LIMIT
        while not waiters(app):
            assert "second" not in result, "the second went ahead without waiting for the first's lock"
            assert time.monotonic() < deadline, "the second never waited for the first's lock"
            time.sleep(0.002)
        result["met"] = True

    def run() -> None:
        _first.keep = keep
        try:
            result["first"] = first()
        except BaseException as problem:  # noqa: BLE001 - reported below
            result["error"] = problem
        finally:
            _first.keep = None
            go.set()

    thread = threading.Thread(target=run)
    thread.start()
    assert go.wait(WAIT_LIMIT * 2)
    try:
        result["second"] = second() if "error" not in result else None
    finally:
        thread.join(WAIT_LIMIT * 2)
    assert "error" not in result, result["error"]
    assert not postgres or result.get("met"), "the two never met"
    return result["first"], result["second"]


def test_each_order_gives_its_outcome(own_app, tmp_path, hooks):
    """Per photo, a withdrawal, a tag and its removal each meet an export, in both orders."""
    world = setup_school(own_app, tmp_path)
    app = own_app
    outcomes = []
    for round_ in range(PAIR_ROUNDS):
        for k in range(PUPILS):
            item, pupil, guardian = world.items[k], world.pupils[k], world.guardians[k]
            other = world.items[(k + 1 + round_) % PUPILS]
            export = functools.partial(export_now, app, sorted([item, other]))
            withdraw = functools.partial(decide_now, app, pupil, guardian, "withdraw")
            grant = functools.partial(decide_now, app, pupil, guardian, "grant")
            tag = functools.partial(tag_now, app, item, [pupil, world.withdrawn])
            untag = functools.partial(tag_now, app, item, [pupil])

            outcomes.append(("withdrawal, export", in_order(app, withdraw, export)[1]))
            grant()
            outcomes.append(("export, withdrawal", in_order(app, export, withdraw)[0]))
            grant()
            outcomes.append(("tag, export", in_order(app, tag, export)[1]))
            untag()
            outcomes.append(("export, tag", in_order(app, export, tag)[0]))
            outcomes.append(("untag, export", in_order(app, untag, export)[1]))
            tag()
            outcomes.append(("export, untag", in_order(app, export, untag)[0]))
            untag()
    expected = {
        "withdrawal, export": "refused",
        "export, withdrawal": "exported",
        "tag, export": "refused",
        "export, tag": "exported",
        "untag, export": "exported",
        "export, untag": "refused",
    }
    assert outcomes == [(order, expected[order]) for order, _outcome in outcomes]  # the race was on, both ways
    exported = [outcome for _order, outcome in outcomes].count("exported")
    assert exported == 3 * PAIR_ROUNDS * PUPILS
    assert published_then_withdrawn(app, world) == "refused"
    assert in_order(
        app,
        functools.partial(delete_now, app, world.items[1]),
        functools.partial(export_or_gone, app, [world.items[1]]),
    ) == ("deleted", "gone")
    replay_audit_log(app, world, exported=exported + 1)


def delete_now(app: Any, item_id: int) -> str:
    from app.extensions import db
    from app.media.models import MediaItem
    from app.media.operations import delete_media

    with transaction(app):
        delete_media(db.session.get_one(MediaItem, item_id), by=comms(), reason="admin")
    return "deleted"


def export_or_gone(app: Any, item_ids: list[int]) -> str:
    """An export of an item deleted while it waited: a clear 404, nothing released."""
    from app.release.exports import ExportError

    try:
        return export_now(app, item_ids)
    except ExportError as problem:
        return "gone" if (problem.code, problem.status) == ("unknown_item", 404) else problem.code


def published_then_withdrawn(app: Any, world: World) -> str:
    """A withdrawal for a pupil on a published photo quarantines it (a row pointing at the item)
    while an export that waits for the pupil holds the item: FOR SHARE lets that row be written
    (FOR UPDATE would deadlock, and PostgreSQL would abort one of the two)."""
    from app.extensions import db
    from app.release.exports import export_media
    from app.release.models import Quarantine
    from app.release.publications import record_publication

    item, pupil, guardian = world.items[0], world.pupils[0], world.guardians[0]
    with transaction(app):
        export = export_media("website", [item], by=comms())
        record_publication(export, item, "https://school.example/news/1", by=comms())
    withdraw = functools.partial(decide_now, app, pupil, guardian, "withdraw")
    _first, outcome = in_order(app, withdraw, functools.partial(export_now, app, [item]))
    with app.app_context():
        assert db.session.scalar(select(Quarantine).where(Quarantine.media_id == item)) is not None
    return outcome


# -- All at once -------------------------------------------------------------------------------


def test_no_export_is_released_after_a_withdrawal_or_tag_committed(own_app, tmp_path):
    world = setup_school(own_app, tmp_path)
    app = own_app
    errors: list[BaseException] = []
    outcomes: list[str] = []
    start = threading.Barrier(PUPILS + TAGGERS + EXPORTERS, timeout=WAIT_LIMIT * 2)

    def rounds(operation: Callable[[int, random.Random], str], seed: int) -> None:
        rng = random.Random(seed)
        try:
            for n in range(FREE_ROUNDS):
                start.wait()  # every thread starts each round together
                outcomes.append(operation(n, rng))
        except BaseException as problem:  # noqa: BLE001 - reported by the main thread
            errors.append(problem)
            start.abort()

    def toggler(k: int) -> Callable[[int, random.Random], str]:
        # Withdraw in even rounds, grant in odd ones: granted again after the last round.
        return lambda n, _rng: decide_now(
            app, world.pupils[k], world.guardians[k], "withdraw" if n % 2 == 0 else "grant"
        )

    def tagger(n: int, rng: random.Random) -> str:
        k = rng.randrange(PUPILS)
        extra = [world.withdrawn, world.pupils[(k + 1) % PUPILS]]
        return tag_now(app, world.items[k], [world.pupils[k], *rng.sample(extra, rng.randrange(3))])

    def exporter(n: int, rng: random.Random) -> str:
        return export_now(app, sorted(rng.sample(world.items, 3)))

    work = [(toggler(k), k) for k in range(PUPILS)]
    work += [(tagger, 100 + n) for n in range(TAGGERS)] + [(exporter, 200 + n) for n in range(EXPORTERS)]
    threads = [threading.Thread(target=rounds, args=(operation, seed)) for operation, seed in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert len(outcomes) == len(work) * FREE_ROUNDS
    replay_audit_log(app, world, exported=outcomes.count("exported"))


def replay_audit_log(app: Any, world: World, *, exported: int) -> None:
    """Replay decisions and tags in commit order; at every export, everyone then tagged on its
    items had consent. ``exported``: how many exports the test saw cleared."""
    from app.audit.models import AuditEvent
    from app.extensions import db

    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["consent.decided", "media.tags_changed", "release.exported"]))
            .order_by(AuditEvent.id)
        ).all()
    granted: dict[int, bool] = {}
    tagged: dict[int, set[int]] = {}
    checked = 0
    for event in events:
        details = event.details
        if event.action == "consent.decided" and (details["media_type"], details["purpose"]) == ("photo", "website"):
            granted[details["subject_id"]] = details["decision"] == "grant"
        elif event.action == "media.tags_changed":
            tagged[int(event.target_id)] = set(details["people"])
        elif event.action == "release.exported":
            checked += 1
            for media_id in details["media_ids"]:
                assert tagged[media_id] >= {world.owner(media_id)}
                for person in tagged[media_id]:
                    assert granted.get(person), (
                        f"export audit #{event.id} released item {media_id} showing person {person} without consent"
                    )
    assert checked == exported
