"""Which media items a user may see: the object rule for media, built on ``app.access``'s
primitives (school-wide roles, the groups a teacher teaches). Parents never see originals or the
library; a foreign id answers 404, exactly like one that does not exist."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from app.access import get_visible_or_404, is_school_wide, taught_group_ids
from app.accounts.models import Role, User
from app.media.models import MediaItem


def visible_media(user: User) -> Select[tuple[MediaItem]]:
    """All items for communications and administrators, their groups' for a teacher, none for
    anyone else."""
    query = select(MediaItem)
    if is_school_wide(user):
        return query
    if user.has_role(Role.TEACHER) and user.person_id is not None:
        return query.where(MediaItem.group_id.in_(taught_group_ids(user)))
    return query.where(false())


def media_or_404(user: User, item_id: int) -> MediaItem:
    return get_visible_or_404(visible_media(user), MediaItem, item_id)  # type: ignore[no-any-return]
