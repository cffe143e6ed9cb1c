"""Erasure of a person on request (GDPR art. 17): the person's record, account, guardianship
links, group places and every consent decision about or by them are removed; a minimal
tombstone (the old id, when, by whom, why) stays for the school's accountability, and the
audit chain, which never held personal data, stays intact and verifiable.

The media that show the person go too, as the administrator chooses (``MediaChoice``): items that
show nobody else are deleted, or every item is kept, quarantined for every purpose
(``app.release.models.EVERY_PURPOSE``) with the person pixelated in every stored picture we have a
box for (``app.media.redaction``; a film's poster and playback copy and a sound recording cannot be
blurred: those are only quarantined). Every publication of such an item gets a removal task
(``app.release.takedowns.open_erasure_takedowns``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import String, delete, inspect, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column, selectinload

from app.accounts.models import PasswordResetRequest, User
from app.audit.log import record
from app.consent.models import Decision, LatestDecision
from app.consent.paper_returns import scans_about
from app.errors import DomainError
from app.extensions import Model, db
from app.jobs.mail import drop_mail_to
from app.media.models import DismissReason, MediaItem, Tag
from app.media.operations import delete_media, lock_items, unreferenced_scans
from app.media.redaction import delete_after_commit, redact_person
from app.media.twins import with_twins
from app.release.models import EVERY_PURPOSE, Quarantine
from app.release.takedowns import open_erasure_takedowns
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


class MediaChoice(enum.StrEnum):
    """What happens to the items that show the person being erased."""

    # Keep every item, quarantined for every purpose, the person pixelated (the protective default:
    # nothing about anyone else is lost, and nothing of the person can go out again).
    KEEP_BLURRED = "keep_blurred"
    # Delete the items that show nobody else; the others are kept as above.
    DELETE_ALONE = "delete_alone"


class ErasureError(DomainError, ValueError):
    """An erasure that cannot be done (a ``ValueError`` too, for callers written before it)."""

    statuses = {"own_record": 400, "already_erased": 404}


@dataclass
class Erasure:
    """What an erasure did, for the administrator's confirmation (no names)."""

    tombstone: ErasureTombstone
    items_deleted: int = 0
    items_kept: int = 0
    # Kept items where the person could not be pixelated everywhere (films, sound, a photo tag
    # without a box): quarantined only.
    items_not_blurred: int = 0
    takedowns_opened: int = 0
    deleted_ids: list[int] = field(default_factory=list)


def erase_person(
    person: Person, *, by: User, reason: str, media: MediaChoice = MediaChoice.KEEP_BLURRED
) -> ErasureTombstone:
    """Remove everything personal about ``person``; the caller commits. See ``erase``."""
    return erase(person, by=by, reason=reason, media=media).tombstone


def erase(person: Person, *, by: User, reason: str, media: MediaChoice = MediaChoice.KEEP_BLURRED) -> Erasure:
    """Remove everything personal about ``person``, deal with the media that show them as ``media``
    says, and open removal tasks for their publications; audited as ``person.erased``. The caller
    commits; files are rewritten or removed after the commit."""
    if inspect(person).deleted or inspect(person).was_deleted or person.id is None:
        raise ErasureError("already_erased", _("This person has already been erased."))
    person_id = person.id
    account = db.session.scalar(select(User).where(User.person_id == person_id))
    if account is not None and account.id == by.id:
        raise ErasureError("own_record", _("You cannot erase your own record."))
    # Like every change of who is on an item, the items are locked first (then the person, the
    # order exports keep: ``app.media.operations.lock_items``). No tag of the person can be added
    # once the person is locked (its foreign key check waits); one added just before is read
    # after the lock, and its item locked then.
    # Their twins (the same bytes in another album, ``app.media.twins``) show the person too.
    tagged = select(Tag.media_id).where(Tag.person_id == person_id)
    lock_items(db.session.scalars(with_twins(tagged)), missing_ok=True)
    db.session.execute(select(Person.id).where(Person.id == person_id).with_for_update())
    item_ids = sorted(set(db.session.scalars(tagged)))
    twin_ids = sorted(set(db.session.scalars(with_twins(tagged))).difference(item_ids))
    lock_items(sorted(set(item_ids).union(twin_ids)), missing_ok=True)
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
    # The scanned paper forms about or signed by them go with their rows (cascaded from the person).
    paper_scans = scans_about(person_id)
    # Mails not sent yet to them (a reminder, a reset link) go with them.
    addresses = [person.email or "", account.email if account is not None else ""]
    mails_dropped = drop_mail_to(addresses)
    db.session.execute(
        delete(PasswordResetRequest).where(
            PasswordResetRequest.email.in_(sorted({a.strip().lower() for a in addresses if a}))
        )
    )
    if account is not None:
        db.session.delete(account)
    outcome = Erasure(tombstone=ErasureTombstone(person_id=person_id, erased_by_id=by.id, reason=reason.strip()[:500]))
    _erase_from_media(person_id, item_ids, media, by, outcome)
    _hold_back_twins(twin_ids, outcome)
    db.session.delete(person)  # cascades: guardianship links, group places, tags, paper forms and their codes
    db.session.add(outcome.tombstone)
    db.session.flush()
    delete_after_commit(unreferenced_scans(paper_scans))
    record(
        "person.erased",
        target_type="person",
        target_id=person_id,
        actor_id=by.id,
        decisions_removed=decisions,
        account_removed=account is not None,
        tombstone_id=outcome.tombstone.id,
        media=media.value,
        items_deleted=outcome.items_deleted,
        items_kept=outcome.items_kept,
        items_not_blurred=outcome.items_not_blurred,
        takedowns_opened=outcome.takedowns_opened,
        mails_dropped=mails_dropped,
    )
    return outcome


