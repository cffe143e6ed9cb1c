"""Albums and media items."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, ColumnElement, Date, ForeignKey, String, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.consent.vocabulary import MediaType
from app.db_types import enum_column
from app.extensions import Model
from app.school.models import Group, Person
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

    # The attestation: a staff member declared that everyone visible or audible is tagged.
    tags_complete: Mapped[bool] = mapped_column(default=False)
    tags_attested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    tags_attested_at: Mapped[datetime | None] = mapped_column()
    # The tag-free copy that staff play in the browser (films and sound), e.g. "playback.mp4".
    playback_name: Mapped[str | None] = mapped_column(String(20))

    group: Mapped[Group] = relationship()
    album: Mapped[Album] = relationship()
    tags: Mapped[list[Tag]] = relationship(back_populates="item", cascade="all, delete-orphan", order_by="Tag.id")
    faces: Mapped[list[Face]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="(Face.frame_ms, Face.id)"
    )

    @property
    def open_faces(self) -> list[Face]:
        """The detected faces still to resolve (``Face.is_open``): they block every release."""
        return [face for face in self.faces if face.is_open]

    def derivative_names(self) -> list[str]:
        """Every derivative file this item has in storage."""
        names = [] if self.media_type is MediaType.AUDIO else ["thumbnail.jpg", "display.jpg"]
        if self.playback_name:
            names.append(self.playback_name)
        names += sorted({face.frame_name for face in self.faces if face.frame_name})
        return names


class Tag(Model):
    """A person shown (photo, film) or heard (sound) in an item; on a photo optionally with a box,
    as fractions of the width and height."""

    __tablename__ = "media_tag"
    __table_args__ = (UniqueConstraint("media_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    box_x: Mapped[float | None] = mapped_column()
    box_y: Mapped[float | None] = mapped_column()
    box_w: Mapped[float | None] = mapped_column()
    box_h: Mapped[float | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    item: Mapped[MediaItem] = relationship(back_populates="tags")
    person: Mapped[Person] = relationship()

    @property
    def box(self) -> list[float] | None:
        if self.box_x is None or self.box_y is None or self.box_w is None or self.box_h is None:
            return None
        return [self.box_x, self.box_y, self.box_w, self.box_h]


class FaceStatus(enum.StrEnum):
    OPEN = "open"
    TAGGED = "tagged"
    DISMISSED = "dismissed"


class DismissReason(enum.StrEnum):
    NOT_A_FACE = "not_a_face"
    NOT_RECOGNISABLE = "not_recognisable"


class Face(Model):
    """A face the detector found (a box, nothing else: no embedding, no identity). It is resolved
    when a staff member matches it to a tagged person or dismisses it with a reason. On a film it
    belongs to the sampled frame at ``frame_ms``."""

    __tablename__ = "media_face"

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="CASCADE"), index=True)
    frame_ms: Mapped[int | None] = mapped_column()
    box_x: Mapped[float] = mapped_column()
    box_y: Mapped[float] = mapped_column()
    box_w: Mapped[float] = mapped_column()
    box_h: Mapped[float] = mapped_column()
    score: Mapped[float] = mapped_column()
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    dismissed_reason: Mapped[DismissReason | None] = mapped_column(enum_column(DismissReason, "media_face_dismissed"))
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    dismissed_at: Mapped[datetime | None] = mapped_column()

    item: Mapped[MediaItem] = relationship(back_populates="faces")
    person: Mapped[Person | None] = relationship()

    @property
    def box(self) -> list[float]:
        return [self.box_x, self.box_y, self.box_w, self.box_h]

    @hybrid_property
    def is_open(self) -> bool:
        """Not yet resolved: given to nobody and not set aside. The one definition of an open face,
        read in Python (item page, badges, blurred exports) and in SQL (the gate, the library's
        filter, "the next to tag"), so the two can never disagree."""
        return self.person_id is None and self.dismissed_reason is None

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> ColumnElement[bool]:
        return and_(cls.person_id.is_(None), cls.dismissed_reason.is_(None))

    @property
    def status(self) -> FaceStatus:
        """Open, or how it was resolved: given to a person (tagged) or set aside (dismissed)."""
        if self.is_open:
            return FaceStatus.OPEN
        return FaceStatus.TAGGED if self.person_id is not None else FaceStatus.DISMISSED

    @property
    def frame_name(self) -> str | None:
        """The stored frame a film's face was found on."""
        return None if self.frame_ms is None else f"frame_{self.frame_ms}.jpg"
