"""People from outside the school: marking them on an item, and their own consent.

Someone from outside the school (a visitor, a child of another school at a tournament, a
passer-by) is not a person of the school: they are an ``OutsidePerson`` of one item, so no group,
list, consent overview or parent page can show them. Staff who may tag an item mark them (with a
detected face, a box, or neither); a face marked so is resolved. They block every public channel
(the public purposes of the form in force, ``app.consent.purposes``) until an administrator records
their own consent from the signed paper, with an optional scan (``record_outside_consent``); the gate
is ``app.release.clearance.clear``.

Each change locks the item's row (PostgreSQL; SQLite has one writer anyway), so it serialises
with an export that locks the items it releases; withdrawing a consent locks the outside person's
row, which the export holds ``FOR SHARE`` while it checks. Every change is audited, with ids only:
the description is personal data and stays out of the audit log.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Role, User
from app.audit.log import record
from app.consent.purposes import public_purposes
from app.consent.vocabulary import MediaType
from app.errors import DomainError, NotFound
from app.extensions import db
from app.media import scans
from app.media.models import Face, MediaItem, OutsideConsent, OutsidePerson
from app.media.operations import unreferenced_scans, valid_box
from app.timestamps import school_today, utcnow

NAME_MAX = 120


class OutsiderError(DomainError):
    """Someone from outside the school who cannot be marked, removed or given consent as asked."""

    statuses = {"face_tagged": 409, "face_outside": 409, "scan_unsupported": 415, "scan_too_large": 413}


def outsider_of_or_404(item: MediaItem, outsider_id: int) -> OutsidePerson:
    """One of this item's people from outside the school (another item's answers 404 too)."""
    found = next((person for person in item.outside_people if person.id == outsider_id), None)
    if found is None:
        raise NotFound("not_found", _("This item has no such person from outside the school."))
    return found


def clean_name(name: str | None) -> str:
    """Who they are, in words: required, at most 120 characters, no control characters."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise OutsiderError(
            "name_required", _("Say who this is: a name, or a description such as “Visitor: grandfather of a pupil”.")
        )
    if len(cleaned) > NAME_MAX:
        raise OutsiderError("name_too_long", _("Describe them in at most %(n)d characters.", n=NAME_MAX))
    if any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise OutsiderError("name_invalid", _("The description contains characters that cannot be shown."))
    return cleaned


def add_outside_person(
    item: MediaItem, name: str | None, *, by: User, face_ids: Iterable[int] = (), box: list[float] | None = None
) -> OutsidePerson:
    """Mark someone from outside the school on ``item``: with the detected faces that are them
    (which are then resolved; a dismissal is undone), on a photo optionally with a box. Everything
    is checked before anything changes."""
    cleaned = clean_name(name)
    faces = free_faces(item, list(face_ids))
    if box is not None and (item.media_type is not MediaType.PHOTO or not valid_box(box)):
        raise OutsiderError("bad_box", _("A box must be four fractions (x, y, width, height) inside the picture."))
    _lock(item)
    x, y, w, h = box or (None, None, None, None)
    person = OutsidePerson(name=cleaned, box_x=x, box_y=y, box_w=w, box_h=h, created_by_id=by.id)
    item.outside_people.append(person)
    for face in faces:
        face.outside_person = person
        face.dismissed_reason, face.dismissed_by_id, face.dismissed_at = None, None, None
    db.session.flush()
    record(
        "media.outsider_added",
        target=item,
        actor_id=by.id,
        outsider_id=person.id,
        faces=sorted(face.id for face in faces),
        box=box is not None,
    )
    return person


def free_faces(item: MediaItem, face_ids: list[int]) -> list[Face]:
    """The item's faces with these ids, each given to nobody yet (a dismissed face may be)."""
    faces = {face.id: face for face in item.faces}
    if len(set(face_ids)) != len(face_ids) or set(face_ids) - set(faces):
        raise OutsiderError("unknown_face", _("That face is not one of this item's faces."))
    chosen = [faces[face_id] for face_id in face_ids]
    if any(face.person_id is not None for face in chosen):
        raise OutsiderError("face_tagged", _("This face is matched to a tagged person; remove that tag first."))
    if any(face.outside_person_id is not None for face in chosen):
        raise OutsiderError("face_outside", _("This face is someone from outside the school; remove them first."))
    return chosen


