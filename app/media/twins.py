"""Twins: media items that hold the same bytes (the same ``sha256``).

An upload of a file that is already in a group the uploader cannot see becomes an item of its own
(``app.media.ingest``): the two items share the stored files, and each has its own album, tags,
faces and attestation, kept by the people of its own group. But they are one picture: whoever is
shown on one is shown on the other. So what follows from the people in a picture follows the bytes
to every twin:

- the gate (``app.release.clearance``) blocks an item when a twin is blocked for the channel by a
  person in it (no consent, held back, someone from outside the school without consent);
- a withdrawal's or an erasure's removal tasks cover the publications of every twin
  (``app.release.takedowns``);
- an erasure holds back every twin of the items that showed the person (``app.privacy.erasure``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.media.models import MediaItem


def twins_of(ids: Iterable[int]) -> dict[int, list[int]]:
    """For each of ``ids`` that has twins, their ids (by id); items without a twin are left out.
    One statement (``media_item.sha256`` is indexed)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    item, twin = aliased(MediaItem), aliased(MediaItem)
    rows = db.session.execute(
        select(item.id, twin.id)
        .join(twin, (twin.sha256 == item.sha256) & (twin.id != item.id))
        .where(item.id.in_(wanted))
        .order_by(item.id, twin.id)
    ).all()
    answer: dict[int, list[int]] = {}
    for item_id, twin_id in rows:
        answer.setdefault(item_id, []).append(twin_id)
    return answer


def with_twins(item_ids: Select[tuple[int]]) -> Select[tuple[int]]:
    """The ids of the items ``item_ids`` selects and of all their twins (for an ``IN``)."""
    chosen = item_ids.subquery()
    return select(MediaItem.id).where(
        MediaItem.sha256.in_(select(MediaItem.sha256).where(MediaItem.id.in_(select(chosen.c[0]))))
    )
