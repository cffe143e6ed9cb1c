"""An item's release history: was it ever held back for a person (a refused export or clearance named
them), quarantined, or taken down? Such an item's evidence may no longer be weakened by one person
alone (``app.release.approvals``); leadership reads this history next to every proposal."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select

from app.extensions import db
from app.release.clearance import Blocker
from app.release.models import BlockCause, Publication, Quarantine, ReleaseBlock, Takedown


def remember_blocks(blockers: list[Blocker], cause: BlockCause) -> None:
    """Keep, once per item, person and cause, that a release was refused because this person, shown
    or heard in the item, has no consent (a caption naming someone is not about the item)."""
    named = {(b.media_id, b.person_id) for b in blockers if b.person_id is not None and b.code == "no_consent"}
    if not named:
        return
    media_ids = sorted({media_id for media_id, _person in named})
    known = set(
        db.session.execute(
            select(ReleaseBlock.media_id, ReleaseBlock.person_id).where(
                ReleaseBlock.media_id.in_(media_ids), ReleaseBlock.cause == cause
            )
        ).tuples()
    )
    db.session.add_all(
        ReleaseBlock(media_id=media_id, person_id=person_id, cause=cause)
        for media_id, person_id in sorted(named - known, key=lambda pair: (pair[0], pair[1] or 0))
    )
    db.session.flush()


def has_history(media_id: int) -> bool:
    """Held back for a person once, or quarantined (every takedown of an item quarantines it)."""
    blocked = exists().where(ReleaseBlock.media_id == media_id)
    held = exists().where(Quarantine.media_id == media_id)
    return bool(db.session.scalar(select(or_(blocked, held))))


@dataclass(frozen=True)
class History:
    blocks: list[ReleaseBlock]
    quarantines: list[Quarantine]
    takedowns: list[Takedown]

    def __bool__(self) -> bool:
        return bool(self.blocks or self.quarantines or self.takedowns)


def history_of(media_id: int) -> History:
    """What leadership sees next to a proposal: who it was held back for, its quarantines and takedowns."""
    return History(
        blocks=list(
            db.session.scalars(
                select(ReleaseBlock).where(ReleaseBlock.media_id == media_id).order_by(ReleaseBlock.created_at)
            )
        ),
        quarantines=list(
            db.session.scalars(
                select(Quarantine).where(Quarantine.media_id == media_id).order_by(Quarantine.created_at)
            )
        ),
        takedowns=list(
            db.session.scalars(
                select(Takedown)
                .join(Publication, Publication.id == Takedown.publication_id)
                .where(Publication.media_id == media_id)
                .order_by(Takedown.opened_at)
            )
        ),
    )
