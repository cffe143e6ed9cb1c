"""Which media items a user may see: the object rule for media, built on ``app.access``'s
primitives (school-wide roles, the groups a teacher teaches). Parents never see originals or the
library; a foreign id answers 404, exactly like one that does not exist."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, select

from app.access import family_subjects, get_visible_or_404, scoped_by_group
from app.accounts.models import User
from app.errors import NotFound
from app.media.models import Face, MediaItem, Tag
from app.school.models import Person


def visible_media(user: User) -> Select[tuple[MediaItem]]:
    """All items for communications and administrators, their groups' for a teacher, none for
    anyone else."""
    return scoped_by_group(select(MediaItem), user, MediaItem.group_id)


def media_or_404(user: User, item_id: int) -> MediaItem:
    return get_visible_or_404(visible_media(user), MediaItem, item_id)  # type: ignore[no-any-return]


def family_media(user: User, person_id: int | None = None) -> Select[tuple[MediaItem]]:
    """The items on which one of the user's family (``app.access.family_subjects``: themself and
    the children they may decide for) is tagged, or only ``person_id`` of them. Never an untagged
    item, never one that shows only other people's children."""
    subjects = family_subjects(user).with_only_columns(Person.id)
    if person_id is not None:
        subjects = subjects.where(Person.id == person_id)
    return select(MediaItem).where(MediaItem.id.in_(select(Tag.media_id).where(Tag.person_id.in_(subjects))))


def family_media_or_404(user: User, item_id: int) -> MediaItem:
    return get_visible_or_404(family_media(user), MediaItem, item_id)  # type: ignore[no-any-return]


def face_of_or_404(item: MediaItem, face_id: int) -> Face:
    """One of this item's detected faces (a face of another item answers 404 too)."""
    found = next((face for face in item.faces if face.id == face_id), None)
    if found is None:
        raise NotFound("not_found", _("This item has no such face."))
    return found