def remove_outside_person(person: OutsidePerson, *, by: User) -> list[str]:
    """Remove a person from outside the school (marked by mistake, or at their request): their
    faces are open again, their consents and scans go. Returns the scan files to delete *after*
    the commit (those no other consent refers to)."""
    item = person.item
    _lock(item)
    scans = {consent.scan_key for consent in person.consents if consent.scan_key}
    faces = sorted(face.id for face in person.faces)
    for face in list(person.faces):
        face.outside_person = None
    outsider_id = person.id
    item.outside_people.remove(person)
    db.session.flush()
    record("media.outsider_removed", target=item, actor_id=by.id, outsider_id=outsider_id, faces_reopened=faces)
    return unreferenced_scans(scans)


def record_outside_consent(
    person: OutsidePerson,
    *,
    media_types: list[MediaType],
    purposes: list[str],
    given_on: date,
    by: User,
    scan: IO[bytes] | None = None,
) -> list[OutsideConsent]:
    """An administrator records the own consent of someone from outside the school, from the paper
    they signed: one row per media type and public purpose not yet in force, with the scan (cleaned
    and stored before the rows). Returns the new rows (none when all were in force already)."""
    if not by.has_role(Role.ADMIN):
        raise NotFound("not_found", _("This item has no such person from outside the school."))
    pairs = _wanted_pairs(person, media_types, purposes, given_on)
    if not pairs:
        return []
    key = store_scan(scan) if scan is not None else None
    rows = [
        OutsideConsent(media_type=media_type, purpose=purpose, given_on=given_on, recorded_by_id=by.id, scan_key=key)
        for media_type, purpose in pairs
    ]
    person.consents.extend(rows)
    db.session.flush()
    record(
        "media.outsider_consent_recorded",
        target=person.item,
        actor_id=by.id,
        outsider_id=person.id,
        consent_ids=[row.id for row in rows],
        given_on=given_on.isoformat(),
        scan=key is not None,
    )
    return rows


def _wanted_pairs(
    person: OutsidePerson, media_types: list[MediaType], purposes: list[str], given_on: date
) -> list[tuple[MediaType, str]]:
    """The (media type, purpose) pairs to record: at least one of each, public purposes only, the
    paper signed no later than today; pairs already in force are left out."""
    if not media_types:
        raise OutsiderError("media_type_required", _("Choose at least one kind of media."))
    if not purposes or set(purposes) - public_purposes(school_today()):
        raise OutsiderError("purpose_required", _("Choose at least one public use of the consent form in force."))
    if given_on > school_today():
        raise OutsiderError("given_on_future", _("The date the paper was signed cannot be in the future."))
    return [
        (media_type, purpose)
        for media_type in dict.fromkeys(media_types)
        for purpose in dict.fromkeys(purposes)
        if not person.consented(media_type, purpose)
    ]


def withdraw_outside_consent(consent: OutsideConsent, *, by: User) -> None:
    """An administrator records that someone from outside the school took their consent back: it
    no longer counts from this moment. The row stays, with who withdrew it and when. The item's
    row and the outside person's row are locked first, so an export checking them waits, or is
    waited for (the export holds the outside people ``FOR SHARE``)."""
    if not by.has_role(Role.ADMIN):
        raise NotFound("not_found", _("This item has no such person from outside the school."))
    _lock(consent.outside_person.item)
    db.session.execute(select(OutsidePerson.id).where(OutsidePerson.id == consent.outside_person_id).with_for_update())
    if not consent.in_force:
        return  # a double submit changes nothing
    consent.withdrawn_at, consent.withdrawn_by_id = utcnow(), by.id
    record(
        "media.outsider_consent_withdrawn",
        target=consent.outside_person.item,
        actor_id=by.id,
        outsider_id=consent.outside_person_id,
        consent_id=consent.id,
    )


def store_scan(stream: IO[bytes]) -> str:
    """Take in the scan of a signed paper: a picture only, checked and stored clean by
    ``app.media.scans``. Returns its storage key; the caller adds the row."""
    try:
        return scans.store_scan(stream).key
    except scans.ScanError as problem:
        raise OutsiderError(problem.code, problem.message) from None


def _lock(item: MediaItem) -> None:
    """Hold the item's row until the commit, so an export that locks its items sees the change
    whole, before or after."""
    db.session.execute(select(MediaItem.id).where(MediaItem.id == item.id).with_for_update())
