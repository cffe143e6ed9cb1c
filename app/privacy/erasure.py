"""Erasure of a person on request (GDPR art. 17): the person's record, account, guardianship
links, group places and every consent decision about or by them are removed; a minimal
tombstone (the old id, when, by whom, why) stays for the school's accountability, and the
audit chain, which never held personal data, stays intact and verifiable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import User
from app.audit.log import record
from app.consent.models import Decision, LatestDecision
from app.extensions import Model, db
from app.school.models import Person
from app.timestamps import utcnow


class ErasureTombstone(Model):
    __tablename__ = "erasure_tombstone"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The erased person's former id; deliberately no foreign key (the row is gone).
    person_id: Mapped[int] = mapped_column(index=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_by_id: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))


def erase_person(person: Person, *, by: User, reason: str) -> ErasureTombstone:
    """Remove everything personal about ``person``; the caller commits."""
    person_id = person.id
    # The latest-decision table first: its rows point at the decisions removed next.
    db.session.execute(
        delete(LatestDecision).where(
            or_(LatestDecision.subject_id == person_id, LatestDecision.decided_by_id == person_id)
        )
    )
    removed = db.session.execute(
        delete(Decision).where(or_(Decision.subject_id == person_id, Decision.decided_by_id == person_id))
    )
    decisions = int(getattr(removed, "rowcount", 0))
    account = db.session.scalar(select(User).where(User.person_id == person_id))
    if account is not None:
        if account.id == by.id:
            raise ValueError("an administrator cannot erase their own record")
        db.session.delete(account)
    # Media that showed the person lose the tag with them: they are no longer "everyone tagged"
    # (the person is still in the picture), so they cannot be released until checked again.
    # Like every change of who is on an item, the items are locked first (then the person, the
    # order exports keep: ``app.media.operations.lock_items``); an item tagged with the person in
    # between is caught by the update, which runs after the person's lock.
    from app.media.models import MediaItem, Tag
    from app.media.operations import lock_items

    lock_items(db.session.scalars(select(Tag.media_id).where(Tag.person_id == person_id)), missing_ok=True)
    db.session.execute(select(Person.id).where(Person.id == person_id).with_for_update())
    db.session.execute(
        update(MediaItem)
        .where(MediaItem.id.in_(select(Tag.media_id).where(Tag.person_id == person_id)))
        .values(tags_complete=False, tags_attested_by_id=None, tags_attested_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.delete(person)  # cascades: guardianship links, group places, tags
    tombstone = ErasureTombstone(person_id=person_id, erased_by_id=by.id, reason=reason.strip()[:500])
    db.session.add(tombstone)
    db.session.flush()
    record(
        "person.erased",
        target_type="person",
        target_id=person_id,
        actor_id=by.id,
        decisions_removed=decisions,
        account_removed=account is not None,
        tombstone_id=tombstone.id,
    )
    return tombstone
