"""Which stored files the rows refer to: for ``flask media fsck`` and for a backup, which must hold
every file its database snapshot names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session, selectinload

from app.consent.models import PaperReturn
from app.extensions import db
from app.media.models import MediaItem, OutsideConsent, OutsidePerson
from app.media.storage import derivative_key, original_key


def item_files(session: Session | scoped_session[Any] | None = None) -> dict[str, int]:
    """Every storage key the items refer to (originals, derivatives, and the scans of the papers
    people from outside the school signed), with the item's id."""
    reader = session if session is not None else db.session
    expected: dict[str, int] = {}
    for item in reader.scalars(select(MediaItem).options(selectinload(MediaItem.faces))):
        expected[original_key(item.sha256)] = item.id
        for name in item.derivative_names():
            expected[derivative_key(item.sha256, name)] = item.id
    scans = select(OutsideConsent.scan_key, OutsidePerson.media_id).join(OutsideConsent.outside_person)
    for key, item_id in reader.execute(scans.where(OutsideConsent.scan_key.is_not(None))):
        expected[key] = item_id
    return expected


def paper_scans(session: Session | scoped_session[Any] | None = None) -> set[str]:
    """The scans of returned paper consent forms: no item's files, but no orphans either."""
    reader = session if session is not None else db.session
    keys = reader.scalars(select(PaperReturn.scan_key).where(PaperReturn.scan_key.is_not(None)))
    return {key for key in keys if key}