def _erase_from_media(person_id: int, item_ids: list[int], media: MediaChoice, by: User, outcome: Erasure) -> None:
    """Removal tasks for the person's publications; then each item that shows them deleted (when
    chosen and nobody else is on it) or kept: quarantined for every purpose, the person pixelated,
    their detected faces set aside as no longer recognisable, the attestation withdrawn (the person
    is still in the picture, untagged)."""
    outcome.takedowns_opened = len(open_erasure_takedowns(person_id))
    items = db.session.scalars(
        select(MediaItem)
        .where(MediaItem.id.in_(item_ids))
        .options(selectinload(MediaItem.tags), selectinload(MediaItem.faces), selectinload(MediaItem.outside_people))
        .order_by(MediaItem.id)
    ).all()
    at = utcnow()
    for item in items:
        if media is MediaChoice.DELETE_ALONE and not shows_someone_else(item, person_id):
            outcome.deleted_ids.append(item.id)
            delete_after_commit(delete_media(item, by=by, reason="erasure"))
            outcome.items_deleted += 1
            continue
        redaction = redact_person(item, person_id)
        for face in item.faces:
            if face.person_id == person_id:
                face.person_id, face.dismissed_reason = None, DismissReason.NOT_RECOGNISABLE
                face.dismissed_by_id, face.dismissed_at = by.id, at
        db.session.add(Quarantine(media_id=item.id, purpose=EVERY_PURPOSE))
        item.tags_complete, item.tags_attested_by_id, item.tags_attested_at = False, None, None
        record(
            "media.erasure_quarantined",
            target=item,
            actor_id=by.id,
            pictures_blurred=redaction.pictures,
            blurred_everywhere=redaction.complete,
        )
        outcome.items_kept += 1
        outcome.items_not_blurred += 0 if redaction.complete else 1
    # An item tagged after the items were read (a concurrent tag) is at least no longer attested.
    db.session.execute(
        update(MediaItem)
        .where(MediaItem.id.in_(select(Tag.media_id).where(Tag.person_id == person_id)))
        .values(tags_complete=False, tags_attested_by_id=None, tags_attested_at=None)
        .execution_options(synchronize_session=False)
    )


def _hold_back_twins(twin_ids: list[int], outcome: Erasure) -> None:
    """The twins of the items that showed the person (untagged there: another group's album) are held
    back for every purpose like the items kept, their attestation withdrawn. Their pictures share the
    stored files, which the items kept had blurred; a twin of an item deleted keeps the file."""
    for item in db.session.scalars(select(MediaItem).where(MediaItem.id.in_(twin_ids)).order_by(MediaItem.id)):
        db.session.add(Quarantine(media_id=item.id, purpose=EVERY_PURPOSE))
        item.tags_complete, item.tags_attested_by_id, item.tags_attested_at = False, None, None
        record("media.erasure_quarantined", target=item, twin=True)
        outcome.items_kept += 1


def shows_someone_else(item: MediaItem, person_id: int) -> bool:
    """Does the item show anyone but ``person_id``: another tagged person, someone from outside the
    school, or a detected face that is not theirs and not set aside as "not a face"?"""
    return (
        any(tag.person_id != person_id for tag in item.tags)
        or bool(item.outside_people)
        or any(
            face.person_id != person_id and face.dismissed_reason is not DismissReason.NOT_A_FACE for face in item.faces
        )
    )


def media_showing(person_id: int) -> tuple[int, int]:
    """How many items show the person, and how many of them show nobody else (for the erasure form)."""
    items = db.session.scalars(
        select(MediaItem)
        .where(MediaItem.id.in_(select(Tag.media_id).where(Tag.person_id == person_id)))
        .options(selectinload(MediaItem.tags), selectinload(MediaItem.faces), selectinload(MediaItem.outside_people))
    ).all()
    return len(items), sum(1 for item in items if not shows_someone_else(item, person_id))
