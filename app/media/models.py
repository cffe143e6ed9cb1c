"""Albums and media items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.consent.vocabulary import MediaType
from app.extensions import Model
from app.school.models import Group, enum_column
from app.timestamps import utcnow


class Album(Model):
    __tablename__ = "album"
    __table_args__ = (UniqueConstraint("group_id", "title", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("school_group.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    taken_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship()


class MediaItem(Model):
    """One uploaded photo, film or recording; the original is stored under its SHA-256."""

    __tablename__ = "media_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[MediaType] = mapped_column(enum_column(MediaType, "media_item_type"), index=True)
    mime_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    duration_seconds: Mapped[float | None] = mapped_column()
    group_id: Mapped[int] = mapped_column(ForeignKey("school_group.id", ondelete="RESTRICT"), index=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("album.id", ondelete="RESTRICT"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    group: Mapped[Group] = relationship()
    album: Mapped[Album] = relationship()
